import { actorOf } from './principal.js';
import { hashPassword } from './passwords.js';
import { randomPassword } from './secrets.js';
import { countOperators, insertOperator } from '../repos/operators.js';
import { runWrite, type ServiceDeps } from '../services/service-deps.js';
import { operatorView } from '../services/views.js';

/**
 * First start: when no operator exists, creates an admin with a random one-time password and returns it (to be
 * printed once; it is never stored in clear). Counting and inserting happen in one serialized transaction, so two
 * processes starting together create one admin.
 */
export async function bootstrapAdmin(
  deps: ServiceDeps,
  email: string,
): Promise<{ email: string; password: string } | undefined> {
  const password = randomPassword();
  const passwordHash = await hashPassword(password);
  return runWrite(deps, async (w) => {
    if ((await countOperators(w.trx)) > 0) return undefined;
    const o = await insertOperator(w.trx, { email, name: 'Administrator', role: 'admin', passwordHash });
    await w.audit({
      actor: actorOf('system'),
      action: 'operator.bootstrap',
      objectType: 'operator',
      objectId: String(o.id),
      reason: 'first start: no operator existed',
      after: operatorView(o),
    });
    return { email: o.email, password };
  });
}
