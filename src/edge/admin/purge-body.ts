import type { PurgeKind, PurgeRequest } from '../../shared/config/config-change.js';
import { EdgewardError } from '../../shared/errors.js';

const KINDS: readonly PurgeKind[] = ['url', 'prefix', 'tag', 'zone'];
const KEYS = ['zone', 'kind', 'value', 'soft'];

/** Validates a POST /purge body. `defaultZone` is the proxy-mode catch-all zone (null in edge mode). */
export function parsePurgeBody(body: unknown, defaultZone: string | null): PurgeRequest {
  const bad = (field: string, message: string): never => {
    throw new EdgewardError('invalid_purge', message, { field });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('body', 'the body must be a JSON object');
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!KEYS.includes(k)) bad(k, `unknown field ${JSON.stringify(k)} (expected ${KEYS.join(', ')})`);
  if (!KINDS.includes(o.kind as PurgeKind)) bad('kind', `kind must be one of ${KINDS.join(', ')}`);
  const kind = o.kind as PurgeKind;
  if (o.zone !== undefined && o.zone !== null && (typeof o.zone !== 'string' || o.zone === ''))
    bad('zone', 'zone must be a non-empty string');
  if (o.soft !== undefined && typeof o.soft !== 'boolean') bad('soft', 'soft must be true or false');
  const zone = typeof o.zone === 'string' ? o.zone : defaultZone;
  let value: string | undefined;
  if (kind === 'zone') {
    if (zone === null) bad('zone', 'a zone purge needs a zone');
  } else {
    if (typeof o.value !== 'string' || o.value === '')
      bad('value', `a ${kind} purge needs a value (${kind === 'tag' ? 'the tag' : 'an absolute URL'})`);
    value = o.value as string;
    if (kind !== 'tag') {
      let u: URL | null = null;
      try {
        u = new URL(value);
      } catch {
        u = null;
      }
      if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:'))
        bad('value', `value must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
    }
  }
  return { zone, kind, ...(value === undefined ? {} : { value }), soft: o.soft === true };
}
