import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';
import { dialectOf } from '../open-database.js';

/**
 * The initial schema. Portable choices (see docs/control-data.md): ISO-8601 TEXT timestamps, JSON as TEXT,
 * int4 autoincrement ids (SQLite `integer primary key autoincrement`, PostgreSQL `serial`), booleans as 0/1.
 */

// Migrations must keep working as the app's schema type evolves, so they see the database untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  // AUTOINCREMENT on SQLite: ids are never reused after a delete (tokens, sessions and audit references stay unambiguous).
  const autoId = (col: ColumnDefinitionBuilder) => (pg ? col.primaryKey() : col.primaryKey().autoIncrement());
  const idType = pg ? 'serial' : 'integer';
  const withId = <T extends string>(t: CreateTableBuilder<T, never>) => t.addColumn('id', idType, autoId);

  await withId(db.schema.createTable('operators'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(oneOf('role', ['admin', 'analyst', 'legal'])))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();

  await withId(db.schema.createTable('customers'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kyc_status', 'text', (c) => c.notNull().defaultTo('unverified'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('customer_users'))
    .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(oneOf('role', ['owner', 'member'])))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  await db.schema
    .createIndex('customer_users_customer_id')
    .on('customer_users')
    .column('customer_id')
    .execute();

  await withId(db.schema.createTable('reporters'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('organization', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal_type', 'text', (c) =>
      c.notNull().check(oneOf('principal_type', ['operator', 'customer_user', 'reporter'])),
    )
    .addColumn('principal_id', 'integer', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

  await withId(db.schema.createTable('api_tokens'))
    .addColumn('principal_type', 'text', (c) =>
      c.notNull().check(oneOf('principal_type', ['operator', 'customer_user', 'reporter', 'edge'])),
    )
    .addColumn('principal_id', 'integer')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_prefix', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createIndex('api_tokens_principal')
    .on('api_tokens')
    .columns(['principal_type', 'principal_id'])
    .execute();

  await db.schema
    .createTable('zones')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(oneOf('state', ['pending', 'active', 'suspended', 'terminated'])),
    )
    .addColumn('origins', 'text', (c) => c.notNull())
    .addColumn('origin_host', 'text')
    .addColumn('cache_settings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('zones_customer_id').on('zones').column('customer_id').execute();

  await withId(db.schema.createTable('zone_hostnames'))
    .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id').onDelete('cascade'))
    .addColumn('hostname', 'text', (c) => c.notNull().unique())
    .addColumn('verification_token', 'text', (c) => c.notNull())
    .addColumn('verification_method', 'text', (c) => c.check(oneOf('verification_method', ['http', 'dns'])))
    .addColumn('verified_at', 'text')
    .execute();
  await db.schema.createIndex('zone_hostnames_zone_id').on('zone_hostnames').column('zone_id').execute();

  await withId(db.schema.createTable('zone_state_changes'))
    .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id').onDelete('cascade'))
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('zone_state_changes_zone_id')
    .on('zone_state_changes')
    .column('zone_id')
    .execute();

  await withId(db.schema.createTable('block_rules'))
    .addColumn('zone_id', 'text', (c) => c.references('zones.id'))
    .addColumn('match', 'text', (c) => c.notNull().check(oneOf('match', ['exact', 'prefix', 'host'])))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('countries', 'text')
    .addColumn('notice_url', 'text', (c) => c.notNull())
    .addColumn('demanded_by', 'text')
    .addColumn('law', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addColumn('removed_by', 'text')
    .addColumn('removal_reason', 'text')
    .execute();
  await db.schema.createIndex('block_rules_zone_id').on('block_rules').column('zone_id').execute();

  await withId(db.schema.createTable('purges'))
    .addColumn('zone_id', 'text', (c) => c.references('zones.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(oneOf('kind', ['url', 'prefix', 'tag', 'zone'])))
    .addColumn('value', 'text')
    .addColumn('soft', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('config_version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('purges_zone_id').on('purges').column('zone_id').execute();

  // The two ordered logs get no sequence: their appenders assign max + 1 under the write lock, so a rolled-back
  // append leaves no gap (a PostgreSQL sequence would), and an insert that bypasses them fails for lack of a key.
  await db.schema
    .createTable('config_changes')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('committed_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('edges'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('region', 'text')
    .addColumn('country', 'text')
    .addColumn('applied_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seen_at', 'text')
    .addColumn('registered_at', 'text', (c) => c.notNull())
    .addColumn('acked_at', 'text')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_object')
    .on('audit_log')
    .columns(['object_type', 'object_id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of [
    'audit_log',
    'edges',
    'config_changes',
    'purges',
    'block_rules',
    'zone_state_changes',
    'zone_hostnames',
    'zones',
    'api_tokens',
    'sessions',
    'reporters',
    'customer_users',
    'customers',
    'operators',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
