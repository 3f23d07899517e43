import type { FastifyInstance } from 'fastify';
import { login, logout } from '../../services/sessions-service.js';
import type { ApiContext } from '../api-context.js';
import { SESSION_COOKIE } from '../access-hook.js';
import { principalOf } from '../request-context.js';
import { email, emptyQuery, password } from '../schemas.js';

export function authRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const secure = ctx.config.publicUrl?.startsWith('https:') ?? false;

  app.post<{ Body: { email: string; password: string } }>(
    '/v1/auth/login',
    {
      schema: {
        summary:
          'Log in (operators, customer users, reporters); sets the session cookie, returns the CSRF token',
        tags: ['auth'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: { email, password },
        },
      },
      config: {
        rateLimit: {
          max: ctx.config.rateLimits.loginPerMinute,
          timeWindow: 60_000,
          // Per client IP AND email: one attacker cannot lock out everybody, nor guess one account from one IP fast.
          keyGenerator: (req) =>
            `${req.ip}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (req, reply) => {
      const r = await login(ctx.deps, req.body.email, req.body.password);
      reply.setCookie(SESSION_COOKIE, r.sessionSecret, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/',
        expires: new Date(r.expiresAt),
      });
      return { csrfToken: r.csrfToken, expiresAt: r.expiresAt, principal: r.principal };
    },
  );

  app.post(
    '/v1/auth/logout',
    { schema: { summary: 'End the session', tags: ['auth'], querystring: emptyQuery } },
    async (req, reply) => {
      if (req.session) await logout(ctx.deps, req.session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/v1/auth/me',
    { schema: { summary: 'Who am I', tags: ['auth'], querystring: emptyQuery } },
    async (req) => {
      const p = principalOf(req);
      return { principal: p, csrfToken: req.session?.csrfToken ?? null };
    },
  );
}
