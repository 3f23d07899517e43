import { createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { EdgewardError } from '../../shared/errors.js';
import { auditHead, exportAudit, type AuditHead } from '../../control/audit/audit-log.js';
import { verifyAuditChain } from '../../control/audit/verify-audit-chain.js';
import { assertMigrated } from '../../control/db/migrate.js';
import { databaseOptions, type DatabaseFlags } from '../../control/db/database-options.js';
import { DEFAULT_SQLITE_PATH, openDatabase, type OpenedDatabase } from '../../control/db/open-database.js';
import { addDatabaseOptions } from './migrate.js';

async function withDatabase<T>(flags: DatabaseFlags, fn: (opened: OpenedDatabase) => Promise<T>): Promise<T> {
  const opts = databaseOptions(flags);
  const sqlitePath = opts.sqlitePath ?? DEFAULT_SQLITE_PATH;
  // Opening SQLite creates the file: refuse instead of "verifying" a brand-new empty database.
  if (opts.url === undefined && !existsSync(sqlitePath)) {
    throw new EdgewardError(
      'database_missing',
      `no database at ${sqlitePath} (pass --sqlite or --database-url)`,
      { field: '--sqlite' },
    );
  }
  const opened = await openDatabase(opts);
  try {
    await assertMigrated(opened.db);
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

function parseAnchor(text: string): AuditHead {
  const m = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  if (!m)
    throw new EdgewardError(
      'invalid_anchor',
      '--anchor must be <seq>:<64 hex hash> (as printed by `edgeward audit head`)',
      { field: '--anchor' },
    );
  return { seq: Number(m[1]), hash: m[2]!.toLowerCase() };
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit log: verify, export, head.');

  addDatabaseOptions(
    audit
      .command('verify')
      .description(
        'Recompute the hash chain; name the first entry altered or removed. Exit 0 when intact, 1 when broken.',
      )
      .option(
        '--anchor <seq:hash>',
        'a head published earlier (from `edgeward audit head`): the chain must still contain it',
      ),
  ).action(async (flags: DatabaseFlags & { anchor?: string }) => {
    const anchor = flags.anchor === undefined ? undefined : parseAnchor(flags.anchor);
    const verdict = await withDatabase(flags, ({ db }) =>
      verifyAuditChain(db, anchor === undefined ? {} : { anchor }),
    );
    if (verdict.ok) {
      process.stdout.write(`audit chain ok: ${verdict.entries} entries, head ${verdict.head}\n`);
    } else {
      process.stdout.write(`audit chain broken at entry ${verdict.firstBadSeq}: ${verdict.problem}\n`);
      process.exitCode = 1;
    }
  });

  addDatabaseOptions(
    audit
      .command('export')
      .description('Write the audit log as JSON lines (one entry a line) to --out or standard output.')
      .option('--out <file>', 'output file (default: standard output)')
      .option('--after <seq>', 'only entries after this seq'),
  ).action(async (flags: DatabaseFlags & { out?: string; after?: string }) => {
    let afterSeq: number | undefined;
    if (flags.after !== undefined) {
      afterSeq = Number(flags.after);
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0)
        throw new EdgewardError('invalid_after', '--after must be a non-negative integer', {
          field: '--after',
        });
    }
    await withDatabase(flags, async ({ db }) => {
      if (flags.out === undefined) {
        await exportAudit(db, process.stdout, afterSeq === undefined ? {} : { afterSeq });
        return;
      }
      const out = createWriteStream(flags.out, { flags: 'w' });
      const n = await exportAudit(db, out, afterSeq === undefined ? {} : { afterSeq });
      out.end();
      await finished(out);
      process.stderr.write(`exported ${n} audit entries to ${flags.out}\n`);
    });
  });

  addDatabaseOptions(
    audit
      .command('head')
      .description(
        'Print the last entry as <seq>:<hash>, the value to publish and pass to `audit verify --anchor`.',
      ),
  ).action(async (flags: DatabaseFlags) => {
    const head = await withDatabase(flags, ({ db }) => auditHead(db));
    process.stdout.write(`${head.seq}:${head.hash}\n`);
  });
}
