// MUST NOT COMPILE. tests/tests/typescript.rs runs tsc on this file alone and expects exactly
// the errors named by the trailing "expect:" comments (code and line), and no others.
import { io, Socket } from 'socket.io-client';

import type { ClientToServerEvents, ServerToClientEvents } from '../../../generated/ts/socket.types';

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:3000');

// An event name the catalogue does not have (typo of `subscribe:product`).
socket.emit('subscribe:products', { productId: 'p1' }); // expect: TS2345

// A server-to-client event cannot be emitted by the client.
socket.emit('stock:updated', { productId: 'p1' }); // expect: TS2345

// Listening to an event the server never sends.
socket.on('stock:deleted', () => {}); // expect: TS2345
