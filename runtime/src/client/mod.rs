//! The Socket.IO client: one connection actor owns the WebSocket (single reader, single writer)
//! and everything that must survive a reconnect: the offline queue, remembered rooms, listeners
//! and acks in flight.
//!
//! Guarantees (tested in tests/):
//! - reconnect with backoff 1, 2, 4, 8, 16 s (capped), at most 10 attempts, then `Failed`;
//! - reliable events carry a message id (`_mid`), wait for their ack and are resent after a
//!   reconnect (the server deduplicates); on a live connection an ack missing after
//!   `ack_timeout` gets the message resent `reliable_retries` times, then it is given up and
//!   reported (`DropReason::AckTimeout`); volatile events are dropped while offline;
//! - the offline queue holds at most 100 messages, drops the oldest, and reports every drop;
//! - rooms are re-joined after every reconnect, before queued messages drain (FIFO);
//! - a connect error from the server (bad token) ends in `AuthFailed`, not a retry loop;
//! - the link is declared dead when server pings stop or app heartbeats go unanswered.

pub mod backoff;
pub mod codec;
pub mod queue;

pub use backoff::Backoff;
use codec::{EioPacket, OpenInfo, SioKind, SioPacket};
use futures_util::{SinkExt, StreamExt};
use queue::OfflineQueue;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{AckError, MESSAGE_ID_FIELD};

/// App-level heartbeat: an event with `{ timestamp }` sent every `interval`, acked by the server.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// Event name (`heartbeat` in the Rez catalogue).
    pub event: String,
    /// Period.
    pub interval: Duration,
    /// Unanswered heartbeats in a row that force a reconnect.
    pub max_missed: u32,
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Server URL (`http://host:port`, `ws://host:port`); `/socket.io/` is appended.
    pub url: String,
    /// Socket.IO namespace.
    pub namespace: String,
    /// Reconnect schedule.
    pub backoff: Backoff,
    /// Offline queue capacity.
    pub queue_capacity: usize,
    /// How long an emit or a room join waits for its ack on a live connection.
    pub ack_timeout: Duration,
    /// Resends (same message id) of a reliable emit whose ack did not come within `ack_timeout`
    /// on a live connection, before it is given up and reported as `DropReason::AckTimeout`.
    pub reliable_retries: u32,
    /// How long one connection attempt (TCP, WebSocket, handshake) may take.
    pub connect_timeout: Duration,
    /// App-level heartbeat, if any.
    pub heartbeat: Option<Heartbeat>,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
    /// Messages buffered per listener before new ones are dropped (and reported).
    pub listener_buffer: usize,
}

impl ClientConfig {
    /// Defaults for a server URL: backoff 1..16 s x10, queue 100, no heartbeat.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            namespace: "/".into(),
            backoff: Backoff::default(),
            queue_capacity: 100,
            ack_timeout: Duration::from_secs(10),
            reliable_retries: 2,
            connect_timeout: Duration::from_secs(10),
            heartbeat: None,
            max_frame: codec::DEFAULT_MAX_FRAME,
            listener_buffer: 1024,
        }
    }
}

/// What a "Reconnecting... (3)" banner needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not connected and not trying (before start, or after `disconnect()`).
    Disconnected,
    /// First attempt in progress.
    Connecting,
    /// Connected and authenticated.
    Connected,
    /// Waiting `delay` before attempt `attempt` (1-based).
    Reconnecting {
        /// Attempt number.
        attempt: u32,
        /// Delay before it.
        delay: Duration,
    },
    /// Gave up after the last attempt; `connect()` retries by hand.
    Failed {
        /// The last error.
        error: String,
    },
    /// The server refused the token; waits for `update_auth_token` or `connect()`.
    AuthFailed {
        /// The server's message (e.g. `Invalid or expired token`).
        message: String,
    },
}

/// Why a message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The offline queue was full; the oldest message went.
    QueueFull,
    /// A volatile event was emitted while offline.
    Offline,
    /// `clear_queue()` removed it.
    Cleared,
    /// A listener's buffer was full (the app is not reading it).
    ListenerFull,
    /// The client was closed with the message still queued.
    Closed,
    /// A reliable message got no ack on a live connection after `reliable_retries` resends. The
    /// server may or may not have handled it.
    AckTimeout,
}

/// Things the app may want to show or log.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// Connected (and authenticated).
    Connected,
    /// The link was lost.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A message was dropped; never silent.
    Dropped {
        /// The event name.
        event: String,
        /// Why.
        reason: DropReason,
    },
    /// Remembered rooms were re-joined after a reconnect (sent once every re-join is answered
    /// or timed out, just before queued messages drain).
    Rejoined {
        /// How many were re-joined (refused or unanswered re-joins are not counted).
        rooms: usize,
    },
    /// The server sent a frame the codec refused.
    ProtocolError {
        /// What was wrong.
        message: String,
    },
}

/// Counters (monotonic).
#[derive(Debug, Default)]
pub struct Stats {
    /// Messages dropped because the queue was full.
    pub dropped_queue_full: AtomicU64,
    /// Volatile messages dropped while offline.
    pub dropped_offline: AtomicU64,
    /// Messages removed by `clear_queue()` or on close.
    pub dropped_cleared: AtomicU64,
    /// Server events not delivered to a full listener.
    pub dropped_listener: AtomicU64,
    /// Reliable messages given up after their ack did not come (`DropReason::AckTimeout`).
    pub dropped_ack_timeout: AtomicU64,
    /// Successful connections.
    pub connects: AtomicU64,
    /// Reliable messages sent again after a reconnect.
    pub resent: AtomicU64,
    /// Malformed frames received.
    pub protocol_errors: AtomicU64,
}

/// Why an emit did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server answered `{ ok: false, error }`.
    #[error("refused by the server: {0}")]
    Refused(AckError),
    /// A volatile event while offline.
    #[error("not connected (volatile events are not queued)")]
    Offline,
    /// Dropped from the offline queue (full, cleared, or client closed).
    #[error("dropped: {0:?}")]
    Dropped(DropReason),
    /// No ack within the ack timeout.
    #[error("no ack within the timeout")]
    Timeout,
    /// The link dropped while waiting for a volatile event's ack.
    #[error("disconnected before the ack")]
    Disconnected,
    /// The client is closed.
    #[error("the client is closed")]
    Closed,
    /// The ack's data does not match the catalogue's ack type.
    #[error("unexpected ack data: {0}")]
    BadAck(String),
}

type Reply = oneshot::Sender<Result<Value, ClientError>>;

/// A boxed future returned by a [`TokenProvider`].
pub type TokenFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + Send>>;

/// Asked for a token before every connect (e.g. to refresh an expired one). `None` keeps the
/// last token. A token given to `update_auth_token` is used for the next connect as is.
pub trait TokenProvider: Send + Sync + 'static {
    /// The token to send as `auth.token`.
    fn token(&self) -> TokenFuture;
}

impl<F> TokenProvider for F
where
    F: Fn() -> TokenFuture + Send + Sync + 'static,
{
    fn token(&self) -> TokenFuture {
        self()
    }
}

/// How `leave` updates the remembered rooms.
#[derive(Debug, Clone)]
pub enum Forget {
    /// Forget the room with this key.
    Key(String),
    /// Forget every room whose key starts with this prefix (e.g. `cart-`).
    Prefix(String),
}

enum Cmd {
    Emit { event: String, payload: Option<Value>, reliable: bool, reply: Reply },
    Join { key: String, event: String, payload: Option<Value>, reply: Reply },
    Leave { event: String, payload: Option<Value>, forget: Forget, reply: Reply },
    ClearQueue,
    Reconnect,
    Close,
}

/// A running client. Cheap to clone; the connection lives until `disconnect()` or the last
/// clone is dropped.
#[derive(Clone)]
pub struct Client {
    cmd: mpsc::UnboundedSender<Cmd>,
    state: watch::Receiver<ConnectionState>,
    events: broadcast::Sender<ClientEvent>,
    stats: Arc<Stats>,
    queue_len: Arc<AtomicUsize>,
    token: Arc<RwLock<String>>,
    token_pinned: Arc<std::sync::atomic::AtomicBool>,
    listener_ids: Arc<AtomicU64>,
    listener_buffer: usize,
    listeners: Listeners,
}

/// Listeners by id, shared by the handles and the actor: `on` registers before it returns, so a
/// listener gets every event read after that (a command to the actor could be overtaken by a
/// frame already waiting on the socket).
type Listeners = Arc<Mutex<HashMap<u64, (String, mpsc::Sender<Value>)>>>;

/// Receives one server event's payloads; dropping it unsubscribes.
pub struct Listener {
    rx: mpsc::Receiver<Value>,
    id: u64,
    listeners: Listeners,
}

impl Listener {
    /// The next payload (`None` once the client is closed).
    pub async fn recv(&mut self) -> Option<Value> {
        self.rx.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

impl Client {
    /// Starts connecting with `token` (sent as `auth.token` on every connect).
    pub fn connect(config: ClientConfig, token: impl Into<String>) -> Client {
        Self::start(config, token.into(), None)
    }

    /// Starts connecting; `provider` is asked for the token before every connect.
    pub fn connect_with_provider(config: ClientConfig, provider: impl TokenProvider) -> Client {
        Self::start(config, String::new(), Some(Arc::new(provider)))
    }

    fn start(config: ClientConfig, token: String, provider: Option<Arc<dyn TokenProvider>>) -> Client {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connecting);
        let (events, _) = broadcast::channel(256);
        let stats = Arc::new(Stats::default());
        let queue_len = Arc::new(AtomicUsize::new(0));
        let token = Arc::new(RwLock::new(token));
        let token_pinned = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let listener_buffer = config.listener_buffer.max(1);
        let listeners: Listeners = Arc::default();
        let actor = Actor {
            queue: OfflineQueue::new(config.queue_capacity),
            config,
            cmd_rx,
            state: state_tx,
            events: events.clone(),
            stats: stats.clone(),
            queue_len: queue_len.clone(),
            token: token.clone(),
            provider,
            token_pinned: token_pinned.clone(),
            rooms: Vec::new(),
            join_replies: HashMap::new(),
            listeners: listeners.clone(),
            next_ack: 1,
            next_mid: 1,
            client_id: client_id(),
            closed: false,
        };
        tokio::spawn(actor.run());
        Client { cmd: cmd_tx, state: state_rx, events, stats, queue_len, token, token_pinned, listener_ids: Arc::new(AtomicU64::new(1)), listener_buffer, listeners }
    }

    /// The connection state, as a watch (await `changed()` to follow it).
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Drops, reconnects and protocol errors, as they happen.
    pub fn events(&self) -> broadcast::Receiver<ClientEvent> {
        self.events.subscribe()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Messages waiting in the offline queue.
    pub fn queue_size(&self) -> usize {
        self.queue_len.load(Ordering::SeqCst)
    }

    /// Drops every queued message (each reported as `Cleared`).
    pub fn clear_queue(&self) {
        let _ = self.cmd.send(Cmd::ClearQueue);
    }

    /// Reconnects at once with a new token, keeping the queue and the rooms.
    pub fn update_auth_token(&self, token: impl Into<String>) {
        if let Ok(mut t) = self.token.write() {
            *t = token.into();
        }
        // The next connect uses this token without asking the provider.
        self.token_pinned.store(true, Ordering::SeqCst);
        let _ = self.cmd.send(Cmd::Reconnect);
    }

    /// Reconnects at once (app back in the foreground; or a manual retry after `Failed`).
    pub fn resume(&self) {
        let _ = self.cmd.send(Cmd::Reconnect);
    }

    /// Retries by hand after `Failed` or `AuthFailed` (same as `resume`).
    pub fn retry(&self) {
        self.resume();
    }

    /// Closes the connection; queued messages are reported as dropped.
    pub fn disconnect(&self) {
        let _ = self.cmd.send(Cmd::Close);
    }

    async fn call(&self, make: impl FnOnce(Reply) -> Cmd) -> Result<Value, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).map_err(|_| ClientError::Closed)?;
        rx.await.map_err(|_| ClientError::Closed)?
    }

    /// A reliable event: queued while offline, carries a message id, resent after a reconnect
    /// until acked. Resolves with the ack's `data`.
    pub async fn emit_reliable(&self, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Emit { event: event.into(), payload, reliable: true, reply }).await
    }

    /// A volatile event: sent only when connected (else `Offline`, reported as a drop).
    pub async fn emit_volatile(&self, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Emit { event: event.into(), payload, reliable: false, reply }).await
    }

    /// Joins a room through `event` and remembers it under `key`, so it is re-joined after every
    /// reconnect. Resolves with the ack's data once joined.
    pub async fn join(&self, key: &str, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Join { key: key.into(), event: event.into(), payload, reply }).await
    }

    /// Leaves a room through `event` and forgets it.
    pub async fn leave(&self, event: &str, payload: Option<Value>, forget: Forget) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Leave { event: event.into(), payload, forget, reply }).await
    }

    /// Listens to a server event; dropping the listener unsubscribes.
    pub fn on(&self, event: &str) -> Listener {
        let (tx, rx) = mpsc::channel(self.listener_buffer);
        let id = self.listener_ids.fetch_add(1, Ordering::Relaxed);
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).insert(id, (event.into(), tx));
        Listener { rx, id, listeners: self.listeners.clone() }
    }
}

fn client_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{:x}{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A reliable message waiting to be sent or acked.
struct Outgoing {
    event: String,
    payload: Option<Value>,
    reply: Option<Reply>,
    sent_before: bool,
    /// Resends on a live connection because the ack did not come in time.
    timeouts: u32,
}

enum InFlight {
    Reliable(Outgoing, Instant),
    Volatile { reply: Reply, deadline: Instant },
    Join { key: String, deadline: Instant },
    Leave { reply: Reply, deadline: Instant },
    Heartbeat,
}

struct Room {
    key: String,
    event: String,
    payload: Option<Value>,
}

enum End {
    Closed,
    Reconnect,
    Lost(String),
    AuthFailed(String),
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Actor {
    config: ClientConfig,
    cmd_rx: mpsc::UnboundedReceiver<Cmd>,
    state: watch::Sender<ConnectionState>,
    events: broadcast::Sender<ClientEvent>,
    stats: Arc<Stats>,
    queue: OfflineQueue<Outgoing>,
    queue_len: Arc<AtomicUsize>,
    token: Arc<RwLock<String>>,
    provider: Option<Arc<dyn TokenProvider>>,
    token_pinned: Arc<std::sync::atomic::AtomicBool>,
    rooms: Vec<Room>,
    join_replies: HashMap<String, Vec<Reply>>,
    listeners: Listeners,
    next_ack: u64,
    next_mid: u64,
    client_id: String,
    closed: bool,
}

enum Offline {
    Retry,
    Closed,
}

impl Actor {
    fn set_state(&self, s: ConnectionState) {
        self.state.send_replace(s);
    }

    fn event(&self, e: ClientEvent) {
        let _ = self.events.send(e);
    }

    fn sync_len(&self) {
        self.queue_len.store(self.queue.len(), Ordering::SeqCst);
    }

    fn report_drop(&self, o: Outgoing, reason: DropReason) {
        let counter = match reason {
            DropReason::QueueFull => &self.stats.dropped_queue_full,
            DropReason::Offline => &self.stats.dropped_offline,
            DropReason::ListenerFull => &self.stats.dropped_listener,
            DropReason::Cleared | DropReason::Closed => &self.stats.dropped_cleared,
            DropReason::AckTimeout => &self.stats.dropped_ack_timeout,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(event = %o.event, ?reason, "client message dropped");
        self.event(ClientEvent::Dropped { event: o.event.clone(), reason });
        if let Some(r) = o.reply {
            let _ = r.send(Err(ClientError::Dropped(reason)));
        }
    }

    fn enqueue(&mut self, o: Outgoing) {
        if let Some(d) = self.queue.push(o) {
            self.report_drop(d, DropReason::QueueFull);
        }
        self.sync_len();
    }

    fn with_mid(&mut self, payload: Option<Value>) -> Option<Value> {
        match payload {
            Some(Value::Object(mut m)) => {
                if !m.contains_key(MESSAGE_ID_FIELD) {
                    m.insert(MESSAGE_ID_FIELD.into(), Value::String(format!("{}-{}", self.client_id, self.next_mid)));
                    self.next_mid += 1;
                }
                Some(Value::Object(m))
            }
            other => other,
        }
    }

    /// Handles a command while offline. Returns Some when the offline wait should end.
    fn offline_cmd(&mut self, cmd: Cmd) -> Option<Offline> {
        match cmd {
            Cmd::Emit { event, payload, reliable: true, reply } => {
                let payload = self.with_mid(payload);
                self.enqueue(Outgoing { event, payload, reply: Some(reply), sent_before: false, timeouts: 0 });
            }
            Cmd::Emit { event, reply, .. } => {
                self.stats.dropped_offline.fetch_add(1, Ordering::Relaxed);
                self.event(ClientEvent::Dropped { event, reason: DropReason::Offline });
                let _ = reply.send(Err(ClientError::Offline));
            }
            Cmd::Join { key, event, payload, reply } => {
                self.remember(key.clone(), event, payload);
                self.join_replies.entry(key).or_default().push(reply);
            }
            Cmd::Leave { forget, reply, .. } => {
                self.forget(&forget);
                let _ = reply.send(Ok(Value::Null));
            }
            Cmd::ClearQueue => self.clear(DropReason::Cleared),
            Cmd::Reconnect => return Some(Offline::Retry),
            Cmd::Close => return Some(Offline::Closed),
        }
        None
    }

    fn clear(&mut self, reason: DropReason) {
        for o in self.queue.clear() {
            self.report_drop(o, reason);
        }
        self.sync_len();
    }

    fn remember(&mut self, key: String, event: String, payload: Option<Value>) {
        self.rooms.retain(|r| r.key != key);
        self.rooms.push(Room { key, event, payload });
    }

    fn forget(&mut self, f: &Forget) {
        let gone = |k: &str| match f {
            Forget::Key(key) => k == key,
            Forget::Prefix(p) => k.starts_with(p.as_str()),
        };
        let keys: Vec<String> = self.rooms.iter().filter(|r| gone(&r.key)).map(|r| r.key.clone()).collect();
        self.rooms.retain(|r| !gone(&r.key));
        for k in keys {
            for r in self.join_replies.remove(&k).unwrap_or_default() {
                let _ = r.send(Err(ClientError::Dropped(DropReason::Cleared)));
            }
        }
    }

    /// Waits offline (processing commands) until `until` (None: forever), a reconnect request
    /// or close.
    async fn wait_offline(&mut self, until: Option<Instant>) -> Option<Offline> {
        loop {
            let cmd = match until {
                Some(t) => match tokio::time::timeout_at(t, self.cmd_rx.recv()).await {
                    Ok(c) => c,
                    Err(_) => return None,
                },
                None => self.cmd_rx.recv().await,
            };
            let Some(cmd) = cmd else { return Some(Offline::Closed) };
            if let Some(o) = self.offline_cmd(cmd) {
                return Some(o);
            }
        }
    }

    async fn run(mut self) {
        let mut attempt: u32 = 0;
        loop {
            if self.closed {
                break;
            }
            if attempt == 0 {
                self.set_state(ConnectionState::Connecting);
            }
            match self.connect_once().await {
                Ok((ws, open)) => {
                    attempt = 0;
                    self.stats.connects.fetch_add(1, Ordering::Relaxed);
                    self.set_state(ConnectionState::Connected);
                    self.event(ClientEvent::Connected);
                    match self.serve(ws, open).await {
                        End::Closed => break,
                        End::Reconnect => {
                            self.event(ClientEvent::Disconnected { reason: "reconnect requested".into() });
                            continue;
                        }
                        End::AuthFailed(m) => {
                            if self.auth_failed(m).await {
                                break;
                            }
                            continue;
                        }
                        End::Lost(reason) => {
                            tracing::info!(%reason, "connection lost");
                            self.event(ClientEvent::Disconnected { reason: reason.clone() });
                            attempt = 1;
                            if self.backoff_wait(&mut attempt, reason).await {
                                break;
                            }
                        }
                    }
                }
                Err(End::AuthFailed(m)) => {
                    if self.auth_failed(m).await {
                        break;
                    }
                    attempt = 0;
                }
                Err(End::Closed) => break,
                Err(End::Reconnect) => attempt = 0,
                Err(End::Lost(e)) => {
                    attempt += 1;
                    if self.backoff_wait(&mut attempt, e).await {
                        break;
                    }
                }
            }
        }
        self.clear(DropReason::Closed);
        for (_, replies) in self.join_replies.drain() {
            for r in replies {
                let _ = r.send(Err(ClientError::Closed));
            }
        }
        self.set_state(ConnectionState::Disconnected);
    }

    /// Sleeps before attempt `attempt`; returns true when the client closed. Resets `attempt`
    /// to 0 on a manual reconnect.
    async fn backoff_wait(&mut self, attempt: &mut u32, error: String) -> bool {
        match self.config.backoff.delay_with_jitter(*attempt, unit_random()) {
            Some(delay) => {
                self.set_state(ConnectionState::Reconnecting { attempt: *attempt, delay });
                match self.wait_offline(Some(Instant::now() + delay)).await {
                    None => false,
                    Some(Offline::Retry) => {
                        *attempt = 0;
                        false
                    }
                    Some(Offline::Closed) => true,
                }
            }
            None => {
                self.set_state(ConnectionState::Failed { error });
                match self.wait_offline(None).await {
                    Some(Offline::Retry) | None => {
                        *attempt = 0;
                        false
                    }
                    Some(Offline::Closed) => true,
                }
            }
        }
    }

    /// Waits for a new token or a manual retry; true when closed.
    async fn auth_failed(&mut self, message: String) -> bool {
        tracing::warn!(%message, "authentication failed; waiting for a new token");
        self.set_state(ConnectionState::AuthFailed { message });
        !matches!(self.wait_offline(None).await, Some(Offline::Retry) | None)
    }

    fn ws_url(&self) -> String {
        let base = self.config.url.trim_end_matches('/');
        let base = base.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
        format!("{base}/socket.io/?EIO=4&transport=websocket")
    }

    /// TCP + WebSocket + Engine.IO open + Socket.IO connect with `auth.token`.
    async fn connect_once(&mut self) -> Result<(Ws, OpenInfo), End> {
        let url = self.ws_url();
        let pinned = self.token_pinned.swap(false, Ordering::SeqCst);
        if let (Some(p), false) = (&self.provider, pinned) {
            let asked = tokio::time::timeout(self.config.connect_timeout, p.token()).await;
            match asked {
                Ok(Some(t)) => {
                    if let Ok(mut cur) = self.token.write() {
                        *cur = t;
                    }
                }
                Ok(None) => {}
                Err(_) => return Err(End::Lost("the token provider timed out".into())),
            }
        }
        let token = self.token.read().map(|t| t.clone()).unwrap_or_default();
        let nsp = self.config.namespace.clone();
        let max_frame = self.config.max_frame;
        let ws_config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(max_frame))
            .max_frame_size(Some(max_frame));
        let attempt = async move {
            let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_config), true)
                .await
                .map_err(|e| End::Lost(format!("connect: {e}")))?;
            let open = loop {
                match next_packet(&mut ws, max_frame).await? {
                    EioPacket::Open(o) => break o,
                    EioPacket::Noop => continue,
                    other => return Err(End::Lost(format!("expected the Engine.IO open packet, got {other:?}"))),
                }
            };
            let connect = EioPacket::Message(SioPacket { nsp: nsp.clone(), kind: SioKind::Connect(Some(serde_json::json!({ "token": token }))) });
            send(&mut ws, &connect).await?;
            loop {
                match next_packet(&mut ws, max_frame).await? {
                    EioPacket::Message(SioPacket { nsp: n, kind: SioKind::Connect(_) }) if n == nsp => return Ok((ws, open)),
                    EioPacket::Message(SioPacket { kind: SioKind::ConnectError(v), .. }) => {
                        let msg = v.get("message").and_then(Value::as_str).unwrap_or("connection refused").to_string();
                        return Err(End::AuthFailed(msg));
                    }
                    EioPacket::Ping(d) => send(&mut ws, &EioPacket::Pong(d)).await?,
                    EioPacket::Close => return Err(End::Lost("server closed during the handshake".into())),
                    _ => continue,
                }
            }
        };
        // Commands keep flowing while connecting (emits are queued, close is honoured).
        let deadline = Instant::now() + self.config.connect_timeout;
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                r = &mut attempt => return r,
                _ = tokio::time::sleep_until(deadline) => return Err(End::Lost("connect timed out".into())),
                cmd = self.cmd_rx.recv() => {
                    let Some(cmd) = cmd else { return Err(End::Closed) };
                    match self.offline_cmd(cmd) {
                        Some(Offline::Closed) => {
                            self.closed = true;
                            return Err(End::Closed);
                        }
                        // A new token while connecting: start over with it.
                        Some(Offline::Retry) => return Err(End::Reconnect),
                        None => {}
                    }
                }
            }
        }
    }

    fn take_ack_id(&mut self) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        id
    }

    fn event_packet(&self, event: &str, payload: &Option<Value>, id: Option<u64>) -> EioPacket {
        EioPacket::Message(SioPacket {
            nsp: self.config.namespace.clone(),
            kind: SioKind::Event { name: event.to_string(), args: payload.iter().cloned().collect(), id },
        })
    }

    /// The connected loop. Returns why it ended; in-flight and queued state is kept for the next
    /// connection.
    async fn serve(&mut self, mut ws: Ws, open: OpenInfo) -> End {
        let mut inflight: BTreeMap<u64, InFlight> = BTreeMap::new();
        let watchdog_span = Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout).max(1000));
        let mut watchdog = Instant::now() + watchdog_span;
        let hb_interval = self.config.heartbeat.as_ref().map_or(Duration::from_secs(3600), |h| h.interval);
        let mut hb = tokio::time::interval_at(Instant::now() + hb_interval, hb_interval);
        let mut hb_missed: u32 = 0;
        let mut hb_pending: Option<u64> = None;
        let mut sweep = tokio::time::interval(Duration::from_millis(250));
        // Re-join remembered rooms first; queued messages drain once every re-join is answered
        // (tracked by ack id: a join the app makes meanwhile must not count as one of them).
        let mut rejoining: HashSet<u64> = HashSet::new();
        let mut rejoined: usize = 0;
        let rooms: Vec<(String, String, Option<Value>)> = self.rooms.iter().map(|r| (r.key.clone(), r.event.clone(), r.payload.clone())).collect();
        for (key, event, payload) in rooms {
            let id = self.take_ack_id();
            if let Err(e) = send(&mut ws, &self.event_packet(&event, &payload, Some(id))).await {
                return self.lost(inflight, e);
            }
            inflight.insert(id, InFlight::Join { key, deadline: Instant::now() + self.config.ack_timeout });
            rejoining.insert(id);
        }
        let mut drained = rejoining.is_empty();
        if drained
            && let Err(e) = self.drain(&mut ws, &mut inflight).await
        {
            return self.lost(inflight, e);
        }
        loop {
            tokio::select! {
                frame = ws.next() => {
                    let packet = match frame {
                        None => return self.lost(inflight, End::Lost("the server closed the connection".into())),
                        Some(Err(e)) => return self.lost(inflight, End::Lost(format!("read: {e}"))),
                        Some(Ok(Message::Text(t))) => codec::decode(t.as_str(), self.config.max_frame),
                        Some(Ok(Message::Close(_))) => return self.lost(inflight, End::Lost("the server closed the connection".into())),
                        Some(Ok(Message::Binary(_))) => Err(codec::CodecError { message: "binary frames are not supported".into(), frame_start: String::new() }),
                        Some(Ok(_)) => continue,
                    };
                    let packet = match packet {
                        Ok(p) => p,
                        Err(e) => {
                            self.stats.protocol_errors.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!("{e}");
                            self.event(ClientEvent::ProtocolError { message: e.to_string() });
                            continue;
                        }
                    };
                    match packet {
                        EioPacket::Ping(d) => {
                            watchdog = Instant::now() + watchdog_span;
                            if let Err(e) = send(&mut ws, &EioPacket::Pong(d)).await {
                                return self.lost(inflight, e);
                            }
                        }
                        EioPacket::Close => return self.lost(inflight, End::Lost("the server closed the session".into())),
                        EioPacket::Message(SioPacket { kind, .. }) => match kind {
                            SioKind::Event { name, mut args, id } => {
                                let payload = if args.is_empty() { Value::Null } else { args.swap_remove(0) };
                                self.dispatch(&name, payload);
                                if let Some(id) = id {
                                    // Answer the server's ack request so it never waits.
                                    let ack = EioPacket::Message(SioPacket { nsp: self.config.namespace.clone(), kind: SioKind::Ack { args: vec![], id } });
                                    if let Err(e) = send(&mut ws, &ack).await {
                                        return self.lost(inflight, e);
                                    }
                                }
                            }
                            SioKind::Ack { mut args, id } => {
                                let data = if args.is_empty() { Value::Null } else { args.swap_remove(0) };
                                match inflight.remove(&id) {
                                    Some(InFlight::Reliable(o, _)) => {
                                        if let Some(r) = o.reply {
                                            let _ = r.send(unwrap_ack(data));
                                        }
                                    }
                                    Some(InFlight::Volatile { reply, .. }) | Some(InFlight::Leave { reply, .. }) => {
                                        let _ = reply.send(unwrap_ack(data));
                                    }
                                    Some(InFlight::Join { key, .. }) => {
                                        let result = unwrap_ack(data);
                                        if result.is_err() {
                                            // A refused join is forgotten, so it is not retried forever.
                                            self.rooms.retain(|r| r.key != key);
                                        }
                                        if rejoining.remove(&id) && result.is_ok() {
                                            rejoined += 1;
                                        }
                                        for r in self.join_replies.remove(&key).unwrap_or_default() {
                                            let _ = r.send(result.clone());
                                        }
                                    }
                                    Some(InFlight::Heartbeat) => {
                                        if hb_pending == Some(id) {
                                            hb_pending = None;
                                            hb_missed = 0;
                                        }
                                    }
                                    None => tracing::debug!(id, "ack for an unknown id"),
                                }
                                if !drained && rejoining.is_empty() {
                                    drained = true;
                                    self.event(ClientEvent::Rejoined { rooms: rejoined });
                                    if let Err(e) = self.drain(&mut ws, &mut inflight).await {
                                        return self.lost(inflight, e);
                                    }
                                }
                            }
                            SioKind::Disconnect => return self.lost(inflight, End::Lost("the server disconnected this socket".into())),
                            SioKind::ConnectError(v) => {
                                let msg = v.get("message").and_then(Value::as_str).unwrap_or("refused").to_string();
                                let _ = self.lost(inflight, End::Lost(msg.clone()));
                                return End::AuthFailed(msg);
                            }
                            SioKind::Connect(_) => {}
                        },
                        EioPacket::Open(_) | EioPacket::Pong(_) | EioPacket::Upgrade | EioPacket::Noop => {}
                    }
                }
                cmd = self.cmd_rx.recv() => {
                    let Some(cmd) = cmd else {
                        let _ = ws.close(None).await;
                        let _ = self.lost(inflight, End::Closed);
                        self.closed = true;
                        return End::Closed;
                    };
                    let result = match cmd {
                        Cmd::Emit { event, payload, reliable: true, reply } => {
                            let payload = self.with_mid(payload);
                            let o = Outgoing { event, payload, reply: Some(reply), sent_before: false, timeouts: 0 };
                            if drained {
                                self.send_reliable(&mut ws, &mut inflight, o).await
                            } else {
                                self.enqueue(o);
                                Ok(())
                            }
                        }
                        Cmd::Emit { event, payload, reliable: false, reply } => {
                            let id = self.take_ack_id();
                            let r = send(&mut ws, &self.event_packet(&event, &payload, Some(id))).await;
                            inflight.insert(id, InFlight::Volatile { reply, deadline: Instant::now() + self.config.ack_timeout });
                            r
                        }
                        Cmd::Join { key, event, payload, reply } => {
                            self.remember(key.clone(), event.clone(), payload.clone());
                            self.join_replies.entry(key.clone()).or_default().push(reply);
                            let id = self.take_ack_id();
                            inflight.insert(id, InFlight::Join { key, deadline: Instant::now() + self.config.ack_timeout });
                            send(&mut ws, &self.event_packet(&event, &payload, Some(id))).await
                        }
                        Cmd::Leave { event, payload, forget, reply } => {
                            self.forget(&forget);
                            let id = self.take_ack_id();
                            inflight.insert(id, InFlight::Leave { reply, deadline: Instant::now() + self.config.ack_timeout });
                            send(&mut ws, &self.event_packet(&event, &payload, Some(id))).await
                        }
                        Cmd::ClearQueue => {
                            self.clear(DropReason::Cleared);
                            Ok(())
                        }
                        Cmd::Reconnect => {
                            let _ = ws.close(None).await;
                            let _ = self.lost(inflight, End::Reconnect);
                            return End::Reconnect;
                        }
                        Cmd::Close => {
                            let _ = send(&mut ws, &EioPacket::Message(SioPacket { nsp: self.config.namespace.clone(), kind: SioKind::Disconnect })).await;
                            let _ = ws.close(None).await;
                            let _ = self.lost(inflight, End::Closed);
                            self.closed = true;
                            return End::Closed;
                        }
                    };
                    if let Err(e) = result {
                        return self.lost(inflight, e);
                    }
                }
                _ = tokio::time::sleep_until(watchdog) => {
                    return self.lost(inflight, End::Lost(format!("no ping from the server for {} ms", watchdog_span.as_millis())));
                }
                _ = hb.tick(), if self.config.heartbeat.is_some() => {
                    let h = self.config.heartbeat.clone().expect("checked by the guard");
                    if hb_pending.is_some() {
                        hb_missed += 1;
                        if hb_missed >= h.max_missed.max(1) {
                            return self.lost(inflight, End::Lost(format!("{hb_missed} heartbeats unanswered")));
                        }
                    }
                    let id = self.take_ack_id();
                    let ts = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
                    let payload = Some(serde_json::json!({ "timestamp": ts }));
                    if let Some(old) = hb_pending.replace(id) {
                        inflight.remove(&old);
                    }
                    inflight.insert(id, InFlight::Heartbeat);
                    if let Err(e) = send(&mut ws, &self.event_packet(&h.event, &payload, Some(id))).await {
                        return self.lost(inflight, e);
                    }
                }
                _ = sweep.tick() => {
                    let now = Instant::now();
                    let expired: Vec<u64> = inflight
                        .iter()
                        .filter(|(_, f)| {
                            matches!(f, InFlight::Reliable(_, deadline) | InFlight::Volatile { deadline, .. } | InFlight::Join { deadline, .. } | InFlight::Leave { deadline, .. } if *deadline <= now)
                        })
                        .map(|(id, _)| *id)
                        .collect();
                    for id in expired {
                        match inflight.remove(&id) {
                            Some(InFlight::Volatile { reply, .. }) | Some(InFlight::Leave { reply, .. }) => {
                                let _ = reply.send(Err(ClientError::Timeout));
                            }
                            // Sent again with the same message id (the server answers a resend of
                            // a handled one from its dedup store), a bounded number of times.
                            Some(InFlight::Reliable(o, _)) if o.timeouts < self.config.reliable_retries => {
                                tracing::debug!(event = %o.event, "no ack in time; resending");
                                if let Err(e) = self.send_reliable(&mut ws, &mut inflight, Outgoing { timeouts: o.timeouts + 1, ..o }).await {
                                    return self.lost(inflight, e);
                                }
                            }
                            Some(InFlight::Reliable(o, _)) => self.report_drop(o, DropReason::AckTimeout),
                            Some(InFlight::Join { key, .. }) => {
                                // Kept in memory: re-joined on the next connection.
                                for r in self.join_replies.remove(&key).unwrap_or_default() {
                                    let _ = r.send(Err(ClientError::Timeout));
                                }
                                rejoining.remove(&id);
                            }
                            _ => {}
                        }
                    }
                    if !drained && rejoining.is_empty() {
                        drained = true;
                        self.event(ClientEvent::Rejoined { rooms: rejoined });
                        if let Err(e) = self.drain(&mut ws, &mut inflight).await {
                            return self.lost(inflight, e);
                        }
                    }
                }
            }
        }
    }

    async fn send_reliable(&mut self, ws: &mut Ws, inflight: &mut BTreeMap<u64, InFlight>, o: Outgoing) -> Result<(), End> {
        let id = self.take_ack_id();
        if o.sent_before {
            self.stats.resent.fetch_add(1, Ordering::Relaxed);
        }
        let packet = self.event_packet(&o.event, &o.payload, Some(id));
        inflight.insert(id, InFlight::Reliable(Outgoing { sent_before: true, ..o }, Instant::now() + self.config.ack_timeout));
        send(ws, &packet).await
    }

    /// Sends every queued message, oldest first.
    async fn drain(&mut self, ws: &mut Ws, inflight: &mut BTreeMap<u64, InFlight>) -> Result<(), End> {
        while let Some(o) = self.queue.pop() {
            self.sync_len();
            self.send_reliable(ws, inflight, o).await?;
        }
        self.sync_len();
        Ok(())
    }

    /// The link is gone: reliable messages in flight go back to the front of the queue (in send
    /// order) to be resent with the same message id; volatile waits fail.
    fn lost(&mut self, inflight: BTreeMap<u64, InFlight>, end: End) -> End {
        let mut back = Vec::new();
        for (_, f) in inflight {
            match f {
                InFlight::Reliable(o, _) => back.push(o),
                InFlight::Volatile { reply, .. } | InFlight::Leave { reply, .. } => {
                    let _ = reply.send(Err(ClientError::Disconnected));
                }
                InFlight::Join { .. } | InFlight::Heartbeat => {}
            }
        }
        for d in self.queue.requeue_front(back) {
            self.report_drop(d, DropReason::QueueFull);
        }
        self.sync_len();
        end
    }

    fn dispatch(&mut self, event: &str, payload: Value) {
        let mut listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        let mut closed = Vec::new();
        for (id, (e, tx)) in listeners.iter() {
            if e != event {
                continue;
            }
            match tx.try_send(payload.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.stats.dropped_listener.fetch_add(1, Ordering::Relaxed);
                    let _ = self.events.send(ClientEvent::Dropped { event: event.to_string(), reason: DropReason::ListenerFull });
                }
                Err(mpsc::error::TrySendError::Closed(_)) => closed.push(*id),
            }
        }
        for id in closed {
            listeners.remove(&id);
        }
    }
}

/// `{ ok: true, data }` -> data; `{ ok: false, error }` -> Refused; anything else is returned
/// as is (servers that do not use the envelope).
fn unwrap_ack(v: Value) -> Result<Value, ClientError> {
    match v.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
        Some(false) => match v.get("error").cloned().and_then(|e| serde_json::from_value::<AckError>(e).ok()) {
            Some(e) => Err(ClientError::Refused(e)),
            None => Err(ClientError::Refused(AckError::new(crate::wire::ErrorCode::Internal, "refused without a readable error"))),
        },
        None => Ok(v),
    }
}

fn unit_random() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

async fn send(ws: &mut Ws, p: &EioPacket) -> Result<(), End> {
    ws.send(Message::Text(codec::encode(p).into())).await.map_err(|e| End::Lost(format!("write: {e}")))
}

async fn next_packet(ws: &mut Ws, max_frame: usize) -> Result<EioPacket, End> {
    loop {
        match ws.next().await {
            None => return Err(End::Lost("the server closed the connection".into())),
            Some(Err(e)) => return Err(End::Lost(format!("read: {e}"))),
            Some(Ok(Message::Text(t))) => return codec::decode(t.as_str(), max_frame).map_err(|e| End::Lost(e.to_string())),
            Some(Ok(Message::Close(_))) => return Err(End::Lost("the server closed the connection".into())),
            Some(Ok(_)) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_unwrap_the_envelope() {
        assert_eq!(unwrap_ack(serde_json::json!({"ok": true, "data": 5})), Ok(serde_json::json!(5)));
        assert!(matches!(unwrap_ack(serde_json::json!({"ok": false, "error": {"code": "forbidden", "message": "no"}})), Err(ClientError::Refused(e)) if e.code == crate::wire::ErrorCode::Forbidden));
        assert_eq!(unwrap_ack(serde_json::json!("plain")), Ok(serde_json::json!("plain")));
    }
}
