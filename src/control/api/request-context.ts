import '@fastify/cookie';
import '@fastify/rate-limit';
import '@fastify/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { Session } from '../repos/sessions.js';
import { EdgewardError } from '../../shared/errors.js';
import type { RouteAccess } from './route-table.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    session: Session | null;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The authenticated caller; the access hook has already refused anonymous requests on non-public routes. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new EdgewardError('unauthorized', 'authentication required');
  return req.principal;
}
