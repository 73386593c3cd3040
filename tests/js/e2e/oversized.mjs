// Scenario 12: a 100 KB `chat:send_message` (above the event's 64 KiB limit, below the 1 MiB
// WebSocket limit) gets a `payload_too_large` ack and has no effect; the connection stays usable.
// A 2 MiB one (above the WebSocket limit) closes that connection; new connections still work.
import { ask, assert, chatMessage, connect, disconnected, errorOf, okData, record, run, sleep, WAIT_MS } from './lib.mjs';

run('oversized', async () => {
  const u1 = await connect('u1');
  record(u1);
  assert.deepEqual(await ask(u1, 'subscribe:chat', { chatId: 'c-1' }), { ok: true, data: null });
  const big = errorOf(await ask(u1, 'chat:send_message', chatMessage('x'.repeat(100 * 1024))), 'payload_too_large', '100 KB message');
  assert.ok(u1.connected, 'still connected after a too-large event');
  const after = okData(await ask(u1, 'chat:send_message', chatMessage('small')), 'valid send after the large one');
  await sleep(200);
  assert.deepEqual(u1.rec.of('chat:message').map((m) => m.text), ['small'], 'only the small message was emitted');

  // Above the WebSocket message limit: the server drops the connection (no ack).
  const u1b = await connect('u1');
  const gone = disconnected(u1b);
  const huge = u1b.timeout(WAIT_MS).emitWithAck('chat:send_message', chatMessage('y'.repeat(2 * 1024 * 1024))).then(
    (ack) => ({ ack }),
    (e) => ({ error: e.message }),
  );
  const reason = await gone;
  const outcome = await huge;
  assert.ok(!outcome.ack, `a 2 MiB message was acked: ${JSON.stringify(outcome.ack)}`);
  const fresh = await connect('u2');
  okData(await ask(fresh, 'heartbeat', { timestamp: new Date().toISOString() }), 'new connection after the drop');
  return { tooLarge: big, afterId: after.messageId, hugeDisconnect: reason };
});
