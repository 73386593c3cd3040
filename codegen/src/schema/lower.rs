//! Lowering: spanned YAML trees -> validated IR. The only place that produces diagnostics.
//!
//! Every problem is collected; lowering goes on with the next item so one run reports all of
//! them. Type references are resolved at the end, so declaration order across files is free.

use super::diagnostic::{Diagnostic, did_you_mean};
use super::ir::*;
use super::names;
use super::raw::keys;
use super::yaml::{self, Kind, Node, Pos};
use std::collections::{BTreeMap, BTreeSet};

/// Largest integer JavaScript represents exactly (2^53 - 1).
pub const JS_SAFE_INT: i64 = 9_007_199_254_740_991;

/// Socket.IO reserves these event names on the client and server.
const RESERVED_EVENTS: &[&str] =
    &["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "error", "message"];

const PRIMITIVES: &[&str] = &["string", "integer", "number", "boolean", "datetime", "json"];

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
    let mut l = Lowerer::default();
    let mut parsed = Vec::new();
    for f in files {
        match yaml::parse(&f.text) {
            Ok(node) => parsed.push((f.name.clone(), node)),
            Err(e) => {
                l.err(e.code, &f.name, e.pos.unwrap_or_default(), e.message).label(e.label).help(e.help);
            }
        }
    }
    if files.is_empty() {
        l.err("empty-catalogue", "", Pos::default(), "the catalogue has no files")
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

#[derive(Default)]
struct Slot {
    ty: Option<NamedType>,
    defined_at: Option<(String, Pos)>,
}

/// A check that needs every type resolved first.
enum Pending {
    Value { file: String, node: Node, ty: TypeRef, what: &'static str },
    PayloadIsObject { file: String, pos: Pos, ty: TypeId, what: &'static str },
    RoomParam { file: String, pos: Pos, room: RoomId, payload: Option<TypeId>, event: String, required: bool },
    /// Constraints written on a use of a named type (an alias, once resolved, must accept them).
    NamedConstraints { file: String, ty: TypeId, constraints: Constraints, keys: Vec<(&'static str, Pos, Pos)> },
}

#[derive(Default)]
struct Lowerer {
    diags: Vec<Diagnostic>,
    domains: Vec<Domain>,
    slots: Vec<Slot>,
    type_index: BTreeMap<String, TypeId>,
    refs: Vec<(TypeId, String, Pos)>,
    rooms: Vec<Room>,
    /// Where each room is declared (file, id key), parallel to `rooms`.
    room_at: Vec<(String, Pos)>,
    room_index: BTreeMap<String, RoomId>,
    events: Vec<Event>,
    event_index: BTreeMap<String, (EventId, String, Pos)>,
    ident_index: BTreeMap<String, (String, String, Pos)>,
    groups: Vec<ConstGroup>,
    settings_at: Option<(String, Pos)>,
    name: Option<String>,
    namespace: Option<String>,
    migrations: Vec<Migration>,
    /// settings.heartbeat as written: event name, where, interval, max missed.
    heartbeat_spec: Option<(String, String, Pos, u32, u32)>,
    heartbeat: Option<Heartbeat>,
    pending: Vec<Pending>,
    /// Where each event's const and ident were written, for collision messages.
    event_pos: Vec<(String, Pos)>,
    /// Where each field is written, by (owning type name, wire name), for cycle messages.
    field_at: BTreeMap<(String, String), (String, Pos)>,
}

/// A mapping's entries with helpers for key checks.
struct Map<'a> {
    entries: &'a [(Node, Node)],
}

impl<'a> Map<'a> {
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }
    fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k.pos)
    }
}

fn present(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| n.kind != Kind::Null)
}

impl Lowerer {
    fn err(&mut self, code: &'static str, file: &str, pos: Pos, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, file, pos, msg));
        self.diags.last_mut().expect("just pushed")
    }

    /// Expects a mapping and reports keys outside `allowed`.
    fn map<'a>(&mut self, file: &str, node: &'a Node, what: &str, allowed: &[&str]) -> Option<Map<'a>> {
        let Kind::Map(entries) = &node.kind else {
            let found = node.kind_name();
            self.err("expected-mapping", file, node.pos, format!("{what} must be a mapping, found {found}"))
                .label(format!("this is {found}"));
            return None;
        };
        for (k, _) in entries {
            let Some(key) = k.as_str() else {
                self.err("invalid-key", file, k.pos, format!("keys of {what} must be strings"));
                continue;
            };
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied()).map_or_else(
                    || format!("allowed keys: {}", allowed.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
                self.err("unknown-key", file, k.pos, format!("unknown key `{key}` in {what}"))
                    .label("not a key of this mapping")
                    .help(hint);
            }
        }
        Some(Map { entries })
    }

    /// An optional string value.
    fn string(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<String> {
        let node = present(node)?;
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            _ => {
                let found = node.kind_name();
                self.err("expected-string", file, node.pos, format!("{what} must be a string, found {found}"));
                None
            }
        }
    }

    /// The name a mapping key gives (an event, type, room or group): a string. A YAML null key
    /// (`null:`, `~:`) or a number is reported, not skipped.
    fn key_name(&mut self, file: &str, k: &Node, what: &str) -> Option<String> {
        match &k.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Null => {
                self.err("expected-string", file, k.pos, format!("{what} must be a string, found null"))
                    .label("`null` and `~` are YAML nulls, not names")
                    .help("write the name; quote it (`'null':`) if it really is the word null");
                None
            }
            Kind::Seq(_) | Kind::Map(_) => {
                let found = k.kind_name();
                self.err("expected-string", file, k.pos, format!("{what} must be a string, found {found}"));
                None
            }
            _ => {
                let found = k.kind_name();
                self.err("expected-string", file, k.pos, format!("{what} must be a string, found {found}"))
                    .help(format!("quote it: `'{}':`", k.scalar_text()));
                None
            }
        }
    }

    fn string_list(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<Vec<(String, Pos)>> {
        let node = present(node)?;
        match &node.kind {
            Kind::Str(s) => Some(vec![(s.clone(), node.pos)]),
            Kind::Seq(items) => Some(
                items
                    .iter()
                    .filter_map(|i| {
                        if i.kind == Kind::Null {
                            self.err("expected-string", file, i.pos, format!("{what} must list strings, found null"));
                            return None;
                        }
                        self.string(file, Some(i), what).map(|s| (s, i.pos))
                    })
                    .collect(),
            ),
            _ => {
                let found = node.kind_name();
                self.err("expected-string", file, node.pos, format!("{what} must be a string or a list of strings, found {found}"));
                None
            }
        }
    }

    fn uint(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<u64> {
        let node = present(node)?;
        match node.kind {
            Kind::Int(i) if i >= 0 => Some(i as u64),
            _ => {
                self.err("expected-integer", file, node.pos, format!("{what} must be a whole number >= 0"));
                None
            }
        }
    }

    fn float(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<f64> {
        let node = present(node)?;
        match node.kind {
            Kind::Int(i) => Some(i as f64),
            Kind::Float(f) if f.is_finite() => Some(f),
            _ => {
                self.err("expected-number", file, node.pos, format!("{what} must be a number"));
                None
            }
        }
    }

    fn boolean(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<bool> {
        let node = present(node)?;
        match node.kind {
            Kind::Bool(b) => Some(b),
            _ => {
                self.err("expected-boolean", file, node.pos, format!("{what} must be true or false"));
                None
            }
        }
    }

    fn deprecation(&mut self, file: &str, node: Option<&Node>) -> Option<Deprecation> {
        let node = present(node)?;
        match &node.kind {
            Kind::Bool(true) => Some(Deprecation::default()),
            Kind::Bool(false) => None,
            Kind::Str(s) => Some(Deprecation { note: Some(s.clone()), ..Deprecation::default() }),
            Kind::Map(_) => {
                let m = self.map(file, node, "`deprecated`", keys::DEPRECATED)?;
                Some(Deprecation {
                    since: self.scalar_string(file, m.get("since"), "`since`"),
                    replacement: self.string(file, m.get("replacement"), "`replacement`"),
                    note: self.string(file, m.get("note"), "`note`"),
                })
            }
            _ => {
                self.err("invalid-deprecated", file, node.pos, "`deprecated` must be true, a note, or { since, replacement, note }");
                None
            }
        }
    }

    /// A string, or a number written without quotes (versions like `2.0`).
    fn scalar_string(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<String> {
        let node = present(node)?;
        match &node.kind {
            Kind::Int(_) | Kind::Float(_) => Some(node.scalar_text()),
            _ => self.string(file, Some(node), what),
        }
    }

    // ---- files and settings ----------------------------------------------------------------

    fn read_file<'a>(&mut self, file: &str, node: &'a Node) -> Option<FileDecl<'a>> {
        if node.kind == Kind::Null {
            self.err("empty-file", file, Pos { line: 1, col: 1 }, "the file is empty")
                .label("the file has no content")
                .help("a catalogue file starts with `domain: <name>`");
            return None;
        }
        let m = self.map(file, node, "a catalogue file", keys::FILE)?;
        let domain_name = match present(m.get("domain")) {
            None => {
                self.err("missing-key", file, node.pos, "a catalogue file needs `domain:`")
                    .help("add `domain: <snake_case name>` at the top of the file");
                return None;
            }
            Some(n) => {
                let s = self.string(file, Some(n), "`domain`")?;
                if !names::is_ascii_ident(&s) || s.to_lowercase() != s {
                    self.err("invalid-identifier", file, n.pos, format!("domain name `{s}` is not a snake_case identifier"))
                        .help("use lowercase letters, digits and `_`, e.g. `flash_sale`");
                }
                if let Some(d) = self.domains.iter().find(|d| d.name == s) {
                    let other = d.file.clone();
                    self.err("duplicate-name", file, n.pos, format!("domain `{s}` is also declared in {other}"))
                        .help("each domain lives in one file");
                }
                s
            }
        };
        let title = self.string(file, m.get("title"), "`title`").unwrap_or_else(|| {
            domain_name.split('_').map(names::pascal).collect::<Vec<_>>().join(" ")
        });
        let description = self.string(file, m.get("description"), "`description`").unwrap_or_default();
        let constants = self.string_list(file, m.get("constants"), "`constants`");
        let domain = self.domains.len();
        self.domains.push(Domain {
            name: domain_name,
            title,
            description,
            file: file.to_string(),
            types: Vec::new(),
            rooms: Vec::new(),
            events: Vec::new(),
        });
        let entries = |key: &str, this: &mut Self| -> Vec<(&'a Node, &'a Node)> {
            match present(m.get(key)) {
                None => Vec::new(),
                Some(n) => match &n.kind {
                    Kind::Map(e) => e.iter().map(|(k, v)| (k, v)).collect(),
                    _ => {
                        let found = n.kind_name();
                        this.err("expected-mapping", file, n.pos, format!("`{key}` must be a mapping, found {found}"));
                        Vec::new()
                    }
                },
            }
        };
        let types = entries("types", self);
        let rooms = entries("rooms", self);
        let events = entries("events", self);
        Some(FileDecl {
            file: file.to_string(),
            domain,
            constants,
            settings: present(m.get("settings")).map(|n| (m.key_pos("settings").unwrap_or(n.pos), n)),
            types,
            rooms,
            events,
            migrations: present(m.get("migrations")),
        })
    }

    fn settings(&mut self, decls: &[FileDecl]) {
        for d in decls {
            let Some((key_pos, node)) = d.settings else { continue };
            if let Some((other, at)) = &self.settings_at {
                let place = format!("{other}:{}:{}", at.line, at.col);
                self.err("duplicate-settings", &d.file, key_pos, format!("`settings` are already given at {place}"))
                    .label("second `settings`")
                    .help("keep catalogue-wide settings in one file");
                continue;
            }
            self.settings_at = Some((d.file.clone(), key_pos));
            let Some(m) = self.map(&d.file, node, "`settings`", keys::SETTINGS) else { continue };
            self.name = self.string(&d.file, m.get("catalogue"), "`catalogue`");
            self.namespace = self.string(&d.file, m.get("namespace"), "`namespace`");
            if let Some(ns) = &self.namespace
                && !ns.starts_with('/')
            {
                let pos = m.get("namespace").map_or(node.pos, |n| n.pos);
                self.err("invalid-namespace", &d.file, pos, format!("namespace `{ns}` must start with `/`"));
            }
            if let Some(h) = present(m.get("heartbeat"))
                && let Some(hm) = self.map(&d.file, h, "`heartbeat`", keys::HEARTBEAT)
            {
                let event = self.string(&d.file, hm.get("event"), "`event`");
                let bounded = |l: &mut Self, key: &str, default: u32| match l.uint(&d.file, hm.get(key), &format!("`{key}`")) {
                    None => default,
                    Some(n) if (1..=3600).contains(&n) => n as u32,
                    Some(_) => {
                        let pos = hm.get(key).map_or(h.pos, |n| n.pos);
                        l.err("invalid-value", &d.file, pos, format!("`{key}` must be between 1 and 3600"));
                        default
                    }
                };
                let interval = bounded(self, "interval_seconds", 30);
                let missed = bounded(self, "max_missed", 2);
                match event {
                    Some(e) => self.heartbeat_spec = Some((e, d.file.clone(), hm.get("event").map_or(h.pos, |n| n.pos), interval, missed)),
                    None => {
                        self.err("missing-key", &d.file, h.pos, "`heartbeat` needs `event:` (a client-to-server event)");
                    }
                }
            }
            let Some(groups) = present(m.get("constants")) else { continue };
            let Kind::Map(entries) = &groups.kind else {
                self.err("expected-mapping", &d.file, groups.pos, "`constants` must be a mapping of group name: { extends, extra }");
                continue;
            };
            for (k, v) in entries {
                let Some(name) = self.key_name(&d.file, k, "a constant group name") else { continue };
                let name = name.as_str();
                if !names::is_type_name(name) {
                    self.err("invalid-identifier", &d.file, k.pos, format!("constant group `{name}` is not a PascalCase identifier"));
                }
                let (description, extends, extra) = if v.kind == Kind::Null {
                    (None, None, Vec::new())
                } else if let Some(gm) = self.map(&d.file, v, &format!("constant group `{name}`"), keys::CONST_GROUP) {
                    let description = self.string(&d.file, gm.get("description"), "`description`");
                    let extends = self.string(&d.file, gm.get("extends"), "`extends`");
                    if let Some(e) = &extends
                        && !self.groups.iter().any(|g| &g.name == e)
                    {
                        let pos = gm.get("extends").map_or(v.pos, |n| n.pos);
                        self.err("unknown-constant-group", &d.file, pos, format!("`{e}` is not a constant group declared before `{name}`"))
                            .help("declare the group it extends first");
                    }
                    let mut extra = Vec::new();
                    if let Some(x) = present(gm.get("extra")) {
                        if let Kind::Map(xe) = &x.kind {
                            for (xk, xv) in xe {
                                if xk.kind == Kind::Null {
                                    let _ = self.key_name(&d.file, xk, "a constant key");
                                    continue;
                                }
                                let key = xk.scalar_text();
                                if !names::is_ascii_ident(&key) {
                                    self.err("invalid-identifier", &d.file, xk.pos, format!("constant key `{key}` is not an identifier"));
                                }
                                if let Some(val) = self.string(&d.file, Some(xv), "a constant value") {
                                    extra.push((key, val));
                                }
                            }
                        } else {
                            self.err("expected-mapping", &d.file, x.pos, "`extra` must be a mapping of KEY: value");
                        }
                    }
                    (description, extends, extra)
                } else {
                    continue;
                };
                self.groups.push(ConstGroup { name: name.to_string(), description, extends, extra });
            }
        }
    }

    // ---- rooms -------------------------------------------------------------------------------

    fn register_rooms(&mut self, d: &FileDecl) {
        for &(k, v) in &d.rooms {
            let file = d.file.as_str();
            let Some(id) = self.key_name(file, k, "a room id") else { continue };
            let Some(rust_ident) = names::rust_snake(&id).filter(|_| names::is_ascii_ident(&id)) else {
                self.err("invalid-identifier", file, k.pos, format!("room id `{id}` is not an identifier"))
                    .help("use a short snake_case id such as `order`; the wire name goes in `name:`");
                continue;
            };
            if id == "everyone" {
                self.err("reserved-name", file, k.pos, "`everyone` is reserved for events sent to every socket")
                    .help("choose another room id");
                continue;
            }
            if let Some(&other) = self.room_index.get(&id) {
                let (of, op) = self.room_at[other].clone();
                self.err("duplicate-name", file, k.pos, format!("room `{id}` is already declared at {of}:{}:{}", op.line, op.col))
                    .help("room ids are global across the catalogue; rename one of them (the wire name goes in `name:`)");
                continue;
            }
            let Some(m) = self.map(file, v, &format!("room `{id}`"), keys::ROOM) else { continue };
            let Some(template) = self.string(file, m.get("name"), "`name`") else {
                self.err("missing-key", file, k.pos, format!("room `{id}` needs `name:` (a template such as `{id}-{{{id}Id}}`)"));
                continue;
            };
            let tpos = m.get("name").map_or(k.pos, |n| n.pos);
            let Some((parts, param_names)) = self.parse_template(file, tpos, &template) else { continue };
            let mut sources: BTreeMap<String, ParamSource> = BTreeMap::new();
            if let Some(pn) = present(m.get("params")) {
                if let Kind::Map(pe) = &pn.kind {
                    for (pk, pv) in pe {
                        let pname = pk.scalar_text();
                        if !param_names.contains(&pname) {
                            let hint = did_you_mean(&pname, param_names.iter().map(String::as_str))
                                .map_or_else(|| format!("the template `{template}` has no `{{{pname}}}`"), |s| format!("did you mean `{s}`?"));
                            self.err("unknown-room-param", file, pk.pos, format!("`{pname}` is not a parameter of room `{id}`"))
                                .help(hint);
                            continue;
                        }
                        match pv.as_str() {
                            Some("payload") => {
                                sources.insert(pname, ParamSource::Payload);
                            }
                            Some("user") => {
                                sources.insert(pname, ParamSource::User);
                            }
                            _ => {
                                self.err("invalid-value", file, pv.pos, format!("the source of `{pname}` must be `payload` or `user`"));
                            }
                        }
                    }
                } else {
                    self.err("expected-mapping", file, pn.pos, "`params` must be a mapping such as `{ userId: user }`");
                }
            }
            const POLICIES: [&str; 4] = ["authenticated", "self", "app", "auto"];
            let access = match present(m.get("access")) {
                None => {
                    self.err("invalid-access", file, k.pos, format!("room `{id}` needs `access:` (authenticated, self, app or auto)"))
                        .help("add e.g. `access: authenticated`; the policies are authenticated, self, app and auto");
                    Access::Authenticated
                }
                Some(n) => match n.as_str() {
                    Some("authenticated") => Access::Authenticated,
                    Some("self") => Access::SelfOnly,
                    Some("app") => Access::App,
                    Some("auto") => Access::Auto,
                    _ => {
                        let got = n.scalar_text();
                        let hint = did_you_mean(&got, POLICIES).map_or_else(
                            || "use one of: authenticated, self, app, auto".to_string(),
                            |s| format!("did you mean `{s}`?"),
                        );
                        let msg = match &n.kind {
                            Kind::Seq(_) | Kind::Map(_) => format!("`access` of room `{id}` must be one policy, found {}", n.kind_name()),
                            _ => format!("`{got}` is not an access policy"),
                        };
                        self.err("invalid-access", file, n.pos, msg).label("unknown policy").help(hint);
                        Access::Authenticated
                    }
                },
            };
            let params: Vec<RoomParam> = param_names
                .iter()
                .map(|p| RoomParam {
                    name: p.clone(),
                    rust_ident: names::rust_snake(p).unwrap_or_else(|| "param".into()),
                    source: sources.get(p).copied().unwrap_or(ParamSource::Payload),
                })
                .collect();
            let user_params = params.iter().filter(|p| p.source == ParamSource::User).count();
            if matches!(access, Access::Auto | Access::SelfOnly) && user_params == 0 {
                self.err("invalid-access", file, tpos, format!("room `{id}` is `{}` but none of its parameters comes from the user",
                    if access == Access::Auto { "auto" } else { "self" }))
                    .help("mark the user's id as `params: { userId: user }`");
            }
            let description = self.string(file, m.get("description"), "`description`");
            let rid = self.rooms.len();
            self.room_index.insert(id.clone(), rid);
            self.room_at.push((file.to_string(), k.pos));
            self.domains[d.domain].rooms.push(rid);
            self.rooms.push(Room {
                pascal: names::pascal(&id),
                name: id,
                rust_ident,
                template,
                parts,
                params,
                access,
                description,
                domain: d.domain,
            });
        }
    }

    fn parse_template(&mut self, file: &str, pos: Pos, t: &str) -> Option<(Vec<TemplatePart>, Vec<String>)> {
        let mut parts = Vec::new();
        let mut params: Vec<String> = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    if rest.contains('}') {
                        self.err("invalid-template", file, pos, format!("unbalanced `}}` in room name `{t}`"));
                        return None;
                    }
                    parts.push(TemplatePart::Text(rest.to_string()));
                    break;
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(TemplatePart::Text(rest[..i].to_string()));
                    }
                    let Some(j) = rest[i..].find('}') else {
                        self.err("invalid-template", file, pos, format!("unclosed `{{` in room name `{t}`"));
                        return None;
                    };
                    let name = &rest[i + 1..i + j];
                    if !names::is_ascii_ident(name) {
                        self.err("invalid-template", file, pos, format!("`{{{name}}}` in room name `{t}` is not a parameter name"));
                        return None;
                    }
                    if params.iter().any(|p| p == name) {
                        self.err("invalid-template", file, pos, format!("parameter `{name}` appears twice in `{t}`"));
                        return None;
                    }
                    parts.push(TemplatePart::Param(params.len()));
                    params.push(name.to_string());
                    rest = &rest[i + j + 1..];
                }
            }
        }
        if t.chars().any(char::is_whitespace) || t.is_empty() {
            self.err("invalid-template", file, pos, format!("room name `{t}` must be non-empty without spaces"));
            return None;
        }
        Some((parts, params))
    }

    // ---- types -------------------------------------------------------------------------------

    /// The id for a type name, creating an undefined slot on first use.
    fn type_slot(&mut self, name: &str) -> TypeId {
        if let Some(&id) = self.type_index.get(name) {
            return id;
        }
        let id = self.slots.len();
        self.slots.push(Slot::default());
        self.type_index.insert(name.to_string(), id);
        id
    }

    /// Checks a new type name and reserves its slot; None when it cannot be used.
    fn declare_type(&mut self, file: &str, pos: Pos, name: &str) -> Option<TypeId> {
        if !names::is_type_name(name) {
            let suggestion = names::pascal(name);
            self.err("invalid-identifier", file, pos, format!("type name `{name}` is not a PascalCase identifier"))
                .help(format!("use ASCII letters and digits starting with a capital, e.g. `{suggestion}`"));
            return None;
        }
        if let Some(lang) = names::reserved_type_name(name) {
            self.err("reserved-word", file, pos, format!("type name `{name}` is reserved in {lang} and cannot be escaped"))
                .help(format!("rename it, e.g. `{name}Payload` or `App{name}`"));
            return None;
        }
        let id = self.type_slot(name);
        if let Some((other_file, other_pos)) = &self.slots[id].defined_at {
            let (of, op) = (other_file.clone(), *other_pos);
            self.err("duplicate-name", file, pos, format!("type `{name}` is already declared at {of}:{}:{}", op.line, op.col))
                .help("type names are global across the catalogue; rename one of them");
            return None;
        }
        self.slots[id].defined_at = Some((file.to_string(), pos));
        Some(id)
    }

    fn define(&mut self, id: TypeId, ty: NamedType) {
        let domain = ty.domain;
        self.slots[id].ty = Some(ty);
        self.domains[domain].types.push(id);
    }

    fn lower_types(&mut self, d: &FileDecl) {
        for &(k, v) in &d.types {
            let file = d.file.as_str();
            let Some(name) = self.key_name(file, k, "a type name") else { continue };
            let Some(id) = self.declare_type(file, k.pos, &name) else { continue };
            let ty = self.lower_named(file, d.domain, &name, v, TypeOrigin::Shared, true);
            if let Some(ty) = ty {
                self.define(id, ty);
            }
        }
    }

    /// Lowers a type declaration body (`fields:`, `enum:` or an alias).
    fn lower_named(&mut self, file: &str, domain: usize, name: &str, node: &Node, origin: TypeOrigin, explicit: bool) -> Option<NamedType> {
        let (kind, description, deprecated, example_node) = match &node.kind {
            Kind::Map(_) => {
                let allowed: Vec<&str> = keys::LONG_TYPE.iter().copied().filter(|k| *k != "name" && *k != "default").collect();
                let m = self.map(file, node, &format!("type `{name}`"), &allowed)?;
                let description = self.string(file, m.get("description"), "`description`");
                let deprecated = self.deprecation(file, m.get("deprecated"));
                let kind = if let Some(f) = present(m.get("fields")) {
                    self.reject_keys(file, &m, &["type", "enum", "items", "values", "encoding"], "an object type");
                    TypeKind::Object { fields: self.lower_fields(file, domain, name, f) }
                } else if let Some(e) = m.get("enum") {
                    TypeKind::Enum { values: self.lower_enum(file, name, e) }
                } else {
                    TypeKind::Alias { target: self.lower_long(file, domain, name, node, &m)? }
                };
                (kind, description, deprecated, m.get("example").cloned())
            }
            _ => (TypeKind::Alias { target: self.lower_spec(file, domain, name, node)? }, None, None, None),
        };
        if let Some(ex) = example_node {
            let ty = self.ref_to_slot(name);
            self.pending.push(Pending::Value { file: file.to_string(), node: ex.clone(), ty, what: "example" });
        }
        Some(NamedType {
            name: name.to_string(),
            domain,
            origin,
            explicit_name: explicit,
            kind,
            description,
            deprecated,
            example: None,
        })
    }

    fn ref_to_slot(&mut self, name: &str) -> TypeRef {
        TypeRef { kind: RefKind::Named(self.type_slot(name)), nullable: false, constraints: Constraints::default() }
    }

    fn reject_keys(&mut self, file: &str, m: &Map, keys: &[&str], what: &str) {
        for k in keys {
            if let Some(pos) = m.key_pos(k) {
                self.err("conflicting-keys", file, pos, format!("`{k}` does not apply to {what}"))
                    .help("an object has `fields:`; an enum has `enum:`; other types use `type:`");
            }
        }
    }

    fn lower_enum(&mut self, file: &str, owner: &str, node: &Node) -> Vec<EnumValue> {
        let Kind::Seq(items) = &node.kind else {
            self.err("invalid-enum", file, node.pos, format!("`enum` of `{owner}` must be a list of strings"));
            return Vec::new();
        };
        if items.is_empty() {
            self.err("invalid-enum", file, node.pos, format!("`enum` of `{owner}` is empty"));
        }
        let mut values: Vec<EnumValue> = Vec::new();
        for item in items {
            let Some(s) = item.as_str() else {
                self.err("invalid-enum", file, item.pos, format!("enum values must be strings, found {}", item.kind_name()))
                    .help("quote the value, e.g. `'1'`");
                continue;
            };
            let Some(v) = names::variant(s) else {
                self.err("invalid-identifier", file, item.pos, format!("enum value `{s}` has no letters or digits to name it by"));
                continue;
            };
            if values.iter().any(|x| x.wire_name == s) {
                self.err("duplicate-name", file, item.pos, format!("enum value `{s}` appears twice"));
                continue;
            }
            if let Some(x) = values.iter().find(|x| x.rust_ident == v) {
                let other = x.wire_name.clone();
                self.err("name-collision", file, item.pos, format!("enum values `{other}` and `{s}` both become the Rust variant `{v}`"))
                    .help("rename one of the values");
                continue;
            }
            values.push(EnumValue { wire_name: s.to_string(), rust_ident: v });
        }
        values
    }

    fn lower_fields(&mut self, file: &str, domain: usize, owner: &str, node: &Node) -> Vec<Field> {
        let Kind::Map(entries) = &node.kind else {
            self.err("expected-mapping", file, node.pos, format!("fields of `{owner}` must be a mapping of name: type"));
            return Vec::new();
        };
        let mut fields: Vec<Field> = Vec::new();
        for (k, v) in entries {
            // Numbers and booleans name a field as written (`1: string`); a null key names nothing.
            let raw = match &k.kind {
                Kind::Null | Kind::Seq(_) | Kind::Map(_) => {
                    let _ = self.key_name(file, k, "a field name");
                    continue;
                }
                _ => k.scalar_text(),
            };
            let (wire, optional) = match raw.strip_suffix('?') {
                Some(w) => (w.to_string(), true),
                None => (raw.clone(), false),
            };
            if wire.is_empty() {
                self.err("invalid-identifier", file, k.pos, "a field name is empty");
                continue;
            }
            let Some(rust_ident) = names::rust_snake(&wire) else {
                self.err("invalid-identifier", file, k.pos, format!("field `{wire}` has no letters or digits to name it by in Rust"))
                    .help("rename the field");
                continue;
            };
            if let Some(f) = fields.iter().find(|f| f.wire_name == wire) {
                let _ = f;
                self.err("duplicate-name", file, k.pos, format!("field `{wire}` appears twice in `{owner}`"));
                continue;
            }
            if let Some(f) = fields.iter().find(|f| f.rust_ident == rust_ident) {
                let other = f.wire_name.clone();
                self.err("name-collision", file, k.pos, format!("fields `{other}` and `{wire}` of `{owner}` both become the Rust field `{rust_ident}`"))
                    .help("rename one of the fields");
                continue;
            }
            let child = format!("{owner}{}", names::pascal(&wire));
            let (ty, description, default, example, deprecated) = match &v.kind {
                Kind::Map(_) => {
                    let Some(m) = self.map(file, v, &format!("field `{wire}`"), keys::LONG_TYPE) else { continue };
                    let Some(ty) = self.lower_long(file, domain, &child, v, &m) else { continue };
                    let description = self.string(file, m.get("description"), "`description`");
                    let deprecated = self.deprecation(file, m.get("deprecated"));
                    if let Some(ex) = present(m.get("example")) {
                        self.pending.push(Pending::Value { file: file.into(), node: ex.clone(), ty: ty.clone(), what: "example" });
                    }
                    let default = present(m.get("default")).map(|n| {
                        self.pending.push(Pending::Value { file: file.into(), node: n.clone(), ty: ty.clone(), what: "default" });
                        n.to_json()
                    });
                    if default.is_some() && !optional {
                        let pos = m.key_pos("default").unwrap_or(k.pos);
                        self.err("default-on-required", file, pos, format!("field `{wire}` is required, so its default would never apply"))
                            .help(format!("make it optional: `{wire}?:`"));
                    }
                    let example = present(m.get("example")).map(Node::to_json);
                    (ty, description, default, example, deprecated)
                }
                _ => {
                    let Some(ty) = self.lower_spec(file, domain, &child, v) else { continue };
                    (ty, None, None, None, None)
                }
            };
            self.field_at.insert((owner.to_string(), wire.clone()), (file.to_string(), k.pos));
            fields.push(Field {
                ts_key: names::ts_key(&wire),
                wire_name: wire,
                rust_ident,
                ty,
                optional,
                description,
                default,
                example,
                deprecated,
            });
        }
        fields
    }

    /// A type in field position: short string or long mapping.
    fn lower_spec(&mut self, file: &str, domain: usize, name_hint: &str, node: &Node) -> Option<TypeRef> {
        match &node.kind {
            Kind::Str(s) => self.parse_short(file, node.pos, s),
            Kind::Map(_) => {
                let m = self.map(file, node, "a type", keys::LONG_TYPE)?;
                self.lower_long(file, domain, name_hint, node, &m)
            }
            _ => {
                let found = node.kind_name();
                self.err("invalid-type", file, node.pos, format!("expected a type, found {found}"))
                    .help("write a type such as `string`, `integer`, `Location[]`, or a mapping with `type:`/`fields:`");
                None
            }
        }
    }

    /// Long form: `type`/`fields`/`enum`/`items`/`values` plus constraints.
    fn lower_long(&mut self, file: &str, domain: usize, name_hint: &str, node: &Node, m: &Map) -> Option<TypeRef> {
        let explicit_name = self.string(file, m.get("name"), "`name`");
        let name_pos = m.get("name").map_or(node.pos, |n| n.pos);
        let base: Option<TypeRef>;
        let mut int64 = false;
        let declared = present(m.get("type"));
        let has = |k: &str| present(m.get(k)).is_some();
        if has("fields") || m.get("enum").is_some() {
            if has("fields") && m.get("enum").is_some() {
                self.err("conflicting-keys", file, node.pos, "a type cannot have both `fields` and `enum`");
                return None;
            }
            if let Some(t) = declared {
                let want = if has("fields") { "object" } else { "enum" };
                if t.as_str() != Some(want) && !(want == "enum" && t.as_str() == Some("string")) {
                    self.err("conflicting-keys", file, t.pos, format!("`type: {}` contradicts `{}`", t.scalar_text(), if has("fields") { "fields" } else { "enum" }));
                }
            }
            let (tname, explicit) = match &explicit_name { Some(n) => (n.clone(), true), None => (name_hint.to_string(), false) };
            let id = self.declare_type(file, if explicit { name_pos } else { node.pos }, &tname)?;
            let kind = if let Some(f) = present(m.get("fields")) {
                TypeKind::Object { fields: self.lower_fields(file, domain, &tname, f) }
            } else {
                TypeKind::Enum { values: self.lower_enum(file, &tname, m.get("enum").expect("checked")) }
            };
            let description = None;
            self.define(id, NamedType { name: tname, domain, origin: TypeOrigin::Inline, explicit_name: explicit, kind, description, deprecated: None, example: None });
            base = Some(TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() });
        } else if let Some(items) = present(m.get("items")) {
            if let Some(t) = declared.filter(|t| t.as_str() != Some("array")) {
                self.err("conflicting-keys", file, t.pos, format!("`type: {}` contradicts `items`", t.scalar_text()));
            }
            let inner = self.lower_spec(file, domain, &format!("{name_hint}Item"), items)?;
            base = Some(TypeRef { kind: RefKind::Array(Box::new(inner)), nullable: false, constraints: Constraints::default() });
        } else if let Some(values) = present(m.get("values")) {
            if let Some(t) = declared.filter(|t| t.as_str() != Some("map")) {
                self.err("conflicting-keys", file, t.pos, format!("`type: {}` contradicts `values`", t.scalar_text()));
            }
            let inner = self.lower_spec(file, domain, &format!("{name_hint}Value"), values)?;
            base = Some(TypeRef { kind: RefKind::Map(Box::new(inner)), nullable: false, constraints: Constraints::default() });
        } else if let Some(t) = declared {
            let Some(s) = t.as_str() else {
                self.err("invalid-type", file, t.pos, "`type` must be a string such as `string` or `Location[]`");
                return None;
            };
            match s {
                "int64" => {
                    int64 = true;
                    let enc = match m.get("encoding").and_then(Node::as_str) {
                        Some("string") => Some(Int64Encoding::String),
                        Some("number") => Some(Int64Encoding::Number),
                        Some(other) => {
                            let pos = m.get("encoding").map_or(t.pos, |n| n.pos);
                            self.err("integer-policy", file, pos, format!("`encoding: {other}` is not `string` or `number`"));
                            None
                        }
                        None => {
                            self.err("integer-policy", file, t.pos, "a 64-bit integer needs an explicit wire encoding")
                                .label("JavaScript loses precision above 2^53")
                                .help("add `encoding: string` (a decimal string on the wire) or `encoding: number` (accepting precision loss)");
                            None
                        }
                    };
                    base = Some(TypeRef { kind: RefKind::Int64(enc.unwrap_or(Int64Encoding::String)), nullable: false, constraints: Constraints::default() });
                }
                "object" => {
                    self.err("missing-key", file, t.pos, "`type: object` needs `fields:`")
                        .help("list the fields, or use `json` / `map<json>` for free-form data");
                    return None;
                }
                "array" => {
                    self.err("missing-key", file, t.pos, "`type: array` needs `items:`");
                    return None;
                }
                "map" => {
                    self.err("missing-key", file, t.pos, "`type: map` needs `values:`");
                    return None;
                }
                _ => base = Some(self.parse_short(file, t.pos, s)?),
            }
        } else {
            self.err("missing-key", file, node.pos, "a type needs `type:`, `fields:`, `enum:`, `items:` or `values:`");
            return None;
        }
        let mut ty = base?;
        if explicit_name.is_some() && !matches!(ty.kind, RefKind::Named(_)) || (explicit_name.is_some() && !(has("fields") || m.get("enum").is_some())) {
            self.err("conflicting-keys", file, name_pos, "`name` only applies to an inline object (`fields:`) or enum (`enum:`)");
        }
        if !int64
            && let Some(pos) = m.key_pos("encoding")
        {
            self.err("conflicting-keys", file, pos, "`encoding` only applies to `type: int64`");
        }
        if let Some(n) = self.boolean(file, m.get("nullable"), "`nullable`") {
            ty.nullable |= n;
        }
        let c = Constraints {
            min_length: self.uint(file, m.get("min_length"), "`min_length`"),
            max_length: self.uint(file, m.get("max_length"), "`max_length`"),
            pattern: self.string(file, m.get("pattern"), "`pattern`"),
            minimum: self.float(file, m.get("minimum"), "`minimum`"),
            maximum: self.float(file, m.get("maximum"), "`maximum`"),
            min_items: self.uint(file, m.get("min_items"), "`min_items`"),
            max_items: self.uint(file, m.get("max_items"), "`max_items`"),
        };
        self.check_constraints(file, m, &ty, &c);
        ty.constraints = c;
        Some(ty)
    }

    fn check_constraints(&mut self, file: &str, m: &Map, ty: &TypeRef, c: &Constraints) {
        // Where each constraint is written: (key, key position, value position).
        let keys: Vec<(&'static str, Pos, Pos)> = CONSTRAINT_KEYS
            .iter()
            .filter(|k| present(m.get(k)).is_some())
            .map(|k| (*k, m.key_pos(k).unwrap_or_default(), m.get(k).map_or_else(Pos::default, |n| n.pos)))
            .collect();
        match &ty.kind {
            RefKind::Named(_) if m.get("fields").is_some() || m.get("enum").is_some() => {
                for (key, pos, _) in keys.iter().filter(|(k, _, _)| constraint_set(c, k)) {
                    self.err("constraint-mismatch", file, *pos, format!("`{key}` does not apply to an object or enum"));
                }
            }
            // A named type is an alias (checked once every alias resolves, in `finish`), an object or an enum.
            RefKind::Named(id) => {
                if !c.is_empty() {
                    self.pending.push(Pending::NamedConstraints { file: file.to_string(), ty: *id, constraints: c.clone(), keys });
                }
            }
            kind => self.check_constraint_kinds(file, kind, c, &keys, None),
        }
        if let (Some(a), Some(b)) = (c.min_length, c.max_length)
            && a > b
        {
            self.err("constraint-mismatch", file, m.key_pos("min_length").unwrap_or_default(), format!("`min_length` {a} is larger than `max_length` {b}"));
        }
        if let (Some(a), Some(b)) = (c.minimum, c.maximum)
            && a > b
        {
            self.err("constraint-mismatch", file, m.key_pos("minimum").unwrap_or_default(), format!("`minimum` {a} is larger than `maximum` {b}"));
        }
        if let (Some(a), Some(b)) = (c.min_items, c.max_items)
            && a > b
        {
            self.err("constraint-mismatch", file, m.key_pos("min_items").unwrap_or_default(), format!("`min_items` {a} is larger than `max_items` {b}"));
        }
        if let Some(p) = &c.pattern
            && let Err(e) = regex::Regex::new(p)
        {
            let last = e.to_string().lines().last().unwrap_or("").trim().to_string();
            let first = last.strip_prefix("error: ").unwrap_or(&last).to_string();
            self.err("invalid-pattern", file, m.get("pattern").map_or_else(Pos::default, |n| n.pos), format!("`pattern` is not a valid regular expression: {first}"));
        }
    }

    /// Reports constraints that do not apply to `kind` (the resolved type), and integer bounds
    /// outside the JavaScript-safe range. `alias` names the alias `kind` was reached through.
    fn check_constraint_kinds(&mut self, file: &str, kind: &RefKind, c: &Constraints, keys: &[(&'static str, Pos, Pos)], alias: Option<(&str, String)>) {
        let is_string = matches!(kind, RefKind::String);
        let is_num = matches!(kind, RefKind::Integer | RefKind::Number | RefKind::Int64(_));
        let is_array = matches!(kind, RefKind::Array(_));
        for &(key, pos, _) in keys {
            let (ok, what) = match key {
                "min_length" | "max_length" | "pattern" => (is_string, "strings"),
                "minimum" | "maximum" => (is_num, "numbers"),
                _ => (is_array, "arrays"),
            };
            if !ok && constraint_set(c, key) {
                let msg = match &alias {
                    None => format!("`{key}` only applies to {what}"),
                    Some((name, target)) => format!("`{key}` only applies to {what}, but `{name}` is an alias of `{target}`"),
                };
                self.err("constraint-mismatch", file, pos, msg);
            }
        }
        if matches!(kind, RefKind::Integer) {
            for &(key, _, vpos) in keys {
                let v = match key {
                    "minimum" => c.minimum,
                    "maximum" => c.maximum,
                    _ => None,
                };
                if let Some(v) = v {
                    if v.abs() > JS_SAFE_INT as f64 {
                        self.err("integer-policy", file, vpos, format!("`{key}` {v} is outside the JavaScript-safe integer range (|n| <= 2^53 - 1)"))
                            .help("use `type: int64` with an explicit `encoding:` for wider integers");
                    } else if v.fract() != 0.0 {
                        self.err("constraint-mismatch", file, vpos, format!("`{key}` of an integer must be a whole number"));
                    }
                }
            }
        }
    }

    /// Short forms: `string`, `Name`, `T[]`, `map<T>`, `T | null`.
    fn parse_short(&mut self, file: &str, pos: Pos, s: &str) -> Option<TypeRef> {
        self.parse_short_at(file, pos, s, 0)
    }

    /// `parse_short` at a nesting depth: `T[][]...` and `map<map<...>>` stop at MAX_DEPTH levels
    /// (the emitters recurse once per level).
    fn parse_short_at(&mut self, file: &str, pos: Pos, s: &str, depth: usize) -> Option<TypeRef> {
        if depth > yaml::MAX_DEPTH {
            self.err("too-deep", file, pos, format!("the type expression nests more than {} levels deep", yaml::MAX_DEPTH))
                .help("name the inner types under `types:` and refer to them");
            return None;
        }
        let s = s.trim();
        if let Some(inner) = s.strip_suffix("| null").or_else(|| s.strip_suffix("|null")) {
            let mut t = self.parse_short_at(file, pos, inner, depth + 1)?;
            t.nullable = true;
            return Some(t);
        }
        let none = Constraints::default();
        if let Some(inner) = s.strip_suffix("[]") {
            let t = self.parse_short_at(file, pos, inner, depth + 1)?;
            return Some(TypeRef { kind: RefKind::Array(Box::new(t)), nullable: false, constraints: none });
        }
        if let Some(inner) = s.strip_prefix("map<").and_then(|r| r.strip_suffix('>')) {
            let t = self.parse_short_at(file, pos, inner, depth + 1)?;
            return Some(TypeRef { kind: RefKind::Map(Box::new(t)), nullable: false, constraints: none });
        }
        let kind = match s {
            "string" => RefKind::String,
            "integer" => RefKind::Integer,
            "number" => RefKind::Number,
            "boolean" => RefKind::Boolean,
            "datetime" => RefKind::DateTime,
            "json" => RefKind::Json,
            "int64" => {
                self.err("integer-policy", file, pos, "a 64-bit integer needs an explicit wire encoding")
                    .label("JavaScript loses precision above 2^53")
                    .help("write it long: `{ type: int64, encoding: string }`");
                return None;
            }
            "int" | "float" | "double" | "bool" | "str" | "date" | "timestamp" | "any" | "object" | "array" | "map" => {
                let want = match s {
                    "int" => "integer",
                    "float" | "double" => "number",
                    "bool" => "boolean",
                    "str" => "string",
                    "date" | "timestamp" => "datetime",
                    "any" | "object" => "json (or map<json>)",
                    _ => "T[] or map<T>",
                };
                self.err("invalid-type", file, pos, format!("`{s}` is not a catalogue type"))
                    .help(format!("use `{want}`"));
                return None;
            }
            name if names::is_type_name(name) => {
                let id = self.type_slot(name);
                self.refs.push((id, file.to_string(), pos));
                RefKind::Named(id)
            }
            other => {
                let mut cands: Vec<&str> = PRIMITIVES.to_vec();
                let known: Vec<String> = self.type_index.keys().cloned().collect();
                cands.extend(known.iter().map(String::as_str));
                let hint = did_you_mean(other, cands).map_or_else(
                    || "use string, integer, number, boolean, datetime, json, a type name, T[], map<T> or T | null".to_string(),
                    |c| format!("did you mean `{c}`?"),
                );
                self.err("invalid-type", file, pos, format!("`{other}` is not a type"))
                    .label("unknown type expression")
                    .help(hint);
                return None;
            }
        };
        Some(TypeRef { kind, nullable: false, constraints: none })
    }

    // ---- events ------------------------------------------------------------------------------

    fn lower_events(&mut self, d: &FileDecl) {
        let file = d.file.as_str();
        for &(k, v) in &d.events {
            let Some(wire) = self.key_name(file, k, "an event name") else { continue };
            if wire.is_empty() || wire.chars().any(|c| c.is_whitespace() || c.is_control()) {
                self.err("invalid-identifier", file, k.pos, format!("event name `{wire}` must be non-empty without spaces"));
                continue;
            }
            if RESERVED_EVENTS.contains(&wire.as_str()) {
                self.err("reserved-event", file, k.pos, format!("`{wire}` is reserved by Socket.IO"))
                    .help(format!("choose another wire name, e.g. `app:{wire}`"));
                continue;
            }
            if let Some((_, of, op)) = self.event_index.get(&wire) {
                let (of, op) = (of.clone(), *op);
                self.err("duplicate-name", file, k.pos, format!("event `{wire}` is already declared at {of}:{}:{}", op.line, op.col))
                    .help("an event is declared once; give both directions in one entry with `to_client` and `to_server`");
                continue;
            }
            let Some(m) = self.map(file, v, &format!("event `{wire}`"), keys::EVENT) else { continue };
            let ident = match present(m.get("ident")) {
                Some(n) => {
                    let s = self.string(file, Some(n), "`ident`").unwrap_or_default();
                    if !names::is_ascii_ident(&s) || s.to_lowercase() != s {
                        self.err("invalid-identifier", file, n.pos, format!("`ident: {s}` is not a snake_case identifier"));
                        continue;
                    }
                    names::escape_rust(s)
                }
                None => match names::rust_snake(&wire) {
                    Some(s) => s,
                    None => {
                        self.err("invalid-identifier", file, k.pos, format!("event `{wire}` has no letters or digits to derive identifiers from"))
                            .help("set `ident:` to a snake_case name");
                        continue;
                    }
                },
            };
            if let Some((other, of, op)) = self.ident_index.get(names::unraw(&ident)) {
                let (other, of, op) = (other.clone(), of.clone(), *op);
                self.err("name-collision", file, k.pos, format!("events `{other}` ({of}:{}:{}) and `{wire}` both become the identifier `{ident}`", op.line, op.col))
                    .label("derived identifiers collide")
                    .help("set `ident:` on one of them, e.g. `ident: ".to_string() + names::unraw(&ident) + "_2`");
                continue;
            }
            let const_name = match present(m.get("const")) {
                Some(n) => {
                    let s = self.string(file, Some(n), "`const`").unwrap_or_default();
                    if !names::is_ascii_ident(&s) {
                        self.err("invalid-identifier", file, n.pos, format!("`const: {s}` is not an identifier"));
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
                self.err("missing-direction", file, k.pos, format!("event `{wire}` has neither `to_client` nor `to_server`"))
                    .help("add `to_client:` (server -> client) and/or `to_server:` (client -> server)");
                continue;
            }
            let id = self.events.len();
            self.event_index.insert(wire.clone(), (id, file.to_string(), k.pos));
            self.ident_index.insert(names::unraw(&ident).to_string(), (wire.clone(), file.to_string(), k.pos));
            self.domains[d.domain].events.push(id);
            self.event_pos.push((file.to_string(), m.get("const").map_or(k.pos, |n| n.pos)));
            self.events.push(Event { wire_name: wire, ident, pascal, const_name, constants, description, deprecated, domain: d.domain, to_client, to_server });
        }
        // Groups named at file level must exist too.
        for (g, pos) in d.constants.iter().flatten() {
            self.check_group(file, *pos, g);
        }
    }

    fn check_group(&mut self, file: &str, pos: Pos, g: &str) {
        if !self.groups.iter().any(|x| x.name == g) {
            let names: Vec<String> = self.groups.iter().map(|x| x.name.clone()).collect();
            let hint = did_you_mean(g, names.iter().map(String::as_str))
                .map_or_else(|| "declare it under `settings.constants`".to_string(), |s| format!("did you mean `{s}`?"));
            if !self.diags.iter().any(|d| d.code == "unknown-constant-group" && d.file == file && d.message.contains(&format!("`{g}`"))) {
                self.err("unknown-constant-group", file, pos, format!("constant group `{g}` is not declared"))
                    .help(hint);
            }
        }
    }

    /// Payload of a side: a type name or inline fields. Returns the type id.
    #[allow(clippy::too_many_arguments)] // each is one fact about where the payload sits; a struct would only rename them
    fn lower_payload(&mut self, file: &str, domain: usize, node: &Node, name: Option<(String, Pos)>, derived: String, origin: TypeOrigin, what: &'static str) -> Option<TypeId> {
        match &node.kind {
            Kind::Str(s) => {
                if let Some((_, pos)) = name {
                    self.err("conflicting-keys", file, pos, format!("`{}` only names an inline {what}; this one refers to `{s}`", if origin == TypeOrigin::Ack { "ack_name" } else { "name" }));
                }
                if !names::is_type_name(s) {
                    self.err("invalid-payload", file, node.pos, format!("a {what} must be a named object type, not `{s}`"))
                        .help("Socket.IO sends a tuple as several arguments, so every payload is an object: wrap the value in fields");
                    return None;
                }
                let id = self.type_slot(s);
                self.refs.push((id, file.to_string(), node.pos));
                self.pending.push(Pending::PayloadIsObject { file: file.into(), pos: node.pos, ty: id, what });
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
                self.err("invalid-payload", file, node.pos, format!("a {what} must be a type name or a mapping of fields, found {found}"));
                None
            }
        }
    }

    fn side_common(&mut self, file: &str, m: &Map, wrong: &[&str], dir: &str) {
        for k in wrong {
            if let Some(pos) = m.key_pos(k) {
                self.err("direction-mismatch", file, pos, format!("`{k}` does not apply to a {dir} event"))
                    .label("wrong direction")
                    .help(if dir == "server-to-client" {
                        "room joins, acks and delivery belong to `to_server` (client -> server)"
                    } else {
                        "target rooms (`to:`) belong to `to_client` (server -> client)"
                    });
            }
        }
    }

    fn name_key(&mut self, file: &str, m: &Map, key: &str) -> Option<(String, Pos)> {
        let n = present(m.get(key))?;
        self.string(file, Some(n), &format!("`{key}`")).map(|s| (s, n.pos))
    }

    fn lower_to_client(&mut self, file: &str, domain: usize, wire: &str, pascal: &str, node: &Node) -> Option<ToClient> {
        let m = self.map(file, node, &format!("`to_client` of `{wire}`"), keys::SIDE)?;
        self.side_common(file, &m, keys::TO_SERVER_ONLY, "server-to-client");
        let name = self.name_key(file, &m, "name");
        let payload = match present(m.get("payload")) {
            Some(p) => self.lower_payload(file, domain, p, name, format!("{pascal}Payload"), TypeOrigin::Payload, "payload"),
            None => {
                if let Some((_, pos)) = name {
                    self.err("conflicting-keys", file, pos, "`name` names an inline payload, but there is no `payload:`");
                }
                None
            }
        };
        let target = match present(m.get("to")) {
            None => {
                self.err("missing-target", file, node.pos, format!("server-to-client event `{wire}` needs `to:` (rooms, or `everyone`)"))
                    .help("e.g. `to: order` or `to: [product, store]` or `to: everyone`");
                Target::Everyone
            }
            Some(t) => {
                let list = self.string_list(file, Some(t), "`to`").unwrap_or_default();
                if matches!(&t.kind, Kind::Seq(items) if items.is_empty()) {
                    self.err("missing-target", file, t.pos, format!("`to: []` names no room, so `{wire}` would reach no one"))
                        .label("empty list")
                        .help("list at least one room, e.g. `to: [order]`, or write `to: everyone`");
                }
                if list.iter().any(|(s, _)| s == "everyone") {
                    if list.len() > 1 {
                        self.err("invalid-target", file, t.pos, "`everyone` cannot be combined with rooms");
                    }
                    Target::Everyone
                } else {
                    let mut rooms = Vec::new();
                    let mut seen: Vec<(String, Pos)> = Vec::new();
                    for (r, pos) in list {
                        if let Some((_, first)) = seen.iter().find(|(x, _)| *x == r) {
                            let first = *first;
                            self.err("duplicate-name", file, pos, format!("room `{r}` is listed twice in `to:`"))
                                .label(format!("listed again (first at {}:{})", first.line, first.col))
                                .help("remove the repeated room");
                            continue;
                        }
                        seen.push((r.clone(), pos));
                        if let Some(rid) = self.room_ref(file, pos, &r) {
                            self.pending.push(Pending::RoomParam { file: file.into(), pos, room: rid, payload, event: wire.into(), required: false });
                            rooms.push(rid);
                        }
                    }
                    Target::Rooms(rooms)
                }
            }
        };
        let description = self.string(file, m.get("description"), "`description`");
        let example = self.side_example(file, &m, payload, wire);
        Some(ToClient { payload, target, description, example })
    }

    /// A side's `example:`, checked against its payload once types resolve.
    fn side_example(&mut self, file: &str, m: &Map, payload: Option<TypeId>, wire: &str) -> Option<serde_json::Value> {
        let ex = present(m.get("example"))?;
        match payload {
            Some(id) => {
                let ty = TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() };
                self.pending.push(Pending::Value { file: file.into(), node: ex.clone(), ty, what: "example" });
            }
            None => {
                self.err("example-mismatch", file, ex.pos, format!("`{wire}` has no payload, so it cannot have an example"));
            }
        }
        Some(ex.to_json())
    }

    fn room_ref(&mut self, file: &str, pos: Pos, r: &str) -> Option<RoomId> {
        if let Some(&id) = self.room_index.get(r) {
            return Some(id);
        }
        let mut cands: Vec<&str> = self.room_index.keys().map(String::as_str).collect();
        cands.push("everyone");
        let hint = did_you_mean(r, cands).map_or_else(|| "declare it under `rooms:`".to_string(), |s| format!("did you mean `{s}`?"));
        self.err("unknown-room", file, pos, format!("room `{r}` is not declared")).help(hint);
        None
    }

    fn lower_to_server(&mut self, file: &str, domain: usize, wire: &str, pascal: &str, node: &Node) -> Option<ToServer> {
        let m = self.map(file, node, &format!("`to_server` of `{wire}`"), keys::SIDE)?;
        self.side_common(file, &m, keys::TO_CLIENT_ONLY, "client-to-server");
        let name = self.name_key(file, &m, "name");
        let payload = match present(m.get("payload")) {
            Some(p) => self.lower_payload(file, domain, p, name, format!("{pascal}Request"), TypeOrigin::Payload, "payload"),
            None => {
                if let Some((_, pos)) = name {
                    self.err("conflicting-keys", file, pos, "`name` names an inline payload, but there is no `payload:`");
                }
                None
            }
        };
        let ack_name = self.name_key(file, &m, "ack_name");
        let ack = match present(m.get("ack")) {
            Some(a) => self.lower_payload(file, domain, a, ack_name, format!("{pascal}Ack"), TypeOrigin::Ack, "ack"),
            None => {
                if let Some((_, pos)) = ack_name {
                    self.err("conflicting-keys", file, pos, "`ack_name` names an inline ack, but there is no `ack:`");
                }
                None
            }
        };
        let mut room_action = None;
        for key in ["joins", "leaves", "leaves_all"] {
            let Some(n) = present(m.get(key)) else { continue };
            let Some(r) = self.string(file, Some(n), &format!("`{key}`")) else { continue };
            if room_action.is_some() {
                self.err("conflicting-keys", file, n.pos, "an event joins or leaves at most one room");
                continue;
            }
            let Some(rid) = self.room_ref(file, n.pos, &r) else { continue };
            if self.rooms[rid].access == Access::Auto {
                let verb = if key == "joins" { "join" } else { "leave" };
                self.err("direction-mismatch", file, n.pos, format!("room `{r}` is joined automatically on connect; clients cannot {verb} it"))
                    .help("remove this room action");
                continue;
            }
            room_action = Some(match key {
                "joins" => RoomAction::Join(rid),
                "leaves" => RoomAction::Leave(rid),
                _ => RoomAction::LeaveAll(rid),
            });
            if key != "leaves_all" {
                self.pending.push(Pending::RoomParam { file: file.into(), pos: n.pos, room: rid, payload, event: wire.into(), required: true });
            }
        }
        let delivery = match present(m.get("delivery")) {
            None => Delivery::Reliable,
            Some(n) => match n.as_str() {
                Some("reliable") => Delivery::Reliable,
                Some("volatile") => Delivery::Volatile,
                _ => {
                    let hint = did_you_mean(&n.scalar_text(), ["reliable", "volatile"]).map_or("`reliable` or `volatile`".to_string(), |s| format!("did you mean `{s}`?"));
                    self.err("invalid-value", file, n.pos, "`delivery` must be `reliable` or `volatile`").help(hint);
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
                self.err("invalid-value", file, n.pos, format!("`rate_limit: {}` is not `N/s` or `N/min`", n.scalar_text()))
                    .help("e.g. `rate_limit: 10/s`");
            }
            parsed
        });
        let max_bytes = match present(m.get("max_bytes")) {
            None => DEFAULT_MAX_BYTES,
            Some(n) => match self.uint(file, Some(n), "`max_bytes`") {
                Some(0) => {
                    self.err("invalid-value", file, n.pos, "`max_bytes` must be at least 1");
                    DEFAULT_MAX_BYTES
                }
                Some(b) => b,
                None => DEFAULT_MAX_BYTES,
            },
        };
        let description = self.string(file, m.get("description"), "`description`");
        let example = self.side_example(file, &m, payload, wire);
        Some(ToServer { payload, ack, room_action, delivery, rate_limit, max_bytes, description, example })
    }

    fn lower_migrations(&mut self, d: &FileDecl) {
        let file = d.file.as_str();
        let Some(node) = d.migrations else { return };
        let Kind::Seq(items) = &node.kind else {
            self.err("expected-list", file, node.pos, "`migrations` must be a list of { title, events, note }");
            return;
        };
        for item in items {
            let Some(m) = self.map(file, item, "a migration note", keys::MIGRATION) else { continue };
            let title = self.string(file, m.get("title"), "`title`");
            let note = self.string(file, m.get("note"), "`note`");
            let (Some(title), Some(note)) = (title, note) else {
                self.err("missing-key", file, item.pos, "a migration note needs `title:` and `note:`");
                continue;
            };
            let mut events = Vec::new();
            for (e, pos) in self.string_list(file, m.get("events"), "`events`").unwrap_or_default() {
                match self.event_index.get(&e) {
                    Some((id, _, _)) => events.push(*id),
                    None => {
                        let names: Vec<String> = self.event_index.keys().cloned().collect();
                        let hint = did_you_mean(&e, names.iter().map(String::as_str)).map_or_else(|| "name an event of the catalogue".into(), |s| format!("did you mean `{s}`?"));
                        self.err("unknown-event", file, pos, format!("event `{e}` is not declared")).help(hint);
                    }
                }
            }
            self.migrations.push(Migration { title, events, note, domain: d.domain });
        }
    }

    // ---- resolution and deferred checks -------------------------------------------------------

    /// settings.heartbeat names a declared client-to-server event with an ack; its payload is
    /// checked in `finish`, once types are resolved.
    fn resolve_heartbeat(&mut self) {
        let Some((name, file, pos, interval_seconds, max_missed)) = self.heartbeat_spec.clone() else { return };
        let Some((id, _, _)) = self.event_index.get(&name).cloned() else {
            let names: Vec<String> = self.event_index.keys().cloned().collect();
            let hint = did_you_mean(&name, names.iter().map(String::as_str)).map_or_else(|| "name a client-to-server event of the catalogue".into(), |s| format!("did you mean `{s}`?"));
            self.err("unknown-event", &file, pos, format!("heartbeat event `{name}` is not declared")).help(hint);
            return;
        };
        if self.events[id].to_server.is_none() {
            self.err("invalid-heartbeat", &file, pos, format!("heartbeat event `{name}` has no `to_server` side"))
                .help("the client sends the heartbeat: give the event a `to_server:` with `payload: { timestamp: datetime }`");
            return;
        }
        self.heartbeat = Some(Heartbeat { event: id, interval_seconds, max_missed });
    }

    /// The client sends `{ timestamp }` and nothing else, so the heartbeat's payload must take
    /// exactly that. Run once payloads name their objects.
    fn check_heartbeat_payload(&mut self) {
        let (Some(h), Some((_, file, pos, _, _))) = (&self.heartbeat, &self.heartbeat_spec) else { return };
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
            let (file, pos, name) = (file.clone(), *pos, e.wire_name.clone());
            self.err("invalid-heartbeat", &file, pos, format!("heartbeat event `{name}`: {problem}"))
                .help("its payload must be `{ timestamp: datetime }` (other fields optional)");
        }
    }

    fn finish(mut self) -> LowerResult {
        // Unknown type references, once per reference site.
        let defined: Vec<String> = self.type_index.iter().filter(|(_, id)| self.slots[**id].defined_at.is_some()).map(|(n, _)| n.clone()).collect();
        let refs = std::mem::take(&mut self.refs);
        for (id, file, pos) in &refs {
            if self.slots[*id].defined_at.is_none() {
                let name = self.type_index.iter().find(|(_, v)| **v == *id).map(|(n, _)| n.clone()).unwrap_or_default();
                let mut cands: Vec<&str> = defined.iter().map(String::as_str).collect();
                cands.extend(PRIMITIVES);
                let hint = did_you_mean(&name, cands).map_or_else(|| format!("declare `{name}` under `types:` in any catalogue file"), |s| format!("did you mean `{s}`?"));
                self.err("unknown-type", file, *pos, format!("type `{name}` is not declared")).label("unknown type").help(hint);
            }
        }
        // Recursive types that no value or emitter can handle, before anything follows aliases.
        self.check_cycles();
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            match p {
                Pending::Value { file, node, ty, what } => {
                    if let Err(m) = self.check_value(&node, &ty, what, what, 0) {
                        self.err("example-mismatch", &file, m.pos, m.message)
                            .label(m.label)
                            .help("fix the value, or the type it is checked against");
                    }
                }
                Pending::PayloadIsObject { file, pos, ty, what } => {
                    // Not defined (reported as an unknown type) or defined in a file that failed.
                    let Some(t) = self.slots[ty].ty.as_ref() else { continue };
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
                        self.err("invalid-payload", &file, pos, msg)
                            .help("Socket.IO sends a tuple as several arguments, so every payload is an object with fields");
                    }
                }
                Pending::RoomParam { file, pos, room, payload, event, required } => {
                    let fields: Vec<Field> = match payload {
                        None => Vec::new(),
                        Some(id) => match self.payload_object(id).and_then(|o| self.slots[o].ty.as_ref()).map(|t| &t.kind) {
                            Some(TypeKind::Object { fields }) => fields.clone(),
                            // Not an object: reported as an invalid payload (or an unknown type).
                            _ => continue,
                        },
                    };
                    let r = self.rooms[room].clone();
                    for param in r.params.iter().filter(|p| p.source == ParamSource::Payload) {
                        match fields.iter().find(|f| f.wire_name == param.name) {
                            None if required => {
                                self.err("room-param-missing", &file, pos, format!("room `{}` (`{}`) needs `{}`, which the payload of `{event}` does not carry", r.name, r.template, param.name))
                                    .label("joins this room")
                                    .help(format!("add a required field `{}` to the payload, or take it from the token with `params: {{ {}: user }}`", param.name, param.name));
                            }
                            // A type that does not resolve (an alias cycle) is reported on its own.
                            Some(f) if self.resolve_ref(&f.ty).is_none() => {}
                            Some(f) if f.optional || f.ty.nullable || !self.is_scalar_key(&f.ty) => {
                                self.err("room-param-type", &file, pos, format!("payload field `{}` of `{event}` names room `{}`, so it must be a required string, integer or enum", param.name, r.name))
                                    .help("make the field required and scalar");
                            }
                            _ => {}
                        }
                    }
                }
                Pending::NamedConstraints { file, ty, constraints, keys } => {
                    let Some(name) = self.slots[ty].ty.as_ref().map(|t| t.name.clone()) else { continue };
                    let use_of = TypeRef { kind: RefKind::Named(ty), nullable: false, constraints: Constraints::default() };
                    // An alias cycle or an unknown type, reported on its own.
                    let Some(r) = self.resolve_ref(&use_of) else { continue };
                    match &r.kind {
                        RefKind::Named(id) => {
                            let (target, what) = match self.slots[*id].ty.as_ref().map(|t| (&t.name, &t.kind)) {
                                Some((n, TypeKind::Enum { .. })) => (n.clone(), "an enum"),
                                Some((n, _)) => (n.clone(), "an object type"),
                                None => continue,
                            };
                            for &(key, pos, _) in keys.iter().filter(|(k, _, _)| constraint_set(&constraints, k)) {
                                let msg = if target == name {
                                    format!("`{key}` does not apply to `{name}`, {what}")
                                } else {
                                    format!("`{key}` does not apply to `{name}`, an alias of `{target}` ({what})")
                                };
                                self.err("constraint-mismatch", &file, pos, msg);
                            }
                        }
                        kind => {
                            let target = self.show(&TypeRef { kind: kind.clone(), nullable: r.nullable, constraints: Constraints::default() });
                            self.check_constraint_kinds(&file, kind, &constraints, &keys, Some((&name, target)));
                        }
                    }
                }
            }
        }
        let errors = self.diags.iter().any(|d| d.severity == super::diagnostic::Severity::Error);
        if errors {
            return Err(self.diags);
        }
        // A payload or ack named through an alias is the object the alias stands for, so every
        // emitter sees an object type there.
        let to_object = |this: &Self, id: Option<TypeId>| id.map(|id| this.payload_object(id).unwrap_or(id));
        for i in 0..self.events.len() {
            let (c_payload, s_payload, s_ack) = {
                let e = &self.events[i];
                (
                    to_object(&self, e.to_client.as_ref().and_then(|s| s.payload)),
                    to_object(&self, e.to_server.as_ref().and_then(|s| s.payload)),
                    to_object(&self, e.to_server.as_ref().and_then(|s| s.ack)),
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
        self.check_heartbeat_payload();
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
        };
        let mut warnings = self.diags;
        warnings.extend(collisions(&catalogue, &self.event_pos));
        if warnings.iter().any(|d| d.severity == super::diagnostic::Severity::Error) {
            return Err(warnings);
        }
        Ok((catalogue, warnings))
    }

    /// Follows aliases from `t` to the type expression they stand for: nullability adds up, and
    /// constraints written nearer the use win. The result is not a named alias. None when the
    /// chain ends at an undefined type or never ends (a cycle, reported by `check_cycles`); the
    /// walk is bounded by the number of types, so a cycle cannot hang it.
    fn resolve_ref(&self, t: &TypeRef) -> Option<TypeRef> {
        let mut cur = t.clone();
        for _ in 0..=self.slots.len() {
            let RefKind::Named(id) = cur.kind else { return Some(cur) };
            match &self.slots.get(id)?.ty.as_ref()?.kind {
                TypeKind::Alias { target } => {
                    cur = TypeRef {
                        kind: target.kind.clone(),
                        nullable: target.nullable || cur.nullable,
                        constraints: merge_constraints(&target.constraints, &cur.constraints),
                    };
                }
                _ => return Some(cur),
            }
        }
        None
    }

    /// The object type a resolved type expression names, if it names one.
    fn object_of_ref(&self, r: &TypeRef) -> Option<TypeId> {
        match r.kind {
            RefKind::Named(id) if matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Object { .. })) => Some(id),
            _ => None,
        }
    }

    /// The object type a payload or ack names, directly or through aliases (never null).
    fn payload_object(&self, id: TypeId) -> Option<TypeId> {
        let r = self.resolve_ref(&TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() })?;
        if r.nullable { None } else { self.object_of_ref(&r) }
    }

    fn is_alias(&self, id: TypeId) -> bool {
        matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Alias { .. }))
    }

    /// A type expression in the catalogue's short form (`string`, `Sku[]`, `map<Price> | null`).
    fn show(&self, t: &TypeRef) -> String {
        let base = match &t.kind {
            RefKind::String => "string".to_string(),
            RefKind::Integer => "integer".to_string(),
            RefKind::Int64(_) => "int64".to_string(),
            RefKind::Number => "number".to_string(),
            RefKind::Boolean => "boolean".to_string(),
            RefKind::DateTime => "datetime".to_string(),
            RefKind::Json => "json".to_string(),
            RefKind::Named(id) => match self.slots[*id].ty.as_ref() {
                Some(n) => n.name.clone(),
                None => self.type_index.iter().find(|(_, v)| **v == *id).map(|(n, _)| n.clone()).unwrap_or_default(),
            },
            RefKind::Array(inner) => {
                let s = self.show(inner);
                if inner.nullable { format!("({s})[]") } else { format!("{s}[]") }
            }
            RefKind::Map(inner) => format!("map<{}>", self.show(inner)),
        };
        if t.nullable { format!("{base} | null") } else { base }
    }

    /// Reports recursive types that no value or no emitter can handle (`type-cycle`):
    /// - aliases that stand for themselves (`ProductId: Sku`, `Sku: ProductId`, or `A: A[]`);
    /// - types that require themselves (`Node { next: Node }`): no finite value exists;
    /// - unnamed inline objects that contain themselves: TypeScript and JSON Schema write inline
    ///   types out in place, so their output would never end.
    ///
    /// Recursion through an optional, nullable or list field of a named type is fine.
    fn check_cycles(&mut self) {
        let order: Vec<TypeId> = self.domains.iter().flat_map(|d| d.types.iter().copied()).filter(|id| self.slots[*id].ty.is_some()).collect();
        let mut reported: BTreeSet<TypeId> = BTreeSet::new();

        // 1. Aliases. An alias target names at most one type, so each alias has at most one edge.
        for &id in &order {
            if reported.contains(&id) || !self.is_alias(id) {
                continue;
            }
            let cycle = shortest_cycle(id, |x| match self.slots[x].ty.as_ref().map(|t| &t.kind) {
                Some(TypeKind::Alias { target }) => leaf(target).filter(|y| self.is_alias(*y)).map(|y| (String::new(), y)).into_iter().collect(),
                _ => Vec::new(),
            });
            let Some(cycle) = cycle else { continue };
            reported.extend(cycle.iter().map(|(t, _)| *t));
            let name = self.type_name(id);
            let (file, pos) = self.slots[id].defined_at.clone().unwrap_or_default();
            let path = self.cycle_text(id, &cycle);
            self.err("type-cycle", &file, pos, format!("alias `{name}` refers back to itself: {path}"))
                .label("alias cycle")
                .help("an alias must end at a real type; make one of these a `string`, an object (`fields:`) or an enum");
        }

        // 2. Types that need themselves: the least fixpoint of "a finite value exists".
        let n = self.slots.len();
        let mut inhabited: Vec<bool> = (0..n).map(|i| self.slots[i].ty.is_none()).collect();
        loop {
            let mut changed = false;
            for i in 0..n {
                if inhabited[i] {
                    continue;
                }
                let now = match &self.slots[i].ty.as_ref().expect("undefined slots start inhabited").kind {
                    TypeKind::Enum { .. } => true,
                    TypeKind::Alias { target } => required_leaf(target).is_none_or(|x| inhabited[x]),
                    TypeKind::Object { fields } => fields.iter().all(|f| f.optional || required_leaf(&f.ty).is_none_or(|x| inhabited[x])),
                };
                if now {
                    inhabited[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let required_edges = |x: TypeId| -> Vec<(String, TypeId)> {
            match self.slots[x].ty.as_ref().map(|t| &t.kind) {
                Some(TypeKind::Object { fields }) => fields
                    .iter()
                    .filter(|f| !f.optional)
                    .filter_map(|f| required_leaf(&f.ty).filter(|y| !inhabited[*y]).map(|y| (f.wire_name.clone(), y)))
                    .collect(),
                Some(TypeKind::Alias { target }) => required_leaf(target).filter(|y| !inhabited[*y]).map(|y| (String::new(), y)).into_iter().collect(),
                _ => Vec::new(),
            }
        };
        let mut found = Vec::new();
        for &id in &order {
            if inhabited[id] || reported.contains(&id) {
                continue;
            }
            if let Some(cycle) = shortest_cycle(id, required_edges) {
                reported.extend(cycle.iter().map(|(t, _)| *t));
                found.push((id, cycle));
            }
        }
        for (id, cycle) in found {
            let name = self.type_name(id);
            let path = self.cycle_text(id, &cycle);
            let field = cycle[0].1.clone();
            let (file, pos) = self.field_or_type_at(id, &field);
            let next = self.type_name(cycle.get(1).map_or(id, |(t, _)| *t));
            let help = if field.is_empty() {
                format!("make a field on this path optional (`name?:`), nullable (`{next} | null`) or a list (`{next}[]`)")
            } else {
                format!("make a field on this path optional (`{field}?:`), nullable (`{next} | null`) or a list (`{next}[]`)")
            };
            self.err("type-cycle", &file, pos, format!("`{name}` requires a value of its own type, so no finite value exists: {path}"))
                .label("required here")
                .help(help);
        }

        // 3. Unnamed inline objects that contain themselves (through any field).
        let inline = |x: TypeId| self.slots[x].ty.as_ref().is_some_and(|t| !t.explicit_name);
        let inline_edges = |x: TypeId| -> Vec<(String, TypeId)> {
            match self.slots[x].ty.as_ref().map(|t| &t.kind) {
                Some(TypeKind::Object { fields }) => {
                    fields.iter().filter_map(|f| leaf(&f.ty).filter(|y| inline(*y)).map(|y| (f.wire_name.clone(), y))).collect()
                }
                _ => Vec::new(),
            }
        };
        let mut found = Vec::new();
        for &id in &order {
            if !inline(id) || reported.contains(&id) {
                continue;
            }
            if let Some(cycle) = shortest_cycle(id, inline_edges) {
                reported.extend(cycle.iter().map(|(t, _)| *t));
                found.push((id, cycle));
            }
        }
        for (id, cycle) in found {
            let name = self.type_name(id);
            let path = self.cycle_text(id, &cycle);
            let (file, pos) = self.slots[id].defined_at.clone().unwrap_or_default();
            self.err("type-cycle", &file, pos, format!("the unnamed inline object `{name}` contains itself: {path}"))
                .label("inline object")
                .help(format!("inline objects are written out in place in TypeScript and JSON Schema; give this one a name (`name: {name}`) so it is declared once and referred to"));
        }
    }

    fn type_name(&self, id: TypeId) -> String {
        self.slots[id].ty.as_ref().map(|t| t.name.clone()).unwrap_or_default()
    }

    /// `` `A.next` -> `B` -> `A` ``: the steps of a cycle from `start` back to it.
    fn cycle_text(&self, start: TypeId, cycle: &[(TypeId, String)]) -> String {
        let mut parts: Vec<String> = cycle
            .iter()
            .map(|(t, field)| if field.is_empty() { format!("`{}`", self.type_name(*t)) } else { format!("`{}.{field}`", self.type_name(*t)) })
            .collect();
        parts.push(format!("`{}`", self.type_name(start)));
        parts.join(" -> ")
    }

    /// Where field `field` of type `id` is written, or the type when the field is unknown.
    fn field_or_type_at(&self, id: TypeId, field: &str) -> (String, Pos) {
        let name = self.type_name(id);
        self.field_at
            .get(&(name, field.to_string()))
            .cloned()
            .or_else(|| self.slots[id].defined_at.clone())
            .unwrap_or_default()
    }

    /// Can a room parameter take its value from a field of this type (a required string,
    /// integer or enum, through aliases)?
    fn is_scalar_key(&self, t: &TypeRef) -> bool {
        let Some(r) = self.resolve_ref(t) else { return false };
        if r.nullable {
            return false;
        }
        match r.kind {
            RefKind::String | RefKind::Integer | RefKind::Int64(_) => true,
            RefKind::Named(id) => matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Enum { .. })),
            _ => false,
        }
    }

    /// Checks a YAML value against a type. A mismatch names the bad value by its path from
    /// `root` (`example.items[0].status`). Aliases are followed by `resolve_ref` (bounded),
    /// values by their nesting (bounded by the YAML reader), and `depth` guards both.
    fn check_value(&self, node: &Node, ty: &TypeRef, path: &str, root: &str, depth: usize) -> Result<(), Mismatch> {
        if depth > MAX_CHECK_DEPTH {
            return Ok(());
        }
        // An undefined type or an alias cycle is reported on its own.
        let Some(ty) = self.resolve_ref(ty) else { return Ok(()) };
        let nested = path != root;
        let mismatch = |pos: Pos, msg: String, label: Option<&str>| Mismatch {
            pos,
            message: if nested { format!("`{path}` does not match its type: {msg}") } else { format!("{root} does not match its type: {msg}") },
            label: label.map_or_else(|| if nested { "this value".to_string() } else { format!("this {root}") }, str::to_string),
        };
        let bad = |msg: String| Err(mismatch(node.pos, msg, None));
        if node.kind == Kind::Null {
            return if ty.nullable { Ok(()) } else { bad("null is not allowed here (the type is not nullable)".into()) };
        }
        let c = &ty.constraints;
        match &ty.kind {
            RefKind::String | RefKind::DateTime | RefKind::Int64(Int64Encoding::String) => {
                let Some(s) = node.as_str() else { return bad(format!("expected a string, found {}", node.kind_name())) };
                if matches!(ty.kind, RefKind::DateTime) && !is_datetime(s) {
                    return bad(format!("`{s}` is not an ISO-8601 date-time such as 2026-11-26T09:30:00Z"));
                }
                if matches!(ty.kind, RefKind::Int64(_)) && s.parse::<i64>().is_err() {
                    return bad(format!("`{s}` is not a decimal 64-bit integer"));
                }
                let len = s.chars().count() as u64;
                if c.min_length.is_some_and(|m| len < m) || c.max_length.is_some_and(|m| len > m) {
                    return bad(format!("length {len} is outside {}", c.summary()));
                }
                if let Some(p) = &c.pattern
                    && let Ok(re) = regex::Regex::new(&format!("^(?:{p})$"))
                    && !re.is_match(s)
                {
                    return bad(format!("`{s}` does not match the pattern `{p}`"));
                }
                Ok(())
            }
            RefKind::Integer | RefKind::Int64(Int64Encoding::Number) => {
                let Kind::Int(i) = node.kind else { return bad(format!("expected an integer, found {}", node.kind_name())) };
                if matches!(ty.kind, RefKind::Integer) && i.unsigned_abs() > JS_SAFE_INT.unsigned_abs() {
                    return bad(format!("{i} is outside the JavaScript-safe integer range (|n| <= 2^53 - 1)"));
                }
                check_range(i as f64, c).or_else(bad)
            }
            RefKind::Number => {
                let v = match node.kind {
                    Kind::Int(i) => i as f64,
                    Kind::Float(f) => f,
                    _ => return bad(format!("expected a number, found {}", node.kind_name())),
                };
                check_range(v, c).or_else(bad)
            }
            RefKind::Boolean => match node.kind {
                Kind::Bool(_) => Ok(()),
                _ => bad(format!("expected true or false, found {}", node.kind_name())),
            },
            RefKind::Json => Ok(()),
            RefKind::Array(inner) => {
                let Kind::Seq(items) = &node.kind else { return bad(format!("expected a list, found {}", node.kind_name())) };
                let n = items.len() as u64;
                if c.min_items.is_some_and(|m| n < m) || c.max_items.is_some_and(|m| n > m) {
                    return bad(format!("{n} items is outside {}", c.summary()));
                }
                for (i, item) in items.iter().enumerate() {
                    self.check_value(item, inner, &format!("{path}[{i}]"), root, depth + 1)?;
                }
                Ok(())
            }
            RefKind::Map(inner) => {
                let Kind::Map(entries) = &node.kind else { return bad(format!("expected a mapping, found {}", node.kind_name())) };
                for (k, v) in entries {
                    self.check_value(v, inner, &format!("{path}.{}", k.scalar_text()), root, depth + 1)?;
                }
                Ok(())
            }
            RefKind::Named(id) => {
                let Some(t) = self.slots[*id].ty.as_ref() else { return Ok(()) };
                match &t.kind {
                    // `resolve_ref` never ends at an alias.
                    TypeKind::Alias { .. } => Ok(()),
                    TypeKind::Enum { values } => {
                        let Some(s) = node.as_str() else { return bad(format!("expected one of {}, found {}", list(values), node.kind_name())) };
                        if values.iter().any(|v| v.wire_name == s) {
                            Ok(())
                        } else {
                            bad(format!("`{s}` is not one of {}", list(values)))
                        }
                    }
                    TypeKind::Object { fields } => {
                        let Kind::Map(entries) = &node.kind else { return bad(format!("expected a `{}` object, found {}", t.name, node.kind_name())) };
                        for (k, v) in entries {
                            let key = k.scalar_text();
                            match fields.iter().find(|f| f.wire_name == key) {
                                None => {
                                    let hint = did_you_mean(&key, fields.iter().map(|f| f.wire_name.as_str()))
                                        .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                                    return Err(mismatch(k.pos, format!("`{}` has no field `{key}`{hint}", t.name), Some("unknown field")));
                                }
                                Some(f) => self.check_value(v, &f.ty, &format!("{path}.{key}"), root, depth + 1)?,
                            }
                        }
                        for f in fields.iter().filter(|f| !f.optional) {
                            if !entries.iter().any(|(k, _)| k.scalar_text() == f.wire_name) {
                                let message = if nested {
                                    format!("required field `{}` is missing from `{path}`", f.wire_name)
                                } else {
                                    format!("required field `{}` is missing from this {root}", f.wire_name)
                                };
                                let label = if nested { "this value".to_string() } else { format!("this {root}") };
                                return Err(Mismatch { pos: node.pos, message, label });
                            }
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

/// A value that does not match its type: where, what is wrong, and the label under the snippet.
struct Mismatch {
    pos: Pos,
    message: String,
    label: String,
}

/// How deep `check_value` goes (values are at most `yaml::MAX_DEPTH` deep, so this never cuts a
/// real check short).
const MAX_CHECK_DEPTH: usize = 4 * yaml::MAX_DEPTH;

/// The type a type expression names, through lists and maps (`Sku[]` -> `Sku`).
fn leaf(t: &TypeRef) -> Option<TypeId> {
    let mut cur = t;
    loop {
        match &cur.kind {
            RefKind::Named(id) => return Some(*id),
            RefKind::Array(inner) | RefKind::Map(inner) => cur = inner,
            _ => return None,
        }
    }
}

/// The type a value of `t` must contain, if any: not when `t` may be null, an empty list or an
/// empty map (`Node`, and `Node[]` with `min_items: 1`, must contain a `Node`).
fn required_leaf(t: &TypeRef) -> Option<TypeId> {
    let mut cur = t;
    loop {
        if cur.nullable {
            return None;
        }
        match &cur.kind {
            RefKind::Named(id) => return Some(*id),
            RefKind::Array(inner) if cur.constraints.min_items.is_some_and(|m| m > 0) => cur = inner,
            _ => return None,
        }
    }
}

/// The shortest way from `start` back to itself along `edges` (each step: a type and the label
/// of the edge taken from it), if `start` is on a cycle. Breadth-first, so no recursion.
fn shortest_cycle(start: TypeId, edges: impl Fn(TypeId) -> Vec<(String, TypeId)>) -> Option<Vec<(TypeId, String)>> {
    let mut prev: BTreeMap<TypeId, (TypeId, String)> = BTreeMap::new();
    let mut seen: BTreeSet<TypeId> = BTreeSet::from([start]);
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(cur) = queue.pop_front() {
        for (label, next) in edges(cur) {
            if next == start {
                let mut steps = vec![(cur, label)];
                let mut at = cur;
                while at != start {
                    let (p, l) = prev.get(&at).cloned()?;
                    steps.push((p, l));
                    at = p;
                }
                steps.reverse();
                return Some(steps);
            }
            if seen.insert(next) {
                prev.insert(next, (cur, label));
                queue.push_back(next);
            }
        }
    }
    None
}

/// The constraint keys of the long form, in the order they are checked.
const CONSTRAINT_KEYS: [&str; 7] = ["min_length", "max_length", "pattern", "minimum", "maximum", "min_items", "max_items"];

/// Is the constraint named `key` set in `c`?
fn constraint_set(c: &Constraints, key: &str) -> bool {
    match key {
        "min_length" => c.min_length.is_some(),
        "max_length" => c.max_length.is_some(),
        "pattern" => c.pattern.is_some(),
        "minimum" => c.minimum.is_some(),
        "maximum" => c.maximum.is_some(),
        "min_items" => c.min_items.is_some(),
        "max_items" => c.max_items.is_some(),
        _ => false,
    }
}

/// Constraints of a use of an alias on top of the alias's own: the nearer ones win.
fn merge_constraints(target: &Constraints, outer: &Constraints) -> Constraints {
    Constraints {
        min_length: outer.min_length.or(target.min_length),
        max_length: outer.max_length.or(target.max_length),
        pattern: outer.pattern.clone().or_else(|| target.pattern.clone()),
        minimum: outer.minimum.or(target.minimum),
        maximum: outer.maximum.or(target.maximum),
        min_items: outer.min_items.or(target.min_items),
        max_items: outer.max_items.or(target.max_items),
    }
}

fn list(values: &[EnumValue]) -> String {
    values.iter().map(|v| v.wire_name.as_str()).collect::<Vec<_>>().join(", ")
}

fn check_range(v: f64, c: &Constraints) -> Result<(), String> {
    if c.minimum.is_some_and(|m| v < m) || c.maximum.is_some_and(|m| v > m) {
        return Err(format!("{v} is outside {}", c.summary()));
    }
    Ok(())
}

/// RFC 3339 / ISO-8601 date-time with a zone, as `Date.prototype.toISOString` writes it, on a
/// day that exists (no February 30, no February 29 outside leap years).
pub fn is_datetime(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")
            .expect("valid regex")
    });
    let Some(caps) = re.captures(s) else { return false };
    let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok()).unwrap_or(0);
    let (year, month, day) = (number(1), number(2), number(3));
    day <= days_in_month(year, month)
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Collisions between derived names that only show once everything is lowered.
fn collisions(c: &Catalogue, event_pos: &[(String, Pos)]) -> Vec<Diagnostic> {
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
                    let (file, pos) = event_pos[i].clone();
                    let mut d = Diagnostic::error("name-collision", &file, pos, format!("constant `{}.{}` is used by both `{other}` and `{}`", g.name, e.const_name, e.wire_name));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> LowerResult {
        lower(&[SourceFile { name: "t.yaml".into(), text: text.into() }])
    }

    #[test]
    fn datetimes() {
        assert!(is_datetime("2026-11-26T09:30:00Z"));
        assert!(is_datetime("2026-11-26T09:30:00.123+01:00"));
        assert!(!is_datetime("2026-11-26"));
        assert!(!is_datetime("yesterday"));
        // Days that do not exist.
        assert!(!is_datetime("2026-02-30T09:30:00Z"));
        assert!(!is_datetime("2026-04-31T09:30:00Z"));
        assert!(!is_datetime("2026-02-29T09:30:00Z"));
        assert!(!is_datetime("1900-02-29T09:30:00Z"));
        assert!(is_datetime("2028-02-29T09:30:00Z"));
        assert!(is_datetime("2000-02-29T09:30:00Z"));
        assert!(is_datetime("2026-12-31T23:59:60Z"));
        assert!(is_datetime("2026-04-30T00:00:00-05:00"));
    }

    #[test]
    fn reports_every_problem_in_one_run() {
        let err = one("domain: t\nevents:\n  a:\n    to_client: { payloadd: {} , to: everyone}\n  b:\n    to_server: { payload: Nope }\n").unwrap_err();
        let codes: Vec<&str> = err.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"unknown-key"), "{codes:?}");
        assert!(codes.contains(&"unknown-type"), "{codes:?}");
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
