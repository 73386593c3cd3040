// The React bindings (generated/ts/realtime-react.ts) under react-test-renderer, over a scripted
// socket: state changes re-render, events reach the handler, unmount unsubscribes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fakeServer, realtime } from './fake.mjs';

const require = createRequire(import.meta.url);
const React = require('react');
const { act, create } = require('react-test-renderer');
const { RealtimeProvider, useConnectionState, useRealtime, useRealtimeEvent, useResyncRequired } = require(`${process.env.TS_CLIENT_OUT}/realtime-react.js`);

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const h = React.createElement;

function setup() {
  const server = fakeServer();
  const client = realtime.createRealtimeClient({ url: 'http://fake', token: 't', io: server.factory, heartbeat: null, autoConnect: false });
  return { server, client };
}

test('useConnectionState re-renders on every state change', () => {
  const { server, client } = setup();
  const renders = [];
  function Banner() {
    const s = useConnectionState();
    renders.push(s.status);
    return s.status === 'reconnecting' ? `Reconnecting... (${s.attempt})` : s.status;
  }
  let r;
  act(() => {
    r = create(h(RealtimeProvider, { client }, h(Banner)));
  });
  assert.equal(r.toJSON(), 'disconnected');
  act(() => client.connect());
  assert.equal(r.toJSON(), 'connected');
  act(() => server.last().drop());
  assert.equal(r.toJSON(), 'Reconnecting... (1)');
  assert.deepEqual(renders.filter((s, i) => s !== renders[i - 1]), ['disconnected', 'connected', 'reconnecting']);
  act(() => r.unmount());
  assert.equal(client._stateListeners.size, 0, 'unmount unsubscribes from state changes');
  client.disconnect();
});

test('useRealtimeEvent delivers typed events, keeps one subscription across renders, unsubscribes on unmount', () => {
  const { server, client } = setup();
  client.connect();
  const got = [];
  function Chat({ tag }) {
    useRealtimeEvent('chat:message', (m) => got.push(`${tag}:${m.text}`));
    return null;
  }
  let r;
  act(() => {
    r = create(h(RealtimeProvider, { client }, h(Chat, { tag: 'a' })));
  });
  act(() => server.last().push('chat:message', { text: 'one' }));
  act(() => r.update(h(RealtimeProvider, { client }, h(Chat, { tag: 'b' }))));
  act(() => server.last().push('chat:message', { text: 'two' }));
  assert.deepEqual(got, ['a:one', 'b:two'], 'the latest handler is called');
  assert.equal(client._eventListeners.get('chat:message').size, 1, 'one subscription, not one per render');
  act(() => r.unmount());
  assert.equal(client._eventListeners.get('chat:message').size, 0, 'unmount unsubscribes');
  server.last().push('chat:message', { text: 'three' });
  assert.deepEqual(got, ['a:one', 'b:two']);
  client.disconnect();
});

test('useResyncRequired reports rooms to refetch while mounted and unsubscribes on unmount', () => {
  const { server, client } = setup();
  client.connect();
  const got = [];
  function Screen() {
    useResyncRequired((r) => got.push(r));
    return null;
  }
  let r;
  act(() => {
    r = create(h(RealtimeProvider, { client }, h(Screen)));
  });
  const at = (epoch) => ({ _rec: [{ room: 'chat-c-1', epoch, offset: 1 }] });
  act(() => server.last().pushArgs('chat:message', { text: 'one' }, at('e1')));
  act(() => server.last().pushArgs('chat:message', { text: 'two' }, at('e2')));
  assert.deepEqual(got, [{ room: 'chat-c-1', reason: 'epoch_changed' }]);
  act(() => r.unmount());
  assert.equal(client._resyncListeners.size, 0, 'unmount unsubscribes');
  client.disconnect();
});

test('useRealtime without a provider throws a clear error', () => {
  function Orphan() {
    useRealtime();
    return null;
  }
  const errors = [];
  const original = console.error;
  console.error = (...a) => errors.push(a); // React logs the thrown error; keep the output clean
  try {
    assert.throws(() => act(() => create(h(Orphan))), /needs a <RealtimeProvider/);
  } finally {
    console.error = original;
  }
});
