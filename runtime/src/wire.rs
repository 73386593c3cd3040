//! Wire shapes shared by server and client: the ack envelope, error codes, the reliable-message
//! id field, and serde helpers for encodings the catalogue allows.

use serde::{Deserialize, Serialize};

/// Field carrying a reliable event's message id inside its payload object. The server removes
/// it before validation and deduplicates on it; payload types never declare it.
pub const MESSAGE_ID_FIELD: &str = "_mid";

/// Field a client adds to a *resend* of a reliable event (never to its first send): the
/// milliseconds since it first sent that `_mid`. The server removes it before validation. After
/// its dedup store lost its history (Redis restarted empty), the server answers a resend first
/// sent before the loss `outcome_unknown` instead of running it again.
pub const RESENT_FIELD: &str = "_resent";

/// Longest accepted message id.
pub const MAX_MESSAGE_ID_LEN: usize = 128;

/// Why the server refused a client event. Exactly the codes the generated TS declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The payload does not match the event's type or constraints.
    InvalidPayload,
    /// The payload is larger than the event allows.
    PayloadTooLarge,
    /// The socket sent this event too often.
    RateLimited,
    /// The room's access policy denied the join.
    Forbidden,
    /// The socket is in too many rooms.
    TooManyRooms,
    /// The application's handler refused the event.
    HandlerError,
    /// Something went wrong on the server.
    Internal,
    /// A resent message the server cannot vouch for: its dedup store lost its history after the
    /// message was first sent, so it may or may not have taken effect. Not run again.
    OutcomeUnknown,
    /// The catalogue has no client-to-server event of that name.
    UnknownEvent,
}

impl ErrorCode {
    /// Every code, in declaration order (the generator reads this list for the TS union).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidPayload,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Forbidden,
        ErrorCode::TooManyRooms,
        ErrorCode::HandlerError,
        ErrorCode::Internal,
        ErrorCode::OutcomeUnknown,
        ErrorCode::UnknownEvent,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPayload => "invalid_payload",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TooManyRooms => "too_many_rooms",
            ErrorCode::HandlerError => "handler_error",
            ErrorCode::Internal => "internal",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::UnknownEvent => "unknown_event",
        }
    }
}

/// What decides which refusals the server can answer a client event with: the catalogue facts
/// the pipeline (`server::pipeline`) branches on. The generator documents each event from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventTraits {
    /// The event has a catalogue `rate_limit`.
    pub rate_limited: bool,
    /// Reliable delivery outside room joins and leaves: a `_mid` is deduplicated.
    pub reliable: bool,
    /// The event joins a room (the per-socket room cap applies).
    pub joins_room: bool,
    /// The joined room's access is `app`: the application's hook can deny the join (`self`
    /// rooms are named from the token and `authenticated` ones are open).
    pub join_policy: bool,
}

impl ErrorCode {
    /// The codes the server itself can answer a client event with, each with when, in the
    /// order the pipeline checks them. Kept beside the pipeline's refusals: a new refusal there
    /// belongs here too. Handlers may refuse with any code of their own on top.
    pub fn answered(t: EventTraits) -> Vec<(ErrorCode, &'static str)> {
        let mut v = vec![
            (ErrorCode::InvalidPayload, "the payload is not valid JSON or not the declared shape (an object; one bare value for `value:` events), `_mid` or `_resent` is malformed, or a field does not match its type or constraints (`field` names it)"),
            (ErrorCode::PayloadTooLarge, "the payload is larger than the event's `max_bytes`"),
            (
                ErrorCode::RateLimited,
                if t.rate_limited {
                    "this user sent the event more often than its rate limit allows, or more of this socket's events are waiting than `max_queued_events_per_socket` allows"
                } else {
                    "more of this socket's events are waiting than `max_queued_events_per_socket` allows (the event has no rate limit of its own)"
                },
            ),
            (
                ErrorCode::Forbidden,
                if t.joins_room && t.join_policy {
                    "the room's access policy denies the join, or the token expired during the session (the socket is then closed)"
                } else {
                    "the token expired during the session (the socket is then closed)"
                },
            ),
        ];
        if t.joins_room {
            v.push((ErrorCode::TooManyRooms, "the socket is already in `max_rooms_per_socket` rooms"));
        }
        v.push((ErrorCode::HandlerError, "the application's handler failed, panicked or ran past `handler_timeout`"));
        if t.reliable {
            v.push((ErrorCode::Internal, "the deduplication store did not answer, or the original of a resent message did not finish"));
            v.push((ErrorCode::OutcomeUnknown, "a resend (`_resent`) first sent before the deduplication store lost its history (Redis restarted empty): it may or may not have taken effect and is not run again; check, then send it with a new `_mid` if needed"));
        }
        v
    }
}

/// The error half of an ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Wire path of the offending payload field, when one is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AckError {
    /// An error without a field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }
}

impl std::fmt::Display for AckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {} (field `{field}`)", self.code.as_str(), self.message),
            None => write!(f, "{}: {}", self.code.as_str(), self.message),
        }
    }
}

impl std::error::Error for AckError {}

/// `{ "ok": true, "data": T }` or `{ "ok": false, "error": {...} }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack<T> {
    /// Accepted; `data` is the event's ack type (`null` when it has none).
    Ok(T),
    /// Refused.
    Err(AckError),
}

#[derive(Serialize, Deserialize)]
struct AckWire<T> {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<AckError>,
}

impl<T: Serialize> Serialize for Ack<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        match self {
            Ack::Ok(data) => {
                m.serialize_entry("ok", &true)?;
                m.serialize_entry("data", data)?;
            }
            Ack::Err(e) => {
                m.serialize_entry("ok", &false)?;
                m.serialize_entry("error", e)?;
            }
        }
        m.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ack<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = AckWire::<T>::deserialize(d)?;
        match (w.ok, w.data, w.error) {
            (true, Some(data), _) => Ok(Ack::Ok(data)),
            (true, None, _) => {
                // `data: null` deserializes to None above; retry for unit-like acks.
                T::deserialize(serde::de::value::UnitDeserializer::<D::Error>::new()).map(Ack::Ok)
            }
            (false, _, Some(e)) => Ok(Ack::Err(e)),
            (false, _, None) => Err(serde::de::Error::custom("an ack with ok: false needs `error`")),
        }
    }
}

/// `int64` with `encoding: string`: a decimal string on the wire, `i64` in Rust, also inside
/// options, lists and maps (`#[serde(with = "int64_string")]` on a field of any such shape).
/// Written here because serde's `with` applies to a whole field, not to the integers in it.
pub mod int64_string {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    /// A field type whose `i64` leaves travel as decimal strings.
    pub trait Int64Strings: Sized {
        /// Serializes with every `i64` as a decimal string.
        fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
        /// Parses with every `i64` from a decimal string.
        fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
    }

    struct Ser<'a, T>(&'a T);
    impl<T: Int64Strings> Serialize for Ser<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.ser(s)
        }
    }

    struct De<T>(T);
    impl<'de, T: Int64Strings> Deserialize<'de> for De<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            T::de(d).map(De)
        }
    }

    impl Int64Strings for i64 {
        fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
        fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            s.parse().map_err(|_| serde::de::Error::custom(format!("`{s}` is not a decimal 64-bit integer")))
        }
    }

    /// `None` is null (or absent, with the field's `default`).
    impl<T: Int64Strings> Int64Strings for Option<T> {
        fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Some(v) => v.ser(s),
                None => s.serialize_none(),
            }
        }
        fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Option::<De<T>>::deserialize(d).map(|o| o.map(|v| v.0))
        }
    }

    impl<T: Int64Strings> Int64Strings for Vec<T> {
        fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.iter().map(Ser))
        }
        fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Vec::<De<T>>::deserialize(d).map(|v| v.into_iter().map(|v| v.0).collect())
        }
    }

    impl<T: Int64Strings> Int64Strings for BTreeMap<String, T> {
        fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.iter().map(|(k, v)| (k, Ser(v))))
        }
        fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            BTreeMap::<String, De<T>>::deserialize(d).map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect())
        }
    }

    /// Serializes a field with its `i64` leaves as decimal strings.
    pub fn serialize<T: Int64Strings, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.ser(s)
    }

    /// Parses a field with its `i64` leaves from decimal strings.
    pub fn deserialize<'de, T: Int64Strings, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::de(d)
    }

    /// Optional *and* nullable: absent is `None`, null is `Some(None)` (see [`super::double_option`]).
    pub mod double_option {
        use super::Int64Strings;
        use serde::{Deserializer, Serializer};

        /// Serializes `Some(None)` as null (`None` is skipped by the field attribute).
        pub fn serialize<T: Int64Strings, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(inner) => inner.ser(s),
                None => s.serialize_none(),
            }
        }

        /// A present field becomes `Some(..)`; the field attribute's default makes absent `None`.
        pub fn deserialize<'de, T: Int64Strings, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
            Option::<T>::de(d).map(Some)
        }
    }
}

/// Optional *and* nullable fields: absent is `None`, `null` is `Some(None)`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes `Some(None)` as null (`None` is skipped by the field attribute).
    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    /// A present field becomes `Some(..)`; the field attribute's default makes absent `None`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code but `unknown_event` (not an event's own) is documented for some event, so a
    /// new code cannot be added without saying when the server answers it.
    #[test]
    fn every_code_is_answered_by_some_event() {
        let all = ErrorCode::answered(EventTraits { rate_limited: true, reliable: true, joins_room: true, join_policy: true });
        for c in ErrorCode::ALL.iter().filter(|c| **c != ErrorCode::UnknownEvent) {
            assert!(all.iter().any(|(a, _)| a == c), "{c:?} is answered by no event");
        }
        let plain: Vec<ErrorCode> = ErrorCode::answered(EventTraits::default()).into_iter().map(|(c, _)| c).collect();
        assert_eq!(plain, [ErrorCode::InvalidPayload, ErrorCode::PayloadTooLarge, ErrorCode::RateLimited, ErrorCode::Forbidden, ErrorCode::HandlerError]);
    }

    #[test]
    fn ack_envelope_round_trips() {
        let ok: Ack<u32> = Ack::Ok(3);
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"ok":true,"data":3}"#);
        let unit: Ack<()> = serde_json::from_str(r#"{"ok":true,"data":null}"#).unwrap();
        assert_eq!(unit, Ack::Ok(()));
        let err: Ack<()> = Ack::Err(AckError { code: ErrorCode::InvalidPayload, message: "bad".into(), field: Some("a".into()) });
        let s = serde_json::to_string(&err).unwrap();
        assert_eq!(s, r#"{"ok":false,"error":{"code":"invalid_payload","message":"bad","field":"a"}}"#);
        assert_eq!(serde_json::from_str::<Ack<()>>(&s).unwrap(), err);
        assert!(serde_json::from_str::<Ack<()>>(r#"{"ok":false}"#).is_err());
    }

    #[test]
    fn error_codes_serialize_as_their_names() {
        for c in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::Value::String(c.as_str().into()));
        }
    }
}
