import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { validateControlConfig } from '../../control/config/control-config.js';
import { startControlPlane } from '../../control/control-plane.js';
import { currentConfigVersion } from '../../control/changes/config-change-log.js';
import { getOperatorByEmail } from '../../control/repos/operators.js';
import { getZoneHostname } from '../../control/repos/zones.js';
import type { Principal } from '../../control/auth/principal.js';
import { createCustomer } from '../../control/services/accounts-service.js';
import { createApiToken } from '../../control/services/tokens-service.js';
import {
  activateZone,
  createZone,
  getZoneView,
  updateZoneSettings,
  verifyZoneHostname,
} from '../../control/services/zones-service.js';
import { systemResolveHost, type ResolveHost } from '../../control/zones/resolve-host.js';
import { startDemoOrigin } from '../../dev/demo-origin.js';
import { EdgewardError } from '../../shared/errors.js';
import { parseHostPort } from '../../edge/config/host-port.js';

/**
 * `edgeward dev` (what `npm start` runs): the whole system on one machine on the embedded defaults — control plane
 * on SQLite under ./data, one edge following it, and a demo site (origin + zone) served through the edge. The demo
 * zone goes through the real lifecycle: its hostname is verified by the well-known token its origin publishes,
 * then it is activated, and the edge learns it over the live-configuration stream.
 */
interface DevFlags {
  dataDir: string;
  control: string;
  edge: string;
  edgeAdmin: string;
  demoOrigin: string;
}

const DEMO_HOST = 'demo.localhost';

/** RFC 6761: names under .localhost are loopback, whatever DNS says (the demo's hostname is one). */
const resolveLocalhostNames: ResolveHost = async (hostname) =>
  hostname === 'localhost' || hostname.endsWith('.localhost') ? ['127.0.0.1'] : systemResolveHost(hostname);

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'Run the whole system on this machine: control plane (SQLite under ./data), one edge, and a demo site.',
    )
    .option('--data-dir <dir>', 'where the database, the edge configuration and its cache live', './data')
    .option('--control <host:port>', 'control plane API address', '127.0.0.1:7070')
    .option('--edge <host:port>', 'edge address', '127.0.0.1:8080')
    .option('--edge-admin <host:port>', "edge's admin address (metrics, purge)", '127.0.0.1:8081')
    .option('--demo-origin <host:port>', 'demo origin address', '127.0.0.1:8090')
    .action(async (flags: DevFlags) => runDev(flags));
}

async function runDev(flags: DevFlags): Promise<void> {
  mkdirSync(flags.dataDir, { recursive: true });
  const originAddr = parseHostPort(flags.demoOrigin, '--demo-origin');
  const origin = await startDemoOrigin(originAddr.host, originAddr.port);
  const config = validateControlConfig({
    listen: flags.control,
    sqlitePath: join(flags.dataDir, 'edgeward.sqlite'),
    // The demo origin is on loopback, which the SSRF guard refuses unless the operator allows it.
    originAllowList: ['127.0.0.0/8', '::1'],
    hostnameVerification: { httpPort: origin.port, dnsEnabled: false },
    logLevel: 'warn',
  });
  const control = await startControlPlane(config, { resolveHost: resolveLocalhostNames });
  let edge: ChildProcess | undefined;
  const stop = async () => {
    if (edge && edge.exitCode === null) {
      const exited = new Promise((r) => edge!.once('exit', r));
      edge.kill('SIGTERM');
      await exited;
    }
    await control.close();
    await origin.close();
  };
  try {
    const admin = await getOperatorByEmail(control.db, config.bootstrapAdmin.email);
    if (!admin)
      throw new EdgewardError(
        'not_found',
        `operator ${config.bootstrapAdmin.email} is missing from the database`,
      );
    const actor: Principal = {
      kind: 'operator',
      id: admin.id,
      role: admin.role,
      email: admin.email,
      scopes: null,
    };
    const originUrl = `http://${originAddr.host}:${origin.port}`;

    // The demo zone: created once, then kept in step with the demo origin's address.
    const existing = await getZoneHostname(control.db, DEMO_HOST);
    let zone = existing
      ? await getZoneView(control.deps, actor, existing.zoneId)
      : await createZone(control.deps, actor, {
          customerId: (
            await createCustomer(control.deps, actor, { name: 'Demo Publisher', kycStatus: 'verified' })
          ).id,
          name: 'Demo site',
          hostnames: [DEMO_HOST],
          origins: [originUrl],
        });
    if (zone.origins[0] !== originUrl)
      zone = await updateZoneSettings(control.deps, actor, zone.id, {
        origins: [originUrl],
        reason: 'demo origin moved',
      });
    for (const h of zone.hostnames) origin.publishVerificationToken(h.verification.token);
    if (zone.hostnames.some((h) => !h.verified))
      zone = await verifyZoneHostname(control.deps, actor, zone.id, DEMO_HOST);
    if (zone.state !== 'active')
      zone = await activateZone(control.deps, actor, zone.id, { reason: 'demo zone' });

    const edgeToken = await createApiToken(control.deps, actor, {
      name: `dev edge ${new Date().toISOString()}`,
      scopes: [],
      edge: true,
    });
    const adminToken = randomBytes(18).toString('base64url');
    const bin = fileURLToPath(new URL('../../../../bin/edgeward.js', import.meta.url));
    edge = spawn(
      process.execPath,
      [
        bin,
        'edge',
        '--control',
        control.url,
        '--token',
        edgeToken.token,
        '--name',
        'dev-edge',
        '--workers',
        '1',
        '--listen',
        flags.edge,
        '--admin',
        flags.edgeAdmin,
        '--admin-token',
        adminToken,
        '--data-dir',
        join(flags.dataDir, 'edge'),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    edge.once('exit', (code, signal) => {
      if (signal === null && code !== 0) {
        console.error(`edgeward dev: the edge exited with code ${code}`);
        void stop().then(() => process.exit(1));
      }
    });
    await waitForEdge(flags.edgeAdmin, edge, await currentConfigVersion(control.db));

    const lines = [
      '',
      'Edgeward is running.',
      `  control plane API   ${control.url}   (reference: ${control.url}/docs, OpenAPI: ${control.url}/openapi.json)`,
      control.bootstrap
        ? `  admin login         ${control.bootstrap.email} / ${control.bootstrap.password}   (shown once: keep it)`
        : `  admin login         ${config.bootstrapAdmin.email} (password shown on the first start)`,
      `  edge                http://${flags.edge}   admin http://${flags.edgeAdmin} (bearer ${adminToken})`,
      `  demo site           curl -si -H 'Host: ${DEMO_HOST}' http://${flags.edge}/   (twice: the second says Cache-Status: ...; hit)`,
      `                      or open http://${DEMO_HOST}:${parseHostPort(flags.edge, '--edge').port}/ in a browser`,
      '  stop                Ctrl-C',
      '',
    ];
    console.log(lines.join('\n'));
  } catch (e) {
    await stop();
    throw e;
  }
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Until the edge answers and has applied the configuration that holds the demo zone. */
async function waitForEdge(adminAddr: string, edge: ChildProcess, version: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (edge.exitCode !== null)
      throw new EdgewardError('edge_failed', `the edge exited with code ${edge.exitCode} while starting`);
    try {
      const r = await fetch(`http://${adminAddr}/healthz`);
      const health = (await r.json()) as { config?: { version?: number } };
      if (r.ok && (health.config?.version ?? 0) >= version) return;
    } catch {
      // not listening yet: try again shortly
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new EdgewardError(
    'edge_failed',
    `the edge did not answer on http://${adminAddr}/healthz and applied configuration version ${version} within 60 s`,
  );
}
