//! `rooms:`: ids, name templates, parameter sources and access policies.

use crate::schema::codes::Code;
use super::read::present;
use super::{FileDecl, Loc, Lowerer};
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::names;
use crate::schema::raw::keys;
use crate::schema::yaml::{Kind, Pos};
use std::collections::BTreeMap;

impl Lowerer {
    pub(super) fn register_rooms(&mut self, d: &FileDecl) {
        for &(k, v) in &d.rooms {
            let file = d.file.as_str();
            let Some(id) = self.key_name(file, k, "a room id") else { continue };
            let Some(rust_ident) = names::rust_snake(&id).filter(|_| names::is_ascii_ident(&id)) else {
                self.err(Code::InvalidIdentifier, file, k.pos, format!("room id `{id}` is not an identifier"))
                    .help("use a short snake_case id such as `order`; the wire name goes in `name:`");
                continue;
            };
            if id == "everyone" {
                self.err(Code::ReservedName, file, k.pos, "`everyone` is reserved for events sent to every socket")
                    .help("choose another room id");
                continue;
            }
            if let Some(&other) = self.room_index.get(&id) {
                let other = self.room_at[other].clone();
                self.duplicate(file, k.pos, &format!("room `{id}`"), &other)
                    .help("room ids are global across the catalogue; rename one of them (the wire name goes in `name:`)");
                continue;
            }
            let Some(m) = self.map(file, v, &format!("room `{id}`"), keys::ROOM) else { continue };
            let Some(template) = self.string(file, m.get("name"), "`name`") else {
                self.err(Code::MissingKey, file, k.pos, format!("room `{id}` needs `name:` (a template such as `{id}-{{{id}Id}}`)"));
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
                            self.err(Code::UnknownRoomParam, file, pk.pos, format!("`{pname}` is not a parameter of room `{id}`"))
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
                                self.err(Code::InvalidValue, file, pv.pos, format!("the source of `{pname}` must be `payload` or `user`"));
                            }
                        }
                    }
                } else {
                    self.err(Code::ExpectedMapping, file, pn.pos, "`params` must be a mapping such as `{ userId: user }`");
                }
            }
            const POLICIES: [&str; 4] = ["authenticated", "self", "app", "auto"];
            let access = match present(m.get("access")) {
                None => {
                    self.err(Code::InvalidAccess, file, k.pos, format!("room `{id}` needs `access:` (authenticated, self, app or auto)"))
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
                        self.err(Code::InvalidAccess, file, n.pos, msg).label("unknown policy").help(hint);
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
                self.err(Code::InvalidAccess, file, tpos, format!("room `{id}` is `{}` but none of its parameters comes from the user",
                    if access == Access::Auto { "auto" } else { "self" }))
                    .help("mark the user's id as `params: { userId: user }`");
            }
            let description = self.string(file, m.get("description"), "`description`");
            let rid = self.rooms.len();
            self.room_index.insert(id.clone(), rid);
            self.room_at.push(Loc::new(file, k.pos));
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

    pub(super) fn parse_template(&mut self, file: &str, pos: Pos, t: &str) -> Option<(Vec<TemplatePart>, Vec<String>)> {
        let mut parts = Vec::new();
        let mut params: Vec<String> = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    if rest.contains('}') {
                        self.err(Code::InvalidTemplate, file, pos, format!("unbalanced `}}` in room name `{t}`"));
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
                        self.err(Code::InvalidTemplate, file, pos, format!("unclosed `{{` in room name `{t}`"));
                        return None;
                    };
                    let name = &rest[i + 1..i + j];
                    if !names::is_ascii_ident(name) {
                        self.err(Code::InvalidTemplate, file, pos, format!("`{{{name}}}` in room name `{t}` is not a parameter name"));
                        return None;
                    }
                    if params.iter().any(|p| p == name) {
                        self.err(Code::InvalidTemplate, file, pos, format!("parameter `{name}` appears twice in `{t}`"));
                        return None;
                    }
                    parts.push(TemplatePart::Param(params.len()));
                    params.push(name.to_string());
                    rest = &rest[i + j + 1..];
                }
            }
        }
        if t.chars().any(char::is_whitespace) || t.is_empty() {
            self.err(Code::InvalidTemplate, file, pos, format!("room name `{t}` must be non-empty without spaces"));
            return None;
        }
        Some((parts, params))
    }

    pub(super) fn room_ref(&mut self, file: &str, pos: Pos, r: &str) -> Option<RoomId> {
        if let Some(&id) = self.room_index.get(r) {
            return Some(id);
        }
        let mut cands: Vec<&str> = self.room_index.keys().map(String::as_str).collect();
        cands.push("everyone");
        let hint = did_you_mean(r, cands.iter().copied()).map_or_else(
            || {
                let declared: Vec<String> = self.room_index.keys().map(|k| format!("`{k}`")).collect();
                if declared.is_empty() {
                    "declare it under `rooms:`; no rooms are declared, the built-in target is `everyone`".to_string()
                } else {
                    format!("declare it under `rooms:`; the declared rooms are {}, and the built-in `everyone`", declared.join(", "))
                }
            },
            |s| format!("did you mean `{s}`?"),
        );
        self.err(Code::UnknownRoom, file, pos, format!("room `{r}` is not declared")).help(hint);
        None
    }
}
