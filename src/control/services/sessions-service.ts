import type { PrincipalType } from '../db/schema.js';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.js';
import { randomSecret, sha256Hex } from '../auth/secrets.js';
import { getCustomerUserByEmail } from '../repos/customers.js';
import { getOperatorByEmail } from '../repos/operators.js';
import { findReportersByEmail } from '../repos/reporters.js';
import { deleteExpiredSessions, deleteSession, insertSession } from '../repos/sessions.js';
import { EdgewardError } from '../../shared/errors.js';
import type { ServiceDeps } from './service-deps.js';

export interface LoginResult {
  /** Goes into the HttpOnly cookie; only its sha256 is stored. */
  sessionSecret: string;
  csrfToken: string;
  expiresAt: string;
  principal: { type: PrincipalType; id: number; email: string };
}

/** One login for operators, customer users and reporters with a password. Failure never says which part was wrong. */
export async function login(deps: ServiceDeps, email: string, password: string): Promise<LoginResult> {
  let found: { type: PrincipalType; id: number; email: string; hash: string } | undefined;
  const op = await getOperatorByEmail(deps.db, email);
  if (op && op.disabledAt === null)
    found = { type: 'operator', id: op.id, email: op.email, hash: op.passwordHash };
  if (!found && !op) {
    const u = await getCustomerUserByEmail(deps.db, email);
    if (u && u.disabledAt === null)
      found = { type: 'customer_user', id: u.id, email: u.email, hash: u.passwordHash };
  }
  let ok = false;
  if (found) {
    ok = await verifyPassword(found.hash, password);
  } else {
    for (const r of await findReportersByEmail(deps.db, email)) {
      if (r.passwordHash !== null && (await verifyPassword(r.passwordHash, password))) {
        found = { type: 'reporter', id: r.id, email: r.email, hash: r.passwordHash };
        ok = true;
        break;
      }
    }
    // Spend the same time as a real check so response time does not reveal whether the email exists.
    if (!found) await verifyPassword(await dummyPasswordHash(), password);
  }
  if (!found || !ok) throw new EdgewardError('invalid_credentials', 'wrong email or password');

  const sessionSecret = randomSecret(32);
  const csrfToken = randomSecret(24);
  const expiresAt = new Date(Date.now() + deps.sessionTtlSeconds * 1000).toISOString();
  await deleteExpiredSessions(deps.db);
  await insertSession(deps.db, {
    id: sha256Hex(sessionSecret),
    principalType: found.type,
    principalId: found.id,
    csrfToken,
    expiresAt,
  });
  return {
    sessionSecret,
    csrfToken,
    expiresAt,
    principal: { type: found.type, id: found.id, email: found.email },
  };
}

export async function logout(deps: ServiceDeps, sessionId: string): Promise<void> {
  await deleteSession(deps.db, sessionId);
}
