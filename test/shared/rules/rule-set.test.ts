import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuleSet } from '../../../src/shared/rules/rule-set.js';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';
import { normalizeUrl } from '../../../src/shared/url/normalize-url.js';
import { formatSimple, simpleUrl, urlSpellings } from '../url/url-arbitraries.js';
import { matchHost, matchPath, queryParams } from '../../../src/shared/rules/match-form.js';

const rule = (
  id: number,
  match: BlockRule['match'],
  url: string,
  countries: string[] | null = null,
): BlockRule => ({
  id,
  match,
  url,
  countries,
  notice: `https://notices.example/${id}`,
});
const m = (set: RuleSet, url: string, country: string | null = null) => set.match(normalizeUrl(url), country);

test('exact rule: same path whatever query the request adds', () => {
  const set = RuleSet.from([rule(1, 'exact', 'https://e.com/manga/1.html')]);
  assert.equal(m(set, 'https://e.com/manga/1.html')?.ruleId, 1);
  assert.equal(m(set, 'http://E.com:80/manga/1.html?utm=x&page=2')?.ruleId, 1);
  assert.equal(m(set, 'https://e.com/manga/1.htm'), null);
  assert.equal(m(set, 'https://e.com/manga/1.html/more'), null);
  assert.equal(m(set, 'https://other.com/manga/1.html'), null);
});

test('exact rule with a query: its parameters in any order, extra ones allowed', () => {
  const set = RuleSet.from([rule(2, 'exact', 'https://e.com/read?id=42&ch=7')]);
  assert.equal(m(set, 'https://e.com/read?ch=7&id=42')?.ruleId, 2);
  assert.equal(m(set, 'https://e.com/read?x=1&ch=7&id=42')?.ruleId, 2);
  assert.equal(m(set, 'https://e.com/read?id=42'), null);
  assert.equal(m(set, 'https://e.com/read'), null);
  const spaced = RuleSet.from([rule(3, 'exact', 'https://e.com/s?q=one%20piece')]);
  assert.equal(m(spaced, 'https://e.com/s?q=one+piece')?.ruleId, 3);
});

test('prefix rule matches at its path prefix; host rule matches the whole host on any port', () => {
  const set = RuleSet.from([
    rule(4, 'prefix', 'https://e.com/raw/'),
    rule(5, 'host', 'https://pirate.example/'),
  ]);
  assert.equal(m(set, 'https://e.com/raw/one-piece/1')?.match, 'prefix');
  assert.equal(m(set, 'https://e.com/raw/')?.ruleId, 4);
  assert.equal(m(set, 'https://e.com/ra'), null);
  assert.equal(m(set, 'https://e.com/other/raw/'), null);
  assert.equal(m(set, 'https://pirate.example:8443/any/thing?x')?.ruleId, 5);
  assert.equal(m(set, 'https://www.pirate.example/'), null);
});

test('countries: a country-limited rule applies only there; unknown country is not blocked by it', () => {
  const set = RuleSet.from([rule(6, 'exact', 'https://e.com/jp-only', ['JP'])]);
  assert.equal(m(set, 'https://e.com/jp-only', 'JP')?.ruleId, 6);
  assert.deepEqual(m(set, 'https://e.com/jp-only', 'JP')?.countries, ['JP']);
  assert.equal(m(set, 'https://e.com/jp-only', 'US'), null);
  assert.equal(m(set, 'https://e.com/jp-only', null), null);
});

test('several rules on one URL: a worldwide one wins over a country one; removal keeps the others', () => {
  const jp = rule(7, 'exact', 'https://e.com/x', ['JP']);
  const world = rule(8, 'exact', 'https://e.com/x');
  const set = RuleSet.from([jp, world]);
  assert.equal(m(set, 'https://e.com/x', 'JP')?.ruleId, 8);
  assert.equal(set.remove(world), true);
  assert.equal(m(set, 'https://e.com/x', 'JP')?.ruleId, 7);
  assert.equal(m(set, 'https://e.com/x', 'FR'), null);
  assert.equal(set.remove(world), false);
  assert.equal(set.size, 1);
});

test('the hit carries who demanded it and under which law', () => {
  const set = RuleSet.from([
    { ...rule(9, 'exact', 'https://e.com/y'), demandedBy: 'Kodansha Ltd.', law: 'DMCA 17 U.S.C. 512' },
  ]);
  const hit = m(set, 'https://e.com/y');
  assert.equal(hit?.demandedBy, 'Kodansha Ltd.');
  assert.equal(hit?.law, 'DMCA 17 U.S.C. 512');
  assert.equal(hit?.notice, 'https://notices.example/9');
});

test('growing past the initial capacity keeps every rule findable', () => {
  const set = new RuleSet();
  for (let i = 0; i < 5000; i++) set.add(rule(i, i % 10 === 0 ? 'prefix' : 'exact', `https://e.com/p/${i}/`));
  for (let i = 0; i < 5000; i += 7) assert.equal(m(set, `https://e.com/p/${i}/`)?.ruleId, i);
  assert.equal(m(set, 'https://e.com/p/5001/'), null);
});

/** Spellings origins commonly serve as the same path, which only the rule match form (not the cache key) merges. */
const separatorSpelling = fc.constantFrom('/', '/', '//', '\\', '%2F', '%2f', '/./', '%5C');

function respellSeparators(url: string, seps: readonly string[]): string {
  const at = url.indexOf('/', url.indexOf('//') + 2);
  let i = 0;
  return url.slice(0, at + 1) + url.slice(at + 1).replace(/\//g, () => seps[i++ % seps.length]!);
}

test('property: every equivalent spelling of a blocked URL is blocked', () => {
  const extraParams = fc.array(fc.stringMatching(/^[a-z]{1,3}=[a-z0-9]{0,3}$/), { maxLength: 3 });
  fc.assert(
    fc.property(
      simpleUrl.chain((u) => fc.tuple(fc.constant(u), urlSpellings(u, false))),
      fc.constantFrom('exact', 'prefix'),
      extraParams,
      fc.array(separatorSpelling, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      ([u, spelled], kind, extra, seps, trailingSlash) => {
        const set = RuleSet.from([rule(1, kind as 'exact' | 'prefix', formatSimple(u, false))]);
        const sep = extra.length ? '?' + extra.join('&') : '';
        assert.equal(m(set, spelled + sep)?.ruleId, 1, `${spelled + sep} escaped ${formatSimple(u, false)}`);
        // Separators doubled, backslashed or percent-encoded; an exact rule also ignores a trailing '/'. (Not
        // combined with dot segments: '/a\\..' is one segment to the normalizer, and the origin gets what it made.)
        const odd =
          respellSeparators(formatSimple(u, false), seps) +
          (trailingSlash && kind === 'exact' ? '/' : '') +
          sep;
        assert.equal(m(set, odd)?.ruleId, 1, `${odd} escaped ${formatSimple(u, false)}`);
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: a query rule matches its parameters in any order and with extra ones', () => {
  fc.assert(
    fc.property(
      simpleUrl.filter((u) => u.query.length > 0),
      fc.integer(),
      (u, seed) => {
        const set = RuleSet.from([rule(1, 'exact', formatSimple(u))]);
        const params = u.query.map(([k, v]) => `${k}=${v}`);
        const shuffled = [...params, 'zz=extra'].sort(
          () => ((seed = (seed * 1103515245 + 12345) | 0) & 1) - 0.5,
        );
        assert.equal(m(set, `${formatSimple(u, false)}?${shuffled.join('&')}`)?.ruleId, 1);
      },
    ),
    { numRuns: 500 },
  );
});

/**
 * A naive matcher straight from the rules' definitions, to check the compiled one against: the id of the rule
 * that should win (worldwide before country-limited, then the lowest id), or null.
 */
function reference(rules: readonly BlockRule[], url: string, country: string | null): number | null {
  const u = normalizeUrl(url);
  const trim = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  let best: BlockRule | null = null;
  for (const r of rules) {
    const ru = normalizeUrl(r.url);
    if (r.countries !== null && (country === null || !r.countries.includes(country))) continue;
    if (matchHost(ru.host) !== matchHost(u.host)) continue;
    const rp = matchPath(ru.path);
    const up = matchPath(u.path);
    const ok =
      r.match === 'host' ||
      (r.match === 'prefix' && up.startsWith(rp)) ||
      (r.match === 'exact' &&
        trim(rp) === trim(up) &&
        queryParams(ru.query).every((p) => queryParams(u.query).includes(p)));
    if (!ok) continue;
    const better =
      best === null ||
      (r.countries === null && best.countries !== null) ||
      ((r.countries === null) === (best.countries === null) && r.id < best.id);
    if (better) best = r;
  }
  return best === null ? null : best.id;
}

test('property: the compiled set agrees with a naive matcher, through adds and removes', () => {
  const hosts = ['a.test', 'b.test'];
  const paths = ['/', '/x', '/x/', '/x/y', '/x/y/z', '/xy', '/y', '/x//y', '/x%2Fy', '/X'];
  const urlArb = fc.tuple(
    fc.constantFrom(...hosts),
    fc.constantFrom(...paths),
    fc.constantFrom('', '?k=1', '?k=1&j=2', '?j=2'),
  );
  const ruleArb = fc.record({
    match: fc.constantFrom('exact' as const, 'prefix' as const, 'host' as const),
    url: urlArb.map(([h, p, q]) => `https://${h}${p}${q}`),
    countries: fc.constantFrom(null, ['JP'], ['JP', 'FR']),
  });
  fc.assert(
    fc.property(
      fc.array(ruleArb, { maxLength: 12 }),
      fc.array(fc.nat(11), { maxLength: 4 }),
      urlArb,
      fc.constantFrom(null, 'JP', 'US'),
      fc.nat(),
      fc.boolean(),
      (specs, removals, [h, p, q], country, idSeed, grown) => {
        // Ids in a scrambled order, so "lowest id wins" is not "first added wins".
        let rules: BlockRule[] = specs.map((s, i) => ({
          id: ((i + 1) * 7919 + idSeed) % 100003,
          notice: `https://n.example/${i}`,
          ...s,
        }));
        // Built at once, or rule by rule from the smallest capacity and trimmed (how a rules file is compiled).
        const set = grown ? new RuleSet() : RuleSet.from(rules);
        if (grown) {
          for (const r of rules) set.add(r);
          set.trim();
        }
        for (const idx of removals) {
          const victim = rules[idx];
          if (!victim) continue;
          assert.equal(set.remove(victim), true);
          rules = rules.filter((r) => r !== victim);
        }
        if (grown) set.trim();
        assert.equal(set.size, rules.length);
        const url = `http://${h}${p}${q}`;
        assert.equal(
          set.match(normalizeUrl(url), country)?.ruleId ?? null,
          reference(rules, url, country),
          `${url} ${country}`,
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: a verdict that used neither country nor query holds for every country and query', () => {
  const paths = ['/', '/x', '/x/', '/x/y', '/y'];
  const queries = ['', '?k=1', '?k=1&j=2', '?j=2'];
  const countries = [null, 'JP', 'US', 'FR'];
  const ruleArb = fc.record({
    match: fc.constantFrom('exact' as const, 'prefix' as const, 'host' as const),
    url: fc
      .tuple(fc.constantFrom('a.test', 'b.test'), fc.constantFrom(...paths), fc.constantFrom(...queries))
      .map(([h, p, q]) => `https://${h}${p}${q}`),
    countries: fc.constantFrom(null, ['JP'], ['JP', 'FR']),
  });
  fc.assert(
    fc.property(
      fc.array(ruleArb, { maxLength: 8 }),
      fc.constantFrom(...paths),
      fc.constantFrom(...queries),
      fc.constantFrom(...countries),
      (specs, path, query, country) => {
        const set = RuleSet.from(
          specs.map((s, i) => ({ id: i + 1, notice: `https://n.example/${i}`, ...s })),
        );
        const url = (q: string) => normalizeUrl(`https://a.test${path}${q}`);
        if (set.match(url(query), country) !== null) return;
        const anyCountry = !set.lastVerdictUsedCountry;
        const anyQuery = !set.lastVerdictUsedQuery;
        for (const c of anyCountry ? countries : [country])
          for (const q of anyQuery ? queries : [query])
            assert.equal(set.match(url(q), c), null, `${path}${q} ${c} after ${path}${query} ${country}`);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: no false positives among unrelated URLs; agreement with the naive matcher on a wide domain', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(simpleUrl, fc.constantFrom('exact' as const, 'prefix' as const, 'host' as const)), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.array(simpleUrl, { minLength: 1, maxLength: 10 }),
      (ruleSpecs, probes) => {
        const rules = ruleSpecs.map(([u, kind], i) => rule(i + 1, kind, formatSimple(u)));
        const set = RuleSet.from(rules);
        for (const p of [
          ...probes.map((u) => formatSimple(u)),
          ...ruleSpecs.map(([u]) => formatSimple(u) + 'z'),
        ]) {
          assert.equal(m(set, p)?.ruleId ?? null, reference(rules, p, null), p);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('removals are reclaimed: many adds and removes keep exactly the live rules findable', () => {
  const set = new RuleSet();
  const live = new Map<number, BlockRule>();
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 3000; i++) {
      const id = round * 3000 + i;
      const r = rule(
        id,
        i % 7 === 0 ? 'prefix' : 'exact',
        `https://e${i % 13}.com/r${round}/${i}/`,
        i % 3 === 0 ? ['JP'] : null,
      );
      set.add(r);
      live.set(id, r);
    }
    for (const [id, r] of [...live]) {
      if ((id * 31 + round) % 4 === 0) continue;
      assert.equal(set.remove(r), true);
      live.delete(id);
    }
  }
  assert.equal(set.size, live.size);
  for (const [id, r] of live) assert.equal(m(set, r.url, 'JP')?.ruleId, id);
  assert.equal(m(set, 'https://e1.com/r0/1/', 'JP'), null);
});

test('match-form decisions: %2F, repeated and back slashes, trailing slash, any port; path case kept', () => {
  const set = RuleSet.from([
    rule(1, 'exact', 'https://e.com/a/b'),
    rule(2, 'prefix', 'https://e.com/dir/'),
    rule(3, 'exact', 'https://e.com/q?x=1%212'),
  ]);
  for (const u of [
    'https://e.com/a%2Fb',
    'https://e.com//a///b',
    'https://e.com/a\\b',
    'https://e.com/a/b/',
    'https://e.com:8443/a/b',
    'https://e.com/a/c/..%2F/b',
  ]) {
    assert.equal(m(set, u)?.ruleId, 1, u);
  }
  assert.equal(m(set, 'https://e.com/A/b'), null);
  assert.equal(m(set, 'https://e.com/a/bc'), null);
  assert.equal(m(set, 'https://e.com/dir%2Fx')?.ruleId, 2);
  assert.equal(m(set, 'https://e.com/dir'), null);
  assert.equal(m(set, 'https://e.com/q?x=1!2')?.ruleId, 3);
  assert.equal(m(set, 'https://e.com/q?x=1%26'), null);
});

test('property: a set moved through structured clone (as from the compiling thread) matches exactly as before', () => {
  const hosts = ['a.test', 'b.test', 'c.test'];
  const paths = ['/', '/x', '/x/', '/x/y', '/x/y/z', '/y'];
  const queries = ['', '?k=1', '?k=1&j=2'];
  const urlArb = fc.tuple(fc.constantFrom(...hosts), fc.constantFrom(...paths), fc.constantFrom(...queries));
  const ruleArb = fc.record({
    match: fc.constantFrom('exact' as const, 'prefix' as const, 'host' as const),
    url: urlArb.map(([h, p, q]) => `https://${h}${p}${q}`),
    countries: fc.constantFrom(null, ['JP'], ['JP', 'FR']),
    demandedBy: fc.constantFrom(undefined, 'Publisher K.K.'),
  });
  fc.assert(
    fc.property(fc.array(ruleArb, { maxLength: 20 }), (specs) => {
      const rules: BlockRule[] = specs.map(({ demandedBy, ...s }, i) => ({
        id: i + 1,
        notice: `https://n.example/${i % 3}`,
        ...s,
        ...(demandedBy === undefined ? {} : { demandedBy }),
      }));
      const original = RuleSet.from(rules);
      const expected = new Map<string, unknown>();
      for (const [h, p, q] of fc.sample(urlArb, 30))
        for (const c of [null, 'JP', 'US'])
          expected.set(`${h}${p}${q} ${c}`, original.match(normalizeUrl(`http://${h}${p}${q}`), c));
      const { state, transfer } = original.toTransfer();
      const moved = RuleSet.fromTransfer(structuredClone(state, { transfer }));
      assert.equal(moved.size, rules.length);
      for (const [key, hit] of expected) {
        const [u, c] = key.split(' ');
        assert.deepEqual(moved.match(normalizeUrl(`http://${u}`), c === 'null' ? null : c!), hit, key);
      }
      // Still a working set: rules can be added and removed after the move.
      const extra: BlockRule = {
        id: 999,
        match: 'host',
        url: 'https://d.test/',
        countries: null,
        notice: 'https://n.example/x',
      };
      moved.add(extra);
      assert.equal(moved.match(normalizeUrl('http://d.test/any'), null)?.ruleId, 999);
      assert.equal(moved.remove(extra), true);
      assert.equal(moved.match(normalizeUrl('http://d.test/any'), null), null);
    }),
    { numRuns: 300 },
  );
});

test('indexes widen past 256 country lists and 65,536 notices; every rule keeps its own', () => {
  const code = (i: number) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26));
  const rules: BlockRule[] = [];
  for (let i = 0; i < 70_000; i++)
    rules.push({
      id: i + 1,
      match: 'exact',
      url: `https://w.test/item/${i}`,
      countries: i < 600 ? [code(i % 300)] : null,
      notice: `https://n.example/${i}`,
    });
  for (const set of [
    RuleSet.from(rules),
    (() => {
      // Grown one rule at a time from the smallest capacity: widening and growth interleave.
      const s = new RuleSet();
      for (const r of rules) s.add(r);
      return s;
    })(),
  ]) {
    for (const i of [0, 1, 255, 256, 299, 300, 599, 65_535, 65_536, 69_999]) {
      const r = rules[i]!;
      const country = r.countries === null ? null : r.countries[0]!;
      const hit = set.match(normalizeUrl(`http://w.test/item/${i}`), country);
      assert.equal(hit?.ruleId, i + 1, `rule ${i}`);
      assert.equal(hit.notice, `https://n.example/${i}`);
      assert.deepEqual(hit.countries, r.countries);
      if (country !== null) assert.equal(set.match(normalizeUrl(`http://w.test/item/${i}`), 'ZZ'), null);
    }
  }
});
