/**
 * Cache-Control (RFC 9111 5.2) and the fields that share its syntax (CDN-Cache-Control, Surrogate-Control).
 * Lenient: never throws; a directive is `token [ "=" ( token / quoted-string ) ]`, names are case-insensitive,
 * commas inside quoted strings do not split. When a directive repeats, the first occurrence wins (RFC 9111
 * 4.2.1 allows using the first).
 */
export interface CacheControl {
  has(name: string): boolean;
  /** delta-seconds value of a directive; invalid -> undefined, overflow clamps to 2^31. */
  seconds(name: string): number | undefined;
  value(name: string): string | true | undefined;
}

/** RFC 9111 1.2.2: a delta-seconds too big to represent is taken as 2^31. */
export const DELTA_SECONDS_MAX = 2 ** 31;

class ParsedCacheControl implements CacheControl {
  constructor(private readonly directives: ReadonlyMap<string, string | true>) {}

  has(name: string): boolean {
    return this.directives.has(name.toLowerCase());
  }

  value(name: string): string | true | undefined {
    return this.directives.get(name.toLowerCase());
  }

  seconds(name: string): number | undefined {
    const v = this.directives.get(name.toLowerCase());
    return typeof v === 'string' ? parseDeltaSeconds(v) : undefined;
  }

  entries(): IterableIterator<[string, string | true]> {
    return this.directives.entries();
  }
}

/**
 * A new CacheControl with each directive passed through `f` (undefined drops it). For fields that need
 * rewriting before the generic rules apply (Surrogate-Control).
 */
export function mapCacheControl(
  cc: CacheControl,
  f: (name: string, value: string | true) => string | true | undefined,
): CacheControl {
  if (!(cc instanceof ParsedCacheControl)) return cc;
  const out = new Map<string, string | true>();
  for (const [name, value] of cc.entries()) {
    const v = f(name, value);
    if (v !== undefined) out.set(name, v);
  }
  return new ParsedCacheControl(out);
}

const DIGITS = /^[0-9]+$/;

/** 1*DIGIT -> number (clamped to 2^31); anything else (sign, fraction, empty) -> undefined. */
export function parseDeltaSeconds(v: string): number | undefined {
  if (!DIGITS.test(v)) return undefined;
  // Long digit strings are certainly above 2^31; Number() of them would lose precision anyway.
  if (v.length > 10) return DELTA_SECONDS_MAX;
  const n = Number(v);
  return n > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : n;
}

const EMPTY = new ParsedCacheControl(new Map());
// Cache-Control values repeat across responses; parse each distinct one once. Bounded: cleared when full.
const memo = new Map<string, ParsedCacheControl>();
const MEMO_MAX = 1024;

export function parseCacheControl(value: string | string[] | undefined): CacheControl {
  if (value === undefined) return EMPTY;
  const s = typeof value === 'string' ? value : value.join(',');
  if (s === '') return EMPTY;
  let cc = memo.get(s);
  if (cc === undefined) {
    cc = new ParsedCacheControl(parseDirectives(s));
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(s, cc);
  }
  return cc;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function parseDirectives(s: string): Map<string, string | true> {
  const out = new Map<string, string | true>();
  const n = s.length;
  let i = 0;
  while (i < n) {
    // name: up to '=' or ','
    let j = i;
    while (j < n && s.charCodeAt(j) !== 0x3d /* = */ && s.charCodeAt(j) !== 0x2c /* , */) j++;
    const name = s.slice(i, j).trim().toLowerCase();
    let value: string | true = true;
    if (j < n && s.charCodeAt(j) === 0x3d) {
      j++;
      while (j < n && isOws(s.charCodeAt(j))) j++;
      if (j < n && s.charCodeAt(j) === 0x22 /* " */) {
        // quoted-string with backslash escapes; an unterminated one runs to the end.
        j++;
        let v = '';
        while (j < n) {
          const c = s.charCodeAt(j);
          if (c === 0x22) {
            j++;
            break;
          }
          if (c === 0x5c /* \ */ && j + 1 < n) {
            v += s[j + 1];
            j += 2;
            continue;
          }
          v += s[j];
          j++;
        }
        value = v;
        // junk after the closing quote, up to the next comma, is ignored
        while (j < n && s.charCodeAt(j) !== 0x2c) j++;
      } else {
        const start = j;
        while (j < n && s.charCodeAt(j) !== 0x2c) j++;
        value = s.slice(start, j).trim();
      }
    }
    if (name !== '' && !out.has(name)) out.set(name, value);
    i = j + 1;
  }
  return out;
}
