import type { OperatorRole } from '../db/schema.js';

/** Who is making a request, after authentication. `scopes` is null for console sessions (full rights of the role). */
export type Principal =
  | { kind: 'operator'; id: number; role: OperatorRole; email: string; scopes: readonly string[] | null }
  | {
      kind: 'customer_user';
      id: number;
      customerId: number;
      role: 'owner' | 'member';
      email: string;
      scopes: readonly string[] | null;
    }
  | { kind: 'reporter'; id: number; email: string; scopes: readonly string[] | null }
  | { kind: 'edge'; tokenId: number; scopes: readonly string[] | null };

/** The audit log's actor string: 'operator:3', 'customer_user:7', 'reporter:2', 'edge-token:5', 'system'. */
export function actorOf(p: Principal | 'system'): string {
  if (p === 'system') return 'system';
  if (p.kind === 'edge') return `edge-token:${p.tokenId}`;
  return `${p.kind}:${p.id}`;
}

/** The role a route table names: operator roles, 'customer', 'reporter', 'edge'. */
export type RoleName = OperatorRole | 'customer' | 'reporter' | 'edge';

export function roleOf(p: Principal): RoleName {
  switch (p.kind) {
    case 'operator':
      return p.role;
    case 'customer_user':
      return 'customer';
    case 'reporter':
      return 'reporter';
    case 'edge':
      return 'edge';
  }
}

/**
 * API token scopes. A token may only do what its principal may do AND what one of its scopes covers; '*' covers
 * everything the principal may do. Console sessions are not scoped.
 */
export const TOKEN_SCOPES = [
  '*',
  'zones:read',
  'zones:write',
  'purge',
  'rules:read',
  'rules:write',
  'audit:read',
  'accounts:read',
  'accounts:write',
  'tokens',
  'edges:read',
  'edge',
] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export function hasScope(p: Principal, scope: TokenScope): boolean {
  return p.scopes === null || p.scopes.includes('*') || p.scopes.includes(scope);
}
