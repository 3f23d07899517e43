/**
 * Entry point of a cluster worker (forked by the primary in edge-node.ts). It waits for 'init' from the primary,
 * serves, and answers the primary's requests. Signals are the primary's business: a Ctrl-C reaches the whole
 * process group, and a worker that died on it would cut its in-flight requests instead of draining them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { pino } from 'pino';
import { AggregatorRegistry, register } from 'prom-client';
import { EdgewardError } from '../../shared/errors.js';
import type { SiblingCopy } from '../proxy/sibling-copy.js';
import { isNodeMessage, MESSAGE_TAG, type PrimaryToWorker, type WorkerToPrimary } from './node-messages.js';
import { compileRulesFile } from './rules-file.js';
import { startWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';

// Constructing one installs prom-client's worker-side answer to the primary's clusterMetrics() requests.
new AggregatorRegistry();

let runtime: WorkerRuntime | null = null;
let closing: Promise<void> | null = null;
let logger = pino({ base: { pid: process.pid, worker: process.env.EDGEWARD_WORKER_INDEX ?? '?' } });

function send(m: WorkerToPrimary): void {
  if (process.connected) process.send!(m);
}

/** A miss waits this long for the other workers at most, then goes to the origin. */
const SIBLING_WAIT_MS = 250;
let nextAsk = 1;
const asks = new Map<number, (copy: SiblingCopy | null) => void>();

/** Asks the primary for a sibling's fresh copy; null when none has one or none answers in time. */
function askSiblings(primaryKey: string, headers: IncomingHttpHeaders) {
  return new Promise<SiblingCopy | null>((resolve) => {
    if (!process.connected) return resolve(null);
    const id = nextAsk++;
    const timer = setTimeout(() => {
      asks.delete(id);
      resolve(null);
    }, SIBLING_WAIT_MS);
    asks.set(id, (copy) => {
      clearTimeout(timer);
      asks.delete(id);
      resolve(copy);
    });
    send({ tag: MESSAGE_TAG, kind: 'ask', id, primaryKey, headers });
  });
}

async function shutdown(code: number): Promise<void> {
  closing ??= (async () => {
    try {
      await runtime?.close();
    } catch (e) {
      logger.error({ err: e }, 'error while closing the worker');
      code = 1;
    }
  })();
  await closing;
  process.exit(code);
}

async function handle(m: Exclude<PrimaryToWorker, { op: 'answer' }>): Promise<unknown> {
  if (m.op === 'init') {
    logger = pino({
      level: m.config.logLevel,
      base: { pid: process.pid, worker: m.index, node: m.config.nodeName },
    });
    // Compiled before the runtime listens, as in-process: no request is served without the rules.
    const compiled = m.rulesFile === undefined ? undefined : await compileRulesFile(m.rulesFile);
    // prom-client's cluster aggregation asks each worker's global registry.
    runtime = await startWorkerRuntime({
      config: m.config,
      index: m.index,
      workers: m.workers,
      snapshot: m.snapshot,
      missedPurges: m.missedPurges,
      ...(compiled ? { ruleSet: compiled } : {}),
      logger,
      registry: register,
      ...(m.workers > 1 ? { siblings: askSiblings } : {}),
    });
    return { port: runtime.address.port, address: runtime.address.address };
  }
  if (m.op === 'shutdown') {
    setImmediate(() => void shutdown(0));
    return null;
  }
  const r = runtime;
  if (r === null) throw new EdgewardError('not_ready', `worker not initialised (op ${m.op})`);
  switch (m.op) {
    case 'replace-state': {
      if (m.rulesFile === undefined) {
        r.replaceState(m.snapshot, m.gap);
        return null;
      }
      const { set, count } = await compileRulesFile(m.rulesFile);
      // Both synchronous: no request sees the zones of one state with the rules of the other.
      r.replaceState(m.snapshot, m.gap);
      r.setRuleSet(set, count);
      return null;
    }
    case 'apply-change':
      r.applyChange(m.change);
      return null;
    case 'set-rules':
      return { rules: r.setRules(m.rules) };
    case 'load-rules-file': {
      const { set, count } = await compileRulesFile(m.path);
      return { rules: r.setRuleSet(set, count) };
    }
    case 'purge':
      return { purged: r.purge(m.purge) };
    case 'stats':
      return r.stats();
    case 'sibling-copy':
      return r.edge.copyForSibling(m.primaryKey, m.headers);
  }
}

process.on('message', (msg: unknown) => {
  if (!isNodeMessage(msg)) return; // prom-client's own metric requests share the channel
  const m = msg as PrimaryToWorker;
  if (m.op === 'answer') {
    asks.get(m.id)?.(m.value);
    return;
  }
  handle(m).then(
    (value) => send({ tag: MESSAGE_TAG, kind: 'reply', id: m.id, ok: true, value }),
    (e: unknown) => {
      logger.error({ err: e, op: m.op }, 'worker request failed');
      const err =
        e instanceof EdgewardError
          ? { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) }
          : {
              code: (e as NodeJS.ErrnoException).code ?? 'worker_error',
              message: (e as Error).message ?? String(e),
            };
      send({ tag: MESSAGE_TAG, kind: 'reply', id: m.id, ok: false, error: err });
      if (m.op === 'init') setImmediate(() => process.exit(1));
    },
  );
});

process.on('SIGINT', () => logger.debug('SIGINT ignored in worker (the primary coordinates shutdown)'));
process.on('SIGHUP', () => logger.debug('SIGHUP ignored in worker (the primary reloads rules)'));
process.on('SIGTERM', () => void shutdown(0));
// The primary went away: nobody can restart or configure this worker any more, so drain and go.
process.on('disconnect', () => void shutdown(0));

send({ tag: MESSAGE_TAG, kind: 'hello' });
