// Recovery is invisible to a plain socket.io-client: a recoverable event (`chat:message`)
// carries its position as a second argument, which a one-parameter listener never sees; the
// payload object is exactly the catalogue's. The client sends no `_recover` and needs nothing.
import { ask, assert, chatMessage, connect, okData, record, run, sleep, waitFor } from './lib.mjs';

run('recovery_plain_client', async () => {
  const [u1, u2] = await Promise.all(['u1', 'u2'].map((u) => connect(u)));
  record(u1);
  const got = [];
  u1.on('chat:message', (m) => got.push(m));
  for (const s of [u1, u2]) okData(await ask(s, 'subscribe:chat', { chatId: 'c-1' }), `${s.user} subscribe:chat c-1`);
  const ack = okData(await ask(u2, 'chat:send_message', chatMessage('plain client')), 'u2 chat:send_message');
  await waitFor(() => got.length >= 1, 'chat:message on the one-parameter listener');
  await sleep(200); // catch duplicates
  assert.equal(got.length, 1, `received ${got.length} times`);
  const [m] = got;
  assert.equal(m.messageId, ack.messageId);
  assert.ok(!('_rec' in m), `the payload carries no position: ${JSON.stringify(m)}`);
  const [[, extra]] = u1.rec.extra.filter(([e]) => e === 'chat:message');
  return { payloadKeys: Object.keys(m).sort(), extraArgs: extra.length, position: extra[0] ?? null };
});
