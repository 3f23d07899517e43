import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { describeBothDatabases } from '../../helpers/databases.js';
import { transact } from '../../../src/control/db/transact.js';
import {
  appendAudit,
  auditEntryHash,
  auditHead,
  exportAudit,
  GENESIS_HASH,
  listAudit,
  type AuditEntry,
} from '../../../src/control/audit/audit-log.js';
import { verifyAuditChain } from '../../../src/control/audit/verify-audit-chain.js';

describeBothDatabases('audit log', (ctx) => {
  beforeEach(async () => {
    await ctx.db.deleteFrom('audit_log').execute();
  });

  async function appendN(n: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (let i = 1; i <= n; i++) {
      out.push(
        await transact(ctx.db, (trx) =>
          appendAudit(trx, {
            actor: `operator:${i % 3}`,
            action: 'zone.update',
            objectType: 'zone',
            objectId: `z_${i}`,
            reason: `change ${i}`,
            before: { state: 'pending', n: i, nested: { b: 1, a: [1, 'x', null] } },
            after: i % 2 ? { state: 'active', n: i } : undefined,
          }),
        ),
      );
    }
    return out;
  }

  test('an empty log verifies with the genesis head', async () => {
    assert.deepEqual(await verifyAuditChain(ctx.db), { ok: true, entries: 0, head: GENESIS_HASH });
    assert.deepEqual(await auditHead(ctx.db), { seq: 0, hash: GENESIS_HASH });
  });

  test('entries chain: seq from 1, each prev_hash is the previous hash, hash recomputes', async () => {
    const entries = await appendN(5);
    assert.deepEqual(
      entries.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.equal(entries[0]!.prevHash, GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) assert.equal(entries[i]!.prevHash, entries[i - 1]!.hash);
    for (const e of entries) assert.equal(auditEntryHash(e), e.hash);
    assert.deepEqual(await verifyAuditChain(ctx.db), { ok: true, entries: 5, head: entries[4]!.hash });
    assert.deepEqual(await auditHead(ctx.db), { seq: 5, hash: entries[4]!.hash });
    const listed = await listAudit(ctx.db, { objectType: 'zone', objectId: 'z_2' });
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0], entries[1]);
  });

  test('appendAudit outside a transaction is refused', async () => {
    await assert.rejects(
      appendAudit(ctx.db, { actor: 'a', action: 'b', objectType: 'c', objectId: 'd' }),
      /transact/,
    );
  });

  test('a rolled-back append leaves no gap', async () => {
    await appendN(2);
    await assert.rejects(
      transact(ctx.db, async (trx) => {
        await appendAudit(trx, { actor: 'a', action: 'b', objectType: 'c', objectId: 'd' });
        throw new Error('boom');
      }),
      /boom/,
    );
    const e = await transact(ctx.db, (trx) =>
      appendAudit(trx, { actor: 'a', action: 'b', objectType: 'c', objectId: 'd' }),
    );
    assert.equal(e.seq, 3);
    assert.equal((await verifyAuditChain(ctx.db)).ok, true);
  });

  test("altering one row's reason with SQL: verify names that seq as altered", async () => {
    await appendN(6);
    await sql`update audit_log set reason = ${'nothing to see'} where seq = 4`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 3,
      firstBadSeq: 4,
      problem: 'altered',
    });
  });

  test('altering before/after JSON (even into invalid JSON) is detected', async () => {
    await appendN(4);
    await sql`update audit_log set before = ${'{"state":"active"}'} where seq = 2`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 1,
      firstBadSeq: 2,
      problem: 'altered',
    });
    await ctx.db.deleteFrom('audit_log').execute();
    await appendN(4);
    await sql`update audit_log set after = ${'{not json'} where seq = 3`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 2,
      firstBadSeq: 3,
      problem: 'altered',
    });
  });

  test('deleting a middle row: verify names it as removed', async () => {
    await appendN(6);
    await sql`delete from audit_log where seq = 3`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 2,
      firstBadSeq: 3,
      problem: 'removed',
    });
  });

  test('deleting the first row: removed at 1', async () => {
    await appendN(3);
    await sql`delete from audit_log where seq = 1`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 0,
      firstBadSeq: 1,
      problem: 'removed',
    });
  });

  test('altering the last row is detected too', async () => {
    await appendN(5);
    await sql`update audit_log set actor = ${'operator:99'} where seq = 5`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 4,
      firstBadSeq: 5,
      problem: 'altered',
    });
  });

  test('a row rewritten with a recomputed hash is named, not its successor', async () => {
    const entries = await appendN(5);
    const forged = { ...entries[1]!, reason: 'forged' };
    await sql`update audit_log set reason = ${'forged'}, hash = ${auditEntryHash(forged)} where seq = 2`.execute(
      ctx.db,
    );
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 2,
      firstBadSeq: 2,
      problem: 'altered',
    });
  });

  test('deleting a row and renumbering the rest: removed at that seq', async () => {
    await appendN(6);
    await sql`delete from audit_log where seq = 3`.execute(ctx.db);
    for (const s of [4, 5, 6])
      await sql`update audit_log set seq = ${s - 1} where seq = ${s}`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 2,
      firstBadSeq: 3,
      problem: 'removed',
    });
  });

  test('swapping two rows: reordered', async () => {
    await appendN(6);
    await sql`update audit_log set seq = 100 where seq = 3`.execute(ctx.db);
    await sql`update audit_log set seq = 3 where seq = 4`.execute(ctx.db);
    await sql`update audit_log set seq = 4 where seq = 100`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db), {
      ok: false,
      entries: 2,
      firstBadSeq: 3,
      problem: 'reordered',
    });
  });

  test('an anchored head catches removal of the newest entries and a rewritten chain', async () => {
    await appendN(5);
    const anchor = await auditHead(ctx.db);
    assert.equal((await verifyAuditChain(ctx.db, { anchor })).ok, true);
    await sql`delete from audit_log where seq >= 4`.execute(ctx.db);
    assert.equal(
      (await verifyAuditChain(ctx.db)).ok,
      true,
      'without the anchor a truncated tail is invisible',
    );
    assert.deepEqual(await verifyAuditChain(ctx.db, { anchor }), {
      ok: false,
      entries: 3,
      firstBadSeq: 4,
      problem: 'removed',
    });
    // Rewrite the whole chain consistently (an attacker with write access can): only the anchor tells.
    await ctx.db.deleteFrom('audit_log').execute();
    const rewritten = await appendN(5);
    await transact(ctx.db, (trx) =>
      appendAudit(trx, { actor: 'x', action: 'y', objectType: 'z', objectId: 'w' }),
    );
    assert.notEqual(
      rewritten[4]!.hash,
      anchor.hash,
      'timestamps differ, so the rewritten chain has other hashes',
    );
    assert.deepEqual(await verifyAuditChain(ctx.db, { anchor }), {
      ok: false,
      entries: 4,
      firstBadSeq: 5,
      problem: 'altered',
    });
  });

  test('verification is paged: a chain longer than a page verifies, and a break on a later page is found', async () => {
    const n = 57;
    await transact(ctx.db, async (trx) => {
      for (let i = 0; i < n; i++)
        await appendAudit(trx, { actor: 'system', action: 'tick', objectType: 't', objectId: String(i) });
    });
    const head = await auditHead(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db, { pageSize: 10 }), {
      ok: true,
      entries: n,
      head: head.hash,
    });
    await sql`update audit_log set object_id = 'other' where seq = 43`.execute(ctx.db);
    assert.deepEqual(await verifyAuditChain(ctx.db, { pageSize: 10 }), {
      ok: false,
      entries: 42,
      firstBadSeq: 43,
      problem: 'altered',
    });
  });

  test('concurrent appenders never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        transact(ctx.db, (trx) =>
          appendAudit(trx, { actor: 'system', action: 'race', objectType: 't', objectId: String(i) }),
        ),
      ),
    );
    const v = await verifyAuditChain(ctx.db);
    assert.equal(v.ok, true);
    assert.equal(v.entries, 40);
  });

  test('export writes one JSON line per entry that recomputes to its hash', async () => {
    const entries = await appendN(4);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const n = await exportAudit(ctx.db, out);
    out.end();
    assert.equal(n, 4);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, 4);
    const parsed = lines.map((l) => JSON.parse(l) as AuditEntry);
    assert.deepEqual(parsed, entries);
    for (const e of parsed) assert.equal(auditEntryHash(e), e.hash);
  });
});
