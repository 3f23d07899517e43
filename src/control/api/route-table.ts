import type { RoleName, TokenScope } from '../auth/principal.js';

/**
 * Who may call what: the authorization policy as data. The API enforces exactly this table (access-hook.ts) and the
 * role-matrix test walks it, calling every route as every role over HTTP. Customer isolation (a customer sees only
 * its own objects, 404 otherwise) is enforced again inside the services, per object.
 */
export type Allow = 'public' | readonly RoleName[];

export interface RouteAccess {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  allow: Allow;
  /** The API-token scope needed (sessions are not scoped). */
  scope?: TokenScope;
}

export const PEOPLE: readonly RoleName[] = ['admin', 'analyst', 'legal', 'customer', 'reporter'];
const OPERATORS: readonly RoleName[] = ['admin', 'analyst', 'legal'];
const ZONE_READERS: readonly RoleName[] = [...OPERATORS, 'customer'];

export const ROUTE_TABLE: readonly RouteAccess[] = [
  { method: 'GET', url: '/healthz', allow: 'public' },
  { method: 'GET', url: '/metrics', allow: 'public' },
  { method: 'GET', url: '/openapi.json', allow: 'public' },

  { method: 'POST', url: '/v1/auth/login', allow: 'public' },
  { method: 'POST', url: '/v1/auth/logout', allow: PEOPLE },
  { method: 'GET', url: '/v1/auth/me', allow: PEOPLE },

  { method: 'GET', url: '/v1/operators', allow: ['admin'], scope: 'accounts:read' },
  { method: 'POST', url: '/v1/operators', allow: ['admin'], scope: 'accounts:write' },
  { method: 'PATCH', url: '/v1/operators/:id', allow: ['admin'], scope: 'accounts:write' },

  { method: 'GET', url: '/v1/customers', allow: OPERATORS, scope: 'accounts:read' },
  { method: 'POST', url: '/v1/customers', allow: ['admin'], scope: 'accounts:write' },
  { method: 'GET', url: '/v1/customers/:id', allow: ZONE_READERS, scope: 'accounts:read' },
  { method: 'PATCH', url: '/v1/customers/:id', allow: ['admin'], scope: 'accounts:write' },
  { method: 'GET', url: '/v1/customers/:id/users', allow: ['admin', 'customer'], scope: 'accounts:read' },
  { method: 'POST', url: '/v1/customers/:id/users', allow: ['admin', 'customer'], scope: 'accounts:write' },

  { method: 'GET', url: '/v1/reporters', allow: OPERATORS, scope: 'accounts:read' },
  { method: 'POST', url: '/v1/reporters', allow: ['admin', 'analyst'], scope: 'accounts:write' },
  { method: 'GET', url: '/v1/reporters/me', allow: ['reporter'], scope: 'accounts:read' },

  { method: 'GET', url: '/v1/tokens', allow: PEOPLE, scope: 'tokens' },
  { method: 'POST', url: '/v1/tokens', allow: PEOPLE, scope: 'tokens' },
  { method: 'DELETE', url: '/v1/tokens/:id', allow: PEOPLE, scope: 'tokens' },
  { method: 'POST', url: '/v1/edge-tokens', allow: ['admin'], scope: 'tokens' },

  { method: 'GET', url: '/v1/zones', allow: ZONE_READERS, scope: 'zones:read' },
  { method: 'POST', url: '/v1/zones', allow: ['admin', 'customer'], scope: 'zones:write' },
  { method: 'GET', url: '/v1/zones/:id', allow: ZONE_READERS, scope: 'zones:read' },
  { method: 'PATCH', url: '/v1/zones/:id', allow: ['admin', 'customer'], scope: 'zones:write' },
  { method: 'GET', url: '/v1/zones/:id/history', allow: ZONE_READERS, scope: 'zones:read' },
  { method: 'POST', url: '/v1/zones/:id/hostnames', allow: ['admin', 'customer'], scope: 'zones:write' },
  {
    method: 'POST',
    url: '/v1/zones/:id/hostnames/:hostname/verify',
    allow: ['admin', 'customer'],
    scope: 'zones:write',
  },
  { method: 'POST', url: '/v1/zones/:id/activate', allow: ['admin', 'customer'], scope: 'zones:write' },
  { method: 'POST', url: '/v1/zones/:id/suspend', allow: ['admin', 'analyst'], scope: 'zones:write' },
  { method: 'POST', url: '/v1/zones/:id/terminate', allow: ['admin', 'customer'], scope: 'zones:write' },
  { method: 'POST', url: '/v1/zones/:id/purge', allow: ['admin', 'analyst', 'customer'], scope: 'purge' },
  { method: 'GET', url: '/v1/zones/:id/purges', allow: ZONE_READERS, scope: 'zones:read' },

  { method: 'GET', url: '/v1/rules', allow: OPERATORS, scope: 'rules:read' },
  { method: 'POST', url: '/v1/rules', allow: OPERATORS, scope: 'rules:write' },
  { method: 'DELETE', url: '/v1/rules/:id', allow: OPERATORS, scope: 'rules:write' },

  { method: 'GET', url: '/v1/edges', allow: OPERATORS, scope: 'edges:read' },

  { method: 'GET', url: '/v1/audit', allow: ['admin', 'legal'], scope: 'audit:read' },
  { method: 'GET', url: '/v1/audit/verify', allow: ['admin', 'legal'], scope: 'audit:read' },
  { method: 'GET', url: '/v1/audit/export', allow: ['admin', 'legal'], scope: 'audit:read' },
];

export function routeAccess(method: string, url: string): RouteAccess | undefined {
  return ROUTE_TABLE.find((r) => r.method === method && r.url === url);
}
