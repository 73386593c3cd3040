//! Server-to-client sends: rooms or everyone, with slow consumers counted, never silent.

use super::mount::Runtime;
use serde::Serialize;
use super::SocketIo;
use std::sync::atomic::Ordering;

impl Runtime {
    /// Sends an event to rooms (or to every socket when `rooms` is empty). Sockets whose buffer
    /// is full miss it: they are counted in `emit_drops`, logged, and reported in the error.
    pub async fn broadcast<T: Serialize + ?Sized>(&self, io: &SocketIo, rooms: Vec<String>, event: &'static str, payload: &T) -> Result<(), EmitError> {
        let Some(op) = io.of(self.config.namespace.as_str()) else {
            return Err(EmitError::NoNamespace(self.config.namespace.clone()));
        };
        let result = if rooms.is_empty() { op.emit(event, payload).await } else { op.to(rooms).emit(event, payload).await };
        match result {
            Ok(()) => Ok(()),
            Err(socketioxide::BroadcastError::Socket(errors)) => {
                let dropped = errors.len();
                self.metrics.emit_drops.fetch_add(dropped as u64, Ordering::Relaxed);
                tracing::warn!(event, dropped, "event not delivered to {dropped} socket(s) (slow consumer or closed)");
                Err(EmitError::Dropped { event, dropped })
            }
            Err(e) => Err(EmitError::Failed(e.to_string())),
        }
    }
}

/// Why a server-to-client event did not reach every socket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The namespace is not mounted.
    #[error("namespace `{0}` is not mounted")]
    NoNamespace(String),
    /// Some sockets did not get the event (buffer full or closed); counted in metrics.
    #[error("`{event}` was not delivered to {dropped} socket(s)")]
    Dropped {
        /// The event.
        event: &'static str,
        /// How many sockets missed it.
        dropped: usize,
    },
    /// The event could not be sent at all.
    #[error("emit failed: {0}")]
    Failed(String),
}
