import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRulesFile, copyCheckedRulesFile, loadRulesFile } from '../../../src/edge/node/rules-file.js';
import { RuleSet } from '../../../src/shared/rules/rule-set.js';
import { isEdgewardError } from '../../../src/shared/errors.js';
import { normalizeUrl } from '../../../src/shared/url/normalize-url.js';

async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-rules-'));
  try {
    const path = join(dir, 'rules.jsonl');
    await writeFile(path, text);
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const line = (match: string, url: string, countries: string[] | null, notice: string) =>
  JSON.stringify({ match, url, countries, notice });

test('a rules file compiled rule by rule blocks exactly what the collected rules block', async () => {
  const lines = ['# takedowns', ''];
  for (let i = 0; i < 3000; i++) {
    const kind = i % 10 === 0 ? 'prefix' : i % 31 === 0 ? 'host' : 'exact';
    const url =
      kind === 'host'
        ? `https://pirate-${i}.example/`
        : kind === 'prefix'
          ? `https://site.example/series/${i}/`
          : i % 7 === 0
            ? `https://site.example/read?id=${i}&ch=2`
            : `https://site.example/manga/${i}.html`;
    lines.push(line(kind, url, i % 3 === 0 ? ['JP'] : null, `https://notices.example/${i}`));
  }
  await withFile(lines.join('\n'), async (path) => {
    const compiled = await compileRulesFile(path);
    const reference = RuleSet.from(await loadRulesFile(path));
    assert.equal(compiled.count, 3000);
    assert.equal(compiled.set.size, 3000);
    for (let i = 0; i < 3100; i++) {
      for (const url of [
        `https://site.example/manga/${i}.html?utm=1`,
        `https://site.example/series/${i}/ch-1`,
        `https://pirate-${i}.example/x`,
        `https://site.example/read?ch=2&id=${i}`,
      ]) {
        for (const country of [null, 'JP', 'FR']) {
          const n = normalizeUrl(url);
          assert.deepEqual(compiled.set.match(n, country), reference.match(n, country), `${url} ${country}`);
        }
      }
    }
  });
});

test('a file with a bad line is refused whole, naming the line', async () => {
  const text = [
    line('exact', 'https://a.example/1', null, 'https://n.example/1'),
    '{"match":"exact","url":"not a url","countries":null,"notice":"https://n.example/2"}',
  ].join('\n');
  await withFile(text, async (path) => {
    await assert.rejects(compileRulesFile(path), (e: unknown) => {
      assert.ok(isEdgewardError(e));
      assert.equal(e.code, 'invalid_rules');
      assert.match(e.message, /line 2/);
      return true;
    });
  });
});

test("a cluster's checked copy of a rules file: counted; a bad file is refused naming the operator's file, and no copy is left", async () => {
  const good = line('exact', 'https://a.example/x', null, 'https://n.example/1');
  const copies = await mkdtemp(join(tmpdir(), 'edgeward-copies-'));
  try {
    await withFile(`${good}\n${good.replace('/x', '/y')}\n`, async (path) => {
      const { copy, count } = await copyCheckedRulesFile(path, copies);
      assert.equal(count, 2);
      assert.ok(copy.startsWith(copies));
    });
    await withFile(`${good}\n{"match":"exact"}\n`, async (path) => {
      await assert.rejects(copyCheckedRulesFile(path, copies), (e: unknown) => {
        assert.ok(isEdgewardError(e));
        assert.equal(e.code, 'invalid_rules');
        assert.ok(e.message.startsWith(`${path}: 2 invalid rule line(s)`), e.message);
        assert.ok(!e.message.includes(copies), 'the private copy is not named');
        assert.equal(e.details.path, path);
        return true;
      });
    });
    assert.equal((await readdir(copies)).length, 1, 'only the good copy remains');
  } finally {
    await rm(copies, { recursive: true, force: true });
  }
});
