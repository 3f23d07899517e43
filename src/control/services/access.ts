import type { Principal } from '../auth/principal.js';
import { forbidden, notFound } from './service-errors.js';

/**
 * Customer isolation, checked by the services themselves (not only by the route table): a customer user may only
 * see objects of their own customer, and anything else is "not found" so ids cannot be probed.
 */
export function assertCustomerVisible(p: Principal, customerId: number, what: string): void {
  if (p.kind === 'operator') return;
  if (p.kind === 'customer_user' && p.customerId === customerId) return;
  throw notFound(what);
}

export function isOperator(p: Principal, ...roles: ('admin' | 'analyst' | 'legal')[]): boolean {
  return p.kind === 'operator' && (roles.length === 0 || roles.includes(p.role));
}

export function requireOperator(p: Principal, ...roles: ('admin' | 'analyst' | 'legal')[]): void {
  if (!isOperator(p, ...roles))
    throw forbidden(`this needs an operator with role ${roles.join(' or ') || 'any'}`);
}
