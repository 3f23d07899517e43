import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { buildControlApp } from '../../../src/control/api/build-control-app.js';
import { bootstrapAdmin } from '../../../src/control/auth/bootstrap-admin.js';
import type { Principal } from '../../../src/control/auth/principal.js';
import { currentConfigVersion } from '../../../src/control/changes/config-change-log.js';
import { ConfigChangeNotifier } from '../../../src/control/changes/config-change-notifier.js';
import { zoneChangeFor } from '../../../src/control/changes/zone-change.js';
import { validateControlConfig } from '../../../src/control/config/control-config.js';
import type { Database } from '../../../src/control/db/schema.js';
import { blockRuleOf } from '../../../src/control/repos/block-rules.js';
import { insertCustomer } from '../../../src/control/repos/customers.js';
import { getOperatorByEmail } from '../../../src/control/repos/operators.js';
import { insertPurge } from '../../../src/control/repos/purges.js';
import {
  getZone,
  insertZone,
  insertZoneHostname,
  markZoneHostnameVerified,
  updateZone,
} from '../../../src/control/repos/zones.js';
import { addBlockRule, removeBlockRule } from '../../../src/control/services/block-rules-service.js';
import { runWrite, type ServiceDeps } from '../../../src/control/services/service-deps.js';
import { createApiToken } from '../../../src/control/services/tokens-service.js';
import type { EdgeSync } from '../../../src/control/sync/edge-sync.js';
import { systemResolveHost } from '../../../src/control/zones/resolve-host.js';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../../../src/shared/config/zone-config.js';
import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../../src/shared/config/config-change.js';
import type { BlockRule, RuleMatchKind } from '../../../src/shared/rules/block-rule.js';
import { AppliedConfigStore } from '../../../src/edge/sync/applied-config-store.js';
import { ControlClient } from '../../../src/edge/sync/control-client.js';
import type { ConfigTarget } from '../../../src/edge/sync/config-target.js';

const ADMIN_EMAIL = 'admin@sync-test.example';
export const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * Writes the control plane's services make: the table change and its config change in one transaction, then the
 * notifier (after commit).
 */
export class ControlWrites {
  private customerId: number | null = null;
  constructor(
    private readonly deps: ServiceDeps,
    private readonly admin: Principal,
  ) {}

  /** A block rule through the rules service; answers its version and the rule as edges get it. */
  async addRule(
    url: string,
    opts: { match?: RuleMatchKind; countries?: string[] } = {},
  ): Promise<{ version: number; rule: BlockRule }> {
    const added = await addBlockRule(this.deps, this.admin, {
      match: opts.match ?? 'exact',
      url,
      countries: opts.countries ?? null,
      noticeUrl: `https://notices.example/${encodeURIComponent(url)}`,
      demandedBy: 'Rights Holder Ltd',
      reason: 'test',
    });
    return { version: added.configVersion, rule: blockRuleOf(added) };
  }

  async removeRule(rule: BlockRule): Promise<number> {
    return (await removeBlockRule(this.deps, this.admin, rule.id, 'lifted')).configVersion;
  }

  /** A purge as the purge service records it (also an all-zones tag purge, which only operators' tools send). */
  async purge(p: PurgeRequest): Promise<number> {
    return runWrite(this.deps, async (w) => {
      const v = await currentConfigVersion(w.trx);
      await insertPurge(w.trx, {
        zoneId: p.zone,
        kind: p.kind,
        value: p.value ?? null,
        soft: p.soft,
        requestedBy: 'test',
        configVersion: v + 1,
      });
      return (await w.change({ kind: 'purge', purge: p })).version;
    });
  }

  /**
   * An active zone with verified hostnames, or new origins for it. Written through the repos: the zones service
   * would verify hostname ownership over the network, which these tests are not about.
   */
  async upsertZone(id: string, hostnames: string[], origins: string[]): Promise<number> {
    return runWrite(this.deps, async (w) => {
      const trx = w.trx;
      const existing = await getZone(trx, id);
      if (existing) {
        await updateZone(trx, id, { origins });
      } else {
        if (this.customerId === null)
          this.customerId = (await insertCustomer(trx, { name: 'Test Customer' })).id;
        await insertZone(trx, {
          id,
          customerId: this.customerId,
          name: id,
          state: 'active',
          origins,
          cache: DEFAULT_ZONE_CACHE_SETTINGS,
        });
        for (const h of hostnames) {
          const row = await insertZoneHostname(trx, {
            zoneId: id,
            hostname: h,
            verificationToken: `tok-${h}`,
          });
          await markZoneHostnameVerified(trx, row.id, 'http');
        }
      }
      return (await w.change(await zoneChangeFor(trx, id))).version;
    });
  }
}

export interface SyncControl {
  readonly url: string;
  readonly port: number;
  readonly sync: EdgeSync;
  readonly registry: Registry;
  readonly app: FastifyInstance;
  readonly writes: ControlWrites;
  /** An edge API token (principal type 'edge'). */
  readonly token: string;
  close(): Promise<void>;
}

/**
 * The real control plane app (buildControlApp, as startControlPlane builds it) on a real port over `db`, with an
 * admin and an edge token created through the services. Several may run over one database one after the other
 * (a restart): the admin is bootstrapped once, each start creates a new edge token.
 */
export async function startSyncControl(
  db: Kysely<Database>,
  o: { port?: number } = {},
): Promise<SyncControl> {
  const config = validateControlConfig({ listen: '127.0.0.1:0', logLevel: 'silent' }, {});
  const guard = { allowList: config.originAllowList, resolve: systemResolveHost };
  const deps: ServiceDeps = {
    db,
    notifier: new ConfigChangeNotifier(),
    guard,
    verification: { ...guard, ...config.hostnameVerification },
    sessionTtlSeconds: config.sessionTtlSeconds,
  };
  await bootstrapAdmin(deps, ADMIN_EMAIL);
  const op = await getOperatorByEmail(db, ADMIN_EMAIL);
  if (!op) throw new Error('no admin');
  const admin: Principal = { kind: 'operator', id: op.id, role: 'admin', email: op.email, scopes: null };
  const token = (await createApiToken(deps, admin, { name: 'test edges', scopes: [], edge: true })).token;
  const { app, registry, sync } = await buildControlApp({ deps, config, syncPollIntervalMs: 200 });
  await app.listen({ host: '127.0.0.1', port: o.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sync: sync!,
    registry,
    app,
    token,
    writes: new ControlWrites(deps, admin),
    close: () => app.close(),
  };
}

/** A ConfigTarget that records what reached it, in order. */
export class RecordingTarget implements ConfigTarget {
  readonly applied: number[] = [];
  readonly snapshots: { version: number; gap: boolean }[] = [];
  readonly changes: ConfigChange[] = [];
  replaceState(s: EdgeSnapshot, opts: { gap: boolean }): void {
    this.snapshots.push({ version: s.version, gap: opts.gap });
  }
  applyChange(c: ConfigChange): void {
    this.applied.push(c.version);
    this.changes.push(c);
  }
}

export interface TestClient {
  readonly client: ControlClient;
  readonly store: AppliedConfigStore;
  readonly target: RecordingTarget;
  readonly dataDir: string;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startClient(
  control: { url: string; token: string },
  o: {
    name?: string;
    region?: string;
    country?: string;
    dataDir?: string;
    transport?: 'sse' | 'long-poll';
    acceptRollback?: boolean;
  } = {},
): Promise<TestClient> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'edgeward-sync-edge-')));
  const store = await AppliedConfigStore.open({ dataDir, logger: quiet });
  const target = new RecordingTarget();
  const client = new ControlClient({
    controlUrl: control.url,
    token: control.token,
    name: o.name ?? 'edge-a',
    ...(o.region === undefined ? {} : { region: o.region }),
    ...(o.country === undefined ? {} : { country: o.country }),
    store,
    target,
    logger: quiet,
    backoff: { initialMs: 50, maxMs: 300 },
    heartbeatMs: 500,
    ...(o.transport === undefined ? {} : { transport: o.transport }),
    ...(o.acceptRollback === undefined ? {} : { acceptRollback: o.acceptRollback }),
  });
  client.start();
  return {
    client,
    store,
    target,
    dataDir,
    close: async (c = {}) => {
      await client.stop();
      await store.close();
      if (!c.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns true (no timing assertion: only a generous give-up limit). */
export async function eventually(
  what: string,
  fn: () => Promise<boolean> | boolean,
  limitMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function assertContiguous(versions: readonly number[], from: number, to: number): void {
  const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  if (JSON.stringify(versions) !== JSON.stringify(expected)) {
    throw new Error(`applied versions are not contiguous ${from}..${to}: ${JSON.stringify(versions)}`);
  }
}
