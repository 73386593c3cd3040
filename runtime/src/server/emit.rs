//! Server-to-client sends: rooms or everyone, with slow consumers counted, never silent.

use super::mount::Runtime;
use crate::recovery::Positions;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::future::Future;
use super::SocketIo;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Aggregates drop reports into at most one log line per second.
#[derive(Default)]
pub(crate) struct DropLog(Mutex<DropLogState>);

#[derive(Default)]
struct DropLogState {
    last: Option<Instant>,
    events: u64,
    sockets: u64,
}

impl DropLog {
    /// Records a drop; returns the totals to log when a second has passed since the last line.
    pub(crate) fn note(&self, sockets: u64) -> Option<(u64, u64)> {
        let mut st = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        st.events += 1;
        st.sockets += sockets;
        let now = Instant::now();
        if st.last.is_some_and(|at| now.duration_since(at) < Duration::from_secs(1)) {
            return None;
        }
        st.last = Some(now);
        let totals = (st.events, st.sockets);
        (st.events, st.sockets) = (0, 0);
        Some(totals)
    }
}

impl Runtime {
    /// Sends an event to rooms of `namespace` (or to every socket of it when `rooms` is empty). Sockets whose buffer
    /// is full miss it: they are counted in `emit_drops`, logged, and reported in the error.
    ///
    /// Generic only in serializing the payload (once, here); the send itself is one
    /// non-generic function, so a catalogue of N event types compiles it once, not N times.
    pub fn broadcast<'a, T: Serialize + ?Sized>(&'a self, io: &'a SocketIo, namespace: &'a str, rooms: Vec<String>, event: &'static str, payload: &T) -> impl Future<Output = Result<(), EmitError>> + Send + use<'a, T> {
        self.send(io, namespace, rooms, event, Encoded::raw(payload))
    }

    /// Sends what [`Runtime::broadcast`] and [`Runtime::broadcast_recoverable`] encoded.
    pub(crate) async fn send(&self, io: &SocketIo, namespace: &str, rooms: Vec<String>, event: &'static str, payload: Result<Encoded, EmitError>) -> Result<(), EmitError> {
        let Some(op) = io.of(namespace) else {
            return Err(EmitError::NoNamespace(namespace.to_string()));
        };
        let op = if rooms.is_empty() { op } else { op.to(rooms) };
        let result = match payload? {
            Encoded::Raw(raw) => op.emit(event, &*raw).await,
            Encoded::Value(data) => op.emit(event, &data).await,
            Encoded::Recoverable(data, positions) => op.emit(event, &(data, positions)).await,
        };
        match result {
            Ok(()) => Ok(()),
            Err(socketioxide::BroadcastError::Socket(errors)) => {
                let dropped = errors.len();
                self.metrics.emit_drops.fetch_add(dropped as u64, Ordering::Relaxed);
                // One paused client in a busy room would otherwise write a line per message.
                if let Some((events, sockets)) = self.drop_log.note(dropped as u64) {
                    tracing::warn!(event, events, sockets, "{sockets} deliveries of {events} event(s) dropped since the last report (slow consumers or closed; counted in emit_drops)");
                }
                Err(EmitError::Dropped { event, dropped })
            }
            Err(e) => Err(EmitError::Failed(e.to_string())),
        }
    }
}

/// A server-to-client payload, serialized before the send.
pub(crate) enum Encoded {
    /// The JSON text, written into the packet as it is.
    Raw(Box<RawValue>),
    /// A recoverable event before its history write (sent as it is if that write fails).
    Value(Value),
    /// A recoverable event and its positions (the trailing argument).
    Recoverable(Value, Positions),
}

impl Encoded {
    /// The payload as JSON text, serialized once; it goes into the packet unchanged.
    pub(crate) fn raw<T: Serialize + ?Sized>(payload: &T) -> Result<Self, EmitError> {
        serde_json::value::to_raw_value(payload).map(Encoded::Raw).map_err(|e| EmitError::Failed(e.to_string()))
    }

    /// The payload as a value, for the history of a recoverable event.
    pub(crate) fn value<T: Serialize + ?Sized>(payload: &T) -> Result<Self, EmitError> {
        serde_json::to_value(payload).map(Encoded::Value).map_err(|e| EmitError::Failed(e.to_string()))
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
    /// The event was sent live, but the history store failed: it cannot be recovered.
    #[error("history not written: {0}")]
    History(String),
    /// The event could not be sent at all.
    #[error("emit failed: {0}")]
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::DropLog;

    #[test]
    fn drop_reports_are_aggregated_to_one_line_a_second() {
        let log = DropLog::default();
        assert_eq!(log.note(1), Some((1, 1)), "the first drop is reported at once");
        let lines = (0..10_000).filter_map(|_| log.note(2)).count();
        assert_eq!(lines, 0, "10,000 drops within a second add no line");
    }
}
