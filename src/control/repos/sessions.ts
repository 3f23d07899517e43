import type { PrincipalType, SessionRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { nowIso } from './row-values.js';

/** A console session. `id` is the sha256 hex of the cookie's secret; the secret itself is never stored. */
export interface Session {
  id: string;
  principalType: PrincipalType;
  principalId: number;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export function sessionFromRow(row: SessionRow): Session {
  return {
    id: row.id,
    principalType: row.principal_type,
    principalId: Number(row.principal_id),
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export async function insertSession(
  db: Executor,
  s: { id: string; principalType: PrincipalType; principalId: number; csrfToken: string; expiresAt: string },
): Promise<Session> {
  const row = await db
    .insertInto('sessions')
    .values({
      id: s.id,
      principal_type: s.principalType,
      principal_id: s.principalId,
      csrf_token: s.csrfToken,
      created_at: nowIso(),
      expires_at: s.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return sessionFromRow(row);
}

/** The session if it exists and has not expired at `now` (ISO; default now). */
export async function getLiveSession(
  db: Executor,
  id: string,
  now: string = nowIso(),
): Promise<Session | undefined> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', id)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? sessionFromRow(row) : undefined;
}

export async function deleteSession(db: Executor, id: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Ends every session of a principal (password change, disabling). Returns how many. */
export async function deleteSessionsOf(
  db: Executor,
  principalType: PrincipalType,
  principalId: number,
): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where('principal_type', '=', principalType)
    .where('principal_id', '=', principalId)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteExpiredSessions(db: Executor, now: string = nowIso()): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
