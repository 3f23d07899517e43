import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildControlApp } from './api/build-control-app.js';
import { bootstrapAdmin } from './auth/bootstrap-admin.js';
import { ConfigChangeNotifier } from './changes/config-change-notifier.js';
import type { ControlConfig } from './config/control-config.js';
import { migrateToLatest } from './db/migrate.js';
import { openDatabase } from './db/open-database.js';
import type { Database } from './db/schema.js';
import type { ServiceDeps } from './services/service-deps.js';
import { systemResolveHost, type ResolveHost } from './zones/resolve-host.js';

export interface RunningControlPlane {
  /** http://host:port the API listens on. */
  url: string;
  app: FastifyInstance;
  db: Kysely<Database>;
  deps: ServiceDeps;
  close(): Promise<void>;
  /** Present on first start only: the admin's one-time password, to print once. */
  bootstrap?: { email: string; password: string };
}

/**
 * Opens the database, migrates it, creates the first admin when there is no operator, builds the API and listens.
 * `resolveHost` replaces DNS for hostname verification and origin checks (tests name hosts without a DNS server).
 */
export async function startControlPlane(
  config: ControlConfig,
  extra: { resolveHost?: ResolveHost; syncPollIntervalMs?: number } = {},
): Promise<RunningControlPlane> {
  const opened = await openDatabase({
    ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
    sqlitePath: config.sqlitePath,
  });
  try {
    await migrateToLatest(opened.db);
    const resolve = extra.resolveHost ?? systemResolveHost;
    const guard = { allowList: config.originAllowList, resolve };
    const deps: ServiceDeps = {
      db: opened.db,
      notifier: new ConfigChangeNotifier(),
      guard,
      verification: { ...guard, ...config.hostnameVerification },
      sessionTtlSeconds: config.sessionTtlSeconds,
    };
    const bootstrap = await bootstrapAdmin(deps, config.bootstrapAdmin.email);
    const { app } = await buildControlApp({
      deps,
      config,
      ...(extra.syncPollIntervalMs === undefined ? {} : { syncPollIntervalMs: extra.syncPollIntervalMs }),
    });
    let address: string;
    try {
      address = await app.listen({ host: config.listen.host, port: config.listen.port });
    } catch (e) {
      await app.close();
      throw e;
    }
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    const port = new URL(address).port;
    let closed = false;
    return {
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`,
      app,
      db: opened.db,
      deps,
      ...(bootstrap === undefined ? {} : { bootstrap }),
      async close() {
        if (closed) return;
        closed = true;
        try {
          await app.close();
        } finally {
          await opened.close();
        }
      },
    };
  } catch (e) {
    await opened.close();
    throw e;
  }
}
