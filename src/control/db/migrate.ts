import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import { EdgewardError } from '../../shared/errors.js';
import * as m0001 from './migrations/0001_initial.js';
import type { Database } from './schema.js';

/**
 * Versioned migrations, listed statically (no directory scanning: works from dist/, bundles and tests alike).
 * Names sort in order of application; never rename or edit one that has shipped — add a new one.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
});

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...MIGRATIONS };
  }
}

function migratorFor(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

export interface MigrationOutcome {
  /** Migrations applied by this call, in order (empty when already at latest). */
  applied: string[];
  /** Every migration now applied. */
  current: string[];
}

/**
 * Brings the schema to the latest version. Safe to call from several processes at once (Kysely takes a migration
 * lock: an advisory lock on PostgreSQL, the lock table inside an immediate transaction on SQLite).
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationOutcome> {
  const migrator = migratorFor(db);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    const name = failed?.migrationName ?? 'unknown';
    throw new EdgewardError(
      'migration_failed',
      `migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        details: { migration: name },
        cause: error,
      },
    );
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const current = (await migrator.getMigrations())
    .filter((m) => m.executedAt !== undefined)
    .map((m) => m.name);
  return { applied, current };
}

/** Every known migration and whether it is applied. */
export async function migrationStatus(
  db: Kysely<Database>,
): Promise<{ name: string; executedAt: Date | undefined }[]> {
  return (await migratorFor(db).getMigrations()).map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

/** Refuses (naming the fix) a database whose schema is not at the latest migration. */
export async function assertMigrated(db: Kysely<Database>): Promise<void> {
  const pending = (await migrationStatus(db)).filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) {
    throw new EdgewardError(
      'database_not_migrated',
      `the database schema is not up to date (pending: ${pending.join(', ')}); run \`edgeward migrate\``,
      {
        details: { pending },
      },
    );
  }
}
