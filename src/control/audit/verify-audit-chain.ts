import type { Kysely } from 'kysely';
import type { AuditLogRow, Database } from '../db/schema.js';
import {
  auditEntryFromRow,
  auditEntryHash,
  auditRows,
  GENESIS_HASH,
  type AuditEntry,
  type AuditHead,
} from './audit-log.js';

export type AuditChainProblem = 'altered' | 'removed' | 'reordered';

export type AuditChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; firstBadSeq: number; problem: AuditChainProblem };

export interface VerifyAuditOptions {
  pageSize?: number;
  /**
   * A head published earlier (transparency report, an edge's copy). The chain must still contain that entry with
   * that hash: this catches what the chain alone cannot (the newest entries removed, or the whole chain rewritten).
   */
  anchor?: AuditHead;
}

/** How far from its position an entry's original seq is searched for, to tell "removed" from "reordered". */
const SEARCH_WINDOW = 64;

/**
 * Recomputes the chain from the first entry, a page at a time, and names the first entry that is not as written:
 * - `removed`: a seq is missing (the entry with that number was deleted), or entries were deleted and the rest
 *   renumbered;
 * - `altered`: an entry's content no longer matches its hash, or an entry was rewritten with a recomputed hash
 *   (then its successor's prev_hash gives it away: the rewritten entry, not the successor, is named);
 * - `reordered`: an entry sits under another entry's seq while its own seq is taken by another entry.
 * `entries` counts the intact entries before the first bad one.
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  opts: VerifyAuditOptions = {},
): Promise<AuditChainVerdict> {
  const pageSize = opts.pageSize ?? 1000;
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  // Recent hashes -> seq, to recognise what a misplaced entry was chained to. Bounded: memory stays constant.
  const recent = new Map<string, number>();
  const bad = (firstBadSeq: number, problem: AuditChainProblem): AuditChainVerdict => ({
    ok: false,
    entries: count,
    firstBadSeq,
    problem,
  });

  for await (const row of auditRows(db, pageSize)) {
    const seq = Number(row.seq);
    if (seq < expectedSeq) return bad(seq, 'altered');
    if (seq > expectedSeq) return bad(expectedSeq, 'removed');
    const entry = parse(row);
    const hashOk = entry !== undefined && auditEntryHash(entry) === row.hash;
    const linkOk = row.prev_hash === prev;
    if (hashOk && linkOk) {
      if (opts.anchor && seq === opts.anchor.seq && row.hash !== opts.anchor.hash) return bad(seq, 'altered');
      prev = row.hash;
      recent.set(row.hash, seq);
      if (recent.size > 4 * SEARCH_WINDOW) recent.delete(recent.keys().next().value as string);
      expectedSeq++;
      count++;
      continue;
    }
    if (!hashOk && linkOk) return bad(seq, 'altered');
    if (hashOk && !linkOk) {
      // This entry is intact, but what precedes it is not what it was chained to: the predecessor was rewritten
      // (hash recomputed to hide it). Only the first entry can be blamed on itself.
      const chainedTo = recent.get(row.prev_hash);
      if (chainedTo !== undefined && chainedTo < seq - 1) return bad(chainedTo + 1, 'altered');
      return bad(seq === 1 ? 1 : seq - 1, 'altered');
    }
    // Neither its content nor its link fit this position: an entry moved here from another seq?
    const original = entry === undefined ? undefined : originalSeq(entry, row.hash);
    if (original === undefined) return bad(seq, 'altered');
    if (original < seq) return bad(seq, 'reordered');
    // A later entry sits here. If the entry that belongs here still exists further on, they were swapped;
    // otherwise entries were deleted and the rest renumbered.
    const belongsHereLater = await findEntryOriginallyAt(db, seq);
    return bad(seq, belongsHereLater ? 'reordered' : 'removed');
  }
  if (opts.anchor && opts.anchor.seq > count) return bad(count + 1, 'removed');
  return { ok: true, entries: count, head: prev };
}

function parse(row: AuditLogRow): AuditEntry | undefined {
  try {
    return auditEntryFromRow(row);
  } catch {
    return undefined; // a JSON column that no longer parses: reported as altered by the caller
  }
}

/** The seq under which this entry's hash was computed, searched near its current seq. */
function originalSeq(entry: AuditEntry, hash: string): number | undefined {
  for (let d = 1; d <= SEARCH_WINDOW; d++) {
    for (const s of [entry.seq + d, entry.seq - d]) {
      if (s >= 1 && auditEntryHash({ ...entry, seq: s }) === hash) return s;
    }
  }
  return undefined;
}

async function findEntryOriginallyAt(db: Kysely<Database>, seq: number): Promise<boolean> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', seq)
    .where('seq', '<=', seq + SEARCH_WINDOW)
    .orderBy('seq', 'asc')
    .execute();
  for (const row of rows) {
    const entry = parse(row);
    if (entry && auditEntryHash({ ...entry, seq }) === row.hash) return true;
  }
  return false;
}
