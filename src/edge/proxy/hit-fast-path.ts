import type http from 'node:http';
import type { Socket } from 'node:net';
import { readPlainRequest, type PlainHeaders } from './plain-request.js';

/**
 * The cache-hit fast path (docs/edge-proxy.md). Every connection the HTTP server accepts starts here: as long as
 * its requests are plain GETs (plain-request.ts) that `serve` answers from a fresh cached copy, they are answered by
 * writing one prepared buffer to the socket. At the first request that is anything else (a miss, a block, a
 * conditional, a body, an incomplete or malformed request...) the connection is handed, from that request's first
 * byte, to node:http, which owns it from then on. node:http's per-request work (request and response objects,
 * header validation and serialization, stream bookkeeping) costs about as much CPU as a whole cache hit.
 */
export interface HitFastPathOptions {
  /** Requests whose head is larger go to node:http (which answers 431 when it is over its own limit). */
  readonly maxHeaderBytes: number;
  /** A new connection that sends no request for this long is closed (node:http's headersTimeout). */
  readonly headersTimeoutMs: number;
  /** An idle connection after a response is closed after this long (node:http's keepAliveTimeout). */
  readonly keepAliveTimeoutMs: number;
  /** While true (a graceful shutdown), every request goes to node:http, which answers with Connection: close. */
  readonly closing: () => boolean;
  /**
   * Answers the request on the socket and returns true, or returns false having written nothing. The response
   * must keep the connection open (Connection: keep-alive).
   */
  readonly serve: (socket: Socket, target: string, headers: PlainHeaders) => boolean;
}

export interface HitFastPath {
  /** Connections still on the fast path. */
  readonly connections: number;
  /** Ends the connections on the fast path that are between requests (all of them: it holds no partial request). */
  closeIdle(): void;
  /** Destroys every connection still on the fast path. */
  closeAll(): void;
}

export function installHitFastPath(server: http.Server, o: HitFastPathOptions): HitFastPath {
  // node:http's own connection handler; it receives the connections the fast path hands over.
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const sockets = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    let answered = false;

    const onData = (chunk: Buffer): void => {
      // Requests that cross a shutdown's FIN get no answer, as node:http's own idle-connection close does.
      if (socket.writableEnded) return;
      // A client that does not read its responses is left to node:http's backpressure handling.
      if (o.closing() || socket.writableNeedDrain) return handOver(chunk, 0);
      let at = 0;
      while (at < chunk.length) {
        const r = readPlainRequest(chunk, at, o.maxHeaderBytes);
        if (r === null || !o.serve(socket, r.target, r.headers)) return handOver(chunk, at);
        at = r.end;
        if (!answered) {
          answered = true;
          socket.setTimeout(o.keepAliveTimeoutMs);
        }
        if (socket.writableNeedDrain && at < chunk.length) return handOver(chunk, at);
      }
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    // Resets and the like: the socket is closed; nothing is in flight on the fast path to report.
    const onError = (): void => {
      socket.destroy();
    };
    const onClose = (): void => {
      sockets.delete(socket);
    };

    const handOver = (chunk: Buffer, at: number): void => {
      socket.removeListener('data', onData);
      socket.removeListener('timeout', onTimeout);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.setTimeout(0);
      sockets.delete(socket);
      for (const l of httpListeners) l.call(server, socket);
      // node:http now reads the socket itself; the bytes already read are given to it first, synchronously, so
      // nothing can come between them and what follows on the wire.
      if (at < chunk.length) socket.emit('data', at === 0 ? chunk : chunk.subarray(at));
    };

    socket.on('data', onData);
    socket.on('timeout', onTimeout);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.setTimeout(o.headersTimeoutMs);
  });

  return {
    get connections() {
      return sockets.size;
    },
    closeIdle: () => {
      for (const s of sockets) s.end();
    },
    closeAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
