import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNewFile } from '../../../src/edge/store/write-new-file.js';

test('writeNewFile creates a file with exactly the bytes given, and never overwrites one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-write-new-'));
  try {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await writeNewFile(join(dir, 'big'), big);
    assert.ok((await readFile(join(dir, 'big'))).equals(big));
    await writeNewFile(join(dir, 'empty'), Buffer.alloc(0));
    assert.equal((await readFile(join(dir, 'empty'))).length, 0);
    await writeFile(join(dir, 'taken'), 'first');
    await assert.rejects(writeNewFile(join(dir, 'taken'), Buffer.from('second')), { code: 'EEXIST' });
    assert.equal(await readFile(join(dir, 'taken'), 'utf8'), 'first');
    await assert.rejects(writeNewFile(join(dir, 'no-such-dir', 'x'), Buffer.from('x')), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
