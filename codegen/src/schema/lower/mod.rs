//! Lowering: spanned YAML trees -> validated IR. The only place that produces diagnostics.
//!
//! Every problem is collected; lowering goes on with the next item so one run reports all of
//! them. Type references are resolved at the end, so declaration order across files is free.

mod check;
mod constraints;
mod cycles;
mod events;
mod file;
mod read;
mod resolve;
mod rooms;
mod types;
mod values;

use crate::schema::codes::Code;
use super::diagnostic::Diagnostic;
use super::ir::*;
use super::yaml::{self, Node, Pos};
use std::collections::BTreeMap;

/// Largest integer JavaScript represents exactly (2^53 - 1).
/// The runtime's bound, so generator and server agree on it.
pub(crate) use switchboard_runtime::validate::JS_SAFE_INT;

/// One catalogue file as given to [`lower`].
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the catalogue folder (used in messages and headers).
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// Result of lowering: the IR and warnings, or every diagnostic found.
pub type LowerResult = Result<(Catalogue, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Lowers catalogue files (already in the order they should be read) to the IR.
pub fn lower(files: &[SourceFile]) -> LowerResult {
    lower_with(files, std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`lower`], parsing on up to `threads` threads.
fn lower_with(files: &[SourceFile], threads: usize) -> LowerResult {
    let mut l = Lowerer::default();
    let mut parsed = Vec::new();
    for (f, node) in files.iter().zip(parse_all(files, threads)) {
        match node {
            Ok(node) => parsed.push((f.name.clone(), node)),
            Err(e) => {
                l.err(e.code, &f.name, e.pos.unwrap_or_default(), e.message).label(e.label).help(e.help);
            }
        }
    }
    if files.is_empty() {
        l.err(Code::EmptyCatalogue, "", Pos::default(), "the catalogue has no files")
            .help("add one `<domain>.yaml` file per domain to the catalogue folder");
    }
    let decls: Vec<FileDecl> = parsed.iter().filter_map(|(name, node)| l.read_file(name, node)).collect();
    l.settings(&decls);
    for d in &decls {
        l.register_rooms(d);
    }
    for d in &decls {
        l.lower_types(d);
    }
    for d in &decls {
        l.lower_events(d);
    }
    for d in &decls {
        l.lower_migrations(d);
    }
    l.resolve_heartbeat();
    l.finish()
}

/// Parses every file, in two halves on two threads when the machine has them (YAML parsing is
/// about a third of `switchboard generate`'s CPU at 5,000 events); the results are in file order, so
/// diagnostics and output do not depend on the threads.
fn parse_all(files: &[SourceFile], threads: usize) -> Vec<Result<yaml::Node, yaml::ParseError>> {
    // Halves of equal text length, not of equal file count.
    let total: usize = files.iter().map(|f| f.text.len()).sum();
    let mut seen = 0;
    let split = files.iter().position(|f| {
        seen += f.text.len();
        seen * 2 >= total
    });
    match split {
        Some(i) if threads > 1 && total >= PARALLEL_PARSE_BYTES => {
            let (first, second) = files.split_at(i + 1);
            let parse = |part: &[SourceFile]| part.iter().map(|f| yaml::parse(&f.text)).collect::<Vec<_>>();
            let (later, mut out) = crate::par::join(|| parse(second), || parse(first));
            out.extend(later);
            out
        }
        _ => files.iter().map(|f| yaml::parse(&f.text)).collect(),
    }
}

/// Below this much YAML one thread is enough (a thread costs tens of microseconds; parsing
/// 64 KiB takes about ten milliseconds).
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

impl Lowerer {
    /// Everything is read: resolve what names what, then run the checks that needed it. The
    /// order is the order diagnostics are reported in.
    fn finish(mut self) -> LowerResult {
        self.report_unknown_types();
        // Recursive types that no value or emitter can handle, before anything follows aliases.
        self.check_cycles();
        self.run_pending();
        if check::has_errors(&self.diags) {
            return Err(self.diags);
        }
        self.payloads_to_objects();
        self.check_heartbeat_payload();
        self.into_catalogue()
    }
}

/// What one file declares, before lowering its items.
struct FileDecl<'a> {
    file: String,
    domain: usize,
    /// File-level `constants:`, each group with where it is named.
    constants: Option<Vec<(String, Pos)>>,
    /// The `settings` key and its value.
    settings: Option<(Pos, &'a Node)>,
    types: Vec<(&'a Node, &'a Node)>,
    rooms: Vec<(&'a Node, &'a Node)>,
    events: Vec<(&'a Node, &'a Node)>,
    migrations: Option<&'a Node>,
}

/// Where something is written: a catalogue file and a position in it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Loc {
    file: String,
    pos: Pos,
}

impl Loc {
    fn new(file: &str, pos: Pos) -> Self {
        Self { file: file.to_string(), pos }
    }
}

/// `file:line:column`, as messages name another declaration.
impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.col)
    }
}

#[derive(Default)]
struct Slot {
    ty: Option<NamedType>,
    defined_at: Option<Loc>,
}

/// `settings.heartbeat` as written, resolved once every event is declared.
#[derive(Clone)]
struct HeartbeatSpec {
    event: String,
    /// Where the event is named.
    at: Loc,
    interval_seconds: u32,
    max_missed: u32,
}

/// A check that needs every type resolved first.
enum Pending {
    Value { file: String, node: Node, ty: TypeRef, what: &'static str },
    PayloadIsObject { at: Loc, ty: TypeId, what: &'static str },
    /// A `value:` payload must be one non-null scalar.
    PayloadIsScalar { at: Loc, target: TypeRef },
    RoomParam { at: Loc, room: RoomId, payload: Option<TypeId>, event: String, required: bool },
    /// Constraints written on a use of a named type (an alias, once resolved, must accept them).
    NamedConstraints { file: String, ty: TypeId, constraints: Constraints, keys: Vec<(&'static str, Pos, Pos)> },
}

#[derive(Default)]
struct Lowerer {
    diags: Vec<Diagnostic>,
    domains: Vec<Domain>,
    slots: Vec<Slot>,
    type_index: BTreeMap<String, TypeId>,
    /// Every use of a type name, to report the ones never declared.
    refs: Vec<(TypeId, Loc)>,
    rooms: Vec<Room>,
    /// Where each room is declared (file, id key), parallel to `rooms`.
    room_at: Vec<Loc>,
    room_index: BTreeMap<String, RoomId>,
    events: Vec<Event>,
    event_index: BTreeMap<String, (EventId, Loc)>,
    /// Events by identifier: wire name and where it is declared.
    ident_index: BTreeMap<String, (String, Loc)>,
    groups: Vec<ConstGroup>,
    settings_at: Option<Loc>,
    name: Option<String>,
    namespace: Option<String>,
    /// settings.typescript.prelude, and the names it exports (catalogue types cannot take them).
    ts_prelude: Option<String>,
    ts_prelude_names: Vec<String>,
    migrations: Vec<Migration>,
    heartbeat_spec: Option<HeartbeatSpec>,
    heartbeat: Option<Heartbeat>,
    reconnect: Option<Reconnect>,
    recovery: Option<Recovery>,
    pending: Vec<Pending>,
    /// Where each event's const was written (its key without one), for collision messages.
    event_pos: Vec<Loc>,
    /// Where each event's ident was written (its key without one), for member-name collisions.
    event_ident_pos: Vec<Loc>,
    /// Where each field is written, by (owning type name, wire name), for cycle messages.
    field_at: BTreeMap<(String, String), Loc>,
    /// Object types that lost a field to an error already reported; values are not checked
    /// against them (an `example` mismatch there would be a follow-on error).
    broken_objects: std::collections::BTreeSet<String>,
}

impl Lowerer {
    fn err(&mut self, code: Code, file: &str, pos: Pos, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, file, pos, msg));
        self.diags.last_mut().expect("just pushed")
    }

    /// A name declared twice: the error at the second declaration (`what` is e.g. "room
    /// `order`"), labelled, pointing at the first; the caller adds the help for its item kind.
    fn duplicate(&mut self, file: &str, pos: Pos, what: &str, first: &Loc) -> &mut Diagnostic {
        self.err(Code::DuplicateName, file, pos, format!("{what} is already declared at {first}"))
            .label("declared again here")
            .also(&first.file, first.pos, "first declared here")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> LowerResult {
        lower(&[SourceFile { name: "t.yaml".into(), text: text.into() }])
    }

    #[test]
    fn a_fan_out_event_without_a_rate_limit_is_warned_about() {
        let both = "domain: t\nrooms:\n  r:\n    name: r-{id}\n    access: authenticated\nevents:\n  e:\n    to_client: { to: r, payload: { id: string } }\n    to_server: { payload: { id: string }%LIMIT% }\n";
        let (_, warnings) = one(&both.replace("%LIMIT%", "")).expect("a warning does not stop generation");
        assert_eq!(warnings.iter().map(|w| (w.code.as_str(), w.severity)).collect::<Vec<_>>(), vec![("unlimited-fan-out", crate::schema::diagnostic::Severity::Warning)]);
        let (_, warnings) = one(&both.replace("%LIMIT%", ", rate_limit: 10/s")).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    /// A catalogue large enough to be parsed on two threads gives the same result, diagnostics
    /// in the same order, as when it is parsed on one.
    #[test]
    fn parsing_on_two_threads_changes_nothing() {
        let padding = format!("# {}\n", "x".repeat(4096));
        let files: Vec<SourceFile> = (0..40)
            .map(|i| {
                let body = if i % 13 == 3 { "events: [unclosed\n".to_string() } else { format!("domain: d{i}\nevents:\n  e{i}:\n    to_client: {{ to: everyone }}\n  bad{i}: 1\n") };
                SourceFile { name: format!("d{i:02}.yaml"), text: format!("{padding}{body}") }
            })
            .collect();
        assert!(files.iter().map(|f| f.text.len()).sum::<usize>() >= PARALLEL_PARSE_BYTES);
        let (one, two) = (lower_with(&files, 1).unwrap_err(), lower_with(&files, 2).unwrap_err());
        let syntax: Vec<&str> = two.iter().filter(|d| d.code == Code::YamlSyntax).map(|d| d.file.as_str()).collect();
        assert_eq!(syntax, ["d03.yaml", "d16.yaml", "d29.yaml"], "files of both halves");
        assert_eq!(two.len(), 40, "and the 37 other files' unknown keys");
        assert_eq!(format!("{two:?}"), format!("{one:?}"));
        // And a valid catalogue lowers to the same IR.
        let valid: Vec<SourceFile> = files.iter().enumerate().filter(|(i, _)| i % 13 != 3).map(|(i, f)| SourceFile { name: f.name.clone(), text: format!("{padding}domain: d{i}\nevents:\n  e{i}:\n    to_client: {{ to: everyone }}\n") }).collect();
        let (one, two) = (lower_with(&valid, 1).expect("valid"), lower_with(&valid, 2).expect("valid"));
        assert_eq!(format!("{two:?}"), format!("{one:?}"));
    }

    /// `format: 1` and an absent (or null) `format` are version 1; nothing else is accepted.
    #[test]
    fn format_version() {
        for head in ["format: 1\n", "", "format: ~\n"] {
            one(&format!("{head}domain: t\nevents:\n  e:\n    to_client: {{ to: everyone }}\n")).unwrap_or_else(|e| panic!("{head:?}: {e:?}"));
        }
        for head in ["format: 2\n", "format: 0\n", "format: -1\n", "format: '1'\n", "format: 1.5\n", "format: [1]\n"] {
            let err = one(&format!("{head}domain: t\nevents:\n  e:\n    to_client: {{ to: everyone }}\n")).unwrap_err();
            let codes: Vec<&str> = err.iter().map(|d| d.code.as_str()).collect();
            assert_eq!(codes, ["unsupported-format"], "{head:?}");
            assert_eq!((err[0].pos.line, err[0].pos.col), (1, 9), "{head:?}: located at the value");
        }
    }

    /// `settings.typescript.prelude` reaches the IR; a type cannot take a name it exports.
    #[test]
    fn typescript_prelude() {
        let text = "domain: t\nsettings:\n  typescript:\n    prelude: |\n      export interface SocketState { ok: boolean }\ntypes:\n  %NAME%: { fields: { a: string } }\nevents:\n  e:\n    to_client: { to: everyone }\n";
        let (c, _) = one(&text.replace("%NAME%", "Other")).unwrap();
        assert_eq!(c.ts_prelude.as_deref(), Some("export interface SocketState { ok: boolean }\n"));
        let err = one(&text.replace("%NAME%", "SocketState")).unwrap_err();
        assert_eq!(err.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["reserved-word"]);
    }

    #[test]
    fn the_reconnect_schedule_doubles_up_to_its_cap() {
        let text = "domain: t\nsettings:\n  reconnect: %R%\nevents:\n  e:\n    to_client: { to: everyone }\n";
        let schedule = |r: &str| one(&text.replace("%R%", r)).expect("valid").0.reconnect.expect("set");
        let r = schedule("{}");
        assert_eq!((r, r.delays_seconds()), (Reconnect::DEFAULT, vec![1, 2, 4, 8, 16]));
        assert_eq!(schedule("{ base_seconds: 3, max_seconds: 10, max_attempts: 4 }").delays_seconds(), vec![3, 6, 10]);
        assert_eq!(schedule("{ base_seconds: 5, max_seconds: 5 }").delays_seconds(), vec![5]);
        // A base above the default cap moves the cap up with it.
        assert_eq!(schedule("{ base_seconds: 30 }").delays_seconds(), vec![30]);
        let (c, _) = lower(&[SourceFile { name: "t.yaml".into(), text: "domain: t\nevents:\n  e:\n    to_client: { to: everyone }\n".into() }]).unwrap();
        assert!(c.reconnect.is_none(), "absent: the runtimes' defaults apply");
    }

    #[test]
    fn reports_every_problem_in_one_run() {
        let err = one("domain: t\nevents:\n  a:\n    to_client: { payloadd: {} , to: everyone}\n  b:\n    to_server: { payload: Nope }\n").unwrap_err();
        let codes: Vec<&str> = err.iter().map(|d| d.code.as_str()).collect();
        assert!(codes.contains(&"unknown-key"), "{codes:?}");
        assert!(codes.contains(&"unknown-type"), "{codes:?}");
    }

    /// `name:` and `ack_name:` name inline payloads and acks; without them they are reported.
    #[test]
    fn names_without_an_inline_payload_are_reported() {
        let err = one("domain: t\nevents:\n  a:\n    to_server: { name: APayload, ack_name: AAck }\n  b:\n    to_client: { name: BPayload, to: everyone }\n").unwrap_err();
        let messages: Vec<&str> = err.iter().filter(|d| d.code == Code::ConflictingKeys).map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`name` names an inline payload, but there is no `payload:`",
                "`ack_name` names an inline ack, but there is no `ack:`",
                "`name` names an inline payload, but there is no `payload:`",
            ]
        );
    }

    /// Enum values and fields that repeat a wire name, or map to one Rust name.
    #[test]
    fn repeated_members_are_reported() {
        let err = one(concat!(
            "domain: t\ntypes:\n",
            "  Status: { enum: [in-stock, in-stock, in_stock] }\n",
            "  Item:\n    fields:\n      userId: string\n      'userId?': string\n      user_id: string\n",
        ))
        .unwrap_err();
        let messages: Vec<(&str, &str, Option<&str>)> = err.iter().map(|d| (d.code.as_str(), d.message.as_str(), d.help.as_deref())).collect();
        assert_eq!(
            messages,
            [
                ("duplicate-name", "enum value `in-stock` appears twice", None),
                ("name-collision", "enum values `in-stock` and `in_stock` both become the Rust variant `InStock`", Some("rename one of the values")),
                ("duplicate-name", "field `userId` appears twice in `Item`", None),
                ("name-collision", "fields `userId` and `user_id` of `Item` both become the Rust field `user_id`", Some("rename one of the fields")),
            ]
        );
    }

    #[test]
    fn lowers_a_small_catalogue() {
        let (c, w) = one(concat!(
            "domain: t\n",
            "rooms:\n  order: { name: 'order-{orderId}', access: app }\n",
            "events:\n",
            "  order:status:\n    to_client:\n      name: OrderStatus\n      to: order\n      payload: { orderId: string, note?: string | null }\n",
            "  subscribe:order:\n    to_server: { payload: { orderId: { type: string, max_length: 64 } }, joins: order }\n",
        ))
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.events.len(), 2);
        let TypeKind::Object { fields } = &c.types[c.type_named("OrderStatus").unwrap()].kind else { panic!() };
        assert!(fields[1].optional && fields[1].ty.nullable);
        assert_eq!(c.events[1].to_server.as_ref().unwrap().room_action, Some(RoomAction::Join(0)));
    }
}
