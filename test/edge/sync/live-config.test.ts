import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../../helpers/databases.js';
import { closedPort, startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { httpRequest } from '../../helpers/http-client.js';
import { eventually, quiet, startSyncControl, type SyncControl } from '../../control/sync/sync-fixtures.js';
import { edgeConfigForControl } from '../../../src/cli/commands/edge-control.js';
import { startEdgeNode, type EdgeNode } from '../../../src/edge/node/edge-node.js';
import { AppliedConfigStore } from '../../../src/edge/sync/applied-config-store.js';
import { ControlClient } from '../../../src/edge/sync/control-client.js';

/** A real edge node (in-process, one worker) fed by the control plane, with its configuration on disk. */
interface SyncedEdge {
  readonly node: EdgeNode;
  readonly client: ControlClient;
  readonly store: AppliedConfigStore;
  readonly port: number;
  readonly dataDir: string;
  close(): Promise<void>;
}

async function startSyncedEdge(control: { url: string; token: string }, name: string): Promise<SyncedEdge> {
  const dataDir = await mkdtemp(join(tmpdir(), `edgeward-live-${name}-`));
  const config = await edgeConfigForControl({
    listen: '127.0.0.1:0',
    workers: '1',
    dataDir,
    name,
    logLevel: 'silent',
  });
  const store = await AppliedConfigStore.open({ dataDir, logger: quiet });
  const node = await startEdgeNode({ config, snapshot: store.snapshot(), logger: quiet, workers: 1 });
  const client = new ControlClient({
    controlUrl: control.url,
    token: control.token,
    name,
    store,
    target: node,
    logger: quiet,
    backoff: { initialMs: 50, maxMs: 300 },
  });
  client.start();
  return {
    node,
    client,
    store,
    port: node.address.port,
    dataDir,
    close: async () => {
      await client.stop();
      await node.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const get = (port: number, path: string) => httpRequest(port, path, { host: 'site.example' });

describe('live configuration reaches real edges', () => {
  let database: TestDatabase;
  let control: SyncControl;
  let origin: TestOrigin;
  let origin2: TestOrigin;
  let edges: SyncedEdge[] = [];

  before(async () => {
    database = await createTestDatabase('sqlite');
    control = await startSyncControl(database.db);
    const handler =
      (name: string): Parameters<typeof startOrigin>[0] =>
      (req, res) => {
        res.setHeader('cache-control', 'public, max-age=600');
        res.setHeader('surrogate-key', 'all');
        res.end(`${name} ${req.url}`);
      };
    origin = await startOrigin(handler('origin-1'));
    origin2 = await startOrigin(handler('origin-2'));
  });
  after(async () => {
    for (const e of edges) await e.close();
    await control?.close();
    await origin?.close();
    await origin2?.close();
    await database?.cleanup();
  });

  const allAt = async (version: number) => {
    for (const e of edges) await e.client.waitForVersion(version);
  };

  test('a zone, a block rule and a purge committed on the control plane take effect on 2 edges', async () => {
    const vZone = await control.writes.upsertZone('z_site', ['site.example'], [origin.url]);
    edges = [await startSyncedEdge(control, 'edge-1'), await startSyncedEdge(control, 'edge-2')];
    await allAt(vZone);

    // The zone routes, and caches.
    for (const e of edges) {
      const r1 = await get(e.port, '/page');
      assert.equal(r1.status, 200);
      assert.equal(r1.text, 'origin-1 /page');
      const r2 = await get(e.port, '/page');
      assert.match(String(r2.headers['cache-status']), /hit/);
      await get(e.port, '/other');
    }

    // A block: 451 on every edge, not the cached copy.
    const { version: vRule, rule } = await control.writes.addRule('http://site.example/page');
    await allAt(vRule);
    for (const e of edges) {
      const r = await get(e.port, '/page');
      assert.equal(r.status, 451);
      assert.match(
        String(r.headers.link),
        new RegExp(`<${rule.notice.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>; rel="blocked-by"`),
      );
    }

    // A purge: the next request on every edge goes to the origin again.
    const before = origin.count('/other');
    for (const e of edges) assert.match(String((await get(e.port, '/other')).headers['cache-status']), /hit/);
    assert.equal(origin.count('/other'), before);
    const vPurge = await control.writes.purge({
      zone: 'z_site',
      kind: 'url',
      value: 'http://site.example/other',
      soft: false,
    });
    await allAt(vPurge);
    for (const e of edges) {
      const r = await get(e.port, '/other');
      assert.equal(r.status, 200);
      assert.doesNotMatch(String(r.headers['cache-status']), /hit/);
    }
    assert.equal(origin.count('/other'), before + edges.length);

    // A zone change: new origin for new requests.
    const vZone2 = await control.writes.upsertZone('z_site', ['site.example'], [origin2.url]);
    await allAt(vZone2);
    for (const e of edges) assert.equal((await get(e.port, '/fresh')).text, 'origin-2 /fresh');

    // Lifting the block serves the page again.
    const vLift = await control.writes.removeRule(rule);
    await allAt(vLift);
    for (const e of edges) assert.equal((await get(e.port, '/page')).status, 200);
  });
});

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

function spawnEdge(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/edgeward.js'), 'edge', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

test('an edge process restarted while the control plane is down answers 451 from its on-disk config on its very first request', async () => {
  const database = await createTestDatabase('sqlite');
  const control = await startSyncControl(database.db);
  const origin = await startOrigin((_req, res) => res.end('content'));
  const dataDir = await mkdtemp(join(tmpdir(), 'edgeward-live-restart-'));
  const [port, admin] = [await closedPort(), await closedPort()];
  const common = [
    '--token',
    control.token,
    '--name',
    'edge-restart',
    '--data-dir',
    dataDir,
    '--listen',
    `127.0.0.1:${port}`,
    '--admin',
    `127.0.0.1:${admin}`,
    '--admin-token',
    'admin-token-0123456789',
    '--workers',
    '1',
    '--log-level',
    'warn',
  ];
  let proc: ReturnType<typeof spawnEdge> | null = null;
  try {
    await control.writes.upsertZone('z_site', ['site.example'], [origin.url]);
    const { version } = await control.writes.addRule('http://site.example/blocked');

    // First run: learns the rule from the control plane, acks it (so it is on disk).
    proc = spawnEdge(['--control', control.url, ...common]);
    await eventually(
      'the edge acknowledges the rule',
      async () => {
        const { edgeLag } = await import('../../../src/control/sync/edge-lag.js');
        return (await edgeLag(database.db)).edges.some(
          (e) => e.name === 'edge-restart' && e.appliedVersion >= version,
        );
      },
      30_000,
    );
    await stopChild(proc.child);

    // The control plane goes away; the edge restarts pointing at it.
    await control.close();
    proc = spawnEdge(['--control', control.url, ...common]);
    // Ready = the admin port answers; the proxy port is not touched before the first real request.
    await eventually(
      'the restarted edge is up',
      async () => {
        try {
          return (await httpRequest(admin, '/healthz', { host: '127.0.0.1' })).status === 200;
        } catch {
          return false;
        }
      },
      30_000,
    );
    const first = await httpRequest(port, '/blocked', { host: 'site.example' });
    assert.equal(first.status, 451, proc.output());
    const other = await httpRequest(port, '/fine', { host: 'site.example' });
    assert.equal(other.status, 200);
  } finally {
    if (proc) await stopChild(proc.child);
    await control.close();
    await origin.close();
    await database.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
});
