import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigChangeNotifier } from '../../../src/control/changes/config-change-notifier.js';

test('subscribers hear every notified version until they unsubscribe', () => {
  const n = new ConfigChangeNotifier();
  const heard: number[] = [];
  const off = n.subscribe((v) => heard.push(v));
  n.notify(1);
  n.notify(2);
  off();
  n.notify(3);
  assert.deepEqual(heard, [1, 2]);
  assert.equal(n.latest, 3);
});

test('waitForVersionAbove: resolves with a newer version, at once if already past, null on timeout or abort', async () => {
  const n = new ConfigChangeNotifier();
  const waiting = n.waitForVersionAbove(1, 60_000);
  n.notify(1); // not above 1: keeps waiting
  n.notify(2);
  assert.equal(await waiting, 2);
  assert.equal(await n.waitForVersionAbove(1, 60_000), 2);
  assert.equal(await n.waitForVersionAbove(2, 1), null);
  const ac = new AbortController();
  const aborted = n.waitForVersionAbove(5, 60_000, ac.signal);
  ac.abort();
  assert.equal(await aborted, null);
  const pre = new AbortController();
  pre.abort();
  assert.equal(await n.waitForVersionAbove(5, 60_000, pre.signal), null);
});
