import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { getActiveApiTokenByHash, touchApiToken } from '../repos/api-tokens.js';
import { getCustomerUser } from '../repos/customers.js';
import { getOperator } from '../repos/operators.js';
import { getReporter } from '../repos/reporters.js';
import { getLiveSession, type Session } from '../repos/sessions.js';
import type { PrincipalType } from '../db/schema.js';
import type { Principal } from './principal.js';
import { sha256Hex } from './secrets.js';

/** last_used_at is refreshed at most this often per token (a write per request would be wasteful). */
const TOUCH_INTERVAL_MS = 60_000;

/** The principal behind a stored identity, or null when it no longer exists or is disabled. */
export async function loadPrincipal(
  db: Kysely<Database>,
  type: PrincipalType | 'edge',
  id: number | null,
  scopes: readonly string[] | null,
  tokenId?: number,
): Promise<Principal | null> {
  if (type === 'edge') return tokenId === undefined ? null : { kind: 'edge', tokenId, scopes };
  if (id === null) return null;
  if (type === 'operator') {
    const o = await getOperator(db, id);
    if (!o || o.disabledAt !== null) return null;
    return { kind: 'operator', id: o.id, role: o.role, email: o.email, scopes };
  }
  if (type === 'customer_user') {
    const u = await getCustomerUser(db, id);
    if (!u || u.disabledAt !== null) return null;
    return {
      kind: 'customer_user',
      id: u.id,
      customerId: u.customerId,
      role: u.role,
      email: u.email,
      scopes,
    };
  }
  const r = await getReporter(db, id);
  if (!r) return null;
  return { kind: 'reporter', id: r.id, email: r.email, scopes };
}

/**
 * `Authorization: Bearer <api token>` -> the token's principal (with its scopes), or null when the header is
 * absent, malformed, unknown, revoked, or its principal is disabled. Edge tokens come back as kind 'edge'.
 */
export async function authenticateBearer(
  db: Kysely<Database>,
  header: string | undefined,
): Promise<Principal | null> {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  const token = await getActiveApiTokenByHash(db, sha256Hex(m[1]!));
  if (!token) return null;
  const principal = await loadPrincipal(db, token.principalType, token.principalId, token.scopes, token.id);
  if (
    principal &&
    (token.lastUsedAt === null || Date.now() - Date.parse(token.lastUsedAt) > TOUCH_INTERVAL_MS)
  ) {
    await touchApiToken(db, token.id);
  }
  return principal;
}

/** True when the header carries a live edge token (what the sync routes need). */
export async function authenticateEdgeBearer(
  db: Kysely<Database>,
  header: string | undefined,
): Promise<boolean> {
  const p = await authenticateBearer(db, header);
  return p !== null && p.kind === 'edge';
}

/** The session cookie's secret -> the live session and its principal, or null. */
export async function authenticateSession(
  db: Kysely<Database>,
  secret: string | undefined,
): Promise<{ session: Session; principal: Principal } | null> {
  if (!secret) return null;
  const session = await getLiveSession(db, sha256Hex(secret));
  if (!session) return null;
  const principal = await loadPrincipal(db, session.principalType, session.principalId, null);
  return principal ? { session, principal } : null;
}
