//! The intermediate representation every emitter reads.
//!
//! Built once by `lower`; emitters never see YAML. Each item keeps its wire name beside the
//! identifiers derived from it (computed once, in `names`).

use serde::Serialize;
use serde_json::Value;

/// Index into [`Catalogue::types`].
pub type TypeId = usize;
/// Index into [`Catalogue::rooms`].
pub type RoomId = usize;
/// Index into [`Catalogue::events`].
pub type EventId = usize;

/// A whole, valid catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    /// Catalogue name (settings.catalogue).
    pub name: String,
    /// Socket.IO namespace, e.g. `/`.
    pub namespace: String,
    /// Domains in file-name order.
    pub domains: Vec<Domain>,
    /// Every named type (shared, payload, ack and inline-derived), in declaration order.
    pub types: Vec<NamedType>,
    /// Every room.
    pub rooms: Vec<Room>,
    /// Every event, in declaration order.
    pub events: Vec<Event>,
    /// TypeScript constant groups, in output order.
    pub constant_groups: Vec<ConstGroup>,
    /// Free-text migration notes.
    pub migrations: Vec<Migration>,
    /// The app-level heartbeat (settings.heartbeat), if the catalogue has one.
    pub heartbeat: Option<Heartbeat>,
    /// The clients' reconnect schedule (settings.reconnect); None: the runtimes' defaults,
    /// which are [`Reconnect::DEFAULT`].
    pub reconnect: Option<Reconnect>,
    /// Recovery of missed server-to-client events (settings.recovery), if enabled.
    pub recovery: Option<Recovery>,
    /// TypeScript appended to `socket.types.ts` (settings.typescript.prelude).
    pub ts_prelude: Option<String>,
}

/// settings.reconnect, checked: delays double from `base_seconds` up to `max_seconds`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Reconnect {
    /// Delay before the first attempt.
    pub base_seconds: u32,
    /// Largest delay (>= base).
    pub max_seconds: u32,
    /// Failed attempts in a row before the client gives up (>= 1).
    pub max_attempts: u32,
}

impl Reconnect {
    /// 1, 2, 4, 8, 16 s, 10 attempts: what both client runtimes do without the setting.
    pub const DEFAULT: Reconnect = Reconnect { base_seconds: 1, max_seconds: 16, max_attempts: 10 };

    /// The distinct delays in order, the last repeating: base, 2 base, ... capped at max.
    pub fn delays_seconds(&self) -> Vec<u32> {
        let mut out = vec![self.base_seconds.min(self.max_seconds)];
        while let Some(&last) = out.last()
            && last < self.max_seconds
        {
            out.push(last.saturating_mul(2).min(self.max_seconds));
        }
        out
    }
}

/// settings.recovery: how long, and how many per room, recoverable events are kept.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Recovery {
    /// Seconds events are kept and a client may be away and still recover.
    pub window_seconds: u32,
    /// Events kept per room.
    pub max_events_per_room: u32,
}

/// settings.heartbeat, checked: a client-to-server event that takes `{ timestamp }`.
#[derive(Debug, Clone, Serialize)]
pub struct Heartbeat {
    /// The event the client sends.
    pub event: EventId,
    /// Seconds between heartbeats.
    pub interval_seconds: u32,
    /// Unanswered heartbeats in a row before the client reconnects.
    pub max_missed: u32,
}

/// One catalogue file.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// snake_case name.
    pub name: String,
    /// Human title.
    pub title: String,
    /// What the domain covers.
    pub description: String,
    /// The file, relative to the catalogue folder.
    pub file: String,
    /// Types declared in this file (including payloads of its events).
    pub types: Vec<TypeId>,
    /// Rooms declared in this file.
    pub rooms: Vec<RoomId>,
    /// Events declared in this file.
    pub events: Vec<EventId>,
}

/// Deprecation of an event, type or field.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Deprecation {
    /// Version since when.
    pub since: Option<String>,
    /// What to use instead.
    pub replacement: Option<String>,
    /// Free text.
    pub note: Option<String>,
}

impl Deprecation {
    /// One sentence for JSDoc, `#[deprecated]` and the docs.
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.since {
            parts.push(format!("Deprecated since {s}."));
        } else {
            parts.push("Deprecated.".to_string());
        }
        if let Some(r) = &self.replacement {
            parts.push(format!("Use `{r}` instead."));
        }
        if let Some(n) = &self.note {
            parts.push(n.trim().to_string());
        }
        parts.join(" ")
    }
}

/// Why a named type exists.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TypeOrigin {
    /// Declared under `types:`.
    Shared,
    /// Inline payload of an event section.
    Payload,
    /// Inline ack of a client-to-server event.
    Ack,
    /// An inline object or enum inside another type.
    Inline,
}

/// A named type.
#[derive(Debug, Clone, Serialize)]
pub struct NamedType {
    /// The name, used as-is in Rust, TypeScript and JSON Schema (PascalCase, validated).
    pub name: String,
    /// Declaring domain.
    pub domain: usize,
    /// Why it exists.
    pub origin: TypeOrigin,
    /// True when the author named it (inline types without `name:` get derived names and are
    /// written inline in TypeScript).
    pub explicit_name: bool,
    /// The shape.
    pub kind: TypeKind,
    /// Description.
    pub description: Option<String>,
    /// Deprecation.
    pub deprecated: Option<Deprecation>,
    /// A checked example.
    pub example: Option<Value>,
}

/// The shape of a named type.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    /// An object with fields in declaration order.
    Object {
        /// Fields.
        fields: Vec<Field>,
    },
    /// A string enum.
    Enum {
        /// Values.
        values: Vec<EnumValue>,
    },
    /// Another name for a type expression.
    Alias {
        /// Target.
        target: TypeRef,
    },
}

/// One string enum value.
#[derive(Debug, Clone, Serialize)]
pub struct EnumValue {
    /// Exact wire value.
    pub wire_name: String,
    /// Rust variant identifier.
    pub rust_ident: String,
}

/// An object field.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Exact wire name.
    pub wire_name: String,
    /// Rust field identifier (escaped).
    pub rust_ident: String,
    /// TypeScript property key (quoted when not an identifier).
    pub ts_key: String,
    /// The type.
    pub ty: TypeRef,
    /// May be absent.
    pub optional: bool,
    /// Description.
    pub description: Option<String>,
    /// Default used when absent.
    pub default: Option<Value>,
    /// Example value.
    pub example: Option<Value>,
    /// Deprecation.
    pub deprecated: Option<Deprecation>,
}

/// A type expression with its constraints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TypeRef {
    /// The shape.
    pub kind: RefKind,
    /// May be `null` (distinct from optional).
    pub nullable: bool,
    /// Checked by the server.
    pub constraints: Constraints,
}

/// Wire encoding of a 64-bit integer.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Int64Encoding {
    /// Decimal string.
    String,
    /// JSON number (unsafe above 2^53 in JavaScript, accepted explicitly).
    Number,
}

/// Type expression shapes.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", content = "of", rename_all = "snake_case")]
pub enum RefKind {
    /// UTF-8 string.
    String,
    /// JavaScript-safe integer.
    Integer,
    /// 64-bit integer with an explicit encoding.
    Int64(Int64Encoding),
    /// Floating point number.
    Number,
    /// Boolean.
    Boolean,
    /// ISO-8601 date-time string.
    DateTime,
    /// Any JSON value.
    Json,
    /// A named type.
    Named(TypeId),
    /// A list.
    Array(Box<TypeRef>),
    /// A string-keyed map.
    Map(Box<TypeRef>),
}

/// Constraints the server enforces. Also the catalogue format's constraint keys: `raw::LongType`
/// flattens this struct into the published JSON Schema, field docs included.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Constraints {
    /// Minimum string length (characters).
    pub min_length: Option<u64>,
    /// Maximum string length (characters).
    pub max_length: Option<u64>,
    /// Regular expression the whole string must match.
    pub pattern: Option<String>,
    /// Inclusive minimum.
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    pub maximum: Option<f64>,
    /// Minimum list length.
    pub min_items: Option<u64>,
    /// Maximum list length.
    pub max_items: Option<u64>,
    /// `format: uri`: an absolute URL (WHATWG parsing) whose scheme is one of these (lowercase).
    /// Written as `format` and `schemes` in the catalogue, which `raw::LongType` declares.
    #[schemars(skip)]
    pub uri_schemes: Option<Vec<String>>,
}

impl Constraints {
    /// True when nothing is constrained.
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }

    /// Human summary, e.g. `length 1..=128`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(range(self.min_length, self.max_length, "..=").map(|r| format!("length {r}")));
        if let Some(p) = &self.pattern {
            parts.push(format!("pattern `{p}`"));
        }
        if let Some(schemes) = &self.uri_schemes {
            parts.push(format!("URL ({})", schemes.join(", ")));
        }
        parts.extend(range(self.minimum, self.maximum, " ..= "));
        parts.extend(range(self.min_items, self.max_items, "..=").map(|r| format!("{r} items")));
        parts.join(", ")
    }
}

/// `lo..=hi` (`sep` between the bounds), `>= lo` or `<= hi`; None without bounds.
fn range<T: std::fmt::Display>(lo: Option<T>, hi: Option<T>, sep: &str) -> Option<String> {
    match (lo, hi) {
        (Some(a), Some(b)) => Some(format!("{a}{sep}{b}")),
        (Some(a), None) => Some(format!(">= {a}")),
        (None, Some(b)) => Some(format!("<= {b}")),
        (None, None) => None,
    }
}

/// Who may join a room.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Any authenticated user.
    Authenticated,
    /// Only the user the room belongs to (its parameters come from the token).
    SelfOnly,
    /// The application decides (a generated hook).
    App,
    /// Joined automatically on connect; clients cannot join it.
    Auto,
}

impl Access {
    /// How the docs say it.
    pub fn describe(self) -> &'static str {
        match self {
            Access::Authenticated => "anyone authenticated",
            Access::SelfOnly => "only the user themselves",
            Access::App => "decided by the application",
            Access::Auto => "joined automatically on connect (the user only)",
        }
    }
}

/// Where a room parameter comes from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ParamSource {
    /// A payload field of the same name.
    Payload,
    /// The authenticated user's id.
    User,
}

/// A room parameter.
#[derive(Debug, Clone, Serialize)]
pub struct RoomParam {
    /// Name in the template (and payload field name).
    pub name: String,
    /// snake_case identifier.
    pub rust_ident: String,
    /// Source.
    pub source: ParamSource,
}

/// A piece of a room name template.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// Index into the room's params.
    Param(usize),
}

/// A server-side room.
#[derive(Debug, Clone, Serialize)]
pub struct Room {
    /// Room id in the catalogue (e.g. `order`).
    pub name: String,
    /// snake_case identifier.
    pub rust_ident: String,
    /// PascalCase identifier.
    pub pascal: String,
    /// The template as written (`order-{orderId}`).
    pub template: String,
    /// Parsed template.
    pub parts: Vec<TemplatePart>,
    /// Parameters in template order.
    pub params: Vec<RoomParam>,
    /// Access policy.
    pub access: Access,
    /// Description.
    pub description: Option<String>,
    /// Declaring domain.
    pub domain: usize,
}

/// Where a server-to-client event goes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "kind", content = "rooms")]
pub enum Target {
    /// Every connected socket.
    Everyone,
    /// These rooms (each computed from payload fields or emitter arguments).
    Rooms(Vec<RoomId>),
}

/// Server-to-client side of an event.
#[derive(Debug, Clone, Serialize)]
pub struct ToClient {
    /// Payload type (None: no payload).
    pub payload: Option<TypeId>,
    /// Target rooms.
    pub target: Target,
    /// Description of this direction.
    pub description: Option<String>,
    /// Checked example payload.
    pub example: Option<Value>,
    /// Kept for recovery: the catalogue has `settings.recovery`, the event goes to rooms, it is
    /// not volatile and does not say `recover: false`.
    pub recover: bool,
}

/// Delivery policy of a client-to-server event in the client runtime.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Queued while offline and resent until answered; a resend with the same message id gets
    /// the first answer (room joins and leaves are idempotent and not deduplicated).
    Reliable,
    /// Dropped while offline.
    Volatile,
}

/// A room action of a client-to-server event.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "action", content = "room")]
pub enum RoomAction {
    /// Join the room computed from the payload / user.
    Join(RoomId),
    /// Leave the room computed from the payload / user.
    Leave(RoomId),
    /// Leave every room of this kind.
    LeaveAll(RoomId),
}

/// A rate limit.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RateLimit {
    /// Allowed events per window.
    pub count: u32,
    /// Window in seconds.
    pub per_seconds: u32,
}

/// Client-to-server side of an event.
#[derive(Debug, Clone, Serialize)]
pub struct ToServer {
    /// Payload type (None: no payload).
    pub payload: Option<TypeId>,
    /// Ack data type (None: the ack carries `null`).
    pub ack: Option<TypeId>,
    /// Room action.
    pub room_action: Option<RoomAction>,
    /// Delivery policy.
    pub delivery: Delivery,
    /// Rate limit per socket.
    pub rate_limit: Option<RateLimit>,
    /// Maximum payload size in bytes (serialized JSON).
    pub max_bytes: u64,
    /// Description of this direction.
    pub description: Option<String>,
    /// Checked example payload.
    pub example: Option<Value>,
}

impl ToServer {
    /// Does the server deduplicate this event's `_mid`? Room joins and leaves are idempotent
    /// and per socket: a resend from a new socket must run again, so they never are.
    pub fn deduplicated(&self) -> bool {
        self.delivery == Delivery::Reliable && self.room_action.is_none()
    }

    /// What decides which refusals the server can answer this event with.
    pub fn traits(&self, c: &Catalogue) -> switchboard_runtime::wire::EventTraits {
        let joined = match self.room_action {
            Some(RoomAction::Join(r)) => Some(r),
            _ => None,
        };
        switchboard_runtime::wire::EventTraits {
            rate_limited: self.rate_limit.is_some(),
            reliable: self.deduplicated(),
            joins_room: joined.is_some(),
            join_policy: joined.is_some_and(|r| c.rooms[r].access == Access::App),
        }
    }
}

/// An event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Exact wire name.
    pub wire_name: String,
    /// snake_case identifier (method names).
    pub ident: String,
    /// PascalCase identifier.
    pub pascal: String,
    /// TypeScript constant key (SCREAMING_SNAKE).
    pub const_name: String,
    /// Constant groups the event is listed in.
    pub constants: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Deprecation.
    pub deprecated: Option<Deprecation>,
    /// Declaring domain.
    pub domain: usize,
    /// Server-to-client side.
    pub to_client: Option<ToClient>,
    /// Client-to-server side.
    pub to_server: Option<ToServer>,
}

/// A TypeScript constant group such as `SocketEvents`.
#[derive(Debug, Clone, Serialize)]
pub struct ConstGroup {
    /// Exported name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Group this one spreads first.
    pub extends: Option<String>,
    /// Extra (key, value) pairs listed first, e.g. connection events.
    pub extra: Vec<(String, String)>,
}

/// A migration note.
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// Title.
    pub title: String,
    /// Events it concerns (ids).
    pub events: Vec<EventId>,
    /// The note.
    pub note: String,
    /// Declaring domain.
    pub domain: usize,
}

/// Default maximum payload size of a client-to-server event.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024;

impl Catalogue {
    /// The type with this id.
    pub fn ty(&self, id: TypeId) -> &NamedType {
        &self.types[id]
    }

    /// Finds a type by name.
    pub fn type_named(&self, name: &str) -> Option<TypeId> {
        self.types.iter().position(|t| t.name == name)
    }

    /// The scalar a `value:` payload type stands for (a payload alias); None for an object
    /// payload or any other type.
    pub fn value_payload(&self, id: TypeId) -> Option<&TypeRef> {
        match &self.types[id] {
            NamedType { origin: TypeOrigin::Payload, kind: TypeKind::Alias { target }, .. } => Some(target),
            _ => None,
        }
    }

    /// Migration notes that concern an event.
    pub fn migrations_of(&self, event: EventId) -> impl Iterator<Item = &Migration> {
        self.migrations.iter().filter(move |m| m.events.contains(&event))
    }
}

/// Error codes of `{ ok: false, error: { code } }` acks: the runtime's own list, so the
/// generated TypeScript union cannot drift from what the server answers.
pub fn ack_error_codes() -> impl Iterator<Item = &'static str> {
    switchboard_runtime::wire::ErrorCode::ALL.iter().map(|c| c.as_str())
}
