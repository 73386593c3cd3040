// The generated TypeScript client against a Node socket.io 4.8 server (the app's current backend
// stack), started in this process: typed round trips of a reliable event with ack (deduplicated
// by `_mid`), a room event and a volatile event, a refused token, and an ack that arrived with its
// deadline while the client's thread was blocked.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Server } from 'socket.io';
import { chat, realtime, until } from './fake.mjs';

const { createRealtimeClient, RealtimeError } = realtime;

async function nodeServer() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ['websocket'] });
  const effects = [];
  const seenMids = new Map();
  io.use((socket, next) => (socket.handshake.auth?.token?.startsWith('good-') ? next() : next(new Error('Invalid or expired token'))));
  io.on('connection', (socket) => {
    const user = socket.handshake.auth.token.slice(5);
    socket.on('subscribe:chat', (p, ack) => {
      socket.join(`chat-${p.chatId}`);
      ack?.({ ok: true, data: null });
    });
    socket.on('chat:send_message', (p, ack) => {
      // Dedup by (user, _mid), as the Rust server does: a resend gets the first answer.
      const key = `${user}/${p._mid}`;
      if (!seenMids.has(key)) {
        const messageId = `n-${effects.length + 1}`;
        effects.push(p.message);
        seenMids.set(key, { ok: true, data: { messageId, timestamp: p.timestamp } });
        socket.to(`chat-${p.chatId}`).emit('chat:message', { messageId, chatId: p.chatId, senderId: user, senderName: user, senderType: 'user', text: p.message, timestamp: p.timestamp });
      }
      ack?.(seenMids.get(key));
    });
    socket.on('chat:typing', (p, ack) => {
      socket.to(`chat-${p.chatId}`).emit('chat:typing', { chatId: p.chatId, userId: user, userName: user, isTyping: p.isTyping, timestamp: p.timestamp });
      ack?.({ ok: true, data: null });
    });
  });
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  return { url, effects, close: () => new Promise((r) => io.close(() => r())) };
}

test('round trips against a Node socket.io 4.8 server', async () => {
  const server = await nodeServer();
  const a = createRealtimeClient({ url: server.url, token: 'good-u1' });
  const b = createRealtimeClient({ url: server.url, token: 'good-u2' });
  try {
    await until('both connected', () => [a, b].every((c) => c.getState().status === 'connected'));
    assert.equal(await a.subscribeChat({ chatId: 'c-1' }), null);
    assert.equal(await b.subscribeChat({ chatId: 'c-1' }), null);
    const messages = [];
    const typing = [];
    b.onChatMessage((m) => messages.push(m));
    b.onChatTyping((t) => typing.push(t));
    const ack = await a.chatSendMessage(chat('hello node'));
    assert.equal(ack.messageId, 'n-1');
    await until('chat:message at u2', () => messages.length === 1);
    assert.deepEqual([messages[0].text, messages[0].messageId], ['hello node', 'n-1']);
    await a.chatTyping({ chatId: 'c-1', isTyping: true, timestamp: new Date().toISOString() });
    await until('chat:typing at u2', () => typing.length === 1);
    assert.deepEqual(server.effects, ['hello node']);
    const refused = createRealtimeClient({ url: server.url, token: 'bad' });
    await until('failed', () => refused.getState().status === 'failed');
    assert.equal(refused.getState().error, 'Invalid or expired token');
    const e = await refused.chatTyping({ chatId: 'c-1', isTyping: false, timestamp: new Date().toISOString() }).catch((x) => x);
    assert.ok(e instanceof RealtimeError && e.code === 'offline');
  } finally {
    a.disconnect();
    b.disconnect();
    await server.close();
  }
});

test('an ack that arrived with its deadline answers the call (the thread was blocked across both)', async () => {
  // The server runs on a worker thread, so it answers while this thread is blocked.
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const worker = new Worker(new URL('./late-ack-server.mjs', import.meta.url), { workerData: { flags: shared } });
  const port = await new Promise((resolve) => worker.once('message', resolve));
  const ackTimeoutMs = 200;
  const c = createRealtimeClient({ url: `http://127.0.0.1:${port}`, token: 't', ackTimeoutMs });
  try {
    await until('connected', () => c.getState().status === 'connected');
    for (let round = 1; round <= 3; round++) {
      const sent = Date.now();
      const call = c.subscribeChat({ chatId: `c-${round}` });
      await until('the join at the server', () => Atomics.load(flags, 0) >= round, 5000);
      // Blocked (as a busy or suspended JS thread is) until the ack was sent and the deadline
      // passed, in the check phase: the next turn of the event loop then finds both waiting, and
      // runs timers before it reads sockets.
      await new Promise((resolve) =>
        setImmediate(() => {
          while ((Atomics.load(flags, 1) < round || Date.now() - sent < ackTimeoutMs + 50) && Date.now() - sent < 5000) {
            // busy
          }
          const settle = Date.now() + 20;
          while (Date.now() < settle) {
            // the ack crosses loopback
          }
          resolve();
        }),
      );
      assert.equal(Atomics.load(flags, 1), round, `round ${round}: the server acked in time`);
      assert.equal(await call, null, `round ${round}: answered, not ack_timeout`);
    }
  } finally {
    c.disconnect();
    await worker.terminate();
  }
});
