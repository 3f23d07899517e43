import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, DIALECTS, postgresUnavailableReason } from '../../helpers/databases.js';
import { changesSince } from '../../../src/control/changes/config-change-log.js';
import { verifyAuditChain } from '../../../src/control/audit/verify-audit-chain.js';

const WORKER = fileURLToPath(new URL('./fixtures/append-worker.js', import.meta.url));

function runWorker(target: string, count: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WORKER, target, String(count), label], (error, _stdout, stderr) => {
      if (error) reject(new Error(`worker ${label} failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

// Separate processes writing one database (control plane + CLI, or several control planes): on SQLite this is what
// BEGIN IMMEDIATE + busy_timeout is for (a deferred BEGIN fails with SQLITE_BUSY when two writers upgrade at once).
for (const dialect of DIALECTS) {
  test(`writers in separate processes: gapless versions and one unbroken audit chain [${dialect}]`, async (ctx) => {
    if (dialect === 'postgres') {
      const why = await postgresUnavailableReason();
      if (why !== null && !process.env.CI) return ctx.skip(why);
    }
    const t = await createTestDatabase(dialect);
    try {
      const workers = 3;
      const each = 15;
      const target = t.url ?? t.sqlitePath!;
      await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(target, each, `w${i}`)));
      const changes = await changesSince(t.db, 0, 10_000);
      assert.deepEqual(
        changes.map((c) => c.version),
        Array.from({ length: workers * each }, (_, i) => i + 1),
      );
      const verdict = await verifyAuditChain(t.db);
      assert.deepEqual(verdict.ok && verdict.entries, workers * each);
    } finally {
      await t.cleanup();
    }
  });
}
