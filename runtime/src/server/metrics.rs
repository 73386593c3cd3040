//! Counters for everything the server refuses or drops: nothing is dropped silently. All are
//! monotonic except the `events_waiting` gauge.

use std::sync::atomic::{AtomicU64, Ordering};

crate::counters::counters! {
    /// Server counters (monotonic, but for the `events_waiting` gauge).
    pub struct Metrics [pub] {
        /// Sockets that passed authentication.
        connections,
        /// Connections refused by authentication.
        auth_failures,
        /// Client events handled (acked `ok: true`).
        events_ok,
        /// Client events refused because the payload was invalid.
        invalid_payloads,
        /// Client events refused because they were too large.
        too_large,
        /// Client events refused by the rate limit.
        rate_limited,
        /// Refusals by an access policy: denied room joins, too many rooms, handler `forbidden`.
        denied_joins,
        /// Reliable events recognised as resends (answered from the dedup store).
        duplicates,
        /// Resends answered `outcome_unknown`: first sent before the dedup store lost its history.
        outcome_unknown,
        /// Handler errors returned to clients.
        handler_errors,
        /// Acks that could not be sent (socket gone or its buffer full).
        ack_send_failures,
        /// Server-to-client messages not delivered to a socket (buffer full: slow consumer, or closed).
        emit_drops,
        /// Client events answered `rate_limited` because too many events of their socket were waiting.
        queue_full,
        /// Client events dropped unanswered because their socket disconnected before their turn.
        dropped_on_disconnect,
        /// Connections refused by a cap: sockets per user, TCP connections in all or per IP.
        connections_refused,
        /// TCP connections closed because no complete HTTP request head came in time (idle or half-sent).
        http_timeouts,
        /// Client events whose name the catalogue does not declare (answered `unknown_event`).
        unknown_events,
        /// Sockets closed because their credential expired (see `expiry.rs`).
        expired_closed,
        /// History store failures (a recoverable event sent without a position, or a room answered
        /// `resync_required` with reason `unavailable`).
        history_failures,
        /// Rooms a reconnecting socket recovered (missed events replayed, maybe none).
        rooms_recovered,
        /// Rooms a reconnecting socket was told to resync (the gap could not be filled).
        rooms_resync,
        /// Gauge, not a counter: client events waiting for (or holding) their socket's turn now.
        events_waiting,
    }
    /// A point-in-time copy of [`Metrics`].
    snapshot MetricsSnapshot;
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl MetricsSnapshot {
    /// The counters in the Prometheus text format (version 0.0.4), each named
    /// `switchboard_{field}`; `events_waiting` is a gauge, every other one a counter.
    pub fn prometheus(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) else { return out };
        for (name, value) in fields {
            let kind = if name == "events_waiting" { "gauge" } else { "counter" };
            let _ = writeln!(out, "# TYPE switchboard_{name} {kind}\nswitchboard_{name} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_names_every_counter() {
        let m = Metrics::default();
        Metrics::inc(&m.duplicates);
        let text = m.snapshot().prometheus();
        assert!(text.contains("# TYPE switchboard_duplicates counter\nswitchboard_duplicates 1\n"), "{text}");
        assert!(text.contains("# TYPE switchboard_events_waiting gauge\n"), "{text}");
        let fields = serde_json::to_value(m.snapshot()).ok().and_then(|v| v.as_object().map(serde_json::Map::len));
        assert_eq!(Some(text.lines().filter(|l| !l.starts_with('#')).count()), fields, "one sample per counter: {text}");
    }
}
