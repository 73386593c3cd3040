//! Server glue on socketioxide, used by generated `mount` functions and emitters.
//!
//! Every client event goes through `Runtime::handle` (`pipeline.rs`), whose order of checks is written down in
//! [`pipeline`]: a place in the socket's lane (per-socket order, capped), the size limit, the
//! turn, dedup of reliable resends, the rate limit, deserialization and validation (naming the
//! bad field), the handler with a timeout (a panic is answered too), and always the ack. Nothing
//! is skipped silently: every refusal is counted in [`Metrics`] and logged with `tracing`.
//!
//! Layout: [`config`] (every limit), [`mount`] (the runtime, authentication, the socket's one
//! event handler), [`router`] (the catalogue's client events by name, filled by the generated `mount`),
//! [`pipeline`] (one event), [`order`] (per-socket lanes), [`session`] (per-socket state and the
//! handler context), `expiry` (closes a socket when its credential expires), [`emit`] (server-to-client sends), [`listen`] (the TCP/HTTP listener with
//! timeouts and connection caps), [`compact`] (request heads copied out of hyper's read buffer), [`adapter`] (rooms in memory or fanned out over Redis),
//! [`redis`] (the Redis connection, shared dedup store), [`auth`], [`dedup`], [`metrics`];
//! recovery of missed events: [`recover`] (positions on broadcasts, the `_recover` answer),
//! [`history`] (the store trait, the in-memory store, the decision per room), [`history_redis`].

pub mod adapter;
pub mod auth;
pub mod compact;
pub mod config;
pub mod dedup;
pub mod emit;
mod expiry;
pub mod history;
pub mod history_redis;
pub mod listen;
pub mod metrics;
pub mod mount;
pub mod order;
pub mod pipeline;
pub mod recover;
pub mod redis;
pub mod router;
pub mod session;

pub use adapter::{AdapterState, NodeAdapter};
pub use auth::{AuthError, Authenticator, JwtHs256, Principal};
pub use compact::{CompactRequest, compact_request};
pub use config::{EventSpec, ServerConfig};
pub use dedup::{DedupStore, MemoryDedup, RESEND_SLACK, Seen};
pub use emit::EmitError;
pub use history::{History, HistoryError, MemoryHistory, RecoveryPolicy};
pub use history_redis::RedisHistory;
pub use metrics::{Metrics, MetricsSnapshot};
pub use mount::Runtime;
pub use redis::{RedisConn, RedisDedup};
pub use router::Router;
pub use order::Ticket;
pub use session::{Ctx, Session};

/// The Socket.IO server handle, over this runtime's adapter (in memory or Redis).
pub type SocketIo = socketioxide::SocketIo<NodeAdapter>;
/// A connected socket, over this runtime's adapter.
pub type SocketRef = socketioxide::extract::SocketRef<NodeAdapter>;
/// A client event's ack, over this runtime's adapter.
pub type AckSender = socketioxide::extract::AckSender<NodeAdapter>;

use serde_json::Value;

/// An event's data as socketioxide decoded it: a value, nothing (the client sent no argument), or
/// a payload that is not valid JSON for us (e.g. a number beyond f64 such as `1e400`).
#[derive(Debug)]
pub struct EventData(Result<Option<Value>, String>);

impl EventData {
    pub(crate) fn into_inner(self) -> Result<Option<Value>, String> {
        self.0
    }
}

/// Decodes an event's data. socketioxide's `ParserError` is opaque, so its message is the only
/// way to tell "no argument" from a malformed payload (`tests/tests/abuse.rs` pins both).
pub fn event_data(data: Result<Value, socketioxide::ParserError>) -> EventData {
    match data {
        Ok(v) => EventData(Ok(Some(v))),
        Err(e) => {
            let message = e.to_string();
            if message.starts_with("first element not found") { EventData(Ok(None)) } else { EventData(Err(message)) }
        }
    }
}

/// The payload of events that carry none: accepts and ignores whatever was sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPayload;

impl<'de> serde::Deserialize<'de> for NoPayload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoPayload)
    }
}

crate::__no_checks!(NoPayload);
