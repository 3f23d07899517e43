import type { IncomingHttpHeaders } from 'node:http';
import type { CacheEntryMeta, StoredHeaders } from './cache-entry.js';
import { joinedValue } from './header-values.js';

const NO_VARY: string[] = [];
const memo = new Map<string, string[] | '*'>();
const MEMO_MAX = 256;

/**
 * Lower-case, sorted, deduped header names a response Varies on; [] = no Vary; '*' = can never be matched
 * (RFC 9111 4.1). The returned array is shared: do not mutate it.
 */
export function varyHeaderNames(headers: StoredHeaders): string[] | '*' {
  const raw = joinedValue(headers, 'vary');
  if (raw === undefined) return NO_VARY;
  let names = memo.get(raw);
  if (names === undefined) {
    names = parseVary(raw);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(raw, names);
  }
  return names;
}

function parseVary(raw: string): string[] | '*' {
  const set = new Set<string>();
  for (const part of raw.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') set.add(name);
  }
  return set.size === 0 ? NO_VARY : [...set].sort();
}

const WS_RUN = /[ \t]+/g;

/**
 * The secondary cache key: one line per Varied header, `name:value`, or just `name` when the request lacks the
 * header (RFC 9111 4.1: absent only matches absent; absent and empty differ). Values are trimmed and runs of
 * whitespace collapsed; repeated lines are combined with ', '. Accept-Encoding is reduced to a canonical token
 * list so that order, case, spacing and q-values other than 0 do not fragment the cache.
 */
export function varyKeyFor(names: readonly string[], reqHeaders: IncomingHttpHeaders): string {
  if (names.length === 0) return '';
  let key = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) key += '\n';
    const raw = reqHeaders[name];
    if (raw === undefined) {
      key += name;
      continue;
    }
    const joined = typeof raw === 'string' ? raw : raw.join(', ');
    key +=
      name + ':' + (name === 'accept-encoding' ? canonicalAcceptEncoding(joined) : normalizeValue(joined));
  }
  return key;
}

function normalizeValue(v: string): string {
  return v.trim().replace(WS_RUN, ' ');
}

/**
 * `gzip, deflate, br` = `br,gzip,deflate` = `GZIP;q=1.0, br;q=0.8, deflate`. Codings refused with q=0 are kept,
 * marked, because refusing identity or * changes what the origin may send.
 */
export function canonicalAcceptEncoding(v: string): string {
  let c = aeMemo.get(v);
  if (c === undefined) {
    c = canonicalAcceptEncodingUncached(v);
    if (aeMemo.size >= MEMO_MAX) aeMemo.clear();
    aeMemo.set(v, c);
  }
  return c;
}

// Clients send few distinct Accept-Encoding values; bounded because they are client-controlled.
const aeMemo = new Map<string, string>();

function canonicalAcceptEncodingUncached(v: string): string {
  const set = new Set<string>();
  for (const part of v.split(',')) {
    const semi = part.indexOf(';');
    const coding = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (coding === '') continue;
    const refused = semi !== -1 && isZeroQ(part.slice(semi + 1));
    set.add(refused ? coding + ';q=0' : coding === 'x-gzip' ? 'gzip' : coding);
  }
  return [...set].sort().join(',');
}

const Q_ZERO = /^q=0(\.0{0,3})?$/i;

function isZeroQ(params: string): boolean {
  for (const p of params.split(';')) {
    if (Q_ZERO.test(p.trim().replace(WS_RUN, ''))) return true;
  }
  return false;
}

/** Whether a request selects this stored variant (RFC 9111 4.1). */
export function varyMatches(meta: CacheEntryMeta, reqHeaders: IncomingHttpHeaders): boolean {
  const names = varyHeaderNames(meta.headers);
  if (names === '*') return false;
  return varyKeyFor(names, reqHeaders) === meta.varyKey;
}
