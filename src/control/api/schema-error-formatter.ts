import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { EdgewardError } from '../../shared/errors.js';

/** '/hostnames/0/name' -> 'hostnames[0].name' */
function fieldFromPath(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Turns Ajv's first error into `{ code: 'invalid_request', message, field }` where field names the bad property:
 * the unknown one for additionalProperties, the missing one for required, else the property at the error's path.
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (!e) return new EdgewardError('invalid_request', `invalid ${dataVar}`, { field: dataVar });
  const base = fieldFromPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  let field = base;
  let message: string;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    field = join(base, params.additionalProperty);
    message = `${field} is not a known property`;
  } else if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    field = join(base, params.missingProperty);
    message = `${field} is required`;
  } else {
    message = `${field || dataVar} ${e.message ?? 'is invalid'}`;
  }
  const err = new EdgewardError('invalid_request', message, {
    field: field || dataVar,
    details: { in: dataVar },
  });
  (err as EdgewardError & { statusCode: number }).statusCode = 400;
  return err;
}
