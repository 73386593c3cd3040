// Scenario 6: u1, u2, u3 subscribe to chat c-1; u1 sends one message; each member receives
// `chat:message` exactly once; non-member u9 is refused and receives nothing.
import { ask, assert, chatMessage, connect, errorOf, okData, record, run, sleep, waitFor } from './lib.mjs';

run('chat_fanout', async () => {
  const members = await Promise.all(['u1', 'u2', 'u3'].map((u) => connect(u)));
  const u9 = await connect('u9');
  for (const s of [...members, u9]) record(s);
  for (const s of members) {
    assert.deepEqual(await ask(s, 'subscribe:chat', { chatId: 'c-1' }), { ok: true, data: null }, `${s.user} subscribe:chat c-1`);
  }
  const denied = errorOf(await ask(u9, 'subscribe:chat', { chatId: 'c-1' }), 'forbidden', 'u9 subscribe:chat c-1');
  const ack = okData(await ask(members[0], 'chat:send_message', chatMessage('hello c-1')), 'u1 chat:send_message');
  await waitFor(() => members.every((s) => s.rec.of('chat:message').length >= 1), 'every member to receive chat:message');
  await sleep(300); // catch duplicates
  const received = {};
  for (const s of members) {
    const got = s.rec.of('chat:message');
    received[s.user] = got.length;
    assert.equal(got.length, 1, `${s.user} received chat:message ${got.length} times`);
    const [m] = got;
    assert.equal(m.messageId, ack.messageId, `${s.user}: messageId matches the ack`);
    assert.equal(m.chatId, 'c-1');
    assert.equal(m.text, 'hello c-1');
    assert.equal(m.senderId, 'u1');
    assert.equal(m.senderType, 'user');
    assert.equal(m.timestamp, ack.timestamp, `${s.user}: timestamp matches the ack`);
  }
  assert.deepEqual(u9.rec.all, [], 'u9 (non-member) received events');
  return { messageId: ack.messageId, received, u9Events: u9.rec.all.length, denied };
});
