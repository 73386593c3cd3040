//! Markdown docs: `docs/index.md` and one page per domain, with payload tables, examples,
//! deprecations, migration notes and a mermaid sequence diagram per room.

use super::EmitOptions;
use super::frontend::{Usage, usage};
use super::prose::{Reader, delivery_text, param_source_text, rate_text, room_action_text, target_text};
use crate::output::GeneratedFile;
use crate::schema::ir::*;
use serde::Serialize;
use serde_json::{Value, json};


#[derive(Serialize)]
struct RoomView {
    template: String,
    description: String,
    access: String,
    params: String,
    joined_by: String,
    left_by: String,
    events: String,
    diagram: String,
}

#[derive(Serialize)]
struct PayloadView {
    /// Anchor for payload and ack types, which have no entry under "Types".
    anchor: String,
    title: String,
    description: String,
    table: String,
    example: String,
    generated: bool,
}

#[derive(Serialize)]
struct NoteView {
    title: String,
    note: String,
    events: String,
}

#[derive(Serialize)]
struct EventView {
    anchor: String,
    wire_name: String,
    description: String,
    deprecated: String,
    facts: Vec<(String, String)>,
    payloads: Vec<PayloadView>,
    usage: Usage,
    migrations: Vec<NoteView>,
}

#[derive(Serialize)]
struct TypeView {
    anchor: String,
    name: String,
    description: String,
    deprecated: String,
    body: String,
}

/// Which events join, leave and target each room, built once: scanning every event per room made
/// the docs quadratic in catalogue size (rooms grow with domains).
#[derive(Default, Clone)]
struct RoomEvents {
    joins: Vec<EventId>,
    leavers: Vec<EventId>,
    targeting: Vec<EventId>,
}

fn room_events(c: &Catalogue) -> Vec<RoomEvents> {
    let mut by_room = vec![RoomEvents::default(); c.rooms.len()];
    for (i, e) in c.events.iter().enumerate() {
        if let Some(Target::Rooms(rs)) = e.to_client.as_ref().map(|s| &s.target) {
            for &r in rs {
                // An event listed twice for one room is shown once.
                if by_room[r].targeting.last() != Some(&i) {
                    by_room[r].targeting.push(i);
                }
            }
        }
        match e.to_server.as_ref().and_then(|s| s.room_action) {
            Some(RoomAction::Join(r)) => by_room[r].joins.push(i),
            Some(RoomAction::Leave(r) | RoomAction::LeaveAll(r)) => by_room[r].leavers.push(i),
            None => {}
        }
    }
    by_room
}

fn page(c: &Catalogue, domain: usize) -> String {
    format!("{}.md", c.domains[domain].name)
}

fn event_link(c: &Catalogue, from: Option<usize>, e: &Event) -> String {
    let anchor = format!("event-{}", slug(&e.wire_name));
    if from == Some(e.domain) { format!("#{anchor}") } else { format!("{}#{anchor}", page(c, e.domain)) }
}

fn type_link(c: &Catalogue, from: usize, id: TypeId) -> String {
    let t = c.ty(id);
    let anchor = format!("type-{}", slug(&t.name));
    let target = if t.domain == from { format!("#{anchor}") } else { format!("{}#{anchor}", page(c, t.domain)) };
    format!("[`{}`]({target})", t.name)
}

fn slug(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

fn events_text(c: &Catalogue, from: usize, ids: impl Iterator<Item = EventId>) -> String {
    let v: Vec<String> = ids.map(|i| format!("[`{}`]({})", c.events[i].wire_name, event_link(c, Some(from), &c.events[i]))).collect();
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// Emits the docs.
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> Vec<GeneratedFile> {
    let by_room = room_events(c);
    let mut files = Vec::new();
    files.push(index(c, opts, &by_room));
    for (di, d) in c.domains.iter().enumerate() {
        let header = opts.header_lines(c, &[&d.file]).join(" ");
        let rooms: Vec<RoomView> = d.rooms.iter().map(|&r| room_view(c, di, r, &by_room[r])).collect();
        let events: Vec<EventView> = d.events.iter().map(|&e| event_view(c, di, e)).collect();
        let types: Vec<TypeView> = d
            .types
            .iter()
            .filter(|&&id| c.ty(id).explicit_name && c.ty(id).origin == TypeOrigin::Shared || is_inline_named(c, id))
            .map(|&id| {
                let t = c.ty(id);
                TypeView {
                    anchor: format!("type-{}", slug(&t.name)),
                    name: t.name.clone(),
                    description: t.description.clone().unwrap_or_default(),
                    deprecated: t.deprecated.as_ref().map(Deprecation::sentence).unwrap_or_default(),
                    body: type_body(c, di, id),
                }
            })
            .collect();
        let migrations: Vec<NoteView> = c
            .migrations
            .iter()
            .filter(|m| m.domain == di)
            .map(|m| NoteView { title: m.title.clone(), note: m.note.trim().to_string(), events: events_text(c, di, m.events.iter().copied()) })
            .collect();
        let ctx = super::context! { header, title: d.title, description: d.description, file: d.file, rooms, events, types, migrations };
        files.push(GeneratedFile { path: format!("docs/{}", page(c, di)), contents: super::render("domain.md", &ctx) });
    }
    files
}

fn is_inline_named(c: &Catalogue, id: TypeId) -> bool {
    let t = c.ty(id);
    t.explicit_name && t.origin == TypeOrigin::Inline
}

fn index(c: &Catalogue, opts: &EmitOptions, by_room: &[RoomEvents]) -> GeneratedFile {
    let domains: Vec<Value> = c
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| json!({ "title": d.title, "page": page(c, i), "count": d.events.len(), "description": one_line(&d.description) }))
        .collect();
    let rooms: Vec<Value> = c
        .rooms
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            json!({ "template": r.template, "access": r.access.describe(), "joined_by": joiners(c, None, ri, &by_room[ri].joins) })
        })
        .collect();
    let events: Vec<Value> = c
        .events
        .iter()
        .map(|e| {
            let mut payload = Vec::new();
            if let Some(s) = &e.to_client {
                payload.push(s.payload.map_or("none".to_string(), |p| format!("`{}`", c.ty(p).name)));
            }
            if let Some(s) = &e.to_server {
                payload.push(s.payload.map_or("none".to_string(), |p| format!("`{}`", c.ty(p).name)));
            }
            json!({
                "wire_name": e.wire_name,
                "link": event_link(c, None, e),
                "deprecated": e.deprecated.is_some(),
                "direction": direction(e),
                "payload": payload.join(" / "),
                "domain": c.domains[e.domain].title,
            })
        })
        .collect();
    let heartbeat = c.heartbeat.as_ref().map(|h| {
        let e = &c.events[h.event];
        json!({ "event": e.wire_name, "link": event_link(c, None, e), "interval_seconds": h.interval_seconds, "max_missed": h.max_missed })
    });
    let reconnect = c.reconnect.map(|r| {
        let delays: Vec<String> = r.delays_seconds().iter().map(u32::to_string).collect();
        json!({ "delays": delays.join(", "), "max_attempts": r.max_attempts })
    });
    let ctx = super::context! {
        header: opts.header_lines(c, &[]).join(" "), name: c.name, namespace: c.namespace,
        heartbeat, reconnect, domains, rooms, events,
    };
    GeneratedFile { path: "docs/index.md".into(), contents: super::render("index.md", &ctx) }
}

fn direction(e: &Event) -> &'static str {
    match (&e.to_client, &e.to_server) {
        (Some(_), Some(_)) => "both ways",
        (Some(_), None) => "server → client",
        _ => "client → server",
    }
}

fn joiners(c: &Catalogue, from: Option<usize>, room: RoomId, joins: &[EventId]) -> String {
    if c.rooms[room].access == Access::Auto {
        return "automatically on connect".into();
    }
    let v: Vec<String> = joins.iter().map(|&i| format!("[`{}`]({})", c.events[i].wire_name, event_link(c, from, &c.events[i]))).collect();
    if v.is_empty() { "nobody (server-side only)".into() } else { v.join(", ") }
}

fn room_view(c: &Catalogue, from: usize, ri: RoomId, by_room: &RoomEvents) -> RoomView {
    let r = &c.rooms[ri];
    let params = r
        .params
        .iter()
        .map(|p| format!("`{}` from {}", p.name, param_source_text(p.source)))
        .collect::<Vec<_>>()
        .join(", ");
    let RoomEvents { joins, leavers, targeting } = by_room;
    let mut d = String::from("sequenceDiagram\n    participant C as Client\n    participant S as Server\n");
    if r.access == Access::Auto {
        d.push_str("    C->>S: connect (auth.token)\n");
        d.push_str(&format!("    Note over S: joins {} on connect\n", r.template));
    }
    for &j in joins {
        d.push_str(&format!("    C->>S: {}\n", c.events[j].wire_name));
        d.push_str(&format!("    Note over S: checks access ({}), joins {}\n", r.access.describe(), r.template));
        d.push_str("    S-->>C: ack { ok: true }\n");
    }
    for &t in targeting.iter().take(6) {
        d.push_str(&format!("    S->>C: {}\n", c.events[t].wire_name));
    }
    if targeting.len() > 6 {
        d.push_str(&format!("    Note over S,C: ... and {} more events\n", targeting.len() - 6));
    }
    for &l in leavers {
        d.push_str(&format!("    C->>S: {}\n", c.events[l].wire_name));
        d.push_str("    S-->>C: ack { ok: true }\n");
    }
    if r.access == Access::Auto {
        d.push_str("    C->>S: disconnect\n");
    }
    RoomView {
        template: r.template.clone(),
        description: r.description.clone().unwrap_or_default(),
        access: r.access.describe().to_string(),
        params: if params.is_empty() { "none".into() } else { params },
        joined_by: joiners(c, Some(from), ri, joins),
        left_by: events_text(c, from, leavers.iter().copied()),
        events: events_text(c, from, targeting.iter().copied()),
        diagram: d.trim_end().to_string(),
    }
}

/// Whether a reconnecting client gets this event if it missed it, and why not.
fn recovery_text(r: &Recovery, s: &ToClient, ts: Option<&ToServer>) -> String {
    if s.recover {
        return format!("recoverable: kept {} s (at most {} per room) and replayed to a client that reconnects within that time", r.window_seconds, r.max_events_per_room);
    }
    let why = match (&s.target, ts.map(|t| t.delivery)) {
        (Target::Everyone, _) => "sent to everyone, which has no room history",
        (_, Some(Delivery::Volatile)) => "volatile",
        _ => "`recover: false`",
    };
    format!("not recovered ({why}): a client that was offline never gets it")
}

fn event_view(c: &Catalogue, from: usize, id: EventId) -> EventView {
    let e = &c.events[id];
    let mut facts: Vec<(String, String)> = vec![("Direction".into(), direction(e).into())];
    let mut payloads = Vec::new();
    let (mut payload_example, mut ack_example) = (None, None);
    if !e.constants.is_empty() {
        facts.push(("TS constant".into(), e.constants.iter().map(|g| format!("`{g}.{}`", e.const_name)).collect::<Vec<_>>().join(", ")));
    }
    if let Some(s) = &e.to_client {
        facts.push(("Sent to".into(), target_text(c, &s.target)));
        if let Target::Rooms(rs) = &s.target {
            let who: Vec<String> = rs.iter().map(|&r| format!("`{}`: {}", c.rooms[r].template, c.rooms[r].access.describe())).collect();
            facts.push(("Who receives it".into(), who.join("; ")));
        }
        if let Some(r) = &c.recovery {
            facts.push(("Recovery".into(), recovery_text(r, s, e.to_server.as_ref())));
        }
        facts.push(("Server → client payload".into(), s.payload.map_or("none".into(), |p| type_link(c, from, p))));
        if let Some(p) = s.payload {
            payloads.push(payload_view(c, from, p, "Server → client payload", s.description.as_deref(), s.example.as_ref()).0);
        }
    }
    if let Some(s) = &e.to_server {
        facts.push(("Client → server payload".into(), s.payload.map_or("none".into(), |p| type_link(c, from, p))));
        if let Some(a) = s.room_action {
            facts.push(("Room".into(), room_action_text(c, a)));
        }
        facts.push(("Ack data".into(), s.ack.map_or("`null`".into(), |a| type_link(c, from, a))));
        facts.push(("Delivery".into(), delivery_text(s.delivery, Reader::Docs).into()));
        facts.push(("Rate limit".into(), s.rate_limit.map_or("none".into(), rate_text)));
        facts.push(("Max payload".into(), format!("{} bytes", s.max_bytes)));
        if let Some(p) = s.payload {
            let view = payload_view(c, from, p, "Client → server payload", s.description.as_deref(), s.example.as_ref());
            payload_example = Some(view.1);
            payloads.push(view.0);
        }
        if let Some(a) = s.ack {
            let view = payload_view(c, from, a, "Ack data", None, None);
            ack_example = Some(view.1);
            payloads.push(view.0);
        }
    }
    let usage = usage(c, e, payload_example.as_ref(), ack_example.as_ref());
    EventView {
        anchor: format!("event-{}", slug(&e.wire_name)),
        wire_name: e.wire_name.clone(),
        description: e.description.clone().unwrap_or_default().trim().to_string(),
        deprecated: e.deprecated.as_ref().map(Deprecation::sentence).unwrap_or_default(),
        facts: facts.into_iter().map(|(a, b)| (a, b.replace('|', "\\|"))).collect(),
        payloads,
        usage,
        migrations: c.migrations_of(id).map(|m| NoteView { title: m.title.clone(), note: one_line(&m.note), events: String::new() }).collect(),
    }
}

/// The view of a payload or ack, and the example value it shows.
fn payload_view(c: &Catalogue, from: usize, id: TypeId, what: &str, description: Option<&str>, example: Option<&Value>) -> (PayloadView, Value) {
    let t = c.ty(id);
    let (example, generated) = match example.or(t.example.as_ref()) {
        Some(v) => (v.clone(), false),
        None => (example_of(c, &TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() }, "", 0), true),
    };
    let listed_in_types = t.origin == TypeOrigin::Shared || is_inline_named(c, id);
    let view = PayloadView {
        anchor: if listed_in_types { String::new() } else { format!("type-{}", slug(&t.name)) },
        title: format!("{what}: `{}`", t.name),
        description: description.unwrap_or_default().trim().to_string(),
        table: type_body(c, from, id),
        example: serde_json::to_string_pretty(&example).unwrap_or_default(),
        generated,
    };
    (view, example)
}

/// A field table for objects, the value list for enums, the target for aliases.
fn type_body(c: &Catalogue, from: usize, id: TypeId) -> String {
    let t = c.ty(id);
    match &t.kind {
        TypeKind::Object { fields } => {
            let mut rows = vec!["| Field | Type | Required | Constraints | Description |".to_string(), "|---|---|---|---|---|".to_string()];
            field_rows(c, from, fields, "", &mut rows, 0);
            rows.join("\n")
        }
        TypeKind::Enum { values } => format!(
            "One of: {}.",
            values.iter().map(|v| format!("`{}`", v.wire_name)).collect::<Vec<_>>().join(", ")
        ),
        TypeKind::Alias { target } if c.value_payload(id).is_some() => {
            let constraints = if target.constraints.is_empty() { String::new() } else { format!(" Constraints: {}.", target.constraints.summary()) };
            format!("One bare value (not an object) of type {}.{constraints}", type_text(c, from, target))
        }
        TypeKind::Alias { target } => format!("Alias of {}.", type_text(c, from, target)),
    }
}

fn field_rows(c: &Catalogue, from: usize, fields: &[Field], prefix: &str, rows: &mut Vec<String>, depth: usize) {
    for f in fields {
        let name = format!("{prefix}{}", f.wire_name);
        let required = if f.optional { "no".to_string() } else { "yes".to_string() };
        let mut desc = one_line(f.description.as_deref().unwrap_or(""));
        if let Some(d) = &f.default {
            desc = format!("{desc} Default: `{d}`.").trim().to_string();
        }
        if let Some(d) = &f.deprecated {
            desc = format!("**Deprecated.** {} {desc}", d.sentence()).trim().to_string();
        }
        rows.push(format!(
            "| `{name}` | {} | {required} | {} | {desc} |",
            type_text(c, from, &f.ty).replace('|', "\\|"),
            one_line(&f.ty.constraints.summary())
        ));
        // Expand inline (unnamed) objects as dotted rows, so one table tells the whole shape.
        if depth < 4 {
            let mut inner = &f.ty;
            let mut suffix = ".";
            while let RefKind::Array(i) = &inner.kind {
                inner = i;
                suffix = "[].";
            }
            if let RefKind::Named(id) = inner.kind {
                let n = c.ty(id);
                if let (false, TypeKind::Object { fields }) = (n.explicit_name, &n.kind) {
                    field_rows(c, from, fields, &format!("{name}{suffix}"), rows, depth + 1);
                }
            }
        }
    }
}

fn type_text(c: &Catalogue, from: usize, t: &TypeRef) -> String {
    let base = match &t.kind {
        RefKind::String => "string".to_string(),
        RefKind::DateTime => "date-time (ISO-8601 string)".to_string(),
        RefKind::Integer => "integer".to_string(),
        RefKind::Int64(Int64Encoding::String) => "int64 (decimal string)".to_string(),
        RefKind::Int64(Int64Encoding::Number) => "int64 (number)".to_string(),
        RefKind::Number => "number".to_string(),
        RefKind::Boolean => "boolean".to_string(),
        RefKind::Json => "any JSON".to_string(),
        RefKind::Named(id) => {
            let n = c.ty(*id);
            if n.explicit_name {
                type_link(c, from, *id)
            } else {
                match &n.kind {
                    TypeKind::Object { .. } => "object".to_string(),
                    TypeKind::Enum { values } => values.iter().map(|v| format!("`{}`", v.wire_name)).collect::<Vec<_>>().join(" \\| "),
                    TypeKind::Alias { target } => type_text(c, from, target),
                }
            }
        }
        RefKind::Array(inner) => format!("list of {}", type_text(c, from, inner)),
        RefKind::Map(inner) => format!("map of string to {}", type_text(c, from, inner)),
    };
    if t.nullable { format!("{base} or null") } else { base }
}

/// A plausible example value built from the types, for events the catalogue gives none.
fn example_of(c: &Catalogue, t: &TypeRef, field: &str, depth: usize) -> Value {
    let k = &t.constraints;
    match &t.kind {
        RefKind::String => {
            let base = if field.ends_with("Id") || field == "id" { format!("{field}-1") } else if field.is_empty() { "text".into() } else { field.to_string() };
            let min = k.min_length.unwrap_or(0) as usize;
            let mut s = base;
            while s.chars().count() < min {
                s.push('x');
            }
            if let Some(max) = k.max_length {
                s = s.chars().take(max as usize).collect();
            }
            json!(s)
        }
        RefKind::DateTime => json!("2026-11-26T09:30:00.000Z"),
        RefKind::Integer | RefKind::Int64(Int64Encoding::Number) => json!(k.minimum.map_or(1, |m| m.max(1.0) as i64).min(k.maximum.map_or(i64::MAX, |m| m as i64))),
        RefKind::Int64(Int64Encoding::String) => json!("1"),
        RefKind::Number => json!(k.minimum.map_or(1.5, |m| m.max(1.5)).min(k.maximum.unwrap_or(f64::MAX))),
        RefKind::Boolean => json!(true),
        RefKind::Json => json!({}),
        RefKind::Array(inner) => {
            if depth > 4 { json!([]) } else { json!([example_of(c, inner, field, depth + 1)]) }
        }
        RefKind::Map(inner) => {
            if depth > 4 { json!({}) } else { json!({ "key": example_of(c, inner, "value", depth + 1) }) }
        }
        RefKind::Named(id) => match &c.ty(*id).kind {
            TypeKind::Enum { values } => json!(values.first().map(|v| v.wire_name.clone()).unwrap_or_default()),
            TypeKind::Alias { target } => example_of(c, target, field, depth + 1),
            TypeKind::Object { fields } => {
                let mut o = serde_json::Map::new();
                if depth <= 4 {
                    for f in fields.iter().filter(|f| !f.optional || depth == 0) {
                        o.insert(f.wire_name.clone(), example_of(c, &f.ty, &f.wire_name, depth + 1));
                    }
                }
                Value::Object(o)
            }
        },
    }
}
