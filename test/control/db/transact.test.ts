import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describeBothDatabases } from '../../helpers/databases.js';
import { readConsistent, transact } from '../../../src/control/db/transact.js';
import { openDatabase, dialectOf } from '../../../src/control/db/open-database.js';
import { migrateToLatest } from '../../../src/control/db/migrate.js';
import { insertCustomer, listCustomers } from '../../../src/control/repos/customers.js';
import { appendConfigChange, currentConfigVersion } from '../../../src/control/changes/config-change-log.js';
import { buildEdgeSnapshot } from '../../../src/control/changes/edge-snapshot.js';

describeBothDatabases('transact', (ctx) => {
  test('dialectOf tells the databases apart', () => {
    assert.equal(dialectOf(ctx.db), ctx.dialect);
  });

  test('commits on success, rolls everything back on error', async () => {
    const before = (await listCustomers(ctx.db)).length;
    await transact(ctx.db, async (trx) => {
      await insertCustomer(trx, { name: 'kept' });
    });
    await assert.rejects(
      transact(ctx.db, async (trx) => {
        await insertCustomer(trx, { name: 'dropped' });
        await appendConfigChange(trx, { kind: 'zone.remove', zoneId: 'z_x' });
        throw new Error('abort');
      }),
      /abort/,
    );
    const names = (await listCustomers(ctx.db)).map((c) => c.name);
    assert.equal(names.length, before + 1);
    assert.ok(names.includes('kept') && !names.includes('dropped'));
  });

  test('a nested transact runs inside the outer transaction', async () => {
    const v0 = await currentConfigVersion(ctx.db);
    await assert.rejects(
      transact(ctx.db, async (trx) => {
        await transact(trx, (inner) =>
          appendConfigChange(inner, { kind: 'zone.remove', zoneId: 'z_nested' }),
        );
        throw new Error('outer fails');
      }),
    );
    assert.equal(
      await currentConfigVersion(ctx.db),
      v0,
      'the inner append rolled back with the outer transaction',
    );
  });

  test('readConsistent sees one version of the data while a writer commits', async () => {
    const seen = await readConsistent(ctx.db, async (reader) => {
      const a = await currentConfigVersion(reader);
      if (ctx.dialect === 'postgres') {
        // Another connection commits in between; the reader's snapshot must not move.
        await transact(ctx.db, (trx) => appendConfigChange(trx, { kind: 'zone.remove', zoneId: 'z_rc' }));
      }
      const b = await currentConfigVersion(reader);
      return [a, b];
    });
    assert.equal(seen[0], seen[1]);
    assert.equal((await buildEdgeSnapshot(ctx.db)).version, await currentConfigVersion(ctx.db));
  });
});

test('SQLite: our transactions take the write lock at BEGIN (another connection cannot start writing)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-immediate-'));
  const path = join(dir, 'x.sqlite');
  const opened = await openDatabase({ sqlitePath: path });
  const other = new BetterSqlite3(path, { timeout: 0 });
  try {
    await migrateToLatest(opened.db);
    await transact(opened.db, async () => {
      // The transaction has not written anything yet; with a deferred BEGIN the other connection could write now.
      assert.throws(
        () => other.prepare("insert into customers (name, created_at) values ('x', 'y')").run(),
        /SQLITE_BUSY|database is locked/,
      );
    });
    other.prepare("insert into customers (name, created_at) values ('x', 'y')").run();
    const rows = await opened.db.selectFrom('customers').select('id').execute();
    assert.equal(rows.length, 1);
  } finally {
    other.close();
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('openDatabase: SQLite pragmas; refuses a non-postgres URL; an unreachable PostgreSQL is a clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-open-'));
  try {
    const opened = await openDatabase({ sqlitePath: join(dir, 'nested', 'db.sqlite') });
    assert.equal(opened.dialect, 'sqlite');
    await opened.close();
    const raw = new BetterSqlite3(join(dir, 'nested', 'db.sqlite'));
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(
    openDatabase({ url: 'mysql://localhost/x' }),
    (e: Error & { field?: string }) => e.field === 'databaseUrl',
  );
  await assert.rejects(
    openDatabase({ url: 'postgres://postgres@127.0.0.1:1/none' }),
    /cannot connect to PostgreSQL/,
  );
});
