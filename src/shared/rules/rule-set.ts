import type { NormalizedUrl } from '../url/normalized-url.js';
import { normalizeUrl } from '../url/normalize-url.js';
import type { BlockRule, RuleHit, RuleMatchKind } from './block-rule.js';
import { exactPathLength, matchHost, matchPath, queryParams } from './match-form.js';

/**
 * The compiled block-rule set the edge checks on every request, before its cache.
 *
 * Sized for millions of rules with no JS object per rule: a rule is a row in parallel typed arrays (the high half
 * of its 64-bit key, id, kind, an index into interned notice data and into interned country sets), and the lookup
 * table is one Int32Array of (low key half, row) pairs with linear probing, so a probe compares keys inside the
 * table's own cache lines and touches a row only on a likely hit. Rules sharing a key (one URL under several
 * notices or country lists) simply occupy several slots; a lookup reads its whole probe run. Keys are 64-bit hashes
 * of the rule's match form (match-form.ts); a false match needs a 64-bit collision (docs/rules-and-urls.md).
 * Exact rules whose URL has a query are rare and keep their parameter lists in a side map.
 *
 * A request is hashed in one pass: host, then path character by character, probing prefix keys only at lengths
 * some prefix rule on that host has, then the exact (and query) key at the end.
 */

const KIND_NONE = 0; // a removed row
const KIND_EXACT = 1;
const KIND_PREFIX = 2;
const KIND_HOST = 3;
const KIND_QUERY = 4; // an exact rule with a query: matched on path, then on its parameters

const EMPTY = -1;
const TOMBSTONE = -2;
/** Table slots per live rule after a resize; resized when more than MAX_LOAD of the slots are taken. */
const SLOTS_PER_RULE = 1 / 0.65;
const MAX_LOAD = 0.75;

interface RuleMeta {
  readonly notice: string;
  readonly demandedBy?: string;
  readonly law?: string;
}

/** A RuleSet as plain, structured-cloneable data (toTransfer / fromTransfer). */
export interface RuleSetState {
  readonly rowCount: number;
  readonly live: number;
  readonly his: Uint32Array;
  readonly ids: Uint32Array;
  readonly kinds: Uint8Array;
  readonly metaIndex: IndexArray;
  readonly countryIndex: IndexArray;
  readonly table: Int32Array;
  readonly slots: number;
  readonly used: number;
  readonly filter: Int32Array;
  readonly filterMask: number;
  readonly metas: readonly RuleMeta[];
  readonly metaKeys: ReadonlyMap<string, number>;
  readonly countrySets: readonly (readonly string[] | null)[];
  readonly countryKeys: ReadonlyMap<string, number>;
  readonly queryRules: ReadonlyMap<number, string>;
  readonly prefixLengths: Uint32Array;
  readonly prefixRuleCount: number;
  readonly hostPrefixMasks: ReadonlyMap<number, number>;
  readonly hostRuleCount: number;
}

/** Murmur3's finalizer: a bijection that spreads the running hashes. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Two independent 32-bit running hashes (FNV-1a and a multiplicative one) make the 64-bit key. The host and the
// path are fed as one string (a host never contains '/', a path starts with it); the kind is mixed in at the end,
// so the running state of one pass yields the host, prefix and exact keys.
const H1_SEED = 0x811c9dc5;
const H2_SEED = 0x9747b28c;
// The running hashes and the last key live in a typed array: module-level `let`s holding 32-bit values were boxed
// as heap numbers on every write, four allocations per request.
const H = new Uint32Array(4);
const ST_A = 0;
const ST_B = 1;
const KEY_LO = 2;
const KEY_HI = 3;
function hashHost(host: string): void {
  let a = H1_SEED;
  let b = H2_SEED;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  H[ST_A] = a;
  H[ST_B] = b;
}
function hashPath(path: string, start: number, end: number): void {
  let a = H[ST_A]!;
  let b = H[ST_B]!;
  for (let i = start; i < end; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  H[ST_A] = a;
  H[ST_B] = b;
}
function finish(a: number, b: number, kind: number): void {
  H[KEY_LO] = fmix(a ^ Math.imul(kind, 0x9e3779b1));
  H[KEY_HI] = fmix(b ^ Math.imul(kind, 0x7feb352d));
}
/** 30 bits naming a host for the per-host prefix-length masks (a small integer: a cheap Map key). */
function hostTag(a: number, b: number): number {
  return fmix(a ^ Math.imul(b, 0x27d4eb2f) ^ 0x5f356495) & 0x3fffffff;
}

export class RuleSet {
  // Rows.
  private rowCount = 0;
  private live = 0;
  private his: Uint32Array;
  private ids: Uint32Array;
  private kinds: Uint8Array;
  // The narrowest element type that holds every index so far (most sets have under 256 country lists and under
  // 65,536 notices): widened when an index outgrows it. Three bytes a rule of the ~30.
  private metaIndex: IndexArray;
  private countryIndex: IndexArray;
  // Lookup table: [low key half, row] pairs.
  private table: Int32Array;
  private slots: number;
  private used = 0; // slots holding a row or a tombstone
  /**
   * One bit per (high key half mod its size), four bits per slot: a request's probes mostly miss, and a bitset an
   * eighth the table's size answers most of them from a cache line the table would otherwise have to be read for.
   */
  private filter: Int32Array;
  private filterMask: number;
  // Interned data.
  private readonly metas: RuleMeta[] = [];
  private readonly metaKeys = new Map<string, number>();
  private readonly countrySets: (readonly string[] | null)[] = [null];
  private readonly countryKeys = new Map<string, number>();
  /** Query rules' parameters in match form, joined by '&' (which match form keeps encoded inside a parameter). */
  private queryRules = new Map<number, string>();
  /** prefixLengths[n]: how many prefix rules have a match path n characters long. */
  private prefixLengths: Uint32Array = new Uint32Array(64);
  private prefixRuleCount = 0;
  /**
   * Per host (by a 32-bit tag), a bitmask of its prefix rules' lengths mod 32: a request to a host without prefix
   * rules makes one Map lookup, and one with some probes only near their lengths. Never cleared on removal (a
   * superset only costs a probe).
   */
  private readonly hostPrefixMasks = new Map<number, number>();
  private hostRuleCount = 0;

  constructor(capacity = 16) {
    const cap = Math.max(16, capacity);
    this.his = new Uint32Array(cap);
    this.ids = new Uint32Array(cap);
    this.kinds = new Uint8Array(cap);
    this.metaIndex = new Uint16Array(cap);
    this.countryIndex = new Uint8Array(cap);
    this.slots = tableSizeFor(cap);
    this.table = newTable(this.slots);
    this.filterMask = filterBitsFor(this.slots) - 1;
    this.filter = new Int32Array((this.filterMask + 1) >>> 5);
  }

  static from(rules: Iterable<BlockRule>): RuleSet {
    const list = Array.isArray(rules) ? (rules as BlockRule[]) : [...rules];
    const set = new RuleSet(list.length);
    for (const r of list) set.add(r);
    return set;
  }

  /**
   * The whole set as plain data for postMessage, and the buffers to transfer with it (moved, not copied): a set
   * compiled on a worker thread reaches the serving thread without its typed arrays being copied. The set is
   * unusable afterwards (its buffers are detached).
   */
  toTransfer(): { state: RuleSetState; transfer: ArrayBuffer[] } {
    const state: RuleSetState = {
      rowCount: this.rowCount,
      live: this.live,
      his: this.his,
      ids: this.ids,
      kinds: this.kinds,
      metaIndex: this.metaIndex,
      countryIndex: this.countryIndex,
      table: this.table,
      slots: this.slots,
      used: this.used,
      filter: this.filter,
      filterMask: this.filterMask,
      metas: this.metas,
      metaKeys: this.metaKeys,
      countrySets: this.countrySets,
      countryKeys: this.countryKeys,
      queryRules: this.queryRules,
      prefixLengths: this.prefixLengths,
      prefixRuleCount: this.prefixRuleCount,
      hostPrefixMasks: this.hostPrefixMasks,
      hostRuleCount: this.hostRuleCount,
    };
    // Every typed array owns its buffer (none is a view made here on a shared one): each can be moved.
    const transfer = Object.values(state)
      .filter((v): v is ArrayBufferView => ArrayBuffer.isView(v))
      .map((v) => v.buffer as ArrayBuffer);
    return { state, transfer };
  }

  /**
   * The set toTransfer() described, as received on the other side of postMessage: the state's fields are the
   * set's own (same names), and structured clone made them fresh, so they are taken as they are.
   */
  static fromTransfer(state: RuleSetState): RuleSet {
    const set = new RuleSet(16);
    Object.assign(set, state);
    // Structured clone does not keep freezing; hits hand these lists out.
    for (const c of set.countrySets) if (c !== null) Object.freeze(c);
    return set;
  }

  /** Gives back the spare room left by growth or a generous capacity, when it is more than an eighth. */
  trim(): void {
    if (this.rowCount - this.live > 0) this.compact();
    const n = this.rowCount;
    if (this.kinds.length - n <= this.kinds.length / 8) return;
    this.his = this.his.slice(0, n);
    this.ids = this.ids.slice(0, n);
    this.kinds = this.kinds.slice(0, n);
    this.metaIndex = this.metaIndex.slice(0, n);
    this.countryIndex = this.countryIndex.slice(0, n);
  }

  get size(): number {
    return this.live;
  }

  /** Moves on every add and remove: a verdict remembered for a set object holds while its version is unchanged. */
  get version(): number {
    return this.changes;
  }
  private changes = 0;

  /**
   * Whether the last match() weighed a rule limited to countries: when false, its verdict holds for a client of
   * any country (a caller may remember it for all of them).
   */
  get lastVerdictUsedCountry(): boolean {
    return this.usedCountry;
  }

  /**
   * Whether the last match() could depend on the request's query: a rule with a query on the path was weighed,
   * or the request had no query while such rules exist (their table was not read). When false, the verdict
   * holds for the same host and path with any query.
   */
  get lastVerdictUsedQuery(): boolean {
    return this.usedQuery;
  }

  add(rule: BlockRule): void {
    const key = ruleKey(rule);
    if (this.rowCount === this.kinds.length) this.makeRoomForRow();
    if (this.used + 1 > this.slots * MAX_LOAD) this.rehash(tableSizeFor(this.live + 1));
    const row = this.rowCount++;
    this.his[row] = key.hi;
    this.ids[row] = rule.id;
    this.kinds[row] = key.kind;
    const mi = this.internMeta(rule);
    this.metaIndex = widenFor(this.metaIndex, mi);
    this.metaIndex[row] = mi;
    const ci = this.internCountries(rule.countries);
    this.countryIndex = widenFor(this.countryIndex, ci);
    this.countryIndex[row] = ci;
    if (key.kind === KIND_QUERY) {
      this.queryRules.set(row, key.params.join('&'));
    } else if (key.kind === KIND_PREFIX) {
      this.markPrefixLength(key.length, 1);
      this.prefixRuleCount++;
      this.hostPrefixMasks.set(
        key.hostTag,
        (this.hostPrefixMasks.get(key.hostTag) ?? 0) | (1 << (key.length & 31)),
      );
    } else if (key.kind === KIND_HOST) {
      this.hostRuleCount++;
    }
    this.live++;
    this.changes++;
    this.insert(key.lo, row);
  }

  /** Removes the rule with this id and URL; the control plane sends the whole rule. */
  remove(rule: BlockRule): boolean {
    const key = ruleKey(rule);
    const table = this.table;
    const slots = this.slots;
    for (let i = this.home(key.lo); ; i = i + 1 === slots ? 0 : i + 1) {
      const row = table[2 * i + 1]!;
      if (row === EMPTY) return false;
      if (
        row >= 0 &&
        table[2 * i] === (key.lo | 0) &&
        this.his[row] === key.hi &&
        this.ids[row] === rule.id &&
        this.kinds[row] === key.kind
      ) {
        table[2 * i + 1] = TOMBSTONE;
        if (key.kind === KIND_QUERY) this.queryRules.delete(row);
        else if (key.kind === KIND_HOST) this.hostRuleCount--;
        else if (key.kind === KIND_PREFIX) {
          this.markPrefixLength(key.length, -1);
          this.prefixRuleCount--;
        }
        this.kinds[row] = KIND_NONE;
        this.live--;
        this.changes++;
        return true;
      }
    }
  }

  /**
   * The rule that blocks this URL for a client in `country` (null: unknown, so only worldwide rules apply), or
   * null. Among several, a worldwide rule wins over a country-limited one, then the lowest id.
   */
  match(url: NormalizedUrl, country: string | null): RuleHit | null {
    this.usedCountry = false;
    this.usedQuery = false;
    if (this.live === 0) return null;
    this.best = EMPTY;
    this.country = country;
    this.params = null;
    this.query = url.query;
    if (this.queryRules.size > 0 && url.query === '') this.usedQuery = true;
    const host = matchHost(url.host);
    hashHost(host);
    const hostA = H[ST_A]!;
    const hostB = H[ST_B]!;
    if (this.hostRuleCount > 0) {
      finish(hostA, hostB, KIND_HOST);
      this.probe();
    }
    const path = matchPath(url.path);
    const n = path.length;
    const exactEnd = exactPathLength(path);
    let hostMask = 0;
    if (this.prefixRuleCount > 0) hostMask = this.hostPrefixMasks.get(hostTag(hostA, hostB)) ?? 0;
    if (hostMask === 0) {
      hashPath(path, 0, exactEnd);
    } else {
      // One pass over the path; the running hash is probed at each length a prefix rule on this host may have.
      const lengths = this.prefixLengths;
      const limit = Math.min(n, lengths.length - 1);
      let a = hostA;
      let b = hostB;
      let exactA = hostA;
      let exactB = hostB;
      for (let i = 0; i < limit; i++) {
        const c = path.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
        b ^= b >>> 15;
        const len = i + 1;
        if (len === exactEnd) {
          exactA = a;
          exactB = b;
        }
        if ((hostMask & (1 << (len & 31))) !== 0 && lengths[len]! > 0) {
          finish(a, b, KIND_PREFIX);
          this.probe();
        }
      }
      if (limit < exactEnd) {
        H[ST_A] = a;
        H[ST_B] = b;
        hashPath(path, limit, exactEnd);
        exactA = H[ST_A]!;
        exactB = H[ST_B]!;
      }
      H[ST_A] = exactA;
      H[ST_B] = exactB;
    }
    finish(H[ST_A]!, H[ST_B]!, KIND_EXACT);
    this.probe();
    if (this.queryRules.size > 0 && url.query !== '') {
      finish(H[ST_A]!, H[ST_B]!, KIND_QUERY);
      this.probe();
    }
    return this.best < 0 ? null : this.hit(this.best);
  }

  // Per-lookup state, kept on the instance so that probing allocates nothing.
  private best = EMPTY;
  private country: string | null = null;
  private query = '';
  private params: Set<string> | null = null;
  private usedCountry = false;
  private usedQuery = false;

  /** Every row under the current key (keyLo, keyHi) that applies is weighed against the best so far. */
  private probe(): void {
    const table = this.table;
    const slots = this.slots;
    const hi = H[KEY_HI]!;
    if ((this.filter[(hi & this.filterMask) >>> 5]! & (1 << (hi & 31))) === 0) return;
    const lo = H[KEY_LO]! | 0;
    for (let i = this.home(lo); ; i = i + 1 === slots ? 0 : i + 1) {
      const row = table[2 * i + 1]!;
      if (row === EMPTY) return;
      if (row >= 0 && table[2 * i] === lo && this.his[row] === hi) this.consider(row);
    }
  }

  private consider(row: number): void {
    if (this.kinds[row] === KIND_QUERY) {
      this.usedQuery = true;
      if (this.params === null) this.params = new Set(queryParams(this.query));
      const params = this.params;
      if (
        !this.queryRules
          .get(row)!
          .split('&')
          .every((p) => params.has(p))
      )
        return;
    }
    const ci = this.countryIndex[row]!;
    if (ci !== 0) {
      this.usedCountry = true;
      if (this.country === null || !this.countrySets[ci]!.includes(this.country)) return;
    }
    const best = this.best;
    if (best < 0) {
      this.best = row;
      return;
    }
    const bestCi = this.countryIndex[best]!;
    if ((ci === 0 && bestCi !== 0) || ((ci === 0) === (bestCi === 0) && this.ids[row]! < this.ids[best]!))
      this.best = row;
  }

  private hit(row: number): RuleHit {
    const meta = this.metas[this.metaIndex[row]!]!;
    const kind = this.kinds[row]!;
    const hit: { -readonly [K in keyof RuleHit]: RuleHit[K] } = {
      ruleId: this.ids[row]!,
      match: kind === KIND_PREFIX ? 'prefix' : kind === KIND_HOST ? 'host' : 'exact',
      notice: meta.notice,
      countries: this.countrySets[this.countryIndex[row]!]!,
    };
    if (meta.demandedBy !== undefined) hit.demandedBy = meta.demandedBy;
    if (meta.law !== undefined) hit.law = meta.law;
    return hit;
  }

  /** The first slot of a key's probe run: multiply-shift, so the table size need not be a power of two. */
  private home(lo: number): number {
    return Math.floor((lo >>> 0) * this.slots * 2.3283064365386963e-10);
  }

  private insert(lo: number, row: number): void {
    const table = this.table;
    const slots = this.slots;
    for (let i = this.home(lo); ; i = i + 1 === slots ? 0 : i + 1) {
      const r = table[2 * i + 1]!;
      if (r < 0) {
        if (r === EMPTY) this.used++;
        table[2 * i] = lo;
        table[2 * i + 1] = row;
        const hi = this.his[row]!;
        this.filter[(hi & this.filterMask) >>> 5]! |= 1 << (hi & 31);
        return;
      }
    }
  }

  /** Rebuilds the table at `slots` slots, dropping tombstones; `remap` renumbers rows after a compaction. */
  private rehash(slots: number, remap?: Int32Array): void {
    const old = this.table;
    const oldSlots = this.slots;
    this.slots = slots;
    this.table = newTable(slots);
    this.filterMask = filterBitsFor(slots) - 1;
    this.filter = new Int32Array((this.filterMask + 1) >>> 5);
    this.used = 0;
    for (let i = 0; i < oldSlots; i++) {
      const row = old[2 * i + 1]!;
      if (row >= 0) this.insert(old[2 * i]!, remap ? remap[row]! : row);
    }
  }

  /** Rows of removed rules are reclaimed when they are a quarter of all; otherwise the row arrays grow. */
  private makeRoomForRow(): void {
    const dead = this.rowCount - this.live;
    if (dead >= 16 && dead * 4 >= this.rowCount) {
      this.compact();
      return;
    }
    const cap = Math.ceil(this.kinds.length * 1.5) + 16;
    this.his = grow(this.his, new Uint32Array(cap));
    this.ids = grow(this.ids, new Uint32Array(cap));
    this.kinds = grow(this.kinds, new Uint8Array(cap));
    this.metaIndex = grow(this.metaIndex, sameKind(this.metaIndex, cap));
    this.countryIndex = grow(this.countryIndex, sameKind(this.countryIndex, cap));
  }

  private compact(): void {
    const remap = new Int32Array(this.rowCount).fill(EMPTY);
    const queryRules = new Map<number, string>();
    let n = 0;
    for (let r = 0; r < this.rowCount; r++) {
      if (this.kinds[r] === KIND_NONE) continue;
      remap[r] = n;
      this.his[n] = this.his[r]!;
      this.ids[n] = this.ids[r]!;
      this.kinds[n] = this.kinds[r]!;
      this.metaIndex[n] = this.metaIndex[r]!;
      this.countryIndex[n] = this.countryIndex[r]!;
      const params = this.queryRules.get(r);
      if (params !== undefined) queryRules.set(n, params);
      n++;
    }
    this.rowCount = n;
    this.queryRules = queryRules;
    this.rehash(tableSizeFor(Math.max(n, this.kinds.length)), remap);
  }

  private markPrefixLength(n: number, delta: number): void {
    if (n >= this.prefixLengths.length) {
      const bigger = new Uint32Array(Math.max(n + 1, this.prefixLengths.length * 2));
      bigger.set(this.prefixLengths);
      this.prefixLengths = bigger;
    }
    this.prefixLengths[n]! += delta;
  }

  private internMeta(rule: BlockRule): number {
    const k =
      rule.demandedBy === undefined && rule.law === undefined
        ? rule.notice
        : `${rule.notice}\u0000${rule.demandedBy ?? ''}\u0000${rule.law ?? ''}`;
    let i = this.metaKeys.get(k);
    if (i === undefined) {
      i = this.metas.length;
      this.metas.push({
        notice: rule.notice,
        ...(rule.demandedBy === undefined ? {} : { demandedBy: rule.demandedBy }),
        ...(rule.law === undefined ? {} : { law: rule.law }),
      });
      this.metaKeys.set(k, i);
    }
    return i;
  }

  private internCountries(countries: readonly string[] | null): number {
    if (countries === null) return 0;
    const given = countries.join(',');
    let i = this.countryKeys.get(given);
    if (i !== undefined) return i;
    const sorted = [...new Set(countries.map((c) => c.toUpperCase()))].sort();
    const k = sorted.join(',');
    i = this.countryKeys.get(k);
    if (i === undefined) {
      i = this.countrySets.length;
      if (i > 0xffff) throw new RangeError('more than 65535 distinct country sets');
      this.countrySets.push(Object.freeze(sorted));
      this.countryKeys.set(k, i);
    }
    this.countryKeys.set(given, i);
    return i;
  }
}

type IndexArray = Uint8Array | Uint16Array | Uint32Array;

/** `a` itself when it can hold `value`, else a copy with wider elements. */
function widenFor(a: IndexArray, value: number): IndexArray {
  if (value < 2 ** (8 * a.BYTES_PER_ELEMENT)) return a;
  const wider = a.BYTES_PER_ELEMENT === 1 ? new Uint16Array(a.length) : new Uint32Array(a.length);
  wider.set(a);
  return widenFor(wider, value);
}

function sameKind(a: IndexArray, length: number): IndexArray {
  return a.BYTES_PER_ELEMENT === 1
    ? new Uint8Array(length)
    : a.BYTES_PER_ELEMENT === 2
      ? new Uint16Array(length)
      : new Uint32Array(length);
}

function grow<T extends Uint32Array | Uint8Array | Uint16Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function newTable(slots: number): Int32Array {
  const t = new Int32Array(slots * 2);
  for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
  return t;
}

function filterBitsFor(slots: number): number {
  let bits = 1024;
  while (bits < slots * 4) bits *= 2;
  return bits;
}

function tableSizeFor(rows: number): number {
  return Math.max(16, Math.ceil(rows * SLOTS_PER_RULE));
}

interface RuleKey {
  readonly kind: number;
  readonly lo: number;
  readonly hi: number;
  /** prefix rules: the match path's length, and their host's tag. */
  readonly length: number;
  readonly hostTag: number;
  /** query rules: their parameters. */
  readonly params: readonly string[];
}

const NO_PARAMS: readonly string[] = [];

function ruleKey(rule: BlockRule): RuleKey {
  const url = normalizeUrl(rule.url);
  // A prefix rule's query is ignored: it blocks everything under its path.
  const params = rule.match === 'exact' && url.query !== '' ? queryParams(url.query) : NO_PARAMS;
  const kind = kindOf(rule.match, params);
  hashHost(matchHost(url.host));
  const tag = hostTag(H[ST_A]!, H[ST_B]!);
  let length = 0;
  if (kind !== KIND_HOST) {
    const path = matchPath(url.path);
    length = kind === KIND_PREFIX ? path.length : exactPathLength(path);
    hashPath(path, 0, length);
  }
  finish(H[ST_A]!, H[ST_B]!, kind);
  return { kind, lo: H[KEY_LO]!, hi: H[KEY_HI]!, length, hostTag: tag, params };
}

function kindOf(match: RuleMatchKind, params: readonly string[]): number {
  if (match === 'host') return KIND_HOST;
  if (match === 'prefix') return KIND_PREFIX;
  return params.length === 0 ? KIND_EXACT : KIND_QUERY;
}
