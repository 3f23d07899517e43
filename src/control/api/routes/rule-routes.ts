import type { FastifyInstance } from 'fastify';
import {
  addBlockRule,
  listBlockRuleViews,
  removeBlockRule,
  type BlockRuleInput,
} from '../../services/block-rules-service.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../request-context.js';
import { idParams, reason, reasonBody } from '../schemas.js';

export function ruleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps } = ctx;
  const tags = ['rules'];

  app.get<{ Querystring: { active?: boolean; zoneId?: string } }>(
    '/v1/rules',
    {
      schema: {
        tags,
        summary: 'Block rules (takedown decisions)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { active: { type: 'boolean' }, zoneId: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (req) => ({
      rules: await listBlockRuleViews(deps, principalOf(req), {
        activeOnly: req.query.active ?? false,
        ...(req.query.zoneId === undefined ? {} : { zoneId: req.query.zoneId }),
      }),
    }),
  );

  app.post<{ Body: BlockRuleInput }>(
    '/v1/rules',
    {
      schema: {
        tags,
        summary: 'Add a block rule; every edge answers 451 for matching requests once it applies the change',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['match', 'url', 'noticeUrl'],
          properties: {
            zoneId: { type: ['string', 'null'], maxLength: 64 },
            match: { type: 'string', enum: ['exact', 'prefix', 'host'] },
            url: { type: 'string', minLength: 1, maxLength: 4096 },
            countries: {
              type: ['array', 'null'],
              maxItems: 250,
              items: { type: 'string', pattern: '^[A-Za-z]{2}$' },
            },
            noticeUrl: { type: 'string', minLength: 1, maxLength: 4096 },
            demandedBy: { type: ['string', 'null'], maxLength: 500 },
            law: { type: ['string', 'null'], maxLength: 500 },
            reason,
          },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await addBlockRule(deps, principalOf(req), req.body)),
  );

  app.delete<{ Params: { id: number }; Body: { reason: string } }>(
    '/v1/rules/:id',
    { schema: { tags, summary: 'Lift a block rule (with the reason)', params: idParams, body: reasonBody } },
    async (req) => removeBlockRule(deps, principalOf(req), req.params.id, req.body.reason),
  );
}
