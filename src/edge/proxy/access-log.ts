import { pino, type Logger } from 'pino';

/** One access-log line: what the edge did with one request. */
export interface AccessRecord {
  method: string;
  host: string | null;
  path: string;
  status: number;
  /** Cache outcome: hit, miss, stale, revalidated, bypass, blocked, error. */
  cache: string;
  /** The Cache-Status header sent. */
  cacheStatus: string;
  /** Body bytes sent. */
  bytes: number;
  /** Time to the origin's response headers (ms); -1 when the origin was not asked. */
  originMs: number;
  country: string | null;
  /** Total time (ms). */
  ms: number;
  error?: string;
}

export interface AccessLog {
  (r: AccessRecord): void;
  /** Writes buffered lines now (shutdown, tests). */
  flush(): void;
}

/** Lines are buffered up to this size or this long, like nginx's `access_log ... buffer=64k flush=1s`. */
const MAX_PENDING = 64 * 1024;
const FLUSH_MS = 200;

/** Buffered logs still write their last lines when the process exits. */
const live = new Set<() => void>();
let exitHook = false;

/**
 * The access log writes one pino line (`msg: "request"`, level info) per request. pino's generic object
 * serialization costs several microseconds, as much as the rest of a cache hit, so for a logger with pino's default
 * line shape the line is built here (same JSON pino would write) and handed to the logger's own stream. Any other
 * logger configuration goes through logger.info unchanged.
 */
export function createAccessLog(logger: Logger): AccessLog {
  const slow: AccessLog = Object.assign((r: AccessRecord) => logger.info(r, 'request'), {
    flush: () => undefined,
  });
  const l = logger as unknown as Record<symbol, unknown>;
  const s = pino.symbols;
  const stream = l[s.streamSym] as { write(line: string): unknown } | undefined;
  const time = l[s.timeSym] as (() => string) | undefined;
  const chindings = l[s.chindingsSym];
  const formatters = l[s.formattersSym] as
    { level?: (label: string, n: number) => object; log?: unknown } | undefined;
  const defaultShape =
    stream !== undefined &&
    typeof stream.write === 'function' &&
    typeof time === 'function' &&
    typeof chindings === 'string' &&
    l[s.messageKeySym] === 'msg' &&
    l[s.mixinSym] === undefined &&
    formatters !== undefined &&
    JSON.stringify(formatters.level?.('info', 30)) === '{"level":30}' &&
    l[s.hooksSym] !== undefined &&
    (l[s.hooksSym] as { logMethod?: unknown }).logMethod === undefined &&
    logger.levels.values.info === 30;
  if (!defaultShape) return slow;
  // Lines are encoded into one buffer and written in batches: with a synchronous destination (pino's default) one
  // write per request costs more than the response itself, and appending lines to one growing string left V8
  // thousands of pieces to flatten at every write.
  const buf = Buffer.allocUnsafeSlow(MAX_PENDING);
  // The logger's bindings (node name...) are written as they are: they may hold non-ASCII characters too.
  const chindingsAscii = /^[\x20-\x7e]*$/.test(chindings);
  let used = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (used === 0) return;
    const text = buf.toString('utf8', 0, used);
    used = 0;
    stream.write(text);
  };
  live.add(flush);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const f of live) f();
    });
  }
  const log = (r: AccessRecord): void => {
    if (!logger.isLevelEnabled('info')) return;
    escaped = false;
    const line =
      `{"level":30${time()}${chindings},"method":${str(r.method)},"host":${r.host === null ? 'null' : str(r.host)}` +
      `,"path":${str(r.path)},"status":${r.status},"cache":${str(r.cache)},"cacheStatus":${str(r.cacheStatus)}` +
      `,"bytes":${r.bytes},"originMs":${r.originMs},"country":${r.country === null ? 'null' : str(r.country)}` +
      `,"ms":${r.ms}${r.error === undefined ? '' : `,"error":${str(r.error)}`},"msg":"request"}\n`;
    // Every field that str() did not escape is printable ASCII, one byte a character.
    const ascii = !escaped && chindingsAscii;
    if (used + (ascii ? line.length : 3 * line.length) > MAX_PENDING) {
      flush();
      if ((ascii ? line.length : 3 * line.length) > MAX_PENDING) {
        stream.write(line);
        return;
      }
    }
    used += buf.write(line, used, ascii ? 'latin1' : 'utf8');
    if (timer === null) {
      timer = setTimeout(flush, FLUSH_MS);
      timer.unref();
    }
  };
  return Object.assign(log, { flush });
}

/** Set by str() when a string needed JSON.stringify (it may then hold non-ASCII characters). */
let escaped = false;

/** A JSON string literal; the common case (nothing to escape) without JSON.stringify's allocation. */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c > 126) {
      escaped = true;
      return JSON.stringify(s);
    }
  }
  return `"${s}"`;
}
