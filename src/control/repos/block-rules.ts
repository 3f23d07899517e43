import type { BlockRule, RuleMatchKind } from '../../shared/rules/block-rule.js';
import type { BlockRuleRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { nowIso, parseNullableJsonColumn } from './row-values.js';

/** A block rule as the control plane stores it (who made it, whether and why it was lifted). */
export interface StoredBlockRule {
  id: number;
  zoneId: string | null;
  match: RuleMatchKind;
  url: string;
  countries: string[] | null;
  noticeUrl: string;
  demandedBy: string | null;
  law: string | null;
  createdBy: string;
  createdAt: string;
  removedAt: string | null;
  removedBy: string | null;
  removalReason: string | null;
}

export function storedBlockRuleFromRow(row: BlockRuleRow): StoredBlockRule {
  return {
    id: Number(row.id),
    zoneId: row.zone_id,
    match: row.match,
    url: row.url,
    countries: parseNullableJsonColumn<string[]>(row.countries, 'block_rules.countries'),
    noticeUrl: row.notice_url,
    demandedBy: row.demanded_by,
    law: row.law,
    createdBy: row.created_by,
    createdAt: row.created_at,
    removedAt: row.removed_at,
    removedBy: row.removed_by,
    removalReason: row.removal_reason,
  };
}

/** The rule as edges enforce it. Used by the snapshot and by rule.add / rule.remove change bodies alike. */
export function blockRuleOf(r: StoredBlockRule): BlockRule {
  return {
    id: r.id,
    match: r.match,
    url: r.url,
    countries: r.countries === null ? null : [...r.countries],
    notice: r.noticeUrl,
    ...(r.demandedBy === null ? {} : { demandedBy: r.demandedBy }),
    ...(r.law === null ? {} : { law: r.law }),
  };
}

export interface NewBlockRule {
  zoneId?: string | null;
  match: RuleMatchKind;
  url: string;
  countries?: string[] | null;
  noticeUrl: string;
  demandedBy?: string | null;
  law?: string | null;
  createdBy: string;
}

export async function insertBlockRule(db: Executor, r: NewBlockRule): Promise<StoredBlockRule> {
  const row = await db
    .insertInto('block_rules')
    .values({
      zone_id: r.zoneId ?? null,
      match: r.match,
      url: r.url,
      countries: r.countries == null ? null : JSON.stringify(r.countries),
      notice_url: r.noticeUrl,
      demanded_by: r.demandedBy ?? null,
      law: r.law ?? null,
      created_by: r.createdBy,
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return storedBlockRuleFromRow(row);
}

export async function getBlockRule(db: Executor, id: number): Promise<StoredBlockRule | undefined> {
  const row = await db.selectFrom('block_rules').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? storedBlockRuleFromRow(row) : undefined;
}

export async function listBlockRules(
  db: Executor,
  q: { activeOnly?: boolean; zoneId?: string } = {},
): Promise<StoredBlockRule[]> {
  let query = db.selectFrom('block_rules').selectAll();
  if (q.activeOnly) query = query.where('removed_at', 'is', null);
  if (q.zoneId !== undefined) query = query.where('zone_id', '=', q.zoneId);
  const rows = await query.orderBy('id').execute();
  return rows.map(storedBlockRuleFromRow);
}

/** Lifts a rule (rows are never deleted). Undefined when there is no such active rule. */
export async function markBlockRuleRemoved(
  db: Executor,
  id: number,
  by: string,
  reason: string | null,
): Promise<StoredBlockRule | undefined> {
  const row = await db
    .updateTable('block_rules')
    .set({ removed_at: nowIso(), removed_by: by, removal_reason: reason })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? storedBlockRuleFromRow(row) : undefined;
}
