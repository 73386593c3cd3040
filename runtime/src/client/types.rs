//! The client's public types: settings, connection state, events, errors, counters.

use super::backoff::Backoff;
use super::codec;
use crate::wire::AckError;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;

/// App-level heartbeat: an event with `{ timestamp }` sent every `interval`, acked by the server.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// Event name (from the catalogue's `settings.heartbeat`, e.g. `heartbeat`).
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
    /// After a reconnect, ask the server for the events missed meanwhile (README "Recovery").
    pub recovery: bool,
    /// How long a live event that arrived ahead of a gap in its room's offsets (another node's
    /// broadcast still on its way through Redis) is held for the gap to fill before the gap is
    /// asked for (README "Recovery").
    pub reorder_wait: Duration,
    /// Opens each connection's byte stream instead of TCP (feature `sim`, for the fault
    /// simulation; `None`: TCP to `url`).
    #[cfg(feature = "sim")]
    pub transport: Option<super::transport::Transport>,
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
            recovery: true,
            reorder_wait: Duration::from_millis(500),
            #[cfg(feature = "sim")]
            transport: None,
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
    /// After a reconnect, the server replayed what this client missed in `rooms` rooms
    /// (`events` events, delivered to the listeners before any live one).
    Recovered {
        /// Rooms recovered.
        rooms: usize,
        /// Events replayed.
        events: usize,
    },
    /// Events of `room` were missed and cannot be replayed (too old, history lost or capped,
    /// store unavailable): the app refetches what it shows from that room.
    ResyncRequired {
        /// The server's room name (e.g. `order-o-100`).
        room: String,
        /// Why.
        reason: crate::recovery::ResyncReason,
    },
    /// The server sent a frame the codec refused.
    ProtocolError {
        /// What was wrong.
        message: String,
    },
}

crate::counters::counters! {
    /// Counters (monotonic), written by the connection task; read them with [`Stats::snapshot`].
    pub struct Stats [pub(super)] {
        /// Messages dropped because the queue was full.
        dropped_queue_full,
        /// Volatile messages dropped while offline.
        dropped_offline,
        /// Messages removed by `clear_queue()` or on close.
        dropped_cleared,
        /// Server events not delivered to a full listener.
        dropped_listener,
        /// Reliable messages given up after their ack did not come (`DropReason::AckTimeout`).
        dropped_ack_timeout,
        /// Successful connections.
        connects,
        /// Reliable messages sent again (after a reconnect or a missing ack).
        resent,
        /// Malformed frames received.
        protocol_errors,
    }
    /// The counters at one moment (each read on its own: two counters may be a few events apart).
    snapshot StatsSnapshot;
}

impl Stats {
    /// Counts a drop under its reason's counter.
    pub(super) fn count_drop(&self, reason: DropReason) {
        let counter = match reason {
            DropReason::QueueFull => &self.dropped_queue_full,
            DropReason::Offline => &self.dropped_offline,
            DropReason::ListenerFull => &self.dropped_listener,
            DropReason::Cleared | DropReason::Closed => &self.dropped_cleared,
            DropReason::AckTimeout => &self.dropped_ack_timeout,
        };
        Self::bump(counter);
    }

    /// Adds one.
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
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

/// Where a command's result goes.
pub(super) type Reply = oneshot::Sender<Result<Value, ClientError>>;

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
