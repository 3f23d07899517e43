/**
 * `npm run bench [-- section ...]`: Edgeward's own benchmark. Sections: http, rules, purge, propagation
 * (default: all). Every figure is printed next to a baseline measured in the same run.
 *
 * Settings (environment): BENCH_DURATION seconds per load run (8), BENCH_WARMUP seconds of unmeasured load before
 * each run (2), BENCH_ROUNDS alternated rounds whose median is reported for the targeted cases (3),
 * BENCH_RULE_ROUNDS runs of the two edges at once in the rule-check section (9), BENCH_CONNECTIONS (32), BENCH_WORKERS
 * processes for each server under test (1: the load generator needs the other core of this 2-core machine),
 * BENCH_RULES (1000000), BENCH_PURGE_OBJECTS (1000000), BENCH_PROPAGATION_EDGES ("1,5,20"),
 * BENCH_PROPAGATION_CHANGES (200).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { hasWrk, runLoad, type LoadResult } from './load-generator.js';
import { startEdge, startFixture, startNginx, type Launched } from './launch.js';
import { treeCpuSeconds, treeRssBytes } from './process-tree.js';
import type { RuleSetFigures } from './rule-set.bench.js';
import { benchTempDir, removeBenchTempDirs } from './temp-dirs.js';
import { benchPurgeByTag } from './purge.bench.js';
import { benchPropagation } from './propagation.bench.js';

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};

const settings = {
  duration: env('BENCH_DURATION', 8),
  warmup: env('BENCH_WARMUP', 2),
  rounds: env('BENCH_ROUNDS', 3),
  ruleRounds: env('BENCH_RULE_ROUNDS', 9),
  connections: env('BENCH_CONNECTIONS', 32),
  workers: env('BENCH_WORKERS', 1),
  rules: env('BENCH_RULES', 1_000_000),
  purgeObjects: env('BENCH_PURGE_OBJECTS', 1_000_000),
  propagationEdges: (process.env.BENCH_PROPAGATION_EDGES ?? '1,5,20').split(',').map(Number),
  propagationChanges: env('BENCH_PROPAGATION_CHANGES', 200),
};

const sections = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (s: string) => sections.length === 0 || sections.includes(s);
const logDir = benchTempDir('logs');
const results: Record<string, unknown> = { settings, startedAt: new Date().toISOString() };

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
const cpu = (r: { cpuUsPerRequest: number | null }) =>
  r.cpuUsPerRequest === null ? '-' : fmt(r.cpuUsPerRequest, 1);
const mark = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

async function expectHeader(
  url: string,
  header: string,
  pattern: RegExp,
  headers: Record<string, string> = {},
): Promise<void> {
  const r = await request(url, { headers });
  await r.body.dump();
  const v = String(r.headers[header] ?? '');
  if (!pattern.test(v))
    throw new Error(`${url}: expected ${header} ~ ${pattern}, got "${v}" (status ${r.statusCode})`);
}

interface Measured extends LoadResult {
  /** The server's CPU time (user + system, all its processes) per request of the measured run. */
  readonly cpuUsPerRequest: number | null;
}

/** A warm-up run (JIT, caches, the garbage of start-up collected), then the measured run. */
async function measure(o: {
  url: string;
  host?: string;
  uniqueSuffixSize?: number;
  pid?: number;
}): Promise<Measured> {
  const base = {
    url: o.url,
    connections: settings.connections,
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.uniqueSuffixSize === undefined ? {} : { uniqueSuffixSize: o.uniqueSuffixSize }),
  };
  await runLoad({ ...base, durationSeconds: settings.warmup });
  const cpuBefore = o.pid === undefined ? 0 : treeCpuSeconds(o.pid);
  const r = await runLoad({ ...base, durationSeconds: settings.duration });
  const requests = r.requestsPerSecond * settings.duration;
  const cpuUsPerRequest =
    o.pid === undefined || requests === 0 ? null : ((treeCpuSeconds(o.pid) - cpuBefore) * 1e6) / requests;
  return { ...r, cpuUsPerRequest };
}

/** The run with the median req/s of several (each with its own warm-up). */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function load(server: Launched, path: string, uniqueSuffixSize?: number): Promise<Measured> {
  return measure({
    url: `http://127.0.0.1:${server.port}${path}`,
    ...(server.child.pid === undefined ? {} : { pid: server.child.pid }),
    ...(uniqueSuffixSize === undefined ? {} : { uniqueSuffixSize }),
  });
}

async function httpSection(): Promise<void> {
  console.log(
    `\n== HTTP: cache HIT and MISS (${hasWrk() ? 'wrk' : 'autocannon'}, ${settings.connections} connections, ${settings.duration}s each, ${settings.workers} worker process(es) per server)`,
  );
  const origin = await startFixture('origin', logDir);
  const servers: Launched[] = [];
  try {
    servers.push(await startFixture('bare', logDir));
    servers.push(await startEdge(origin.port, { workers: settings.workers, logDir }));
    const nginxInstalled = spawnSync('nginx', ['-v']).error === undefined;
    if (nginxInstalled) servers.push(await startNginx(origin.port, settings.workers, logDir));
    else
      console.log('  nginx is not installed (apt-get install nginx wrk): the edge/nginx ratios are skipped');

    const table: Record<string, Record<string, Measured>> = {};
    // The targeted case is measured in alternated rounds (server A, B, C, A, B, C...) and its median reported, so
    // a slow moment of the machine does not land on one server only.
    const cases: { name: string; path: string; unique?: number; rounds?: number }[] = [
      { name: 'HIT 1 KiB', path: '/obj/1024', rounds: settings.rounds },
      { name: 'HIT 64 KiB', path: '/obj/65536' },
      { name: 'HIT 1 MiB', path: '/obj/1048576' },
      { name: 'MISS 1 KiB', path: '/miss/', unique: 1024 },
    ];
    for (const c of cases) {
      table[c.name] = {};
      const runs = new Map<string, Measured[]>(servers.map((s) => [s.name, []]));
      for (const s of servers) {
        if (c.unique === undefined) {
          // Fill the caches, and prove the edge really answers from its cache before measuring.
          for (let i = 0; i < 3; i++)
            await request(`http://127.0.0.1:${s.port}${c.path}`).then((r) => r.body.dump());
          if (s.name === 'edge')
            await expectHeader(`http://127.0.0.1:${s.port}${c.path}`, 'cache-status', /;\s*hit/);
          if (s.name === 'nginx')
            await expectHeader(`http://127.0.0.1:${s.port}${c.path}`, 'cache-status', /HIT/);
        }
      }
      for (let round = 0; round < (c.rounds ?? 1); round++)
        for (const s of servers) runs.get(s.name)!.push(await load(s, c.path, c.unique));
      for (const s of servers) {
        const r = runs.get(s.name)!;
        table[c.name]![s.name] = median(r);
        if (r.length > 1)
          console.log(
            `  ${c.name} ${s.name}: ${r.map((x) => fmt(x.requestsPerSecond)).join(', ')} req/s (median kept); CPU ${r.map((x) => cpu(x)).join(', ')} us/request`,
          );
      }
    }
    const w = [12, 8, 12, 10, 10, 12, 14, 14];
    console.log(
      row(['case', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'edge/bare', 'edge/nginx'], w),
    );
    for (const [name, byServer] of Object.entries(table)) {
      const edge = byServer.edge!;
      for (const [server, r] of Object.entries(byServer)) {
        const isEdge = server === 'edge';
        console.log(
          row(
            [
              name,
              server,
              fmt(r.requestsPerSecond),
              fmt(r.p50Ms, 2),
              fmt(r.p99Ms, 2),
              cpu(r),
              isEdge ? fmt(ratio(edge.requestsPerSecond, byServer.bare!.requestsPerSecond), 2) : '',
              isEdge && byServer.nginx
                ? fmt(ratio(edge.requestsPerSecond, byServer.nginx.requestsPerSecond), 2)
                : '',
            ],
            w,
          ),
        );
        if (r.non2xx > 0)
          console.log(`  warning: ${server} answered ${r.non2xx} non-2xx responses in "${name}"`);
      }
    }
    const hit = table['HIT 1 KiB']!;
    const vsBare = ratio(hit.edge!.requestsPerSecond, hit.bare!.requestsPerSecond);
    console.log(`HIT 1 KiB edge/bare-node = ${fmt(vsBare, 2)} (target >= 0.80: ${mark(vsBare >= 0.8)})`);
    if (hit.nginx) {
      const vsNginx = ratio(hit.edge!.requestsPerSecond, hit.nginx.requestsPerSecond);
      console.log(`HIT 1 KiB edge/nginx     = ${fmt(vsNginx, 2)} (target >= 0.60: ${mark(vsNginx >= 0.6)})`);
    }
    // CPU per request: the same comparison, much less moved by a slow phase of a shared machine.
    if (hit.edge!.cpuUsPerRequest !== null && hit.bare!.cpuUsPerRequest !== null) {
      console.log(
        `HIT 1 KiB CPU per request: edge ${cpu(hit.edge!)} us, bare ${cpu(hit.bare!)} us${hit.nginx ? `, nginx ${cpu(hit.nginx)} us` : ''} (bare/edge = ${fmt(hit.bare!.cpuUsPerRequest / hit.edge!.cpuUsPerRequest, 2)}${hit.nginx?.cpuUsPerRequest ? `, nginx/edge = ${fmt(hit.nginx.cpuUsPerRequest / hit.edge!.cpuUsPerRequest, 2)}` : ''})`,
      );
    }
    results.http = table;
  } finally {
    for (const s of servers) await s.stop();
    await origin.stop();
  }
}

/** Rules on the benchmark's own host, so every request really walks the exact, prefix and host tables. */
async function writeRulesFile(n: number, host: string): Promise<string> {
  const file = join(benchTempDir('rules'), 'rules.jsonl');
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const notice = `https://notices.example/n/${Math.floor(i / 1000)}`;
    const countries = i % 5 === 0 ? '["JP","FR"]' : 'null';
    const kind = i % 50 === 0 ? 'prefix' : i % 97 === 0 ? 'host' : 'exact';
    const url =
      kind === 'host'
        ? `http://pirate-${i}.example/`
        : kind === 'prefix'
          ? `http://${host}/series/${i}/`
          : `http://${host}/manga/${i}/chapter-${i % 300}.html`;
    if (!out.write(`{"match":"${kind}","url":"${url}","countries":${countries},"notice":"${notice}"}\n`))
      await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return file;
}

const RULES_HOST = 'bench.edgeward.test';

/** The compiled set's own figures, from a process of its own (see rule-set.bench.ts). */
function ruleSetFigures(rules: number): RuleSetFigures {
  const script = fileURLToPath(new URL('./rule-set.bench.js', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', script, String(rules), '--json'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`rule-set.bench.js exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as RuleSetFigures;
}

async function rulesSection(): Promise<void> {
  const rounds = settings.ruleRounds;
  console.log(
    `\n== Rule check: HIT 1 KiB with ${fmt(settings.rules)} rules loaded vs none (two edges loaded at once on one CPU, ${rounds} runs)`,
  );
  const mem = ruleSetFigures(settings.rules);
  console.log(
    `rule set in memory: ${fmt(mem.bytesPerRule, 1)} bytes/rule (target < 40: ${mark(mem.bytesPerRule < 40)}), build ${fmt(mem.buildMs)} ms, lookup ${fmt(mem.lookupNsPerOp)} ns/op incl. normalization, ${fmt(mem.matchNsPerOp)} ns the rule check alone`,
  );
  const rulesFile = await writeRulesFile(settings.rules, RULES_HOST);
  const origin = await startFixture('origin', logDir);
  const edges: Partial<Record<'none' | 'loaded', Launched>> = {};
  const cluster: Partial<Record<'none' | 'loaded', Launched>> = {};
  try {
    // The machine's own speed drifts by tens of percent from one run to the next (a shared VM; two identical
    // edges measured one after the other differ by 25% sd), far more than the effect measured. So the two edges
    // run at the same time on the same CPU, each loaded by its own wrk on the other CPU: the scheduler gives them
    // equal shares of that CPU and every slow phase hits both, so the ratio of their throughputs is the ratio of
    // their costs per request (two identical edges measured this way: sd 2% a run).
    edges.none = await startEdge(origin.port, { workers: 1, logDir, cpu: 1 });
    edges.loaded = await startEdge(origin.port, { workers: 1, logDir, rulesFile, cpu: 1 });
    const headers = { host: RULES_HOST };
    for (const [variant, edge] of Object.entries(edges)) {
      const base = `http://127.0.0.1:${edge.port}`;
      if (variant === 'loaded') await expectStatus(`${base}/manga/1/chapter-1.html`, 451, headers);
      for (let i = 0; i < 3; i++) await request(`${base}/obj/1024`, { headers }).then((r) => r.body.dump());
      await expectHeader(`${base}/obj/1024`, 'cache-status', /;\s*hit/, headers);
    }
    const both = (durationSeconds: number) =>
      Promise.all(
        (['none', 'loaded'] as const).map((v) =>
          runLoad({
            url: `http://127.0.0.1:${edges[v]!.port}/obj/1024`,
            host: RULES_HOST,
            connections: Math.max(1, Math.floor(settings.connections / 2)),
            durationSeconds,
            cpu: 0,
          }),
        ),
      );
    await both(settings.warmup);
    const rps: { none: number[]; loaded: number[] } = { none: [], loaded: [] };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const [none, loaded] = await both(settings.duration);
      rps.none.push(none!.requestsPerSecond);
      rps.loaded.push(loaded!.requestsPerSecond);
      ratios.push(loaded!.requestsPerSecond / none!.requestsPerSecond);
      console.log(
        `  run ${round + 1}: no rules ${fmt(none!.requestsPerSecond)} req/s, ${fmt(settings.rules)} rules ${fmt(loaded!.requestsPerSecond)} req/s (ratio ${fmt(ratios[round]!, 3)}; p99 ${fmt(none!.p99Ms, 2)} / ${fmt(loaded!.p99Ms, 2)} ms)`,
      );
    }
    const rss = { none: treeRssBytes(edges.none.child.pid!), loaded: treeRssBytes(edges.loaded.child.pid!) };
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ratios.length - 1));
    const cost = 1 - mean;
    console.log(
      `rule check cost on HIT throughput: ${fmt(cost * 100, 2)} % (mean of ${rounds} runs, sd ${fmt(sd * 100, 1)} %, standard error ${fmt((sd / Math.sqrt(ratios.length)) * 100, 1)} %; target < 3 %: ${mark(cost < 0.03)})`,
    );
    // The check alone, timed in a process of its own, as a share of what a hit costs: where the rest goes.
    console.log(
      `rule check of one hot URL timed alone (normalized already, for the cache key): ${fmt(mem.hotLookupNsPerOp)} ns a request`,
    );
    // The whole serving node's memory, not only the compiled set: what an operator pays per rule.
    const perRule = (rss.loaded - rss.none) / settings.rules;
    console.log(
      `edge process memory (RSS, after load): ${fmt(rss.none / 2 ** 20)} MiB without rules, ${fmt(rss.loaded / 2 ** 20)} MiB with them = ${fmt(perRule, 1)} bytes/rule for the whole node (target < 40: ${mark(perRule < 40)})`,
    );
    // The same with a cluster of workers (the default is one per core): each compiles its own set from the
    // primary's copy of the file, and the primary holds none.
    for (const e of Object.values(edges)) await e.stop();
    const workers = 2;
    cluster.none = await startEdge(origin.port, { workers, logDir });
    cluster.loaded = await startEdge(origin.port, { workers, logDir, rulesFile });
    for (const edge of Object.values(cluster))
      await runLoad({
        url: `http://127.0.0.1:${edge.port}/obj/1024`,
        host: RULES_HOST,
        connections: 16,
        durationSeconds: 3,
      });
    const clusterRss = {
      none: treeRssBytes(cluster.none.child.pid!),
      loaded: treeRssBytes(cluster.loaded.child.pid!),
    };
    for (const e of Object.values(cluster)) await e.stop();
    const clusterPerRule = (clusterRss.loaded - clusterRss.none) / settings.rules;
    console.log(
      `node of ${workers} workers (RSS of primary and workers, after load): ${fmt(clusterRss.none / 2 ** 20)} MiB without rules, ${fmt(clusterRss.loaded / 2 ** 20)} MiB with them = ${fmt(clusterPerRule, 1)} bytes/rule for the node, ${fmt(clusterPerRule / workers, 1)} per serving process (target < 40: ${mark(clusterPerRule / workers < 40)})`,
    );
    results.rules = {
      memory: mem,
      rps,
      ratios,
      rss,
      costPercent: cost * 100,
      nodeBytesPerRule: perRule,
      cluster: { workers, rss: clusterRss, bytesPerRule: clusterPerRule },
    };
  } finally {
    for (const e of [...Object.values(edges), ...Object.values(cluster)]) await e.stop();
    await origin.stop();
  }
}

async function expectStatus(
  url: string,
  status: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const r = await request(url, { headers });
  await r.body.dump();
  if (r.statusCode !== status) throw new Error(`${url}: expected ${status}, got ${r.statusCode}`);
}

async function purgeSection(): Promise<void> {
  console.log(`\n== Purge by tag among ${fmt(settings.purgeObjects)} cached objects`);
  const r = await benchPurgeByTag({ objects: settings.purgeObjects });
  console.log(
    `populate ${fmt(r.populateMs)} ms; purge small tag: ${fmt(r.smallTagMs, 2)} ms (${fmt(r.matchedSmall)} objects); purge large tag: ${fmt(r.largeTagMs, 2)} ms (${fmt(r.matchedLarge)} objects)`,
  );
  const worst = Math.max(r.smallTagMs, r.largeTagMs);
  console.log(`purge by tag, worst case: ${fmt(worst, 2)} ms (target < 100 ms: ${mark(worst < 100)})`);
  results.purge = r;
}

async function propagationSection(): Promise<void> {
  console.log(
    `\n== Block rule committed on the control plane -> enforced on every edge (${settings.propagationChanges} changes)`,
  );
  const out: unknown[] = [];
  for (const edges of settings.propagationEdges) {
    const r = await benchPropagation({ edges, changes: settings.propagationChanges });
    console.log(
      `${String(edges).padStart(3)} edge(s): p50 ${fmt(r.p50Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms, max ${fmt(r.maxMs, 1)} ms${edges === 20 ? ` (target p99 < 250 ms: ${mark(r.p99Ms < 250)})` : ''}`,
    );
    out.push(r);
  }
  results.propagation = out;
}

if (want('http')) await httpSection();
if (want('rules')) await rulesSection();
if (want('purge')) await purgeSection();
if (want('propagation')) await propagationSection();

mkdirSync('bench/results', { recursive: true });
const file = join('bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nfigures saved to ${file}; ${removeBenchTempDirs()}`);
