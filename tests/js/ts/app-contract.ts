// The names the app's shipped `types/socket.types.ts`, `types/messaging.types.ts` and
// `hooks/useOrderTracking.ts` export, as listed in the last section of the Rez contract
// (shared/reference/rez-contract.md). A generated file that drops or renames one of them, or
// changes one of the spelled-out shapes, fails `tsc` here: a missing import is TS2305, a missing
// `SocketEvents` key is TS2741, a changed shape makes an `Equal<...>` check false (TS2322).
import {
  MessagingSocketEvents,
  OrderSocketEvents,
  SocketEvents,
  SocketEventsExtended,
} from '../../../generated/ts/socket.types';
import type {
  // Shared types and enums.
  StockStatus,
  LeaderboardPeriod,
  Location,
  DeliveryPartner,
  // Catalog payloads and callbacks.
  StockUpdatePayload,
  LowStockPayload,
  OutOfStockPayload,
  PriceUpdatePayload,
  ProductAvailabilityPayload,
  StockUpdateCallback,
  LowStockCallback,
  OutOfStockCallback,
  PriceUpdateCallback,
  ProductAvailabilityCallback,
  // Flash sale.
  FlashSaleStartedPayload,
  FlashSaleEndingSoonPayload,
  FlashSaleEndedPayload,
  FlashSaleStockUpdatedPayload,
  FlashSaleStockLowPayload,
  FlashSaleSoldOutPayload,
  FlashSaleUpdatedPayload,
  FlashSaleStartedCallback,
  FlashSaleEndingSoonCallback,
  FlashSaleEndedCallback,
  FlashSaleStockUpdatedCallback,
  FlashSaleStockLowCallback,
  FlashSaleSoldOutCallback,
  FlashSaleUpdatedCallback,
  // Leaderboard.
  LeaderboardUpdatePayload,
  LeaderboardUserScoredPayload,
  LeaderboardRankChangePayload,
  LeaderboardAchievementPayload,
  LeaderboardUpdateCallback,
  LeaderboardUserScoredCallback,
  LeaderboardRankChangeCallback,
  LeaderboardAchievementCallback,
  // Social (deprecated) and feed.
  SocialNewPostPayload,
  SocialLikePayload,
  SocialCommentPayload,
  SocialFollowPayload,
  SocialNewPostCallback,
  SocialLikeCallback,
  SocialCommentCallback,
  SocialFollowCallback,
  FeedNewPostPayload,
  FeedPostLikedPayload,
  FeedPostCommentedPayload,
  FeedUserFollowedPayload,
  FeedNewPostCallback,
  FeedPostLikedCallback,
  FeedPostCommentedCallback,
  FeedUserFollowedCallback,
  // Orders: the tracking hook's names and the planned payloads.
  OrderStatusUpdate,
  OrderLocationUpdate,
  OrderPartnerAssigned,
  OrderTimelineUpdate,
  OrderDelivered,
  OrderStatusUpdatePayload,
  OrderLocationUpdatePayload,
  OrderETAUpdatePayload,
  OrderStatusUpdateCallback,
  OrderLocationUpdateCallback,
  OrderETAUpdateCallback,
  // Chat.
  ChatMessagePayload,
  ChatTypingPayload,
  ChatReadPayload,
  ChatAgentStatusPayload,
  ChatMessageCallback,
  ChatTypingCallback,
  ChatReadCallback,
  ChatAgentStatusCallback,
  // Cart.
  CartSyncPayload,
  CartItemReservedPayload,
  CartItemReleasedPayload,
  CartSyncCallback,
  CartItemReservedCallback,
  CartItemReleasedCallback,
  // Messaging.
  Message,
  Conversation,
  TypingPayload,
  MessageType,
  MessageStatus,
  ConversationStatus,
  ParticipantType,
  MessageAttachment,
  MessageLocation,
  MessageOrderReference,
  MessageProductReference,
  MessageSentPayload,
  MessageReceivedPayload,
  StoreOnlinePayload,
  // Client state and options.
  SocketState,
  SocketConfig,
  SubscriptionOptions,
  ConnectionCallback,
  ErrorCallback,
} from '../../../generated/ts/socket.types';

/** `true` exactly when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** `XCallback = (payload: XPayload) => void`. */
type IsCallback<C, P> = Equal<C, (payload: P) => void>;

// --- Every name is exported (a missing one is TS2305 on the import above) --------------------

export type AppTypeNames = [
  StockStatus, LeaderboardPeriod, Location, DeliveryPartner,
  StockUpdatePayload, LowStockPayload, OutOfStockPayload, PriceUpdatePayload, ProductAvailabilityPayload,
  FlashSaleStartedPayload, FlashSaleEndingSoonPayload, FlashSaleEndedPayload, FlashSaleStockUpdatedPayload,
  FlashSaleStockLowPayload, FlashSaleSoldOutPayload, FlashSaleUpdatedPayload,
  LeaderboardUpdatePayload, LeaderboardUserScoredPayload, LeaderboardRankChangePayload, LeaderboardAchievementPayload,
  SocialNewPostPayload, SocialLikePayload, SocialCommentPayload, SocialFollowPayload,
  FeedNewPostPayload, FeedPostLikedPayload, FeedPostCommentedPayload, FeedUserFollowedPayload,
  OrderStatusUpdate, OrderLocationUpdate, OrderPartnerAssigned, OrderTimelineUpdate, OrderDelivered,
  OrderStatusUpdatePayload, OrderLocationUpdatePayload, OrderETAUpdatePayload,
  ChatMessagePayload, ChatTypingPayload, ChatReadPayload, ChatAgentStatusPayload,
  CartSyncPayload, CartItemReservedPayload, CartItemReleasedPayload,
  Message, Conversation, TypingPayload, MessageType, MessageStatus, ConversationStatus, ParticipantType,
  MessageAttachment, MessageLocation, MessageOrderReference, MessageProductReference,
  MessageSentPayload, MessageReceivedPayload, StoreOnlinePayload,
  SocketState, SocketConfig, SubscriptionOptions, ConnectionCallback, ErrorCallback,
];

// --- Callback aliases: one per payload, `(payload: XPayload) => void` ------------------------

const callbacks: [
  IsCallback<StockUpdateCallback, StockUpdatePayload>,
  IsCallback<LowStockCallback, LowStockPayload>,
  IsCallback<OutOfStockCallback, OutOfStockPayload>,
  IsCallback<PriceUpdateCallback, PriceUpdatePayload>,
  IsCallback<ProductAvailabilityCallback, ProductAvailabilityPayload>,
  IsCallback<FlashSaleStartedCallback, FlashSaleStartedPayload>,
  IsCallback<FlashSaleEndingSoonCallback, FlashSaleEndingSoonPayload>,
  IsCallback<FlashSaleEndedCallback, FlashSaleEndedPayload>,
  IsCallback<FlashSaleStockUpdatedCallback, FlashSaleStockUpdatedPayload>,
  IsCallback<FlashSaleStockLowCallback, FlashSaleStockLowPayload>,
  IsCallback<FlashSaleSoldOutCallback, FlashSaleSoldOutPayload>,
  IsCallback<FlashSaleUpdatedCallback, FlashSaleUpdatedPayload>,
  IsCallback<LeaderboardUpdateCallback, LeaderboardUpdatePayload>,
  IsCallback<LeaderboardUserScoredCallback, LeaderboardUserScoredPayload>,
  IsCallback<LeaderboardRankChangeCallback, LeaderboardRankChangePayload>,
  IsCallback<LeaderboardAchievementCallback, LeaderboardAchievementPayload>,
  IsCallback<SocialNewPostCallback, SocialNewPostPayload>,
  IsCallback<SocialLikeCallback, SocialLikePayload>,
  IsCallback<SocialCommentCallback, SocialCommentPayload>,
  IsCallback<SocialFollowCallback, SocialFollowPayload>,
  IsCallback<FeedNewPostCallback, FeedNewPostPayload>,
  IsCallback<FeedPostLikedCallback, FeedPostLikedPayload>,
  IsCallback<FeedPostCommentedCallback, FeedPostCommentedPayload>,
  IsCallback<FeedUserFollowedCallback, FeedUserFollowedPayload>,
  IsCallback<OrderStatusUpdateCallback, OrderStatusUpdatePayload>,
  IsCallback<OrderLocationUpdateCallback, OrderLocationUpdatePayload>,
  IsCallback<OrderETAUpdateCallback, OrderETAUpdatePayload>,
  IsCallback<ChatMessageCallback, ChatMessagePayload>,
  IsCallback<ChatTypingCallback, ChatTypingPayload>,
  IsCallback<ChatReadCallback, ChatReadPayload>,
  IsCallback<ChatAgentStatusCallback, ChatAgentStatusPayload>,
  IsCallback<CartSyncCallback, CartSyncPayload>,
  IsCallback<CartItemReservedCallback, CartItemReservedPayload>,
  IsCallback<CartItemReleasedCallback, CartItemReleasedPayload>,
  Equal<ConnectionCallback, () => void>,
  Equal<ErrorCallback, (error: Error) => void>,
] = [
  true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true, true, true, true,
];

// --- Shapes the contract spells out -----------------------------------------------------------

const shapes: [
  Equal<StockStatus, 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK'>,
  Equal<LeaderboardPeriod, 'daily' | 'weekly' | 'monthly' | 'all-time'>,
  Equal<MessageType, 'text' | 'image' | 'file' | 'audio' | 'location' | 'order' | 'product' | 'system'>,
  Equal<MessageStatus, 'sending' | 'sent' | 'delivered' | 'read' | 'failed'>,
  Equal<ConversationStatus, 'active' | 'archived' | 'closed'>,
  Equal<ParticipantType, 'customer' | 'store' | 'support' | 'system'>,
  Equal<
    SocketState,
    {
      connected: boolean;
      reconnecting: boolean;
      error: string | null;
      lastConnected: Date | null;
      reconnectAttempts: number;
    }
  >,
  Equal<
    SocketConfig,
    {
      url: string;
      autoConnect?: boolean;
      reconnection?: boolean;
      reconnectionAttempts?: number;
      reconnectionDelay?: number;
      reconnectionDelayMax?: number;
      timeout?: number;
    }
  >,
  Equal<SubscriptionOptions, { productId?: string; storeId?: string }>,
  Equal<Location, { latitude: number; longitude: number; address?: string }>,
  // The shipped app's leaderboard shapes (its hooks read them), not the plan's.
  Equal<
    LeaderboardUpdatePayload,
    { userId: string; username: string; fullName: string; coins: number; rank: number; previousRank?: number; timestamp: string }
  >,
  Equal<
    LeaderboardRankChangePayload,
    {
      userId: string; username: string; fullName: string; oldRank: number; newRank: number; coins: number;
      direction: 'up' | 'down'; timestamp: string;
    }
  >,
  // `OrderStatusUpdatePayload` is the full `order:status_updated` shape, as in the app and backend.
  Equal<
    OrderStatusUpdatePayload,
    {
      orderId: string; orderNumber: string; status: string; previousStatus?: string; message: string;
      timestamp: string; estimatedDeliveryTime?: string; metadata?: Record<string, unknown>;
    }
  >,
  Equal<OrderStatusUpdate, OrderStatusUpdatePayload>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// --- SocketEvents keys and wire names (a missing key is TS2741, a wrong value TS2322) ---------

interface AppSocketEvents {
  readonly CONNECT: 'connect';
  readonly DISCONNECT: 'disconnect';
  readonly CONNECT_ERROR: 'connect_error';
  readonly RECONNECT: 'reconnect';
  readonly RECONNECT_ATTEMPT: 'reconnect_attempt';
  readonly RECONNECT_ERROR: 'reconnect_error';
  readonly RECONNECT_FAILED: 'reconnect_failed';
  readonly STOCK_UPDATED: 'stock:updated';
  readonly STOCK_LOW: 'stock:low';
  readonly STOCK_OUT: 'stock:outofstock';
  readonly PRICE_UPDATED: 'price:updated';
  readonly PRODUCT_AVAILABILITY: 'product:availability';
  readonly SUBSCRIBE_PRODUCT: 'subscribe:product';
  readonly UNSUBSCRIBE_PRODUCT: 'unsubscribe:product';
  readonly SUBSCRIBE_STORE: 'subscribe:store';
  readonly UNSUBSCRIBE_STORE: 'unsubscribe:store';
  readonly FLASH_SALE_STARTED: 'flashsale:started';
  readonly FLASH_SALE_ENDING_SOON: 'flashsale:ending_soon';
  // The current app and the backend win over the seed era's 'flashsale:ended'.
  readonly FLASH_SALE_ENDED: 'flashsale:batch_ended';
  readonly FLASH_SALE_STOCK_UPDATED: 'flashsale:stock_updated';
  readonly FLASH_SALE_STOCK_LOW: 'flashsale:stock_low';
  readonly FLASH_SALE_SOLD_OUT: 'flashsale:sold_out';
  readonly FLASH_SALE_UPDATED: 'flashsale:updated';
  readonly MESSAGE_SENT: 'message:sent';
  readonly MESSAGE_RECEIVED: 'message:received';
  readonly MESSAGE_DELIVERED: 'message:delivered';
  readonly MESSAGE_READ: 'message:read';
  readonly MESSAGE_FAILED: 'message:failed';
  readonly TYPING_START: 'typing:start';
  readonly TYPING_STOP: 'typing:stop';
  readonly CONVERSATION_CREATED: 'conversation:created';
  readonly CONVERSATION_UPDATED: 'conversation:updated';
  readonly CONVERSATION_ARCHIVED: 'conversation:archived';
  readonly CONVERSATION_CLOSED: 'conversation:closed';
  readonly STORE_ONLINE: 'store:online';
  readonly STORE_OFFLINE: 'store:offline';
  readonly STORE_JOINED_CONVERSATION: 'store:joined';
  readonly STORE_LEFT_CONVERSATION: 'store:left';
  readonly JOIN_CONVERSATION: 'join:conversation';
  readonly LEAVE_CONVERSATION: 'leave:conversation';
  readonly LEADERBOARD_UPDATE: 'leaderboard:update';
  readonly LEADERBOARD_USER_SCORED: 'leaderboard:user_scored';
  readonly LEADERBOARD_RANK_CHANGE: 'leaderboard:rank_change';
  readonly SOCIAL_NEW_POST: 'social:new_post';
  readonly SOCIAL_LIKE: 'social:like';
  readonly SOCIAL_COMMENT: 'social:comment';
  readonly SOCIAL_FOLLOW: 'social:follow';
  // Keys the current app (imrejaul007/rez-app-new) reads from SocketEvents.
  readonly ORDER_STATUS_UPDATED: 'order:status_updated';
  readonly ORDER_CONFIRMED: 'order:confirmed';
  readonly ORDER_PREPARING: 'order:preparing';
  readonly ORDER_READY: 'order:ready';
  readonly ORDER_DISPATCHED: 'order:dispatched';
  readonly ORDER_OUT_FOR_DELIVERY: 'order:out_for_delivery';
  readonly ORDER_DELIVERED: 'order:delivered';
  readonly ORDER_CANCELLED: 'order:cancelled';
  readonly ORDER_LOCATION_UPDATED: 'order:location_updated';
  readonly ORDER_PARTNER_ASSIGNED: 'order:partner_assigned';
  readonly ORDER_PARTNER_ARRIVED: 'order:partner_arrived';
  readonly ORDER_TIMELINE_UPDATED: 'order:timeline_updated';
  readonly ORDER_ETA_UPDATED: 'order:eta_updated';
  readonly ORDER_LIST_UPDATED: 'order:list_updated';
  readonly SUBSCRIBE_ORDER: 'subscribe:order';
  readonly UNSUBSCRIBE_ORDER: 'unsubscribe:order';
  readonly CASHBACK_CREDITED: 'cashback:credited';
  readonly CASHBACK_REVERSED: 'cashback:reversed';
  readonly STREAK_MILESTONE: 'streak:milestone';
  readonly STREAK_BROKEN: 'streak:broken';
}

interface AppSocketEventsExtended extends AppSocketEvents {
  readonly ORDER_STATUS_UPDATE: 'order:status_update';
  readonly ORDER_LOCATION_UPDATE: 'order:location_update';
  readonly ORDER_ETA_UPDATE: 'order:eta_update';
  readonly SUBSCRIBE_ORDER: 'subscribe:order';
  readonly UNSUBSCRIBE_ORDER: 'unsubscribe:order';
  readonly CHAT_MESSAGE: 'chat:message';
  readonly CHAT_TYPING: 'chat:typing';
  readonly CHAT_READ: 'chat:read';
  readonly CHAT_AGENT_STATUS: 'chat:agent_status';
  readonly SUBSCRIBE_CHAT: 'subscribe:chat';
  readonly UNSUBSCRIBE_CHAT: 'unsubscribe:chat';
  readonly SEND_CHAT_MESSAGE: 'chat:send_message';
  readonly FEED_NEW_POST: 'feed:new_post';
  readonly FEED_POST_LIKED: 'feed:post_liked';
  readonly FEED_POST_COMMENTED: 'feed:post_commented';
  readonly FEED_USER_FOLLOWED: 'feed:user_followed';
  readonly SUBSCRIBE_FEED: 'subscribe:feed';
  readonly UNSUBSCRIBE_FEED: 'unsubscribe:feed';
  readonly LEADERBOARD_ACHIEVEMENT: 'leaderboard:achievement';
  readonly SUBSCRIBE_LEADERBOARD: 'subscribe:leaderboard';
  readonly UNSUBSCRIBE_LEADERBOARD: 'unsubscribe:leaderboard';
  readonly CART_SYNC: 'cart:sync';
  readonly CART_ITEM_RESERVED: 'cart:item_reserved';
  readonly CART_ITEM_RELEASED: 'cart:item_released';
  readonly SUBSCRIBE_CART: 'subscribe:cart';
  readonly UNSUBSCRIBE_CART: 'unsubscribe:cart';
}

const appSocketEvents: AppSocketEvents = SocketEvents;
const appSocketEventsExtended: AppSocketEventsExtended = SocketEventsExtended;

// The hook's and messaging's maps are plain string maps (their keys are not in the contract).
const orderEvents: Readonly<Record<string, string>> = OrderSocketEvents;
const messagingEvents: Readonly<Record<string, string>> = MessagingSocketEvents;

void [callbacks, shapes, appSocketEvents, appSocketEventsExtended, orderEvents, messagingEvents];
