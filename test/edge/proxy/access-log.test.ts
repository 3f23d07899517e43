import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { createAccessLog, type AccessRecord } from '../../../src/edge/proxy/access-log.js';

function capture(opts: pino.LoggerOptions = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: pino({ level: 'info', base: { pid: 7, node: 'n1' }, ...opts }, stream), lines };
}

const record = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST'),
  host: fc.option(fc.string(), { nil: null }),
  path: fc.string({ unit: 'binary' }),
  status: fc.integer({ min: 100, max: 599 }),
  cache: fc.constantFrom('hit', 'miss', 'blocked'),
  cacheStatus: fc.string(),
  bytes: fc.nat(),
  originMs: fc.integer({ min: -1, max: 100000 }),
  country: fc.option(fc.string({ minLength: 2, maxLength: 2 }), { nil: null }),
  ms: fc.nat(),
  error: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
});

/** A plain cache hit, for tests where the fields do not matter. */
const plainRecord: AccessRecord = {
  method: 'GET',
  host: 'h',
  path: '/',
  status: 200,
  cache: 'hit',
  cacheStatus: 'x',
  bytes: 1,
  originMs: -1,
  country: null,
  ms: 0,
};

describe('access log lines', () => {
  test('the fast line is exactly what pino itself would write (whatever the field contents)', async () => {
    const fast = capture();
    const slow = capture();
    const log = createAccessLog(fast.logger);
    fc.assert(
      fc.property(record, (r) => {
        const rec: AccessRecord = { ...r };
        if (rec.error === undefined) delete rec.error;
        log(rec);
        slow.logger.info(rec, 'request');
      }),
      { numRuns: 200 },
    );
    log.flush();
    await new Promise((r) => setImmediate(r));
    assert.equal(fast.lines.length, 200);
    for (let i = 0; i < fast.lines.length; i++) {
      const a = JSON.parse(fast.lines[i]!) as Record<string, unknown>;
      const b = JSON.parse(slow.lines[i]!) as Record<string, unknown>;
      delete a.time;
      delete b.time;
      assert.deepEqual(a, b);
      assert.equal(Object.keys(a).join(), Object.keys(b).join());
    }
  });

  test('respects the level, and falls back to logger.info for customised loggers', async () => {
    const quiet = capture({ level: 'warn' });
    const quietLog = createAccessLog(quiet.logger);
    quietLog(plainRecord);
    quietLog.flush();
    const custom = capture({ messageKey: 'message', formatters: { level: (label) => ({ level: label }) } });
    createAccessLog(custom.logger)(plainRecord);
    await new Promise((r) => setImmediate(r));
    assert.equal(quiet.lines.length, 0);
    const line = JSON.parse(custom.lines[0]!) as Record<string, unknown>;
    assert.equal(line.level, 'info');
    assert.equal(line.message, 'request');
    assert.equal(line.status, 200);
  });

  test('a node name outside ASCII is written as UTF-8, like pino writes it', async () => {
    const fast = capture({ base: { pid: 7, node: 'エッジ-東京' } });
    const slow = capture({ base: { pid: 7, node: 'エッジ-東京' } });
    const rec = plainRecord;
    const log = createAccessLog(fast.logger);
    log(rec);
    log.flush();
    slow.logger.info(rec, 'request');
    await new Promise((r) => setImmediate(r));
    const a = JSON.parse(fast.lines[0]!) as Record<string, unknown>;
    const b = JSON.parse(slow.lines[0]!) as Record<string, unknown>;
    delete a.time;
    delete b.time;
    assert.deepEqual(a, b);
    assert.equal(a.node, 'エッジ-東京');
  });

  test('lines stay whole and in order across batches, a line longer than the batch buffer included', async () => {
    const c = capture();
    const log = createAccessLog(c.logger);
    const base = plainRecord;
    const paths = [
      ...Array.from({ length: 700 }, (_, i) => `/p/${i}/${'é'.repeat(i % 50)}`),
      `/long/${'x'.repeat(200_000)}`,
      '/after-the-long-one',
      `/long-unicode/${'漫'.repeat(30_000)}`,
      '/last',
    ];
    for (const path of paths) log({ ...base, path });
    log.flush();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      c.lines.map((l) => (JSON.parse(l) as { path: string }).path),
      paths,
    );
  });
});
