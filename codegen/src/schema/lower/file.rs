//! A file's top level (`domain:`, the item maps) and catalogue-wide `settings` (name,
//! namespace, heartbeat, constant groups).

use crate::schema::codes::Code;
use super::read::present;
use super::{FileDecl, HeartbeatSpec, Loc, Lowerer};
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::names;
use crate::schema::raw::{FORMAT_VERSION, keys};
use crate::schema::yaml::{Kind, Node, Pos};

impl Lowerer {
    /// Checks `format:` before anything else, and gives up on a file written in another format
    /// version: its keys would only produce follow-on errors. Absent means version 1.
    fn check_format(&mut self, file: &str, node: &Node) -> Option<()> {
        let Kind::Map(entries) = &node.kind else { return Some(()) };
        let Some((_, v)) = entries.iter().find(|(k, _)| k.as_str() == Some("format")) else { return Some(()) };
        let want = FORMAT_VERSION;
        match v.kind {
            Kind::Null => Some(()),
            Kind::Int(n) if n == want as i64 => Some(()),
            Kind::Int(n) if n > want as i64 => {
                self.err(Code::UnsupportedFormat, file, v.pos, format!("catalogue format {n} is newer than this Switchboard reads ({want})"))
                    .label("format version of this file")
                    .help(format!("upgrade switchboard (the build-dependency and the CLI), or write the file in format {want}"));
                None
            }
            _ => {
                let found = match &v.kind {
                    Kind::Int(n) => n.to_string(),
                    Kind::Float(f) => f.to_string(),
                    Kind::Str(s) => format!("\"{s}\""),
                    _ => v.kind_name().to_string(),
                };
                self.err(Code::UnsupportedFormat, file, v.pos, format!("unknown catalogue format {found}"))
                    .label("not a format version")
                    .help(format!("the catalogue format is the integer {want}: write `format: {want}`"));
                None
            }
        }
    }

    pub(super) fn read_file<'a>(&mut self, file: &str, node: &'a Node) -> Option<FileDecl<'a>> {
        if node.kind == Kind::Null {
            self.err(Code::EmptyFile, file, Pos { line: 1, col: 1 }, "the file is empty")
                .label("the file has no content")
                .help("a catalogue file starts with `domain: <name>`");
            return None;
        }
        self.check_format(file, node)?;
        let m = self.map(file, node, "a catalogue file", keys::FILE)?;
        let domain_name = match present(m.get("domain")) {
            None => {
                self.err(Code::MissingKey, file, node.pos, "a catalogue file needs `domain:`")
                    .help("add `domain: <snake_case name>` at the top of the file");
                return None;
            }
            Some(n) => {
                let s = self.string(file, Some(n), "`domain`")?;
                if !names::is_ascii_ident(&s) || s.to_lowercase() != s {
                    self.err(Code::InvalidIdentifier, file, n.pos, format!("domain name `{s}` is not a snake_case identifier"))
                        .help("use lowercase letters, digits and `_`, e.g. `flash_sale`");
                }
                if let Some(d) = self.domains.iter().find(|d| d.name == s) {
                    let other = d.file.clone();
                    self.err(Code::DuplicateName, file, n.pos, format!("domain `{s}` is also declared in {other}"))
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
                        this.err(Code::ExpectedMapping, file, n.pos, format!("`{key}` must be a mapping, found {found}"));
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

    pub(super) fn settings(&mut self, decls: &[FileDecl]) {
        for d in decls {
            let Some((key_pos, node)) = d.settings else { continue };
            if let Some(other) = &self.settings_at {
                let place = other.to_string();
                self.err(Code::DuplicateSettings, &d.file, key_pos, format!("`settings` are already given at {place}"))
                    .label("second `settings`")
                    .help("keep catalogue-wide settings in one file");
                continue;
            }
            self.settings_at = Some(Loc::new(&d.file, key_pos));
            let Some(m) = self.map(&d.file, node, "`settings`", keys::SETTINGS) else { continue };
            self.name = self.string(&d.file, m.get("catalogue"), "`catalogue`");
            self.namespace = self.string(&d.file, m.get("namespace"), "`namespace`");
            if let Some(ns) = &self.namespace
                && !ns.starts_with('/')
            {
                let pos = m.get("namespace").map_or(node.pos, |n| n.pos);
                self.err(Code::InvalidNamespace, &d.file, pos, format!("namespace `{ns}` must start with `/`"));
            }
            if let Some(ts) = present(m.get("typescript"))
                && let Some(tm) = self.map(&d.file, ts, "`typescript`", keys::TYPESCRIPT)
                && let Some(prelude) = self.string(&d.file, tm.get("prelude"), "`prelude`")
            {
                self.ts_prelude_names = names::ts_exports(&prelude);
                self.ts_prelude = Some(prelude);
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
                        l.err(Code::InvalidValue, &d.file, pos, format!("`{key}` must be between 1 and 3600"));
                        default
                    }
                };
                let interval = bounded(self, "interval_seconds", 30);
                let missed = bounded(self, "max_missed", 2);
                match event {
                    Some(event) => {
                        let at = Loc::new(&d.file, hm.get("event").map_or(h.pos, |n| n.pos));
                        self.heartbeat_spec = Some(HeartbeatSpec { event, at, interval_seconds: interval, max_missed: missed });
                    }
                    None => {
                        self.err(Code::MissingKey, &d.file, h.pos, "`heartbeat` needs `event:` (a client-to-server event)");
                    }
                }
            }
            if let Some(r) = present(m.get("reconnect")) {
                self.reconnect = self.reconnect_settings(&d.file, r);
            }
            if let Some(r) = present(m.get("recovery")) {
                self.recovery_settings(&d.file, r);
            }
            let Some(groups) = present(m.get("constants")) else { continue };
            let Kind::Map(entries) = &groups.kind else {
                self.err(Code::ExpectedMapping, &d.file, groups.pos, "`constants` must be a mapping of group name: { extends, extra }");
                continue;
            };
            for (k, v) in entries {
                let Some(name) = self.key_name(&d.file, k, "a constant group name") else { continue };
                let name = name.as_str();
                if !names::is_type_name(name) {
                    self.err(Code::InvalidIdentifier, &d.file, k.pos, format!("constant group `{name}` is not a PascalCase identifier"));
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
                        self.err(Code::UnknownConstantGroup, &d.file, pos, format!("`{e}` is not a constant group declared before `{name}`"))
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
                                    self.err(Code::InvalidIdentifier, &d.file, xk.pos, format!("constant key `{key}` is not an identifier"));
                                }
                                if let Some(val) = self.string(&d.file, Some(xv), "a constant value") {
                                    extra.push((key, val));
                                }
                            }
                        } else {
                            self.err(Code::ExpectedMapping, &d.file, x.pos, "`extra` must be a mapping of KEY: value");
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

    /// settings.reconnect: each key optional (defaults 1, 16, 10), delays 1-3600 s with
    /// max >= base, 1-1000 attempts.
    fn reconnect_settings(&mut self, file: &str, node: &Node) -> Option<Reconnect> {
        let m = self.map(file, node, "`reconnect`", keys::RECONNECT)?;
        let bounded = |l: &mut Self, key: &str, default: u32, max: u32| match l.uint(file, m.get(key), &format!("`{key}`")) {
            None => Some(default),
            Some(n) if (1..=u64::from(max)).contains(&n) => Some(n as u32),
            Some(_) => {
                let pos = m.get(key).map_or(node.pos, |n| n.pos);
                l.err(Code::InvalidValue, file, pos, format!("`{key}` must be between 1 and {max}"));
                None
            }
        };
        let d = Reconnect::DEFAULT;
        let base = bounded(self, "base_seconds", d.base_seconds, 3600);
        let max = bounded(self, "max_seconds", d.max_seconds.max(base.unwrap_or(1)), 3600);
        let attempts = bounded(self, "max_attempts", d.max_attempts, 1000);
        if let (Some(base), Some(max)) = (base, max)
            && max < base
        {
            let pos = m.get("max_seconds").map_or(node.pos, |n| n.pos);
            self.err(Code::InvalidValue, file, pos, format!("`max_seconds` ({max}) is less than `base_seconds` ({base})"))
                .help("delays double from `base_seconds` up to `max_seconds`");
            return None;
        }
        Some(Reconnect { base_seconds: base?, max_seconds: max?, max_attempts: attempts? })
    }

    /// settings.recovery: a window of 1 s to a day, and 1 to 100,000 events per room.
    fn recovery_settings(&mut self, file: &str, node: &Node) {
        let Some(rm) = self.map(file, node, "`recovery`", keys::RECOVERY) else { return };
        let bounded = |l: &mut Self, key: &str, max: u64| -> Option<u32> {
            let n = l.uint(file, rm.get(key), &format!("`{key}`"))?;
            if (1..=max).contains(&n) {
                return u32::try_from(n).ok();
            }
            let pos = rm.get(key).map_or(node.pos, |n| n.pos);
            l.err(Code::InvalidValue, file, pos, format!("`{key}` must be between 1 and {max}")).label("out of range");
            None
        };
        let window = bounded(self, "window_seconds", 86_400);
        let max_events = if present(rm.get("max_events_per_room")).is_some() { bounded(self, "max_events_per_room", 100_000) } else { Some(1_000) };
        if present(rm.get("window_seconds")).is_none() {
            self.err(Code::MissingKey, file, node.pos, "`recovery` needs `window_seconds:`")
                .help("e.g. `recovery: { window_seconds: 120 }`: how long a client may be away and still get what it missed");
        }
        if let (Some(window_seconds), Some(max_events_per_room)) = (window, max_events) {
            self.recovery = Some(Recovery { window_seconds, max_events_per_room });
        }
    }

    /// settings.heartbeat names a declared client-to-server event with an ack; its payload is
    /// checked in `finish`, once types are resolved.
    pub(super) fn resolve_heartbeat(&mut self) {
        let Some(HeartbeatSpec { event: name, at, interval_seconds, max_missed }) = self.heartbeat_spec.clone() else { return };
        let Some((id, _)) = self.event_index.get(&name).cloned() else {
            let names: Vec<String> = self.event_index.keys().cloned().collect();
            let hint = did_you_mean(&name, names.iter().map(String::as_str)).map_or_else(|| "name a client-to-server event of the catalogue".into(), |s| format!("did you mean `{s}`?"));
            self.err(Code::UnknownEvent, &at.file, at.pos, format!("heartbeat event `{name}` is not declared")).help(hint);
            return;
        };
        if self.events[id].to_server.is_none() {
            self.err(Code::InvalidHeartbeat, &at.file, at.pos, format!("heartbeat event `{name}` has no `to_server` side"))
                .help("the client sends the heartbeat: give the event a `to_server:` with `payload: { timestamp: datetime }`");
            return;
        }
        self.heartbeat = Some(Heartbeat { event: id, interval_seconds, max_missed });
    }
}
