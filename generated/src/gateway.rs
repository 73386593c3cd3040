//! The demo gateway: the whole catalogue served on socketioxide with a small in-memory backend,
//! so a frontend can connect without any external service.
//!
//! Ownership rules of the demo backend (documented in the README):
//! - order `ord-{userId}-{n}` belongs to `{userId}`; seeded: `o-100` belongs to `u1`, `o-200` to `u2`;
//! - chat `c-1` has participants `u1`, `u2`, `u3`; chat `dm-{a}-{b}` has `a` and `b`;
//! - conversation `conv-1` has `u1` and `store-1`; `conv-{userId}-{n}` has `{userId}`;
//! - cart `cart-{userId}` belongs to `{userId}`;
//! - buying group `g-1` has members `u1`, `u2`, `u3`; group `grp-{userId}-{n}` has `{userId}`;
//! - merchant room `merchant-{id}`: only the user whose id is `{id}` (a merchant's own token).

use crate::rooms;
use crate::server::{self, AckError, Ctx, Emitter, ErrorCode, JwtHs256, Runtime, ServerConfig};
use crate::types;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::Timestamp;
use switchboard_runtime::__private::serde_json::json;

/// The secret used when `SWITCHBOARD_JWT_SECRET` is not set. Never use it in production.
pub const DEV_SECRET: &str = "switchboard-dev-secret-do-not-use-in-production";

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen (port 0 picks a free one).
    pub addr: SocketAddr,
    /// HS256 secret for `auth.token`.
    pub jwt_secret: Vec<u8>,
    /// Emit realistic events periodically.
    pub demo: bool,
    /// Period of demo events.
    pub demo_interval: Duration,
    /// Server limits.
    pub server: ServerConfig,
    /// Redis URL (`redis://host:port`): room broadcasts reach every gateway on the same Redis.
    /// `None`: everything stays in this process.
    pub redis_url: Option<String>,
    /// Replaces the catalogue's `settings.recovery` (tests use a short window or a small cap).
    pub recovery: Option<switchboard_runtime::server::RecoveryPolicy>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            jwt_secret: DEV_SECRET.as_bytes().to_vec(),
            demo: false,
            demo_interval: Duration::from_secs(2),
            server: ServerConfig::default(),
            redis_url: None,
            recovery: None,
        }
    }
}

/// A running gateway.
pub struct Gateway {
    /// The bound address.
    pub addr: SocketAddr,
    /// The runtime (counters, limits).
    pub runtime: Arc<Runtime>,
    /// Typed emitters over the running server.
    pub emitter: Emitter,
    /// The demo backend's state.
    pub backend: Arc<DemoBackend>,
    io: server::SocketIo,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Stops accepting connections and closes every live one (clients see the link drop).
    pub fn abort(&self) {
        self.task.abort();
        let io = self.io.clone();
        tokio::spawn(async move { io.close().await });
    }

    /// Like [`Gateway::abort`], and waits until every connection is closed.
    pub async fn shutdown(&self) {
        self.task.abort();
        self.io.close().await;
    }
}

/// Longest the gateway waits, at start, for its namespace to subscribe to Redis.
const MOUNT_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds and serves in the background. With `redis_url`, fails when Redis cannot be reached.
pub async fn start(config: GatewayConfig) -> std::io::Result<Gateway> {
    let runtime = Runtime::with_config(JwtHs256::new(&config.jwt_secret), config.server.clone());
    let redis = match &config.redis_url {
        Some(url) => Some(server::RedisConn::connect(url).await.map_err(std::io::Error::other)?),
        None => None,
    };
    let (runtime, adapter) = match &redis {
        // Reliable resends are deduplicated across nodes, rooms fan out through Redis, and the
        // history of recoverable events lives in Redis Streams.
        Some(conn) => {
            let history = switchboard_runtime::server::RedisHistory::open(conn.clone()).await.map_err(std::io::Error::other)?;
            (runtime.with_dedup(server::RedisDedup::new(conn.clone(), config.server.dedup_ttl)).with_history(history), server::AdapterState::redis(conn.clone()))
        }
        None => (runtime, server::AdapterState::local()),
    };
    let runtime = Arc::new(runtime);
    let (layer, io) = config.server.builder_on(adapter).build_layer();
    let emitter = Emitter::new(io.clone(), runtime.clone());
    let io_handle = io.clone();
    let backend = Arc::new(DemoBackend { emitter: emitter.clone(), seq: AtomicU64::new(1), effects: Mutex::new(BTreeMap::new()) });
    let metrics = runtime.metrics().clone();
    // Set first, so the catalogue's own policy (set by `mount`) does not apply.
    if let Some(policy) = config.recovery {
        runtime.enable_recovery(policy);
    }
    server::mount(&io, runtime.clone(), backend.clone());
    runtime.mounted(MOUNT_TIMEOUT).await.map_err(std::io::Error::other)?;
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        // Process alive: answers as long as the HTTP server does.
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(move || ready(redis.clone())))
        .route("/metrics", axum::routing::get(move || prometheus(metrics.clone())))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    // The runtime's listener: header-read timeout, connection caps, TCP_NODELAY.
    let serve = runtime.clone().serve(listener, app);
    let task = tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::error!("server stopped: {e}");
        }
    });
    if config.demo {
        tokio::spawn(demo_loop(emitter.clone(), config.demo_interval));
    }
    Ok(Gateway { addr, runtime, emitter, backend, io: io_handle, task })
}

/// `/readyz`: 200 when this node can serve, 503 with the reason when it cannot (Redis
/// configured and not answering: broadcasts would reach only this node's sockets).
async fn ready(redis: Option<server::RedisConn>) -> (axum::http::StatusCode, String) {
    match redis {
        None => (axum::http::StatusCode::OK, "ready".into()),
        Some(conn) => match conn.ping().await {
            Ok(()) => (axum::http::StatusCode::OK, "ready".into()),
            Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, format!("not ready: Redis: {e}")),
        },
    }
}

/// `/metrics`: the runtime's counters as Prometheus text.
async fn prometheus(metrics: Arc<server::Metrics>) -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.snapshot().prometheus())
}

/// The in-memory demo backend: implements every handler trait of the catalogue.
pub struct DemoBackend {
    emitter: Emitter,
    seq: AtomicU64,
    /// Side effects per chat (message id and text stored), so tests can count effects.
    effects: Mutex<BTreeMap<String, Vec<(String, String)>>>,
}

impl DemoBackend {
    /// Ids of the messages stored for a chat, in order.
    pub fn chat_messages(&self, chat_id: &str) -> Vec<String> {
        self.chat_effects(chat_id).into_iter().map(|(id, _)| id).collect()
    }

    /// `(message id, text)` of every message stored for a chat, in order.
    pub fn chat_effects(&self, chat_id: &str) -> Vec<(String, String)> {
        self.effects.lock().map(|m| m.get(chat_id).cloned().unwrap_or_default()).unwrap_or_default()
    }

    fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.seq.fetch_add(1, Ordering::Relaxed))
    }
}

fn owns_order(user: &str, order: &str) -> bool {
    matches!((order, user), ("o-100", "u1") | ("o-200", "u2")) || order.strip_prefix("ord-").and_then(|r| r.rsplit_once('-')).is_some_and(|(u, _)| u == user)
}

fn in_group(user: &str, group_id: &str) -> bool {
    match group_id {
        "g-1" => matches!(user, "u1" | "u2" | "u3"),
        other => other.strip_prefix("grp-").and_then(|r| r.rsplit_once('-')).is_some_and(|(owner, _)| owner == user),
    }
}

fn in_chat(user: &str, chat: &str) -> bool {
    if chat == "c-1" {
        return matches!(user, "u1" | "u2" | "u3");
    }
    chat.strip_prefix("dm-").and_then(|r| r.split_once('-')).is_some_and(|(a, b)| a == user || b == user)
}

fn in_conversation(user: &str, conv: &str) -> bool {
    if conv == "conv-1" {
        return matches!(user, "u1" | "store-1");
    }
    conv.strip_prefix("conv-").and_then(|r| r.rsplit_once('-')).is_some_and(|(u, _)| u == user)
}

fn not_member(what: &str) -> AckError {
    AckError::new(ErrorCode::Forbidden, format!("you are not a participant of this {what}"))
}

fn log_emit(r: Result<(), server::EmitError>) {
    if let Err(e) = r {
        tracing::warn!("emit: {e}");
    }
}

impl server::SessionHandlers for DemoBackend {
    async fn heartbeat(&self, _ctx: Ctx, _p: types::HeartbeatPayload) -> Result<types::HeartbeatAck, AckError> {
        Ok(types::HeartbeatAck { server_time: Timestamp::now() })
    }
}

impl server::CatalogHandlers for DemoBackend {
    async fn may_join_merchant(&self, ctx: &Ctx, room: &rooms::MerchantRoom) -> bool {
        room.merchant_id == ctx.principal().user_id
    }
}

impl server::GroupBuyingHandlers for DemoBackend {
    async fn may_join_group(&self, ctx: &Ctx, room: &rooms::GroupRoom) -> bool {
        in_group(&ctx.principal().user_id, &room.group_id)
    }

    /// Posts the message to the group's room as `groupbuying:message`.
    async fn groupbuying_send_message(&self, ctx: Ctx, p: types::GroupSendMessagePayload) -> Result<(), AckError> {
        let user = ctx.principal().user_id.clone();
        if !in_group(&user, &p.group_id) {
            return Err(not_member("group"));
        }
        let update = types::GroupUpdatePayload {
            group_id: p.group_id,
            r#type: types::GroupUpdateType::Message,
            data: json!({ "senderId": user, "message": p.message }),
            timestamp: Timestamp::now(),
        };
        log_emit(self.emitter.groupbuying_message(&update).await);
        Ok(())
    }
}
impl server::FeedHandlers for DemoBackend {}
impl server::LeaderboardHandlers for DemoBackend {}
impl server::EarningsHandlers for DemoBackend {}

impl server::CartHandlers for DemoBackend {
    async fn may_join_cart(&self, ctx: &Ctx, room: &rooms::CartRoom) -> bool {
        room.cart_id == format!("cart-{}", ctx.principal().user_id)
    }
}

impl server::OrdersHandlers for DemoBackend {
    async fn may_join_order(&self, ctx: &Ctx, room: &rooms::OrderRoom) -> bool {
        owns_order(&ctx.principal().user_id, &room.order_id)
    }

    /// Sends the order's current status right after the join, as a real backend would.
    async fn subscribe_order(&self, _ctx: Ctx, p: types::SubscribeOrderPayload) -> Result<(), AckError> {
        let update = types::OrderStatusChangePayload {
            order_id: p.order_id.clone(),
            status: "preparing".into(),
            message: "Your order is being prepared".into(),
            timestamp: Timestamp::now(),
            estimated_delivery: None,
        };
        let emitter = self.emitter.clone();
        // After the ack: the subscriber sees the ack, then the current status.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log_emit(emitter.order_status_update(&update).await);
        });
        Ok(())
    }
}

impl server::ChatHandlers for DemoBackend {
    async fn may_join_chat(&self, ctx: &Ctx, room: &rooms::ChatRoom) -> bool {
        in_chat(&ctx.principal().user_id, &room.chat_id)
    }

    async fn chat_send_message(&self, ctx: Ctx, p: types::SendChatMessagePayload) -> Result<types::SendChatMessageAck, AckError> {
        let user = ctx.principal().user_id.clone();
        if !in_chat(&user, &p.chat_id) {
            return Err(not_member("chat"));
        }
        let message_id = self.next_id("msg");
        let timestamp = Timestamp::now();
        if let Ok(mut m) = self.effects.lock() {
            m.entry(p.chat_id.clone()).or_default().push((message_id.clone(), p.message.clone()));
        }
        let msg = types::ChatMessagePayload {
            message_id: message_id.clone(),
            chat_id: p.chat_id.clone(),
            sender_id: user.clone(),
            sender_name: user,
            sender_type: types::ChatSenderType::User,
            text: p.message,
            timestamp,
            attachments: p.attachments,
        };
        log_emit(self.emitter.chat_message(&msg).await);
        Ok(types::SendChatMessageAck { message_id, timestamp })
    }

    async fn chat_typing(&self, ctx: Ctx, p: types::ChatTypingRequest) -> Result<(), AckError> {
        let user = ctx.principal().user_id.clone();
        if !in_chat(&user, &p.chat_id) {
            return Err(not_member("chat"));
        }
        let t = types::ChatTypingPayload { chat_id: p.chat_id, user_id: user.clone(), user_name: user, is_typing: p.is_typing, timestamp: Timestamp::now() };
        log_emit(self.emitter.chat_typing(&t).await);
        Ok(())
    }

    async fn chat_read(&self, ctx: Ctx, p: types::ChatReadRequest) -> Result<(), AckError> {
        let user = ctx.principal().user_id.clone();
        if !in_chat(&user, &p.chat_id) {
            return Err(not_member("chat"));
        }
        let r = types::ChatReadPayload { chat_id: p.chat_id, message_ids: p.message_ids, read_by: user, timestamp: Timestamp::now() };
        log_emit(self.emitter.chat_read(&r).await);
        Ok(())
    }
}

impl server::MessagingHandlers for DemoBackend {
    async fn may_join_conversation(&self, ctx: &Ctx, room: &rooms::ConversationRoom) -> bool {
        in_conversation(&ctx.principal().user_id, &room.conversation_id)
    }

    async fn typing_start(&self, ctx: Ctx, p: types::TypingRequest) -> Result<(), AckError> {
        self.typing(ctx, p, true).await
    }

    async fn typing_stop(&self, ctx: Ctx, p: types::TypingRequest) -> Result<(), AckError> {
        self.typing(ctx, p, false).await
    }
}

impl DemoBackend {
    async fn typing(&self, ctx: Ctx, p: types::TypingRequest, is_typing: bool) -> Result<(), AckError> {
        let user = ctx.principal().user_id.clone();
        if !in_conversation(&user, &p.conversation_id) {
            return Err(not_member("conversation"));
        }
        let t = types::TypingPayload { conversation_id: p.conversation_id, user_id: user.clone(), user_name: user, is_typing };
        let r = if is_typing { self.emitter.typing_start(&t).await } else { self.emitter.typing_stop(&t).await };
        log_emit(r);
        Ok(())
    }
}

/// Emits realistic order, feed, leaderboard, cart, stock and flash-sale events forever.
async fn demo_loop(e: Emitter, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    for n in 0u64.. {
        ticker.tick().await;
        demo_round(&e, n, Timestamp::now()).await;
    }
}

/// Round `n` of demo events, all stamped `ts`. Payloads are built with their constructors, so
/// an optional field added to the catalogue does not break the demo.
async fn demo_round(e: &Emitter, n: u64, ts: Timestamp) {
    const STATUSES: [&str; 5] = ["confirmed", "preparing", "ready", "out_for_delivery", "delivered"];
    let (k, x) = (n as i64, n as f64);
    for (i, order) in ["o-100", "o-200"].into_iter().enumerate() {
        let status = STATUSES[(n as usize) % STATUSES.len()];
        let previous = STATUSES[(n as usize + STATUSES.len() - 1) % STATUSES.len()];
        let message = format!("Order {order} is {}", status.replace('_', " "));
        log_emit(e.order_status_update(&types::OrderStatusChangePayload::new(order, status, message.clone(), ts)).await);
        // What the Node backend sends: the full shape, then the order list of its owner.
        let number = format!("RZ-{}", 100 * (i + 1));
        let full = types::OrderStatusUpdatePayload::new(order, number.clone(), status, message, ts).with_previous_status(previous);
        log_emit(e.order_status_updated(&full).await);
        let owner = if i == 0 { "u1" } else { "u2" };
        log_emit(e.order_list_updated(owner, &types::OrderListUpdatedPayload::new(order, number, status, ts).with_previous_status(previous)).await);
    }
    for user in ["u1", "u2"] {
        log_emit(e.feed_new_post(user, &types::FeedNewPostPayload::new(format!("post-{n}"), "u3", "Ada", format!("Demo post number {n}"), ts)).await);
    }
    log_emit(e.leaderboard_update(&types::LeaderboardUpdatePayload::new("u2", "u2", "User 2", 900 + k, 2, ts).with_previous_rank(3)).await);
    let entries: Vec<_> = (1..=3).map(|r| types::LeaderboardRankingEntry::new(r, format!("u{r}"), format!("User {r}"), 1000 - r * 100 + k, 4 - r, "gold")).collect();
    log_emit(e.leaderboard_ranking(&types::LeaderboardRankingPayload::new(types::LeaderboardPeriod::Weekly, entries, ts)).await);
    let units = 1 + k % 3;
    let cart = types::CartSyncPayload::new("u1", "cart-u1", vec![types::CartItem::new("line-1", "p-1", units, 4.5)], units, 4.5 * units as f64, ts);
    log_emit(e.cart_sync(&cart).await);
    let coins = types::CoinsAwardedPayload::new("u1", 5.0, "order", "Coins for a demo order", 100.0 + 5.0 * x, ts).with_order_id("o-100").with_order_number("RZ-100");
    log_emit(e.coins_awarded("u1", &coins).await);
    log_emit(e.cashback_credited("u1", &types::CashbackCreditedPayload::new("u1", "o-100", 2.5, "INR", 5.0, "5 % cashback", ts)).await);
    let streak = types::StreakMilestonePayload::new("u1", 1 + k % 7, types::StreakMilestoneType::DailyCheckin, (1 + n % 7) as f64, ts);
    log_emit(e.streak_milestone("u1", &streak).await);
    log_emit(e.balance_update("u1", &types::BalanceUpdatePayload::new(100.0 + x, 10.0, ts)).await);
    let loyalty = types::LoyaltyPointsUpdatedPayload::new(500.0 + x, json!({ "points": 1, "type": "earned" }));
    log_emit(e.loyalty_points_updated("u1", &loyalty).await);
    log_emit(e.groupbuying_update(&types::GroupUpdatePayload::new("g-1", types::GroupUpdateType::StatusChanged, json!({ "members": 3 }), ts)).await);
    log_emit(e.score_update(&types::TournamentScoreUpdatePayload::new("t-1", "u2", 40.0 + x, 2, ts)).await);
    log_emit(e.product_created("m-1", &types::ProductCreatedPayload::new(format!("p-new-{n}"), "Demo product")).await);
    let quantity = (20 - (k % 21)).max(0);
    let stock = match quantity {
        0 => types::StockStatus::OutOfStock,
        1..5 => types::StockStatus::LowStock,
        _ => types::StockStatus::InStock,
    };
    log_emit(e.stock_updated(&types::StockUpdatePayload::new("p-1", "s-1", quantity, stock, ts).with_previous_quantity(quantity + 1)).await);
    let sold = (k * 7) % 100;
    log_emit(e.flashsale_stock_updated(&types::FlashSaleStockUpdatedPayload::new("fs-1", sold, 100 - sold, sold as f64 / 100.0).with_timestamp(ts)).await);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_ownership_rules() {
        assert!(owns_order("u1", "o-100") && !owns_order("u2", "o-100"));
        assert!(owns_order("u7", "ord-u7-3") && !owns_order("u8", "ord-u7-3"));
        assert!(in_chat("u2", "c-1") && !in_chat("u9", "c-1"));
        assert!(in_chat("a", "dm-a-b") && in_chat("b", "dm-a-b") && !in_chat("c", "dm-a-b"));
        assert!(in_group("u3", "g-1") && in_group("u4", "grp-u4-1") && !in_group("u4", "g-1") && !in_group("u5", "grp-u4-1"));
        assert!(in_conversation("u1", "conv-1") && in_conversation("u5", "conv-u5-2") && !in_conversation("u6", "conv-u5-2"));
    }

    #[test]
    fn demo_payloads_are_valid() {
        use switchboard_runtime::validate::Validate;
        let ts = Timestamp::now();
        let coins = types::CoinsAwardedPayload::new("u1", 5.0, "order", "Coins", 100.0, ts).with_order_id("o-100");
        assert!(coins.validate().is_ok());
        assert_eq!(json!(coins)["timestamp"], json!(ts.to_string()), "sent as Date#toJSON writes it");
    }
}
