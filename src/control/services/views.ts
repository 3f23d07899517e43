import type { ApiToken } from '../repos/api-tokens.js';
import type { Customer, CustomerUser } from '../repos/customers.js';
import type { Operator } from '../repos/operators.js';
import type { Reporter } from '../repos/reporters.js';

/** What leaves the services: never a password hash or a token hash (also what the audit log records). */
export const operatorView = (o: Operator) => ({
  id: o.id,
  email: o.email,
  name: o.name,
  role: o.role,
  createdAt: o.createdAt,
  disabledAt: o.disabledAt,
});
export type OperatorView = ReturnType<typeof operatorView>;

export const customerView = (c: Customer) => ({
  id: c.id,
  name: c.name,
  kycStatus: c.kycStatus,
  createdAt: c.createdAt,
});
export type CustomerView = ReturnType<typeof customerView>;

export const customerUserView = (u: CustomerUser) => ({
  id: u.id,
  customerId: u.customerId,
  email: u.email,
  name: u.name,
  role: u.role,
  createdAt: u.createdAt,
  disabledAt: u.disabledAt,
});

export const reporterView = (r: Reporter) => ({
  id: r.id,
  name: r.name,
  email: r.email,
  organization: r.organization,
  createdAt: r.createdAt,
});

export const tokenView = (t: ApiToken) => ({
  id: t.id,
  principalType: t.principalType,
  principalId: t.principalId,
  name: t.name,
  prefix: t.tokenPrefix,
  scopes: t.scopes,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});
export type TokenView = ReturnType<typeof tokenView>;
