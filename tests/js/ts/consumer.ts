// A React Native-style consumer of the generated Socket.IO types, checked with
// `tsc --strict --noEmit` by tests/tests/typescript.rs. It is never run: it only has to
// type-check. Field reads are pinned with annotated assignments (`const q: number = p.quantity`)
// so a changed field type breaks the build here.
import { io, Socket } from 'socket.io-client';

import {
  MessagingSocketEvents,
  OrderSocketEvents,
  SocketEvents,
  SocketEventsExtended,
} from '../../../generated/ts/socket.types';
import type {
  AckErrorCode,
  AckResponse,
  ChatMessageCallback,
  ClientToServerEventName,
  ClientToServerEvents,
  ClientToServerPayloads,
  ConnectionCallback,
  Conversation,
  ConversationStatus,
  DeliveryPartner,
  ErrorCallback,
  FlashSaleStartedCallback,
  LeaderboardPeriod,
  LeaderboardUpdateCallback,
  LowStockCallback,
  Message,
  MessageStatus,
  MessageType,
  OrderDelivered,
  OrderETAUpdateCallback,
  OrderLocationUpdate,
  OrderPartnerAssigned,
  OrderStatusUpdate,
  OrderStatusChangeCallback,
  OrderTimelineUpdate,
  ParticipantType,
  PriceUpdateCallback,
  ServerToClientEventName,
  ServerToClientEvents,
  ServerToClientPayloads,
  SocialNewPostCallback,
  SocketConfig,
  SocketState,
  StockStatus,
  StockUpdateCallback,
  StockUpdatePayload,
  SubscriptionOptions,
  TypingPayload,
} from '../../../generated/ts/socket.types';

// --- The typed socket, configured like the app ------------------------------------------------

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:3000', {
  transports: ['websocket', 'polling'],
  auth: { token: 't' },
  reconnection: true,
  reconnectionAttempts: 10,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 16000,
});

// --- Reserved events: on the socket (connect, connect_error, disconnect) ---------------------

const onConnect: ConnectionCallback = () => {};
const onError: ErrorCallback = (error) => {
  const m: string = error.message;
  void m;
};
socket.on(SocketEvents.CONNECT, onConnect);
socket.on(SocketEvents.CONNECT_ERROR, onError);
socket.on(SocketEvents.DISCONNECT, (reason) => {
  const r: string = reason;
  void r;
});
// ...and the reconnect family, which socket.io-client v4 emits on the Manager (`socket.io`),
// not on the Socket.
socket.io.on(SocketEvents.RECONNECT, (attempt) => {
  const n: number = attempt;
  void n;
});
socket.io.on(SocketEvents.RECONNECT_ATTEMPT, (attempt) => {
  const n: number = attempt;
  void n;
});
socket.io.on(SocketEvents.RECONNECT_ERROR, onError);
socket.io.on(SocketEvents.RECONNECT_FAILED, onConnect);

// --- Server-to-client events with typed payloads --------------------------------------------

socket.on('stock:updated', (p) => {
  const id: string = p.productId;
  const q: number = p.quantity;
  const s: StockStatus = p.status;
  const prev: number | undefined = p.previousQuantity;
  const ts: string = p.timestamp;
  void [id, q, s, prev, ts];
});

const onStock: StockUpdateCallback = (p: StockUpdatePayload) => {
  const q: number = p.quantity;
  void q;
};
socket.on(SocketEvents.STOCK_UPDATED, onStock);
socket.off(SocketEvents.STOCK_UPDATED, onStock);

const onLowStock: LowStockCallback = (p) => {
  const t: number = p.threshold;
  void t;
};
socket.on(SocketEvents.STOCK_LOW, onLowStock);
socket.on(SocketEvents.STOCK_OUT, (p) => {
  const name: string = p.productName;
  void name;
});

const onPrice: PriceUpdateCallback = (p) => {
  const d: number | undefined = p.discountPercentage;
  const n: number = p.newPrice;
  void [d, n];
};
socket.on(SocketEvents.PRICE_UPDATED, onPrice);
socket.on(SocketEvents.PRODUCT_AVAILABILITY, (p) => {
  const a: boolean = p.isAvailable;
  const r: string | undefined = p.reason;
  void [a, r];
});

const onFlashSale: FlashSaleStartedCallback = (p) => {
  const pct: number = p.discountPercentage;
  const end: string = p.endTime;
  void [pct, end];
};
socket.on(SocketEvents.FLASH_SALE_STARTED, onFlashSale);
socket.on('flashsale:stock_updated', (p) => {
  const progress: number = p.progress;
  void progress;
});

const onLeaderboard: LeaderboardUpdateCallback = (p) => {
  const who: string = `${p.fullName} (@${p.username}, ${p.userId})`;
  const moved: number | undefined = p.previousRank === undefined ? undefined : p.previousRank - p.rank;
  const coins: number = p.coins;
  void [who, moved, coins];
};
socket.on(SocketEvents.LEADERBOARD_UPDATE, onLeaderboard);
socket.on(SocketEventsExtended.LEADERBOARD_RANKING, (p) => {
  const period: LeaderboardPeriod = p.period;
  const firstRank: number | undefined = p.entries[0]?.rank;
  void [period, firstRank];
});
socket.on(SocketEventsExtended.LEADERBOARD_ACHIEVEMENT, (p) => {
  const pts: number = p.points;
  void pts;
});

// A deprecated social event still type-checks (editors strike it through).
const onSocialPost: SocialNewPostCallback = (p) => {
  const content: unknown = p.content;
  const user: string = p.username;
  void [content, user];
};
socket.on('social:new_post', onSocialPost);
socket.on(SocketEvents.SOCIAL_LIKE, (p) => {
  const c: number = p.likesCount;
  void c;
});

// Planned (PLAN) events through SocketEventsExtended.
socket.on(SocketEventsExtended.FEED_NEW_POST, (p) => {
  const images: string[] | undefined = p.images;
  void images;
});
const onChat: ChatMessageCallback = (p) => {
  const who: 'user' | 'agent' = p.senderType;
  const kind: 'image' | 'file' | undefined = p.attachments?.[0]?.type;
  void [who, kind];
};
socket.on(SocketEventsExtended.CHAT_MESSAGE, onChat);
socket.on(SocketEventsExtended.CART_ITEM_RELEASED, (p) => {
  const reason: 'timeout' | 'purchased' | 'removed' = p.reason;
  void reason;
});

// --- Order tracking (hooks/useOrderTracking.ts names) ------------------------------------------

socket.on(OrderSocketEvents.ORDER_STATUS_UPDATED, (p: OrderStatusUpdate) => {
  const status: string = p.status;
  const meta: Record<string, unknown> | undefined = p.metadata;
  void [status, meta];
});
socket.on(OrderSocketEvents.ORDER_OUT_FOR_DELIVERY, (p) => {
  const msg: string = p.message;
  void msg;
});
socket.on(OrderSocketEvents.ORDER_LOCATION_UPDATED, (p: OrderLocationUpdate) => {
  const lat: number = p.location.latitude;
  const lng: number = p.location.longitude;
  const driver: string = p.deliveryPartner.name;
  const dist: number | undefined = p.distanceToDestination;
  void [lat, lng, driver, dist];
});
socket.on(OrderSocketEvents.ORDER_PARTNER_ASSIGNED, (p: OrderPartnerAssigned) => {
  const partner: DeliveryPartner = p.deliveryPartner;
  const rating: number | undefined = partner.rating;
  void rating;
});
socket.on(OrderSocketEvents.ORDER_DELIVERED, (p: OrderDelivered) => {
  // Two shapes share this name on the wire: the delivery proof and the status update.
  const at: string | undefined = p.deliveredAt ?? p.timestamp;
  void at;
});
socket.on(OrderSocketEvents.ORDER_TIMELINE_UPDATED, (p: OrderTimelineUpdate) => {
  const steps: string[] = p.timeline.map((e) => e.status);
  void steps;
});
const onPlannedStatus: OrderStatusChangeCallback = (p) => {
  const eta: string | undefined = p.estimatedDelivery;
  void eta;
};
socket.on(SocketEventsExtended.ORDER_STATUS_UPDATE, onPlannedStatus);
const onEta: OrderETAUpdateCallback = (p) => {
  const delay: number | undefined = p.delayMinutes;
  void delay;
};
socket.on(OrderSocketEvents.ORDER_ETA_UPDATE, onEta);

// --- Store messaging (types/messaging.types.ts names) ------------------------------------------

socket.on(MessagingSocketEvents.MESSAGE_RECEIVED, (p) => {
  const m: Message = p.message;
  const t: MessageType = m.type;
  const st: MessageStatus = m.status;
  const from: ParticipantType = m.senderType;
  const size: number | undefined = m.attachments?.[0]?.size;
  void [t, st, from, size];
});
socket.on(MessagingSocketEvents.TYPING_START, (p: TypingPayload) => {
  const typing: boolean = p.isTyping;
  void typing;
});
socket.on(MessagingSocketEvents.CONVERSATION_UPDATED, (p) => {
  const c: Conversation = p.conversation;
  const status: ConversationStatus = c.status;
  const unread: number = c.unreadCount;
  const open: boolean | undefined = c.storeBusinessHours?.isOpen;
  void [status, unread, open];
});
socket.on(MessagingSocketEvents.STORE_JOINED_CONVERSATION, (p) => {
  const storeId: string = p.storeId;
  void storeId;
});

// --- Client-to-server events ------------------------------------------------------------------

// Without an ack.
socket.emit('subscribe:product', { productId: 'p1' });
socket.emit(SocketEvents.SUBSCRIBE_STORE, { storeId: 's1' });
socket.emit(MessagingSocketEvents.TYPING_START, { conversationId: 'c1' });
socket.emit(SocketEventsExtended.SUBSCRIBE_ORDER, { orderId: 'o1', userId: 'u1' });
socket.emit(SocketEventsExtended.SUBSCRIBE_LEADERBOARD, { period: 'all-time' });

// With an ack callback: the response is a discriminated union.
socket.emit('subscribe:product', { productId: 'p1' }, (res) => {
  const out: null | AckErrorCode = res.ok ? res.data : res.error.code;
  void out;
});
socket.emit(
  SocketEventsExtended.SEND_CHAT_MESSAGE,
  { chatId: 'c1', message: 'hi', timestamp: new Date().toISOString() },
  (res: AckResponse<{ messageId: string; timestamp: string }>) => {
    const id: string = res.ok ? res.data.messageId : res.error.message;
    void id;
  },
);

// Events without a payload: nothing but the (optional) ack.
socket.emit('subscribe:feed');
socket.emit(SocketEventsExtended.UNSUBSCRIBE_CART, (res) => {
  const ok: boolean = res.ok;
  void ok;
});
socket.emit('unsubscribe:leaderboard');

// Not here: `socket.emitWithAck(...)` and `socket.timeout(ms).emit(..., (err, res) => ...)`.
// socket.io-client 4.8's types only see an ack that is a required last parameter; the generated
// map declares it optional (`ack?: ...`, so that plain `emit` without a callback works), and then
// emitWithAck takes `any[]` and resolves to `any` (it compiles, but checks nothing), and
// timeout().emit rejects a two-argument `(err, res)` callback (TS2345).

// --- App-side state and options ---------------------------------------------------------------

const state: SocketState = {
  connected: false,
  reconnecting: true,
  error: null,
  lastConnected: new Date(),
  reconnectAttempts: 3,
};
const config: SocketConfig = {
  url: 'https://api.example.invalid',
  autoConnect: true,
  reconnection: true,
  reconnectionAttempts: 10,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 16000,
  timeout: 20000,
};
const sub: SubscriptionOptions = { productId: 'p1' };
const sub2: SubscriptionOptions = {};
const s: StockStatus = 'IN_STOCK';
const period: LeaderboardPeriod = 'weekly';
void [state, config, sub, sub2, s, period];

// --- Name maps --------------------------------------------------------------------------------

const listenName: ServerToClientEventName = SocketEvents.STOCK_OUT;
const emitName: ClientToServerEventName = SocketEventsExtended.SUBSCRIBE_CART;
const stockPayload: ServerToClientPayloads['stock:updated'] = {
  productId: 'p1',
  storeId: 's1',
  quantity: 1,
  status: 'LOW_STOCK',
  timestamp: new Date().toISOString(),
};
const noPayload: ClientToServerPayloads['subscribe:feed'] = undefined;
void [listenName, emitName, stockPayload, noPayload];

export { socket };
