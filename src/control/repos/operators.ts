import type { OperatorRole, OperatorRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { definedOnly, normalizeEmail, nowIso } from './row-values.js';

export interface Operator {
  id: number;
  email: string;
  name: string;
  role: OperatorRole;
  passwordHash: string;
  createdAt: string;
  disabledAt: string | null;
}

export function operatorFromRow(row: OperatorRow): Operator {
  return {
    id: Number(row.id),
    email: row.email,
    name: row.name,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export async function insertOperator(
  db: Executor,
  o: { email: string; name: string; role: OperatorRole; passwordHash: string },
): Promise<Operator> {
  const row = await db
    .insertInto('operators')
    .values({
      email: normalizeEmail(o.email),
      name: o.name,
      role: o.role,
      password_hash: o.passwordHash,
      created_at: nowIso(),
      disabled_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return operatorFromRow(row);
}

export async function getOperator(db: Executor, id: number): Promise<Operator | undefined> {
  const row = await db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? operatorFromRow(row) : undefined;
}

export async function getOperatorByEmail(db: Executor, email: string): Promise<Operator | undefined> {
  const row = await db
    .selectFrom('operators')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row ? operatorFromRow(row) : undefined;
}

export async function listOperators(db: Executor): Promise<Operator[]> {
  return (await db.selectFrom('operators').selectAll().orderBy('id').execute()).map(operatorFromRow);
}

export async function countOperators(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('operators')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateOperator(
  db: Executor,
  id: number,
  p: { name?: string; role?: OperatorRole; passwordHash?: string; disabledAt?: string | null },
): Promise<Operator | undefined> {
  const set = {
    ...definedOnly({ name: p.name, role: p.role, password_hash: p.passwordHash }),
    ...(p.disabledAt === undefined ? {} : { disabled_at: p.disabledAt }),
  };
  if (Object.keys(set).length === 0) return getOperator(db, id);
  const row = await db
    .updateTable('operators')
    .set(set)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? operatorFromRow(row) : undefined;
}
