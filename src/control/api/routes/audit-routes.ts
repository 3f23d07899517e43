import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { auditEntryFromRow, auditHead, auditRows, exportAudit } from '../../audit/audit-log.js';
import { verifyAuditChain } from '../../audit/verify-audit-chain.js';
import { edgeLag } from '../../sync/edge-lag.js';
import type { ApiContext } from '../api-context.js';
import { emptyQuery } from '../schemas.js';

export function auditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx.deps;
  const tags = ['audit'];

  app.get<{ Querystring: { after?: number; limit?: number } }>(
    '/v1/audit',
    {
      schema: {
        tags,
        summary: 'Audit entries after a sequence number, oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const entries = [];
      for await (const row of auditRows(db, limit, req.query.after ?? 0)) {
        entries.push(auditEntryFromRow(row));
        if (entries.length >= limit) break;
      }
      return { entries, head: await auditHead(db) };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      schema: {
        tags,
        summary: 'Recompute the hash chain; names the first bad entry',
        querystring: emptyQuery,
      },
    },
    async () => verifyAuditChain(db),
  );

  app.get(
    '/v1/audit/export',
    { schema: { tags, summary: 'The whole log as JSON lines', querystring: emptyQuery } },
    async (req, reply) => {
      const out = new PassThrough();
      exportAudit(db, out).then(
        () => out.end(),
        (e: unknown) => {
          req.log.error({ err: e }, 'audit export failed midway');
          out.destroy(e as Error);
        },
      );
      return reply.type('application/x-ndjson').send(out);
    },
  );

  app.get(
    '/v1/edges',
    {
      schema: { tags: ['edges'], summary: 'Registered edges and how far each lags', querystring: emptyQuery },
    },
    async () => edgeLag(db),
  );
}
