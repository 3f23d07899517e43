/**
 * Time from a block rule committed on the control plane to its enforcement on every edge (issue 3 target: p99 under
 * 250 ms for 20 edges). A real control plane (SQLite in a temporary directory, the live-config routes on a real
 * port) and N edge PROCESSES (`edgeward edge --control ...`, one worker each, own ports and data directories) on this
 * machine. Block rules are committed one at a time through the control plane's own service (addBlockRule: the
 * block_rules row, its audit entry and the rule.add change in one transaction, the notifier after commit) — the
 * code behind POST /v1/rules, without the HTTP hop.
 *
 * Measured: from the change's committedAt (stamped in the committing transaction) to the moment the control plane
 * receives the ack that makes EVERY edge have it, i.e. the `edgeward_config_propagation_seconds` definition. An
 * edge acks only after the change is on its disk and applied to its rule set, so this is an upper bound on
 * "enforced everywhere" (it adds one ack round trip). At the end every edge is asked over HTTP for the last blocked
 * URL and must answer 451, checking that an ack does mean enforcement.
 *
 * Run alone: `node dist/bench/propagation.bench.js 20 200` (edges, changes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildControlApp } from '../src/control/api/build-control-app.js';
import { bootstrapAdmin } from '../src/control/auth/bootstrap-admin.js';
import type { Principal } from '../src/control/auth/principal.js';
import { ConfigChangeNotifier } from '../src/control/changes/config-change-notifier.js';
import { zoneChangeFor } from '../src/control/changes/zone-change.js';
import { validateControlConfig } from '../src/control/config/control-config.js';
import { migrateToLatest } from '../src/control/db/migrate.js';
import { openDatabase } from '../src/control/db/open-database.js';
import { getOperatorByEmail } from '../src/control/repos/operators.js';
import { insertCustomer } from '../src/control/repos/customers.js';
import { insertZone, insertZoneHostname, markZoneHostnameVerified } from '../src/control/repos/zones.js';
import { addBlockRule } from '../src/control/services/block-rules-service.js';
import { runWrite, type ServiceDeps } from '../src/control/services/service-deps.js';
import { createApiToken } from '../src/control/services/tokens-service.js';
import type { Propagated } from '../src/control/sync/propagation-tracker.js';
import { systemResolveHost } from '../src/control/zones/resolve-host.js';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../src/shared/config/zone-config.js';
import { freePort, waitForHttp } from './launch.js';

export interface PropagationResult {
  edges: number;
  changes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const HOST = 'bench.example';

interface EdgeProc {
  name: string;
  port: number;
  child: ChildProcess;
  tail: () => string;
}

function spawnEdge(
  i: number,
  controlUrl: string,
  token: string,
  dataDir: string,
  port: number,
  admin: number,
): EdgeProc {
  const name = `bench-edge-${i}`;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.EDGEWARD_BENCH_EDGE_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.EDGEWARD_BENCH_EDGE_PROF}`]
        : []),
      join(repoRoot, 'bin/edgeward.js'),
      'edge',
      '--control',
      controlUrl,
      '--token',
      token,
      '--name',
      name,
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin',
      `127.0.0.1:${admin}`,
      '--admin-token',
      ADMIN_TOKEN,
      '--workers',
      '1',
      '--memory-cache',
      '16MiB',
      '--disk-cache',
      '64MiB',
      '--log-level',
      'warn',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Drain the pipes (a full pipe would stall the edge); keep a tail to explain a failure.
  const chunks: Buffer[] = [];
  const keep = (d: Buffer) => {
    chunks.push(d);
    if (chunks.length > 40) chunks.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, port, child, tail: () => Buffer.concat(chunks).toString('utf8') };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export async function benchPropagation(opts: { edges: number; changes: number }): Promise<PropagationResult> {
  const dir = await mkdtemp(join(os.tmpdir(), 'edgeward-bench-propagation-'));
  const opened = await openDatabase({ sqlitePath: join(dir, 'control.sqlite') });
  const { db } = opened;
  const edges: EdgeProc[] = [];
  let app: FastifyInstance | null = null;
  try {
    // The control plane as startControlPlane builds it (buildControlApp, so the bench can listen to its tracker).
    await migrateToLatest(db);
    const config = validateControlConfig(
      { listen: '127.0.0.1:0', sqlitePath: join(dir, 'control.sqlite'), logLevel: 'silent' },
      {},
    );
    const guard = { allowList: config.originAllowList, resolve: systemResolveHost };
    const deps: ServiceDeps = {
      db,
      notifier: new ConfigChangeNotifier(),
      guard,
      verification: { ...guard, ...config.hostnameVerification },
      sessionTtlSeconds: config.sessionTtlSeconds,
    };
    await bootstrapAdmin(deps, 'admin@bench.example');
    const op = await getOperatorByEmail(db, 'admin@bench.example');
    if (!op) throw new Error('bootstrap admin missing');
    const admin: Principal = { kind: 'operator', id: op.id, role: 'admin', email: op.email, scopes: null };
    const token = (await createApiToken(deps, admin, { name: 'bench edges', scopes: [], edge: true })).token;
    const built = await buildControlApp({ deps, config });
    app = built.app;
    const sync = built.sync!;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const controlUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    // One active zone (set up through the repos: its origin is never reached, every measured request is blocked).
    const deadOrigin = `http://127.0.0.1:${await freePort()}`;
    const zoneVersion = await runWrite(deps, async (w) => {
      const customer = await insertCustomer(w.trx, { name: 'Bench' });
      await insertZone(w.trx, {
        id: 'z_bench',
        customerId: customer.id,
        name: 'bench',
        state: 'active',
        origins: [deadOrigin],
        cache: DEFAULT_ZONE_CACHE_SETTINGS,
      });
      const h = await insertZoneHostname(w.trx, {
        zoneId: 'z_bench',
        hostname: HOST,
        verificationToken: 'bench',
      });
      await markZoneHostnameVerified(w.trx, h.id, 'http');
      return (await w.change(await zoneChangeFor(w.trx, 'z_bench'))).version;
    });

    // Edges come up (in parallel, a few at a time so 20 start-ups do not starve each other).
    const ready: Promise<void>[] = [];
    for (let i = 0; i < opts.edges; i++) {
      const data = join(dir, `edge-${i}`);
      const [port, adminPort] = [await freePort(), await freePort()];
      const e = spawnEdge(i, controlUrl, token, data, port, adminPort);
      edges.push(e);
      ready.push(
        waitForHttp(`http://127.0.0.1:${adminPort}/healthz`, 120_000, e.child).catch((err: unknown) => {
          throw new Error(`${e.name} did not start: ${String(err)}\n${e.tail()}`);
        }),
      );
      if (ready.length % 4 === 0) await Promise.all(ready);
    }
    await Promise.all(ready);

    // Wait until every edge has registered and acknowledged the zone.
    const allLive = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const rows = await db.selectFrom('edges').select(['name', 'applied_version']).execute();
        if (rows.length === opts.edges && rows.every((r) => Number(r.applied_version) >= zoneVersion)) return;
        if (Date.now() > deadline) throw new Error(`edges not all synced: ${JSON.stringify(rows)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await allLive();

    const waiting = new Map<number, (p: Propagated) => void>();
    // A version can propagate before addBlockRule returns: keep what arrives unclaimed.
    const early_ = new Map<number, Propagated>();
    sync.tracker.on('propagated', (p: Propagated) => {
      const w = waiting.get(p.version);
      if (w) w(p);
      else early_.set(p.version, p);
    });
    const cpuOf = (pid: number | undefined): number => {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, clock ticks (100 Hz) -> ms
      } catch {
        return NaN;
      }
    };
    const edgeCpu0 = edges.map((e) => cpuOf(e.child.pid));
    const controlCpu0 = process.cpuUsage();
    const samples: number[] = [];
    // EDGEWARD_BENCH_TRACE=1: per change, when the first and the median edge acked (ms after commit).
    const trace = process.env.EDGEWARD_BENCH_TRACE === '1';
    const acks = new Map<number, number[]>();
    if (trace)
      sync.tracker.on('ack', (a: { version: number; at: number }) =>
        (acks.get(a.version) ?? acks.set(a.version, []).get(a.version)!).push(a.at),
      );
    let lastUrl = '';
    for (let i = 0; i < opts.changes; i++) {
      lastUrl = `http://${HOST}/title/${i}`;
      const url = lastUrl;
      let settle!: (p: Propagated) => void;
      const done = new Promise<Propagated>((r) => (settle = r));
      const added = await addBlockRule(deps, admin, {
        match: 'exact',
        url,
        noticeUrl: `https://notices.example/${i}`,
        demandedBy: 'Bench Rights Holder',
        reason: 'benchmark',
      });
      const version = added.configVersion;
      // The ack may beat this line (the service resolves after the notifier woke the streams).
      const early = early_.get(version);
      if (early) settle(early);
      waiting.set(version, settle);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`version ${version} did not reach every edge within 30 s`)),
          30_000,
        ).unref(),
      );
      const p = await Promise.race([done, timeout]);
      waiting.delete(version);
      if (p.edges < opts.edges) throw new Error(`only ${p.edges} of ${opts.edges} edges were live`);
      samples.push(p.ms);
      if (trace) {
        const at = (acks.get(version) ?? []).sort((a, b) => a - b);
        const committedAt = at.length ? at[at.length - 1]! - p.ms : 0;
        console.log(
          `v${version}: first ack +${(at[0] ?? 0) - committedAt} ms, median +${(at[at.length >> 1] ?? 0) - committedAt} ms, last +${p.ms} ms`,
        );
      }
    }

    if (process.env.EDGEWARD_BENCH_TRACE === '1') {
      const edgeMs = edges.reduce((n, e, i) => n + cpuOf(e.child.pid) - edgeCpu0[i]!, 0);
      const c = process.cpuUsage(controlCpu0);
      console.log(
        `cpu per change: edges ${(edgeMs / opts.changes / opts.edges).toFixed(2)} ms each, control+bench ${((c.user + c.system) / 1000 / opts.changes).toFixed(2)} ms`,
      );
    }
    // An ack means enforcement: the last blocked URL answers 451 on every edge.
    for (const e of edges) {
      const path = new URL(lastUrl).pathname;
      const r = await request(`http://127.0.0.1:${e.port}${path}`, { headers: { host: HOST } });
      await r.body.dump();
      if (r.statusCode !== 451)
        throw new Error(`${e.name} answered ${r.statusCode} for a blocked URL after acknowledging it`);
    }

    const sorted = [...samples].sort((a, b) => a - b);
    return {
      edges: opts.edges,
      changes: opts.changes,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? NaN,
    };
  } finally {
    await Promise.all(edges.map((e) => stop(e.child)));
    await app?.close();
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const edges = Number(process.argv[2] ?? 20);
  const changes = Number(process.argv[3] ?? 200);
  if (!Number.isSafeInteger(edges) || edges <= 0 || !Number.isSafeInteger(changes) || changes <= 0) {
    console.error('usage: node dist/bench/propagation.bench.js [edges] [changes]');
    process.exit(2);
  }
  const r = await benchPropagation({ edges, changes });
  console.log(
    `${r.edges} edge process(es), ${r.changes} block rules committed one at a time: commit -> acked by every edge ` +
      `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms` +
      (r.edges >= 20 ? ` (target p99 < 250 ms: ${r.p99Ms < 250 ? 'met' : 'NOT met'})` : ''),
  );
  console.log(
    `load average: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );
}
