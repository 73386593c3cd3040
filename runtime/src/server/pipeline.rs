//! The path of one client event, in this order (cheap refusals first, so a flood costs little):
//!
//! 1. take a place in the socket's lane (synchronously, in arrival order; [`super::order`]):
//!    a full lane is answered `rate_limited` at once;
//! 2. a payload socketioxide could not decode (e.g. `1e400`) and the size limit, before waiting (counted without building a buffer);
//! 3. wait for the turn (per-socket order); a socket that disconnected meanwhile drops its queued
//!    events, counted in `dropped_on_disconnect`;
//! 4. an expired credential is refused (`forbidden`) and the socket disconnected; an array
//!    payload is refused (serde would read it positionally into a struct);
//! 5. the `_mid` of reliable events: a resend is answered from the dedup store; a resend
//!    (`_resent`) first sent before the store lost its history is answered `outcome_unknown`;
//! 6. the rate limit, per user (new work only: a resend answered above costs nothing);
//! 7. deserialize (the bad field named) and validate against the catalogue's constraints;
//! 8. the handler, with a timeout; a panic is answered too;
//! 9. the ack, always: `{ok: true, data}` or `{ok: false, error}`.
//!
//! Every refusal is counted in [`super::Metrics`] and logged with `tracing`.

use super::EventData;
use super::config::EventSpec;
use super::metrics::Metrics;
use super::mount::Runtime;
use super::order::{Ticket, Turn};
use super::router::{Call, Row};
use super::session::{Ctx, Session};
use super::dedup::{RESEND_SLACK, Seen};
use crate::validate::Validate;
use crate::wire::{Ack, AckError, ErrorCode, MAX_MESSAGE_ID_LEN, MESSAGE_ID_FIELD, RESENT_FIELD};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use super::{AckSender, SocketRef};
use std::sync::atomic::AtomicU64;

impl Runtime {
    /// Handles one client event end to end and always answers the ack (unless the socket is gone).
    /// Every refusal here is listed, with when, in `ErrorCode::answered` (the generated docs).
    /// Not generic: the event's types live in `row.call` (see [`Call`]).
    pub(crate) async fn handle(&self, s: SocketRef, ticket: Ticket, ack: AckSender, data: EventData, row: &Row) {
        let spec = &row.spec;
        use tracing::Instrument;
        let span = tracing::debug_span!("client_event", event = spec.name, sid = %s.id);
        // The wait in the lane counts towards a resend's age (see `RESEND_SLACK`).
        let arrived = std::time::Instant::now();
        // The turn is held until the ack is sent, so acks leave in arrival order too.
        let (reply, _turn) = async {
            // Refused before the turn: no reason to wait in line for these.
            let value = match data.into_inner() {
                Ok(v) => v.unwrap_or(Value::Null),
                Err(e) => {
                    drop(ticket);
                    return (Some(self.refuse(&s, spec, &self.metrics.invalid_payloads, AckError::new(ErrorCode::InvalidPayload, format!("the payload is not valid JSON: {e}")))), None);
                }
            };
            if json_len_exceeds(&value, spec.max_bytes) {
                drop(ticket);
                return (Some(self.refuse(&s, spec, &self.metrics.too_large, AckError::new(ErrorCode::PayloadTooLarge, format!("the payload is more than the {} bytes allowed", spec.max_bytes)))), None);
            }
            match ticket.wait().await {
                Turn::Full(cap) => (Some(self.refuse(&s, spec, &self.metrics.queue_full, AckError::new(ErrorCode::RateLimited, format!("more than {cap} events of this socket are waiting")))), None),
                Turn::Closed => {
                    Metrics::inc(&self.metrics.dropped_on_disconnect);
                    tracing::debug!(sid = %s.id, event = spec.name, "socket disconnected before the event's turn; dropped");
                    (None, None)
                }
                Turn::Go(turn) => (Some(self.process(&s, value, arrived, spec, &row.call).await), turn),
            }
        }
        .instrument(span)
        .await;
        if let Some(reply) = reply {
            self.send_ack(&s, spec.name, ack, &reply);
        }
    }

    /// Sends an ack; one that cannot be sent (the socket closed or its buffer is full) is
    /// counted in `ack_send_failures` and logged. Every answer of the server goes through here.
    pub(crate) fn send_ack(&self, s: &SocketRef, event: &str, ack: AckSender, answer: &impl Serialize) {
        if ack.send(answer).is_err() {
            Metrics::inc(&self.metrics.ack_send_failures);
            tracing::debug!(sid = %s.id, event, "ack could not be sent (socket closed or its buffer is full)");
        }
    }

    fn refuse(&self, s: &SocketRef, spec: &EventSpec, counter: &AtomicU64, e: AckError) -> Value {
        Metrics::inc(counter);
        tracing::info!(sid = %s.id, event = spec.name, code = e.code.as_str(), field = e.field.as_deref().unwrap_or(""), "refused: {}", e.message);
        to_value(&Ack::<()>::Err(e))
    }

    async fn process(&self, s: &SocketRef, mut value: Value, arrived: std::time::Instant, spec: &EventSpec, call: &Call) -> Value {
        let m = &self.metrics;
        let Some(session) = s.extensions.get::<Session>() else {
            return self.refuse(s, spec, &m.handler_errors, AckError::new(ErrorCode::Internal, "no session on this socket"));
        };
        if session.principal().expired_at(super::auth::now_secs()) {
            // Refused, and the socket closed: the client reconnects, asking for a fresh token.
            let reply = self.refuse(s, spec, &m.denied_joins, AckError::new(ErrorCode::Forbidden, "the token expired; reconnect with a new one"));
            let socket = s.clone();
            tokio::spawn(async move {
                // After the ack is on its way.
                tokio::task::yield_now().await;
                let _ = socket.disconnect();
            });
            return reply;
        }
        if value.is_array() {
            // serde would read an array positionally into a struct's fields: never what was meant.
            return self.refuse(s, spec, &m.invalid_payloads, AckError::new(ErrorCode::InvalidPayload, "invalid type: array, expected an object"));
        }
        let (message_id, resent) = match take_message_id(&mut value).and_then(|id| Ok((id, take_resent(&mut value)?))) {
            Ok((id, resent)) => (id.filter(|_| spec.reliable), resent),
            Err(e) => return self.refuse(s, spec, &m.invalid_payloads, e),
        };
        let dedup_key = message_id.as_ref().map(|id| format!("{}\u{0}{}\u{0}{id}", session.principal().user_id, spec.name));
        if let Some(key) = &dedup_key {
            match self.dedup.begin(key).await {
                Seen::New => {}
                Seen::NewSinceLoss(held) => {
                    // First sent before the loss (as far as the age tells, with slack): its
                    // effect may have happened and been forgotten. Answered, never run again;
                    // later resends get the same answer.
                    if let Some(age) = resent
                        && age + arrived.elapsed() + RESEND_SLACK >= held
                    {
                        let reply = self.refuse(s, spec, &m.outcome_unknown, AckError::new(ErrorCode::OutcomeUnknown, "the server lost its record of recent messages after this one was first sent: it may or may not have taken effect"));
                        self.dedup.complete(key, reply.clone()).await;
                        return reply;
                    }
                }
                Seen::Done(ack) => {
                    Metrics::inc(&m.duplicates);
                    tracing::debug!(sid = %s.id, event = spec.name, "duplicate message id; replaying its ack");
                    return ack;
                }
                Seen::InFlight(mut rx) => {
                    Metrics::inc(&m.duplicates);
                    let waited = tokio::time::timeout(self.config.handler_timeout, rx.wait_for(Option::is_some)).await;
                    return match waited {
                        Ok(Ok(v)) => v.clone().unwrap_or(Value::Null),
                        _ => self.refuse(s, spec, &m.handler_errors, AckError::new(ErrorCode::Internal, "the original of this resent message did not finish")),
                    };
                }
            }
        }
        // New work: rate limit, deserialize and validate, then the handler. `Err` carries a
        // refusal's ack (not remembered by the dedup store).
        let reply: Result<Value, Value> = async {
            // Before deserializing: a flood over the limit costs a token check, not a parse.
            if let Some((count, per)) = spec.rate_limit
                && !session.take_token(spec.name, count, per)
            {
                return Err(self.refuse(s, spec, &m.rate_limited, AckError::new(ErrorCode::RateLimited, format!("at most {count} `{}` per {per} s", spec.name))));
            }
            let ctx = Ctx { socket: s.clone(), session: session.clone(), message_id, max_rooms: self.config.max_rooms_per_socket };
            let handled = match call(ctx, &value) {
                Ok(handled) => handled,
                Err(e) => return Err(self.refuse(s, spec, &m.invalid_payloads, e)),
            };
            // A panicking handler is answered and logged, never left hanging.
            let guarded = std::panic::AssertUnwindSafe(handled);
            let result = tokio::time::timeout(self.config.handler_timeout, futures_util::FutureExt::catch_unwind(guarded)).await;
            match result {
                Ok(Err(_panic)) => {
                    tracing::error!(sid = %s.id, event = spec.name, "handler panicked");
                    Err(self.refuse(s, spec, &m.handler_errors, AckError::new(ErrorCode::HandlerError, "the handler failed")))
                }
                Ok(Ok(Ok(ack))) => {
                    Metrics::inc(&m.events_ok);
                    Ok(ack)
                }
                Ok(Ok(Err(e))) => {
                    let counter = match e.code {
                        ErrorCode::Forbidden | ErrorCode::TooManyRooms => &m.denied_joins,
                        _ => &m.handler_errors,
                    };
                    Err(self.refuse(s, spec, counter, e))
                }
                Err(_) => Err(self.refuse(s, spec, &m.handler_errors, AckError::new(ErrorCode::HandlerError, "the handler timed out"))),
            }
        }
        .await;
        if let Some(key) = &dedup_key {
            // Only successes are remembered: a resend after a failure is handled again.
            match reply {
                Ok(ref v) => self.dedup.complete(key, v.clone()).await,
                Err(_) => self.dedup.abandon(key).await,
            }
        }
        reply.unwrap_or_else(|v| v)
    }
}

/// Deserializes a payload and validates it against the catalogue's constraints; the refusal
/// names the field. Pure, so the fuzz target `server_inbound` runs exactly this step.
pub(crate) fn parse_payload<T: DeserializeOwned + Validate>(value: &Value) -> Result<T, AckError> {
    let payload: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let (field, message) = describe_serde_error(&e.path().to_string(), &e.into_inner().to_string());
        AckError { code: ErrorCode::InvalidPayload, message, field }
    })?;
    payload.validate().map_err(|e| {
        let field = if e.field.is_empty() { None } else { Some(e.field) };
        AckError { code: ErrorCode::InvalidPayload, message: e.message, field }
    })?;
    Ok(payload)
}

/// The field to blame and a message without Rust type names. serde reports a missing field at
/// the path of the object that lacks it, so the field's own name is appended.
pub(crate) fn describe_serde_error(path: &str, message: &str) -> (Option<String>, String) {
    let base = if path == "." { String::new() } else { path.to_string() };
    let missing = message.strip_prefix("missing field `").and_then(|r| r.split('`').next());
    let field = match missing {
        Some(name) if base.is_empty() => Some(name.to_string()),
        Some(name) => Some(format!("{base}.{name}")),
        None if base.is_empty() => None,
        None => Some(base),
    };
    // "invalid type: null, expected struct HeartbeatPayload" -> "... expected an object".
    let mut message = message.to_string();
    if let Some(i) = message.find("expected struct ") {
        message.truncate(i);
        message.push_str("expected an object");
    }
    if let Some(i) = message.find("expected a map") {
        message.truncate(i);
        message.push_str("expected an object");
    }
    (field, message)
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| serde_json::json!({ "ok": false, "error": { "code": "internal", "message": e.to_string() } }))
}

/// Removes and returns the `_mid` field of an object payload.
pub(crate) fn take_message_id(v: &mut Value) -> Result<Option<String>, AckError> {
    let Some(obj) = v.as_object_mut() else { return Ok(None) };
    match obj.remove(MESSAGE_ID_FIELD) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_MESSAGE_ID_LEN => Ok(Some(s)),
        Some(_) => Err(AckError {
            code: ErrorCode::InvalidPayload,
            message: format!("`{MESSAGE_ID_FIELD}` must be a string of 1 to {MAX_MESSAGE_ID_LEN} characters"),
            field: Some(MESSAGE_ID_FIELD.into()),
        }),
    }
}

/// Removes and returns the `_resent` field (ms since the first send) of an object payload.
pub(crate) fn take_resent(v: &mut Value) -> Result<Option<std::time::Duration>, AckError> {
    let Some(obj) = v.as_object_mut() else { return Ok(None) };
    match obj.remove(RESENT_FIELD) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64().map(std::time::Duration::from_millis)),
        Some(_) => Err(AckError {
            code: ErrorCode::InvalidPayload,
            message: format!("`{RESENT_FIELD}` must be a whole number of milliseconds"),
            field: Some(RESENT_FIELD.into()),
        }),
    }
}

/// True when `value` serialised as JSON is longer than `max` bytes. socketioxide hands handlers a
/// parsed value, not the frame, so the length is counted by serialising into a counter that
/// stops at the limit: no buffer is allocated (building one cost 3.5 % of server CPU per event).
pub(crate) fn json_len_exceeds(value: &Value, max: usize) -> bool {
    struct Counter {
        left: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.left = self.left.checked_sub(buf.len()).ok_or(std::io::ErrorKind::FileTooLarge)?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(Counter { left: max }, value).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_length_is_compared_with_the_serialised_json_length() {
        let values = [
            serde_json::json!(null),
            serde_json::json!({ "text": "héllo \"quoted\" \u{1F600}", "n": [1, 2.5, -3], "nested": { "a": null } }),
            serde_json::json!("x".repeat(5000)),
        ];
        for v in values {
            let len = serde_json::to_vec(&v).unwrap().len();
            assert!(!json_len_exceeds(&v, len), "{len} bytes fit a limit of {len}");
            assert!(json_len_exceeds(&v, len - 1), "{len} bytes exceed a limit of {}", len - 1);
            assert!(json_len_exceeds(&v, 0));
        }
    }

    #[test]
    fn message_ids_are_taken_out_of_the_payload() {
        let mut v = serde_json::json!({ "_mid": "m1", "a": 1 });
        assert_eq!(take_message_id(&mut v).unwrap().as_deref(), Some("m1"));
        assert_eq!(v, serde_json::json!({ "a": 1 }));
        let mut bad = serde_json::json!({ "_mid": 5 });
        assert_eq!(take_message_id(&mut bad).unwrap_err().field.as_deref(), Some("_mid"));
        let mut none = serde_json::json!([1]);
        assert_eq!(take_message_id(&mut none).unwrap(), None);
        let mut resent = serde_json::json!({ "_mid": "m1", "_resent": 1500 });
        assert_eq!(take_resent(&mut resent).unwrap(), Some(std::time::Duration::from_millis(1500)));
        assert_eq!(resent, serde_json::json!({ "_mid": "m1" }));
        for bad in [serde_json::json!({ "_resent": -1 }), serde_json::json!({ "_resent": "5" }), serde_json::json!({ "_resent": 1.5 })] {
            assert_eq!(take_resent(&mut bad.clone()).unwrap_err().field.as_deref(), Some("_resent"), "{bad}");
        }
    }

    #[test]
    fn serde_errors_name_the_missing_field() {
        assert_eq!(describe_serde_error(".", "missing field `chatId`").0.as_deref(), Some("chatId"));
        assert_eq!(describe_serde_error("attachments[0]", "missing field `type`").0.as_deref(), Some("attachments[0].type"));
        assert_eq!(describe_serde_error("message", "invalid type: integer `42`, expected a string").0.as_deref(), Some("message"));
        assert_eq!(describe_serde_error(".", "invalid type: null, expected struct HeartbeatPayload").1, "invalid type: null, expected an object");
    }
}
