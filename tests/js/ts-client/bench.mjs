// Figures for the TS client (printed, never asserted on speed): the esbuild bundle of runtime +
// generated layer (minified, gzipped, socket.io-client and react excluded), and the client's
// own CPU per reliable message against a bare emit on the same scripted socket (which acks at
// once), so socket.io-client's encoding and the network are left out of both.
import { buildSync } from 'esbuild';
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

async function cpuPerMessage(n) {
  const ackAll = (_s, m) => m.ack?.({ ok: true, data: { messageId: 'x' } });
  const server = fakeServer({ onEmit: ackAll });
  const c = realtime.createRealtimeClient({ url: 'http://fake', token: 't', io: server.factory, heartbeat: null });
  const socket = server.last();
  const run = async (send) => {
    server.log.length = 0;
    socket.emitted.length = 0;
    const t = process.cpuUsage();
    for (let i = 0; i < n; i += 100) {
      const batch = [];
      for (let j = 0; j < 100; j++) batch.push(send(i + j));
      await Promise.all(batch);
    }
    const d = process.cpuUsage(t);
    return ((d.user + d.system) * 1000) / n; // ns per message
  };
  const bare = () => run((i) => new Promise((resolve) => socket.emit('chat:send_message', chat(`m${i}`), resolve)));
  const typed = () => run((i) => c.chatSendMessage(chat(`m${i}`)));
  await bare();
  await typed(); // warm-up
  const b = [];
  const t = [];
  for (let round = 0; round < 5; round++) {
    b.push(await bare());
    t.push(await typed());
  }
  c.disconnect();
  const median = (xs) => [...xs].sort((x, y) => x - y)[2];
  return { messages: n, rounds: 5, bare_ns: Math.round(median(b)), client_ns: Math.round(median(t)), overhead_ns: Math.round(median(t) - median(b)) };
}

const result = {
  bundle_realtime: bundle('realtime.ts'),
  bundle_realtime_react: bundle('realtime-react.ts'),
  cpu: await cpuPerMessage(20000),
  node: process.version,
};
console.log(`BENCH ${JSON.stringify(result)}`);
