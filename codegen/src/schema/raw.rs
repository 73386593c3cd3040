//! The catalogue format as Rust types: the documented shape of a catalogue file.
//!
//! `schema/catalogue.schema.json` is generated from these types (schemars), so editors
//! validate and autocomplete while typing. `lower` reads the spanned YAML tree by hand to report
//! every problem in one run; a test keeps the keys it accepts equal to the keys declared here.
//! Nothing deserializes these types (schemars reads their `serde` attributes for the key names),
//! so they can share the IR's [`Constraints`] through `flatten`.

#![allow(missing_docs)]
// Only schemars and the key test read these fields; lowering reads the spanned tree instead.
#![allow(dead_code)]

use super::ir::Constraints;
use schemars::JsonSchema;
use std::collections::BTreeMap;

/// One catalogue file: a domain of events.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Switchboard catalogue file")]
pub struct CatalogueFile {
    /// The catalogue format version this file is written in. Absent means 1.
    #[schemars(range(min = 1, max = 1))]
    pub format: Option<u64>,
    /// snake_case name of the domain; unique across the catalogue.
    pub domain: String,
    /// Human title shown in the docs.
    pub title: Option<String>,
    /// What the domain covers.
    pub description: Option<String>,
    /// TypeScript constant groups the events of this file are listed in.
    pub constants: Option<Vec<String>>,
    /// Catalogue-wide settings; exactly one file may carry them.
    pub settings: Option<Settings>,
    /// Named shared types (PascalCase names).
    pub types: Option<BTreeMap<String, TypeSpec>>,
    /// Server-side rooms, by id.
    pub rooms: Option<BTreeMap<String, RoomSpec>>,
    /// Events, by exact wire name.
    pub events: Option<BTreeMap<String, EventSpec>>,
    /// Free-text migration notes shown in the docs.
    pub migrations: Option<Vec<MigrationSpec>>,
}

/// Catalogue-wide settings.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Catalogue name.
    pub catalogue: Option<String>,
    /// Socket.IO namespace (default `/`).
    pub namespace: Option<String>,
    /// TypeScript constant groups, in output order.
    pub constants: Option<BTreeMap<String, ConstGroupSpec>>,
    /// The app-level heartbeat the generated Rust client sends.
    pub heartbeat: Option<HeartbeatSpec>,
    /// The generated clients' reconnect schedule (default 1, 2, 4, 8, 16 s, 10 attempts).
    pub reconnect: Option<ReconnectSpec>,
    /// Recovery of missed server-to-client events after a reconnect.
    pub recovery: Option<RecoverySpec>,
    /// TypeScript output settings.
    pub typescript: Option<TypeScriptSpec>,
}

/// Reconnect delays double from `base_seconds` up to `max_seconds`; after `max_attempts` failed
/// attempts in a row the client stops (the `failed` state).
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconnectSpec {
    /// Delay before the first attempt (default 1).
    pub base_seconds: Option<u32>,
    /// Largest delay (default 16).
    pub max_seconds: Option<u32>,
    /// Attempts before giving up (default 10).
    pub max_attempts: Option<u32>,
}

/// Recovery: every server-to-client event sent to rooms is kept this long (and at most this
/// many per room), so a client that reconnects within the window gets what it missed; events
/// opt out with `recover: false`.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverySpec {
    /// How long events are kept and a client may be away (1-86400).
    pub window_seconds: u32,
    /// Events kept per room (1-100000; default 1000).
    pub max_events_per_room: Option<u32>,
}

/// TypeScript output settings.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeScriptSpec {
    /// TypeScript appended verbatim to `socket.types.ts` (the app's own declarations, e.g. its
    /// connection state types). Catalogue types cannot take the names it exports.
    pub prelude: Option<String>,
}

/// The app-level heartbeat: a client-to-server event whose payload is `{ timestamp: datetime }`,
/// sent every `interval_seconds`; `max_missed` unanswered in a row make the client reconnect.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatSpec {
    /// Wire name of the event (client -> server, with an ack).
    pub event: String,
    /// Seconds between heartbeats (default 30).
    pub interval_seconds: Option<u32>,
    /// Unanswered heartbeats in a row before a reconnect (default 2).
    pub max_missed: Option<u32>,
}

/// A TypeScript constant group.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstGroupSpec {
    pub description: Option<String>,
    /// Group spread first (`...SocketEvents`).
    pub extends: Option<String>,
    /// Extra KEY: value pairs listed first (e.g. connection events).
    pub extra: Option<BTreeMap<String, String>>,
}

/// A room.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomSpec {
    /// Name template, e.g. `order-{orderId}`.
    pub name: String,
    /// Where each parameter comes from (default `payload`).
    pub params: Option<BTreeMap<String, ParamSourceSpec>>,
    /// Who may join.
    pub access: AccessSpec,
    pub description: Option<String>,
}

#[derive(Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamSourceSpec {
    /// A payload field of the same name.
    Payload,
    /// The authenticated user's id.
    User,
}

#[derive(Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccessSpec {
    /// Anyone authenticated.
    Authenticated,
    /// Only the user themselves.
    #[serde(rename = "self")]
    SelfOnly,
    /// The application decides (a generated hook).
    App,
    /// Joined automatically on connect.
    Auto,
}

/// An event.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub description: Option<String>,
    /// TypeScript constant key (default: SCREAMING_SNAKE of the wire name).
    #[serde(rename = "const")]
    pub const_name: Option<String>,
    /// Constant groups (overrides the file's `constants`).
    pub constants: Option<Vec<String>>,
    /// snake_case base of derived identifiers (resolves collisions such as `user:join` vs `user-join`).
    pub ident: Option<String>,
    pub deprecated: Option<DeprecatedSpec>,
    /// Server -> client.
    pub to_client: Option<SideSpec>,
    /// Client -> server.
    pub to_server: Option<SideSpec>,
}

/// One direction of an event. `to` is for `to_client`; `joins`, `leaves`, `leaves_all`, `ack`,
/// `ack_name`, `delivery`, `rate_limit` and `max_bytes` are for `to_server`.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SideSpec {
    /// Name of an inline payload type.
    pub name: Option<String>,
    /// A type name, or a mapping of fields. Absent: no payload.
    pub payload: Option<PayloadSpec>,
    /// A payload that is one scalar value (string, integer, number, boolean, datetime or an
    /// enum; constraints allowed) instead of an object, e.g. a bare room id. Not with `payload`.
    pub value: Option<TypeSpec>,
    pub description: Option<String>,
    /// An example payload (checked).
    pub example: Option<serde_json::Value>,
    /// Target rooms, or `everyone`.
    pub to: Option<OneOrMany>,
    /// Room joined.
    pub joins: Option<String>,
    /// Room left.
    pub leaves: Option<String>,
    /// Every room of this kind is left.
    pub leaves_all: Option<String>,
    /// Ack data type: a type name or a mapping of fields.
    pub ack: Option<PayloadSpec>,
    /// Name of an inline ack type.
    pub ack_name: Option<String>,
    pub delivery: Option<DeliverySpec>,
    /// `N/s` or `N/min`.
    #[schemars(regex(pattern = r"^[0-9]+/(s|min)$"))]
    pub rate_limit: Option<String>,
    /// Largest accepted payload in bytes.
    pub max_bytes: Option<u64>,
    /// `false`: not kept for recovery (default: recoverable when `settings.recovery` is set and
    /// the event goes to rooms).
    pub recover: Option<bool>,
}

#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliverySpec {
    /// Queued while offline, deduplicated by message id.
    Reliable,
    /// Dropped while offline.
    Volatile,
}

#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum PayloadSpec {
    /// A named type.
    Named(String),
    /// Fields (a `?` after a name makes it optional); at most 256.
    Fields(#[schemars(extend("maxProperties" = 256))] BTreeMap<String, TypeSpec>),
}

/// A type: short form (`string`, `Location[]`, `map<integer>`, `string | null`) or long form.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum TypeSpec {
    Short(String),
    Long(Box<LongType>),
}

/// Long form of a type or field.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LongType {
    /// A short form, or `object`, `array`, `map`, `int64`.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Object fields, at most 256.
    #[schemars(extend("maxProperties" = 256))]
    pub fields: Option<BTreeMap<String, TypeSpec>>,
    /// String enum values.
    #[serde(rename = "enum")]
    pub values_enum: Option<Vec<String>>,
    /// Array element type.
    pub items: Option<TypeSpec>,
    /// Map value type.
    pub values: Option<TypeSpec>,
    /// Name of an inline object or enum.
    pub name: Option<String>,
    /// May be null.
    pub nullable: Option<bool>,
    /// `min_length` ... `max_items`: the IR's own list, so the keys and their docs live once.
    #[serde(flatten)]
    pub constraints: Constraints,
    /// `uri`: the string is an absolute URL whose scheme is in `schemes`.
    pub format: Option<FormatSpec>,
    /// With `format: uri`: the allowed schemes (default `[https, http]`).
    pub schemes: Option<Vec<String>>,
    /// Required for `int64`.
    pub encoding: Option<Int64EncodingSpec>,
    pub description: Option<String>,
    pub example: Option<serde_json::Value>,
    pub default: Option<serde_json::Value>,
    pub deprecated: Option<DeprecatedSpec>,
}

#[derive(Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FormatSpec {
    Uri,
}

#[derive(Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Int64EncodingSpec {
    String,
    Number,
}

#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum DeprecatedSpec {
    Flag(bool),
    Details {
        since: Option<String>,
        replacement: Option<String>,
        note: Option<String>,
    },
}

#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    pub title: String,
    /// Wire names of the events concerned.
    pub events: Option<Vec<String>>,
    pub note: String,
}

/// The catalogue format version this Switchboard reads (`format: 1`). A file without `format`
/// is version 1: every catalogue written before the key existed is, and a later version will
/// have to be named, so absence never becomes ambiguous.
pub const FORMAT_VERSION: u64 = 1;

/// Keys a mapping may hold, by context; `lower` uses these lists, and a test checks them
/// against the JSON Schema generated from the types above.
pub mod keys {
    pub const FILE: &[&str] =
        &["format", "domain", "title", "description", "constants", "settings", "types", "rooms", "events", "migrations"];
    pub const SETTINGS: &[&str] = &["catalogue", "namespace", "constants", "heartbeat", "reconnect", "recovery", "typescript"];
    pub const RECOVERY: &[&str] = &["window_seconds", "max_events_per_room"];
    pub const TYPESCRIPT: &[&str] = &["prelude"];
    pub const HEARTBEAT: &[&str] = &["event", "interval_seconds", "max_missed"];
    pub const RECONNECT: &[&str] = &["base_seconds", "max_seconds", "max_attempts"];
    pub const CONST_GROUP: &[&str] = &["description", "extends", "extra"];
    pub const ROOM: &[&str] = &["name", "params", "access", "description"];
    pub const EVENT: &[&str] =
        &["description", "const", "constants", "ident", "deprecated", "to_client", "to_server"];
    pub const SIDE: &[&str] = &[
        "name", "payload", "value", "description", "example", "to", "joins", "leaves", "leaves_all", "ack", "ack_name",
        "delivery", "rate_limit", "max_bytes", "recover",
    ];
    pub const TO_CLIENT_ONLY: &[&str] = &["to", "recover"];
    pub const TO_SERVER_ONLY: &[&str] =
        &["joins", "leaves", "leaves_all", "ack", "ack_name", "delivery", "rate_limit", "max_bytes"];
    pub const LONG_TYPE: &[&str] = &[
        "type", "fields", "enum", "items", "values", "name", "nullable", "min_length", "max_length", "pattern",
        "minimum", "maximum", "min_items", "max_items", "format", "schemes", "encoding", "description", "example", "default",
        "deprecated",
    ];
    pub const DEPRECATED: &[&str] = &["since", "replacement", "note"];
    pub const MIGRATION: &[&str] = &["title", "events", "note"];
}

/// The format's JSON Schema, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(CatalogueFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(schema: &serde_json::Value, def: Option<&str>) -> Vec<String> {
        let node = match def {
            Some(d) => &schema["$defs"][d],
            None => schema,
        };
        let mut v: Vec<String> = node["properties"].as_object().unwrap().keys().cloned().collect();
        v.sort();
        v
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn lowering_keys_match_the_published_schema() {
        let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        assert_eq!(props(&schema, None), sorted(keys::FILE));
        assert_eq!(props(&schema, Some("Settings")), sorted(keys::SETTINGS));
        assert_eq!(props(&schema, Some("ConstGroupSpec")), sorted(keys::CONST_GROUP));
        assert_eq!(props(&schema, Some("HeartbeatSpec")), sorted(keys::HEARTBEAT));
        assert_eq!(props(&schema, Some("ReconnectSpec")), sorted(keys::RECONNECT));
        assert_eq!(props(&schema, Some("RecoverySpec")), sorted(keys::RECOVERY));
        assert_eq!(props(&schema, Some("TypeScriptSpec")), sorted(keys::TYPESCRIPT));
        assert_eq!(props(&schema, Some("RoomSpec")), sorted(keys::ROOM));
        assert_eq!(props(&schema, Some("EventSpec")), sorted(keys::EVENT));
        assert_eq!(props(&schema, Some("SideSpec")), sorted(keys::SIDE));
        assert_eq!(props(&schema, Some("LongType")), sorted(keys::LONG_TYPE));
        assert_eq!(props(&schema, Some("MigrationSpec")), sorted(keys::MIGRATION));
    }
}
