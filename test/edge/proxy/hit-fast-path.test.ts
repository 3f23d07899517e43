import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RuleSet } from '../../../src/shared/rules/rule-set.js';
import { metricValue, startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { httpRequest, openRawConnection, rawExchange, statusesIn } from '../../helpers/http-client.js';

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;

/** Complete responses in a raw stream: each head, and its body by Content-Length. */
function responses(raw: string): { head: string; body: string }[] {
  const out: { head: string; body: string }[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = raw.slice(at, end);
    const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (end + 4 + len > raw.length) break;
    out.push({ head, body: raw.slice(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  return out;
}

const countOf = (n: number) => (raw: string) => responses(raw).length >= n;

/** A response head without the values that move with the clock. */
const stable = (head: string) =>
  head
    .replace(/\r\nage: \d+/, '\r\nage: N')
    .replace(/ttl=\d+/, 'ttl=N')
    .replace(/\r\ndate: [^\r]*/i, '');

describe('cache-hit fast path (raw connections against a real edge and origin)', { timeout: 30_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.setHeader('surrogate-key', 'all');
      res.end(`body of ${req.url}`);
    });
    edge = await startEdge({ origins: [origin.url] });
    for (const p of ['/a', '/b', '/c']) await httpRequest(edge.port, p);
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  test('a hit answered on the fast path is byte for byte what node:http writes for it', async () => {
    const c = await openRawConnection(edge.port);
    try {
      c.send(get('/a'));
      const fast = responses(await c.until(countOf(1)))[0]!;
      assert.equal(edge.edge.fastPathConnections(), 1, 'the connection is still on the fast path');
      // The same request with a Content-Length is left to node:http (and the connection with it).
      c.send(get('/a', 'Content-Length: 0\r\n'));
      const viaHttp = responses(await c.until(countOf(2)))[1]!;
      assert.equal(edge.edge.fastPathConnections(), 0);
      assert.match(fast.head, /\r\ncache-status: edge-test; hit; ttl=\d+/);
      assert.equal(stable(fast.head), stable(viaHttp.head));
      assert.equal(fast.body, 'body of /a');
      assert.equal(viaHttp.body, 'body of /a');
    } finally {
      c.destroy();
    }
  });

  test('pipelined hit, miss, block and hit are answered in order; the connection leaves the fast path at the miss', async () => {
    const rule = {
      id: 1,
      match: 'exact' as const,
      url: 'http://example.com/blocked',
      countries: null,
      notice: 'https://notices.example/n/1',
    };
    const rulesBefore = edge.state.rules;
    edge.state.rules = RuleSet.from([rule]);
    try {
      const r = await rawExchange(
        edge.port,
        get('/b') + get('/fresh-miss') + get('/blocked') + get('/c'),
        1500,
      );
      assert.deepEqual(statusesIn(r.raw), [200, 200, 451, 200]);
      const rs = responses(r.raw);
      assert.match(rs[0]!.head, /cache-status: edge-test; hit/);
      assert.match(rs[1]!.head, /cache-status: edge-test; fwd=uri-miss/);
      assert.match(rs[2]!.head, /Link: <https:\/\/notices\.example\/n\/1>; rel="blocked-by"/i);
      assert.match(rs[3]!.head, /cache-status: edge-test; hit/);
      assert.deepEqual(
        rs.map((x) => x.body.slice(0, 20)),
        ['body of /b', 'body of /fresh-miss', rs[2]!.body.slice(0, 20), 'body of /c'],
      );
    } finally {
      edge.state.rules = rulesBefore;
    }
  });

  test('a block rule or a purge applies to the very next request of a fast-path connection', async () => {
    const c = await openRawConnection(edge.port);
    const rulesBefore = edge.state.rules;
    try {
      c.send(get('/c'));
      await c.until(countOf(1));
      edge.state.rules = RuleSet.from([
        {
          id: 2,
          match: 'prefix',
          url: 'http://example.com/c',
          countries: ['US'],
          notice: 'https://n.example/2',
        },
      ]);
      c.send(get('/c'));
      const second = responses(await c.until(countOf(2)))[1]!;
      assert.match(second.head, /^HTTP\/1\.1 451 /);
      edge.state.rules = rulesBefore;
      const c2 = await openRawConnection(edge.port);
      try {
        c2.send(get('/b'));
        await c2.until(countOf(1));
        assert.equal(edge.edge.applyPurge({ zone: 'z1', kind: 'tag', value: 'all', soft: false }) > 0, true);
        const before = origin.count('/b');
        c2.send(get('/b'));
        const after = responses(await c2.until(countOf(2)))[1]!;
        assert.match(after.head, /cache-status: edge-test; fwd=uri-miss/);
        assert.equal(origin.count('/b'), before + 1);
      } finally {
        c2.destroy();
      }
    } finally {
      edge.state.rules = rulesBefore;
      c.destroy();
    }
  });

  test('a rule added to or removed from the rule set in place (as the control plane does) applies to the next hit', async () => {
    const c = await openRawConnection(edge.port);
    const rulesBefore = edge.state.rules;
    const rules = RuleSet.from([
      {
        id: 9,
        match: 'exact',
        url: 'http://other.example/x',
        countries: null,
        notice: 'https://n.example/9',
      },
    ]);
    edge.state.rules = rules;
    const rule = {
      id: 10,
      match: 'exact' as const,
      url: 'http://example.com/inplace',
      countries: null,
      notice: 'https://n.example/10',
    };
    try {
      await httpRequest(edge.port, '/inplace');
      // Twice: the second hit is answered with the verdict remembered from the first.
      c.send(get('/inplace'));
      await c.until(countOf(1));
      c.send(get('/inplace'));
      assert.match(responses(await c.until(countOf(2)))[1]!.head, /^HTTP\/1\.1 200 /);
      assert.equal(edge.edge.fastPathConnections(), 1);
      rules.add(rule);
      c.send(get('/inplace'));
      assert.match(responses(await c.until(countOf(3)))[2]!.head, /^HTTP\/1\.1 451 /);
      rules.remove(rule);
      const c2 = await openRawConnection(edge.port);
      try {
        c2.send(get('/inplace'));
        assert.match(responses(await c2.until(countOf(1)))[0]!.head, /^HTTP\/1\.1 200 /);
        rules.add(rule);
        c2.send(get('/inplace'));
        assert.match(responses(await c2.until(countOf(2)))[1]!.head, /^HTTP\/1\.1 451 /);
      } finally {
        c2.destroy();
      }
    } finally {
      edge.state.rules = rulesBefore;
      c.destroy();
    }
  });

  test('a request split across writes, and everything after it, is answered by node:http', async () => {
    await httpRequest(edge.port, '/a');
    const c = await openRawConnection(edge.port);
    try {
      const req = get('/a');
      c.send(req.slice(0, 10));
      await new Promise((r) => setTimeout(r, 50));
      c.send(req.slice(10));
      await c.until(countOf(1));
      assert.equal(edge.edge.fastPathConnections(), 0);
      c.send(get('/a') + get('/a'));
      const rs = responses(await c.until(countOf(3)));
      for (const r of rs) assert.match(r.head, /cache-status: edge-test; hit/);
    } finally {
      c.destroy();
    }
  });

  test('a smuggling attempt after hits on a fast-path connection is still refused with 400', async () => {
    await httpRequest(edge.port, '/a');
    const r = await rawExchange(
      edge.port,
      get('/a') +
        'POST /x HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' +
        get('/smuggled'),
    );
    assert.deepEqual(statusesIn(r.raw), [200, 400]);
    assert.ok(r.closed);
    assert.equal(origin.count('/smuggled'), 0);
  });

  test('requests the fast path does not read (HEAD, HTTP/1.0, Connection: close) get node:http answers', async () => {
    const head = await rawExchange(edge.port, 'HEAD /a HTTP/1.1\r\nHost: example.com\r\n\r\n', 500);
    assert.equal(head.status, 200);
    assert.match(head.raw, /cache-status: edge-test; hit/);
    assert.ok(!head.raw.includes('body of'));
    const old = await rawExchange(edge.port, 'GET /a HTTP/1.0\r\nHost: example.com\r\n\r\n', 2000);
    assert.equal(old.status, 200);
    assert.ok(old.closed, 'an HTTP/1.0 request without keep-alive closes the connection');
    const close = await rawExchange(edge.port, get('/a', 'Connection: close\r\n'), 2000);
    assert.match(close.raw, /\r\nConnection: close\r\n/);
    assert.ok(close.closed);
  });

  test('fast-path hits are logged and counted like every other hit', async () => {
    const hitsBefore = await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'hit' });
    const logsBefore = edge.logs.length;
    await httpRequest(edge.port, '/a?x=1');
    const c = await openRawConnection(edge.port);
    try {
      c.send(get('/a?x=1'));
      await c.until(countOf(1));
      c.send(get('/a?x=1'));
      await c.until(countOf(2));
      assert.equal(edge.edge.fastPathConnections(), 1);
    } finally {
      c.destroy();
    }
    // Access-log lines are written in batches (at most 200 ms apart).
    const hitLine = () =>
      edge.logs
        .slice(logsBefore)
        .find((l) => l.msg === 'request' && l.cache === 'hit' && l.path === '/a?x=1');
    for (let i = 0; i < 50 && hitLine() === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    const hit = hitLine();
    assert.ok(hit, 'a hit was logged');
    assert.equal(hit.method, 'GET');
    assert.equal(hit.host, 'example.com');
    assert.equal(hit.path, '/a?x=1');
    assert.equal(hit.status, 200);
    assert.equal(hit.bytes, 'body of /a?x=1'.length);
    assert.equal(hit.country, 'US');
    assert.match(String(hit.cacheStatus), /^edge-test; hit; ttl=\d+$/);
    const hitsAfter = await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'hit' });
    assert.equal(hitsAfter - hitsBefore, 2);
  });
});

describe('cache-hit fast path: a remembered verdict and what it depends on', { timeout: 30_000 }, () => {
  // Clients are told apart by X-Forwarded-For (127.0.0.1 is a trusted proxy): one connection, several countries.
  const COUNTRY: Record<string, string> = { '127.0.0.1': 'US', '198.51.100.1': 'JP', '198.51.100.2': 'DE' };
  const xff = (ip: string) => `X-Forwarded-For: ${ip}\r\n`;
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.end(`body of ${req.url}`);
    });
    edge = await startEdge({
      origins: [origin.url],
      // One cached copy for every query: requests with other queries reach the same entry and its memo.
      cache: { queryString: 'ignore' },
      countryOf: (ip) => COUNTRY[ip] ?? null,
      trustedProxies: ['127.0.0.1'],
      rules: [
        {
          id: 1,
          match: 'exact',
          url: 'http://example.com/jp',
          countries: ['JP'],
          notice: 'https://n.example/1',
        },
        {
          id: 2,
          match: 'exact',
          url: 'http://example.com/q?k=1',
          countries: null,
          notice: 'https://n.example/2',
        },
        {
          id: 3,
          match: 'exact',
          url: 'http://example.com/other',
          countries: ['JP'],
          notice: 'https://n.example/3',
        },
      ],
    });
    for (const p of ['/jp', '/q', '/free']) await httpRequest(edge.port, p);
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  /** Sends requests one by one on one fast-path connection; the status of each. */
  async function statuses(requests: string[]): Promise<number[]> {
    const c = await openRawConnection(edge.port);
    try {
      let raw = '';
      for (let i = 0; i < requests.length; i++) {
        // Every request before the last was a hit on the fast path, so the last one meets a remembered verdict.
        if (i === requests.length - 1) assert.equal(edge.edge.fastPathConnections(), 1);
        c.send(requests[i]!);
        raw = await c.until(countOf(i + 1));
      }
      return responses(raw).map((r) => Number(r.head.slice(9, 12)));
    } finally {
      c.destroy();
    }
  }

  test('a verdict for one country is not reused for another when a country-limited rule was weighed', async () => {
    assert.deepEqual(
      await statuses([
        get('/jp'),
        get('/jp'),
        get('/jp', xff('198.51.100.2')),
        get('/jp', xff('198.51.100.1')),
      ]),
      [200, 200, 200, 451],
    );
  });

  test('a verdict for one query is not reused for another when a rule with a query is on the path', async () => {
    // Without a query first (the query rules were not read), then with one that the rule does not name.
    assert.deepEqual(await statuses([get('/q'), get('/q'), get('/q?k=1')]), [200, 200, 451]);
    assert.deepEqual(await statuses([get('/q?j=2'), get('/q?j=2'), get('/q?j=2&k=1')]), [200, 200, 451]);
  });

  test('with no rule on the URL, one verdict serves every country and query; a new rule still applies at once', async () => {
    const set = edge.state.rules;
    const rule = {
      id: 4,
      match: 'exact' as const,
      url: 'http://example.com/free',
      countries: ['DE'],
      notice: 'https://n.example/4',
    };
    const c = await openRawConnection(edge.port);
    try {
      const sequence = [
        get('/free'),
        get('/free?a=1', xff('198.51.100.1')),
        get('/free?b=2', xff('198.51.100.2')),
      ];
      for (let i = 0; i < sequence.length; i++) {
        c.send(sequence[i]!);
        await c.until(countOf(i + 1));
      }
      assert.equal(edge.edge.fastPathConnections(), 1);
      set.add(rule);
      c.send(get('/free?c=3', xff('198.51.100.1')));
      await c.until(countOf(4));
      assert.equal(edge.edge.fastPathConnections(), 1);
      c.send(get('/free?c=3', xff('198.51.100.2')));
      const all = responses(await c.until(countOf(5))).map((r) => Number(r.head.slice(9, 12)));
      assert.deepEqual(all, [200, 200, 200, 200, 451]);
    } finally {
      set.remove(rule);
      c.destroy();
    }
  });
});

describe('cache-hit fast path: connection lifetime', { timeout: 30_000 }, () => {
  test('an idle fast-path connection is closed after the keep-alive timeout', async () => {
    const origin = await startOrigin((_req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.end('x');
    });
    const edge = await startEdge({ origins: [origin.url], limits: { keepAliveTimeoutMs: 300 } });
    try {
      await httpRequest(edge.port, '/k');
      const c = await openRawConnection(edge.port);
      c.send(get('/k'));
      const raw = await c.until(countOf(1));
      assert.match(raw, /\r\nKeep-Alive: timeout=0\r\n/);
      assert.equal(edge.edge.fastPathConnections(), 1);
      const t0 = Date.now();
      await c.closed;
      assert.ok(Date.now() - t0 >= 200, 'not closed before the timeout');
      for (let i = 0; i < 50 && edge.edge.fastPathConnections() > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(edge.edge.fastPathConnections(), 0);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('a graceful close ends fast-path connections between requests and resolves at once', async () => {
    const origin = await startOrigin((_req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.end('x');
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      await httpRequest(edge.port, '/g');
      const c = await openRawConnection(edge.port);
      c.send(get('/g'));
      await c.until(countOf(1));
      assert.equal(edge.edge.fastPathConnections(), 1);
      const t0 = Date.now();
      await edge.close();
      await c.closed;
      assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`);
    } finally {
      await origin.close();
    }
  });
});
