import { sql, type Kysely } from 'kysely';
import type { ConfigChange, ConfigChangeBody } from '../../shared/config/config-change.js';
import { EdgewardError } from '../../shared/errors.js';
import type { ConfigChangeRow, Database } from '../db/schema.js';
import { holdWriteLock, type Executor } from '../db/transact.js';

/**
 * The versioned configuration-change log edges follow. Versions start at 1 and are gapless: each is max + 1,
 * assigned under the write lock (see transact), so on PostgreSQL they also become visible in order, and a rolled-back
 * append leaves no hole an edge could mistake for a missed change.
 */
const KINDS = new Set<ConfigChangeBody['kind']>([
  'zone.upsert',
  'zone.remove',
  'rule.add',
  'rule.remove',
  'purge',
]);

export function configChangeFromRow(
  row: Pick<ConfigChangeRow, 'version' | 'body' | 'committed_at'>,
): ConfigChange {
  let body: ConfigChangeBody;
  try {
    body = JSON.parse(row.body) as ConfigChangeBody;
  } catch (e) {
    throw new EdgewardError('corrupt_row', `config_changes version ${row.version} does not hold valid JSON`, {
      field: 'config_changes.body',
      cause: e,
    });
  }
  return { ...body, version: Number(row.version), committedAt: Date.parse(row.committed_at) };
}

/**
 * Appends a change in the caller's transaction (inside `transact`, together with the state change it describes).
 * After the transaction commits, fire the ConfigChangeNotifier with the returned version.
 */
export async function appendConfigChange(trx: Executor, body: ConfigChangeBody): Promise<ConfigChange> {
  if (body === null || typeof body !== 'object' || !KINDS.has(body.kind)) {
    throw new EdgewardError(
      'invalid_config_change',
      `unknown config change kind ${JSON.stringify((body as { kind?: unknown } | null)?.kind)}`,
      {
        field: 'kind',
      },
    );
  }
  await holdWriteLock(trx, 'appendConfigChange');
  const version = (await currentConfigVersion(trx)) + 1;
  const committedAt = new Date();
  await trx
    .insertInto('config_changes')
    .values({ version, kind: body.kind, body: JSON.stringify(body), committed_at: committedAt.toISOString() })
    .execute();
  return { ...body, version, committedAt: committedAt.getTime() };
}

/** Changes with version > `version`, ascending, at most `limit`. */
export async function changesSince(
  db: Kysely<Database>,
  version: number,
  limit: number,
): Promise<ConfigChange[]> {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new EdgewardError('invalid_version', 'version must be a non-negative integer', {
      field: 'version',
    });
  }
  const n = Math.trunc(limit);
  if (!(n >= 1)) throw new EdgewardError('invalid_limit', 'limit must be at least 1', { field: 'limit' });
  const rows = await db
    .selectFrom('config_changes')
    .select(['version', 'body', 'committed_at'])
    .where('version', '>', version)
    .orderBy('version', 'asc')
    .limit(n)
    .execute();
  return rows.map(configChangeFromRow);
}

/** The newest version (0 before the first change). */
export async function currentConfigVersion(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('config_changes')
    .select(sql<number | string | null>`max(version)`.as('v'))
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}
