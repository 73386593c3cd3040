// MUST NOT COMPILE. tests/tests/typescript.rs runs tsc on this file alone and expects exactly
// the errors named by the trailing "expect:" comments (code and line), and no others.
// The backend's side: a socket.io 4.8 Server typed with the generated maps.
import { Server } from 'socket.io';

import type { ClientToServerEvents, ServerToClientEvents } from '../../../generated/ts/socket.types';

const io = new Server<ClientToServerEvents, ServerToClientEvents>();

// A number where the catalogue says string.
io.to('order-o1').emit('order:list_updated', { orderId: 1, orderNumber: 'RZ-1', newStatus: 'ready', timestamp: '' }); // expect: TS2322

// A required field left out (the app reads `direction`).
io.emit('leaderboard:rank_change', { userId: 'u1', username: 'u', fullName: 'U', oldRank: 2, newRank: 1, coins: 1, timestamp: '' }); // expect: TS2741

// An event the catalogue does not have (the seed era's name for what is now `flashsale:batch_ended`'s key).
io.emit('flashsale:ended_all', { count: 1 }); // expect: TS2345

io.on('connection', (socket) => {
  // Answering an ack with the wrong data type.
  socket.on('heartbeat', (_payload, ack) => {
    ack?.({ ok: true, data: { serverTime: 42 } }); // expect: TS2322
  });
  // Handling an event clients never send.
  socket.on('subscribe:everything', () => {}); // expect: TS2345
});
