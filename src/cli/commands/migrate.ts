import type { Command } from 'commander';
import { databaseOptions, describeDatabase, type DatabaseFlags } from '../../control/db/database-options.js';
import { migrateToLatest } from '../../control/db/migrate.js';
import { DEFAULT_SQLITE_PATH, openDatabase } from '../../control/db/open-database.js';

/** Adds --database-url / --sqlite to a command that opens the control plane's database. */
export function addDatabaseOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'postgres://... (default: $DATABASE_URL, else SQLite)')
    .option(
      '--sqlite <file>',
      `SQLite file when no PostgreSQL URL is given (default ${DEFAULT_SQLITE_PATH})`,
    );
}

export function registerMigrateCommand(program: Command): void {
  addDatabaseOptions(
    program
      .command('migrate')
      .description("Bring the control plane's database schema to the latest version."),
  ).action(async (flags: DatabaseFlags) => {
    const opts = databaseOptions(flags);
    const opened = await openDatabase(opts);
    try {
      const outcome = await migrateToLatest(opened.db);
      const where = describeDatabase(opts, DEFAULT_SQLITE_PATH);
      if (outcome.applied.length === 0) {
        process.stdout.write(
          `${where}: already at the latest version (${outcome.current.at(-1) ?? 'none'})\n`,
        );
      } else {
        for (const name of outcome.applied) process.stdout.write(`applied ${name}\n`);
        process.stdout.write(`${where}: now at ${outcome.current.at(-1)}\n`);
      }
    } finally {
      await opened.close();
    }
  });
}
