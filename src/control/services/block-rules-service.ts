import { parseRule } from '../../shared/rules/parse-rule.js';
import type { RuleMatchKind } from '../../shared/rules/block-rule.js';
import { EdgewardError } from '../../shared/errors.js';
import { actorOf, type Principal } from '../auth/principal.js';
import {
  blockRuleOf,
  getBlockRule,
  insertBlockRule,
  listBlockRules,
  markBlockRuleRemoved,
} from '../repos/block-rules.js';
import { getZone } from '../repos/zones.js';
import { requireOperator } from './access.js';
import { runWrite, type ServiceDeps } from './service-deps.js';
import { conflict, notFound } from './service-errors.js';

export interface BlockRuleInput {
  zoneId?: string | null;
  match: RuleMatchKind;
  url: string;
  countries?: string[] | null;
  noticeUrl: string;
  demandedBy?: string | null;
  law?: string | null;
  reason?: string;
}

const RULE_ROLES = ['admin', 'analyst', 'legal'] as const;
/** parseRule names its fields as in the rules file; the API's names differ only for the notice. */
const API_FIELD: Record<string, string> = { notice: 'noticeUrl' };

/** Adds a takedown decision; every edge learns it through a rule.add change committed with it. */
export async function addBlockRule(deps: ServiceDeps, actor: Principal, input: BlockRuleInput) {
  requireOperator(actor, ...RULE_ROLES);
  const { rule, errors } = parseRule(
    {
      match: input.match,
      url: input.url,
      countries: input.countries ?? null,
      notice: input.noticeUrl,
      ...(input.demandedBy == null ? {} : { demandedBy: input.demandedBy }),
      ...(input.law == null ? {} : { law: input.law }),
    },
    0,
    'rule',
  );
  if (!rule || errors.length > 0) {
    const first = errors[0];
    const raw = (first?.field ?? 'rule: url').replace(/^rule: /, '');
    const field = API_FIELD[raw] ?? raw;
    throw new EdgewardError(
      'invalid_request',
      first?.message.replace(/^rule: [^:]+: /, `${field}: `) ?? 'invalid rule',
      { field },
    );
  }
  return runWrite(deps, async (w) => {
    if (input.zoneId != null && !(await getZone(w.trx, input.zoneId))) throw notFound('zone', 'zoneId');
    const stored = await insertBlockRule(w.trx, {
      zoneId: input.zoneId ?? null,
      match: rule.match,
      url: rule.url,
      countries: rule.countries === null ? null : [...rule.countries],
      noticeUrl: rule.notice,
      demandedBy: rule.demandedBy ?? null,
      law: rule.law ?? null,
      createdBy: actorOf(actor),
    });
    await w.audit({
      actor: actorOf(actor),
      action: 'rule.add',
      objectType: 'block_rule',
      objectId: String(stored.id),
      reason: input.reason ?? null,
      after: stored,
    });
    const change = await w.change({ kind: 'rule.add', rule: blockRuleOf(stored) });
    return { ...stored, configVersion: change.version };
  });
}

export async function removeBlockRule(deps: ServiceDeps, actor: Principal, id: number, reason: string) {
  requireOperator(actor, ...RULE_ROLES);
  return runWrite(deps, async (w) => {
    const before = await getBlockRule(w.trx, id);
    if (!before) throw notFound('rule');
    if (before.removedAt !== null) throw conflict('invalid_state', 'the rule was already removed', 'id');
    const after = await markBlockRuleRemoved(w.trx, id, actorOf(actor), reason);
    if (!after) throw conflict('invalid_state', 'the rule was already removed', 'id');
    await w.audit({
      actor: actorOf(actor),
      action: 'rule.remove',
      objectType: 'block_rule',
      objectId: String(id),
      reason,
      before,
      after,
    });
    const change = await w.change({ kind: 'rule.remove', rule: blockRuleOf(before) });
    return { ...after, configVersion: change.version };
  });
}

export async function listBlockRuleViews(
  deps: ServiceDeps,
  actor: Principal,
  q: { activeOnly?: boolean; zoneId?: string },
) {
  requireOperator(actor, ...RULE_ROLES);
  return listBlockRules(deps.db, q);
}
