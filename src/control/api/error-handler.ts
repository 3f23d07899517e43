import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isEdgewardError } from '../../shared/errors.js';
import { HTTP_STATUS_BY_CODE } from '../services/service-errors.js';

/** Every error leaves as `{ error: { code, message, field?, details? } }` with a status that fits its code. */
export function errorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (isEdgewardError(error)) {
    const status = HTTP_STATUS_BY_CODE[error.code] ?? (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: error.toJSON() });
  }
  const status = error.statusCode ?? 500;
  if (status === 429) {
    return reply.code(429).send({ error: { code: 'rate_limited', message: error.message } });
  }
  if (status < 500) {
    return reply.code(status).send({ error: { code: 'invalid_request', message: error.message } });
  }
  req.log.error({ err: error }, 'request failed');
  return reply
    .code(500)
    .send({ error: { code: 'internal', message: 'internal error (see the control plane log)' } });
}
