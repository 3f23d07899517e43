import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
} from 'kysely';
import { EdgewardError } from '../../shared/errors.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabaseOptions {
  /** DATABASE_URL: postgres://... (or postgresql://...). Absent or empty = SQLite at sqlitePath. */
  url?: string;
  /** SQLite file; default ./data/edgeward.sqlite (its directory is created). ':memory:' works for throwaway use. */
  sqlitePath?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_PATH = './data/edgeward.sqlite';

/**
 * Kysely's SQLite driver starts transactions with a plain (deferred) BEGIN. A deferred transaction that reads and
 * then writes can fail with SQLITE_BUSY when another process wrote in between, and busy_timeout cannot help with
 * that. BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so writers from other processes
 * (e.g. `edgeward` CLI next to the control plane) queue instead of failing. Within one process the driver's single
 * connection is already behind a mutex, so transactions never interleave.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite DDL is transactional, but Kysely's adapter says otherwise, so its Migrator would run migrations outside a
 * transaction and with no lock at all (a failed migration half-applied; two processes migrating one file at once).
 * Saying true makes the Migrator read its state and apply migrations inside one BEGIN IMMEDIATE transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the control plane's database: PostgreSQL when `url` is a postgres:// URL, otherwise SQLite.
 * Does not run migrations (see migrateToLatest).
 */
export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const url = opts.url?.trim() || undefined;
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new EdgewardError(
      'invalid_database_url',
      'database URL must start with postgres:// or postgresql:// (leave it unset for SQLite)',
      {
        field: 'databaseUrl',
      },
    );
  }
  if (isPostgresUrl(url)) {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    // An idle client losing its server (restart, network) emits 'error' on the pool; without a listener that
    // would crash the process. The next query gets a fresh client, so logging is enough here.
    pool.on('error', (e) => {
      process.emitWarning(`PostgreSQL idle client error: ${e.message}`, 'EdgewardDatabaseWarning');
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
    } catch (e) {
      await db.destroy();
      throw new EdgewardError(
        'database_unreachable',
        `cannot connect to PostgreSQL: ${(e as Error).message}`,
        {
          field: 'databaseUrl',
          cause: e,
        },
      );
    }
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }

  const path = opts.sqlitePath ?? DEFAULT_SQLITE_PATH;
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/** Which dialect a Kysely instance talks to (for the few places that need dialect-specific SQL). */
export function dialectOf(db: Kysely<Database>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
