import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfigFile } from '../../../src/edge/config/load-edge-config.js';
import { loadRulesFile } from '../../../src/edge/node/rules-file.js';

// dist/test/edge/config/ -> the repository root.
const example = (name: string) => fileURLToPath(new URL(`../../../../examples/${name}`, import.meta.url));

test('examples/edge.yaml is a valid configuration', async () => {
  const c = await loadEdgeConfigFile(example('edge.yaml'), {});
  assert.deepEqual(
    c.zones.map((z) => z.id),
    ['manga-shop', 'blog'],
  );
  assert.equal(c.zones[0]!.cache.queryString, 'sort');
  assert.equal(c.rules, example('rules.jsonl'));
});

test('examples/rules.jsonl is a valid rules file', async () => {
  const rules = await loadRulesFile(example('rules.jsonl'));
  assert.equal(rules.length, 3);
  assert.deepEqual(rules[0]!.countries, ['JP']);
});
