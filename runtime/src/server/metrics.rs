//! Counters for everything the server refuses or drops: nothing is dropped silently. All are
//! monotonic except the `events_waiting` gauge.

use std::sync::atomic::{AtomicU64, Ordering};

/// Server counters (monotonic).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Sockets that passed authentication.
    pub connections: AtomicU64,
    /// Connections refused by authentication.
    pub auth_failures: AtomicU64,
    /// Client events handled (acked `ok: true`).
    pub events_ok: AtomicU64,
    /// Client events refused because the payload was invalid.
    pub invalid_payloads: AtomicU64,
    /// Client events refused because they were too large.
    pub too_large: AtomicU64,
    /// Client events refused by the rate limit.
    pub rate_limited: AtomicU64,
    /// Refusals by an access policy: denied room joins, too many rooms, handler `forbidden`.
    pub denied_joins: AtomicU64,
    /// Reliable events recognised as resends (answered from the dedup store).
    pub duplicates: AtomicU64,
    /// Handler errors returned to clients.
    pub handler_errors: AtomicU64,
    /// Acks that could not be sent (socket gone or its buffer full).
    pub ack_send_failures: AtomicU64,
    /// Server-to-client messages not delivered to a socket (buffer full: slow consumer, or closed).
    pub emit_drops: AtomicU64,
    /// Client events answered `rate_limited` because too many events of their socket were waiting.
    pub queue_full: AtomicU64,
    /// Client events dropped unanswered because their socket disconnected before their turn.
    pub dropped_on_disconnect: AtomicU64,
    /// Connections refused by a cap: sockets per user, TCP connections in all or per IP.
    pub connections_refused: AtomicU64,
    /// TCP connections closed because no complete HTTP request head came in time (idle or half-sent).
    pub http_timeouts: AtomicU64,
    /// Client events whose name the catalogue does not declare (answered `unknown_event`).
    pub unknown_events: AtomicU64,
    /// History store failures (a recoverable event sent without a position, or a room answered
    /// `resync_required` with reason `unavailable`).
    pub history_failures: AtomicU64,
    /// Rooms a reconnecting socket recovered (missed events replayed, maybe none).
    pub rooms_recovered: AtomicU64,
    /// Rooms a reconnecting socket was told to resync (the gap could not be filled).
    pub rooms_resync: AtomicU64,
    /// Gauge, not a counter: client events waiting for (or holding) their socket's turn now.
    pub events_waiting: AtomicU64,
}

/// A point-in-time copy of [`Metrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct MetricsSnapshot {
    pub connections: u64,
    pub auth_failures: u64,
    pub events_ok: u64,
    pub invalid_payloads: u64,
    pub too_large: u64,
    pub rate_limited: u64,
    pub denied_joins: u64,
    pub duplicates: u64,
    pub handler_errors: u64,
    pub ack_send_failures: u64,
    pub emit_drops: u64,
    pub queue_full: u64,
    pub dropped_on_disconnect: u64,
    pub connections_refused: u64,
    pub http_timeouts: u64,
    pub unknown_events: u64,
    pub history_failures: u64,
    pub rooms_recovered: u64,
    pub rooms_resync: u64,
    pub events_waiting: u64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            connections: g(&self.connections),
            auth_failures: g(&self.auth_failures),
            events_ok: g(&self.events_ok),
            invalid_payloads: g(&self.invalid_payloads),
            too_large: g(&self.too_large),
            rate_limited: g(&self.rate_limited),
            denied_joins: g(&self.denied_joins),
            duplicates: g(&self.duplicates),
            handler_errors: g(&self.handler_errors),
            ack_send_failures: g(&self.ack_send_failures),
            emit_drops: g(&self.emit_drops),
            queue_full: g(&self.queue_full),
            dropped_on_disconnect: g(&self.dropped_on_disconnect),
            connections_refused: g(&self.connections_refused),
            http_timeouts: g(&self.http_timeouts),
            unknown_events: g(&self.unknown_events),
            history_failures: g(&self.history_failures),
            rooms_recovered: g(&self.rooms_recovered),
            rooms_resync: g(&self.rooms_resync),
            events_waiting: g(&self.events_waiting),
        }
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
