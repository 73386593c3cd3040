// Scenario 3: the owner subscribes to their order: ok ack, then the current status.
import { ask, assert, connect, okData, record, run, waitFor } from './lib.mjs';

run('order_owner', async () => {
  const u1 = await connect('u1');
  const rec = record(u1);
  const ack = await ask(u1, 'subscribe:order', { orderId: 'o-100' });
  assert.deepEqual(ack, { ok: true, data: null }, 'subscribe:order o-100 ack');
  const eventsBeforeAck = rec.all.length;
  await waitFor(() => rec.of('order:status_update').length >= 1, 'order:status_update for o-100');
  const [update] = rec.of('order:status_update');
  assert.equal(update.orderId, 'o-100');
  assert.equal(typeof update.status, 'string');
  assert.equal(typeof update.message, 'string');
  assert.ok(!Number.isNaN(Date.parse(update.timestamp)), `timestamp is ISO: ${update.timestamp}`);
  okData(ack, 'subscribe ack');
  return { ack, update, eventsBeforeAck, updates: rec.of('order:status_update').length };
});
