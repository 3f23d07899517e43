import type { Principal } from '../auth/principal.js';
import { actorOf } from '../auth/principal.js';
import { checkPasswordStrength, hashPassword } from '../auth/passwords.js';
import type { CustomerUserRole, KycStatus, OperatorRole } from '../db/schema.js';
import { listApiTokens, revokeApiToken } from '../repos/api-tokens.js';
import {
  getCustomer,
  getCustomerUserByEmail,
  insertCustomer,
  insertCustomerUser,
  listCustomers,
  listCustomerUsers,
  updateCustomer,
} from '../repos/customers.js';
import {
  getOperator,
  getOperatorByEmail,
  insertOperator,
  listOperators,
  updateOperator,
} from '../repos/operators.js';
import { getReporter, insertReporter, listReporters } from '../repos/reporters.js';
import { deleteSessionsOf } from '../repos/sessions.js';
import type { Executor } from '../db/transact.js';
import { assertCustomerVisible, requireOperator } from './access.js';
import { runWrite, type ServiceDeps } from './service-deps.js';
import { conflict, notFound } from './service-errors.js';
import { customerUserView, customerView, operatorView, reporterView } from './views.js';

/** Operators, customers and their users, reporters. Roles are enforced by the route table; isolation here too. */

/** Login emails are unique across operators and customer users (one login form for both). */
async function assertEmailFree(trx: Executor, email: string): Promise<void> {
  if ((await getOperatorByEmail(trx, email)) || (await getCustomerUserByEmail(trx, email))) {
    throw conflict('email_taken', `${email} is already in use`, 'email');
  }
}

export async function createOperator(
  deps: ServiceDeps,
  actor: Principal | 'system',
  input: { email: string; name: string; role: OperatorRole; password: string },
) {
  if (actor !== 'system') requireOperator(actor, 'admin');
  checkPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  return runWrite(deps, async (w) => {
    await assertEmailFree(w.trx, input.email);
    const o = await insertOperator(w.trx, { ...input, passwordHash });
    await w.audit({
      actor: actorOf(actor),
      action: 'operator.create',
      objectType: 'operator',
      objectId: String(o.id),
      after: operatorView(o),
    });
    return operatorView(o);
  });
}

export async function listOperatorViews(deps: ServiceDeps, actor: Principal) {
  requireOperator(actor, 'admin');
  return (await listOperators(deps.db)).map(operatorView);
}

/** Changes role and/or disables/enables. Never leaves the system without an enabled admin. */
export async function updateOperatorAccount(
  deps: ServiceDeps,
  actor: Principal,
  id: number,
  input: { role?: OperatorRole; disabled?: boolean; reason?: string },
) {
  requireOperator(actor, 'admin');
  return runWrite(deps, async (w) => {
    const before = await getOperator(w.trx, id);
    if (!before) throw notFound('operator');
    const disabledAt =
      input.disabled === undefined
        ? undefined
        : input.disabled
          ? (before.disabledAt ?? new Date().toISOString())
          : null;
    const after = await updateOperator(w.trx, id, {
      ...(input.role === undefined ? {} : { role: input.role }),
      ...(disabledAt === undefined ? {} : { disabledAt }),
    });
    if (!after) throw notFound('operator');
    const admins = (await listOperators(w.trx)).filter((o) => o.role === 'admin' && o.disabledAt === null);
    if (admins.length === 0) throw conflict('last_admin', 'this would leave no enabled admin', 'role');
    if (after.disabledAt !== null && before.disabledAt === null) {
      await deleteSessionsOf(w.trx, 'operator', id);
      for (const t of await listApiTokens(w.trx, { principalType: 'operator', principalId: id })) {
        if (t.revokedAt === null) await revokeApiToken(w.trx, t.id);
      }
    }
    await w.audit({
      actor: actorOf(actor),
      action:
        input.disabled === true
          ? 'operator.disable'
          : input.role !== undefined
            ? 'operator.role'
            : 'operator.update',
      objectType: 'operator',
      objectId: String(id),
      reason: input.reason ?? null,
      before: operatorView(before),
      after: operatorView(after),
    });
    return operatorView(after);
  });
}

export async function createCustomer(
  deps: ServiceDeps,
  actor: Principal,
  input: { name: string; kycStatus?: KycStatus },
) {
  requireOperator(actor, 'admin');
  return runWrite(deps, async (w) => {
    const c = await insertCustomer(w.trx, input);
    await w.audit({
      actor: actorOf(actor),
      action: 'customer.create',
      objectType: 'customer',
      objectId: String(c.id),
      after: customerView(c),
    });
    return customerView(c);
  });
}

export async function listCustomerViews(deps: ServiceDeps, actor: Principal) {
  requireOperator(actor);
  return (await listCustomers(deps.db)).map(customerView);
}

export async function getCustomerView(deps: ServiceDeps, actor: Principal, id: number) {
  assertCustomerVisible(actor, id, 'customer');
  const c = await getCustomer(deps.db, id);
  if (!c) throw notFound('customer');
  return customerView(c);
}

/** Name and KYC status. KYC is the hook zone activation checks (docs/control-api.md). */
export async function updateCustomerAccount(
  deps: ServiceDeps,
  actor: Principal,
  id: number,
  input: { name?: string; kycStatus?: KycStatus; reason?: string },
) {
  requireOperator(actor, 'admin');
  return runWrite(deps, async (w) => {
    const before = await getCustomer(w.trx, id);
    if (!before) throw notFound('customer');
    const after = await updateCustomer(w.trx, id, input);
    if (!after) throw notFound('customer');
    await w.audit({
      actor: actorOf(actor),
      action:
        input.kycStatus !== undefined && input.kycStatus !== before.kycStatus
          ? 'customer.kyc'
          : 'customer.update',
      objectType: 'customer',
      objectId: String(id),
      reason: input.reason ?? null,
      before: customerView(before),
      after: customerView(after),
    });
    return customerView(after);
  });
}

export async function createCustomerUser(
  deps: ServiceDeps,
  actor: Principal,
  customerId: number,
  input: { email: string; name: string; password: string; role: CustomerUserRole },
) {
  assertCustomerVisible(actor, customerId, 'customer');
  if (actor.kind === 'operator') requireOperator(actor, 'admin');
  if (actor.kind === 'customer_user' && actor.role !== 'owner') {
    throw notFound('customer');
  }
  checkPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  return runWrite(deps, async (w) => {
    if (!(await getCustomer(w.trx, customerId))) throw notFound('customer');
    await assertEmailFree(w.trx, input.email);
    const u = await insertCustomerUser(w.trx, { customerId, passwordHash, ...input });
    await w.audit({
      actor: actorOf(actor),
      action: 'customer_user.create',
      objectType: 'customer_user',
      objectId: String(u.id),
      after: customerUserView(u),
    });
    return customerUserView(u);
  });
}

export async function listCustomerUserViews(deps: ServiceDeps, actor: Principal, customerId: number) {
  assertCustomerVisible(actor, customerId, 'customer');
  if (!(await getCustomer(deps.db, customerId))) throw notFound('customer');
  return (await listCustomerUsers(deps.db, customerId)).map(customerUserView);
}

export async function createReporter(
  deps: ServiceDeps,
  actor: Principal,
  input: { name: string; email: string; organization?: string | null; password?: string },
) {
  requireOperator(actor, 'admin', 'analyst');
  let passwordHash: string | null = null;
  if (input.password !== undefined) {
    checkPasswordStrength(input.password);
    passwordHash = await hashPassword(input.password);
  }
  return runWrite(deps, async (w) => {
    const r = await insertReporter(w.trx, { ...input, passwordHash });
    await w.audit({
      actor: actorOf(actor),
      action: 'reporter.create',
      objectType: 'reporter',
      objectId: String(r.id),
      after: reporterView(r),
    });
    return reporterView(r);
  });
}

export async function listReporterViews(deps: ServiceDeps, actor: Principal) {
  requireOperator(actor);
  return (await listReporters(deps.db)).map(reporterView);
}

export async function getOwnReporterProfile(deps: ServiceDeps, actor: Principal) {
  if (actor.kind !== 'reporter') throw notFound('reporter');
  const r = await getReporter(deps.db, actor.id);
  if (!r) throw notFound('reporter');
  return reporterView(r);
}
