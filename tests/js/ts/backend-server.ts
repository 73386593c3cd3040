// Written for this repo: the backend team's half of the drop-in. A Node socket.io 4.8 server
// typed with the generated maps (`Server<ClientToServerEvents, ServerToClientEvents>`). It emits
// every server-to-client event to its room (the `emitters` table must name every event: a
// missing one is TS2741) with a valid payload, and handles every client-to-server event with
// its ack (the `handlers` table likewise). Payloads are minimal valid values: required fields
// only. tests/tests/typescript.rs type-checks it strictly; ts-fail/backend-*.ts must fail.
import { Server, Socket } from 'socket.io';

import type {
  ClientToServerEvents,
  ServerToClientEvents,
  ServerToClientPayloads,
} from '../../../generated/ts/socket.types';

type Io = Server<ClientToServerEvents, ServerToClientEvents>;
type Sock = Socket<ClientToServerEvents, ServerToClientEvents>;

const now = new Date().toISOString();

/** One emit per server-to-client event, to the room the catalogue names. */
export const emitters: { [E in keyof ServerToClientEvents]: (io: Io, userId: string) => void } = {
  'cart:sync': (io, userId) => { const p: ServerToClientPayloads['cart:sync'] = { userId: "userId", cartId: "cartId", items: [], totalItems: 1, totalPrice: 1, timestamp: now }; io.to([`cart-${p.cartId}`]).emit('cart:sync', p); },
  'cart:item_reserved': (io, userId) => { const p: ServerToClientPayloads['cart:item_reserved'] = { cartId: "cartId", itemId: "itemId", productId: "productId", reservedUntil: now, timestamp: now }; io.to([`cart-${p.cartId}`]).emit('cart:item_reserved', p); },
  'cart:item_released': (io, userId) => { const p: ServerToClientPayloads['cart:item_released'] = { cartId: "cartId", itemId: "itemId", productId: "productId", reason: "timeout", timestamp: now }; io.to([`cart-${p.cartId}`]).emit('cart:item_released', p); },
  'cashback:credited': (io, userId) => { const p: ServerToClientPayloads['cashback:credited'] = { userId: "userId", orderId: "orderId", amount: 1, currency: "x", cashbackRate: 1, description: "x", timestamp: now }; io.to([`user-${userId}`]).emit('cashback:credited', p); },
  'cashback:reversed': (io, userId) => { const p: ServerToClientPayloads['cashback:reversed'] = { userId: "userId", orderId: "orderId", amount: 1, currency: "x", reason: "x", timestamp: now }; io.to([`user-${userId}`]).emit('cashback:reversed', p); },
  'stock:updated': (io, userId) => { const p: ServerToClientPayloads['stock:updated'] = { productId: "productId", storeId: "storeId", quantity: 1, status: "IN_STOCK", timestamp: now }; io.to([`product-${p.productId}`, `store-${p.storeId}`]).emit('stock:updated', p); },
  'stock:low': (io, userId) => { const p: ServerToClientPayloads['stock:low'] = { productId: "productId", storeId: "storeId", storeName: "x", productName: "x", quantity: 1, threshold: 1, timestamp: now }; io.to([`product-${p.productId}`, `store-${p.storeId}`]).emit('stock:low', p); },
  'stock:outofstock': (io, userId) => { const p: ServerToClientPayloads['stock:outofstock'] = { productId: "productId", storeId: "storeId", storeName: "x", productName: "x", timestamp: now }; io.to([`product-${p.productId}`, `store-${p.storeId}`]).emit('stock:outofstock', p); },
  'price:updated': (io, userId) => { const p: ServerToClientPayloads['price:updated'] = { productId: "productId", storeId: "storeId", oldPrice: 1, newPrice: 1, timestamp: now }; io.to([`product-${p.productId}`]).emit('price:updated', p); },
  'product:availability': (io, userId) => { const p: ServerToClientPayloads['product:availability'] = { productId: "productId", storeId: "storeId", isAvailable: true, timestamp: now }; io.to([`product-${p.productId}`]).emit('product:availability', p); },
  'product_created': (io, userId) => { const p: ServerToClientPayloads['product_created'] = { productId: "productId", productName: "x" }; io.to([`merchant-${userId}`]).emit('product_created', p); },
  'chat:message': (io, userId) => { const p: ServerToClientPayloads['chat:message'] = { messageId: "messageId", chatId: "chatId", senderId: "senderId", senderName: "x", senderType: "user", text: "x", timestamp: now }; io.to([`chat-${p.chatId}`]).emit('chat:message', p); },
  'chat:typing': (io, userId) => { const p: ServerToClientPayloads['chat:typing'] = { chatId: "chatId", userId: "userId", userName: "x", isTyping: true, timestamp: now }; io.to([`chat-${p.chatId}`]).emit('chat:typing', p); },
  'chat:read': (io, userId) => { const p: ServerToClientPayloads['chat:read'] = { chatId: "chatId", messageIds: [], readBy: "x", timestamp: now }; io.to([`chat-${p.chatId}`]).emit('chat:read', p); },
  'chat:agent_status': (io, userId) => { const p: ServerToClientPayloads['chat:agent_status'] = { agentId: "agentId", agentName: "x", status: "online", timestamp: now }; io.to([`user-${userId}`]).emit('chat:agent_status', p); },
  'earnings-update': (io, userId) => { const p: ServerToClientPayloads['earnings-update'] = { earnings: { totalEarned: 1, breakdown: { projects: 1, referrals: 1, shareAndEarn: 1, spin: 1 } }, timestamp: now }; io.to([`earnings-${userId}`]).emit('earnings-update', p); },
  'balance-update': (io, userId) => { const p: ServerToClientPayloads['balance-update'] = { balance: 1, pendingBalance: 1, timestamp: now }; io.to([`earnings-${userId}`]).emit('balance-update', p); },
  'new-transaction': (io, userId) => { const p: ServerToClientPayloads['new-transaction'] = { transaction: null, timestamp: now }; io.to([`earnings-${userId}`]).emit('new-transaction', p); },
  'project-status-update': (io, userId) => { const p: ServerToClientPayloads['project-status-update'] = { status: { completeNow: 1, inReview: 1, completed: 1 }, timestamp: now }; io.to([`earnings-${userId}`]).emit('project-status-update', p); },
  'achievement-unlocked': (io, userId) => { const p: ServerToClientPayloads['achievement-unlocked'] = { title: "x", icon: "x", coinReward: 1, timestamp: now }; io.to([`earnings-${userId}`]).emit('achievement-unlocked', p); },
  'feed:new_post': (io, userId) => { const p: ServerToClientPayloads['feed:new_post'] = { postId: "postId", userId: "userId", userName: "x", content: "x", timestamp: now }; io.to([`feed-${userId}`]).emit('feed:new_post', p); },
  'feed:post_liked': (io, userId) => { const p: ServerToClientPayloads['feed:post_liked'] = { postId: "postId", likeId: "likeId", userId: "userId", userName: "x", totalLikes: 1, timestamp: now }; io.to([`feed-${userId}`]).emit('feed:post_liked', p); },
  'feed:post_commented': (io, userId) => { const p: ServerToClientPayloads['feed:post_commented'] = { postId: "postId", commentId: "commentId", userId: "userId", userName: "x", comment: "x", totalComments: 1, timestamp: now }; io.to([`feed-${userId}`]).emit('feed:post_commented', p); },
  'feed:user_followed': (io, userId) => { const p: ServerToClientPayloads['feed:user_followed'] = { followerId: "followerId", followerName: "x", followedId: "followedId", followedName: "x", timestamp: now }; io.to([`feed-${userId}`]).emit('feed:user_followed', p); },
  'social:new_post': (io, userId) => { const p: ServerToClientPayloads['social:new_post'] = { activityId: "activityId", userId: "userId", username: "x", type: "x", content: { title: "x", icon: "x", color: "x", type: "x" }, timestamp: now }; io.to([`feed-${userId}`]).emit('social:new_post', p); },
  'social:like': (io, userId) => { const p: ServerToClientPayloads['social:like'] = { activityId: "activityId", userId: "userId", username: "x", likesCount: 1, timestamp: now }; io.to([`feed-${userId}`]).emit('social:like', p); },
  'social:comment': (io, userId) => { const p: ServerToClientPayloads['social:comment'] = { activityId: "activityId", commentId: "commentId", userId: "userId", username: "x", comment: "x", commentsCount: 1, timestamp: now }; io.to([`feed-${userId}`]).emit('social:comment', p); },
  'social:follow': (io, userId) => { const p: ServerToClientPayloads['social:follow'] = { followerId: "followerId", followingId: "followingId", followerName: "x", timestamp: now }; io.to([`feed-${userId}`]).emit('social:follow', p); },
  'flashsale:started': (io, userId) => { const p: ServerToClientPayloads['flashsale:started'] = { flashSaleId: "flashSaleId", title: "x", discountPercentage: 1, endTime: now }; io.emit('flashsale:started', p); },
  'flashsale:ending_soon': (io, userId) => { const p: ServerToClientPayloads['flashsale:ending_soon'] = { flashSaleId: "flashSaleId", title: "x", endTime: now, remainingQuantity: 1 }; io.emit('flashsale:ending_soon', p); },
  'flashsale:batch_ended': (io, userId) => { const p: ServerToClientPayloads['flashsale:batch_ended'] = { count: 1 }; io.emit('flashsale:batch_ended', p); },
  'flashsale:ended': (io, userId) => { const p: ServerToClientPayloads['flashsale:ended'] = { flashSaleId: "flashSaleId", title: "x" }; io.emit('flashsale:ended', p); },
  'flashsale:stock_updated': (io, userId) => { const p: ServerToClientPayloads['flashsale:stock_updated'] = { flashSaleId: "flashSaleId", soldQuantity: 1, remainingQuantity: 1, progress: 1 }; io.emit('flashsale:stock_updated', p); },
  'flashsale:stock_low': (io, userId) => { const p: ServerToClientPayloads['flashsale:stock_low'] = { flashSaleId: "flashSaleId", title: "x", remainingQuantity: 1, progress: 1 }; io.emit('flashsale:stock_low', p); },
  'flashsale:sold_out': (io, userId) => { const p: ServerToClientPayloads['flashsale:sold_out'] = { flashSaleId: "flashSaleId", title: "x" }; io.emit('flashsale:sold_out', p); },
  'flashsale:updated': (io, userId) => { const p: ServerToClientPayloads['flashsale:updated'] = { flashSaleId: "flashSaleId", title: "x", status: "x", remainingQuantity: 1 }; io.emit('flashsale:updated', p); },
  'groupbuying:update': (io, userId) => { const p: ServerToClientPayloads['groupbuying:update'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:update', p); },
  'groupbuying:member_joined': (io, userId) => { const p: ServerToClientPayloads['groupbuying:member_joined'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:member_joined', p); },
  'groupbuying:member_left': (io, userId) => { const p: ServerToClientPayloads['groupbuying:member_left'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:member_left', p); },
  'groupbuying:tier_changed': (io, userId) => { const p: ServerToClientPayloads['groupbuying:tier_changed'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:tier_changed', p); },
  'groupbuying:ready': (io, userId) => { const p: ServerToClientPayloads['groupbuying:ready'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:ready', p); },
  'groupbuying:expired': (io, userId) => { const p: ServerToClientPayloads['groupbuying:expired'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:expired', p); },
  'groupbuying:message': (io, userId) => { const p: ServerToClientPayloads['groupbuying:message'] = { groupId: "groupId", type: "member_joined", data: null, timestamp: now }; io.to([`groupbuying-${p.groupId}`]).emit('groupbuying:message', p); },
  'leaderboard:update': (io, userId) => { const p: ServerToClientPayloads['leaderboard:update'] = { userId: "userId", username: "x", fullName: "x", coins: 1, rank: 1, timestamp: now }; io.emit('leaderboard:update', p); },
  'leaderboard:ranking': (io, userId) => { const p: ServerToClientPayloads['leaderboard:ranking'] = { period: "daily", entries: [], timestamp: now }; io.to([`leaderboard-${p.period}`]).emit('leaderboard:ranking', p); },
  'leaderboard:user_scored': (io, userId) => { const p: ServerToClientPayloads['leaderboard:user_scored'] = { userId: "userId", username: "x", fullName: "x", coinsEarned: 1, newTotal: 1, source: "x", timestamp: now }; io.to([`user-${userId}`]).emit('leaderboard:user_scored', p); },
  'leaderboard:rank_change': (io, userId) => { const p: ServerToClientPayloads['leaderboard:rank_change'] = { userId: "userId", username: "x", fullName: "x", oldRank: 1, newRank: 1, coins: 1, direction: "up", timestamp: now }; io.to([`user-${userId}`]).emit('leaderboard:rank_change', p); },
  'leaderboard:achievement': (io, userId) => { const p: ServerToClientPayloads['leaderboard:achievement'] = { userId: "userId", achievementId: "achievementId", achievementName: "x", achievementDescription: "x", points: 1, timestamp: now }; io.to([`user-${userId}`]).emit('leaderboard:achievement', p); },
  'leaderboard-update': (io, userId) => { const p: ServerToClientPayloads['leaderboard-update'] = { tournamentId: "tournamentId", timestamp: now }; io.to([`tournament-${p.tournamentId}`, `earnings-${userId}`]).emit('leaderboard-update', p); },
  'score-update': (io, userId) => { const p: ServerToClientPayloads['score-update'] = { tournamentId: "tournamentId", userId: "userId", newScore: 1, newRank: 1, timestamp: now }; io.to([`tournament-${p.tournamentId}`]).emit('score-update', p); },
  'loyalty:pointsUpdated': (io, userId) => { const p: ServerToClientPayloads['loyalty:pointsUpdated'] = { points: 1, transaction: null }; io.to([`user-${userId}`]).emit('loyalty:pointsUpdated', p); },
  'loyalty:tierUpdated': (io, userId) => { const p: ServerToClientPayloads['loyalty:tierUpdated'] = { tier: "x", benefits: [] }; io.to([`user-${userId}`]).emit('loyalty:tierUpdated', p); },
  'loyalty:rewardAvailable': (io, userId) => { const p: ServerToClientPayloads['loyalty:rewardAvailable'] = {}; io.to([`user-${userId}`]).emit('loyalty:rewardAvailable', p); },
  'loyalty:challengeCompleted': (io, userId) => { const p: ServerToClientPayloads['loyalty:challengeCompleted'] = {}; io.to([`user-${userId}`]).emit('loyalty:challengeCompleted', p); },
  'message:sent': (io, userId) => { const p: ServerToClientPayloads['message:sent'] = { message: { id: "x", conversationId: "conversationId", senderId: "senderId", senderType: "customer", senderName: "x", type: "text", content: "x", status: "sending", createdAt: now, updatedAt: now }, conversationId: "conversationId" }; io.to([`conversation-${p.conversationId}`]).emit('message:sent', p); },
  'message:received': (io, userId) => { const p: ServerToClientPayloads['message:received'] = { message: { id: "x", conversationId: "conversationId", senderId: "senderId", senderType: "customer", senderName: "x", type: "text", content: "x", status: "sending", createdAt: now, updatedAt: now }, conversationId: "conversationId" }; io.to([`conversation-${p.conversationId}`]).emit('message:received', p); },
  'message:delivered': (io, userId) => { const p: ServerToClientPayloads['message:delivered'] = { messageId: "messageId", conversationId: "conversationId", deliveredAt: now }; io.to([`conversation-${p.conversationId}`]).emit('message:delivered', p); },
  'message:read': (io, userId) => { const p: ServerToClientPayloads['message:read'] = { messageId: "messageId", conversationId: "conversationId", readAt: now }; io.to([`conversation-${p.conversationId}`]).emit('message:read', p); },
  'message:failed': (io, userId) => { const p: ServerToClientPayloads['message:failed'] = { messageId: "messageId", conversationId: "conversationId", reason: "x" }; io.to([`conversation-${p.conversationId}`]).emit('message:failed', p); },
  'typing:start': (io, userId) => { const p: ServerToClientPayloads['typing:start'] = { conversationId: "conversationId", userId: "userId", userName: "x", isTyping: true }; io.to([`conversation-${p.conversationId}`]).emit('typing:start', p); },
  'typing:stop': (io, userId) => { const p: ServerToClientPayloads['typing:stop'] = { conversationId: "conversationId", userId: "userId", userName: "x", isTyping: true }; io.to([`conversation-${p.conversationId}`]).emit('typing:stop', p); },
  'conversation:created': (io, userId) => { const p: ServerToClientPayloads['conversation:created'] = { conversation: { id: "x", storeId: "storeId", storeName: "x", customerId: "customerId", customerName: "x", status: "active", unreadCount: 1, isStoreOnline: true, createdAt: now, updatedAt: now } }; io.to([`user-${userId}`]).emit('conversation:created', p); },
  'conversation:updated': (io, userId) => { const p: ServerToClientPayloads['conversation:updated'] = { conversation: { id: "x", storeId: "storeId", storeName: "x", customerId: "customerId", customerName: "x", status: "active", unreadCount: 1, isStoreOnline: true, createdAt: now, updatedAt: now } }; io.to([`user-${userId}`]).emit('conversation:updated', p); },
  'conversation:archived': (io, userId) => { const p: ServerToClientPayloads['conversation:archived'] = { conversationId: "conversationId", timestamp: now }; io.to([`conversation-${p.conversationId}`]).emit('conversation:archived', p); },
  'conversation:closed': (io, userId) => { const p: ServerToClientPayloads['conversation:closed'] = { conversationId: "conversationId", timestamp: now }; io.to([`conversation-${p.conversationId}`]).emit('conversation:closed', p); },
  'store:online': (io, userId) => { const p: ServerToClientPayloads['store:online'] = { storeId: "storeId", isOnline: true, timestamp: now }; io.to([`store-${p.storeId}`]).emit('store:online', p); },
  'store:offline': (io, userId) => { const p: ServerToClientPayloads['store:offline'] = { storeId: "storeId", isOnline: true, timestamp: now }; io.to([`store-${p.storeId}`]).emit('store:offline', p); },
  'store:joined': (io, userId) => { const p: ServerToClientPayloads['store:joined'] = { conversationId: "conversationId", storeId: "storeId", timestamp: now }; io.to([`conversation-${p.conversationId}`]).emit('store:joined', p); },
  'store:left': (io, userId) => { const p: ServerToClientPayloads['store:left'] = { conversationId: "conversationId", storeId: "storeId", timestamp: now }; io.to([`conversation-${p.conversationId}`]).emit('store:left', p); },
  'order:created': (io, userId) => { const p: ServerToClientPayloads['order:created'] = { orderId: "orderId", orderNumber: "x", status: "x", timestamp: now }; io.to([`user-${userId}`]).emit('order:created', p); },
  'order:status_updated': (io, userId) => { const p: ServerToClientPayloads['order:status_updated'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:status_updated', p); },
  'order:confirmed': (io, userId) => { const p: ServerToClientPayloads['order:confirmed'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:confirmed', p); },
  'order:preparing': (io, userId) => { const p: ServerToClientPayloads['order:preparing'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:preparing', p); },
  'order:ready': (io, userId) => { const p: ServerToClientPayloads['order:ready'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:ready', p); },
  'order:dispatched': (io, userId) => { const p: ServerToClientPayloads['order:dispatched'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:dispatched', p); },
  'order:out_for_delivery': (io, userId) => { const p: ServerToClientPayloads['order:out_for_delivery'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:out_for_delivery', p); },
  'order:cancelled': (io, userId) => { const p: ServerToClientPayloads['order:cancelled'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:cancelled', p); },
  'order:delivered': (io, userId) => { const p: ServerToClientPayloads['order:delivered'] = { orderId: "orderId", orderNumber: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:delivered', p); },
  'order:location_updated': (io, userId) => { const p: ServerToClientPayloads['order:location_updated'] = { orderId: "orderId", orderNumber: "x", location: { latitude: 1, longitude: 1 }, deliveryPartner: { name: "x", phone: "x" }, timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:location_updated', p); },
  'order:partner_assigned': (io, userId) => { const p: ServerToClientPayloads['order:partner_assigned'] = { orderId: "orderId", orderNumber: "x", deliveryPartner: { id: "x", name: "x", phone: "x" }, timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:partner_assigned', p); },
  'order:partner_arrived': (io, userId) => { const p: ServerToClientPayloads['order:partner_arrived'] = { orderId: "orderId", orderNumber: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:partner_arrived', p); },
  'order:timeline_updated': (io, userId) => { const p: ServerToClientPayloads['order:timeline_updated'] = { orderId: "orderId", orderNumber: "x", timeline: [], timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:timeline_updated', p); },
  'order:status_update': (io, userId) => { const p: ServerToClientPayloads['order:status_update'] = { orderId: "orderId", status: "x", message: "x", timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:status_update', p); },
  'order:location_update': (io, userId) => { const p: ServerToClientPayloads['order:location_update'] = { orderId: "orderId", location: { latitude: 1, longitude: 1 }, timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:location_update', p); },
  'order:eta_update': (io, userId) => { const p: ServerToClientPayloads['order:eta_update'] = { orderId: "orderId", estimatedArrival: now, timestamp: now }; io.to([`order-${p.orderId}`]).emit('order:eta_update', p); },
  'order:eta_updated': (io, userId) => { const p: ServerToClientPayloads['order:eta_updated'] = { orderId: "orderId" }; io.to([`order-${p.orderId}`]).emit('order:eta_updated', p); },
  'order:list_updated': (io, userId) => { const p: ServerToClientPayloads['order:list_updated'] = { orderId: "orderId", orderNumber: "x", newStatus: "x", timestamp: now }; io.to([`user-${userId}`]).emit('order:list_updated', p); },
  'order:refunded': (io, userId) => { const p: ServerToClientPayloads['order:refunded'] = { orderId: "orderId", orderNumber: "x", status: "x", message: "x", timestamp: now }; io.to([`user-${userId}`]).emit('order:refunded', p); },
  'streak:milestone': (io, userId) => { const p: ServerToClientPayloads['streak:milestone'] = { userId: "userId", streakCount: 1, milestoneType: "daily_checkin", milestoneValue: 1, timestamp: now }; io.to([`user-${userId}`]).emit('streak:milestone', p); },
  'streak:broken': (io, userId) => { const p: ServerToClientPayloads['streak:broken'] = { userId: "userId", previousStreak: 1, reason: "x", timestamp: now }; io.to([`user-${userId}`]).emit('streak:broken', p); },
  'coins:awarded': (io, userId) => { const p: ServerToClientPayloads['coins:awarded'] = { userId: "userId", amount: 1, source: "x", description: "x", newBalance: 1, timestamp: now }; io.to([`user-${userId}`]).emit('coins:awarded', p); },
  'wallet:updated': (io, userId) => { const p: ServerToClientPayloads['wallet:updated'] = {}; io.to([`user-${userId}`]).emit('wallet:updated', p); },
};

/** One handler per client-to-server event, each answering its ack. */
export const handlers: { [E in keyof ClientToServerEvents]: (socket: Sock) => void } = {
  'subscribe:cart': (socket) => { socket.on('subscribe:cart', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:cart': (socket) => { socket.on('unsubscribe:cart', (ack) => { ack?.({ ok: true, data: null }); }); },
  'subscribe:product': (socket) => { socket.on('subscribe:product', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:product': (socket) => { socket.on('unsubscribe:product', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'subscribe:store': (socket) => { socket.on('subscribe:store', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:store': (socket) => { socket.on('unsubscribe:store', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'chat:typing': (socket) => { socket.on('chat:typing', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'chat:read': (socket) => { socket.on('chat:read', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'chat:send_message': (socket) => { socket.on('chat:send_message', (payload, ack) => { void payload; ack?.({ ok: true, data: { messageId: "messageId", timestamp: now } }); }); },
  'subscribe:chat': (socket) => { socket.on('subscribe:chat', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:chat': (socket) => { socket.on('unsubscribe:chat', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'subscribe:feed': (socket) => { socket.on('subscribe:feed', (ack) => { ack?.({ ok: true, data: null }); }); },
  'unsubscribe:feed': (socket) => { socket.on('unsubscribe:feed', (ack) => { ack?.({ ok: true, data: null }); }); },
  'groupbuying:join': (socket) => { socket.on('groupbuying:join', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'groupbuying:leave': (socket) => { socket.on('groupbuying:leave', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'groupbuying:send_message': (socket) => { socket.on('groupbuying:send_message', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'subscribe:leaderboard': (socket) => { socket.on('subscribe:leaderboard', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:leaderboard': (socket) => { socket.on('unsubscribe:leaderboard', (ack) => { ack?.({ ok: true, data: null }); }); },
  'typing:start': (socket) => { socket.on('typing:start', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'typing:stop': (socket) => { socket.on('typing:stop', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'join:conversation': (socket) => { socket.on('join:conversation', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'leave:conversation': (socket) => { socket.on('leave:conversation', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'subscribe:order': (socket) => { socket.on('subscribe:order', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  'unsubscribe:order': (socket) => { socket.on('unsubscribe:order', (payload, ack) => { void payload; ack?.({ ok: true, data: null }); }); },
  // Rooms joined with a bare id, as the backend's services do (`socket.join(`tournament-${id}`)`).
  'join-tournament': (socket) => { socket.on('join-tournament', (tournamentId, ack) => { const id: string = tournamentId; void socket.join(`tournament-${id}`); ack?.({ ok: true, data: null }); }); },
  'leave-tournament': (socket) => { socket.on('leave-tournament', (tournamentId, ack) => { const id: string = tournamentId; void socket.leave(`tournament-${id}`); ack?.({ ok: true, data: null }); }); },
  'join-earnings-room': (socket) => { socket.on('join-earnings-room', (userId, ack) => { const id: string = userId; void id; void socket.join(`earnings-${String(socket.handshake.auth.token)}`); ack?.({ ok: true, data: null }); }); },
  'leave-earnings-room': (socket) => { socket.on('leave-earnings-room', (userId, ack) => { const id: string = userId; void id; void socket.leave(`earnings-${String(socket.handshake.auth.token)}`); ack?.({ ok: true, data: null }); }); },
  'join-merchant-room': (socket) => { socket.on('join-merchant-room', (merchantId, ack) => { const id: string = merchantId; void socket.join(`merchant-${id}`); ack?.({ ok: true, data: null }); }); },
  'heartbeat': (socket) => { socket.on('heartbeat', (payload, ack) => { void payload; ack?.({ ok: true, data: { serverTime: now } }); }); },
};

export function serve(io: Io): void {
  io.on('connection', (socket) => {
    const userId = String(socket.handshake.auth.token ?? 'anonymous');
    void socket.join(`user-${userId}`);
    for (const handle of Object.values(handlers)) handle(socket);
    for (const emit of Object.values(emitters)) emit(io, userId);
  });
}
