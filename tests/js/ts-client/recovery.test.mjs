// Recovery of missed events in the generated TypeScript client (codegen/FORMAT.md "Recovery of
// missed events"), against a scripted socket with exact timers and clock: positions read from
// the trailing `{_rec}` argument, each event delivered once and in order, `_recover` after the
// re-joins, hold-and-replay, and `resync_required` for every reason.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { fakeServer, okAck, realtime } from './fake.mjs';

const { createRealtimeClient } = realtime;
const rec = (room, epoch, offset) => ({ _rec: [{ room, epoch, offset }] });
const msg = (text) => ({ messageId: text, chatId: 'c-1', text });
/** The ack of `_recover` for chat-c-1 in epoch e1: `offsets` replayed, the last one the head. */
const replayed = (offsets) => ({
  ok: true,
  data: {
    rooms: [{ status: 'recovered', room: 'chat-c-1', epoch: 'e1', offset: offsets.at(-1), replayed: offsets.length }],
    events: offsets.map((o) => ({ event: 'chat:message', data: msg(`m${o}`), ...rec('chat-c-1', 'e1', o) })),
  },
});

/** A client in chat c-1 whose `_recover` requests land in `recovers` (answered by the test). */
function setup(options = {}) {
  const recovers = [];
  const server = fakeServer({
    onEmit: (_s, m) => {
      if (m.ev === '_recover') recovers.push(m);
      else okAck(m, {});
    },
  });
  const c = createRealtimeClient({ url: 'http://fake', token: 't', io: server.factory, heartbeat: null, autoConnect: false, ...options });
  const got = [];
  const resyncs = [];
  c.on('chat:message', (m) => got.push(m.text));
  c.onResyncRequired((r) => resyncs.push(r));
  c.connect();
  return { c, server, recovers, got, resyncs };
}

/** Drops the link, lets `awayMs` pass, and reconnects at once. */
function bounce(t, awayMs) {
  t.server.last().drop();
  mock.timers.tick(awayMs);
  t.c.resume();
}

function withClock(body) {
  return async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    try {
      await body();
    } finally {
      mock.timers.reset();
    }
  };
}

test('the catalogue has settings.recovery, so the generated client asks for missed events', () => {
  assert.equal(realtime.RECOVERY, true);
});

test('out-of-order and repeated offsets are delivered once each, in offset order; the listener sees only the payload', withClock(async () => {
  const t = setup();
  const payloads = [];
  t.c.on('chat:message', (...args) => payloads.push(args));
  for (const o of [1, 3, 2, 3, 1, 4]) t.server.last().pushArgs('chat:message', msg(`m${o}`), rec('chat-c-1', 'e1', o));
  t.server.last().push('chat:message', msg('plain'));
  assert.deepEqual(t.got, ['m1', 'm2', 'm3', 'm4', 'plain'], 'm3 waits for m2, each offset once; no position: delivered at once');
  assert.deepEqual(t.recovers, [], 'the gap filled: nothing asked for');
  assert.deepEqual(payloads[0], [msg('m1')], 'one argument, the payload');
  assert.deepEqual(t.resyncs, []);
  t.c.disconnect();
}));

test('after the re-joins, _recover asks from the last offset; the replay, then held, then live events, each once', withClock(async () => {
  const t = setup();
  await t.c.subscribeChat({ chatId: 'c-1' });
  t.server.last().pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  mock.timers.tick(300);
  bounce(t, 5200);
  const s = t.server.last();
  assert.deepEqual(s.emitted.map((m) => m.ev), ['subscribe:chat', '_recover'], 're-join first, then _recover');
  assert.equal(t.recovers.length, 1);
  assert.deepEqual(t.recovers[0].payload, { gone_ms: 5500, rooms: [{ room: 'chat-c-1', epoch: 'e1', offset: 1 }] }, 'ms since the last frame heard');
  // Live 4 and 3 arrive before the answer (3 is also in the replay): held.
  s.pushArgs('chat:message', msg('m4'), rec('chat-c-1', 'e1', 4));
  s.pushArgs('chat:message', msg('m3'), rec('chat-c-1', 'e1', 3));
  assert.deepEqual(t.got, ['m1'], 'held while the recovery is in flight');
  t.recovers[0].ack(replayed([2, 3]));
  assert.deepEqual(t.got, ['m1', 'm2', 'm3', 'm4'], 'replayed, then held, each once');
  s.pushArgs('chat:message', msg('m3'), rec('chat-c-1', 'e1', 3));
  s.pushArgs('chat:message', msg('m5'), rec('chat-c-1', 'e1', 5));
  assert.deepEqual(t.got, ['m1', 'm2', 'm3', 'm4', 'm5'], 'then live; a repeat is skipped');
  assert.deepEqual(t.resyncs, []);
  t.c.disconnect();
}));

test('resync_required reaches onResyncRequired for every reason the answer gives; the room continues from the head', withClock(async () => {
  const t = setup();
  const s1 = t.server.last();
  for (const room of ['chat-c-1', 'order-o-1', 'user-u1', 'store-s-1', 'gone-g-1']) s1.pushArgs('x:any', {}, rec(room, 'e1', 1));
  bounce(t, 1000);
  assert.deepEqual(t.recovers[0].payload.rooms.map((r) => r.room), ['chat-c-1', 'gone-g-1', 'order-o-1', 'store-s-1', 'user-u1']);
  t.recovers[0].ack({
    ok: true,
    data: {
      rooms: [
        { status: 'resync_required', room: 'chat-c-1', reason: 'too_old', epoch: 'e1', offset: 10 },
        { status: 'resync_required', room: 'order-o-1', reason: 'epoch_changed', epoch: 'e2', offset: 4 },
        { status: 'resync_required', room: 'user-u1', reason: 'capped', epoch: 'e1', offset: 9 },
        { status: 'resync_required', room: 'store-s-1', reason: 'unavailable', offset: 0 },
        { status: 'not_joined', room: 'gone-g-1' },
      ],
      events: [],
    },
  });
  assert.deepEqual(t.resyncs, [
    { room: 'chat-c-1', reason: 'too_old' },
    { room: 'order-o-1', reason: 'epoch_changed' },
    { room: 'user-u1', reason: 'capped' },
    { room: 'store-s-1', reason: 'unavailable' },
  ]);
  const s2 = t.server.last();
  s2.pushArgs('chat:message', msg('old'), rec('chat-c-1', 'e1', 10));
  s2.pushArgs('chat:message', msg('next'), rec('chat-c-1', 'e1', 11));
  assert.deepEqual(t.got, ['next'], 'continues after the head the answer gave');
  t.c.disconnect();
}));

test('a gap that stays open for 500 ms is asked for with _recover on the live link, then filled in order', withClock(async () => {
  const t = setup();
  const s = t.server.last();
  for (const o of [1, 2, 4, 5]) s.pushArgs('chat:message', msg(`m${o}`), rec('chat-c-1', 'e1', o));
  assert.deepEqual(t.got, ['m1', 'm2'], 'm4 and m5 wait for m3');
  mock.timers.tick(499);
  assert.deepEqual(t.recovers, [], 'not before the wait');
  mock.timers.tick(1);
  assert.equal(t.recovers.length, 1, 'asked once the wait is over');
  assert.deepEqual(t.recovers[0].payload.rooms, [{ room: 'chat-c-1', epoch: 'e1', offset: 2 }], 'from the last contiguous offset');
  s.pushArgs('chat:message', msg('m6'), rec('chat-c-1', 'e1', 6));
  t.recovers[0].ack(replayed([3, 4, 5]));
  assert.deepEqual(t.got, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], 'the replay, then what was held, once each');
  assert.equal(t.server.sockets.length, 1, 'on the same link');
  assert.deepEqual(t.resyncs, []);
  t.c.disconnect();
}));

test('more than 1,024 events ahead of a gap make it due at once, not after the wait', withClock(async () => {
  const t = setup({ reorderWaitMs: 60_000 });
  const s = t.server.last();
  s.pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  for (let o = 3; o < 3 + 1024; o++) s.pushArgs('chat:message', msg(`m${o}`), rec('chat-c-1', 'e1', o));
  mock.timers.tick(1000);
  assert.deepEqual(t.recovers, [], '1,024 held: still waiting');
  s.pushArgs('chat:message', msg('one more'), rec('chat-c-1', 'e1', 3 + 1024));
  mock.timers.tick(0);
  assert.equal(t.recovers.length, 1, 'one more: asked for at once');
  assert.deepEqual(t.recovers[0].payload.rooms, [{ room: 'chat-c-1', epoch: 'e1', offset: 1 }], 'from the last contiguous offset');
  assert.deepEqual(t.got, ['m1'], 'nothing delivered out of order');
  t.c.disconnect();
}));

test('past 4,096 events held during a _recover, the rest is asked for again once the answer is in; each arrives once, in order', withClock(async () => {
  const t = setup();
  await t.c.subscribeChat({ chatId: 'c-1' });
  t.server.last().pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  bounce(t, 1000);
  const s = t.server.last();
  assert.equal(t.recovers.length, 1);
  // A busy room while the request is in flight: more live events than the client holds.
  const last = 1 + 4096 + 10;
  for (let o = 2; o <= last; o++) s.pushArgs('chat:message', msg(`m${o}`), rec('chat-c-1', 'e1', o));
  assert.deepEqual(t.got, ['m1'], 'held while the recovery is in flight');
  t.recovers[0].ack(replayed([1]));
  assert.equal(t.got.length, 1 + 4096, 'the held events are delivered');
  assert.equal(t.recovers.length, 1, 'the second request waits for the timer turn');
  mock.timers.tick(0);
  assert.equal(t.recovers.length, 2, 'then asked for at once, not after the reorder wait');
  assert.deepEqual(t.recovers[1].payload.rooms, [{ room: 'chat-c-1', epoch: 'e1', offset: 1 + 4096 }], 'from the last delivered offset');
  const rest = [];
  for (let o = 2 + 4096; o <= last; o++) rest.push(o);
  t.recovers[1].ack(replayed(rest));
  const want = [];
  for (let o = 1; o <= last; o++) want.push(`m${o}`);
  assert.deepEqual(t.got, want, 'every event once, in order');
  assert.deepEqual(t.resyncs, []);
  t.c.disconnect();
}));

test('a new epoch of a known room waits for its offset 1', withClock(async () => {
  const t = setup();
  t.server.last().pushArgs('chat:message', msg('a'), rec('chat-c-1', 'e1', 7));
  t.server.last().pushArgs('chat:message', msg('c'), rec('chat-c-1', 'e2', 2));
  t.server.last().pushArgs('chat:message', msg('b'), rec('chat-c-1', 'e2', 1));
  assert.deepEqual(t.got, ['a', 'b', 'c']);
  assert.deepEqual(t.resyncs, [{ room: 'chat-c-1', reason: 'epoch_changed' }]);
  t.c.disconnect();
}));

test('a live event in a new epoch of a known room is resync_required (epoch_changed) and is delivered', withClock(async () => {
  const t = setup();
  t.server.last().pushArgs('chat:message', msg('a'), rec('chat-c-1', 'e1', 5));
  t.server.last().pushArgs('chat:message', msg('b'), rec('chat-c-1', 'e2', 1));
  t.server.last().pushArgs('chat:message', msg('b'), rec('chat-c-1', 'e2', 1));
  assert.deepEqual(t.got, ['a', 'b']);
  assert.deepEqual(t.resyncs, [{ room: 'chat-c-1', reason: 'epoch_changed' }]);
  t.c.disconnect();
}));

test('an unanswered _recover is resync_required (unavailable) for every known room; held events are then delivered', withClock(async () => {
  const t = setup({ ackTimeoutMs: 1000 });
  t.server.last().pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  t.server.last().pushArgs('x:any', {}, rec('user-u1', 'e1', 1));
  bounce(t, 2000);
  t.server.last().pushArgs('chat:message', msg('m3'), rec('chat-c-1', 'e1', 3));
  mock.timers.tick(999);
  assert.deepEqual([t.got, t.resyncs], [['m1'], []], 'still waiting for the answer');
  mock.timers.tick(1);
  assert.deepEqual(t.resyncs, [{ room: 'chat-c-1', reason: 'unavailable' }, { room: 'user-u1', reason: 'unavailable' }]);
  assert.deepEqual(t.got, ['m1', 'm3'], 'the held event after the failure');
  t.c.disconnect();
}));

test('a server without recovery answers unknown_event: nothing is signalled, held events are delivered', withClock(async () => {
  const t = setup();
  t.server.last().pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  bounce(t, 1000);
  t.server.last().pushArgs('chat:message', msg('m2'), rec('chat-c-1', 'e1', 2));
  t.recovers[0].ack({ ok: false, error: { code: 'unknown_event', message: 'unknown event _recover' } });
  assert.deepEqual(t.got, ['m1', 'm2']);
  assert.deepEqual(t.resyncs, []);
  t.c.disconnect();
}));

test('a link lost before the answer forgets its held events; the next link asks again from the same position', withClock(async () => {
  const t = setup();
  t.server.last().pushArgs('chat:message', msg('m1'), rec('chat-c-1', 'e1', 1));
  bounce(t, 1000);
  t.server.last().pushArgs('chat:message', msg('m3'), rec('chat-c-1', 'e1', 3));
  bounce(t, 1000);
  assert.equal(t.recovers.length, 2);
  assert.deepEqual(t.recovers[1].payload, { gone_ms: 2000, rooms: [{ room: 'chat-c-1', epoch: 'e1', offset: 1 }] }, 'gone since the first gap');
  t.recovers[1].ack(replayed([2, 3]));
  assert.deepEqual(t.got, ['m1', 'm2', 'm3']);
  t.c.disconnect();
}));

test('with recovery off, no _recover is sent and positions are not interpreted', withClock(async () => {
  const t = setup({ recovery: false });
  for (const o of [1, 1]) t.server.last().pushArgs('chat:message', msg(`m${o}`), rec('chat-c-1', 'e1', o));
  bounce(t, 1000);
  assert.deepEqual(t.got, ['m1', 'm1'], 'delivered as they come');
  assert.equal(t.recovers.length, 0);
  t.c.disconnect();
}));
