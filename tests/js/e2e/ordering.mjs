// Scenario 9: per-socket ordering. u1 fires 50 `chat:send_message` ("0".."49") without awaiting:
// acks come back in send order, accepted messages get strictly increasing ids in send order and
// are re-emitted in that order. `chat:send_message` is rate limited (10/s, bursts of 10) so only
// the first ~10 are accepted; 50 `chat:read` (within its burst of 120) check the order of all 50 effects.
import { assert, connect, nowIso, record, run, sleep, waitFor, WAIT_MS } from './lib.mjs';

const N = 50;
const idNumber = (id) => {
  const m = /(\d+)$/.exec(id);
  assert.ok(m, `messageId without a numeric suffix: ${id}`);
  return Number(m[1]);
};

/** Fires `payloads` without awaiting; resolves with the acks, in the order they arrived. */
function burst(s, event, payloads) {
  const arrived = [];
  return Promise.all(
    payloads.map((p, i) =>
      s
        .timeout(WAIT_MS)
        .emitWithAck(event, p)
        .then((ack) => {
          arrived.push(i);
          return ack;
        }),
    ),
  ).then((acks) => ({ acks, arrived }));
}

run('ordering', async () => {
  const [u1, u2] = await Promise.all([connect('u1'), connect('u2')]);
  for (const s of [u1, u2]) {
    record(s);
    assert.deepEqual(await s.timeout(WAIT_MS).emitWithAck('subscribe:chat', { chatId: 'c-1' }), { ok: true, data: null });
  }
  const texts = Array.from({ length: N }, (_, i) => String(i));

  // --- chat:send_message burst ---
  const send = await burst(u1, 'chat:send_message', texts.map((t) => ({ chatId: 'c-1', message: t, timestamp: nowIso() })));
  assert.deepEqual(send.arrived, [...Array(N).keys()], 'chat:send_message acks arrived out of send order');
  const accepted = [];
  send.acks.forEach((ack, i) => {
    if (ack.ok) accepted.push({ i, text: texts[i], id: ack.data.messageId });
    else assert.equal(ack.error?.code, 'rate_limited', `send ${i}: unexpected refusal ${JSON.stringify(ack)}`);
  });
  // The bucket starts full (10): the first 10 in send order are the ones accepted first.
  assert.deepEqual(accepted.slice(0, 10).map((a) => a.i), [...Array(10).keys()], 'the first 10 sends are accepted');
  for (let k = 1; k < accepted.length; k++) {
    assert.ok(idNumber(accepted[k].id) > idNumber(accepted[k - 1].id), `messageIds not increasing in send order: ${accepted[k - 1].id} then ${accepted[k].id}`);
  }
  const expectedTexts = accepted.map((a) => a.text);
  for (const s of [u1, u2]) {
    await waitFor(() => s.rec.of('chat:message').length >= accepted.length, `${s.user} to receive ${accepted.length} chat:message`);
  }

  // --- chat:read burst (within its rate limit burst of 120): 50 effects ---
  const read = await burst(u1, 'chat:read', texts.map((t) => ({ chatId: 'c-1', messageIds: [t], timestamp: nowIso() })));
  assert.deepEqual(read.arrived, [...Array(N).keys()], 'chat:read acks arrived out of send order');
  read.acks.forEach((ack, i) => assert.deepEqual(ack, { ok: true, data: null }, `chat:read ${i}`));
  for (const s of [u1, u2]) {
    await waitFor(() => s.rec.of('chat:read').length >= N, `${s.user} to receive ${N} chat:read`);
  }
  await sleep(200);
  const result = { accepted: accepted.length, rateLimited: N - accepted.length, order: {} };
  for (const s of [u1, u2]) {
    const got = s.rec.of('chat:message');
    assert.deepEqual(got.map((m) => m.text), expectedTexts, `${s.user}: chat:message texts out of order or duplicated`);
    assert.deepEqual(got.map((m) => m.messageId), accepted.map((a) => a.id), `${s.user}: chat:message ids differ from the acks`);
    const reads = s.rec.of('chat:read').map((r) => r.messageIds[0]);
    assert.deepEqual(reads, texts, `${s.user}: chat:read effects out of order`);
    result.order[s.user] = { messages: got.length, reads: reads.length };
  }
  return result;
});
