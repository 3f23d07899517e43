import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruList } from '../../../src/edge/store/lru-list.js';
import { NumberQueue } from '../../../src/edge/store/number-queue.js';

test('LruList keeps recency order like an array model under random touch/unlink', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(3000)), { maxLength: 400 }), (ops) => {
      const list = new LruList();
      let model: number[] = []; // most recent first
      for (const [touch, n] of ops) {
        model = model.filter((x) => x !== n);
        if (touch) {
          list.touch(n);
          model.unshift(n);
        } else {
          list.unlink(n);
        }
        assert.equal(list.size, model.length);
        assert.equal(list.oldest(), model.length ? model[model.length - 1] : -1);
      }
      assert.deepEqual([...list.values()], model);
      for (const n of model) assert.ok(list.has(n));
    }),
  );
});

test('NumberQueue is first in, first out across growth and compaction', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof({ weight: 3, arbitrary: fc.nat(1_000_000) }, { weight: 1, arbitrary: fc.constant(-1) }),
        {
          maxLength: 5000,
        },
      ),
      (ops) => {
        const q = new NumberQueue();
        const model: number[] = [];
        for (const op of ops) {
          if (op < 0) assert.equal(q.shift(), model.length ? model.shift() : -1);
          else {
            q.push(op);
            model.push(op);
          }
          assert.equal(q.length, model.length);
        }
        while (model.length) assert.equal(q.shift(), model.shift());
        assert.equal(q.shift(), -1);
      },
    ),
  );
});
