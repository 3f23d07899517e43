import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The control plane's tables as Kysely sees them. Portable across SQLite and PostgreSQL:
 * - timestamps are ISO-8601 TEXT in UTC with ms precision (`new Date().toISOString()`), so they sort as text;
 * - JSON is TEXT (parsed in src/control/repos);
 * - integer ids are autoincrement int4 so both drivers return JS numbers;
 * - booleans are integers 0/1.
 * Columns marked Generated are filled by the database (ids) or have a default.
 */

/** ISO-8601 UTC timestamp, e.g. 2026-01-02T03:04:05.678Z. */
export type IsoTimestamp = string;
/** A TEXT column holding JSON. */
export type JsonText = string;

export type OperatorRole = 'admin' | 'analyst' | 'legal';
export type CustomerUserRole = 'owner' | 'member';
export type PrincipalType = 'operator' | 'customer_user' | 'reporter';
export type TokenPrincipalType = PrincipalType | 'edge';
export type ZoneStateColumn = 'pending' | 'active' | 'suspended' | 'terminated';
export type KycStatus = 'unverified' | 'pending' | 'verified' | 'rejected';

export interface OperatorsTable {
  id: Generated<number>;
  email: string;
  name: string;
  role: OperatorRole;
  password_hash: string;
  created_at: IsoTimestamp;
  disabled_at: IsoTimestamp | null;
}

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  kyc_status: ColumnType<string, string | undefined, string>;
  created_at: IsoTimestamp;
}

export interface CustomerUsersTable {
  id: Generated<number>;
  customer_id: number;
  email: string;
  name: string;
  password_hash: string;
  role: CustomerUserRole;
  created_at: IsoTimestamp;
  disabled_at: IsoTimestamp | null;
}

/** Rights holders and their agents. They authenticate with API tokens (password_hash stays null unless set). */
export interface ReportersTable {
  id: Generated<number>;
  name: string;
  email: string;
  organization: string | null;
  password_hash: string | null;
  created_at: IsoTimestamp;
}

export interface SessionsTable {
  /** sha256 hex of the session secret (the cookie holds the secret, never stored). */
  id: string;
  principal_type: PrincipalType;
  principal_id: number;
  csrf_token: string;
  created_at: IsoTimestamp;
  expires_at: IsoTimestamp;
}

export interface ApiTokensTable {
  id: Generated<number>;
  principal_type: TokenPrincipalType;
  /** null for edge tokens. */
  principal_id: number | null;
  name: string;
  /** sha256 hex of the token secret; unique. */
  token_hash: string;
  /** first characters of the token, for display. */
  token_prefix: string;
  /** JSON array of scope strings. */
  scopes: JsonText;
  created_at: IsoTimestamp;
  last_used_at: IsoTimestamp | null;
  revoked_at: IsoTimestamp | null;
}

export interface ZonesTable {
  /** 'z_' + random. */
  id: string;
  customer_id: number;
  name: string;
  state: ZoneStateColumn;
  /** JSON array of origin base URLs. */
  origins: JsonText;
  origin_host: string | null;
  /** JSON ZoneCacheSettings. */
  cache_settings: JsonText;
  created_at: IsoTimestamp;
  updated_at: IsoTimestamp;
}

export interface ZoneHostnamesTable {
  id: Generated<number>;
  zone_id: string;
  /** lower-case; unique across all zones. */
  hostname: string;
  verification_token: string;
  verification_method: 'http' | 'dns' | null;
  verified_at: IsoTimestamp | null;
}

export interface ZoneStateChangesTable {
  id: Generated<number>;
  zone_id: string;
  from_state: ZoneStateColumn | null;
  to_state: ZoneStateColumn;
  actor: string;
  reason: string | null;
  at: IsoTimestamp;
}

export interface BlockRulesTable {
  id: Generated<number>;
  /** null = applies to every zone (matching is by URL). */
  zone_id: string | null;
  match: 'exact' | 'prefix' | 'host';
  url: string;
  /** JSON array of ISO 3166-1 alpha-2 codes, or null = everywhere. */
  countries: JsonText | null;
  notice_url: string;
  demanded_by: string | null;
  law: string | null;
  created_by: string;
  created_at: IsoTimestamp;
  removed_at: IsoTimestamp | null;
  removed_by: string | null;
  removal_reason: string | null;
}

export interface PurgesTable {
  id: Generated<number>;
  /** null only for an all-zones tag purge. */
  zone_id: string | null;
  kind: 'url' | 'prefix' | 'tag' | 'zone';
  value: string | null;
  soft: number;
  requested_by: string;
  created_at: IsoTimestamp;
  config_version: number;
}

export interface ConfigChangesTable {
  /** Assigned by appendConfigChange (max + 1 under the write lock): gapless, never a sequence. */
  version: number;
  kind: string;
  /** JSON ConfigChangeBody. */
  body: JsonText;
  committed_at: IsoTimestamp;
}

export interface EdgesTable {
  id: Generated<number>;
  name: string;
  region: string | null;
  country: string | null;
  applied_version: ColumnType<number, number | undefined, number>;
  last_seen_at: IsoTimestamp | null;
  registered_at: IsoTimestamp;
  acked_at: IsoTimestamp | null;
}

export interface AuditLogTable {
  /** Assigned by appendAudit (max + 1 under the write lock): gapless, so a gap means a removed entry. */
  seq: number;
  at: IsoTimestamp;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  reason: string | null;
  /** JSON or null. */
  before: JsonText | null;
  after: JsonText | null;
  prev_hash: string;
  hash: string;
}

export interface Database {
  operators: OperatorsTable;
  customers: CustomersTable;
  customer_users: CustomerUsersTable;
  reporters: ReportersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  zones: ZonesTable;
  zone_hostnames: ZoneHostnamesTable;
  zone_state_changes: ZoneStateChangesTable;
  block_rules: BlockRulesTable;
  purges: PurgesTable;
  config_changes: ConfigChangesTable;
  edges: EdgesTable;
  audit_log: AuditLogTable;
}

export type OperatorRow = Selectable<OperatorsTable>;
export type NewOperatorRow = Insertable<OperatorsTable>;
export type OperatorUpdate = Updateable<OperatorsTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type CustomerUserRow = Selectable<CustomerUsersTable>;
export type ReporterRow = Selectable<ReportersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type ZoneRow = Selectable<ZonesTable>;
export type ZoneHostnameRow = Selectable<ZoneHostnamesTable>;
export type ZoneStateChangeRow = Selectable<ZoneStateChangesTable>;
export type BlockRuleRow = Selectable<BlockRulesTable>;
export type PurgeRow = Selectable<PurgesTable>;
export type ConfigChangeRow = Selectable<ConfigChangesTable>;
export type EdgeRow = Selectable<EdgesTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
