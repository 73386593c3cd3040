// The generated TypeScript client against a Node socket.io 4.8 server (the app's current backend
// stack), started in this process: typed round trips of a reliable event with ack (deduplicated
// by `_mid`), a room event and a volatile event, and a refused token.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
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
