// Written for this repo in the style of the Rez app's hooks and SocketContext (seed era,
// Mukulraj109/rez-frontend, and current, imrejaul007/rez-app-new); no app code is copied. It
// imports every name either app version imports from `types/socket.types.ts` and reads every
// `SocketEvents` key their socket files read, with the payload fields those files read. A name,
// key or field the generated file loses fails `tsc` here.
import { io, Socket } from 'socket.io-client';

import { EarningsSocketEvents, MerchantSocketEvents, SocketEvents, TournamentSocketEvents } from '../../../generated/ts/socket.types';
import type {
  CashbackCreditedCallback,
  CashbackCreditedPayload,
  CashbackReversedCallback,
  ClientToServerEvents,
  ConnectionCallback,
  ErrorCallback,
  FlashSaleEndedCallback,
  FlashSaleEndedPayload,
  FlashSaleEndingSoonCallback,
  FlashSaleEndingSoonPayload,
  FlashSaleSoldOutCallback,
  FlashSaleSoldOutPayload,
  FlashSaleStartedCallback,
  FlashSaleStartedPayload,
  FlashSaleStockLowCallback,
  FlashSaleStockLowPayload,
  FlashSaleStockUpdatedCallback,
  FlashSaleStockUpdatedPayload,
  JoinTournamentPayload,
  LeaderboardRankChangePayload,
  LeaderboardUpdatePayload,
  LeaderboardUserScoredPayload,
  LowStockCallback,
  LowStockPayload,
  OrderListUpdatedCallback,
  OrderListUpdatedPayload,
  OrderStatusUpdateCallback,
  OrderStatusUpdatePayload,
  OutOfStockCallback,
  OutOfStockPayload,
  PriceUpdateCallback,
  PriceUpdatePayload,
  ProductAvailabilityCallback,
  ProductAvailabilityPayload,
  RoomKey,
  ServerToClientEvents,
  SocialCommentPayload,
  SocialFollowPayload,
  SocialLikePayload,
  SocialNewPostPayload,
  SocketConfig,
  SocketState,
  StockUpdateCallback,
  StockUpdatePayload,
  StreakBrokenCallback,
  StreakMilestoneCallback,
  StreakMilestonePayload,
} from '../../../generated/ts/socket.types';

// Like the app: an untyped socket, listeners registered by constant key.
const socket: Socket = io('http://localhost:5001', { transports: ['websocket', 'polling'], auth: { token: 't' } });
const config: SocketConfig = { url: 'http://localhost:5001', reconnection: true, reconnectionAttempts: 10 };
let state: SocketState = { connected: false, reconnecting: false, error: null, lastConnected: null, reconnectAttempts: 0 };

// --- SocketContext: connection lifecycle -------------------------------------------------------
const onConnect: ConnectionCallback = () => {
  state = { ...state, connected: true, lastConnected: new Date(), reconnectAttempts: 0 };
};
const onError: ErrorCallback = (error) => {
  state = { ...state, error: error.message };
};
socket.on(SocketEvents.CONNECT, onConnect);
socket.on(SocketEvents.DISCONNECT, () => { state = { ...state, connected: false }; });
socket.on(SocketEvents.CONNECT_ERROR, onError);
socket.io.on(SocketEvents.RECONNECT_ATTEMPT, (n: number) => { state = { ...state, reconnecting: true, reconnectAttempts: n }; });
socket.io.on(SocketEvents.RECONNECT, onConnect);
socket.io.on(SocketEvents.RECONNECT_ERROR, onError);
socket.io.on(SocketEvents.RECONNECT_FAILED, () => { state = { ...state, reconnecting: false }; });

// --- SocketContext: stock, price, availability; subscriptions ---------------------------------
function subscribeToProduct(productId: string) { socket.emit(SocketEvents.SUBSCRIBE_PRODUCT, { productId }); }
function unsubscribeFromProduct(productId: string) { socket.emit(SocketEvents.UNSUBSCRIBE_PRODUCT, { productId }); }
function subscribeToStore(storeId: string) { socket.emit(SocketEvents.SUBSCRIBE_STORE, { storeId }); }
function unsubscribeFromStore(storeId: string) { socket.emit(SocketEvents.UNSUBSCRIBE_STORE, { storeId }); }
function subscribeToOrder(orderId: string, userId?: string) { socket.emit(SocketEvents.SUBSCRIBE_ORDER, { orderId, userId }); }
function unsubscribeFromOrder(orderId: string) { socket.emit(SocketEvents.UNSUBSCRIBE_ORDER, { orderId }); }

const onStockUpdate: StockUpdateCallback = (p: StockUpdatePayload) => {
  const available: number = typeof p.quantity === 'number' ? p.quantity : 0;
  void [p.productId, p.storeId, p.status, available];
};
const onLowStock: LowStockCallback = (p: LowStockPayload) => void [p.productName, p.quantity, p.threshold];
const onOutOfStock: OutOfStockCallback = (p: OutOfStockPayload) => void [p.productId, p.productName, p.storeName];
const onPriceUpdate: PriceUpdateCallback = (p: PriceUpdatePayload) => void [p.oldPrice, p.newPrice, p.discountPercentage];
const onAvailability: ProductAvailabilityCallback = (p: ProductAvailabilityPayload) => void [p.isAvailable, p.reason];
socket.on(SocketEvents.STOCK_UPDATED, onStockUpdate);
socket.on(SocketEvents.STOCK_LOW, onLowStock);
socket.on(SocketEvents.STOCK_OUT, onOutOfStock);
socket.on(SocketEvents.PRICE_UPDATED, onPriceUpdate);
socket.on(SocketEvents.PRODUCT_AVAILABILITY, onAvailability);

// --- SocketContext: flash sales -------------------------------------------------------------
const onSaleStarted: FlashSaleStartedCallback = (p: FlashSaleStartedPayload) => void [p.title, p.discountPercentage, p.endTime];
const onSaleEndingSoon: FlashSaleEndingSoonCallback = (p: FlashSaleEndingSoonPayload) => void [p.endTime, p.remainingQuantity];
// Registered under FLASH_SALE_ENDED, which is now 'flashsale:batch_ended' ({count}): refetch.
const onSaleEnded: FlashSaleEndedCallback = (p: FlashSaleEndedPayload) => void p;
const onSaleStock: FlashSaleStockUpdatedCallback = (p: FlashSaleStockUpdatedPayload) => void [p.soldQuantity, p.progress];
const onSaleStockLow: FlashSaleStockLowCallback = (p: FlashSaleStockLowPayload) => void [p.remainingQuantity, p.progress];
const onSoldOut: FlashSaleSoldOutCallback = (p: FlashSaleSoldOutPayload) => void [p.flashSaleId, p.title];
socket.on(SocketEvents.FLASH_SALE_STARTED, onSaleStarted);
socket.on(SocketEvents.FLASH_SALE_ENDING_SOON, onSaleEndingSoon);
socket.on(SocketEvents.FLASH_SALE_ENDED, onSaleEnded);
socket.on(SocketEvents.FLASH_SALE_STOCK_UPDATED, onSaleStock);
socket.on(SocketEvents.FLASH_SALE_STOCK_LOW, onSaleStockLow);
socket.on(SocketEvents.FLASH_SALE_SOLD_OUT, onSoldOut);
const batchEnded: 'flashsale:batch_ended' = SocketEvents.FLASH_SALE_ENDED;

// --- Current SocketContext and services/socketService: orders, cashback, streaks --------------
const onOrderStatus: OrderStatusUpdateCallback = (p: OrderStatusUpdatePayload) => {
  const line = `${p.orderNumber}: ${p.previousStatus ?? '?'} -> ${p.status} (${p.message})`;
  const owner: unknown = p.metadata?.userId;
  void [line, p.timestamp, p.estimatedDeliveryTime, owner];
};
const statusEvents = [
  SocketEvents.ORDER_STATUS_UPDATED, SocketEvents.ORDER_CONFIRMED, SocketEvents.ORDER_PREPARING,
  SocketEvents.ORDER_READY, SocketEvents.ORDER_DISPATCHED, SocketEvents.ORDER_OUT_FOR_DELIVERY,
  SocketEvents.ORDER_DELIVERED, SocketEvents.ORDER_CANCELLED, 'order:refunded',
] as const;
statusEvents.forEach((ev) => socket.on(ev, onOrderStatus));
const onOrderList: OrderListUpdatedCallback = (p: OrderListUpdatedPayload) => {
  const counts: { active: number; past: number } | undefined = p.counts;
  void [p.orderId, p.orderNumber, p.newStatus, p.previousStatus, counts, p.timestamp];
};
socket.on(SocketEvents.ORDER_LIST_UPDATED, onOrderList);
const onCashback: CashbackCreditedCallback = (p: CashbackCreditedPayload) => void [p.amount, p.currency, p.cashbackRate, p.orderId];
const onCashbackReversed: CashbackReversedCallback = (p) => void [p.amount, p.reason];
const onStreak: StreakMilestoneCallback = (p: StreakMilestonePayload) => {
  const kind: 'daily_checkin' | 'spending' | 'orders' | 'referral' = p.milestoneType;
  void [p.streakCount, kind, p.milestoneValue, p.rewardCoins, p.badge];
};
const onStreakBroken: StreakBrokenCallback = (p) => void [p.previousStreak, p.reason];
socket.on(SocketEvents.CASHBACK_CREDITED, onCashback);
socket.on(SocketEvents.CASHBACK_REVERSED, onCashbackReversed);
socket.on(SocketEvents.STREAK_MILESTONE, onStreak);
socket.on(SocketEvents.STREAK_BROKEN, onStreakBroken);

// --- useOrderTracking: the remaining order keys -----------------------------------------------
for (const ev of [
  SocketEvents.ORDER_CREATED, SocketEvents.ORDER_LOCATION_UPDATED, SocketEvents.ORDER_PARTNER_ASSIGNED,
  SocketEvents.ORDER_PARTNER_ARRIVED, SocketEvents.ORDER_TIMELINE_UPDATED,
]) {
  socket.on(ev, () => {});
}
socket.on(SocketEvents.ORDER_ETA_UPDATED, (p: { orderId: string; estimatedDeliveryTime?: string; etaMinutes?: number }) => void p);

// --- useLeaderboardRealtime: the app's shapes --------------------------------------------------
interface Entry { rank: number; userId: string; username: string; fullName: string; coins: number }
let entries: Entry[] = [];
socket.on(SocketEvents.LEADERBOARD_UPDATE, (p: LeaderboardUpdatePayload) => {
  const i = entries.findIndex((e) => e.userId === p.userId);
  const next: Entry = { rank: p.rank, userId: p.userId, username: p.username, fullName: p.fullName, coins: p.coins };
  entries = i === -1 ? [...entries, next] : entries.map((e, j) => (j === i ? next : e));
  entries.sort((a, b) => a.rank - b.rank);
});
socket.on(SocketEvents.LEADERBOARD_USER_SCORED, (p: LeaderboardUserScoredPayload) => void [p.coinsEarned, p.newTotal, p.source]);
socket.on(SocketEvents.LEADERBOARD_RANK_CHANGE, (p: LeaderboardRankChangePayload) => {
  const change: 'rank_up' | 'rank_down' = p.direction === 'up' ? 'rank_up' : 'rank_down';
  void [change, p.username, p.fullName, p.oldRank, p.newRank, p.coins];
});

// --- useFeedRealtime: social events into the app's activity shape -----------------------------
interface ActivityContent { title: string; description?: string; amount?: number; icon: string; color: string; type: string }
socket.on(SocketEvents.SOCIAL_NEW_POST, (p: SocialNewPostPayload) => {
  const feedContent: ActivityContent = p.content;
  void [p.activityId, p.username, p.type, feedContent];
});
socket.on(SocketEvents.SOCIAL_LIKE, (p: SocialLikePayload) => void [p.activityId, p.likesCount]);
socket.on(SocketEvents.SOCIAL_COMMENT, (p: SocialCommentPayload) => void [p.activityId, p.commentsCount]);
socket.on(SocketEvents.SOCIAL_FOLLOW, (p: SocialFollowPayload) => void [p.followerId, p.followingId, p.followerName]);

// --- useEarningsSocket, tournament and merchant screens: rooms joined with a bare id ---------
// The app emits these on an untyped socket with the id as the only argument; with the generated
// maps the same calls are checked: the argument is a string (`RoomKey`), not an object.
const typed = socket as unknown as Socket<ServerToClientEvents, ClientToServerEvents>;
function useEarningsRoom(user: { _id?: { toString(): string }; id?: string }): () => void {
  const userId = user._id || user.id;
  if (!userId) return () => {};
  typed.emit(EarningsSocketEvents.JOIN_EARNINGS_ROOM, userId.toString());
  return () => { typed.emit(EarningsSocketEvents.LEAVE_EARNINGS_ROOM, userId.toString()); };
}
function joinTournament(tournamentId: string): () => void {
  const id: JoinTournamentPayload = tournamentId;
  typed.emit(TournamentSocketEvents.JOIN_TOURNAMENT, id, (r) => { if (!r.ok) console.warn(r.error.code); });
  return () => { typed.emit(TournamentSocketEvents.LEAVE_TOURNAMENT, tournamentId); };
}
const merchantRoomId: RoomKey = 'm_5f2a';
typed.emit(MerchantSocketEvents.JOIN_MERCHANT_ROOM, merchantRoomId);

export const hooks = {
  useEarningsRoom, joinTournament,
  config, batchEnded, subscribeToProduct, unsubscribeFromProduct, subscribeToStore, unsubscribeFromStore,
  subscribeToOrder, unsubscribeFromOrder,
};
