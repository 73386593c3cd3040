// Scenario 4: u1 may not subscribe to u2's order: `forbidden`, and no event of that order reaches
// u1, although u2 (the owner) subscribes too and does get one.
import { ask, assert, connect, errorOf, record, run, sleep, waitFor } from './lib.mjs';

run('order_forbidden', async () => {
  const [u1, u2] = await Promise.all([connect('u1'), connect('u2')]);
  const rec1 = record(u1);
  const rec2 = record(u2);
  const denied = await ask(u1, 'subscribe:order', { orderId: 'o-200' });
  const error = errorOf(denied, 'forbidden', 'u1 subscribe:order o-200');
  assert.equal(error.field, undefined, 'a forbidden join names no field');
  // The owner joins: the demo backend then emits o-200's status to its room.
  assert.deepEqual(await ask(u2, 'subscribe:order', { orderId: 'o-200' }), { ok: true, data: null }, 'u2 subscribe:order o-200');
  await waitFor(() => rec2.of('order:status_update').length >= 1, 'u2 to receive order:status_update for o-200');
  await sleep(500);
  const leaked = rec1.all.filter(([, p]) => JSON.stringify(p ?? null).includes('o-200'));
  assert.deepEqual(rec1.of('order:status_update'), [], 'u1 received an order:status_update');
  assert.deepEqual(leaked, [], 'u1 received events about o-200');
  assert.deepEqual(rec1.all, [], 'u1 received events at all');
  assert.ok(u1.connected, 'u1 is still connected');
  return { error, u1Events: rec1.all.length, u2Updates: rec2.of('order:status_update').length };
});
