import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { countLines, forEachLine } from '../../../src/shared/rules/read-rules-file.js';

async function readlineLines(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity }))
    out.push(line);
  return out;
}

/** Line ends as readline counts them: '\r\n', '\n', and a lone '\r'. */
const lineEnds = (text: string) => (text.match(/\r\n|\n|\r/g) ?? []).length;

test('property: forEachLine splits any file as node:readline does, whatever the read size; countLines bounds it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeward-lines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'f.txt');
  // Multi-byte characters and CR/LF in every position, read 1 to 9 bytes at a time so that a line end, a CRLF
  // pair or a UTF-8 sequence falls across two reads.
  const piece = fc.constantFrom('a', 'é', '日', '😀', '\n', '\r', '\r\n', ' ', '{"x":1}');
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { maxLength: 60 }),
      fc.integer({ min: 1, max: 9 }),
      async (pieces, chunk) => {
        const text = pieces.join('');
        writeFileSync(file, text);
        const expected = await readlineLines(file);
        const got: string[] = [];
        await forEachLine(file, (l) => got.push(l), chunk);
        assert.deepEqual(got, expected);
        const count = await countLines(file, chunk);
        assert.equal(count, lineEnds(text) + 1);
        assert.ok(count >= got.length);
      },
    ),
    { numRuns: 300 },
  );
});

test('forEachLine reads a line longer than its buffer, and a missing file is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeward-lines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'long.txt');
  const long = 'x'.repeat(200_000);
  writeFileSync(file, `${long}\r\nshort\n`);
  const got: string[] = [];
  await forEachLine(file, (l) => got.push(l));
  assert.deepEqual(got, [long, 'short']);
  await assert.rejects(
    forEachLine(join(dir, 'missing'), () => {}),
    { code: 'ENOENT' },
  );
});
