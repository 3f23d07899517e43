/**
 * An incremental parser for `text/event-stream` (the WHATWG "server-sent events" format): feed it chunks as they
 * arrive, get whole events back. Small enough to own rather than depend on an EventSource polyfill, and it lets
 * the edge use undici's streaming body directly (with its own auth header and reconnection policy).
 */
export interface SseEvent {
  /** The `id:` field, or undefined when the event carried none. */
  readonly id: string | undefined;
  /** The `event:` field; 'message' by default. */
  readonly event: string;
  /** The `data:` lines joined with '\n'. */
  readonly data: string;
}

/** A stream larger than this without a line break is not an event stream we talk to. */
const MAX_PENDING_CHARS = 16 * 1024 * 1024;

export class SseParser {
  private pending = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  private sawField = false;
  private readonly decoder = new TextDecoder('utf-8');

  /** Feeds one chunk (bytes or text); returns the events it completed, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = this.nextLineBreak(start);
      if (nl < 0) break;
      const line = this.pending.slice(start, nl);
      // CRLF counts as one line break.
      start = this.pending.charCodeAt(nl) === 13 && this.pending.charCodeAt(nl + 1) === 10 ? nl + 2 : nl + 1;
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > MAX_PENDING_CHARS) throw new Error('event stream line exceeds 16 MiB');
    return out;
  }

  private nextLineBreak(from: number): number {
    const n = this.pending.indexOf('\n', from);
    const r = this.pending.indexOf('\r', from);
    if (r < 0) return n;
    // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
    if (r === this.pending.length - 1 && (n < 0 || n > r)) return -1;
    return n < 0 ? r : Math.min(n, r);
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null; // comment (heartbeat)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.sawField = true;
        break;
      case 'event':
        this.event = value;
        this.sawField = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        this.sawField = true;
        break;
      default:
        // 'retry' and unknown fields: the client has its own reconnection policy.
        break;
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const had = this.sawField && this.data.length > 0;
    const ev: SseEvent = { id: this.id, event: this.event || 'message', data: this.data.join('\n') };
    this.event = '';
    this.data = [];
    this.sawField = false;
    return had ? ev : null;
  }
}
