// The TypeScript client generated for the minimal fixture (`ping`: reliable, acked, no rate limit,
// so a drained queue is never throttled) against that fixture's generated Rust server; both are
// set up by tests/tests/ts_client.rs (MINIMAL_CLIENT_OUT, E2E_URL, E2E_TOKEN).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const out = process.env.MINIMAL_CLIENT_OUT;
if (!out) throw new Error('MINIMAL_CLIENT_OUT (the compiled minimal client) is not set');
const { createRealtimeClient, RealtimeError } = createRequire(import.meta.url)(`${out}/realtime.js`);

test('150 reliable sends offline: queue 100, the 50 oldest dropped and reported, the 100 delivered in order', async () => {
  const c = createRealtimeClient({ url: process.env.E2E_URL, token: process.env.E2E_TOKEN, autoConnect: false });
  const drops = [];
  c.onDropped((d) => drops.push(d));
  const acked = [];
  const rejected = [];
  const sends = Array.from({ length: 150 }, (_, i) =>
    c.ping().then(
      (a) => { acked.push(i); return a; },
      (e) => { rejected.push(i); return e; },
    ),
  );
  assert.equal(c.getQueueSize(), 100);
  assert.equal(drops.length, 50);
  assert.ok(drops.every((d) => d.event === 'ping' && d.reason === 'queue_full'), 'each drop reported as queue_full');
  c.connect();
  const settled = await Promise.all(sends);
  assert.deepEqual(rejected, Array.from({ length: 50 }, (_, i) => i), 'the oldest 50 dropped, oldest first');
  for (let i = 0; i < 50; i++) assert.ok(settled[i] instanceof RealtimeError && settled[i].code === 'queue_full', `send ${i}`);
  for (let i = 50; i < 150; i++) assert.match(settled[i].pong, /^\d{4}-\d\d-\d\dT/, `send ${i} acked`);
  assert.deepEqual(acked, Array.from({ length: 100 }, (_, i) => i + 50), 'acked in send order');
  assert.equal(c.getQueueSize(), 0);
  assert.equal(drops.length, 50, 'no other drop');
  c.disconnect();
});
