import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../../../src/edge/sync/sse-parser.js';

test('parses events, ids, comments and multi-line data', () => {
  const p = new SseParser();
  const evs = p.push(': hello\n\nid: 1\nevent: change\ndata: {"a":1}\n\ndata: x\ndata: y\n\n');
  assert.deepEqual(evs, [
    { id: '1', event: 'change', data: '{"a":1}' },
    { id: '1', event: 'message', data: 'x\ny' },
  ]);
});

test('an event is only emitted once its blank line arrives', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('id: 7\ndata: a'), []);
  assert.deepEqual(p.push('\n'), []);
  assert.deepEqual(p.push('\n'), [{ id: '7', event: 'message', data: 'a' }]);
});

test('CRLF split across chunks counts as one line break', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: a\r'), []);
  assert.deepEqual(p.push('\n\r\n'), [{ id: undefined, event: 'message', data: 'a' }]);
});

test('any split of a stream into chunks (bytes, multi-byte UTF-8 included) gives the same events', () => {
  const eventArb = fc.record({
    id: fc.integer({ min: 1, max: 1e9 }).map(String),
    data: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !/[\r\n]/.test(s)),
  });
  fc.assert(
    fc.property(
      fc.array(eventArb, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.constantFrom('\n', '\r\n', '\r'),
      (events, cuts, eol) => {
        const wire = Buffer.from(
          events
            .map((e) => `: hb${eol}id: ${e.id}${eol}event: change${eol}data: ${e.data}${eol}${eol}`)
            .join(''),
          'utf8',
        );
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const p = new SseParser();
        const got: SseEvent[] = [];
        let prev = 0;
        for (const c of [...points, wire.length]) {
          got.push(...p.push(wire.subarray(prev, c)));
          prev = c;
        }
        // A trailing lone CR is only known to end a line when the next byte arrives.
        if (eol === '\r') got.push(...p.push('x'));
        assert.deepEqual(
          got,
          events.map((e) => ({ id: e.id, event: 'change', data: e.data })),
        );
      },
    ),
  );
});
