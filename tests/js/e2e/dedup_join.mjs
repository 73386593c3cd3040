// Extra: a reliable room join resent after a reconnect. u1's first socket sends
// `subscribe:chat {chatId:'c-1', _mid:'s-1'}` and goes away (as if the ack was lost); the new
// socket resends the same message id (what a reliable client does). The resend is answered from
// the dedup store, but the new socket must end up in the room all the same.
import { ask, assert, chatMessage, connect, okData, record, run, sleep, waitFor } from './lib.mjs';

run('dedup_join', async () => {
  const [first, u2] = await Promise.all([connect('u1'), connect('u2')]);
  const firstAck = await ask(first, 'subscribe:chat', { chatId: 'c-1', _mid: 's-1' });
  assert.deepEqual(firstAck, { ok: true, data: null });
  first.close();
  const second = await connect('u1');
  const rec = record(second);
  const resendAck = await ask(second, 'subscribe:chat', { chatId: 'c-1', _mid: 's-1' });
  assert.deepEqual(resendAck, firstAck, 'the resend gets the same ack');
  const sent = okData(await ask(u2, 'chat:send_message', chatMessage('after reconnect')), 'u2 send');
  let joined = true;
  try {
    await waitFor(() => rec.of('chat:message').length >= 1, 'the resubscribed socket to receive chat:message', 10000);
  } catch {
    joined = false;
  }
  await sleep(100);
  assert.ok(joined, 'the socket that resent `subscribe:chat` with an already-seen _mid got ok but was never joined to chat-c-1 (dedup replayed the ack without the per-socket join)');
  assert.equal(rec.of('chat:message')[0].messageId, sent.messageId);
  return { joined };
});
