import type { FastifyInstance } from 'fastify';
import { TOKEN_SCOPES } from '../../auth/principal.js';
import { createApiToken, listApiTokenViews, revokeApiTokenById } from '../../services/tokens-service.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../request-context.js';
import { emptyQuery, idParams, name, reason } from '../schemas.js';

export function tokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps } = ctx;
  const tags = ['tokens'];

  app.get(
    '/v1/tokens',
    { schema: { tags, summary: 'API tokens you may manage (never their secrets)', querystring: emptyQuery } },
    async (req) => ({
      tokens: await listApiTokenViews(deps, principalOf(req)),
    }),
  );

  app.post<{ Body: { name: string; scopes: string[] } }>(
    '/v1/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token for yourself; the secret is in this response only',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'scopes'],
          properties: {
            name,
            scopes: {
              type: 'array',
              minItems: 1,
              maxItems: 20,
              items: { type: 'string', enum: TOKEN_SCOPES.filter((s) => s !== 'edge') },
            },
          },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createApiToken(deps, principalOf(req), req.body)),
  );

  app.delete<{ Params: { id: number }; Body: { reason?: string } | undefined }>(
    '/v1/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a token',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { reason } },
      },
    },
    async (req) => revokeApiTokenById(deps, principalOf(req), req.params.id, req.body?.reason),
  );

  app.post<{ Body: { name: string } }>(
    '/v1/edge-tokens',
    {
      schema: {
        tags,
        summary: 'Create a token an edge uses to register and follow the configuration (admins)',
        body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name } },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await createApiToken(deps, principalOf(req), { name: req.body.name, scopes: ['edge'], edge: true }),
        ),
  );
}
