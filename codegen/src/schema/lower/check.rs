//! The checks that need every item declared, run in phases by [`Lowerer::finish`].

use crate::schema::codes::Code;
use super::types::PRIMITIVES;
use super::{Loc, LowerResult, Lowerer, Pending};
use super::constraints::constraint_set;
use crate::schema::diagnostic::{Diagnostic, Severity, did_you_mean};
use crate::schema::ir::*;
use crate::schema::names;
use crate::schema::yaml::Pos;
use std::collections::BTreeMap;

impl Lowerer {
    /// The client sends `{ timestamp }` and nothing else, so the heartbeat's payload must take
    /// exactly that. Run once payloads name their objects.
    pub(super) fn check_heartbeat_payload(&mut self) {
        let (Some(h), Some(spec)) = (&self.heartbeat, &self.heartbeat_spec) else { return };
        let e = &self.events[h.event];
        let payload = e.to_server.as_ref().and_then(|s| s.payload);
        let fields = payload.and_then(|id| match &self.slots[id].ty.as_ref()?.kind {
            TypeKind::Object { fields } => Some(fields),
            _ => None,
        });
        let problem = match (payload, fields) {
            (None, _) => Some("it has no payload".to_string()),
            (Some(_), None) => Some("its payload is not an object".to_string()),
            (Some(_), Some(fields)) => match fields.iter().find(|f| f.wire_name == "timestamp") {
                None => Some("its payload has no `timestamp` field".to_string()),
                Some(ts) if ts.optional || !self.resolve_ref(&ts.ty).is_some_and(|t| !t.nullable && matches!(t.kind, RefKind::DateTime | RefKind::String)) => {
                    Some("its `timestamp` must be a required `datetime`".to_string())
                }
                Some(_) => fields
                    .iter()
                    .find(|f| f.wire_name != "timestamp" && !f.optional)
                    .map(|f| format!("its payload requires `{}`, which the client does not send", f.wire_name)),
            },
        };
        if let Some(problem) = problem {
            let (at, name) = (spec.at.clone(), e.wire_name.clone());
            self.err(Code::InvalidHeartbeat, &at.file, at.pos, format!("heartbeat event `{name}`: {problem}"))
                .help("its payload must be `{ timestamp: datetime }` (other fields optional)");
        }
    }

    /// Resolve phase: every reference to a type that is never declared, once per site.
    pub(super) fn report_unknown_types(&mut self) {
        let defined: Vec<String> = self.type_index.iter().filter(|(_, id)| self.slots[**id].defined_at.is_some()).map(|(n, _)| n.clone()).collect();
        let refs = std::mem::take(&mut self.refs);
        for (id, at) in &refs {
            if self.slots[*id].defined_at.is_none() {
                let name = self.type_index.iter().find(|(_, v)| **v == *id).map(|(n, _)| n.clone()).unwrap_or_default();
                let mut cands: Vec<&str> = defined.iter().map(String::as_str).collect();
                cands.extend(PRIMITIVES);
                let hint = did_you_mean(&name, cands).map_or_else(|| format!("declare `{name}` under `types:` in any catalogue file"), |s| format!("did you mean `{s}`?"));
                self.err(Code::UnknownType, &at.file, at.pos, format!("type `{name}` is not declared")).label("unknown type").help(hint);
            }
        }
    }

    /// Check phase: the checks lowering deferred until every type was declared, in the order
    /// they were queued.
    pub(super) fn run_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            match p {
                Pending::Value { file, node, ty, what } => {
                    if let Err(m) = self.check_value(&node, &ty, what, what, 0) {
                        self.err(Code::ExampleMismatch, &file, m.pos, m.message)
                            .label(m.label)
                            .help("fix the value, or the type it is checked against");
                    }
                }
                Pending::PayloadIsObject { at, ty, what } => self.check_payload_is_object(&at, ty, what),
                Pending::PayloadIsScalar { at, target } => self.check_payload_is_scalar(&at, &target),
                Pending::RoomParam { at, room, payload, event, required } => self.check_room_param(&at, room, payload, &event, required),
                Pending::NamedConstraints { file, ty, constraints, keys } => self.check_named_constraints(&file, ty, &constraints, &keys),
            }
        }
    }

    /// A payload or ack named by type must be an object type (directly or through aliases).
    fn check_payload_is_object(&mut self, at: &Loc, ty: TypeId, what: &str) {
        // Not defined (reported as an unknown type) or defined in a file that failed.
        let Some(t) = self.slots[ty].ty.as_ref() else { return };
        let name = t.name.clone();
        let problem = match &t.kind {
            TypeKind::Object { .. } => None,
            TypeKind::Enum { .. } => Some(format!("{what} type `{name}` is an enum, not an object type")),
            TypeKind::Alias { target } => match self.resolve_ref(target) {
                // An alias cycle or an unknown type, reported on its own.
                None => None,
                Some(r) if self.object_of_ref(&r).is_some() => {
                    if r.nullable {
                        Some(format!("{what} type `{name}` is an alias of `{}`, which may be null; a {what} is always an object", self.show(&r)))
                    } else {
                        None
                    }
                }
                Some(r) => Some(format!("{what} type `{name}` is an alias of `{}`, not an object type", self.show(&r))),
            },
        };
        if let Some(msg) = problem {
            self.err(Code::InvalidPayload, &at.file, at.pos, msg)
                .help("a `payload:` is an object with fields; for one bare value (an id string, a number, an enum) write `value:` instead");
        }
    }

    /// A `value:` payload is one non-null string, integer, number, boolean, datetime or enum.
    fn check_payload_is_scalar(&mut self, at: &Loc, target: &TypeRef) {
        // An alias cycle or an unknown type, reported on its own.
        let Some(r) = self.resolve_ref(target) else { return };
        let problem = match &r.kind {
            _ if r.nullable => Some(format!("`{}` may be null", self.show(&r))),
            RefKind::String | RefKind::Integer | RefKind::Int64(_) | RefKind::Number | RefKind::Boolean | RefKind::DateTime => None,
            RefKind::Named(id) if matches!(self.slots[*id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Enum { .. })) => None,
            RefKind::Named(_) => Some(format!("`{}` is an object type", self.show(&r))),
            RefKind::Json => Some("`json` is any value".to_string()),
            RefKind::Array(_) | RefKind::Map(_) => Some(format!("`{}` is a collection", self.show(&r))),
        };
        if let Some(problem) = problem {
            self.err(Code::InvalidPayload, &at.file, at.pos, format!("a `value:` payload is one string, integer, number, boolean, datetime or enum; {problem}"))
                .help("use `payload:` for an object; a `value:` is what Socket.IO sends as one bare argument");
        }
    }

    /// A room joined, left or targeted by an event takes its payload-sourced parameters from
    /// required scalar fields of that event's payload; a `value:` payload is the room's one
    /// payload parameter.
    fn check_room_param(&mut self, at: &Loc, room: RoomId, payload: Option<TypeId>, event: &str, required: bool) {
        if let Some(id) = payload.filter(|id| self.is_value_payload(*id)) {
            // Sent to rooms, the emitter takes every parameter as an argument.
            if required {
                self.check_value_room_param(at, room, id, event);
            }
            return;
        }
        let fields: Vec<Field> = match payload {
            None => Vec::new(),
            Some(id) => match self.payload_object(id).and_then(|o| self.slots[o].ty.as_ref()).map(|t| &t.kind) {
                Some(TypeKind::Object { fields }) => fields.clone(),
                // Not an object: reported as an invalid payload (or an unknown type).
                _ => return,
            },
        };
        let r = self.rooms[room].clone();
        for param in r.params.iter().filter(|p| p.source == ParamSource::Payload) {
            match fields.iter().find(|f| f.wire_name == param.name) {
                None if required => {
                    self.err(Code::RoomParamMissing, &at.file, at.pos, format!("room `{}` (`{}`) needs `{}`, which the payload of `{event}` does not carry", r.name, r.template, param.name))
                        .label("joins this room")
                        .help(format!("add a required field `{}` to the payload, or take it from the token with `params: {{ {}: user }}`", param.name, param.name));
                }
                // A type that does not resolve (an alias cycle) is reported on its own.
                Some(f) if self.resolve_ref(&f.ty).is_none() => {}
                Some(f) if f.optional || f.ty.nullable || !self.is_scalar_key(&f.ty) => {
                    self.err(Code::RoomParamType, &at.file, at.pos, format!("payload field `{}` of `{event}` names room `{}`, so it must be a required string, integer or enum", param.name, r.name))
                        .help("make the field required and scalar");
                }
                _ => {}
            }
        }
    }

    /// A joined or left room takes at most one parameter from a `value:` payload, which must be
    /// a string, integer or enum.
    fn check_value_room_param(&mut self, at: &Loc, room: RoomId, payload: TypeId, event: &str) {
        let r = self.rooms[room].clone();
        let from_payload: Vec<&RoomParam> = r.params.iter().filter(|p| p.source == ParamSource::Payload).collect();
        if from_payload.len() > 1 {
            let names: Vec<String> = from_payload.iter().map(|p| format!("`{}`", p.name)).collect();
            self.err(Code::RoomParamMissing, &at.file, at.pos, format!("room `{}` (`{}`) needs {} from the payload, but the `value:` of `{event}` is one value", r.name, r.template, names.join(" and ")))
                .label("joins this room")
                .help("use `payload:` with one field per parameter, or take the others from the token with `params: { name: user }`");
            return;
        }
        let Some(TypeKind::Alias { target }) = self.slots[payload].ty.as_ref().map(|t| t.kind.clone()) else { return };
        // Not a scalar at all: reported by the scalar check.
        if !from_payload.is_empty() && self.resolve_ref(&target).is_some_and(|t| !t.nullable) && !self.is_scalar_key(&target) {
            self.err(Code::RoomParamType, &at.file, at.pos, format!("the `value:` of `{event}` names room `{}`, so it must be a string, integer or enum", r.name))
                .help("a number, boolean or datetime cannot name a room");
        }
    }

    /// Constraints written on a use of a named type must suit what the name stands for.
    fn check_named_constraints(&mut self, file: &str, ty: TypeId, constraints: &Constraints, keys: &[(&'static str, Pos, Pos)]) {
        let Some(name) = self.slots[ty].ty.as_ref().map(|t| t.name.clone()) else { return };
        let use_of = TypeRef { kind: RefKind::Named(ty), nullable: false, constraints: Constraints::default() };
        // An alias cycle or an unknown type, reported on its own.
        let Some(r) = self.resolve_ref(&use_of) else { return };
        match &r.kind {
            RefKind::Named(id) => {
                let (target, what) = match self.slots[*id].ty.as_ref().map(|t| (&t.name, &t.kind)) {
                    Some((n, TypeKind::Enum { .. })) => (n.clone(), "an enum"),
                    Some((n, _)) => (n.clone(), "an object type"),
                    None => return,
                };
                for &(key, pos, _) in keys.iter().filter(|(k, _, _)| constraint_set(constraints, k)) {
                    let msg = if target == name {
                        format!("`{key}` does not apply to `{name}`, {what}")
                    } else {
                        format!("`{key}` does not apply to `{name}`, an alias of `{target}` ({what})")
                    };
                    self.err(Code::ConstraintMismatch, file, pos, msg);
                }
            }
            kind => {
                let target = self.show(&TypeRef { kind: kind.clone(), nullable: r.nullable, constraints: Constraints::default() });
                self.check_constraint_kinds(file, kind, constraints, keys, Some((&name, target)));
            }
        }
    }

    /// Resolve phase: a payload or ack named through an alias is the object the alias stands
    /// for, so every emitter sees an object type there. Run only on a catalogue without errors.
    pub(super) fn payloads_to_objects(&mut self) {
        let to_object = |this: &Self, id: Option<TypeId>| id.map(|id| this.payload_object(id).unwrap_or(id));
        for i in 0..self.events.len() {
            let (c_payload, s_payload, s_ack) = {
                let e = &self.events[i];
                (
                    to_object(self, e.to_client.as_ref().and_then(|s| s.payload)),
                    to_object(self, e.to_server.as_ref().and_then(|s| s.payload)),
                    to_object(self, e.to_server.as_ref().and_then(|s| s.ack)),
                )
            };
            let e = &mut self.events[i];
            if let Some(s) = e.to_client.as_mut() {
                s.payload = c_payload;
            }
            if let Some(s) = e.to_server.as_mut() {
                s.payload = s_payload;
                s.ack = s_ack;
            }
        }
    }

    /// The lowered catalogue, then the collisions only it shows. Every slot is defined (no
    /// errors so far).
    pub(super) fn into_catalogue(self) -> LowerResult {
        let types: Vec<NamedType> = self.slots.into_iter().map(|s| s.ty.expect("no errors, so every slot is defined")).collect();
        let catalogue = Catalogue {
            name: self.name.unwrap_or_else(|| "catalogue".into()),
            namespace: self.namespace.unwrap_or_else(|| "/".into()),
            domains: self.domains,
            types,
            rooms: self.rooms,
            events: self.events,
            constant_groups: self.groups,
            migrations: self.migrations,
            heartbeat: self.heartbeat,
            reconnect: self.reconnect,
            recovery: self.recovery,
            ts_prelude: self.ts_prelude,
        };
        let mut warnings = self.diags;
        warnings.extend(collisions(&catalogue, &self.event_pos));
        warnings.extend(member_collisions(&catalogue, &self.event_ident_pos));
        warnings.extend(unlimited_fan_out(&catalogue, &self.event_ident_pos));
        if has_errors(&warnings) {
            return Err(warnings);
        }
        Ok((catalogue, warnings))
    }
}

/// Does any of `diags` stop generation?
pub(super) fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// Collisions between derived names that only show once everything is lowered.
fn collisions(c: &Catalogue, event_pos: &[Loc]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Const keys within each group (a group includes the ones it extends).
    for g in &c.constant_groups {
        let mut seen: BTreeMap<String, String> = g.extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut chain = vec![g.name.clone()];
        let mut cur = g.extends.clone();
        while let Some(p) = cur {
            if chain.contains(&p) {
                break;
            }
            chain.push(p.clone());
            cur = c.constant_groups.iter().find(|x| x.name == p).and_then(|x| x.extends.clone());
        }
        for x in c.constant_groups.iter().filter(|x| chain[1..].contains(&x.name)) {
            for (k, v) in &x.extra {
                seen.insert(k.clone(), v.clone());
            }
        }
        for (i, e) in c.events.iter().enumerate() {
            if !e.constants.iter().any(|n| chain.contains(n)) {
                continue;
            }
            if let Some(other) = seen.get(&e.const_name) {
                if other != &e.wire_name {
                    let at = &event_pos[i];
                    let mut d = Diagnostic::error(Code::NameCollision, &at.file, at.pos, format!("constant `{}.{}` is used by both `{other}` and `{}`", g.name, e.const_name, e.wire_name));
                    d.help("set `const:` on one of the events");
                    out.push(d);
                }
            } else {
                seen.insert(e.const_name.clone(), e.wire_name.clone());
            }
        }
    }
    out
}

/// Client-to-server events the server also sends to rooms (both directions: `chat:read`,
/// `chat:typing`) without a rate limit: one client could make the server flood every member
/// (the adversarial run got 111,350 deliveries in 15 s). A warning: generation goes on.
fn unlimited_fan_out(c: &Catalogue, at: &[Loc]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, e) in c.events.iter().enumerate() {
        let (Some(ts), Some(_)) = (&e.to_server, &e.to_client) else { continue };
        if ts.rate_limit.is_some() {
            continue;
        }
        let mut d = Diagnostic::error(Code::UnlimitedFanOut, &at[i].file, at[i].pos, format!("event `{}` is sent by clients and by the server, and has no `rate_limit` on its `to_server` side", e.wire_name));
        d.warning().label("fans out without a limit").help("add e.g. `rate_limit: 10/s` under `to_server` (a burst of N, then N a period)");
        out.push(d);
    }
    out
}

/// The generated TypeScript client (`realtime.ts`), as an item whose members are checked too.
const TS_CLIENT: &str = "TypeScript client";

/// Events whose derived methods clash with another member of the same generated item (the
/// TypeScript client's `onX`/`xY` methods included):
/// `Emitter` (its constructor and one method per server-to-client event), `Client` (its own
/// methods, one method per client-to-server event, one listener per server-to-client event) and
/// the handler traits `Handlers` combines (one method per client-to-server event, one `may_join`
/// hook per `access: app` room). Reported at the event's `ident:` (or its key).
fn member_collisions(c: &Catalogue, ident_pos: &[Loc]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut emitter = Members::new("server::Emitter", names::EMITTER_MEMBERS);
    let mut client = Members::new("client::Client", names::CLIENT_MEMBERS);
    let mut handlers = Members::new("server::Handlers", &[]);
    let mut ts_client = Members::new(TS_CLIENT, names::TS_CLIENT_MEMBERS);
    for r in c.rooms.iter().filter(|r| r.access == Access::App) {
        handlers.taken.insert(names::may_join(&r.rust_ident), Owner::Hook(r.name.clone()));
    }
    for (i, e) in c.events.iter().enumerate() {
        let (ident, at) = (names::unraw(&e.ident), &ident_pos[i]);
        if e.to_client.is_some() {
            out.extend(emitter.add(ident.to_string(), e, at));
            out.extend(client.add(names::listener(&e.ident), e, at));
            out.extend(ts_client.add(names::ts_listener(&e.ident), e, at));
        }
        if e.to_server.is_some() {
            out.extend(client.add(ident.to_string(), e, at));
            out.extend(handlers.add(ident.to_string(), e, at));
            out.extend(ts_client.add(names::ts_sender(&e.ident), e, at));
        }
    }
    out
}

/// Who holds a member name of a generated item.
enum Owner {
    /// The item itself (`Emitter::new`, `Client::connect`, ...).
    Own,
    /// An event's method or listener, and where the event's ident comes from.
    Event(String, Loc),
    /// The join hook of an `access: app` room.
    Hook(String),
}

/// The member names of one generated item so far, with who holds each.
struct Members {
    item: &'static str,
    taken: BTreeMap<String, Owner>,
}

impl Members {
    fn new(item: &'static str, own: &[&str]) -> Self {
        Self { item, taken: own.iter().map(|m| (m.to_string(), Owner::Own)).collect() }
    }

    /// Takes `name` for event `e`, or the diagnostic when it is taken.
    fn add(&mut self, name: String, e: &Event, at: &Loc) -> Option<Diagnostic> {
        let (item, ident) = (self.item, names::unraw(&e.ident));
        let method = if item == TS_CLIENT { format!("the TypeScript client method `{name}`") } else { format!("the Rust method `{item}::{name}`") };
        let own = if item == TS_CLIENT { "the client already has".to_string() } else { format!("the generated `{item}` has of its own") };
        let Some(owner) = self.taken.get(&name) else {
            self.taken.insert(name, Owner::Event(e.wire_name.clone(), at.clone()));
            return None;
        };
        let (code, message, help) = match owner {
            Owner::Own => (
                Code::ReservedMember,
                format!("event `{}` becomes {method}, which {own}", e.wire_name),
                format!("set `ident:` on the event, e.g. `ident: {ident}_event`"),
            ),
            Owner::Event(other, other_at) => (
                Code::NameCollision,
                format!("events `{other}` ({other_at}) and `{}` both become {method}", e.wire_name),
                format!("set `ident:` on one of them, e.g. `ident: {ident}_2`"),
            ),
            Owner::Hook(room) => (
                Code::NameCollision,
                format!("event `{}` and the join hook of room `{room}` both become {method}", e.wire_name),
                format!("set `ident:` on the event, e.g. `ident: {ident}_2`"),
            ),
        };
        let mut d = Diagnostic::error(code, &at.file, at.pos, message);
        d.label("derived method collides").help(help);
        Some(d)
    }
}
