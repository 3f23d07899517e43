import { sql, type Kysely, type Transaction } from 'kysely';
import { EdgewardError } from '../../shared/errors.js';
import { dialectOf } from './open-database.js';
import type { Database } from './schema.js';

/**
 * Advisory-lock key taken by every `transact` on PostgreSQL ("EDGW" as int32). One key for all writers: the
 * ordered logs (config_changes, audit_log) are appended by most writes anyway, and control-plane write rates are
 * low enough that one queue costs nothing measurable while making ordering trivially correct.
 */
export const WRITE_LOCK_KEY = 0x45444757;

/** What repos and log appenders take: the database, or a transaction on it. */
export type Executor = Kysely<Database>;

/**
 * Runs `fn` in a transaction in which the caller may append to the ordered logs.
 *
 * PostgreSQL: `serial` values are handed out at INSERT time but become visible at COMMIT, so two concurrent
 * transactions could commit versions out of order and an edge reading `version > N` could see N+2 before N+1
 * (and then skip N+1 forever); two audit appends could both read the same head and fork the chain.
 * `pg_advisory_xact_lock` at the start serialises these writers until commit, so versions become visible in order.
 *
 * SQLite: the driver has one connection behind a mutex (transactions in one process never interleave) and our
 * driver begins with BEGIN IMMEDIATE (writers in other processes wait on busy_timeout instead of interleaving).
 *
 * Inside `fn` use only `trx`: on SQLite, touching `db` would wait for the connection `fn` is holding (deadlock).
 * Nested calls with a transaction just run `fn` in it (on PostgreSQL taking the lock, which is re-entrant).
 */
export async function transact<T>(db: Executor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const pg = dialectOf(db) === 'postgres';
  if (db.isTransaction) {
    const trx = db as Transaction<Database>;
    if (pg) await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_KEY)})`.execute(trx);
    return fn(trx);
  }
  return db.transaction().execute(async (trx) => {
    if (pg) await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_KEY)})`.execute(trx);
    return fn(trx);
  });
}

/**
 * Runs `fn` over one consistent view of the database, for reads that must agree with each other (a snapshot and its
 * version). PostgreSQL: a REPEATABLE READ transaction. SQLite: a deferred BEGIN (in WAL mode a read snapshot that does
 * not take the write lock, so it never holds up writers in other processes).
 */
export async function readConsistent<T>(db: Executor, fn: (reader: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  if (dialectOf(db) === 'postgres') {
    return db.transaction().setIsolationLevel('repeatable read').execute(fn);
  }
  return db.connection().execute(async (conn) => {
    await sql`begin deferred`.execute(conn);
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      await sql`rollback`.execute(conn);
      throw e;
    }
    await sql`commit`.execute(conn);
    return result;
  });
}

/**
 * For appenders of the ordered logs: refuses to run outside a transaction (the head read and the append must be
 * atomic) and, on PostgreSQL, takes the write lock (re-entrant, so a no-op under `transact`).
 */
export async function holdWriteLock(trx: Executor, what: string): Promise<void> {
  if (!trx.isTransaction) {
    throw new EdgewardError('not_in_transaction', `${what} must run inside transact(db, trx => ...)`);
  }
  if (dialectOf(trx) === 'postgres')
    await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_KEY)})`.execute(trx);
}
