//! Limits and per-event facts: every number the server enforces lives here, with its default.

use super::adapter::{AdapterState, NodeAdapter};
use socketioxide::SocketIo;
use std::time::Duration;

/// Limits with safe defaults. README's "Security and guarantees" section lists them.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Most rooms one socket may be in (its user room included).
    pub max_rooms_per_socket: usize,
    /// Longest a handler may run before the client gets a `handler_error` ack.
    pub handler_timeout: Duration,
    /// Message ids remembered for deduplication.
    pub dedup_capacity: usize,
    /// How long a message id is remembered.
    pub dedup_ttl: Duration,
    /// Message ids remembered per user: one user's traffic never evicts another's ids.
    pub dedup_per_user: usize,
    /// Largest Socket.IO packet accepted on a WebSocket (socketioxide's default is 64 MiB).
    pub ws_max_message_size: usize,
    /// Initial read buffer of each WebSocket (grows for larger frames); every idle socket keeps
    /// it. 1 KiB (socketioxide's default is 4 KiB) saves 3 KB per idle socket; on a quiet
    /// machine six pairs of runs showed no difference in ack latency or maximum ingest rate
    /// (tests/bench/results/memory.md).
    pub ws_read_buffer_size: usize,
    /// Largest HTTP long-polling body (socketioxide's `max_payload`).
    pub max_http_payload: u64,
    /// Packets buffered per socket before server-to-client messages are dropped (and counted).
    pub max_buffer_size: usize,
    /// Events of one socket waiting for their turn (per-socket order); more are answered
    /// `rate_limited` at once, without running anything.
    pub max_queued_events_per_socket: usize,
    /// Sockets one user may hold at once; one more is refused at connect.
    pub max_sockets_per_user: usize,
    /// Time a client has, after the transport opened, to send its Socket.IO CONNECT.
    pub connect_timeout: Duration,
    /// Time a TCP connection has to send a complete HTTP request head (also the idle limit
    /// between requests). Applies when serving with [`super::Runtime::serve`].
    pub http_header_timeout: Duration,
    /// Open TCP connections in all (with [`super::Runtime::serve`]); more are closed at accept.
    pub max_connections: usize,
    /// Open TCP connections from one IP address (with [`super::Runtime::serve`]). Behind a
    /// proxy every connection comes from the proxy's address: raise it there.
    pub max_connections_per_ip: usize,
    /// Recoverable events kept in all by the in-memory history (also its most rooms); the
    /// catalogue's `settings.recovery` bounds each room.
    pub history_capacity: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_rooms_per_socket: 256,
            handler_timeout: Duration::from_secs(30),
            dedup_capacity: 100_000,
            dedup_ttl: Duration::from_secs(600),
            dedup_per_user: 1_000,
            ws_max_message_size: 1024 * 1024,
            ws_read_buffer_size: 1024,
            max_http_payload: 1024 * 1024,
            max_buffer_size: 256,
            max_queued_events_per_socket: 128,
            max_sockets_per_user: 16,
            connect_timeout: Duration::from_secs(10),
            http_header_timeout: Duration::from_secs(10),
            max_connections: 20_000,
            max_connections_per_ip: 1_000,
            history_capacity: 100_000,
        }
    }
}

impl ServerConfig {
    /// A socketioxide builder with these limits applied; rooms in memory (one node).
    pub fn builder(&self) -> socketioxide::SocketIoBuilder<NodeAdapter> {
        self.builder_on(AdapterState::local())
    }

    /// A socketioxide builder with these limits applied, over `adapter` (e.g. Redis).
    pub fn builder_on(&self, adapter: AdapterState) -> socketioxide::SocketIoBuilder<NodeAdapter> {
        SocketIo::builder()
            .with_adapter::<NodeAdapter>(adapter)
            .ws_max_message_size(self.ws_max_message_size)
            .ws_max_frame_size(self.ws_max_message_size)
            .ws_read_buffer_size(self.ws_read_buffer_size)
            .max_payload(self.max_http_payload)
            .max_buffer_size(self.max_buffer_size)
            .connect_timeout(self.connect_timeout)
    }
}

/// Static facts about one client-to-server event, generated from the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct EventSpec {
    /// Wire name.
    pub name: &'static str,
    /// Largest accepted payload (serialized JSON bytes).
    pub max_bytes: usize,
    /// `(count, per_seconds)` allowed per socket.
    pub rate_limit: Option<(u32, u32)>,
    /// Reliable events may carry a message id and are deduplicated.
    pub reliable: bool,
}
