import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { EdgewardError } from '../../shared/errors.js';
import { holdWriteLock, type Executor } from '../db/transact.js';
import type { AuditLogRow, Database } from '../db/schema.js';
import { canonicalJson } from './canonical-json.js';

/**
 * The tamper-evident audit log: every state change, hash-chained. Entry n's hash is
 *   sha256_hex(canonicalJson({ seq, at, actor, action, object_type, object_id, reason, before, after, prev_hash }))
 * where before/after are the JSON values (null when absent) and prev_hash is entry n-1's hash (64 zeros for the
 * first). seq is gapless (assigned max + 1 under the write lock), so a missing seq means a removed entry.
 * Threat model and anchoring: docs/control-data.md.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  /** Who: e.g. 'operator:3', 'customer_user:7', 'system'. */
  actor: string;
  /** What, as a dotted verb: e.g. 'zone.create', 'rule.remove'. */
  action: string;
  objectType: string;
  objectId: string;
  reason?: string | null;
  /** The object before the change (undefined/null = did not exist). Must be JSON-serialisable. */
  before?: unknown;
  /** The object after the change (undefined/null = no longer exists). */
  after?: unknown;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditHead {
  /** Number of the last entry (0 when the log is empty). */
  seq: number;
  /** Hash of the last entry (GENESIS_HASH when empty). Publish it: see docs/control-data.md. */
  hash: string;
}

/** The hash of an entry from its fields (see the module comment). */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const canonical = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    reason: e.reason,
    before: e.before ?? null,
    after: e.after ?? null,
    prev_hash: e.prevHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function toJsonColumn(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  try {
    return canonicalJson(value);
  } catch (e) {
    throw new EdgewardError(
      'invalid_audit_value',
      `audit ${field} is not JSON-serialisable: ${(e as Error).message}`,
      { field, cause: e },
    );
  }
}

/** Row -> entry. Throws (SyntaxError) when a JSON column does not parse: verify treats that as an alteration. */
export function auditEntryFromRow(row: AuditLogRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    reason: row.reason,
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends one entry. Must run inside `transact` (or any transaction: the write lock is taken here too), in the
 * same transaction as the change it records, so the log and the state never disagree.
 */
export async function appendAudit(trx: Executor, e: AuditEvent): Promise<AuditEntry> {
  for (const field of ['actor', 'action', 'objectType', 'objectId'] as const) {
    if (typeof e[field] !== 'string' || e[field].length === 0) {
      throw new EdgewardError('invalid_audit_event', `audit ${field} must be a non-empty string`, { field });
    }
  }
  await holdWriteLock(trx, 'appendAudit');
  const head = await auditHead(trx);
  const beforeText = toJsonColumn(e.before, 'before');
  const afterText = toJsonColumn(e.after, 'after');
  const draft: Omit<AuditEntry, 'hash'> = {
    seq: head.seq + 1,
    at: new Date().toISOString(),
    actor: e.actor,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    reason: e.reason ?? null,
    // Hash what verify will read back: the values as parsed from the stored text.
    before: beforeText === null ? null : (JSON.parse(beforeText) as unknown),
    after: afterText === null ? null : (JSON.parse(afterText) as unknown),
    prevHash: head.hash,
  };
  const hash = auditEntryHash(draft);
  await trx
    .insertInto('audit_log')
    .values({
      seq: draft.seq,
      at: draft.at,
      actor: draft.actor,
      action: draft.action,
      object_type: draft.objectType,
      object_id: draft.objectId,
      reason: draft.reason,
      before: beforeText,
      after: afterText,
      prev_hash: draft.prevHash,
      hash,
    })
    .execute();
  return { ...draft, hash };
}

/** The last entry's seq and hash: the value to anchor outside the database. */
export async function auditHead(db: Kysely<Database>): Promise<AuditHead> {
  const row = await db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
}

export interface AuditQuery {
  objectType?: string;
  objectId?: string;
  actor?: string;
  /** Entries with seq < beforeSeq (for paging backwards from the newest). */
  beforeSeq?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** Newest first. */
export async function listAudit(db: Kysely<Database>, q: AuditQuery = {}): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (q.objectType !== undefined) query = query.where('object_type', '=', q.objectType);
  if (q.objectId !== undefined) query = query.where('object_id', '=', q.objectId);
  if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), 1000);
  const rows = await query.orderBy('seq', 'desc').limit(limit).execute();
  return rows.map(auditEntryFromRow);
}

/** Walks the log in seq order, a page at a time (constant memory for any length). */
export async function* auditRows(
  db: Kysely<Database>,
  pageSize = 1000,
  afterSeq?: number,
): AsyncGenerator<AuditLogRow> {
  let after = afterSeq;
  for (;;) {
    let q = db.selectFrom('audit_log').selectAll();
    if (after !== undefined) q = q.where('seq', '>', after);
    const rows = await q.orderBy('seq', 'asc').limit(pageSize).execute();
    for (const row of rows) yield row;
    const last = rows[rows.length - 1];
    if (rows.length < pageSize || last === undefined) return;
    after = Number(last.seq);
  }
}

/**
 * Writes the log as JSON lines (one entry a line, camelCase fields as in AuditEntry, before/after as JSON values),
 * honouring backpressure. Returns the number of entries written. Does not end `out`.
 */
export async function exportAudit(
  db: Kysely<Database>,
  out: Writable,
  opts: { afterSeq?: number } = {},
): Promise<number> {
  let n = 0;
  for await (const row of auditRows(db, 1000, opts.afterSeq)) {
    let entry: unknown;
    try {
      entry = auditEntryFromRow(row);
    } catch {
      // An unparseable JSON column (tampering or corruption) is exported verbatim so nothing is hidden.
      entry = { ...rowAsExported(row), before: row.before, after: row.after, unparseable: true };
    }
    if (!out.write(JSON.stringify(entry) + '\n')) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          out.off('error', onError);
          resolve();
        };
        const onError = (e: Error) => {
          out.off('drain', onDrain);
          reject(e);
        };
        out.once('drain', onDrain);
        out.once('error', onError);
      });
    }
    n++;
  }
  return n;
}

function rowAsExported(row: AuditLogRow): Record<string, unknown> {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
