import type { ReporterRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { definedOnly, normalizeEmail, nowIso } from './row-values.js';

/** A rights holder or agent. Usually authenticates with API tokens; passwordHash is null unless set. */
export interface Reporter {
  id: number;
  name: string;
  email: string;
  organization: string | null;
  passwordHash: string | null;
  createdAt: string;
}

export function reporterFromRow(row: ReporterRow): Reporter {
  return {
    id: Number(row.id),
    name: row.name,
    email: row.email,
    organization: row.organization,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

export async function insertReporter(
  db: Executor,
  r: { name: string; email: string; organization?: string | null; passwordHash?: string | null },
): Promise<Reporter> {
  const row = await db
    .insertInto('reporters')
    .values({
      name: r.name,
      email: normalizeEmail(r.email),
      organization: r.organization ?? null,
      password_hash: r.passwordHash ?? null,
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return reporterFromRow(row);
}

export async function getReporter(db: Executor, id: number): Promise<Reporter | undefined> {
  const row = await db.selectFrom('reporters').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? reporterFromRow(row) : undefined;
}

/** Reporter emails are not unique (one agency, several clients): the oldest match first. */
export async function findReportersByEmail(db: Executor, email: string): Promise<Reporter[]> {
  const rows = await db
    .selectFrom('reporters')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .orderBy('id')
    .execute();
  return rows.map(reporterFromRow);
}

export async function listReporters(db: Executor): Promise<Reporter[]> {
  return (await db.selectFrom('reporters').selectAll().orderBy('id').execute()).map(reporterFromRow);
}

export async function updateReporter(
  db: Executor,
  id: number,
  p: { name?: string; email?: string; organization?: string | null; passwordHash?: string | null },
): Promise<Reporter | undefined> {
  const set = {
    ...definedOnly({ name: p.name, email: p.email === undefined ? undefined : normalizeEmail(p.email) }),
    ...(p.organization === undefined ? {} : { organization: p.organization }),
    ...(p.passwordHash === undefined ? {} : { password_hash: p.passwordHash }),
  };
  if (Object.keys(set).length === 0) return getReporter(db, id);
  const row = await db
    .updateTable('reporters')
    .set(set)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? reporterFromRow(row) : undefined;
}
