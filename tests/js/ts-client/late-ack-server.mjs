// A socket.io server on a worker thread (node-server.test.mjs): it answers `subscribe:chat` 50 ms
// late while the test blocks the client's thread. `flags` (shared): [joins received, joins acked].
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Server } from 'socket.io';

const flags = new Int32Array(workerData.flags);
const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ['websocket'] });
io.on('connection', (socket) => {
  socket.on('subscribe:chat', (_p, ack) => {
    Atomics.add(flags, 0, 1);
    setTimeout(() => {
      ack?.({ ok: true, data: null });
      Atomics.add(flags, 1, 1);
    }, 50);
  });
});
httpServer.listen(0, '127.0.0.1', () => parentPort.postMessage(httpServer.address().port));
