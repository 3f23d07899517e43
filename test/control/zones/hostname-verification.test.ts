import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import {
  DNS_CHALLENGE_LABEL,
  verifyHostnameOwnership,
  WELL_KNOWN_PREFIX,
} from '../../../src/control/zones/hostname-verification.js';
import { parseAllowList } from '../../../src/control/zones/allow-list.js';

describe('hostname ownership over HTTP (real local server)', () => {
  let server: Server;
  let port = 0;
  const seen: { host: string | undefined; url: string | undefined }[] = [];
  const served = new Map<string, string>();

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url });
      const token = req.url?.startsWith(WELL_KNOWN_PREFIX)
        ? decodeURIComponent(req.url.slice(WELL_KNOWN_PREFIX.length))
        : '';
      const body = served.get(`${req.headers.host?.split(':')[0]}|${token}`);
      if (body === undefined) {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const opts = (allow: string[]) => ({
    allowList: parseAllowList(allow, 'originAllowList'),
    resolve: async (h: string) =>
      h.endsWith('.test') ? ['127.0.0.1'] : Promise.reject(new Error(`ENOTFOUND ${h}`)),
    httpPort: port,
    dnsEnabled: false,
    timeoutMs: 2000,
  });

  test('the token served at the well-known path proves ownership; Host carries the hostname', async () => {
    served.set('shop.test|tok-123', 'tok-123\n');
    const r = await verifyHostnameOwnership('shop.test', 'tok-123', opts(['127.0.0.1']));
    assert.deepEqual(r, { verified: true, method: 'http' });
    assert.deepEqual(seen.at(-1), { host: `shop.test:${port}`, url: `${WELL_KNOWN_PREFIX}tok-123` });
  });

  test('a wrong body or a 404 does not', async () => {
    served.set('other.test|tok-9', 'something else');
    const wrong = await verifyHostnameOwnership('other.test', 'tok-9', opts(['127.0.0.1']));
    assert.equal(wrong.verified, false);
    const missing = await verifyHostnameOwnership('other.test', 'tok-absent', opts(['127.0.0.1']));
    assert.equal(missing.verified, false);
    assert.match(missing.verified ? '' : missing.attempts[0]!.problem, /404/);
  });

  test('without the allow-list the loopback address is refused before any request is made', async () => {
    served.set('shop.test|tok-123', 'tok-123');
    const before = seen.length;
    const r = await verifyHostnameOwnership('shop.test', 'tok-123', opts([]));
    assert.equal(r.verified, false);
    assert.match(r.verified ? '' : r.attempts[0]!.problem, /loopback/);
    assert.equal(seen.length, before);
  });
});

/**
 * A real DNS server on a UDP socket, answering TXT queries from a table (RFC 1035 wire format) and NXDOMAIN
 * otherwise: the control plane's resolver talks to it as to any name server.
 */
async function startTxtServer(records: Map<string, string>): Promise<{ address: string; close(): void }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    // The question starts at byte 12: labels up to a zero byte, then type and class.
    const labels: string[] = [];
    let i = 12;
    while (query[i]! > 0) {
      labels.push(query.toString('latin1', i + 1, i + 1 + query[i]!));
      i += 1 + query[i]!;
    }
    const questionEnd = i + 5;
    const name = labels.join('.').toLowerCase();
    const txt = query.readUInt16BE(i + 1) === 16 ? records.get(name) : undefined;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(txt === undefined ? 0x8183 : 0x8180, 2); // response, RD+RA, NXDOMAIN or no error
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(txt === undefined ? 0 : 1, 6); // answers
    const parts = [header, query.subarray(12, questionEnd)];
    if (txt !== undefined) {
      const text = Buffer.from(txt);
      const answer = Buffer.alloc(12);
      answer.writeUInt16BE(0xc00c, 0); // the question's name
      answer.writeUInt16BE(16, 2); // TXT
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(text.length + 1, 10);
      parts.push(answer, Buffer.from([text.length]), text);
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}

describe('hostname ownership over DNS (real UDP name server)', () => {
  const records = new Map<string, string>();
  let dns: Awaited<ReturnType<typeof startTxtServer>>;
  before(async () => {
    dns = await startTxtServer(records);
  });
  after(() => dns.close());

  // No HTTP proof is possible (the name does not resolve), so the TXT record decides.
  const opts = () => ({
    allowList: parseAllowList([], 'originAllowList'),
    resolve: async (h: string) => Promise.reject(new Error(`ENOTFOUND ${h}`)),
    httpPort: 80,
    dnsEnabled: true,
    dnsServers: [dns.address],
    timeoutMs: 2000,
  });

  test('a TXT record _edgeward-challenge.<hostname> equal to the token proves ownership', async () => {
    records.set(`${DNS_CHALLENGE_LABEL}.shop.example`, 'tok-dns-1');
    const r = await verifyHostnameOwnership('shop.example', 'tok-dns-1', opts());
    assert.deepEqual(r, { verified: true, method: 'dns' });
  });

  test('another value, or no record, does not; each failed method says what it saw', async () => {
    records.set(`${DNS_CHALLENGE_LABEL}.other.example`, 'someone-else');
    const wrong = await verifyHostnameOwnership('other.example', 'tok-dns-2', opts());
    assert.equal(wrong.verified, false);
    assert.deepEqual(wrong.verified ? [] : wrong.attempts.map((a) => a.method), ['http', 'dns']);
    assert.match(wrong.verified ? '' : wrong.attempts[1]!.problem, /no TXT record/);
    const none = await verifyHostnameOwnership('absent.example', 'tok-dns-3', opts());
    assert.equal(none.verified, false);
    assert.match(none.verified ? '' : none.attempts[1]!.problem, /ENOTFOUND|queryTxt/);
  });
});
