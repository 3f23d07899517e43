import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { EdgewardError } from '../../shared/errors.js';
import { authenticateBearer, authenticateSession } from '../auth/authenticate.js';
import { hasScope, roleOf } from '../auth/principal.js';
import type { Database } from '../db/schema.js';
import type { RouteAccess } from './route-table.js';

export const SESSION_COOKIE = 'edgeward_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates (bearer token first, else session cookie) and applies the route table. Bearer requests need no
 * CSRF token (a browser never attaches one by itself); cookie requests with an unsafe method must echo the
 * session's CSRF token in X-CSRF-Token.
 */
export function accessHook(db: Kysely<Database>) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const access: RouteAccess | undefined = req.routeOptions.config.access;
    if (!access) return; // routes of plugins with their own auth (edge sync, docs)
    req.principal = null;
    req.session = null;
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      req.principal = await authenticateBearer(db, authz);
      if (!req.principal && access.allow !== 'public') {
        throw new EdgewardError('unauthorized', 'the bearer token is unknown, revoked or its owner disabled');
      }
    } else {
      const secret = req.cookies[SESSION_COOKIE];
      const found = await authenticateSession(db, secret);
      if (found) {
        req.principal = found.principal;
        req.session = found.session;
        if (!SAFE_METHODS.has(req.method) && access.allow !== 'public') {
          const sent = req.headers[CSRF_HEADER];
          if (typeof sent !== 'string' || sent !== found.session.csrfToken) {
            throw new EdgewardError(
              'csrf_failed',
              `cookie-authenticated ${req.method} requests need the ${CSRF_HEADER} header from login`,
              {
                field: CSRF_HEADER,
              },
            );
          }
        }
      }
    }
    if (access.allow === 'public') return;
    const p = req.principal;
    if (!p)
      throw new EdgewardError(
        'unauthorized',
        'authentication required (session cookie or Authorization: Bearer)',
      );
    if (!access.allow.includes(roleOf(p))) {
      throw new EdgewardError('forbidden', `role ${roleOf(p)} may not ${access.method} ${access.url}`);
    }
    if (access.scope !== undefined && !hasScope(p, access.scope)) {
      throw new EdgewardError('forbidden', `this token lacks the ${access.scope} scope`, { field: 'scopes' });
    }
  };
}
