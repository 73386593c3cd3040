//! `events:` (wire name, identifiers, both sides, payloads and acks) and `migrations:`.

use crate::schema::codes::Code;
use super::read::{Map, present};
use super::{FileDecl, Loc, Lowerer, Pending};
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::names;
use crate::schema::raw::keys;
use crate::schema::yaml::{Kind, Node, Pos};

/// Socket.IO reserves these event names on the client and server.
const RESERVED_EVENTS: &[&str] =
    &["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "error", "message"];

impl Lowerer {
    pub(super) fn lower_events(&mut self, d: &FileDecl) {
        let file = d.file.as_str();
        for &(k, v) in &d.events {
            let Some(wire) = self.key_name(file, k, "an event name") else { continue };
            if wire.is_empty() || wire.chars().any(|c| c.is_whitespace() || c.is_control()) {
                self.err(Code::InvalidIdentifier, file, k.pos, format!("event name `{wire}` must be non-empty without spaces"));
                continue;
            }
            if wire == switchboard_runtime::recovery::RECOVER_EVENT {
                self.err(Code::ReservedEvent, file, k.pos, format!("`{wire}` is reserved by the runtime (the recovery request)"))
                    .help(format!("choose another wire name, e.g. `app:{wire}`"));
                continue;
            }
            if RESERVED_EVENTS.contains(&wire.as_str()) {
                self.err(Code::ReservedEvent, file, k.pos, format!("`{wire}` is reserved by Socket.IO"))
                    .help(format!("choose another wire name, e.g. `app:{wire}`"));
                continue;
            }
            if let Some((_, other)) = self.event_index.get(&wire) {
                let other = other.clone();
                self.duplicate(file, k.pos, &format!("event `{wire}`"), &other)
                    .help("an event is declared once; give both directions in one entry with `to_client` and `to_server`");
                continue;
            }
            let Some(m) = self.map(file, v, &format!("event `{wire}`"), keys::EVENT) else { continue };
            let ident = match present(m.get("ident")) {
                Some(n) => {
                    let s = self.string(file, Some(n), "`ident`").unwrap_or_default();
                    if !names::is_ascii_ident(&s) || s.to_lowercase() != s {
                        self.err(Code::InvalidIdentifier, file, n.pos, format!("`ident: {s}` is not a snake_case identifier"));
                        continue;
                    }
                    names::escape_rust(s)
                }
                None => match names::rust_snake(&wire) {
                    Some(s) => s,
                    None => {
                        self.err(Code::InvalidIdentifier, file, k.pos, format!("event `{wire}` has no letters or digits to derive identifiers from"))
                            .help("set `ident:` to a snake_case name");
                        continue;
                    }
                },
            };
            if let Some((other, at)) = self.ident_index.get(names::unraw(&ident)) {
                let (other, at) = (other.clone(), at.clone());
                self.err(Code::NameCollision, file, k.pos, format!("events `{other}` ({at}) and `{wire}` both become the identifier `{ident}`"))
                    .label("derived identifiers collide")
                    .help("set `ident:` on one of them, e.g. `ident: ".to_string() + names::unraw(&ident) + "_2`");
                continue;
            }
            let const_name = match present(m.get("const")) {
                Some(n) => {
                    let s = self.string(file, Some(n), "`const`").unwrap_or_default();
                    if !names::is_ascii_ident(&s) {
                        self.err(Code::InvalidIdentifier, file, n.pos, format!("`const: {s}` is not an identifier"));
                    }
                    s
                }
                None => names::const_key(names::unraw(&ident)),
            };
            let constants: Vec<String> = match self.string_list(file, m.get("constants"), "`constants`") {
                Some(list) => {
                    for (g, pos) in &list {
                        self.check_group(file, *pos, g);
                    }
                    list.into_iter().map(|(s, _)| s).collect()
                }
                None => d.constants.iter().flatten().map(|(s, _)| s.clone()).collect(),
            };
            let description = self.string(file, m.get("description"), "`description`");
            let deprecated = self.deprecation(file, m.get("deprecated"));
            let pascal = names::pascal(names::unraw(&ident));
            let to_client = present(m.get("to_client")).and_then(|n| self.lower_to_client(file, d.domain, &wire, &pascal, n));
            let to_server = present(m.get("to_server")).and_then(|n| self.lower_to_server(file, d.domain, &wire, &pascal, n));
            if present(m.get("to_client")).is_none() && present(m.get("to_server")).is_none() {
                self.err(Code::MissingDirection, file, k.pos, format!("event `{wire}` has neither `to_client` nor `to_server`"))
                    .help("add `to_client:` (server -> client) and/or `to_server:` (client -> server)");
                continue;
            }
            let to_client = to_client.map(|tc| self.not_if_volatile(file, &m, &wire, tc, to_server.as_ref()));
            let id = self.events.len();
            self.event_index.insert(wire.clone(), (id, Loc::new(file, k.pos)));
            self.ident_index.insert(names::unraw(&ident).to_string(), (wire.clone(), Loc::new(file, k.pos)));
            self.domains[d.domain].events.push(id);
            self.event_pos.push(Loc::new(file, m.get("const").map_or(k.pos, |n| n.pos)));
            self.event_ident_pos.push(Loc::new(file, m.get("ident").map_or(k.pos, |n| n.pos)));
            self.events.push(Event { wire_name: wire, ident, pascal, const_name, constants, description, deprecated, domain: d.domain, to_client, to_server });
        }
        // Groups named at file level must exist too.
        for (g, pos) in d.constants.iter().flatten() {
            self.check_group(file, *pos, g);
        }
    }

    pub(super) fn check_group(&mut self, file: &str, pos: Pos, g: &str) {
        if !self.groups.iter().any(|x| x.name == g) {
            let names: Vec<String> = self.groups.iter().map(|x| x.name.clone()).collect();
            let hint = did_you_mean(g, names.iter().map(String::as_str))
                .map_or_else(|| "declare it under `settings.constants`".to_string(), |s| format!("did you mean `{s}`?"));
            if !self.diags.iter().any(|d| d.code == Code::UnknownConstantGroup && d.file == file && d.message.contains(&format!("`{g}`"))) {
                self.err(Code::UnknownConstantGroup, file, pos, format!("constant group `{g}` is not declared"))
                    .help(hint);
            }
        }
    }

    /// Payload of a side: a type name or inline fields. Returns the type id.
    #[allow(clippy::too_many_arguments)] // each is one fact about where the payload sits; a struct would only rename them
    pub(super) fn lower_payload(&mut self, file: &str, domain: usize, node: &Node, name: Option<(String, Pos)>, derived: String, origin: TypeOrigin, what: &'static str) -> Option<TypeId> {
        match &node.kind {
            Kind::Str(s) => {
                if let Some((_, pos)) = name {
                    self.err(Code::ConflictingKeys, file, pos, format!("`{}` only names an inline {what}; this one refers to `{s}`", if origin == TypeOrigin::Ack { "ack_name" } else { "name" }));
                }
                if !names::is_type_name(s) {
                    self.err(Code::InvalidPayload, file, node.pos, format!("a {what} must be a named object type, not `{s}`"))
                        .help("a `payload:` is an object with fields; for one bare value write `value:` instead (e.g. `value: string`)");
                    return None;
                }
                let id = self.type_slot(s);
                self.refs.push((id, Loc::new(file, node.pos)));
                self.pending.push(Pending::PayloadIsObject { at: Loc::new(file, node.pos), ty: id, what });
                Some(id)
            }
            Kind::Map(_) => {
                let (tname, pos) = match name { Some((n, p)) => (n, p), None => (derived, node.pos) };
                let id = self.declare_type(file, pos, &tname)?;
                let fields = self.lower_fields(file, domain, &tname, node);
                // Payloads and acks are always declared by name (a derived one when not given).
                self.define(id, NamedType { name: tname, domain, origin, explicit_name: true, kind: TypeKind::Object { fields }, description: None, deprecated: None, example: None });
                Some(id)
            }
            _ => {
                let found = node.kind_name();
                self.err(Code::InvalidPayload, file, node.pos, format!("a {what} must be a type name or a mapping of fields, found {found}"));
                None
            }
        }
    }

    /// `value:`: a payload that is one scalar, declared as a named alias (`name:` or `derived`)
    /// so every target has a name for it; checked to be a scalar once types resolve.
    fn value_payload(&mut self, file: &str, domain: usize, node: &Node, name: Option<(String, Pos)>, derived: String) -> Option<TypeId> {
        let (tname, pos) = match name { Some((n, p)) => (n, p), None => (derived, node.pos) };
        let id = self.declare_type(file, pos, &tname)?;
        let target = self.lower_spec(file, domain, &format!("{tname}Value"), node)?;
        self.pending.push(Pending::PayloadIsScalar { at: Loc::new(file, node.pos), target: target.clone() });
        self.define(id, NamedType { name: tname, domain, origin: TypeOrigin::Payload, explicit_name: true, kind: TypeKind::Alias { target }, description: None, deprecated: None, example: None });
        Some(id)
    }

    /// Is this payload a `value:` (one scalar) rather than an object?
    pub(super) fn is_value_payload(&self, id: TypeId) -> bool {
        self.slots[id].ty.as_ref().is_some_and(|t| t.origin == TypeOrigin::Payload && matches!(t.kind, TypeKind::Alias { .. }))
    }

    pub(super) fn side_common(&mut self, file: &str, m: &Map, wrong: &[&str], dir: &str) {
        for k in wrong {
            if let Some(pos) = m.key_pos(k) {
                self.err(Code::DirectionMismatch, file, pos, format!("`{k}` does not apply to a {dir} event"))
                    .label("wrong direction")
                    .help(if dir == "server-to-client" {
                        "room joins, acks and delivery belong to `to_server` (client -> server)"
                    } else {
                        "target rooms (`to:`) belong to `to_client` (server -> client)"
                    });
            }
        }
    }

    /// A side's `payload:` (or `ack:`, by `origin`), named by `name:` (`ack_name:`) when written
    /// inline; `derived` names it otherwise.
    fn side_payload(&mut self, file: &str, domain: usize, m: &Map, origin: TypeOrigin, derived: String) -> Option<TypeId> {
        let (what, name_key) = if origin == TypeOrigin::Ack { ("ack", "ack_name") } else { ("payload", "name") };
        let name = self.name_key(file, m, name_key);
        if origin != TypeOrigin::Ack
            && let Some(v) = present(m.get("value"))
        {
            if let Some(pos) = present(m.get("payload")).map(|p| p.pos) {
                self.err(Code::ConflictingKeys, file, pos, "a side has `payload:` (an object) or `value:` (one scalar), not both")
                    .help("keep `payload:` for fields, or `value:` for a bare string, number or enum");
                return None;
            }
            return self.value_payload(file, domain, v, name, derived);
        }
        match present(m.get(what)) {
            Some(p) => self.lower_payload(file, domain, p, name, derived, origin, what),
            None => {
                if let Some((_, pos)) = name {
                    self.err(Code::ConflictingKeys, file, pos, format!("`{name_key}` names an inline {what}, but there is no `{what}:`"));
                }
                None
            }
        }
    }

    pub(super) fn lower_to_client(&mut self, file: &str, domain: usize, wire: &str, pascal: &str, node: &Node) -> Option<ToClient> {
        let m = self.map(file, node, &format!("`to_client` of `{wire}`"), keys::SIDE)?;
        self.side_common(file, &m, keys::TO_SERVER_ONLY, "server-to-client");
        let payload = self.side_payload(file, domain, &m, TypeOrigin::Payload, format!("{pascal}Payload"));
        let target = match present(m.get("to")) {
            None => {
                self.err(Code::MissingTarget, file, node.pos, format!("server-to-client event `{wire}` needs `to:` (rooms, or `everyone`)"))
                    .help("e.g. `to: order` or `to: [product, store]` or `to: everyone`");
                Target::Everyone
            }
            Some(t) => {
                let list = self.string_list(file, Some(t), "`to`").unwrap_or_default();
                if matches!(&t.kind, Kind::Seq(items) if items.is_empty()) {
                    self.err(Code::MissingTarget, file, t.pos, format!("`to: []` names no room, so `{wire}` would reach no one"))
                        .label("empty list")
                        .help("list at least one room, e.g. `to: [order]`, or write `to: everyone`");
                }
                if list.iter().any(|(s, _)| s == "everyone") {
                    if list.len() > 1 {
                        self.err(Code::InvalidTarget, file, t.pos, "`everyone` cannot be combined with rooms");
                    }
                    Target::Everyone
                } else {
                    let mut rooms = Vec::new();
                    let mut seen: Vec<(String, Pos)> = Vec::new();
                    for (r, pos) in list {
                        if let Some((_, first)) = seen.iter().find(|(x, _)| *x == r) {
                            let first = *first;
                            self.err(Code::DuplicateName, file, pos, format!("room `{r}` is listed twice in `to:`"))
                                .label(format!("listed again (first at {}:{})", first.line, first.col))
                                .help("remove the repeated room");
                            continue;
                        }
                        seen.push((r.clone(), pos));
                        if let Some(rid) = self.room_ref(file, pos, &r) {
                            self.pending.push(Pending::RoomParam { at: Loc::new(file, pos), room: rid, payload, event: wire.into(), required: false });
                            rooms.push(rid);
                        }
                    }
                    Target::Rooms(rooms)
                }
            }
        };
        let description = self.string(file, m.get("description"), "`description`");
        let example = self.side_example(file, &m, payload, wire);
        let recover = self.recover_flag(file, &m, wire, &target);
        Some(ToClient { payload, target, description, example, recover })
    }

    /// Volatile events are never recovered; saying `recover: true` on one is an error.
    fn not_if_volatile(&mut self, file: &str, m: &Map, wire: &str, mut tc: ToClient, ts: Option<&ToServer>) -> ToClient {
        if !ts.is_some_and(|s| s.delivery == Delivery::Volatile) {
            return tc;
        }
        let explicit = present(m.get("to_client")).and_then(|n| match &n.kind {
            Kind::Map(e) => e.iter().find(|(k, _)| k.as_str() == Some("recover")).map(|(_, v)| v),
            _ => None,
        });
        if let Some(v) = explicit
            && v.kind == Kind::Bool(true)
            && self.recovery.is_some()
            && tc.target != Target::Everyone
        {
            self.err(Code::InvalidRecovery, file, v.pos, format!("`{wire}` is volatile (`delivery: volatile`), and volatile events are never recovered"))
                .label("cannot be recovered")
                .help("remove `recover: true`, or make the event reliable");
        }
        tc.recover = false;
        tc
    }

    /// `recover:` of a `to_client`: recoverable by default when the catalogue has
    /// `settings.recovery` and the event goes to rooms. Volatility is checked by the caller.
    fn recover_flag(&mut self, file: &str, m: &Map, wire: &str, target: &Target) -> bool {
        let explicit = self.boolean(file, m.get("recover"), "`recover`");
        let pos = m.get("recover").map(|n| n.pos);
        if let (Some(true), Some(pos)) = (explicit, pos) {
            if self.recovery.is_none() {
                self.err(Code::InvalidRecovery, file, pos, format!("`{wire}` asks for recovery, but the catalogue has no `settings.recovery`"))
                    .label("no recovery window to keep it in")
                    .help("add `recovery: { window_seconds: 120 }` under `settings`, or remove `recover:`");
            } else if *target == Target::Everyone {
                self.err(Code::InvalidRecovery, file, pos, format!("`{wire}` goes to everyone, which has no room history to recover from"))
                    .label("only room events are recoverable")
                    .help("send it to rooms, or remove `recover: true`");
            }
        }
        self.recovery.is_some() && *target != Target::Everyone && explicit != Some(false)
    }

    /// A side's `example:`, checked against its payload once types resolve.
    pub(super) fn side_example(&mut self, file: &str, m: &Map, payload: Option<TypeId>, wire: &str) -> Option<serde_json::Value> {
        let ex = present(m.get("example"))?;
        match payload {
            Some(id) => {
                let ty = TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() };
                self.pending.push(Pending::Value { file: file.into(), node: ex.clone(), ty, what: "example" });
            }
            None => {
                self.err(Code::ExampleMismatch, file, ex.pos, format!("`{wire}` has no payload, so it cannot have an example"));
            }
        }
        Some(ex.to_json())
    }

    pub(super) fn lower_to_server(&mut self, file: &str, domain: usize, wire: &str, pascal: &str, node: &Node) -> Option<ToServer> {
        let m = self.map(file, node, &format!("`to_server` of `{wire}`"), keys::SIDE)?;
        self.side_common(file, &m, keys::TO_CLIENT_ONLY, "client-to-server");
        let payload = self.side_payload(file, domain, &m, TypeOrigin::Payload, format!("{pascal}Request"));
        let ack = self.side_payload(file, domain, &m, TypeOrigin::Ack, format!("{pascal}Ack"));
        let mut room_action = None;
        for key in ["joins", "leaves", "leaves_all"] {
            let Some(n) = present(m.get(key)) else { continue };
            let Some(r) = self.string(file, Some(n), &format!("`{key}`")) else { continue };
            if room_action.is_some() {
                self.err(Code::ConflictingKeys, file, n.pos, "an event joins or leaves at most one room");
                continue;
            }
            let Some(rid) = self.room_ref(file, n.pos, &r) else { continue };
            if self.rooms[rid].access == Access::Auto {
                let verb = if key == "joins" { "join" } else { "leave" };
                self.err(Code::DirectionMismatch, file, n.pos, format!("room `{r}` is joined automatically on connect; clients cannot {verb} it"))
                    .help("remove this room action");
                continue;
            }
            room_action = Some(match key {
                "joins" => RoomAction::Join(rid),
                "leaves" => RoomAction::Leave(rid),
                _ => RoomAction::LeaveAll(rid),
            });
            if key != "leaves_all" {
                self.pending.push(Pending::RoomParam { at: Loc::new(file, n.pos), room: rid, payload, event: wire.into(), required: true });
            }
        }
        let delivery = match present(m.get("delivery")) {
            None => Delivery::Reliable,
            Some(n) => match n.as_str() {
                Some("reliable") => Delivery::Reliable,
                Some("volatile") => Delivery::Volatile,
                _ => {
                    let hint = did_you_mean(&n.scalar_text(), ["reliable", "volatile"]).map_or("`reliable` or `volatile`".to_string(), |s| format!("did you mean `{s}`?"));
                    self.err(Code::InvalidValue, file, n.pos, "`delivery` must be `reliable` or `volatile`").help(hint);
                    Delivery::Reliable
                }
            },
        };
        let rate_limit = present(m.get("rate_limit")).and_then(|n| {
            let parsed = n.as_str().and_then(|s| {
                let (count, unit) = s.trim().split_once('/')?;
                let count: u32 = count.trim().parse().ok().filter(|c| *c > 0)?;
                let per_seconds = match unit.trim() {
                    "s" | "sec" | "second" => 1,
                    "min" | "minute" => 60,
                    _ => return None,
                };
                Some(RateLimit { count, per_seconds })
            });
            if parsed.is_none() {
                self.err(Code::InvalidValue, file, n.pos, format!("`rate_limit: {}` is not `N/s` or `N/min`", n.scalar_text()))
                    .help("e.g. `rate_limit: 10/s`");
            }
            parsed
        });
        let max_bytes = match present(m.get("max_bytes")) {
            None => DEFAULT_MAX_BYTES,
            Some(n) => match self.uint(file, Some(n), "`max_bytes`") {
                Some(0) => {
                    self.err(Code::InvalidValue, file, n.pos, "`max_bytes` must be at least 1");
                    DEFAULT_MAX_BYTES
                }
                Some(b) => b,
                None => DEFAULT_MAX_BYTES,
            },
        };
        // A scalar has no room for `_mid`, so the server could not deduplicate a resend; joins
        // and leaves are idempotent (and never deduplicated), anything else must be volatile.
        if let Some(id) = payload
            && self.is_value_payload(id)
            && delivery == Delivery::Reliable
            && room_action.is_none()
        {
            let pos = m.get("value").map_or(node.pos, |n| n.pos);
            self.err(Code::InvalidPayload, file, pos, format!("`{wire}` is reliable, but a `value:` payload cannot carry the message id `_mid` that deduplicates resends"))
                .label("one scalar")
                .help("write `delivery: volatile`, or use `payload:` with fields; only room joins and leaves may be reliable with a `value:`");
        }
        let description = self.string(file, m.get("description"), "`description`");
        let example = self.side_example(file, &m, payload, wire);
        Some(ToServer { payload, ack, room_action, delivery, rate_limit, max_bytes, description, example })
    }

    pub(super) fn lower_migrations(&mut self, d: &FileDecl) {
        let file = d.file.as_str();
        let Some(node) = d.migrations else { return };
        let Kind::Seq(items) = &node.kind else {
            self.err(Code::ExpectedList, file, node.pos, "`migrations` must be a list of { title, events, note }");
            return;
        };
        for item in items {
            let Some(m) = self.map(file, item, "a migration note", keys::MIGRATION) else { continue };
            let title = self.string(file, m.get("title"), "`title`");
            let note = self.string(file, m.get("note"), "`note`");
            let (Some(title), Some(note)) = (title, note) else {
                self.err(Code::MissingKey, file, item.pos, "a migration note needs `title:` and `note:`");
                continue;
            };
            let mut events = Vec::new();
            for (e, pos) in self.string_list(file, m.get("events"), "`events`").unwrap_or_default() {
                match self.event_index.get(&e) {
                    Some((id, _)) => events.push(*id),
                    None => {
                        let names: Vec<String> = self.event_index.keys().cloned().collect();
                        let hint = did_you_mean(&e, names.iter().map(String::as_str)).map_or_else(|| "name an event of the catalogue".into(), |s| format!("did you mean `{s}`?"));
                        self.err(Code::UnknownEvent, file, pos, format!("event `{e}` is not declared")).help(hint);
                    }
                }
            }
            self.migrations.push(Migration { title, events, note, domain: d.domain });
        }
    }
}
