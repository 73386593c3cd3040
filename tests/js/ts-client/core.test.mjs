// The generated TypeScript client's guarantees against a scripted socket, with exact timers
// (node:test mock.timers). tests/tests/ts_client.rs compiles generated/ts and runs this file.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { chat, fakeServer, flush, okAck, realtime, refusal, transportError, until } from './fake.mjs';

const { createRealtimeClient, RealtimeError } = realtime;

function client(server, options = {}) {
  // Listeners first, so the first connect's states are seen too. Recovery (its `_recover` after
  // each reconnect) has its own tests: recovery.test.mjs.
  const c = createRealtimeClient({ url: 'http://fake', token: 't1', io: server.factory, heartbeat: null, recovery: false, ...options, autoConnect: false });
  const states = [];
  const drops = [];
  c.onStateChange((s) => states.push(s));
  c.onDropped((d) => drops.push(d));
  if (options.autoConnect !== false) c.connect();
  return { c, states, drops };
}

test('backoff is 1, 2, 4, 8, 16 s for 10 attempts, then failed; retry() starts again', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    let refuse = true;
    const server = fakeServer({ onConnect: (s) => (refuse ? s.fire('connect_error', transportError()) : s.accept()) });
    const { c, states } = client(server);
    assert.equal(server.sockets.length, 1, 'the first connect');
    const want = [1000, 2000, 4000, 8000, 16000, 16000, 16000, 16000, 16000, 16000];
    for (const [i, delay] of want.entries()) {
      assert.deepEqual(c.getState(), { status: 'reconnecting', attempt: i + 1, nextRetryInMs: delay, error: 'websocket error' });
      mock.timers.tick(delay - 1);
      assert.equal(server.sockets.length, i + 1, `attempt ${i + 1} waits the full ${delay} ms`);
      mock.timers.tick(1);
      assert.equal(server.sockets.length, i + 2, `attempt ${i + 1} starts after ${delay} ms`);
    }
    assert.equal(c.getState().status, 'failed');
    assert.equal(c.getState().attempt, 10);
    mock.timers.tick(600_000);
    assert.equal(server.sockets.length, 11, 'no attempt after failed');
    const delays = states.filter((s) => s.status === 'reconnecting' && s.nextRetryInMs !== undefined).map((s) => s.nextRetryInMs);
    assert.deepEqual(delays, want);
    refuse = false;
    c.retry();
    assert.equal(server.sockets.length, 12);
    assert.deepEqual(c.getState(), { status: 'connected', attempt: 0 });
    c.disconnect();
  } finally {
    mock.timers.reset();
  }
});

test("the schedule is the catalogue's settings.reconnect; an option overrides one field and keeps the rest", () => {
  // schema/session.yaml: reconnect { base_seconds: 1, max_seconds: 16, max_attempts: 10 }.
  assert.deepEqual(realtime.BACKOFF, { delaysMs: [1000, 2000, 4000, 8000, 16000], maxAttempts: 10 });
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const server = fakeServer({ onConnect: (s) => s.fire('connect_error', transportError()) });
    const { c } = client(server, { backoff: { maxAttempts: 3 } });
    for (const delay of [1000, 2000, 4000]) {
      assert.equal(c.getState().nextRetryInMs, delay, 'the catalogue delays stay');
      mock.timers.tick(delay);
    }
    assert.equal(c.getState().status, 'failed', 'after the 3 attempts the option asked for');
    assert.equal(server.sockets.length, 4);
  } finally {
    mock.timers.reset();
  }
});

test('150 reliable sends offline: queue 100, 50 drops oldest first, then 100 delivered in order', async () => {
  const server = fakeServer({ onEmit: (_s, m) => okAck(m, { messageId: `id-${m.payload.message}` }) });
  const { c, drops } = client(server, { autoConnect: false });
  const results = [];
  for (let i = 0; i < 150; i++) {
    results.push(c.chatSendMessage(chat(`m${i}`)).then((a) => ({ ok: a }), (e) => ({ err: e })));
  }
  assert.equal(c.getQueueSize(), 100);
  assert.equal(drops.length, 50);
  assert.deepEqual(drops.map((d) => d.payload.message), Array.from({ length: 50 }, (_, i) => `m${i}`));
  assert.ok(drops.every((d) => d.reason === 'queue_full' && d.event === 'chat:send_message' && typeof d.mid === 'string'));
  c.connect();
  const settled = await Promise.all(results);
  for (let i = 0; i < 50; i++) {
    assert.ok(settled[i].err instanceof RealtimeError, `send ${i} rejects`);
    assert.equal(settled[i].err.code, 'queue_full');
  }
  for (let i = 50; i < 150; i++) assert.deepEqual(settled[i], { ok: { messageId: `id-m${i}` } }, `send ${i}`);
  const sent = server.log.filter((m) => m.ev === 'chat:send_message');
  assert.deepEqual(sent.map((m) => m.payload.message), Array.from({ length: 100 }, (_, i) => `m${i + 50}`));
  assert.equal(new Set(sent.map((m) => m.payload._mid)).size, 100, 'one _mid per message');
  assert.equal(c.getQueueSize(), 0);
  assert.equal(drops.length, 50, 'no other drop');
  c.disconnect();
});

test('rooms are re-joined, and their acks awaited, before queued messages drain', async () => {
  const server = fakeServer({
    onEmit: (_s, m) => {
      // Joins are answered later than messages, so a drain that does not wait would overtake them.
      if (m.ev === 'subscribe:chat') setTimeout(() => okAck(m), 20);
      else okAck(m, { messageId: m.payload.message });
    },
  });
  const { c } = client(server);
  await c.subscribeChat({ chatId: 'c-1' });
  await c.subscribeOrder({ orderId: 'o-100' });
  await c.unsubscribeOrder({ orderId: 'o-100' });
  server.last().drop();
  const sends = [c.chatSendMessage(chat('a')), c.chatSendMessage(chat('b'))];
  assert.equal(c.getQueueSize(), 2);
  server.log.length = 0;
  c.resume();
  await Promise.all(sends);
  assert.deepEqual(server.log.map((m) => m.ev), ['subscribe:chat', 'chat:send_message', 'chat:send_message'], 'the left order room is forgotten');
  assert.deepEqual(server.log[0].payload, { chatId: 'c-1' });
  c.disconnect();
});

test('rooms joined with a bare id are re-joined with that id, without a _mid; leaving forgets them', async () => {
  const server = fakeServer({ onEmit: (_s, m) => okAck(m) });
  const { c } = client(server);
  await c.joinTournament('t-1');
  await c.joinTournament('t-2');
  await c.leaveTournament('t-2');
  await c.joinEarningsRoom('u-1');
  assert.deepEqual(server.log[0].payload, 't-1', 'sent bare, as the app sends it');
  server.last().drop();
  server.log.length = 0;
  c.resume();
  await until('re-joined', () => server.log.length === 2);
  assert.deepEqual(server.log.map((m) => [m.ev, m.payload]), [['join-tournament', 't-1'], ['join-earnings-room', 'u-1']]);
  c.disconnect();
});

test('a reliable message keeps its _mid across ack timeouts and a reconnect, then is dropped as ack_timeout', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const server = fakeServer();
    const { c, drops } = client(server, { ackTimeoutMs: 10_000, ackRetries: 2 });
    const p = c.chatSendMessage(chat('x')).then(() => 'resolved', (e) => e);
    const sent = () => server.log.filter((m) => m.ev === 'chat:send_message');
    assert.equal(sent().length, 1);
    const mid = sent()[0].payload._mid;
    assert.match(mid, /.-1$/);
    mock.timers.tick(10_000);
    assert.equal(sent().length, 2, 'resent after the ack timeout');
    // The link drops: the message goes back to the queue and is resent on the next connection.
    server.last().drop();
    assert.equal(c.getQueueSize(), 1);
    mock.timers.tick(1000);
    assert.equal(c.getState().status, 'connected');
    assert.equal(sent().length, 3, 'resent after the reconnect');
    mock.timers.tick(10_000);
    assert.equal(sent().length, 4, 'second resend (the last retry)');
    assert.deepEqual(new Set(sent().map((m) => m.payload._mid)), new Set([mid]), 'every resend has the same _mid');
    assert.equal(sent()[0].payload._resent, undefined, 'a first send is not marked');
    for (const m of sent().slice(1)) assert.ok(Number.isInteger(m.payload._resent) && m.payload._resent >= 0, `a resend carries its age: ${JSON.stringify(m.payload)}`);
    mock.timers.tick(10_000);
    const e = await p;
    assert.ok(e instanceof RealtimeError);
    assert.equal(e.code, 'ack_timeout');
    assert.deepEqual(drops.map((d) => [d.reason, d.mid]), [['ack_timeout', mid]]);
    // A late ack of an abandoned try changes nothing.
    sent()[0].ack({ ok: true, data: { messageId: 'late' } });
    c.disconnect();
  } finally {
    mock.timers.reset();
  }
});

test('a refused token ends in failed with the server message after one attempt', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const server = fakeServer({ onConnect: (s) => s.fire('connect_error', refusal('Invalid or expired token')) });
    const { c, states } = client(server);
    assert.deepEqual(c.getState(), { status: 'failed', attempt: 0, error: 'Invalid or expired token' });
    mock.timers.tick(600_000);
    assert.equal(server.sockets.length, 1, 'no retry loop');
    assert.deepEqual(states.map((s) => s.status), ['connecting', 'failed']);
  } finally {
    mock.timers.reset();
  }
});

test('volatile events are dropped (and reported) while offline; server errors reject typed', async () => {
  const server = fakeServer({
    onEmit: (_s, m) => m.ack?.({ ok: false, error: { code: 'invalid_payload', message: 'chatId: too short', field: 'chatId' } }),
  });
  const { c, drops } = client(server, { autoConnect: false });
  const e = await c.chatTyping({ chatId: 'c-1', isTyping: true, timestamp: '2026-12-01T00:00:00Z' }).catch((x) => x);
  assert.equal(e.code, 'offline');
  assert.deepEqual(drops.map((d) => [d.event, d.reason]), [['chat:typing', 'offline']]);
  c.connect();
  const refused = await c.chatSendMessage(chat('x')).catch((x) => x);
  assert.ok(refused instanceof RealtimeError);
  assert.deepEqual([refused.code, refused.message, refused.field], ['invalid_payload', 'chatId: too short', 'chatId']);
  c.disconnect();
});

test('updateAuthToken reconnects at once with the new token, keeping queue and rooms; null disconnects', async () => {
  const server = fakeServer({ onEmit: (_s, m) => okAck(m, m.ev === 'chat:send_message' ? { messageId: m.payload.message } : null) });
  const { c } = client(server);
  await c.subscribeChat({ chatId: 'c-1' });
  server.onEmit = () => {}; // the next message is in flight when the token changes
  const pending = c.chatSendMessage(chat('in-flight'));
  server.onEmit = (_s, m) => okAck(m, m.ev === 'chat:send_message' ? { messageId: m.payload.message } : null);
  server.log.length = 0;
  await c.updateAuthToken('t2');
  assert.equal(server.sockets.length, 2);
  assert.deepEqual(server.last().opts.auth, { token: 't2' });
  assert.deepEqual(await pending, { messageId: 'in-flight' });
  assert.deepEqual(server.log.map((m) => m.ev), ['subscribe:chat', 'chat:send_message']);
  await c.updateAuthToken(null);
  assert.equal(c.getState().status, 'disconnected');
  assert.equal(server.last().connected, false);
});

test('getToken is asked before every connect', async () => {
  let n = 0;
  const server = fakeServer();
  const { c } = client(server, { token: undefined, getToken: async () => `tok-${++n}` });
  await flush();
  assert.deepEqual(server.last().opts.auth, { token: 'tok-1' });
  server.last().drop();
  c.resume();
  await flush();
  assert.deepEqual(server.last().opts.auth, { token: 'tok-2' });
  c.disconnect();
});

test('the heartbeat is sent every interval; two unanswered in a row end the link', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    let answer = true;
    const server = fakeServer({ onEmit: (_s, m) => answer && okAck(m, { serverTime: 'now' }) });
    const { c } = client(server, { heartbeat: realtime.HEARTBEAT });
    assert.deepEqual(realtime.HEARTBEAT, { event: 'heartbeat', intervalMs: 30000, maxMissed: 2 });
    mock.timers.tick(30_000);
    mock.timers.tick(30_000);
    assert.equal(server.log.filter((m) => m.ev === 'heartbeat').length, 2);
    assert.equal(c.getState().status, 'connected');
    answer = false;
    mock.timers.tick(30_000); // sent, unanswered
    mock.timers.tick(30_000); // missed 1, sent again
    assert.equal(c.getState().status, 'connected');
    mock.timers.tick(30_000); // missed 2: dead
    assert.equal(c.getState().status, 'reconnecting');
    assert.equal(server.sockets[0].connected, false);
    c.disconnect();
  } finally {
    mock.timers.reset();
  }
});

test('onX listeners receive their event and unsubscribe', () => {
  const server = fakeServer();
  const { c } = client(server);
  const got = [];
  const off = c.onChatMessage((p) => got.push(p.text));
  const offAny = c.on('chat:message', (p) => got.push(`any:${p.text}`));
  server.last().push('chat:message', { text: 'one' });
  off();
  server.last().push('chat:message', { text: 'two' });
  offAny();
  server.last().push('chat:message', { text: 'three' });
  assert.deepEqual(got, ['one', 'any:one', 'any:two']);
  c.disconnect();
});

test('clearQueue reports every cleared message', async () => {
  const server = fakeServer();
  const { c, drops } = client(server, { autoConnect: false });
  const p = [c.chatSendMessage(chat('a')), c.chatSendMessage(chat('b'))].map((x) => x.catch((e) => e.code));
  c.clearQueue();
  assert.equal(c.getQueueSize(), 0);
  assert.deepEqual(await Promise.all(p), ['cleared', 'cleared']);
  assert.deepEqual(drops.map((d) => d.reason), ['cleared', 'cleared']);
});

test('a join made offline waits for the connection; a re-join that times out rejects ack_timeout and is kept', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    let answerJoins = false;
    const server = fakeServer({ onEmit: (_s, m) => answerJoins && okAck(m) });
    const { c } = client(server, { autoConnect: false, ackTimeoutMs: 1000 });
    const join = c.subscribeChat({ chatId: 'c-9' }).then(() => 'joined', (e) => e.code);
    c.connect();
    assert.deepEqual(server.log.map((m) => [m.ev, m.payload]), [['subscribe:chat', { chatId: 'c-9' }]]);
    mock.timers.tick(1000);
    assert.equal(await join, 'ack_timeout');
    answerJoins = true;
    server.last().drop();
    server.log.length = 0;
    mock.timers.tick(1000);
    assert.deepEqual(server.log.map((m) => m.ev), ['subscribe:chat'], 'still remembered: re-joined on the next connection');
    c.disconnect();
  } finally {
    mock.timers.reset();
  }
});
