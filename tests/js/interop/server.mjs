// A real Node socket.io server for the Rust client's interop tests (tests/tests/client_interop.rs).
//
// Protocol with the Rust side: the first stdout line is `PORT <n>` (listening on 127.0.0.1:<n>,
// WebSocket transport only); every later stdout line is one JSON object describing something
// the server saw, in the order it happened. The process exits when its stdin closes (the Rust
// test holds the pipe) or after a watchdog, so it never outlives a test.
//
// Behaviour:
// - connect middleware: `auth.token` must be 'good', else `Invalid or expired token`;
// - `echo`: acks `{ ok: true, data: payload }` and logs the payload's `_mid`, if any;
// - `ping:me`: emits `pong:you` with the payload to this socket, then acks;
// - `ask`: asks the client `question` `{ q: 1 }` with an ack (2 s timeout), logs the answer,
//   then acks `ask` with `{ answered }`;
// - `slowjoin` / `fastjoin`: join `payload.room`, acking after 300 ms / at once (an async
//   server may answer out of order); the join is logged when it completes.

import http from 'node:http';
import { Server } from 'socket.io';

const WATCHDOG_MS = 60_000;

function log(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ['websocket'] });
let connections = 0;

io.use((socket, next) => {
  if (socket.handshake.auth?.token === 'good') {
    next();
  } else {
    log({ type: 'refused', token: socket.handshake.auth?.token ?? null });
    next(new Error('Invalid or expired token'));
  }
});

io.on('connection', (socket) => {
  const conn = ++connections;
  log({ type: 'connected', conn });
  const reply = (ack, data) => {
    if (typeof ack === 'function') ack({ ok: true, data });
  };

  socket.on('echo', (payload, ack) => {
    log({ type: 'echo', conn, mid: payload?._mid ?? null, payload });
    reply(ack, payload);
  });

  socket.on('ping:me', (payload, ack) => {
    socket.emit('pong:you', payload);
    reply(ack, null);
  });

  socket.on('ask', (payload, ack) => {
    socket.timeout(2000).emit('question', { q: 1 }, (err, ...args) => {
      log({ type: 'answer', conn, error: err ? String(err.message ?? err) : null, args });
      reply(ack, { answered: !err });
    });
  });

  const join = (delay) => (payload, ack) => {
    const done = () => {
      socket.join(String(payload?.room));
      log({ type: 'joined', conn, room: payload?.room ?? null });
      reply(ack, null);
    };
    if (delay > 0) setTimeout(done, delay);
    else done();
  };
  socket.on('slowjoin', join(300));
  socket.on('fastjoin', join(0));

  socket.on('disconnect', (reason) => log({ type: 'disconnected', conn, reason }));
});

httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${httpServer.address().port}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
setTimeout(() => {
  console.error('interop server: watchdog expired');
  process.exit(3);
}, WATCHDOG_MS).unref();
