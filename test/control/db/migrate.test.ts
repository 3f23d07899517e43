import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, sql, type Kysely } from 'kysely';
import { migrateToLatest, migrationStatus, MIGRATIONS } from '../../../src/control/db/migrate.js';
import {
  forEachDatabase,
  createTestDatabase,
  describeBothDatabases,
  postgresUnavailableReason,
} from '../../helpers/databases.js';

const TABLES = [
  'operators',
  'customers',
  'customer_users',
  'reporters',
  'sessions',
  'api_tokens',
  'zones',
  'zone_hostnames',
  'zone_state_changes',
  'block_rules',
  'purges',
  'config_changes',
  'edges',
  'audit_log',
];

describeBothDatabases('migrations', (ctx) => {
  test('a fresh database is at the latest migration and has every table', async () => {
    const status = await migrationStatus(ctx.db);
    assert.deepEqual(
      status.map((s) => s.name),
      Object.keys(MIGRATIONS),
    );
    assert.ok(status.every((s) => s.executedAt !== undefined));
    const tables = (await ctx.db.introspection.getTables()).map((t) => t.name);
    for (const t of TABLES) assert.ok(tables.includes(t), `table ${t} exists`);
  });

  test('running migrations again applies nothing', async () => {
    const again = await migrateToLatest(ctx.db);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.current, Object.keys(MIGRATIONS));
  });

  test('ids come back as JS numbers, check constraints and foreign keys are enforced', async () => {
    const now = new Date().toISOString();
    const c = await ctx.db
      .insertInto('customers')
      .values({ name: 'Acme', created_at: now })
      .returning(['id', 'kyc_status'])
      .executeTakeFirstOrThrow();
    assert.equal(typeof c.id, 'number');
    assert.equal(c.kyc_status, 'unverified');
    await assert.rejects(
      ctx.db
        .insertInto('operators')
        // @ts-expect-error: the role is outside the enum on purpose
        .values({ email: 'x@example.com', name: 'X', role: 'root', password_hash: 'h', created_at: now })
        .execute(),
    );
    await assert.rejects(
      ctx.db
        .insertInto('customer_users')
        .values({
          customer_id: c.id + 1000,
          email: 'u@example.com',
          name: 'U',
          password_hash: 'h',
          role: 'owner',
          created_at: now,
        })
        .execute(),
    );
    // PostgreSQL: no sequence behind the ordered logs, so only their appenders can insert. (SQLite's integer
    // primary key is the rowid and fills itself in.)
    if (ctx.dialect === 'postgres')
      await assert.rejects(
        sql`insert into audit_log (at, actor, action, object_type, object_id, prev_hash, hash) values ('t','a','b','c','d','e','f')`.execute(
          ctx.db,
        ),
        'audit_log rows need an explicit seq (only appendAudit inserts)',
      );
  });
});

test('migrations from scratch, step by step: applied list is reported once', async () => {
  await forEachDatabase('fresh migrate', async (_db, dialect) => {
    const t = await createTestDatabase(dialect, { migrate: false });
    try {
      const first = await migrateToLatest(t.db);
      assert.deepEqual(first.applied, Object.keys(MIGRATIONS));
      const second = await migrateToLatest(t.db);
      assert.deepEqual(second.applied, []);
    } finally {
      await t.cleanup();
    }
  });
});

test('concurrent migrators on PostgreSQL do not both apply a migration', async (t) => {
  if ((await postgresUnavailableReason()) !== null && !process.env.CI)
    return t.skip('PostgreSQL unreachable');
  const a = await createTestDatabase('postgres', { migrate: false });
  try {
    const results = await Promise.all([migrateToLatest(a.db), migrateToLatest(a.db), migrateToLatest(a.db)]);
    const appliedTotal = results.flatMap((r) => r.applied);
    assert.deepEqual(appliedTotal.sort(), Object.keys(MIGRATIONS).sort());
  } finally {
    await a.cleanup();
  }
});

test('a failing migration leaves nothing behind (migrations run in one transaction, SQLite included)', async () => {
  await forEachDatabase('atomic migration', async (db) => {
    const migrator = new Migrator({
      db,
      migrationTableName: 'schema_migrations',
      migrationLockTableName: 'schema_migrations_lock',
      provider: {
        getMigrations: async () => ({
          ...MIGRATIONS,
          '0999_broken': {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            up: async (trx: Kysely<any>) => {
              await trx.schema.createTable('half_done').addColumn('x', 'integer').execute();
              throw new Error('migration bug');
            },
          },
        }),
      },
    });
    const r = await migrator.migrateToLatest();
    assert.ok(r.error instanceof Error);
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    assert.equal(tables.includes('half_done'), false, 'the broken migration was rolled back');
    assert.deepEqual(
      (await migrationStatus(db)).map((m) => m.name),
      Object.keys(MIGRATIONS),
    );
  });
});
