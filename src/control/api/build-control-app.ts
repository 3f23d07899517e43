import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { EdgewardError } from '../../shared/errors.js';
import { authenticateEdgeBearer } from '../auth/authenticate.js';
import type { ControlConfig } from '../config/control-config.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { startDbEdgeSync, type EdgeSync } from '../sync/edge-sync.js';
import { controlSyncRoutes } from '../sync/sync-routes.js';
import { accessHook } from './access-hook.js';
import type { ApiContext } from './api-context.js';
import { errorHandler } from './error-handler.js';
import { installHttpMetrics } from './http-metrics.js';
import { routeAccess } from './route-table.js';
import { accountRoutes } from './routes/account-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { ruleRoutes } from './routes/rule-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { zoneRoutes } from './routes/zone-routes.js';
import { schemaErrorFormatter } from './schema-error-formatter.js';
import './request-context.js';

export interface ControlAppOptions {
  deps: ServiceDeps;
  config: Pick<ControlConfig, 'publicUrl' | 'rateLimits' | 'logLevel'>;
  /** Prometheus registry (default: a fresh one per app, so several apps in one process do not collide). */
  registry?: Registry;
  /** Serve the edge sync endpoints (src/control/sync) too. Default true. */
  edgeSync?: boolean;
  /** Edge sync tuning (tests shorten the database poll). */
  syncPollIntervalMs?: number;
}

export interface ControlApp {
  app: FastifyInstance;
  registry: Registry;
  sync: EdgeSync | undefined;
}

/**
 * The control plane's HTTP API: /v1 (JSON schema on every input, errors naming the field), the edge sync
 * endpoints, /openapi.json, /docs, /healthz, /metrics. Authorization follows ROUTE_TABLE; a route missing from
 * the table fails at startup rather than being served unprotected.
 */
export async function buildControlApp(opts: ControlAppOptions): Promise<ControlApp> {
  const { deps, config } = opts;
  const registry = opts.registry ?? new Registry();
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: 1024 * 1024,
    schemaErrorFormatter,
    ajv: {
      customOptions: { removeAdditional: false, allErrors: false, coerceTypes: 'array', useDefaults: true },
    },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);

  installHttpMetrics(app, registry);
  await app.register(fastifyCookie);
  // Public routes get the public rate limit. This hook must run before the rate-limit plugin's own onRoute hook,
  // which reads route.config.rateLimit once, when the route is added.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods[0] === 'HEAD' ? 'GET' : String(methods[0]);
    const routeConfig = (route.config ?? {}) as Record<string, unknown>;
    if (routeAccess(method, route.url)?.allow === 'public' && routeConfig.rateLimit === undefined) {
      route.config = {
        ...routeConfig,
        rateLimit: { max: config.rateLimits.publicPerMinute, timeWindow: 60_000 },
      } as typeof route.config;
    }
  });
  await app.register(fastifyRateLimit, {
    global: false,
    // After body parsing, so the login limit can key on the email.
    hook: 'preHandler',
    errorResponseBuilder: (_req, ctx) => {
      const e = new EdgewardError(
        'rate_limited',
        `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      );
      return Object.assign(e, { statusCode: 429 });
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Edgeward control plane API', version: '1' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'edgeward_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  let sync: EdgeSync | undefined;
  if (opts.edgeSync !== false) {
    sync = await startDbEdgeSync({
      db: deps.db,
      notifier: deps.notifier,
      registry,
      logger: app.log as unknown as Logger,
      ...(opts.syncPollIntervalMs === undefined ? {} : { pollIntervalMs: opts.syncPollIntervalMs }),
    });
    const s = sync;
    app.addHook('onClose', async () => s.stop());
    await app.register(controlSyncRoutes, {
      sync: s,
      authenticateEdge: (header: string | undefined) => authenticateEdgeBearer(deps.db, header),
    });
  }

  const ctx: ApiContext = { deps, config };
  await app.register(async (api) => {
    api.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const method = methods[0] === 'HEAD' ? 'GET' : String(methods[0]);
      const access = routeAccess(method, route.url);
      if (!access)
        throw new Error(
          `route ${method} ${route.url} is not in ROUTE_TABLE (src/control/api/route-table.ts)`,
        );
      const routeConfig = (route.config ?? {}) as Record<string, unknown>;
      route.config = { ...routeConfig, access } as typeof route.config;
    });
    // Before validation: an unauthenticated or unauthorized caller learns nothing from schema errors.
    api.addHook('preValidation', accessHook(deps.db));

    api.get(
      '/healthz',
      { schema: { tags: ['system'], summary: 'Liveness and database reachability' } },
      async (_req, reply) => {
        try {
          await deps.db.selectFrom('config_changes').select('version').limit(1).execute();
          return { ok: true };
        } catch (e) {
          app.log.error({ err: e }, 'health check: database unreachable');
          return reply
            .code(503)
            .send({ ok: false, error: { code: 'database_unreachable', message: (e as Error).message } });
        }
      },
    );
    api.get(
      '/metrics',
      { schema: { tags: ['system'], summary: 'Prometheus metrics' } },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    authRoutes(api, ctx);
    accountRoutes(api, ctx);
    tokenRoutes(api, ctx);
    zoneRoutes(api, ctx);
    ruleRoutes(api, ctx);
    auditRoutes(api, ctx);
  });
  return { app, registry, sync };
}
