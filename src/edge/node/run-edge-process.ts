import { pino, type Logger } from 'pino';
import type { EdgeSnapshot } from '../../shared/config/config-change.js';
import { EdgewardError } from '../../shared/errors.js';
import { createAdminServer, type AdminServer, type RulesReloadResult } from '../admin/admin-server.js';
import { generateAdminToken } from '../admin/admin-token.js';
import { PROXY_ZONE_ID, type EdgeConfig } from '../config/edge-config.js';
import { formatHostPort } from '../config/host-port.js';
import { startEdgeNode, type EdgeNode } from './edge-node.js';

/**
 * A running edge process: rules loaded and validated before anything listens (a bad file refuses to start), the
 * node (in-process or a cluster), the admin port, and the signals: SIGHUP reloads the rules, SIGTERM/SIGINT drain
 * and exit.
 */
export interface EdgeProcess {
  readonly node: EdgeNode;
  readonly admin: AdminServer | null;
  readonly adminToken: string;
  readonly listen: string;
  readonly adminAddress: string | null;
  reloadRules(): Promise<RulesReloadResult>;
  /** Drains and closes everything; idempotent. */
  close(): Promise<void>;
}

export interface RunEdgeOptions {
  config: EdgeConfig;
  logger?: Logger;
  /** Where one-off human messages go (the generated admin token, the listen address). Default: stderr. */
  announce?: (line: string) => void;
  /** Install SIGHUP/SIGTERM/SIGINT handlers (the CLI does; embedding code may not want them). */
  handleSignals?: boolean;
  /** A snapshot to start from instead of config zones + rules file (the control-plane mode). */
  snapshot?: EdgeSnapshot;
}

export async function runEdgeProcess(o: RunEdgeOptions): Promise<EdgeProcess> {
  const { config } = o;
  const logger =
    o.logger ?? pino({ level: config.logLevel, base: { pid: process.pid, node: config.nodeName } });
  const announce = o.announce ?? ((line: string) => process.stderr.write(`edgeward: ${line}\n`));
  const snapshot: EdgeSnapshot = o.snapshot ?? { version: 0, zones: config.zones, rules: [] };
  const node = await startEdgeNode({
    config,
    snapshot,
    logger,
    ...(o.snapshot === undefined && config.rules !== null ? { rulesFile: config.rules } : {}),
  });
  let rulesVersion = 1;
  let lastReload: { at: string; ok: boolean; errors?: readonly string[] } | null = null;

  // Serialised: two reloads racing could apply the older file last.
  let reloadChain: Promise<unknown> = Promise.resolve();
  const reloadRules = (): Promise<RulesReloadResult> => {
    const run = async (): Promise<RulesReloadResult> => {
      if (config.rules === null) {
        return {
          ok: false,
          error: {
            code: 'no_rules_file',
            message: 'this edge was started without a rules file',
            field: 'rules',
          },
        };
      }
      let loaded: number;
      try {
        loaded = await node.loadRules(config.rules);
      } catch (e) {
        const err = e instanceof EdgewardError ? e : new EdgewardError('invalid_rules', String(e));
        const errors = (err.details.errors as string[] | undefined) ?? [err.message];
        lastReload = { at: new Date().toISOString(), ok: false, errors };
        logger.error(
          { errors, path: config.rules },
          'rules reload refused; the previous rules stay in force',
        );
        return {
          ok: false,
          errors,
          error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) },
        };
      }
      rulesVersion++;
      lastReload = { at: new Date().toISOString(), ok: true };
      logger.info({ rules: loaded, path: config.rules }, 'rules reloaded');
      return { ok: true, rules: loaded };
    };
    const p = reloadChain.then(run, run);
    reloadChain = p.catch(() => undefined);
    return p;
  };

  const listen = formatHostPort({ host: config.listen.host, port: node.address.port });
  announce(
    `${config.mode} listening on http://${listen} (${node.workersExpected} worker${node.workersExpected === 1 ? '' : 's'})`,
  );

  let admin: AdminServer | null = null;
  let adminAddress: string | null = null;
  const adminToken = config.adminToken ?? generateAdminToken();
  if (config.admin !== null) {
    admin = createAdminServer({
      node,
      token: adminToken,
      defaultPurgeZone: config.mode === 'proxy' ? PROXY_ZONE_ID : null,
      reloadRules,
      describe: () => ({
        mode: config.mode,
        node: config.nodeName,
        rulesFile: config.rules,
        rulesVersion,
        lastReload,
      }),
      logger,
    });
    try {
      const a = await admin.listen(config.admin.host, config.admin.port);
      adminAddress = formatHostPort({ host: config.admin.host, port: a.port });
    } catch (e) {
      await node.close();
      throw new EdgewardError(
        'admin_listen_failed',
        `cannot listen on the admin address ${formatHostPort(config.admin)}: ${(e as Error).message}`,
        {
          field: config.mode === 'proxy' ? '--admin' : 'admin',
          cause: e,
        },
      );
    }
    announce(`admin on http://${adminAddress}`);
    if (config.adminToken === null) announce(`admin token: ${adminToken}`);
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      logger.info('shutting down: draining in-flight requests');
      await admin?.close();
      await node.close();
      logger.info('shut down');
    })());

  if (o.handleSignals) {
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading rules');
      void reloadRules();
    });
    const stop = (sig: string) => () => {
      if (closing) {
        // A second Ctrl-C means "now": skip the rest of the drain.
        if (sig === 'SIGINT') {
          logger.warn('second SIGINT: exiting without waiting for the drain');
          process.exit(130);
        }
        return;
      }
      logger.info({ signal: sig }, 'stopping');
      close().then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error({ err: e }, 'error during shutdown');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop('SIGTERM'));
    process.on('SIGINT', stop('SIGINT'));
  }

  return { node, admin, adminToken, listen, adminAddress, reloadRules, close };
}
