//! Wording every target shares: where an event goes, what a room action does, delivery and
//! rate limits; and the JSDoc block both TypeScript targets write. One place, so the docs, the
//! TypeScript and the Rust say the same thing.

use crate::schema::ir::*;

/// Human text of where a server event goes.
pub(crate) fn target_text(c: &Catalogue, t: &Target) -> String {
    match t {
        Target::Everyone => "every connected socket".into(),
        Target::Rooms(rooms) => rooms.iter().map(|r| format!("`{}`", c.rooms[*r].template)).collect::<Vec<_>>().join(" and "),
    }
}

/// Human text of a room action.
pub(crate) fn room_action_text(c: &Catalogue, a: RoomAction) -> String {
    match a {
        RoomAction::Join(r) => format!("Joins `{}` ({}).", c.rooms[r].template, c.rooms[r].access.describe()),
        RoomAction::Leave(r) => format!("Leaves `{}`.", c.rooms[r].template),
        RoomAction::LeaveAll(r) => format!("Leaves every `{}` room.", c.rooms[r].template),
    }
}

/// `10/s`, `100/min`.
pub(crate) fn rate_text(r: RateLimit) -> String {
    if r.per_seconds == 60 { format!("{}/min", r.count) } else { format!("{}/s", r.count) }
}

/// Who reads a delivery sentence: each target says what its side does.
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    /// TypeScript JSDoc: one short clause.
    TypeScript,
    /// The Markdown docs: what the server does too.
    Docs,
    /// The Rust client: what the call does when offline.
    RustClient,
}

/// What a delivery mode means, in the words `reader` needs.
pub(crate) fn delivery_text(d: Delivery, reader: Reader) -> &'static str {
    match (reader, d) {
        (Reader::TypeScript, Delivery::Reliable) => "reliable (queued while offline)",
        (Reader::TypeScript, Delivery::Volatile) => "volatile (dropped while offline)",
        (Reader::Docs, Delivery::Reliable) => "reliable: queued while offline and resent until answered; a resend with the same message id gets the first answer (room joins and leaves are idempotent and not deduplicated)",
        (Reader::Docs, Delivery::Volatile) => "volatile: dropped while offline",
        (Reader::RustClient, Delivery::Reliable) => "reliable: queued while offline, resent until acked",
        (Reader::RustClient, Delivery::Volatile) => "volatile: fails with `Offline` when not connected",
    }
}

/// Where a room parameter's value comes from.
pub(crate) fn param_source_text(s: ParamSource) -> &'static str {
    if s == ParamSource::User { "the token" } else { "the payload" }
}

/// What a `value:` payload type says about itself: sent bare, and its constraints.
pub(crate) fn value_note(c: &Catalogue, id: TypeId) -> Vec<String> {
    let Some(target) = c.value_payload(id) else { return Vec::new() };
    let mut s = "Sent as one bare value, not an object.".to_string();
    if !target.constraints.is_empty() {
        s.push_str(&format!(" Constraints: {}.", target.constraints.summary()));
    }
    vec![s]
}

/// The wire format of a date-time, for a field or alias whose values are date-times (also in a
/// list or a map, or through aliases): TypeScript types them `string`, so the doc says more.
pub(crate) fn datetime_note(c: &Catalogue, t: &TypeRef) -> Option<String> {
    let mut cur = &t.kind;
    // Bounded: an alias may name itself through a list.
    for _ in 0..=c.types.len() + 64 {
        cur = match cur {
            RefKind::DateTime => return Some("ISO-8601 date-time with a zone (`2026-11-26T09:30:00.000Z`, as `Date#toJSON` writes it).".into()),
            RefKind::Array(inner) | RefKind::Map(inner) => &inner.kind,
            RefKind::Named(id) => match &c.ty(*id).kind {
                TypeKind::Alias { target } => &target.kind,
                _ => return None,
            },
            _ => return None,
        };
    }
    None
}

/// A JSDoc block (empty when there is nothing to say), indented by `pad`.
pub(crate) fn jsdoc(description: Option<&str>, deprecated: Option<&Deprecation>, extra: &[String], pad: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(d) = description {
        lines.extend(d.trim().lines().map(|l| l.trim_end().to_string()));
    }
    for e in extra {
        lines.extend(e.lines().map(str::to_string));
    }
    if let Some(d) = deprecated {
        lines.push(format!("@deprecated {}", d.sentence()));
    }
    let lines: Vec<String> = lines.into_iter().map(|l| l.replace("*/", "*\\/")).collect();
    match lines.len() {
        0 => String::new(),
        1 => format!("{pad}/** {} */\n", lines[0]),
        _ => {
            let mut s = format!("{pad}/**\n");
            for l in lines {
                if l.is_empty() {
                    s.push_str(&format!("{pad} *\n"));
                } else {
                    s.push_str(&format!("{pad} * {l}\n"));
                }
            }
            s.push_str(&format!("{pad} */\n"));
            s
        }
    }
}
