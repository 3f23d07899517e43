import type { Kysely, Transaction } from 'kysely';
import type { ConfigChange, ConfigChangeBody } from '../../shared/config/config-change.js';
import { appendAudit, type AuditEvent } from '../audit/audit-log.js';
import { appendConfigChange } from '../changes/config-change-log.js';
import type { ConfigChangeNotifier } from '../changes/config-change-notifier.js';
import type { Database } from '../db/schema.js';
import { transact } from '../db/transact.js';
import type { GuardOptions } from '../zones/origin-guard.js';
import type { VerificationOptions } from '../zones/hostname-verification.js';

/** What the services need; built once by the control plane (or a test) and shared by every request. */
export interface ServiceDeps {
  db: Kysely<Database>;
  notifier: ConfigChangeNotifier;
  /** SSRF guard for origins (allow-list + resolver). */
  guard: GuardOptions;
  /** Hostname ownership checks (guard + port + DNS switch). */
  verification: VerificationOptions;
  sessionTtlSeconds: number;
}

/** One state change in progress: the table writes, their audit entries and the config changes edges must see. */
export interface Write {
  trx: Transaction<Database>;
  audit(e: AuditEvent): Promise<void>;
  change(body: ConfigChangeBody): Promise<ConfigChange>;
}

/**
 * Runs a state change in ONE serialized transaction (transact): the change, its audit entries and its config
 * changes commit together or not at all. The notifier fires only after the commit, so a woken reader finds the
 * change in the log.
 */
export async function runWrite<T>(deps: ServiceDeps, fn: (w: Write) => Promise<T>): Promise<T> {
  let version = 0;
  const result = await transact(deps.db, async (trx) => {
    const w: Write = {
      trx,
      audit: async (e) => {
        await appendAudit(trx, e);
      },
      change: async (body) => {
        const c = await appendConfigChange(trx, body);
        version = Math.max(version, c.version);
        return c;
      },
    };
    return fn(w);
  });
  if (version > 0) deps.notifier.notify(version);
  return result;
}
