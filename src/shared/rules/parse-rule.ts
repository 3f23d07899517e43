import { EdgewardError } from '../errors.js';
import { normalizeUrl } from '../url/normalize-url.js';
import type { BlockRule, RuleMatchKind } from './block-rule.js';

/**
 * One rule from its JSON form, validated field by field. Every problem is reported (not just the first), each
 * naming its field, so an operator fixes a rules file in one go. `where` prefixes the field names ("line 12");
 * as a function it is only called for a rule with errors.
 */
const MATCH_KINDS: readonly RuleMatchKind[] = ['exact', 'prefix', 'host'];
const KNOWN_FIELDS = new Set(['id', 'match', 'url', 'countries', 'notice', 'demandedBy', 'law']);
const COUNTRY = /^[A-Za-z]{2}$/;

export function parseRule(
  value: unknown,
  defaultId: number,
  where: string | (() => string),
): { rule?: BlockRule; errors: EdgewardError[] } {
  const errors: EdgewardError[] = [];
  const bad = (field: string, message: string) => {
    const w = typeof where === 'string' ? where : where();
    errors.push(new EdgewardError('invalid_rule', `${w}: ${field}: ${message}`, { field: `${w}: ${field}` }));
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad('rule', 'must be a JSON object');
    return { errors };
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN_FIELDS.has(k)) bad(k, 'is not a rule field');

  let id = defaultId;
  if (o.id !== undefined) {
    if (typeof o.id !== 'number' || !Number.isInteger(o.id) || o.id < 0 || o.id > 0xffffffff)
      bad('id', 'must be an integer from 0 to 4294967295');
    else id = o.id;
  }
  const match = o.match as RuleMatchKind;
  if (!MATCH_KINDS.includes(match)) bad('match', 'must be "exact", "prefix" or "host"');
  if (typeof o.url !== 'string') bad('url', 'must be an absolute http(s) URL');
  else {
    try {
      normalizeUrl(o.url);
    } catch (e) {
      bad('url', (e as Error).message);
    }
  }
  let countries: string[] | null = null;
  if (o.countries !== null && o.countries !== undefined) {
    if (!Array.isArray(o.countries) || o.countries.length === 0)
      bad('countries', 'must be null or a non-empty list of ISO 3166-1 alpha-2 codes');
    else {
      countries = [];
      o.countries.forEach((c, i) => {
        if (typeof c !== 'string' || !COUNTRY.test(c))
          bad(`countries[${i}]`, 'must be a two-letter ISO 3166-1 code');
        else countries!.push(c.toUpperCase());
      });
    }
  }
  if (typeof o.notice !== 'string' || !/^https?:\/\/\S+$/i.test(o.notice))
    bad('notice', 'must be the absolute http(s) URL of the public notice');
  for (const f of ['demandedBy', 'law'] as const) {
    if (o[f] !== undefined && (typeof o[f] !== 'string' || (o[f] as string).length > 500))
      bad(f, 'must be a string of at most 500 characters');
  }
  if (errors.length) return { errors };
  return {
    rule: {
      id,
      match,
      url: o.url as string,
      countries,
      notice: o.notice as string,
      ...(typeof o.demandedBy === 'string' ? { demandedBy: o.demandedBy } : {}),
      ...(typeof o.law === 'string' ? { law: o.law } : {}),
    },
    errors,
  };
}
