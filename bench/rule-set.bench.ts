/**
 * Memory and lookup cost of the compiled rule set. Synthetic but realistic rules: ~90% exact (a few with a query),
 * ~8% prefix, ~2% host; a fifth of them limited to countries; one notice per 1,000 rules (a notice lists many URLs).
 * Alone: `node --expose-gc dist/bench/rule-set.bench.js 1000000` (also times parsing that many JSON lines).
 *
 * Lookup figures are the fastest of many short rounds (wall clock), which filters out time stolen by other processes.
 */
import { RuleSet } from '../src/shared/rules/rule-set.js';
import type { BlockRule } from '../src/shared/rules/block-rule.js';
import { parseRulesJsonl } from '../src/shared/rules/parse-rules-jsonl.js';
import { normalizeRequest } from '../src/shared/url/normalize-url.js';
import type { NormalizedUrl } from '../src/shared/url/normalized-url.js';

export interface RuleSetFigures {
  readonly rules: number;
  /** Heap + external (typed arrays) growth per rule after gc; includes garbage when gcAvailable is false. */
  readonly bytesPerRule: number;
  readonly buildMs: number;
  /** Normalizing a request (Host + target) and checking it against the set, per request. */
  readonly lookupNsPerOp: number;
  /** The rule check alone, on an already normalized URL (normalization is needed for the cache key anyway). */
  readonly matchNsPerOp: number;
  /**
   * The rule check of one unblocked URL, already normalized (as it is for the cache key), asked again and again:
   * what a cache hit for a popular object pays (its slots stay in the CPU's caches), next to the cold lookups above.
   */
  readonly hotLookupNsPerOp: number;
  /** Share of the benchmark requests that were blocked (sanity: the workload hits rules). */
  readonly blockedShare: number;
  /** Parsing `rules` JSON lines (parseRulesJsonl), when asked for. */
  readonly parseMs?: number;
  readonly gcAvailable: boolean;
}

const COUNTRY_SETS: readonly (readonly string[])[] = [
  ['JP'],
  ['JP', 'FR'],
  ['DE', 'AT', 'CH'],
  ['US'],
  ['GB', 'IE'],
];
const SITES = 5000;

function syntheticRule(i: number): BlockRule {
  const kind = i % 50 === 0 ? 'host' : i % 12 === 0 ? 'prefix' : 'exact';
  const site = `site-${i % SITES}.example`;
  const url =
    kind === 'host'
      ? `https://pirate-${i}.example/`
      : kind === 'prefix'
        ? `https://${site}/series/${i}/`
        : i % 33 === 0
          ? `https://${site}/read.php?id=${i}&ch=${i % 300}`
          : `https://${site}/manga/${i}/chapter-${i % 300}.html`;
  return {
    id: i + 1,
    match: kind,
    url,
    countries: i % 5 === 0 ? COUNTRY_SETS[(i / 5) % COUNTRY_SETS.length]!.slice() : null,
    notice: `https://notices.example/n/${Math.floor(i / 1000)}`,
  };
}

/** Requests: a quarter blocked exact URLs (with tracking parameters), a quarter under blocked prefixes, half allowed. */
function syntheticRequests(n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < 4000; i++) {
    const j = (i * 7919) % n;
    const site = `site-${j % SITES}.example`;
    if (i % 4 === 0) out.push([site, `/manga/${j}/chapter-${j % 300}.html?utm_source=x&page=${i}`]);
    else if (i % 4 === 1) {
      const p = j - (j % 12); // a prefix rule's index, on its own site
      out.push([`site-${p % SITES}.example`, `/series/${p}/vol-1/p${i}.jpg`]);
    } else if (i % 4 === 2) out.push([site, `/catalogue/new/${i}.html`]);
    else out.push([site, `/static/app.${i}.js?v=3`]);
  }
  return out;
}

function measuredBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external; // external already includes arrayBuffers
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return false;
  g();
  g();
  return true;
}

/** Fastest of `rounds` timed runs of `fn` over `ops` operations, in ns per operation. */
function fastest(rounds: number, ops: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / ops);
  }
  return best;
}

export async function benchRuleSet(opts: { rules: number; parse?: boolean }): Promise<RuleSetFigures> {
  const n = opts.rules;
  const gcAvailable = gc();
  const before = measuredBytes();
  const started = performance.now();
  // Rules are generated and added one at a time, as from a file stream, so only the set itself stays alive.
  const set = new RuleSet(n);
  for (let i = 0; i < n; i++) set.add(syntheticRule(i));
  const buildMs = performance.now() - started;
  gc();
  const bytesPerRule = (measuredBytes() - before) / n;
  if (set.size !== n) throw new Error(`rule set has ${set.size} rules, expected ${n}`);

  const targets = syntheticRequests(n);
  const normalized: NormalizedUrl[] = targets.map(([host, target]) =>
    normalizeRequest('https', host, target),
  );
  let blocked = 0;
  for (const u of normalized) if (set.match(u, 'JP') !== null) blocked++;
  if (blocked === 0) throw new Error('benchmark requests matched no rule: the workload is wrong');
  // Many short rounds (a few ms each): the fastest is one no other process interrupted.
  const rounds = 80;
  const ops = targets.length;
  let sink = 0;
  const lookupNsPerOp = fastest(rounds, ops, () => {
    for (let i = 0; i < targets.length; i++) {
      const [host, target] = targets[i]!;
      if (set.match(normalizeRequest('https', host, target), i & 1 ? 'JP' : 'US') !== null) sink++;
    }
  });
  const matchNsPerOp = fastest(rounds, ops, () => {
    for (let i = 0; i < normalized.length; i++)
      if (set.match(normalized[i]!, i & 1 ? 'JP' : 'US') !== null) sink++;
  });
  if (sink === 0) throw new Error('no request was blocked while timing');
  // A site that has exact and prefix rules of its own, so the check walks the prefix lengths and probes.
  const hot = ['site-0.example', '/obj/1024'] as const;
  if (set.match(normalizeRequest('https', hot[0], hot[1]), 'JP') !== null)
    throw new Error('hot URL is blocked');
  const hotOps = 20_000;
  const hotLookupNsPerOp = fastest(rounds, hotOps, () => {
    for (let i = 0; i < hotOps; i++)
      if (set.match(normalizeRequest('https', hot[0], hot[1]), 'JP') !== null) sink++;
  });

  let parseMs: number | undefined;
  if (opts.parse) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(JSON.stringify(syntheticRule(i)));
    const text = lines.join('\n');
    lines.length = 0;
    const t0 = performance.now();
    const parsed = parseRulesJsonl(text);
    parseMs = performance.now() - t0;
    if (parsed.errors.length > 0 || parsed.rules.length !== n)
      throw new Error(`parsing gave ${parsed.rules.length} rules and ${parsed.errors.length} errors`);
  }
  return {
    rules: n,
    bytesPerRule,
    buildMs,
    lookupNsPerOp,
    matchNsPerOp,
    hotLookupNsPerOp,
    blockedShare: blocked / targets.length,
    ...(parseMs === undefined ? {} : { parseMs }),
    gcAvailable,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  // --json: the figures alone, for `npm run bench`, which runs this in its own process so that the garbage of a
  // million rules is never collected by the process that drives the load.
  const json = process.argv.includes('--json');
  const r = await benchRuleSet({ rules: n, parse: !json });
  if (json) console.log(JSON.stringify(r));
  else
    console.log(
      [
        `${n.toLocaleString('en-US')} rules: ${r.bytesPerRule.toFixed(1)} bytes/rule${r.gcAvailable ? '' : ' (no --expose-gc: figure includes garbage)'}`,
        `build ${r.buildMs.toFixed(0)} ms, parse ${r.parseMs?.toFixed(0)} ms (JSON lines)`,
        `lookup ${r.lookupNsPerOp.toFixed(0)} ns/request incl. normalization, rule check alone ${r.matchNsPerOp.toFixed(0)} ns (${(r.blockedShare * 100).toFixed(0)}% of requests blocked)`,
      ].join('\n'),
    );
}
