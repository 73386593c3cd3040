//! JSON Schema (draft 2020-12): one file per payload and ack type, plus an index of events.

use super::EmitOptions;
use crate::output::GeneratedFile;
use crate::schema::ir::*;
use crate::schema::lower::JS_SAFE_INT;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Emits `json-schema/<Type>.schema.json` for every payload and ack, and `json-schema/events.json`.
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> Vec<GeneratedFile> {
    let comment = opts.header_lines(c, &[]).join(" ");
    let mut roots: Vec<TypeId> = Vec::new();
    let mut push = |id: Option<TypeId>| {
        if let Some(id) = id
            && !roots.contains(&id)
        {
            roots.push(id);
        }
    };
    for e in &c.events {
        if let Some(s) = &e.to_client {
            push(s.payload);
        }
        if let Some(s) = &e.to_server {
            push(s.payload);
            push(s.ack);
        }
    }
    let mut files: Vec<GeneratedFile> = roots.iter().map(|&id| root_schema(c, id, opts)).collect();
    let events: Vec<Value> = c
        .events
        .iter()
        .map(|e| {
            let file = |id: Option<TypeId>| id.map_or(Value::Null, |id| Value::String(format!("{}.schema.json", c.ty(id).name)));
            let mut o = Map::new();
            o.insert("event".into(), json!(e.wire_name));
            if let Some(s) = &e.to_client {
                o.insert("toClient".into(), json!({ "payload": file(s.payload) }));
            }
            if let Some(s) = &e.to_server {
                o.insert("toServer".into(), json!({ "payload": file(s.payload), "ack": file(s.ack), "maxBytes": s.max_bytes }));
            }
            Value::Object(o)
        })
        .collect();
    let index = json!({ "$comment": comment, "catalogue": c.name, "events": events });
    files.push(GeneratedFile { path: "json-schema/events.json".into(), contents: pretty(&index) });
    files
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// One type's schema; its header names only the catalogue files of the types it contains, so
/// adding a domain leaves other domains' schemas byte-identical.
fn root_schema(c: &Catalogue, id: TypeId, opts: &EmitOptions) -> GeneratedFile {
    let t = c.ty(id);
    let mut defs: Vec<TypeId> = Vec::new();
    let mut body = named_body(c, id, &mut defs);
    // Collect definitions transitively, in first-use order.
    let mut done: BTreeSet<TypeId> = BTreeSet::from([id]);
    let mut out_defs = Map::new();
    let mut i = 0;
    while i < defs.len() {
        let d = defs[i];
        i += 1;
        if !done.insert(d) {
            continue;
        }
        let schema = named_body(c, d, &mut defs);
        out_defs.insert(c.ty(d).name.clone(), schema);
    }
    let domains: BTreeSet<usize> = done.iter().map(|&d| c.ty(d).domain).collect();
    let sources: Vec<&str> = domains.iter().map(|&d| c.domains[d].file.as_str()).collect();
    let comment = opts.header_lines(c, &sources).join(" ");
    let mut root = Map::new();
    root.insert("$comment".into(), json!(comment));
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root.insert("$id".into(), json!(format!("{}.schema.json", t.name)));
    root.insert("title".into(), json!(t.name));
    if let Value::Object(b) = &mut body {
        for (k, v) in std::mem::take(b) {
            if k != "title" {
                root.insert(k, v);
            }
        }
    }
    if !out_defs.is_empty() {
        root.insert("$defs".into(), Value::Object(out_defs));
    }
    GeneratedFile { path: format!("json-schema/{}.schema.json", t.name), contents: pretty(&Value::Object(root)) }
}

/// The schema of a named type's body (object, enum or alias).
fn named_body(c: &Catalogue, id: TypeId, defs: &mut Vec<TypeId>) -> Value {
    let t = c.ty(id);
    let mut o = Map::new();
    if let Some(d) = &t.description {
        o.insert("description".into(), json!(d.trim()));
    }
    if t.deprecated.is_some() {
        o.insert("deprecated".into(), json!(true));
    }
    match &t.kind {
        TypeKind::Object { fields } => {
            o.insert("type".into(), json!("object"));
            let mut props = Map::new();
            for f in fields {
                let mut s = type_schema(c, &f.ty, defs);
                if let Value::Object(m) = &mut s {
                    if let Some(d) = &f.description {
                        m.insert("description".into(), json!(d.trim()));
                    }
                    if let Some(d) = &f.default {
                        m.insert("default".into(), d.clone());
                    }
                    if let Some(e) = &f.example {
                        m.insert("examples".into(), json!([e]));
                    }
                    if f.deprecated.is_some() {
                        m.insert("deprecated".into(), json!(true));
                    }
                }
                props.insert(f.wire_name.clone(), s);
            }
            o.insert("properties".into(), Value::Object(props));
            let required: Vec<&str> = fields.iter().filter(|f| !f.optional).map(|f| f.wire_name.as_str()).collect();
            if !required.is_empty() {
                o.insert("required".into(), json!(required));
            }
            // No `additionalProperties: false`: readers ignore fields they do not know, as the
            // Rust server and client do, so a newer peer's extra field does not break an older one.
        }
        TypeKind::Enum { values } => {
            o.insert("type".into(), json!("string"));
            o.insert("enum".into(), json!(values.iter().map(|v| v.wire_name.as_str()).collect::<Vec<_>>()));
        }
        TypeKind::Alias { target } => {
            if let Value::Object(m) = type_schema(c, target, defs) {
                o.extend(m);
            }
        }
    }
    if let Some(e) = &t.example {
        o.insert("examples".into(), json!([e]));
    }
    Value::Object(o)
}

/// The schema of a type expression; named types become `$ref`s (collected into `defs`).
fn type_schema(c: &Catalogue, t: &TypeRef, defs: &mut Vec<TypeId>) -> Value {
    let k = &t.constraints;
    let mut o = Map::new();
    let ty: Option<&str> = match &t.kind {
        RefKind::String => Some("string"),
        RefKind::DateTime => {
            o.insert("format".into(), json!("date-time"));
            Some("string")
        }
        RefKind::Int64(Int64Encoding::String) => {
            o.insert("pattern".into(), json!("^-?[0-9]{1,19}$"));
            Some("string")
        }
        RefKind::Int64(Int64Encoding::Number) => Some("integer"),
        RefKind::Integer => {
            o.insert("minimum".into(), json!(k.minimum.map_or(-JS_SAFE_INT as f64, |m| m).max(-JS_SAFE_INT as f64) as i64));
            o.insert("maximum".into(), json!(k.maximum.map_or(JS_SAFE_INT as f64, |m| m).min(JS_SAFE_INT as f64) as i64));
            Some("integer")
        }
        RefKind::Number => Some("number"),
        RefKind::Boolean => Some("boolean"),
        RefKind::Json => None,
        RefKind::Array(inner) => {
            o.insert("items".into(), type_schema(c, inner, defs));
            Some("array")
        }
        RefKind::Map(inner) => {
            o.insert("additionalProperties".into(), type_schema(c, inner, defs));
            Some("object")
        }
        RefKind::Named(id) => {
            let n = c.ty(*id);
            let mut inner = if n.explicit_name {
                defs.push(*id);
                json!({ "$ref": format!("#/$defs/{}", n.name) })
            } else {
                named_body(c, *id, defs)
            };
            // Constraints written where a named type is used add to the reference.
            if !k.is_empty() {
                let extra = type_schema(c, &TypeRef { kind: RefKind::Json, nullable: false, constraints: k.clone() }, defs);
                inner = json!({ "allOf": [inner, extra] });
            }
            return if t.nullable { json!({ "anyOf": [inner, { "type": "null" }] }) } else { inner };
        }
    };
    if let Some(ty) = ty {
        o.insert("type".into(), if t.nullable { json!([ty, "null"]) } else { json!(ty) });
    } else if t.nullable {
        // `json` already admits null.
    }
    if !matches!(t.kind, RefKind::Integer) {
        if let Some(m) = k.minimum {
            o.insert("minimum".into(), num(m));
        }
        if let Some(m) = k.maximum {
            o.insert("maximum".into(), num(m));
        }
    }
    if let Some(m) = k.min_length {
        o.insert("minLength".into(), json!(m));
    }
    if let Some(m) = k.max_length {
        o.insert("maxLength".into(), json!(m));
    }
    if let Some(p) = &k.pattern {
        o.insert("pattern".into(), json!(format!("^(?:{p})$")));
    }
    if let Some(schemes) = &k.uri_schemes {
        // JSON Schema has no keyword for allowed schemes: `format` plus an annotation.
        o.insert("format".into(), json!("uri"));
        o.insert("x-schemes".into(), json!(schemes));
    }
    if let Some(m) = k.min_items {
        o.insert("minItems".into(), json!(m));
    }
    if let Some(m) = k.max_items {
        o.insert("maxItems".into(), json!(m));
    }
    Value::Object(o)
}

fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 { json!(v as i64) } else { json!(v) }
}
