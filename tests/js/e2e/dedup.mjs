// Scenario 8: a reliable `chat:send_message` resent with the same `_mid` (three times on one
// socket, once more from a second socket of the same user, as after a reconnect) has one effect
// and always the same ack; a different `_mid` has a second effect.
import { ask, assert, chatMessage, connect, okData, record, run, sleep, waitFor } from './lib.mjs';

run('dedup', async () => {
  const [a, observer] = await Promise.all([connect('u1'), connect('u2')]);
  for (const s of [a, observer]) {
    record(s);
    assert.deepEqual(await ask(s, 'subscribe:chat', { chatId: 'c-1' }), { ok: true, data: null }, `${s.user} subscribe:chat`);
  }
  const payload = chatMessage('only once', { _mid: 'm-1' });
  const acks = [];
  for (let i = 0; i < 3; i++) acks.push(await ask(a, 'chat:send_message', payload));
  // A resend racing the original (in flight): same answer.
  const raced = await Promise.all([ask(a, 'chat:send_message', payload), ask(a, 'chat:send_message', payload)]);
  acks.push(...raced);
  // "Reconnect": a second connection of u1 resends the same message id.
  const b = await connect('u1');
  record(b);
  acks.push(await ask(b, 'chat:send_message', payload));
  const first = okData(acks[0], 'first send');
  assert.match(first.messageId, /./);
  acks.forEach((ack, i) => assert.deepEqual(ack, acks[0], `ack ${i} differs from the first`));
  // Same _mid from another user is another message (ids are per user).
  const other = okData(await ask(observer, 'chat:send_message', chatMessage('u2 with m-1', { _mid: 'm-1' })), 'u2 with m-1');
  assert.notEqual(other.messageId, first.messageId, 'u2 m-1 is a different message');
  // A different _mid: a second effect.
  const second = okData(await ask(a, 'chat:send_message', chatMessage('second', { _mid: 'm-2' })), 'm-2');
  assert.notEqual(second.messageId, first.messageId, 'm-2 gets its own messageId');
  await waitFor(() => [a, observer].every((s) => s.rec.of('chat:message').length >= 3), 'members to receive 3 chat:message');
  await sleep(300);
  const ids = {};
  for (const s of [a, observer]) {
    ids[s.user] = s.rec.of('chat:message').map((m) => m.messageId);
    assert.deepEqual(ids[s.user], [first.messageId, other.messageId, second.messageId], `${s.user}: chat:message ids`);
  }
  assert.deepEqual(b.rec.all, [], 'the second u1 socket joined no room, so it receives nothing');
  return { acks: acks.length, messageIds: { m1: first.messageId, u2m1: other.messageId, m2: second.messageId }, received: ids };
});
