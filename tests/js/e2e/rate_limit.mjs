// Scenario 11: `typing:start` is limited to 5/s per socket. After joining conv-1, u1 fires 20 at
// once: the first 5 are accepted, the rest refused with `rate_limited`; the other participant sees
// one relay per accepted event; the connection stays usable and the bucket refills.
import { ask, assert, connect, errorOf, nowIso, okData, record, run, sleep, waitFor, WAIT_MS } from './lib.mjs';

run('rate_limit', async () => {
  const [u1, store] = await Promise.all([connect('u1'), connect('store-1')]);
  record(store);
  for (const s of [u1, store]) {
    assert.deepEqual(await ask(s, 'join:conversation', { conversationId: 'conv-1' }), { ok: true, data: null }, `${s.user} join:conversation`);
  }
  const acks = await Promise.all(Array.from({ length: 20 }, () => u1.timeout(WAIT_MS).emitWithAck('typing:start', { conversationId: 'conv-1' })));
  const ok = acks.filter((a) => a.ok).length;
  const limited = acks.filter((a) => !a.ok);
  limited.forEach((a, i) => errorOf(a, 'rate_limited', `typing:start refusal ${i}`));
  assert.ok(ok >= 5 && ok < 20, `accepted ${ok} of 20 (limit 5/s)`);
  assert.ok(acks.slice(0, 5).every((a) => a.ok), 'the first 5 are accepted (bucket starts full)');
  assert.ok(limited.length > 0, 'some typing:start refused');
  await waitFor(() => store.rec.of('typing:start').length >= ok, `store-1 to receive ${ok} typing:start`);
  // Usable: other events pass right away...
  okData(await ask(u1, 'heartbeat', { timestamp: nowIso() }), 'heartbeat after rate limiting');
  // ...and the bucket refills (5/s: one token per 200 ms).
  await sleep(450);
  okData(await ask(u1, 'typing:stop', { conversationId: 'conv-1' }), 'typing:stop (its own bucket)');
  okData(await ask(u1, 'typing:start', { conversationId: 'conv-1' }), 'typing:start after the refill');
  await waitFor(() => store.rec.of('typing:start').length >= ok + 1, 'store-1 to receive the refilled typing:start');
  await sleep(100);
  const relays = store.rec.of('typing:start');
  assert.equal(relays.length, ok + 1, 'one relay per accepted typing:start');
  assert.deepEqual(relays[0], { conversationId: 'conv-1', userId: 'u1', userName: 'u1', isTyping: true });
  assert.ok(u1.connected);
  return { accepted: ok, rateLimited: limited.length, relays: relays.length };
});
