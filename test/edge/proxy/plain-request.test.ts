import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { readPlainRequest, type PlainRequest } from '../../../src/edge/proxy/plain-request.js';

// readPlainRequest must accept only what node:http (llhttp, strict mode) parses identically: same method, URL,
// headers and request boundary. The unit tests pin down what it reads and refuses; the property tests check every
// accepted input against a real node:http server.

const MAX = 1024;
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const read = (s: string | Buffer, start = 0, max = MAX): PlainRequest | null =>
  readPlainRequest(typeof s === 'string' ? bytes(s) : s, start, max);
/** The headers as a plain object (they are a null-prototype object), for deepEqual. */
const plain = (r: PlainRequest | null): Record<string, string | undefined> => ({ ...r?.headers });

const GET = 'GET /a HTTP/1.1\r\nHost: example.com\r\n';
/** A plain GET with `extra` header lines after Host. */
const withHeaders = (extra: string): string => `${GET}${extra}\r\n`;

describe('readPlainRequest: what it reads', () => {
  test('a plain request: target, headers and end', () => {
    const s = 'GET /path/to?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n';
    const r = read(s);
    assert.ok(r);
    assert.equal(r.target, '/path/to?q=1&r=%20');
    assert.deepEqual(plain(r), { host: 'example.com', accept: '*/*' });
    assert.equal(r.end, s.length);
  });

  test('pipelined requests are read one after another from end', () => {
    const one = 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n';
    const two = 'GET /2 HTTP/1.1\r\nHost: b\r\nX-Two: 2\r\n\r\n';
    const three = 'GET /3 HTTP/1.1\r\nhost: c\r\n\r\n';
    const buf = bytes(one + two + three);
    const r1 = read(buf);
    assert.ok(r1);
    assert.equal(r1.target, '/1');
    assert.equal(r1.end, one.length);
    const r2 = read(buf, r1.end);
    assert.ok(r2);
    assert.equal(r2.target, '/2');
    assert.deepEqual(plain(r2), { host: 'b', 'x-two': '2' });
    assert.equal(r2.end, one.length + two.length);
    const r3 = read(buf, r2.end);
    assert.ok(r3);
    assert.equal(r3.target, '/3');
    assert.equal(r3.end, buf.length);
    assert.equal(read(buf, r3.end), null);
  });

  test('a request followed by the start of another ends at its own empty line', () => {
    const r = read(`${GET}\r\nGET /next HTTP/1.1\r\nHo`);
    assert.ok(r);
    assert.equal(r.end, GET.length + 2);
  });

  test('header names are lower-cased; values are trimmed of spaces and tabs at both ends', () => {
    const r = read(withHeaders('X-UPPER:  \t v a\tl \t \r\nx-tab:\tt\r\nNo-Space:x\r\n'));
    assert.deepEqual(plain(r), { host: 'example.com', 'x-upper': 'v a\tl', 'x-tab': 't', 'no-space': 'x' });
  });

  test('empty values are allowed, Host included', () => {
    assert.deepEqual(plain(read(withHeaders('X-Empty:\r\nX-Blank: \t \r\n'))), {
      host: 'example.com',
      'x-empty': '',
      'x-blank': '',
    });
    assert.deepEqual(plain(read('GET / HTTP/1.1\r\nHost:\r\n\r\n')), { host: '' });
  });

  test('Host may come anywhere and in any case', () => {
    assert.deepEqual(plain(read('GET / HTTP/1.1\r\nAccept: x\r\nHOST: h\r\n\r\n')), {
      accept: 'x',
      host: 'h',
    });
  });

  test('Connection: keep-alive, in any case, is accepted', () => {
    for (const v of ['keep-alive', 'Keep-Alive', 'KEEP-ALIVE', ' keep-alive\t']) {
      const r = read(withHeaders(`Connection: ${v}\r\n`));
      assert.ok(r, v);
      assert.equal(r.headers.connection, v.trim());
    }
    assert.ok(read(withHeaders('Proxy-Connection: keep-alive\r\n')));
  });

  test('target characters: pchar, "/", "?" and percent signs as sent', () => {
    const target = "/a-._~%2F!$&'()*+,;=:@/b?c=d/e?f";
    assert.equal(read(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)?.target, target);
    assert.equal(read('GET //double HTTP/1.1\r\nHost: x\r\n\r\n')?.target, '//double');
  });

  test('reading starts at start, not at the buffer start', () => {
    const junk = 'garbage\r\n\r\n';
    const s = junk + withHeaders('');
    assert.equal(read(s), null);
    const r = read(s, junk.length);
    assert.ok(r);
    assert.equal(r.end, s.length);
  });

  test('a head of exactly maxHeadBytes is read; one byte more is not', () => {
    const s = withHeaders('');
    assert.ok(read(s, 0, s.length));
    assert.equal(read(s, 0, s.length - 1), null);
    // The limit counts from start.
    const pre = 'xyz';
    assert.ok(read(pre + s, pre.length, s.length));
  });

  test('headers is a null-prototype object; __proto__ and friends cannot reach Object.prototype', () => {
    const r = read(withHeaders('Constructor: c\r\nToString: t\r\nHasOwnProperty: h\r\n'));
    assert.ok(r);
    assert.equal(Object.getPrototypeOf(r.headers), null);
    assert.equal(r.headers.constructor, 'c');
    assert.equal(r.headers.tostring, 't');
    assert.equal(r.headers.hasownproperty, 'h');
    assert.equal(read(withHeaders(''))?.headers.constructor, undefined);
    // node:http drops a __proto__ header (its headers object is a plain one), so it is refused here; in any case
    // it must not change the prototype of anything.
    assert.equal(read(withHeaders('__proto__: x\r\n')), null);
    assert.equal(read(withHeaders('__PROTO__: {}\r\n')), null);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('readPlainRequest: what it refuses (null)', () => {
  const refuses = (what: string, s: string | Buffer, max = MAX): void => {
    assert.equal(read(s, 0, max), null, what);
  };

  test('incomplete heads', () => {
    const full = withHeaders('');
    for (let n = 0; n < full.length; n++) refuses(`first ${n} bytes`, full.slice(0, n));
  });

  test('a head over maxHeadBytes', () => {
    refuses('over', withHeaders(`X: ${'v'.repeat(2000)}\r\n`));
    refuses('max 0', withHeaders(''), 0);
  });

  test('other methods and versions', () => {
    for (const line of [
      'HEAD / HTTP/1.1',
      'POST / HTTP/1.1',
      'get / HTTP/1.1',
      'Get / HTTP/1.1',
      'GETT / HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET / HTTP/1.0',
      'GET / HTTP/2.0',
      'GET / http/1.1',
      'GET / HTTP/1.1 ',
      'GET /  HTTP/1.1',
      'GET / HTTP/1.10',
      'GET /',
      ' GET / HTTP/1.1',
    ])
      refuses(line, `${line}\r\nHost: a\r\n\r\n`);
    refuses('leading empty line', `\r\n${withHeaders('')}`);
  });

  test('targets other than printable origin-form', () => {
    for (const target of [
      'http://a/',
      'http://a',
      '*',
      'a',
      '',
      '/a b',
      '/a#f',
      '/a"',
      '/{x}',
      '/a<',
      '/a\\b',
      '/a^',
      '/a`',
      '/a|',
      '/\x80',
      '/\xff',
      '/\x00',
      '/\x7f',
      '/a\tb',
    ])
      refuses(JSON.stringify(target), `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
    // Non-ASCII as UTF-8 bytes too.
    refuses(
      'utf-8',
      Buffer.concat([bytes('GET /'), Buffer.from('é', 'utf8'), bytes(' HTTP/1.1\r\nHost: a\r\n\r\n')]),
    );
  });

  test('line ends other than CRLF', () => {
    refuses('bare LF everywhere', 'GET / HTTP/1.1\nHost: a\n\n');
    refuses('bare LF after the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n');
    refuses('bare LF after a header', `${GET}X: y\n\r\n`);
    refuses('bare LF ending the head', `${GET}X: y\r\n\n\r\n\r\n`);
    refuses('CR without LF in a value', withHeaders('X: a\rb\r\n'));
    refuses('CR without LF after the request line', 'GET / HTTP/1.1\rHost: a\r\n\r\n');
    refuses('CR CR LF', withHeaders('X: a\r\r\n'));
  });

  test('obsolete line folding', () => {
    refuses('space', withHeaders('X: a\r\n b\r\n'));
    refuses('tab', withHeaders('X: a\r\n\tb\r\n'));
    refuses('folded first header', 'GET / HTTP/1.1\r\n Host: a\r\n\r\n');
  });

  test('malformed header names', () => {
    refuses('space before the colon', withHeaders('X : y\r\n'));
    refuses('tab before the colon', withHeaders('X\t: y\r\n'));
    refuses('empty name', withHeaders(': y\r\n'));
    refuses('no colon', withHeaders('X y\r\n'));
    refuses('no colon, no value', withHeaders('X\r\n'));
    for (const c of [
      '"',
      '(',
      ')',
      ',',
      '/',
      ';',
      '<',
      '=',
      '>',
      '?',
      '@',
      '[',
      '\\',
      ']',
      '{',
      '}',
      '\x80',
      '\x00',
    ])
      refuses(`name with ${JSON.stringify(c)}`, withHeaders(`X${c}Y: z\r\n`));
  });

  test('a header name twice, in any case', () => {
    refuses('same case', withHeaders('X: 1\r\nX: 2\r\n'));
    refuses('other case', withHeaders('x-a: 1\r\nX-A: 1\r\n'));
    refuses('empty then set', withHeaders('X:\r\nx: 2\r\n'));
    refuses('two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n');
  });

  test('missing Host', () => {
    refuses('no headers', 'GET / HTTP/1.1\r\n\r\n');
    refuses('other headers', 'GET / HTTP/1.1\r\nAccept: x\r\nHost-Name: a\r\n\r\n');
  });

  test('framing, upgrade and connection headers', () => {
    for (const line of [
      'Content-Length: 0',
      'content-length: 5',
      'Content-Length:',
      'Transfer-Encoding: chunked',
      'Transfer-Encoding: identity',
      'Upgrade: websocket',
      'Expect: 100-continue',
      'TE: trailers',
      'Trailer: X',
      'HTTP2-Settings: AAA',
      'Connection: close',
      'Connection: Upgrade',
      'Connection: keep-alive, close',
      'Connection: keep-alive, Upgrade',
      'Connection: keepalive',
      'Connection:',
      'Proxy-Connection: close',
      'Proxy-Connection: upgrade',
    ])
      refuses(line, withHeaders(`${line}\r\n`));
  });

  test('headers node:http does not give as the string sent', () => {
    refuses('set-cookie (an array in req.headers)', withHeaders('Set-Cookie: a=b\r\n'));
    refuses('__proto__ (dropped by node:http)', withHeaders('__proto__: x\r\n'));
  });

  test('values with control characters or bytes >= 0x80', () => {
    for (let c = 0; c < 0x20; c++) {
      if (c === 0x09) continue;
      refuses(`control 0x${c.toString(16)}`, withHeaders(`X: a${String.fromCharCode(c)}b\r\n`));
    }
    for (const c of [0x7f, 0x80, 0xa0, 0xff])
      refuses(`byte 0x${c.toString(16)}`, withHeaders(`X: a${String.fromCharCode(c)}b\r\n`));
    refuses('in Host', 'GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n');
  });

  test('more header lines than node:http keeps (it drops those past maxHeadersCount)', () => {
    let lines = '';
    for (let i = 0; i < 1001; i++) lines += `h${i}:\r\n`;
    refuses('Host after 1001 headers', `GET / HTTP/1.1\r\n${lines}Host: a\r\n\r\n`, 64 * 1024);
    refuses('Host before 1001 headers', `GET / HTTP/1.1\r\nHost: a\r\n${lines}\r\n`, 64 * 1024);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Against node:http itself.

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
}
interface ConnectionRecord {
  readonly requests: Seen[];
  /** Parse errors node:http reported, with how many requests it had seen on the connection before. */
  readonly errors: { code: string | undefined; after: number }[];
}
interface Exchange extends ConnectionRecord {
  /** What node:http answered, as latin1. */
  readonly response: string;
}

/** A strict node:http server (the edge's settings) that records what it parsed, per client port. */
class NodeOracle {
  private server!: http.Server;
  private port = 0;
  private readonly records = new Map<number, ConnectionRecord>();

  private record(port: number | undefined): ConnectionRecord {
    const key = port ?? -1;
    let r = this.records.get(key);
    if (!r) this.records.set(key, (r = { requests: [], errors: [] }));
    return r;
  }

  async start(): Promise<void> {
    this.server = http.createServer({ insecureHTTPParser: false, maxHeaderSize: MAX }, (req, res) => {
      this.record(req.socket.remotePort).requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
      });
      res.end('ok');
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      const r = this.record(socket.remotePort);
      r.errors.push({ code: err.code, after: r.requests.length });
      // As node:http's default handler: an error answer only when nothing was written on the connection yet
      // (otherwise it would land among the answers to the requests before).
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431' : '400';
      if (socket.writable && socket.bytesWritten === 0)
        socket.end(`HTTP/1.1 ${status} Bad Request\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sends the bytes on a new connection, half-closes it, and returns what node:http parsed and answered. */
  exchange(data: Buffer): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let localPort: number | undefined;
      const socket = net.connect(this.port, '127.0.0.1', () => {
        localPort = socket.localPort;
        socket.end(data);
      });
      socket.on('data', (c: Buffer) => chunks.push(c));
      // A reset after node:http's error answer is fine: what it parsed is recorded by then.
      socket.on('error', () => {});
      socket.setTimeout(5000, () => {
        socket.destroy();
        reject(new Error('node:http did not close the connection'));
      });
      socket.on('close', () => {
        if (localPort === undefined) return reject(new Error('could not connect'));
        const r = this.record(localPort);
        this.records.delete(localPort);
        resolve({ ...r, response: Buffer.concat(chunks).toString('latin1') });
      });
    });
  }
}

/** The requests readPlainRequest reads from the start of `data`, one after another. */
function readAll(data: Buffer): PlainRequest[] {
  const out: PlainRequest[] = [];
  let at = 0;
  for (let r = readPlainRequest(data, at, MAX); r !== null; r = readPlainRequest(data, at, MAX)) {
    out.push(r);
    at = r.end;
  }
  return out;
}

const statuses = (response: string): string[] =>
  [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!);

/**
 * Every request readPlainRequest reads from `data` (following `end`) is one node:http parsed identically, in the
 * same order, and answered normally; if they cover all of `data`, node:http saw nothing else and no error.
 * Returns how many requests were read.
 */
async function assertNodeAgrees(oracle: NodeOracle, data: Buffer): Promise<number> {
  const ours = readAll(data);
  if (ours.length === 0) return 0;
  const node = await oracle.exchange(data);
  const why = `input ${JSON.stringify(data.toString('latin1'))}, node saw ${JSON.stringify(node)}`;
  assert.ok(node.requests.length >= ours.length, `node:http parsed fewer requests: ${why}`);
  for (const [i, r] of ours.entries()) {
    const seen = node.requests[i]!;
    assert.equal(seen.method, 'GET', why);
    assert.equal(seen.url, r.target, why);
    assert.deepEqual({ ...seen.headers }, plain(r), why);
  }
  // No parse error (a 400) before node:http was past the requests read here. (An error in what follows them
  // may cut their answers short, so answers are only compared when there is none.)
  for (const e of node.errors)
    assert.ok(e.after >= ours.length, `node:http rejected an accepted request: ${why}`);
  if (node.errors.length === 0)
    assert.deepEqual(statuses(node.response).slice(0, ours.length), Array(ours.length).fill('200'), why);
  if (ours.at(-1)!.end === data.length) {
    assert.equal(node.requests.length, ours.length, why);
    assert.deepEqual(node.errors, [], why);
    assert.deepEqual(statuses(node.response), Array(ours.length).fill('200'), why);
  }
  return ours.length;
}

// Request heads built from valid parts, some deliberately invalid parts, and random mutations.

const TCHAR = [..."!#$%&'*+-.^_`|~", ...'abcxyzABCXYZ019'];
const PCHAR = [..."-._~%!$&'()*+,;=:@/?", ...'abzAZ09'];
const VCHAR = [...' \t!"#$%&\'(),-./09:;<=>?@AZ[\\]^_`az{|}~'];
/** Bytes that matter to HTTP framing, and some that should never get through. */
const NOISE = [
  ...'\r\n \t:/%#",;=?{}\\',
  '\x00',
  '\x01',
  '\x0b',
  '\x7f',
  '\x80',
  '\xa0',
  '\xff',
  ...'GETHOSTgethost-_0',
];

const noise = fc.string({ unit: fc.constantFrom(...NOISE), minLength: 1, maxLength: 4 });

const headerName = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'Accept',
      'User-Agent',
      'accept-encoding',
      'X-Forwarded-For',
      'Cookie',
      'If-None-Match',
      'Range',
      'Cache-Control',
      'Keep-Alive',
      'Constructor',
      'toString',
      'Content-Type',
      'Host-Name',
      'Via',
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'Connection',
      'CONNECTION',
      'Proxy-Connection',
      'Content-Length',
      'Transfer-Encoding',
      'Upgrade',
      'Expect',
      'TE',
      'Trailer',
      'HTTP2-Settings',
      'Set-Cookie',
      '__proto__',
      'Host',
      'X Y',
      '',
    ),
  },
);
const headerValue = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '',
      'keep-alive',
      'Keep-Alive',
      'close',
      'upgrade',
      'keep-alive, close',
      '0',
      'chunked',
      '100-continue',
      'example.com',
      'a, b',
      '"x"',
      'text/html;q=0.9',
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...VCHAR), maxLength: 20 }) },
  // Near and over the head size limit.
  { weight: 1, arbitrary: fc.integer({ min: MAX - 120, max: MAX }).map((n) => 'v'.repeat(n)) },
);
const ows = fc.constantFrom('', '', ' ', '  ', '\t', ' \t ');
const headerLine = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(headerName, ows, headerValue, ows)
      .map(([name, before, value, after]) => `${name}:${before}${value}${after}\r\n`),
  },
  // Lines that change framing or what node:http makes of the request, whole.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'Connection: close',
        'Connection: keep-alive',
        'Connection: Upgrade',
        'Proxy-Connection: close',
        'Proxy-Connection: keep-alive',
        'Content-Length: 0',
        'Transfer-Encoding: chunked',
        'Upgrade: websocket',
        'Expect: 100-continue',
        'Set-Cookie: a=b',
        '__proto__: x',
        'Cookie: a=b',
      )
      .map((line) => `${line}\r\n`),
  },
);

const requestHead = fc
  .record({
    method: fc.oneof(
      { weight: 15, arbitrary: fc.constant('GET') },
      { weight: 1, arbitrary: fc.constantFrom('HEAD', 'POST', 'get', 'OPTIONS', 'GET ') },
    ),
    target: fc.oneof(
      {
        weight: 12,
        arbitrary: fc.string({ unit: fc.constantFrom(...PCHAR), maxLength: 20 }).map((p) => '/' + p),
      },
      { weight: 1, arbitrary: fc.constantFrom('*', 'http://a/b', '/a b', '/a#b', '/"', '/{}', '/\x80', '') },
    ),
    version: fc.oneof(
      { weight: 20, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ') },
    ),
    host: fc.oneof(
      { weight: 20, arbitrary: fc.tuple(fc.constantFrom('Host', 'host', 'HOST'), ows, headerValue, ows) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    hostAt: fc.nat(),
    others: fc.array(headerLine, { maxLength: 4 }),
  })
  .map(({ method, target, version, host, hostAt, others }) => {
    const lines = [...others];
    if (host) lines.splice(hostAt % (lines.length + 1), 0, `${host[0]}:${host[1]}${host[2]}${host[3]}\r\n`);
    return `${method} ${target} ${version}\r\n${lines.join('')}\r\n`;
  });

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'replace', 'delete'),
  text: noise,
});
const mutations = fc.oneof(
  { weight: 3, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
);
const mutatedHead = fc.tuple(requestHead, mutations).map(([head, ms]) => {
  let s = head;
  for (const m of ms) {
    const at = m.at % (s.length + 1);
    if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'replace') s = s.slice(0, at) + m.text + s.slice(at + m.text.length);
    else s = s.slice(0, at) + s.slice(at + m.text.length);
  }
  return s;
});
/** What follows the first request on the connection: nothing, more requests, or junk. */
const tail = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: mutatedHead },
  { weight: 2, arbitrary: fc.tuple(mutatedHead, mutatedHead).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: mutatedHead.map((h) => '\r\n' + h) },
  { weight: 1, arbitrary: noise },
  { weight: 1, arbitrary: requestHead.map((h) => h.slice(0, h.length >> 1)) },
);
const connectionBytes = fc.tuple(mutatedHead, tail).map(([first, rest]) => bytes(first + rest));

describe('readPlainRequest against node:http (strict llhttp)', { timeout: 60_000 }, () => {
  const oracle = new NodeOracle();
  before(() => oracle.start());
  after(() => oracle.stop());

  test('edge cases it accepts are parsed identically by node:http', async () => {
    let many = '';
    for (let i = 0; i < 99; i++) many += `h${i}: ${i}\r\n`;
    const exact = withHeaders(`X: ${'v'.repeat(MAX - withHeaders('X: \r\n').length)}\r\n`);
    assert.equal(exact.length, MAX);
    const cases = [
      withHeaders(''),
      'GET / HTTP/1.1\r\nHost:\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: \t \r\n\r\n',
      withHeaders('X-UPPER:  \t v a\tl \t \r\nX-Empty:\r\n'),
      withHeaders('Connection: Keep-Alive\r\n') + withHeaders('connection: keep-alive\r\n') + withHeaders(''),
      withHeaders('Proxy-Connection: keep-alive\r\n') + withHeaders(''),
      withHeaders('Keep-Alive: timeout=5\r\nConstructor: c\r\nToString: t\r\n') + withHeaders(''),
      "GET /a-._~%2F!$&'()*+,;=:@/b?c=d/e?f%zz HTTP/1.1\r\nHost: x\r\n\r\n",
      `GET / HTTP/1.1\r\n${many}Host: last\r\n\r\n`,
      exact,
      exact + exact,
      withHeaders('') + '\r\n' + withHeaders(''),
    ];
    for (const c of cases) {
      assert.ok((await assertNodeAgrees(oracle, bytes(c))) > 0, JSON.stringify(c));
    }
  });

  test('property: whatever readPlainRequest accepts, node:http parses identically and does not reject', async () => {
    const numRuns = 300;
    let accepted = 0;
    let pipelined = 0;
    await fc.assert(
      fc.asyncProperty(connectionBytes, async (data) => {
        const n = await assertNodeAgrees(oracle, data);
        if (n > 0) accepted++;
        if (n > 1) pipelined++;
      }),
      { numRuns, includeErrorInReport: true },
    );
    // Not vacuous: a fair share of the inputs is accepted, some of them with pipelined requests.
    assert.ok(accepted > numRuns * 0.2, `only ${accepted} of ${numRuns} inputs accepted`);
    assert.ok(pipelined > numRuns * 0.03, `only ${pipelined} of ${numRuns} inputs had pipelined requests`);
  });
});

describe('readPlainRequest on arbitrary bytes', () => {
  test('property: never throws; an accepted request lies within [start, buffer end] and depends only on it', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc
        .tuple(fc.uint8Array({ maxLength: 12 }), connectionBytes)
        .map(([pre, rest]) => Buffer.concat([Buffer.from(pre), rest])),
    );
    const input = data.chain((buf) =>
      fc.tuple(
        fc.constant(buf),
        fc.oneof(
          fc.integer({ min: -3, max: buf.length + 3 }),
          // Where a request starts, when one does.
          fc.constant(Math.max(0, buf.indexOf('GET ', 0, 'latin1'))),
        ),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(MAX)),
      ),
    );
    let accepted = 0;
    fc.assert(
      fc.property(input, ([buf, start, max]) => {
        const r = readPlainRequest(buf, start, max);
        if (r === null) return;
        accepted++;
        assert.ok(start >= 0, `accepted at start ${start}`);
        assert.ok(r.end > start && r.end <= buf.length, `end ${r.end}, start ${start}, length ${buf.length}`);
        assert.ok(r.end - start <= max);
        assert.ok(r.target.startsWith('/'));
        assert.equal(Object.getPrototypeOf(r.headers), null);
        // The same request read from a copy holding only its own bytes, at offset 0.
        const alone = readPlainRequest(Buffer.from(buf.subarray(start, r.end)), 0, max);
        assert.ok(alone);
        assert.equal(alone.target, r.target);
        assert.equal(alone.end, r.end - start);
        assert.deepEqual(plain(alone), plain(r));
      }),
      { numRuns: 3000, includeErrorInReport: true },
    );
    assert.ok(accepted > 100, `only ${accepted} accepted`);
  });
});
