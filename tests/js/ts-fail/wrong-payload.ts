// MUST NOT COMPILE. tests/tests/typescript.rs runs tsc on this file alone and expects exactly
// the errors named by the trailing "expect:" comments (code and line), and no others.
import { io, Socket } from 'socket.io-client';

import type {
  ClientToServerEvents,
  ServerToClientEvents,
  StockStatus,
} from '../../../generated/ts/socket.types';

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:3000');

// A number where the catalogue says string.
socket.emit('subscribe:product', { productId: 42 }); // expect: TS2322

// A required field left out.
socket.emit('subscribe:store', {}); // expect: TS2741

// Reading a numeric field as a string.
socket.on('stock:updated', (p) => {
  const s: string = p.quantity; // expect: TS2322
  void s;
});

// A value outside a string union.
const status: StockStatus = 'SOLD_OUT'; // expect: TS2322
void status;

// A bare-id room event given an object: the backend reads the id as the whole argument.
socket.emit('join-tournament', { tournamentId: 't-1' }); // expect: TS2345

// A no-payload event given a payload.
socket.emit('subscribe:feed', { userId: 'u1' }); // expect: TS2353

// The ack's data is only readable after narrowing on `ok`.
socket.emit('subscribe:product', { productId: 'p1' }, (res) => {
  void res.data; // expect: TS2339
});
