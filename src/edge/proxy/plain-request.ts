/**
 * A strict reader for the one request shape a CDN sees most: `GET <origin-form> HTTP/1.1`, a Host header, no body.
 * The edge answers such requests for fresh cached objects without node:http's per-request machinery (see
 * docs/edge-proxy.md, "The cache-hit fast path"). Anything else, or anything in doubt, is not read here: the
 * caller hands the bytes, from that request's first byte, to node:http and its llhttp parser, which then owns the
 * connection. So this reader only ever has to say "this is certainly a plain GET, and it ends here"; every
 * defence against ambiguous framing stays with llhttp.
 *
 * What it accepts is a strict subset of what llhttp accepts in strict mode: no Content-Length, Transfer-Encoding
 * or other framing or upgrade header (so the request has no body and ends at its empty line, RFC 9112 6.3), CRLF
 * line ends only, no obsolete line folding, token header names with the colon right after them, printable ASCII
 * in the target and in values, each header name at most once, at most MAX_HEADERS header lines, and exactly one
 * Host. And the headers it returns are the ones node:http would give as req.headers (test/edge/proxy/
 * plain-request.test.ts checks all of this against a real node:http server).
 */

/** Lower-case header name -> value, each name once (a null-prototype object: no inherited keys). */
export type PlainHeaders = Record<string, string | undefined>;

export interface PlainRequest {
  /** The request target as sent (origin-form: starts with '/'). */
  readonly target: string;
  readonly headers: PlainHeaders;
  /** Offset just past the request's empty line: where the next pipelined request starts. */
  readonly end: number;
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const VERSION_CRLF = Buffer.from(' HTTP/1.1\r\n', 'latin1');

function table(chars: string, ranges: [number, number][] = []): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) t[c] = 1;
  return t;
}

const ALNUM: [number, number][] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];
/** RFC 9110 tchar. */
const TOKEN = table("!#$%&'*+-.^_`|~", ALNUM);
/** RFC 3986 pchar plus '/' and '?': characters some parsers treat differently ("<>\^`{|} #) are left to llhttp. */
const TARGET = table("-._~%!$&'()*+,;=:@/?", ALNUM);
/** Field value characters: visible ASCII, space and tab (obs-text is left to llhttp). */
const VALUE = table('\t', [[0x20, 0x7e]]);

/** Buffer's own latin1 decoder (what toString('latin1') calls after checking its arguments), where it exists. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (a: number, b: number) => string })
  .latin1Slice;
const latin1: (buf: Buffer, a: number, b: number) => string =
  typeof latin1Slice === 'function'
    ? (buf, a, b) => latin1Slice.call(buf, a, b)
    : (buf, a, b) => buf.toString('latin1', a, b);

/**
 * Headers that change how a request is framed or answered at the connection level: a request carrying one is
 * never read here. `connection: keep-alive` alone is allowed (it changes nothing in HTTP/1.1), and so is
 * `proxy-connection: keep-alive`.
 */
const CONNECTION_LEVEL = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  // llhttp reads Proxy-Connection exactly as Connection: `Proxy-Connection: close` ends the connection there.
  'proxy-connection',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'http2-settings',
]);

/**
 * Header names whose value node:http does not give as the string sent: set-cookie (always an array in
 * req.headers) and __proto__ (node:http's plain headers object drops it). A request carrying one is not read here.
 */
const NOT_AS_NODE = new Set(['set-cookie', '__proto__']);

/**
 * At most this many header lines. node:http keeps only the first server.maxHeadersCount (1000 by default) and
 * silently drops the rest (a Host past them is then missing); real requests carry a few dozen at most.
 */
const MAX_HEADERS = 100;

/**
 * The request header names clients commonly send, as string literals. A name read off the wire is a fresh string
 * each time; used as the key of `headers[name] = value`, a fresh string made V8 treat the store as a new IC state
 * on every request, reset the function's optimization ticks and keep this reader unoptimized for good (a client
 * sending only Host, as wrk does, cost 5 us a request instead of under 1). The literal for a known name is always
 * the same internalized string, so the store stays stable.
 */
const KNOWN_NAMES = new Map(
  [
    'host',
    'user-agent',
    'accept',
    'accept-encoding',
    'accept-language',
    'accept-charset',
    'referer',
    'origin',
    'cookie',
    'authorization',
    'cache-control',
    'pragma',
    'range',
    'if-range',
    'if-none-match',
    'if-modified-since',
    'if-match',
    'if-unmodified-since',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-real-ip',
    'x-requested-with',
    'via',
    'forwarded',
    'connection',
    'keep-alive',
    'dnt',
    'priority',
    'upgrade-insecure-requests',
    'sec-fetch-site',
    'sec-fetch-mode',
    'sec-fetch-dest',
    'sec-fetch-user',
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
  ].map((n) => [n, n]),
);

/**
 * Reads the request starting at `start` of `buf`. Returns null when it is not a plain GET (including when it is
 * not complete in `buf`, or its head is larger than maxHeadBytes): the caller then hands it to node:http.
 */
export function readPlainRequest(buf: Buffer, start: number, maxHeadBytes: number): PlainRequest | null {
  const blank = buf.indexOf(HEAD_END, start);
  if (blank === -1 || blank + 4 - start > maxHeadBytes) return null;
  // Request line: exactly "GET /target HTTP/1.1\r\n".
  if (buf[start] !== 0x47 || buf[start + 1] !== 0x45 || buf[start + 2] !== 0x54 || buf[start + 3] !== 0x20)
    return null;
  const targetStart = start + 4;
  if (buf[targetStart] !== 0x2f) return null;
  let i = targetStart + 1;
  while (TARGET[buf[i]!] === 1) i++;
  // The version's CRLF ends the request line: at the head's end (no headers) or before it.
  if (i + VERSION_CRLF.length > blank + 2) return null;
  if (buf.compare(VERSION_CRLF, 0, VERSION_CRLF.length, i, i + VERSION_CRLF.length) !== 0) return null;
  // One string for the whole head, sliced in V8: each Buffer decode is a call into C++ that costs more than the
  // copy it makes.
  const head = latin1(buf, start, blank);
  const target = head.slice(4, i - start);
  i += VERSION_CRLF.length;
  const headers: PlainHeaders = Object.create(null) as PlainHeaders;
  // Each header line ends with CRLF; the first CRLFCRLF (at `blank`) ends the last one and the head.
  const headEnd = blank + 2;
  let count = 0;
  while (i < headEnd) {
    if (++count > MAX_HEADERS) return null;
    const nameStart = i;
    while (TOKEN[buf[i]!] === 1) i++;
    if (i === nameStart || buf[i] !== 0x3a) return null;
    const read = head.slice(nameStart - start, i - start).toLowerCase();
    const name = KNOWN_NAMES.get(read) ?? read;
    if (NOT_AS_NODE.has(name)) return null;
    i++;
    while (buf[i] === 0x20 || buf[i] === 0x09) i++;
    const valueStart = i;
    while (VALUE[buf[i]!] === 1) i++;
    if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) return null;
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === 0x20 || buf[valueEnd - 1] === 0x09)) valueEnd--;
    i += 2;
    if (headers[name] !== undefined) return null;
    const value = head.slice(valueStart - start, valueEnd - start);
    if (
      CONNECTION_LEVEL.has(name) &&
      !((name === 'connection' || name === 'proxy-connection') && value.toLowerCase() === 'keep-alive')
    )
      return null;
    headers[name] = value;
  }
  if (i !== headEnd || headers.host === undefined) return null;
  return { target, headers, end: blank + 4 };
}
