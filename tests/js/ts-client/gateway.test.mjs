// The generated TypeScript client against the real Rust gateway (started by
// tests/tests/ts_client.rs, which sets E2E_URL and E2E_TOKENS): typed round trips and recovery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chat, realtime, until } from './fake.mjs';

const { createRealtimeClient, RealtimeError } = realtime;
const URL = process.env.E2E_URL;
const TOKENS = JSON.parse(process.env.E2E_TOKENS ?? '{}');
const clients = [];

function connectAs(user, options = {}) {
  const c = createRealtimeClient({ url: URL, token: TOKENS[user], ackTimeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}


const connected = (c) => until('connected', () => c.getState().status === 'connected');

test.after(() => clients.forEach((c) => c.disconnect()));

test('reliable event with ack, room event and volatile event round trip through the gateway', async () => {
  const [a, b] = [connectAs('u1'), connectAs('u2')];
  await Promise.all([connected(a), connected(b)]);
  assert.equal(await a.subscribeChat({ chatId: 'c-1' }), null);
  assert.equal(await b.subscribeChat({ chatId: 'c-1' }), null);
  const seen = [];
  const typing = [];
  b.onChatMessage((m) => seen.push(m));
  b.onChatTyping((t) => typing.push(t));
  const ack = await a.chatSendMessage(chat('hello'));
  assert.match(ack.messageId, /./);
  await until('chat:message at u2', () => seen.length === 1);
  assert.equal(seen[0].text, 'hello');
  assert.equal(seen[0].messageId, ack.messageId);
  await a.chatTyping({ chatId: 'c-1', isTyping: true, timestamp: new Date().toISOString() });
  await until('chat:typing at u2', () => typing.length === 1);
  assert.equal(typing[0].isTyping, true);
  // A denied join rejects typed and is not remembered.
  const denied = await a.subscribeOrder({ orderId: 'o-200' }).catch((e) => e);
  assert.ok(denied instanceof RealtimeError);
  assert.equal(denied.code, 'forbidden');
});

test('offline sends are queued (oldest dropped, reported) and delivered once, in order', async () => {
  // 12 sends with a queue of 8: chat:send_message is rate limited to 10/s, so the drained
  // queue stays under the limit (the 150/100 case runs against the scripted socket).
  const observer = connectAs('u3');
  await connected(observer);
  await observer.subscribeChat({ chatId: 'c-1' });
  const seen = [];
  observer.onChatMessage((m) => seen.push(m.text));
  const c = connectAs('u1', { autoConnect: false, queueLimit: 8 });
  const drops = [];
  c.onDropped((d) => drops.push(d.payload.message));
  const sends = Array.from({ length: 12 }, (_, i) => c.chatSendMessage(chat(`q${i}`)).then((a) => a.messageId, (e) => e.code));
  assert.equal(c.getQueueSize(), 8);
  c.connect();
  const results = await Promise.all(sends);
  assert.deepEqual(results.slice(0, 4), ['queue_full', 'queue_full', 'queue_full', 'queue_full']);
  assert.deepEqual(drops, ['q0', 'q1', 'q2', 'q3']);
  assert.equal(new Set(results.slice(4)).size, 8, 'eight distinct messages');
  await until('8 messages at the observer', () => seen.length >= 8);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen, ['q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10', 'q11'], 'once each, in order');
});

test('a bad token ends in failed with the server message after one attempt', async () => {
  const c = connectAs('u1', { token: 'not-a-jwt' });
  await until('failed', () => c.getState().status === 'failed');
  assert.equal(c.getState().error, 'Invalid or expired token');
  assert.equal(c.getState().attempt, 0);
});

test('updateAuthToken mid-session reconnects with the new token and loses nothing', async () => {
  const [a, b] = [connectAs('u1'), connectAs('u2')];
  await Promise.all([connected(a), connected(b)]);
  await b.subscribeChat({ chatId: 'c-1' });
  await a.subscribeChat({ chatId: 'c-1' });
  const atA = [];
  a.onChatMessage((m) => atA.push(m.text));
  const before = a.chatSendMessage(chat('before'));
  const renewed = a.updateAuthToken(TOKENS.u1);
  const after = a.chatSendMessage(chat('after'));
  await renewed;
  assert.equal(a.getState().status, 'connected');
  const [x, y] = await Promise.all([before, after]);
  assert.notEqual(x.messageId, y.messageId);
  // The room came back with the new connection: a message from u2 reaches u1.
  await b.chatSendMessage(chat('to-u1'));
  await until('u1 receives after the token change', () => atA.includes('to-u1'));
});
