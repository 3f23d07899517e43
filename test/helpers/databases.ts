import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { openDatabase, type DialectName } from '../../src/control/db/open-database.js';
import { migrateToLatest } from '../../src/control/db/migrate.js';
import type { Database } from '../../src/control/db/schema.js';

/**
 * Real databases for tests: a fresh SQLite file in a mkdtemp directory, and a fresh, uniquely named PostgreSQL
 * DATABASE on the server at EDGEWARD_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * dropped afterwards, so parallel test files never collide.
 *
 * When PostgreSQL is unreachable: with CI set the PostgreSQL half FAILS; otherwise it is skipped with a message.
 */
export const TEST_PG_ADMIN_URL =
  process.env.EDGEWARD_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** postgres:// URL of the fresh database (PostgreSQL only): pass it to a control plane under test. */
  url: string | undefined;
  /** SQLite file path (SQLite only). */
  sqlitePath: string | undefined;
  /** Closes the connection(s) and deletes the database. Idempotent. */
  cleanup(): Promise<void>;
}

let probe: Promise<string | null> | undefined;

/** null when PostgreSQL answers, else why not. Cached for the process. */
export function postgresUnavailableReason(): Promise<string | null> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (e) {
      return `PostgreSQL at ${TEST_PG_ADMIN_URL} unreachable: ${(e as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh database of the given dialect (migrated to latest unless `migrate: false`).
 * Throws when PostgreSQL is unreachable: callers decide whether that skips or fails (see describeBothDatabases).
 */
export async function createTestDatabase(
  dialect: DialectName,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-db-'));
    const sqlitePath = join(dir, 'control.sqlite');
    const opened = await openDatabase({ sqlitePath });
    let done = false;
    const cleanup = async () => {
      if (done) return;
      done = true;
      await opened.close();
      await rm(dir, { recursive: true, force: true });
    };
    try {
      if (opts.migrate !== false) await migrateToLatest(opened.db);
    } catch (e) {
      await cleanup();
      throw e;
    }
    return { db: opened.db, dialect, url: undefined, sqlitePath, cleanup };
  }

  const name = `edgeward_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const u = new URL(TEST_PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  let done = false;
  let opened: Awaited<ReturnType<typeof openDatabase>> | undefined;
  const cleanup = async () => {
    if (done) return;
    done = true;
    await opened?.close();
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
  try {
    opened = await openDatabase({ url, poolSize: 20 });
    if (opts.migrate !== false) await migrateToLatest(opened.db);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { db: opened.db, dialect, url, sqlitePath: undefined, cleanup };
}

export interface DatabaseContext {
  /** The suite's database (available inside tests and hooks, after the suite's `before`). */
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly testDatabase: TestDatabase;
}

/**
 * Declares the suite twice, `title [sqlite]` and `title [postgres]`, each with its own fresh, migrated database
 * shared by the suite's tests and removed after them. Read `ctx.db` inside tests/hooks, not at declaration time.
 */
export function describeBothDatabases(title: string, body: (ctx: DatabaseContext) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, async () => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailableReason();
        if (why !== null) {
          if (process.env.CI) {
            test('PostgreSQL is required in CI', () => {
              throw new Error(why);
            });
          } else {
            test(`PostgreSQL half skipped: ${why}`, { skip: why }, () => undefined);
          }
          return;
        }
      }
      let current: TestDatabase | undefined;
      const ctx: DatabaseContext = {
        get db() {
          if (!current) throw new Error('test database not ready: use ctx.db inside a test or hook');
          return current.db;
        },
        dialect,
        get testDatabase() {
          if (!current) throw new Error('test database not ready');
          return current;
        },
      };
      before(async () => {
        current = await createTestDatabase(dialect);
      });
      after(async () => {
        await current?.cleanup();
      });
      body(ctx);
    });
  }
}

/**
 * Runs `fn` once per dialect on a fresh migrated database, cleaned up afterwards (for a test that wants its own
 * database). The PostgreSQL run is skipped (or fails under CI) when PostgreSQL is unreachable.
 */
export async function forEachDatabase(
  name: string,
  fn: (db: Kysely<Database>, dialect: DialectName, testDatabase: TestDatabase) => Promise<void>,
): Promise<void> {
  for (const dialect of DIALECTS) {
    if (dialect === 'postgres') {
      const why = await postgresUnavailableReason();
      if (why !== null) {
        if (process.env.CI) throw new Error(`${name} [postgres]: ${why}`);
        process.stderr.write(`# ${name} [postgres] skipped: ${why}\n`);
        continue;
      }
    }
    const t = await createTestDatabase(dialect);
    try {
      await fn(t.db, dialect, t);
    } catch (e) {
      throw new Error(`${name} [${dialect}]: ${(e as Error).message}`, { cause: e });
    } finally {
      await t.cleanup();
    }
  }
}
