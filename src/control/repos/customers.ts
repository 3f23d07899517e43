import type { CustomerRow, CustomerUserRole, CustomerUserRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { definedOnly, normalizeEmail, nowIso } from './row-values.js';

export interface Customer {
  id: number;
  name: string;
  kycStatus: string;
  createdAt: string;
}

export interface CustomerUser {
  id: number;
  customerId: number;
  email: string;
  name: string;
  passwordHash: string;
  role: CustomerUserRole;
  createdAt: string;
  disabledAt: string | null;
}

export function customerFromRow(row: CustomerRow): Customer {
  return { id: Number(row.id), name: row.name, kycStatus: row.kyc_status, createdAt: row.created_at };
}

export function customerUserFromRow(row: CustomerUserRow): CustomerUser {
  return {
    id: Number(row.id),
    customerId: Number(row.customer_id),
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    role: row.role,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export async function insertCustomer(
  db: Executor,
  c: { name: string; kycStatus?: string },
): Promise<Customer> {
  const row = await db
    .insertInto('customers')
    .values({
      name: c.name,
      ...(c.kycStatus === undefined ? {} : { kyc_status: c.kycStatus }),
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return customerFromRow(row);
}

export async function getCustomer(db: Executor, id: number): Promise<Customer | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? customerFromRow(row) : undefined;
}

export async function listCustomers(db: Executor): Promise<Customer[]> {
  return (await db.selectFrom('customers').selectAll().orderBy('id').execute()).map(customerFromRow);
}

export async function updateCustomer(
  db: Executor,
  id: number,
  p: { name?: string; kycStatus?: string },
): Promise<Customer | undefined> {
  const set = definedOnly({ name: p.name, kyc_status: p.kycStatus });
  if (Object.keys(set).length === 0) return getCustomer(db, id);
  const row = await db
    .updateTable('customers')
    .set(set)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? customerFromRow(row) : undefined;
}

export async function insertCustomerUser(
  db: Executor,
  u: { customerId: number; email: string; name: string; passwordHash: string; role: CustomerUserRole },
): Promise<CustomerUser> {
  const row = await db
    .insertInto('customer_users')
    .values({
      customer_id: u.customerId,
      email: normalizeEmail(u.email),
      name: u.name,
      password_hash: u.passwordHash,
      role: u.role,
      created_at: nowIso(),
      disabled_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return customerUserFromRow(row);
}

export async function getCustomerUser(db: Executor, id: number): Promise<CustomerUser | undefined> {
  const row = await db.selectFrom('customer_users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? customerUserFromRow(row) : undefined;
}

export async function getCustomerUserByEmail(db: Executor, email: string): Promise<CustomerUser | undefined> {
  const row = await db
    .selectFrom('customer_users')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row ? customerUserFromRow(row) : undefined;
}

export async function listCustomerUsers(db: Executor, customerId: number): Promise<CustomerUser[]> {
  const rows = await db
    .selectFrom('customer_users')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  return rows.map(customerUserFromRow);
}

export async function updateCustomerUser(
  db: Executor,
  id: number,
  p: { name?: string; role?: CustomerUserRole; passwordHash?: string; disabledAt?: string | null },
): Promise<CustomerUser | undefined> {
  const set = {
    ...definedOnly({ name: p.name, role: p.role, password_hash: p.passwordHash }),
    ...(p.disabledAt === undefined ? {} : { disabled_at: p.disabledAt }),
  };
  if (Object.keys(set).length === 0) return getCustomerUser(db, id);
  const row = await db
    .updateTable('customer_users')
    .set(set)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? customerUserFromRow(row) : undefined;
}
