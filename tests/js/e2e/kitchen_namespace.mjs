// Issue 12: the kitchen-sink fixture (`namespace: /kitchen`) served by its generated server
// (tests/tests/namespace.rs sets E2E_URL to `<base>/kitchen`): socket.io-client reaches it on
// its namespace, an unknown event is answered `unknown_event`, and `/` refuses the connection.
import { io } from 'socket.io-client';
import { assert, ask, connect, okData, run, token, GATEWAY_URL, WAIT_MS } from './lib.mjs';

run('kitchen_namespace', async () => {
  const s = await connect('u1');
  const joined = okData(await ask(s, 'board:subscribe', { boardId: 'b1' }), 'board:subscribe');
  assert.equal(joined.members, 1);
  const unknown = await ask(s, 'no:such_event', { x: 1 });
  assert.equal(unknown.ok, false, 'an unknown event is refused');
  assert.equal(unknown.error.code, 'unknown_event');

  const root = io(new URL(GATEWAY_URL).origin, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: WAIT_MS, auth: { token: token('u1') } });
  const refused = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('`/`: neither connected nor refused')), WAIT_MS);
    root.once('connect', () => {
      clearTimeout(timer);
      root.close();
      reject(new Error('`/` accepted a connection'));
    });
    root.once('connect_error', (e) => {
      clearTimeout(timer);
      root.close();
      resolve(e.message);
    });
  });
  return { joined, unknown: unknown.error.code, refused };
});
