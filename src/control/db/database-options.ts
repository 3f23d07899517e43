import type { OpenDatabaseOptions } from './open-database.js';

/** Flags shared by every command that opens the control plane's database. */
export interface DatabaseFlags {
  databaseUrl?: string;
  sqlite?: string;
}

/**
 * Where the database is: --database-url, else DATABASE_URL, else SQLite at --sqlite (default ./data/edgeward.sqlite).
 * A non-postgres DATABASE_URL is passed through so openDatabase can refuse it with a clear error.
 */
export function databaseOptions(
  flags: DatabaseFlags,
  env: NodeJS.ProcessEnv = process.env,
): OpenDatabaseOptions {
  const url = flags.databaseUrl?.trim() || env.DATABASE_URL?.trim() || undefined;
  return {
    ...(url === undefined ? {} : { url }),
    ...(flags.sqlite === undefined ? {} : { sqlitePath: flags.sqlite }),
  };
}

/** Redacts the password of a postgres URL for printing. */
export function describeDatabase(opts: OpenDatabaseOptions, defaultSqlitePath: string): string {
  if (opts.url === undefined) return `SQLite ${opts.sqlitePath ?? defaultSqlitePath}`;
  try {
    const u = new URL(opts.url);
    if (u.password) u.password = '***';
    return `PostgreSQL ${u.toString()}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}
