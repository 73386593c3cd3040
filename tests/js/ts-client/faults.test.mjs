// The generated TypeScript client through a small TCP proxy in front of the real Rust gateway:
// cut, black-hole, gateway restart on the same port. tests/tests/ts_client.rs starts the gateway
// and a control port (CONTROL_ADDR: `effects` -> the stored chat c-1 message ids as JSON,
// `stop`, `start`). After each fault: every acknowledged message had exactly one effect,
// queued messages arrived in order, rooms were back before the drain, every drop was reported.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { chat, realtime, until } from './fake.mjs';

const { createRealtimeClient } = realtime;
const [GW_HOST, GW_PORT] = new globalThis.URL(process.env.E2E_URL).host.split(':');
const TOKENS = JSON.parse(process.env.E2E_TOKENS ?? '{}');

function control(command) {
  const [host, port] = process.env.CONTROL_ADDR.split(':');
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host, () => s.write(`${command}\n`));
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) {
        s.end();
        resolve(buf.trim());
      }
    });
    s.on('error', reject);
  });
}
const effects = async () => JSON.parse(await control('effects'));

/**
 * Forwards 127.0.0.1:port to the gateway; `cut()` closes every pair, `blackhole` drops bytes,
 * `down` refuses new connections.
 */
async function proxy() {
  const pairs = new Set();
  const p = { blackhole: false, down: false, connections: 0 };
  const server = net.createServer((client) => {
    if (p.down) return client.destroy();
    p.connections++;
    const upstream = net.connect(Number(GW_PORT), GW_HOST);
    const pair = [client, upstream];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => p.blackhole || upstream.write(d));
    upstream.on('data', (d) => p.blackhole || client.write(d));
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${server.address().port}`;
  p.cut = () => [...pairs].forEach(([a, b]) => (a.destroy(), b.destroy()));
  p.close = () => (p.cut(), server.close());
  return p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A client through `px` in chat c-1 that records what it receives and drops. */
async function member(px) {
  await sleep(1100); // chat:send_message allows 10/s per user: start each fault with a full bucket
  const c = createRealtimeClient({
    url: px.url,
    token: TOKENS.u1,
    ackTimeoutMs: 10000,
    backoff: { delaysMs: [100, 200, 400] },
    // A short heartbeat so a black-holed link is noticed in about a second.
    heartbeat: { event: 'heartbeat', intervalMs: 300, maxMissed: 2 },
  });
  const rec = { got: [], drops: [], c };
  c.onChatMessage((m) => rec.got.push(m.text));
  c.onDropped((d) => rec.drops.push(d));
  await until('connected', () => c.getState().status === 'connected');
  await c.subscribeChat({ chatId: 'c-1' });
  return rec;
}

/** Sends `texts`, waits for every ack and checks the effects and the member's room. */
async function deliveredOnce(rec, before, sends, texts) {
  const acks = await Promise.all(sends);
  const ids = acks.map((a) => a.messageId);
  assert.equal(new Set(ids).size, ids.length, 'one message id per message');
  const after = await effects();
  const added = after.slice(before.length);
  assert.deepEqual(added, ids, 'exactly one effect per acknowledged message, in send order');
  // The member's room was back before the drain: it receives its own queued messages.
  await until('own messages back through the room', () => texts.every((t) => rec.got.includes(t)));
  assert.deepEqual(rec.got.filter((t) => texts.includes(t)), texts, 'received once each, in order');
  assert.deepEqual(rec.drops, [], 'nothing dropped');
}

test('cut: messages in flight and queued are delivered once, in order, after the reconnect', async () => {
  const px = await proxy();
  const rec = await member(px);
  const before = await effects();
  const texts = Array.from({ length: 6 }, (_, i) => `cut-${i}`);
  const sends = texts.slice(0, 3).map((t) => rec.c.chatSendMessage(chat(t)));
  px.cut(); // some of the first three may have reached the server, their acks lost
  sends.push(...texts.slice(3).map((t) => rec.c.chatSendMessage(chat(t))));
  await deliveredOnce(rec, before, sends, texts);
  assert.ok(px.connections >= 2, 'reconnected through the proxy');
  rec.c.disconnect();
  px.close();
});

test('black-hole: the heartbeat declares the link dead; nothing is lost or doubled', async () => {
  const px = await proxy();
  const rec = await member(px);
  const before = await effects();
  px.blackhole = true;
  const texts = ['bh-0', 'bh-1', 'bh-2'];
  const sends = texts.map((t) => rec.c.chatSendMessage(chat(t)));
  await until('reconnecting', () => rec.c.getState().status !== 'connected', 5000);
  px.blackhole = false;
  px.cut(); // the old, silent pair goes away as a dead link would
  await deliveredOnce(rec, before, sends, texts);
  rec.c.disconnect();
  px.close();
});

test('gateway restart on the same port: queued messages arrive once, in order, rooms restored', async () => {
  const px = await proxy();
  const rec = await member(px);
  assert.equal(await control('stop'), 'ok');
  await until('reconnecting', () => rec.c.getState().status === 'reconnecting', 5000);
  const texts = ['rs-0', 'rs-1', 'rs-2', 'rs-3'];
  const sends = texts.map((t) => rec.c.chatSendMessage(chat(t)));
  assert.equal(rec.c.getQueueSize(), 4);
  await sleep(300);
  assert.equal(await control('start'), 'ok');
  const before = []; // a restarted gateway starts with an empty store
  await deliveredOnce(rec, before, sends, texts);
  rec.c.disconnect();
  px.close();
});

test('recovery: events sent while the client is away arrive once, in order, after the reconnect, then live ones', async () => {
  const px = await proxy();
  const rec = await member(px);
  const resyncs = [];
  rec.c.onResyncRequired((r) => resyncs.push(r));
  const other = createRealtimeClient({ url: process.env.E2E_URL, token: TOKENS.u2, heartbeat: null });
  try {
    await until('u2 connected', () => other.getState().status === 'connected');
    await other.subscribeChat({ chatId: 'c-1' });
    await other.chatSendMessage(chat('rec-0'));
    await until('rec-0 at u1', () => rec.got.includes('rec-0'));
    px.down = true;
    px.cut();
    await until('u1 away', () => rec.c.getState().status !== 'connected', 5000);
    const missed = ['rec-1', 'rec-2', 'rec-3', 'rec-4', 'rec-5'];
    for (const t of missed) await other.chatSendMessage(chat(t));
    assert.ok(!rec.got.includes('rec-1'), 'sent while u1 was away');
    px.down = false;
    await until('u1 back', () => rec.c.getState().status === 'connected', 5000);
    await until('the missed ones', () => rec.got.includes('rec-5'), 5000);
    await other.chatSendMessage(chat('rec-6'));
    await until('the live one', () => rec.got.includes('rec-6'), 5000);
    assert.deepEqual(rec.got.filter((t) => t.startsWith('rec-')), ['rec-0', ...missed, 'rec-6'], 'the missed ones once, in order, then live');
    assert.deepEqual(resyncs, [], 'nothing to resync');
  } finally {
    // Also on failure, so node exits at once instead of at the harness's timeout.
    other.disconnect();
    rec.c.disconnect();
    px.close();
  }
});
