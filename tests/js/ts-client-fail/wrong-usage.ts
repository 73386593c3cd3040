// MUST NOT COMPILE. tests/tests/ts_client.rs runs tsc on this file (tsconfig.client-fail.json)
// and expects exactly the errors named by the trailing "expect:" comments (code and line).
import { createRealtimeClient } from '../../../generated/ts/realtime';

const client = createRealtimeClient({ url: 'http://127.0.0.1:3000', token: 't' });

// A wrong payload: a number where the catalogue says string.
void client.subscribeChat({ chatId: 42 }); // expect: TS2322

// A missing required field.
void client.chatSendMessage({ chatId: 'c-1', timestamp: '2026-12-01T00:00:00Z' }); // expect: TS2741

// A bare-id room event given an object.
void client.joinTournament({ tournamentId: 't-1' }); // expect: TS2345

// An unknown event, by method and by wire name.
void client.subscribeProducts({ productId: 'p1' }); // expect: TS2551
client.on('stock:deleted', () => {}); // expect: TS2345

// The ack's data is typed: a chat message ack has no `orderId`.
void client.chatSendMessage({ chatId: 'c-1', message: 'hi', timestamp: '2026-12-01T00:00:00Z' }).then((a) => a.orderId); // expect: TS2339

// A listener's payload is typed too.
client.onChatMessage((m) => m.total.toFixed()); // expect: TS2339

// Options are checked: the token is a string.
createRealtimeClient({ url: 'http://127.0.0.1:3000', token: 7 }); // expect: TS2322
