import { actorOf, TOKEN_SCOPES, type Principal } from '../auth/principal.js';
import { newApiTokenSecret } from '../auth/secrets.js';
import {
  getApiToken,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiToken,
} from '../repos/api-tokens.js';
import { getCustomerUser, listCustomerUsers } from '../repos/customers.js';
import type { Executor } from '../db/transact.js';
import { isOperator } from './access.js';
import { runWrite, type ServiceDeps } from './service-deps.js';
import { forbidden, invalid, notFound } from './service-errors.js';
import { tokenView, type TokenView } from './views.js';

/** Scopes each kind of principal may put on its own tokens. */
const SCOPES_FOR: Record<'operator' | 'customer_user' | 'reporter', readonly string[]> = {
  // Everything but 'edge': edge tokens are made by their own route, without a principal.
  operator: TOKEN_SCOPES.filter((s) => s !== 'edge'),
  customer_user: ['*', 'zones:read', 'zones:write', 'purge', 'tokens'],
  reporter: ['*'],
};

/** May `actor` see/revoke token `t`? Admins: any; customer users: any of their customer's users; else own only. */
async function canManage(db: Executor, actor: Principal, t: ApiToken): Promise<boolean> {
  if (isOperator(actor, 'admin')) return true;
  if (actor.kind === 'edge') return false;
  if (actor.kind === 'customer_user' && t.principalType === 'customer_user' && t.principalId !== null) {
    const owner = await getCustomerUser(db, t.principalId);
    return owner !== undefined && owner.customerId === actor.customerId;
  }
  return t.principalType === actor.kind && t.principalId === actor.id;
}

/** Creates a token for the caller (or an edge token, admins only). The secret is in the result ONCE, never stored. */
export async function createApiToken(
  deps: ServiceDeps,
  actor: Principal,
  input: { name: string; scopes: string[]; edge?: boolean },
): Promise<TokenView & { token: string }> {
  if (actor.kind === 'edge') throw forbidden('edge tokens cannot create tokens');
  let principalType: ApiToken['principalType'];
  let principalId: number | null;
  let scopes = [...new Set(input.scopes)];
  if (input.edge) {
    if (!isOperator(actor, 'admin')) throw forbidden('only admins create edge tokens');
    principalType = 'edge';
    principalId = null;
    scopes = ['edge'];
  } else {
    principalType = actor.kind;
    principalId = actor.id;
    const allowed = SCOPES_FOR[actor.kind];
    scopes.forEach((s, i) => {
      if (!allowed.includes(s))
        throw invalid(`scope ${s} is not available to a ${actor.kind}`, `scopes[${i}]`);
    });
    if (scopes.length === 0) throw invalid('at least one scope is required', 'scopes');
  }
  const secret = newApiTokenSecret();
  return runWrite(deps, async (w) => {
    const t = await insertApiToken(w.trx, {
      principalType,
      principalId,
      name: input.name,
      tokenHash: secret.hash,
      tokenPrefix: secret.prefix,
      scopes,
    });
    await w.audit({
      actor: actorOf(actor),
      action: 'token.create',
      objectType: 'api_token',
      objectId: String(t.id),
      after: tokenView(t),
    });
    return { ...tokenView(t), token: secret.token };
  });
}

export async function listApiTokenViews(deps: ServiceDeps, actor: Principal): Promise<TokenView[]> {
  if (actor.kind === 'edge') return [];
  if (isOperator(actor, 'admin')) return (await listApiTokens(deps.db)).map(tokenView);
  if (actor.kind === 'customer_user') {
    const out: TokenView[] = [];
    for (const u of await listCustomerUsers(deps.db, actor.customerId)) {
      out.push(
        ...(await listApiTokens(deps.db, { principalType: 'customer_user', principalId: u.id })).map(
          tokenView,
        ),
      );
    }
    return out.sort((a, b) => a.id - b.id);
  }
  return (await listApiTokens(deps.db, { principalType: actor.kind, principalId: actor.id })).map(tokenView);
}

export async function revokeApiTokenById(deps: ServiceDeps, actor: Principal, id: number, reason?: string) {
  return runWrite(deps, async (w) => {
    const before = await getApiToken(w.trx, id);
    if (!before || !(await canManage(w.trx, actor, before))) throw notFound('token');
    const after = (await revokeApiToken(w.trx, id)) ?? before;
    await w.audit({
      actor: actorOf(actor),
      action: 'token.revoke',
      objectType: 'api_token',
      objectId: String(id),
      reason: reason ?? null,
      before: tokenView(before),
      after: tokenView(after),
    });
    return tokenView(after);
  });
}
