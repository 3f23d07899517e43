import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';
import { RuleSet } from '../../../src/shared/rules/rule-set.js';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { metricValue, startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

const COUNTRY: Record<string, string> = { '127.0.0.1': 'US', '198.51.100.1': 'JP', '198.51.100.2': 'DE' };

const jpRule: BlockRule = {
  id: 7,
  match: 'prefix',
  url: 'http://example.com/manga/',
  countries: ['JP'],
  notice: 'https://notices.example/notices/42',
  demandedBy: 'Kodansha Ltd.',
  law: 'Copyright Act of Japan',
};
const globalRule: BlockRule = {
  id: 8,
  match: 'exact',
  url: 'http://example.com/pirated.pdf',
  countries: null,
  notice: 'https://notices.example/notices/43',
};

describe('takedown enforcement before the cache', { timeout: 20_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'public, max-age=600');
      res.setHeader('etag', '"v1"');
      res.setHeader('last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT');
      res.end(`content of ${req.url}`);
    });
    edge = await startEdge({
      origins: [origin.url],
      rules: [jpRule, globalRule],
      // The test client is 127.0.0.1; a trusted-proxy peer lets X-Forwarded-For choose the client address.
      trustedProxies: ['127.0.0.1'],
      countryOf: (ip) => COUNTRY[ip] ?? null,
    });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  test('a globally blocked URL is 451 with Link rel=blocked-by, no-store and an HTML body', async () => {
    const r = await httpRequest(edge.port, '/pirated.pdf', { headers: { accept: 'text/html' } });
    assert.equal(r.status, 451);
    assert.equal(r.headers.link, '<https://notices.example/notices/43>; rel="blocked-by"');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(String(r.headers['content-type']), /text\/html/);
    assert.match(r.text, /a rights holder/);
    assert.match(r.text, /worldwide/);
    assert.match(r.text, /notices\/43/);
    assert.match(r.text, /Edgeward Test Operator/);
    assert.match(String(r.headers['cache-status']), /^edge-test;/);
    assert.equal(origin.count('/pirated.pdf'), 0);
  });

  test('JSON body when the client prefers JSON', async () => {
    const r = await httpRequest(edge.port, '/manga/one-piece/1', {
      headers: { accept: 'application/json', 'x-forwarded-for': '198.51.100.1' },
    });
    assert.equal(r.status, 451);
    const body = JSON.parse(r.text) as Record<string, unknown>;
    assert.equal(body.demandedBy, 'Kodansha Ltd.');
    assert.equal(body.law, 'Copyright Act of Japan');
    assert.deepEqual(body.scope, ['JP']);
    assert.equal(body.notice, 'https://notices.example/notices/42');
    assert.deepEqual(body.blockedBy, {
      name: 'Edgeward Test Operator',
      url: 'https://operator.example/abuse',
    });
  });

  test('a country-scoped block: cached for the US, never served to JP by any route, and the 451 never reaches DE', async () => {
    const path = '/manga/chapter-9.jpg';
    const us = await httpRequest(edge.port, path);
    assert.equal(us.status, 200);
    const usHit = await httpRequest(edge.port, path);
    assert.match(String(usHit.headers['cache-status']), /; hit/);
    const jp = { 'x-forwarded-for': '198.51.100.1' };
    const attempts: Record<string, string>[] = [
      jp,
      { ...jp, 'if-none-match': '"v1"' },
      { ...jp, 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' },
      { ...jp, range: 'bytes=0-3' },
      { ...jp, range: 'bytes=0-3', 'if-range': '"v1"' },
    ];
    for (const headers of attempts) {
      const r = await httpRequest(edge.port, path, { headers });
      assert.equal(r.status, 451, JSON.stringify(headers));
      assert.doesNotMatch(r.text, /content of/);
    }
    const head = await httpRequest(edge.port, path, { method: 'HEAD', headers: jp });
    assert.equal(head.status, 451);
    // Spelling tricks do not help (the same normalization as the rules).
    for (const spelled of [
      '/manga/%63hapter-9.jpg',
      '/x/../manga/chapter-9.jpg',
      '/manga/chapter-9.jpg?utm=1',
    ]) {
      assert.equal((await httpRequest(edge.port, spelled, { headers: jp })).status, 451, spelled);
    }
    // Germany gets the content, never the JP 451.
    const de = await httpRequest(edge.port, path, { headers: { 'x-forwarded-for': '198.51.100.2' } });
    assert.equal(de.status, 200);
    assert.equal(de.text, `content of ${path}`);
    assert.equal(origin.count(path), 1);
  });

  test('behind a trusted proxy, each request on one keep-alive connection gets its own country', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (xff: string) =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port: edge.port,
            path: '/manga/vol-2',
            headers: { host: 'example.com', 'x-forwarded-for': xff },
            agent,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: res.socket }));
          },
        );
        req.on('error', reject);
      });
    try {
      const jp = await get('198.51.100.1');
      const de = await get('198.51.100.2');
      const jp2 = await get('198.51.100.1');
      assert.deepEqual([jp.status, de.status, jp2.status], [451, 200, 451]);
      assert.equal(jp.socket, jp2.socket);
    } finally {
      agent.destroy();
    }
  });

  test('a client-supplied country header is ignored', async () => {
    const r = await httpRequest(edge.port, '/manga/x', {
      headers: { 'cf-ipcountry': 'JP', 'x-country': 'JP', 'x-client-country': 'JP' },
    });
    assert.equal(r.status, 200);
  });

  test('X-Forwarded-For is not believed from an untrusted peer', async () => {
    const e2 = await startEdge({
      origins: [origin.url],
      rules: [jpRule],
      countryOf: (ip) => COUNTRY[ip] ?? null,
    });
    try {
      const r = await httpRequest(e2.port, '/manga/y', { headers: { 'x-forwarded-for': '198.51.100.1' } });
      assert.equal(r.status, 200, 'US peer pretending to be JP via XFF is treated as US');
    } finally {
      await e2.close();
    }
  });

  test('a rule added after the URL was cached blocks it at once (rules swapped on reload)', async () => {
    const path = '/later-blocked';
    assert.equal((await httpRequest(edge.port, path)).status, 200);
    assert.match(String((await httpRequest(edge.port, path)).headers['cache-status']), /; hit/);
    const rule: BlockRule = {
      id: 9,
      match: 'exact',
      url: `http://example.com${path}`,
      countries: null,
      notice: 'https://notices.example/n/9',
    };
    const before = edge.state.rules;
    edge.state.rules = RuleSet.from([jpRule, globalRule, rule]);
    try {
      assert.equal((await httpRequest(edge.port, path)).status, 451);
      assert.equal(
        (await httpRequest(edge.port, path, { headers: { 'if-none-match': '"v1"' } })).status,
        451,
      );
    } finally {
      edge.state.rules = before;
    }
    assert.equal((await httpRequest(edge.port, path)).status, 200);
  });

  test('blocked requests are counted by country', async () => {
    const jp = await metricValue(edge.registry, 'edgeward_blocked_requests_total', { country: 'JP' });
    const us = await metricValue(edge.registry, 'edgeward_blocked_requests_total', { country: 'US' });
    assert.ok(jp >= 9, `JP blocked count ${jp}`);
    assert.ok(us >= 1, `US blocked count ${us}`);
    assert.ok((await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'blocked' })) >= jp + us);
  });
});
