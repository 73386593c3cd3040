//! What a frontend developer reads on an event's docs page instead of asking: a socket.io-client
//! snippet typed with the generated maps, the ack envelope the server answers with, and the error
//! codes it can answer (from `switchboard_runtime`, which owns the pipeline that refuses).

use crate::schema::ir::*;
use serde::Serialize;
use serde_json::{Value, json};
use switchboard_runtime::wire::ErrorCode;

/// The usage section of one event; empty strings where a direction is absent.
#[derive(Serialize, Default)]
pub(super) struct Usage {
    /// `socket.on(...)` for a server-to-client event.
    pub listen: String,
    /// `socket.emit(..., ack)` for a client-to-server event.
    pub send: String,
    /// `{ "ok": true, "data": ... }`.
    pub ack_ok: String,
    /// `{ "ok": false, "error": { code, message, field? } }`.
    pub ack_error: String,
    /// Each code the server itself can answer, with when.
    pub codes: Vec<(String, String)>,
}

/// The usage section; `payload_example` and `ack_example` are the examples the page shows.
pub(super) fn usage(c: &Catalogue, e: &Event, payload_example: Option<&Value>, ack_example: Option<&Value>) -> Usage {
    let wire = crate::schema::names::ts_string(&e.wire_name);
    let mut u = Usage::default();
    if let Some(s) = &e.to_client {
        u.listen = match s.payload {
            Some(p) => format!("socket.on({wire}, (payload) => {{\n  // payload: {}\n}});", c.ty(p).name),
            None => format!("socket.on({wire}, () => {{\n  // no payload\n}});"),
        };
    }
    let Some(s) = &e.to_server else { return u };
    let data_type = s.ack.map_or("null".to_string(), |a| c.ty(a).name.clone());
    let callback = format!(
        "(res) => {{\n  if (res.ok) {{\n    // res.data: {data_type}\n  }} else {{\n    console.warn(res.error.code, res.error.message); // AckErrorCode\n  }}\n}}"
    );
    u.send = match payload_example {
        Some(p) => format!("socket.emit({wire}, {}, {callback});", pretty(p)),
        None => format!("socket.emit({wire}, {callback});"),
    };
    u.ack_ok = pretty(&json!({ "ok": true, "data": ack_example.cloned().unwrap_or(Value::Null) }));
    u.ack_error = pretty(&json!({ "ok": false, "error": error_example(c, s) }));
    u.codes = ErrorCode::answered(s.traits(c)).into_iter().map(|(code, when)| (code.as_str().to_string(), when.to_string())).collect();
    u
}

/// The refusal a client most often meets, as the runtime words it: a missing required field,
/// or, without one, an array sent as the payload.
fn error_example(c: &Catalogue, s: &ToServer) -> Value {
    let code = ErrorCode::InvalidPayload.as_str();
    let required = s.payload.and_then(|p| match &c.ty(p).kind {
        TypeKind::Object { fields } => fields.iter().find(|f| !f.optional),
        _ => None,
    });
    match required {
        Some(f) => json!({ "code": code, "message": format!("missing field `{}`", f.wire_name), "field": f.wire_name }),
        None => json!({ "code": code, "message": "invalid type: array, expected an object" }),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
