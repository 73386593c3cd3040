//! The TypeScript realtime client: `ts/realtime.ts` (one typed method per event over the
//! hand-written runtime) plus the runtime's own files from `runtime/ts/`, copied verbatim under
//! the standard header so the app copies one folder.

use super::EmitOptions;
use super::prose::{Reader, delivery_text, jsdoc, room_action_text};
use crate::output::GeneratedFile;
use crate::schema::ir::*;
use crate::schema::names::{ts_listener, ts_sender, ts_string};
use serde::Serialize;

/// The hand-written runtime files, by output name.
const RUNTIME: &[(&str, &str)] = &[
    ("realtime-core.ts", include_str!("../../../runtime/ts/realtime-core.ts")),
    ("realtime-types.ts", include_str!("../../../runtime/ts/realtime-types.ts")),
    ("realtime-recovery.ts", include_str!("../../../runtime/ts/realtime-recovery.ts")),
    ("realtime-react.ts", include_str!("../../../runtime/ts/realtime-react.ts")),
];

#[derive(Serialize)]
struct ListenerView {
    doc: String,
    method: String,
    key: String,
    params: String,
}

#[derive(Serialize)]
struct SenderView {
    doc: String,
    method: String,
    key: String,
    params: String,
    arg: String,
    ack: String,
    spec: String,
}

#[derive(Serialize)]
struct HeartbeatView {
    event: String,
    interval_ms: u64,
    max_missed: u32,
}

/// Emits `ts/realtime.ts` and the runtime files beside it.
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> Vec<GeneratedFile> {
    let header = opts.header_lines(c, &[]).iter().map(|l| format!("// {l}")).collect::<Vec<_>>().join("\n");
    let type_of = |id: Option<TypeId>| id.map(|id| format!("T.{}", c.ty(id).name));
    let mut listeners = Vec::new();
    let mut senders = Vec::new();
    for e in &c.events {
        if let Some(side) = &e.to_client {
            let extra = vec![format!("Listens to `{}`; returns the unsubscribe function.", e.wire_name)];
            listeners.push(ListenerView {
                doc: jsdoc(e.description.as_deref(), e.deprecated.as_ref(), &extra, "  "),
                method: ts_listener(&e.ident),
                key: ts_string(&e.wire_name),
                params: type_of(side.payload).map_or_else(String::new, |p| format!("payload: {p}")),
            });
        }
        if let Some(side) = &e.to_server {
            let mut extra = vec![format!(
                "Sends `{}`: {}. Resolves with the ack's data; rejects with a `RealtimeError`.",
                e.wire_name,
                delivery_text(side.delivery, Reader::TypeScript)
            )];
            if let Some(a) = side.room_action {
                extra.push(room_action_text(c, a) + " Remembered and re-joined after every reconnect, before queued messages drain.");
            }
            let delivery = match side.delivery {
                Delivery::Reliable => "reliable",
                Delivery::Volatile => "volatile",
            };
            let room = side.room_action.map(|a| {
                let (action, r) = match a {
                    RoomAction::Join(r) => ("join", r),
                    RoomAction::Leave(r) => ("leave", r),
                    RoomAction::LeaveAll(r) => ("leave_all", r),
                };
                let room = &c.rooms[r];
                // Token-sourced parameters are not in the payload; the key shows them as `@me`.
                let params: Vec<String> =
                    room.params.iter().filter(|p| p.source == ParamSource::Payload).map(|p| ts_string(&p.name)).collect();
                format!(", room: {{ action: '{action}', kind: {}, params: [{}] }}", ts_string(&room.name), params.join(", "))
            });
            let payload = type_of(side.payload);
            senders.push(SenderView {
                doc: jsdoc(e.description.as_deref(), e.deprecated.as_ref(), &extra, "  "),
                method: ts_sender(&e.ident),
                key: ts_string(&e.wire_name),
                params: payload.as_ref().map_or_else(String::new, |p| format!("payload: {p}")),
                arg: if payload.is_some() { "payload".into() } else { "undefined".into() },
                ack: type_of(side.ack).unwrap_or_else(|| "null".into()),
                spec: format!("{{ delivery: '{delivery}'{} }}", room.unwrap_or_default()),
            });
        }
    }
    let heartbeat = c.heartbeat.as_ref().map(|h| HeartbeatView {
        event: ts_string(&c.events[h.event].wire_name),
        interval_ms: u64::from(h.interval_seconds) * 1000,
        max_missed: h.max_missed,
    });
    // Only a catalogue that sets it overrides the runtime's own default (the same 1..16 s x10).
    let backoff = c.reconnect.map(|r| {
        let delays: Vec<String> = r.delays_seconds().iter().map(|s| (u64::from(*s) * 1000).to_string()).collect();
        format!("{{ delaysMs: [{}], maxAttempts: {} }}", delays.join(", "), r.max_attempts)
    });
    let ctx = super::context! { header, backoff, listeners, senders, heartbeat, recovery: c.recovery.is_some() };
    let mut files = vec![GeneratedFile { path: "ts/realtime.ts".into(), contents: super::render("realtime.ts", &ctx) }];
    for (name, source) in RUNTIME {
        let copied = format!("// @generated by Switchboard: a copy of runtime/ts/{name}. Do not edit by hand.\n// Regenerate: `{}`.\n{source}", opts.regenerate);
        files.push(GeneratedFile { path: format!("ts/{name}"), contents: copied });
    }
    files
}
