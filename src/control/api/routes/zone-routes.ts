import type { FastifyInstance } from 'fastify';
import type { ZoneCacheSettings } from '../../../shared/config/zone-config.js';
import { listZonePurges, purgeZone, type PurgeApiKind } from '../../services/purges-service.js';
import {
  activateZone,
  addZoneHostname,
  createZone,
  getZoneView,
  listZoneViews,
  suspendZone,
  terminateZone,
  updateZoneSettings,
  verifyZoneHostname,
  zoneHistory,
} from '../../services/zones-service.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../request-context.js';
import { cacheSettings, emptyQuery, name, reason, reasonBody, zoneIdParams } from '../schemas.js';

const hostname = { type: 'string', minLength: 1, maxLength: 253 } as const;
const origin = { type: 'string', minLength: 1, maxLength: 2048 } as const;
const origins = { type: 'array', minItems: 1, maxItems: 16, items: origin } as const;
const originHost = { type: ['string', 'null'], maxLength: 253 } as const;

export function zoneRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps } = ctx;
  const tags = ['zones'];

  app.get<{ Querystring: { customerId?: number } }>(
    '/v1/zones',
    {
      schema: {
        tags,
        summary: 'Zones you may see (customers: their own)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { customerId: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (req) => ({ zones: await listZoneViews(deps, principalOf(req), req.query) }),
  );

  app.post<{
    Body: {
      customerId?: number;
      name: string;
      hostnames: string[];
      origins: string[];
      originHost?: string | null;
      cache?: Partial<ZoneCacheSettings>;
    };
  }>(
    '/v1/zones',
    {
      schema: {
        tags,
        summary: 'Add a zone (pending until its hostnames are verified and it is activated)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'hostnames', 'origins'],
          properties: {
            customerId: { type: 'integer', minimum: 1 },
            name,
            hostnames: { type: 'array', minItems: 1, maxItems: 100, items: hostname },
            origins,
            originHost,
            cache: cacheSettings,
          },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createZone(deps, principalOf(req), req.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/zones/:id',
    {
      schema: {
        tags,
        summary: 'One zone with its hostnames and their verification tokens',
        params: zoneIdParams,
        querystring: emptyQuery,
      },
    },
    async (req) => getZoneView(deps, principalOf(req), req.params.id),
  );

  app.patch<{
    Params: { id: string };
    Body: {
      name?: string;
      origins?: string[];
      originHost?: string | null;
      cache?: Partial<ZoneCacheSettings>;
      reason?: string;
    };
  }>(
    '/v1/zones/:id',
    {
      schema: {
        tags,
        summary: 'Change name, origins, origin Host or cache settings',
        params: zoneIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { name, origins, originHost, cache: cacheSettings, reason },
        },
      },
    },
    async (req) => updateZoneSettings(deps, principalOf(req), req.params.id, req.body),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/zones/:id/history',
    {
      schema: {
        tags,
        summary: 'State changes: who, when, why',
        params: zoneIdParams,
        querystring: emptyQuery,
      },
    },
    async (req) => ({ changes: await zoneHistory(deps, principalOf(req), req.params.id) }),
  );

  app.post<{ Params: { id: string }; Body: { hostname: string } }>(
    '/v1/zones/:id/hostnames',
    {
      schema: {
        tags,
        summary: 'Add a hostname (unverified)',
        params: zoneIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['hostname'],
          properties: { hostname },
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await addZoneHostname(deps, principalOf(req), req.params.id, req.body.hostname)),
  );

  app.post<{ Params: { id: string; hostname: string } }>(
    '/v1/zones/:id/hostnames/:hostname/verify',
    {
      schema: {
        tags,
        summary: 'Check ownership of a hostname (well-known HTTP token, or DNS TXT)',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'hostname'],
          properties: { id: zoneIdParams.properties.id, hostname },
        },
      },
    },
    async (req) => verifyZoneHostname(deps, principalOf(req), req.params.id, req.params.hostname),
  );

  app.post<{ Params: { id: string }; Body: { reason?: string; kycOverride?: boolean } | undefined }>(
    '/v1/zones/:id/activate',
    {
      schema: {
        tags,
        summary:
          'pending -> active (all hostnames verified, customer KYC verified or admin override), or reinstate',
        params: zoneIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason, kycOverride: { type: 'boolean' } },
        },
      },
    },
    async (req) => activateZone(deps, principalOf(req), req.params.id, req.body ?? {}),
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/zones/:id/suspend',
    { schema: { tags, summary: 'active -> suspended', params: zoneIdParams, body: reasonBody } },
    async (req) => suspendZone(deps, principalOf(req), req.params.id, req.body.reason),
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/zones/:id/terminate',
    { schema: { tags, summary: '-> terminated (final)', params: zoneIdParams, body: reasonBody } },
    async (req) => terminateZone(deps, principalOf(req), req.params.id, req.body.reason),
  );

  app.post<{ Params: { id: string }; Body: { kind: PurgeApiKind; value?: string; soft?: boolean } }>(
    '/v1/zones/:id/purge',
    {
      schema: {
        tags,
        summary: 'Purge cached objects on every edge: one URL, a URL prefix, a tag, or everything',
        params: zoneIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind'],
          properties: {
            kind: { type: 'string', enum: ['url', 'prefix', 'tag', 'everything'] },
            value: { type: 'string', minLength: 1, maxLength: 4096 },
            soft: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) =>
      reply.code(202).send(await purgeZone(deps, principalOf(req), req.params.id, req.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/zones/:id/purges',
    { schema: { tags, summary: 'Recent purges of a zone', params: zoneIdParams, querystring: emptyQuery } },
    async (req) => ({ purges: await listZonePurges(deps, principalOf(req), req.params.id) }),
  );
}
