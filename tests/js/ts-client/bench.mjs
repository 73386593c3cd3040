// Figures for the TS client (printed, never asserted on speed): the esbuild bundle of runtime +
// generated layer (minified, gzipped, socket.io-client and react excluded), and the client's
// own CPU per reliable message against a bare emit on the same scripted socket (which acks at
// once), so socket.io-client's encoding and the network are left out of both; and the same
// against a bare socket.io-client emit over a real loopback connection to an in-process socket.io
// server (process CPU, so the server's equal share is in both figures and cancels out).
import { buildSync } from 'esbuild';
import http from 'node:http';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { chat, fakeServer, realtime } from './fake.mjs';

const src = process.env.TS_CLIENT_SRC;
if (!src) throw new Error('TS_CLIENT_SRC (generated/ts) is not set');

function bundle(entry) {
  const r = buildSync({
    entryPoints: [`${src}/${entry}`],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    external: ['socket.io-client', 'react'],
    write: false,
    logLevel: 'silent',
  });
  const code = r.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/** Interleaved rounds of `bare` and `typed` (each sends n messages, 100 in flight); medians in ns. */
async function compare(n, bare, typed) {
  const run = async (send) => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i += 100) {
      const batch = [];
      for (let j = 0; j < 100; j++) batch.push(send(i + j));
      await Promise.all(batch);
    }
    const d = process.cpuUsage(t);
    return ((d.user + d.system) * 1000) / n;
  };
  await run(bare);
  await run(typed); // warm-up
  const b = [];
  const t = [];
  for (let round = 0; round < 5; round++) {
    b.push(await run(bare));
    t.push(await run(typed));
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[2];
  return { messages: n, rounds: 5, bare_ns: Math.round(median(b)), client_ns: Math.round(median(t)), overhead_ns: Math.round(median(t) - median(b)) };
}

async function cpuOverSocketIo(n) {
  const require = createRequire(import.meta.url);
  const { Server } = require('socket.io');
  const { io } = require('socket.io-client');
  const httpServer = http.createServer();
  const server = new Server(httpServer, { transports: ['websocket'] });
  server.on('connection', (s) => s.on('chat:send_message', (_p, ack) => ack?.({ ok: true, data: { messageId: 'x' } })));
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  const raw = io(url, { transports: ['websocket'], forceNew: true, auth: { token: 't' } });
  const c = realtime.createRealtimeClient({ url, token: 't', heartbeat: null });
  await new Promise((r) => raw.once('connect', r));
  while (c.getState().status !== 'connected') await new Promise((r) => setTimeout(r, 10));
  const result = await compare(
    n,
    (i) => new Promise((resolve) => raw.emit('chat:send_message', chat(`m${i}`), resolve)),
    (i) => c.chatSendMessage(chat(`m${i}`)),
  );
  raw.close();
  c.disconnect();
  await new Promise((r) => server.close(() => r()));
  return result;
}

async function cpuPerMessage(n) {
  const ackAll = (_s, m) => m.ack?.({ ok: true, data: { messageId: 'x' } });
  const server = fakeServer({ onEmit: ackAll });
  const c = realtime.createRealtimeClient({ url: 'http://fake', token: 't', io: server.factory, heartbeat: null });
  const socket = server.last();
  const result = await compare(
    n,
    (i) => new Promise((resolve) => socket.emit('chat:send_message', chat(`m${i}`), resolve)),
    (i) => {
      server.log.length = 0; // the scripted server keeps a log; do not let it grow
      socket.emitted.length = 0;
      return c.chatSendMessage(chat(`m${i}`));
    },
  );
  c.disconnect();
  return result;
}

const result = {
  bundle_realtime: bundle('realtime.ts'),
  bundle_realtime_react: bundle('realtime-react.ts'),
  cpu_scripted_socket: await cpuPerMessage(20000),
  cpu_over_socket_io: await cpuOverSocketIo(5000),
  node: process.version,
};
console.log(`BENCH ${JSON.stringify(result)}`);
