//! TypeScript: `ts/socket.types.ts`, a drop-in for the app's types file plus typed event maps
//! for socket.io-client. React-Native safe: no `const enum`, no imports, string unions for enums,
//! date-times as `string`.

use super::EmitOptions;
use super::prose::{Reader, delivery_text, jsdoc, rate_text, room_action_text, target_text};
use crate::output::GeneratedFile;
use crate::schema::ir::*;
use crate::schema::names::ts_string;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Serialize)]
struct DomainView {
    title: String,
    file: String,
    description: String,
    decls: Vec<DeclView>,
}

#[derive(Serialize)]
struct DeclView {
    doc: String,
    code: String,
}

#[derive(Serialize)]
struct GroupView {
    doc: String,
    name: String,
    extends: Option<String>,
    entries: Vec<EntryView>,
}

#[derive(Serialize)]
struct EntryView {
    doc: String,
    key: String,
    value: String,
}

#[derive(Serialize)]
struct EventView {
    doc: String,
    key: String,
    signature: String,
    signature_with_ack: String,
    payload: String,
    ack: String,
}

impl EventView {
    /// One event of an event map: its JSDoc (the event's description, then `extra`), its key,
    /// the listener signatures without and with a required ack, and its payload and ack types.
    fn new(e: &Event, extra: &[String], payload: Option<String>, [signature, signature_with_ack]: [String; 2], ack: String) -> Self {
        EventView {
            doc: jsdoc(e.description.as_deref(), e.deprecated.as_ref(), extra, "  "),
            key: ts_string(&e.wire_name),
            signature,
            signature_with_ack,
            payload: payload.unwrap_or_else(|| "undefined".into()),
            ack,
        }
    }
}

/// Emits `ts/socket.types.ts`.
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> Vec<GeneratedFile> {
    let header = opts.header_lines(c, &[]).iter().map(|l| format!("// {l}")).collect::<Vec<_>>().join("\n");
    let mut callbacks_done = BTreeSet::new();
    let domains: Vec<DomainView> = c
        .domains
        .iter()
        .map(|d| {
            let mut decls = Vec::new();
            for &id in &d.types {
                let t = c.ty(id);
                if !t.explicit_name {
                    continue;
                }
                let mut notes = super::prose::value_note(c, id);
                if let TypeKind::Alias { target } = &t.kind {
                    notes.extend(super::prose::datetime_note(c, target));
                }
                decls.push(DeclView { doc: jsdoc(t.description.as_deref(), t.deprecated.as_ref(), &notes, ""), code: declaration(c, t) });
                if let Some(cb) = callback_name(c, id)
                    && callbacks_done.insert(cb.clone())
                {
                    decls.push(DeclView { doc: String::new(), code: format!("export type {cb} = (payload: {}) => void;", t.name) });
                }
            }
            let description = d.description.trim().lines().map(|l| format!("// {}", l.trim_end())).collect::<Vec<_>>().join("\n");
            DomainView { title: d.title.clone(), file: d.file.clone(), description, decls }
        })
        .collect();
    let groups: Vec<GroupView> = c
        .constant_groups
        .iter()
        .map(|g| {
            let mut entries: Vec<EntryView> =
                g.extra.iter().map(|(k, v)| EntryView { doc: manager_event_doc(v), key: k.clone(), value: ts_string(v) }).collect();
            for e in c.events.iter().filter(|e| e.constants.contains(&g.name)) {
                entries.push(EntryView {
                    doc: e.deprecated.as_ref().map_or(String::new(), |d| format!("  /** @deprecated {} */\n", d.sentence())),
                    key: e.const_name.clone(),
                    value: ts_string(&e.wire_name),
                });
            }
            GroupView {
                doc: jsdoc(g.description.as_deref(), None, &[], ""),
                name: g.name.clone(),
                extends: g.extends.clone(),
                entries,
            }
        })
        .collect();
    let server_to_client: Vec<EventView> = c.events.iter().filter_map(|e| server_event(c, e)).collect();
    let client_to_server: Vec<EventView> = c.events.iter().filter_map(|e| client_event(c, e)).collect();
    let ctx = super::context! {
        header, domains, groups, server_to_client, client_to_server,
        prelude: c.ts_prelude.as_deref().map(str::trim_end),
        error_codes: ack_error_codes().map(ts_string).collect::<Vec<_>>().join(" | "),
    };
    vec![GeneratedFile { path: "ts/socket.types.ts".into(), contents: super::render("socket.types.ts", &ctx) }]
}

/// A server-to-client event's entry, if it has that side.
fn server_event(c: &Catalogue, e: &Event) -> Option<EventView> {
    let side = e.to_client.as_ref()?;
    let payload = side.payload.map(|id| c.ty(id).name.clone());
    let signature = listener_signature(payload.as_deref(), None);
    let mut extra: Vec<String> = side.description.iter().cloned().collect();
    extra.push(format!("Sent to: {}.", target_text(c, &side.target)));
    Some(EventView::new(e, &extra, payload, [signature, String::new()], String::new()))
}

/// A client-to-server event's entry, if it has that side.
fn client_event(c: &Catalogue, e: &Event) -> Option<EventView> {
    let side = e.to_server.as_ref()?;
    let payload = side.payload.map(|id| c.ty(id).name.clone());
    let ack = side.ack.map_or_else(|| "null".to_string(), |id| c.ty(id).name.clone());
    let callback = format!("(response: AckResponse<{ack}>) => void");
    let signature = listener_signature(payload.as_deref(), Some(format!("ack?: {callback}")));
    let signature_with_ack = listener_signature(payload.as_deref(), Some(format!("ack: {callback}")));
    let mut extra: Vec<String> = side.description.iter().cloned().collect();
    if let Some(a) = side.room_action {
        extra.push(room_action_text(c, a));
    }
    extra.push(format!(
        "Delivery: {}.{}",
        delivery_text(side.delivery, Reader::TypeScript),
        side.rate_limit.map_or(String::new(), |r| format!(" Rate limit: {}.", rate_text(r)))
    ));
    Some(EventView::new(e, &extra, payload, [signature, signature_with_ack], ack))
}

/// `(payload: P, ack) => void`, leaving out what the event does not have.
fn listener_signature(payload: Option<&str>, ack: Option<String>) -> String {
    let args: Vec<String> = payload.map(|p| format!("payload: {p}")).into_iter().chain(ack).collect();
    format!("({}) => void", args.join(", "))
}

/// socket.io-client emits these on the Manager (`socket.io`), not on the socket.
fn manager_event_doc(value: &str) -> String {
    if matches!(value, "reconnect" | "reconnect_attempt" | "reconnect_error" | "reconnect_failed") {
        "  /** Emitted by the Manager: listen with `socket.io.on(...)`, not `socket.on(...)`. */\n".into()
    } else {
        String::new()
    }
}

/// `XPayload` sent to clients gets `XCallback = (payload: XPayload) => void`, as in the app.
fn callback_name(c: &Catalogue, id: TypeId) -> Option<String> {
    let name = crate::schema::names::ts_callback(&c.ty(id).name)?;
    c.events.iter().any(|e| e.to_client.as_ref().is_some_and(|s| s.payload == Some(id))).then_some(name)
}

fn declaration(c: &Catalogue, t: &NamedType) -> String {
    match &t.kind {
        TypeKind::Object { fields } => format!("export interface {} {}", t.name, object_body(c, fields, 0)),
        TypeKind::Enum { values } => format!("export type {} = {};", t.name, enum_union(values)),
        TypeKind::Alias { target } => format!("export type {} = {};", t.name, ts_type(c, target, 0)),
    }
}

fn enum_union(values: &[EnumValue]) -> String {
    values.iter().map(|v| ts_string(&v.wire_name)).collect::<Vec<_>>().join(" | ")
}

fn object_body(c: &Catalogue, fields: &[Field], depth: usize) -> String {
    if fields.is_empty() {
        return "{}".into();
    }
    let pad = "  ".repeat(depth + 1);
    let mut s = String::from("{\n");
    for f in fields {
        let mut extra: Vec<String> = super::prose::datetime_note(c, &f.ty).into_iter().collect();
        if !f.ty.constraints.is_empty() {
            extra.push(format!("Constraints: {}.", f.ty.constraints.summary()));
        }
        if let Some(d) = &f.default {
            extra.push(format!("@default {d}"));
        }
        s.push_str(&jsdoc(f.description.as_deref(), f.deprecated.as_ref(), &extra, &pad));
        s.push_str(&format!("{pad}{}{}: {};\n", f.ts_key, if f.optional { "?" } else { "" }, ts_type(c, &f.ty, depth + 1)));
    }
    s.push_str(&"  ".repeat(depth));
    s.push('}');
    s
}

/// The TypeScript type of a type expression.
fn ts_type(c: &Catalogue, t: &TypeRef, depth: usize) -> String {
    // Lowering rejects cycles through unnamed objects; this guard keeps a bad IR from recursing forever.
    if depth > 64 {
        return "unknown".into();
    }
    let base = match &t.kind {
        RefKind::String | RefKind::DateTime | RefKind::Int64(Int64Encoding::String) => "string".to_string(),
        RefKind::Integer | RefKind::Number | RefKind::Int64(Int64Encoding::Number) => "number".to_string(),
        RefKind::Boolean => "boolean".to_string(),
        RefKind::Json => "unknown".to_string(),
        RefKind::Named(id) => {
            let n = c.ty(*id);
            if n.explicit_name {
                n.name.clone()
            } else {
                match &n.kind {
                    TypeKind::Object { fields } => object_body(c, fields, depth),
                    TypeKind::Enum { values } => enum_union(values),
                    TypeKind::Alias { target } => ts_type(c, target, depth),
                }
            }
        }
        RefKind::Array(inner) => {
            let i = ts_type(c, inner, depth);
            if i.contains(" | ") && !i.starts_with('{') { format!("({i})[]") } else { format!("{i}[]") }
        }
        RefKind::Map(inner) => format!("Record<string, {}>", ts_type(c, inner, depth)),
    };
    if t.nullable { format!("{base} | null") } else { base }
}

