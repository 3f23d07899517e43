import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import {
  createTestDatabase,
  DIALECTS,
  postgresUnavailableReason,
  type TestDatabase,
} from '../../helpers/databases.js';
import { transact } from '../../../src/control/db/transact.js';
import { appendAudit, auditHead } from '../../../src/control/audit/audit-log.js';

// dist/test/control/audit/ -> repository root
const BIN = fileURLToPath(new URL('../../../../bin/edgeward.js', import.meta.url));

function edgeward(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, DATABASE_URL: '', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function dbArgs(t: TestDatabase): string[] {
  return t.url !== undefined ? ['--database-url', t.url] : ['--sqlite', t.sqlitePath!];
}

for (const dialect of DIALECTS) {
  test(`edgeward migrate / audit verify / export / head [${dialect}]`, async (ctx) => {
    if (dialect === 'postgres') {
      const why = await postgresUnavailableReason();
      if (why !== null && !process.env.CI) return ctx.skip(why);
    }
    const t = await createTestDatabase(dialect, { migrate: false });
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-audit-cli-'));
    try {
      const notYet = await edgeward(['audit', 'verify', ...dbArgs(t)]);
      assert.equal(notYet.code, 2);
      assert.match(notYet.stderr, /edgeward migrate/);

      const m = await edgeward(['migrate', ...dbArgs(t)]);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, /^applied 0001_initial$/m);

      for (let i = 1; i <= 4; i++) {
        await transact(t.db, (trx) =>
          appendAudit(trx, {
            actor: 'operator:1',
            action: 'rule.add',
            objectType: 'block_rule',
            objectId: String(i),
            reason: `notice ${i}`,
            after: { i },
          }),
        );
      }
      const head = await auditHead(t.db);
      const ok = await edgeward(['audit', 'verify', ...dbArgs(t)]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, `audit chain ok: 4 entries, head ${head.hash}\n`);

      const h = await edgeward(['audit', 'head', ...dbArgs(t)]);
      assert.equal(h.stdout.trim(), `4:${head.hash}`);

      const out = join(dir, 'audit.jsonl');
      const ex = await edgeward(['audit', 'export', '--out', out, ...dbArgs(t)]);
      assert.equal(ex.code, 0, ex.stderr);
      const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
        [1, 2, 3, 4],
      );

      await sql`update audit_log set reason = 'edited' where seq = 2`.execute(t.db);
      const broken = await edgeward(['audit', 'verify', ...dbArgs(t)]);
      assert.equal(broken.code, 1);
      assert.equal(broken.stdout, 'audit chain broken at entry 2: altered\n');

      await sql`delete from audit_log where seq >= 2`.execute(t.db);
      const anchored = await edgeward(['audit', 'verify', '--anchor', `4:${head.hash}`, ...dbArgs(t)]);
      assert.equal(anchored.code, 1);
      assert.equal(anchored.stdout, 'audit chain broken at entry 2: removed\n');

      const badAnchor = await edgeward(['audit', 'verify', '--anchor', 'nope', ...dbArgs(t)]);
      assert.equal(badAnchor.code, 2);
      assert.match(badAnchor.stderr, /--anchor/);
    } finally {
      await t.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('edgeward migrate uses DATABASE_URL when no flag is given, and refuses a non-postgres URL', async () => {
  const bad = await edgeward(['migrate'], { DATABASE_URL: 'mysql://localhost/x' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid_database_url/);
});
