import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRulesJsonl } from '../../../src/shared/rules/parse-rules-jsonl.js';
import { readRulesFile } from '../../../src/shared/rules/read-rules-file.js';
import { EdgewardError } from '../../../src/shared/errors.js';

const good =
  '{"match":"exact","url":"https://example.com/path","countries":["jp"],"notice":"https://n.example/42"}';

test('a valid line becomes a rule; the id defaults to the line number; comments and blanks skipped', () => {
  const r = parseRulesJsonl(
    `# takedowns\n\n${good}\n{"id":77,"match":"host","url":"https://p.example/","countries":null,"notice":"https://n.example/1","demandedBy":"Shueisha","law":"JP court order"}`,
  );
  assert.deepEqual(r.errors, []);
  assert.equal(r.rules[0]!.id, 3);
  assert.deepEqual(r.rules[0]!.countries, ['JP']);
  assert.equal(r.rules[1]!.id, 77);
  assert.equal(r.rules[1]!.demandedBy, 'Shueisha');
});

test('every bad field is reported with its line', () => {
  const r = parseRulesJsonl(
    [
      good,
      '{"match":"fuzzy","url":"ftp://x","countries":["JPN", 3],"notice":"no"}',
      'not json',
      '[]',
      '{"match":"exact","url":"https://e.com/","countries":null,"notice":"https://n/1","color":"red"}',
    ].join('\n'),
  );
  assert.equal(r.rules.length, 1);
  const fields = r.errors.map((e) => e.field);
  assert.ok(r.errors.every((e) => e instanceof EdgewardError && e.code === 'invalid_rule'));
  for (const f of [
    'line 2: match',
    'line 2: url',
    'line 2: countries[0]',
    'line 2: countries[1]',
    'line 2: notice',
    'line 3',
    'line 4: rule',
    'line 5: color',
  ]) {
    assert.ok(fields.includes(f), `missing ${f} in ${fields.join(', ')}`);
  }
});

test('a rules file is read as a stream', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeward-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.jsonl');
  writeFileSync(
    file,
    Array.from({ length: 1000 }, (_, i) => good.replace('/path', `/p${i}`)).join('\n') + '\n',
  );
  const r = await readRulesFile(file);
  assert.equal(r.rules.length, 1000);
  assert.equal(r.rules[999]!.id, 1000);
  await assert.rejects(
    readRulesFile(join(dir, 'missing.jsonl')),
    (e: unknown) => e instanceof EdgewardError && e.field === 'rules',
  );
});
