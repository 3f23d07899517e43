import type { ApiTokenRow, TokenPrincipalType } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { nowIso, parseJsonColumn } from './row-values.js';

/** An API token as stored: only its sha256 hash and a display prefix, never the secret. */
export interface ApiToken {
  id: number;
  principalType: TokenPrincipalType;
  /** null for edge tokens. */
  principalId: number | null;
  name: string;
  tokenHash: string;
  tokenPrefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function apiTokenFromRow(row: ApiTokenRow): ApiToken {
  return {
    id: Number(row.id),
    principalType: row.principal_type,
    principalId: row.principal_id === null ? null : Number(row.principal_id),
    name: row.name,
    tokenHash: row.token_hash,
    tokenPrefix: row.token_prefix,
    scopes: parseJsonColumn<string[]>(row.scopes, 'api_tokens.scopes'),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export async function insertApiToken(
  db: Executor,
  t: {
    principalType: TokenPrincipalType;
    principalId: number | null;
    name: string;
    tokenHash: string;
    tokenPrefix: string;
    scopes: string[];
  },
): Promise<ApiToken> {
  const row = await db
    .insertInto('api_tokens')
    .values({
      principal_type: t.principalType,
      principal_id: t.principalId,
      name: t.name,
      token_hash: t.tokenHash,
      token_prefix: t.tokenPrefix,
      scopes: JSON.stringify(t.scopes),
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return apiTokenFromRow(row);
}

export async function getApiToken(db: Executor, id: number): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? apiTokenFromRow(row) : undefined;
}

/** The unrevoked token with this hash (authentication path). */
export async function getActiveApiTokenByHash(
  db: Executor,
  tokenHash: string,
): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? apiTokenFromRow(row) : undefined;
}

export async function listApiTokens(
  db: Executor,
  q: { principalType?: TokenPrincipalType; principalId?: number | null } = {},
): Promise<ApiToken[]> {
  let query = db.selectFrom('api_tokens').selectAll();
  if (q.principalType !== undefined) query = query.where('principal_type', '=', q.principalType);
  if (q.principalId === null) query = query.where('principal_id', 'is', null);
  else if (q.principalId !== undefined) query = query.where('principal_id', '=', q.principalId);
  return (await query.orderBy('id').execute()).map(apiTokenFromRow);
}

/** Revokes; undefined when there is no such unrevoked token. */
export async function revokeApiToken(db: Executor, id: number): Promise<ApiToken | undefined> {
  const row = await db
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? apiTokenFromRow(row) : undefined;
}

export async function touchApiToken(db: Executor, id: number, at: string = nowIso()): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
