//! What the fuzz targets share: the table of the Rez catalogue's client-to-server events with
//! their generated payload types, and the split of an input into catalogue files.
//!
//! The table is written by hand (the generated server keeps its specs private), and checked
//! against the catalogue itself the first time it is used: an event added to `schema/` without
//! a row here stops every payload fuzz run at start, so the table cannot silently fall behind.

use rez_realtime::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;
use switchboard::schema::lower::SourceFile;
use switchboard_runtime::__fuzz;
use switchboard_runtime::server::NoPayload;
use switchboard_runtime::validate::Validate;
use switchboard_runtime::wire::AckError;

/// One client-to-server event and what checks its payload.
pub struct Entry {
    /// Wire name.
    pub event: &'static str,
    /// The payload type's catalogue name (`None`: the event takes no payload).
    pub payload: Option<&'static str>,
    /// Bytes -> typed payload -> validate, with the round-trip checked (target `payloads`).
    pub from_bytes: fn(&[u8]),
    /// The server's step 7 on a parsed value (target `server_inbound`).
    pub from_value: fn(&Value) -> Result<(), AckError>,
}

/// Deserializes and validates; a payload that passes must serialize to JSON that passes again
/// and serializes to the same text (what the server accepts, the generated types can re-emit).
fn typed_from_bytes<T: DeserializeOwned + Validate + Serialize>(data: &[u8]) {
    let Ok(payload) = serde_json::from_slice::<T>(data) else { return };
    if let Err(e) = payload.validate() {
        assert!(!e.message.is_empty(), "a validation error says what is wrong");
        return;
    }
    let text = serde_json::to_string(&payload).expect("a valid payload serializes");
    let again: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("re-reading {text}: {e}"));
    if let Err(e) = again.validate() {
        panic!("{text} passed validation, then failed it after a round trip: {e}");
    }
    assert_eq!(serde_json::to_string(&again).expect("serializes"), text, "the round trip is stable");
}

fn none_from_bytes(data: &[u8]) {
    if let Ok(p) = serde_json::from_slice::<NoPayload>(data) {
        p.validate().expect("NoPayload accepts anything");
    }
}

fn typed_from_value<T: DeserializeOwned + Validate>(value: &Value) -> Result<(), AckError> {
    __fuzz::parse_payload::<T>(value).map(drop)
}

macro_rules! table {
    ($($event:literal => $ty:tt),* $(,)?) => {
        /// Every client-to-server event of the Rez catalogue.
        pub const EVENTS: &[Entry] = &[$(table!(@row $event, $ty)),*];
    };
    (@row $event:literal, none) => {
        Entry { event: $event, payload: None, from_bytes: none_from_bytes, from_value: typed_from_value::<NoPayload> }
    };
    (@row $event:literal, $ty:ident) => {
        Entry {
            event: $event,
            payload: Some(stringify!($ty)),
            from_bytes: typed_from_bytes::<types::$ty>,
            from_value: typed_from_value::<types::$ty>,
        }
    };
}

table! {
    "subscribe:cart" => SubscribeCartPayload,
    "unsubscribe:cart" => none,
    "subscribe:product" => SubscribeProductPayload,
    "unsubscribe:product" => UnsubscribeProductPayload,
    "subscribe:store" => SubscribeStorePayload,
    "unsubscribe:store" => UnsubscribeStorePayload,
    "chat:typing" => ChatTypingRequest,
    "chat:read" => ChatReadRequest,
    "chat:send_message" => SendChatMessagePayload,
    "subscribe:chat" => SubscribeChatPayload,
    "unsubscribe:chat" => UnsubscribeChatPayload,
    "subscribe:feed" => none,
    "unsubscribe:feed" => none,
    "groupbuying:join" => GroupRoomPayload,
    "groupbuying:leave" => GroupRoomPayload,
    "groupbuying:send_message" => GroupSendMessagePayload,
    "subscribe:leaderboard" => SubscribeLeaderboardPayload,
    "unsubscribe:leaderboard" => none,
    "typing:start" => TypingRequest,
    "typing:stop" => TypingRequest,
    "join:conversation" => JoinConversationPayload,
    "leave:conversation" => LeaveConversationPayload,
    "subscribe:order" => SubscribeOrderPayload,
    "unsubscribe:order" => UnsubscribeOrderPayload,
    "heartbeat" => HeartbeatPayload,
    "join-earnings-room" => JoinEarningsRoomPayload,
    "leave-earnings-room" => LeaveEarningsRoomPayload,
    "join-tournament" => JoinTournamentPayload,
    "leave-tournament" => LeaveTournamentPayload,
    "join-merchant-room" => JoinMerchantRoomPayload,
}

/// What the server's `EventSpec` says of an event, read from the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Largest accepted payload (serialized JSON bytes).
    pub max_bytes: usize,
}

/// The table's rows with their specs, checked against `schema/` once.
pub fn events() -> &'static [(&'static Entry, Spec)] {
    static CHECKED: OnceLock<Vec<(&'static Entry, Spec)>> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema"));
        let files = switchboard::output::load_catalogue(dir).expect("schema/ is readable");
        let (catalogue, _) = switchboard::schema::lower::lower(&files).expect("schema/ lowers");
        let mut rows = Vec::new();
        let mut in_catalogue = BTreeSet::new();
        for event in &catalogue.events {
            let Some(to_server) = &event.to_server else { continue };
            in_catalogue.insert(event.wire_name.as_str());
            let payload = to_server.payload.map(|t| catalogue.ty(t).name.as_str());
            let entry = EVENTS
                .iter()
                .find(|e| e.event == event.wire_name)
                .unwrap_or_else(|| panic!("tests/fuzz/src/lib.rs: add `{}` to the table", event.wire_name));
            assert_eq!(entry.payload, payload, "tests/fuzz/src/lib.rs: the payload type of `{}`", event.wire_name);
            let spec = Spec { max_bytes: usize::try_from(to_server.max_bytes).unwrap_or(usize::MAX) };
            rows.push((entry, spec));
        }
        for e in EVENTS {
            assert!(in_catalogue.contains(e.event), "tests/fuzz/src/lib.rs: `{}` is not a client-to-server event any more", e.event);
        }
        rows
    })
}

/// Fuzz input -> catalogue files (targets `catalogue` and `emit`): NUL bytes split it, since NUL
/// cannot occur in YAML text; more than 8 files add nothing the merge code has not seen.
pub fn catalogue_files(data: &[u8]) -> Vec<SourceFile> {
    let text = String::from_utf8_lossy(data);
    text.split('\0').take(8).enumerate().map(|(i, t)| SourceFile { name: format!("f{i}.yaml"), text: t.to_string() }).collect()
}
