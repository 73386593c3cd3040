//! `types:` and every type expression: named declarations, fields, enums, the long form and the
//! short forms (`T[]`, `map<T>`, `T | null`).

use crate::schema::codes::Code;
use super::read::{Map, present};
use super::{FileDecl, Loc, Lowerer, Pending, Slot};
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::names;
use crate::schema::raw::keys;
use crate::schema::yaml::{self, Kind, Node, Pos};

/// The primitive type names, offered as suggestions next to declared types.
pub(super) const PRIMITIVES: &[&str] = &["string", "integer", "number", "boolean", "datetime", "json"];

impl Lowerer {
    /// The id for a type name, creating an undefined slot on first use.
    pub(super) fn type_slot(&mut self, name: &str) -> TypeId {
        if let Some(&id) = self.type_index.get(name) {
            return id;
        }
        let id = self.slots.len();
        self.slots.push(Slot::default());
        self.type_index.insert(name.to_string(), id);
        id
    }

    /// Checks a new type name and reserves its slot; None when it cannot be used.
    pub(super) fn declare_type(&mut self, file: &str, pos: Pos, name: &str) -> Option<TypeId> {
        if !names::is_type_name(name) {
            let suggestion = names::pascal(name);
            self.err(Code::InvalidIdentifier, file, pos, format!("type name `{name}` is not a PascalCase identifier"))
                .help(format!("use ASCII letters and digits starting with a capital, e.g. `{suggestion}`"));
            return None;
        }
        if self.ts_prelude_names.iter().any(|n| n == name) {
            self.err(Code::ReservedWord, file, pos, format!("type name `{name}` is declared by the TypeScript prelude (settings.typescript.prelude)"))
                .help(format!("rename it, e.g. `{name}Payload`, or rename the prelude's declaration"));
            return None;
        }
        if let Some(lang) = names::reserved_type_name(name) {
            self.err(Code::ReservedWord, file, pos, format!("type name `{name}` is reserved in {lang} and cannot be escaped"))
                .help(format!("rename it, e.g. `{name}Payload` or `App{name}`"));
            return None;
        }
        let id = self.type_slot(name);
        if let Some(other) = &self.slots[id].defined_at {
            let other = other.clone();
            self.duplicate(file, pos, &format!("type `{name}`"), &other)
                .help("type names are global across the catalogue; rename one of them");
            return None;
        }
        self.slots[id].defined_at = Some(Loc::new(file, pos));
        Some(id)
    }

    pub(super) fn define(&mut self, id: TypeId, ty: NamedType) {
        let domain = ty.domain;
        self.slots[id].ty = Some(ty);
        self.domains[domain].types.push(id);
    }

    pub(super) fn lower_types(&mut self, d: &FileDecl) {
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
    pub(super) fn lower_named(&mut self, file: &str, domain: usize, name: &str, node: &Node, origin: TypeOrigin, explicit: bool) -> Option<NamedType> {
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

    pub(super) fn ref_to_slot(&mut self, name: &str) -> TypeRef {
        TypeRef { kind: RefKind::Named(self.type_slot(name)), nullable: false, constraints: Constraints::default() }
    }

    pub(super) fn reject_keys(&mut self, file: &str, m: &Map, keys: &[&str], what: &str) {
        for k in keys {
            if let Some(pos) = m.key_pos(k) {
                self.err(Code::ConflictingKeys, file, pos, format!("`{k}` does not apply to {what}"))
                    .help("an object has `fields:`; an enum has `enum:`; other types use `type:`");
            }
        }
    }

    /// Reports a member whose wire name is taken, or whose Rust name another member (`taken`:
    /// wire name and Rust name) already has; true when it does, so the caller skips it.
    fn clashes<'a>(&mut self, file: &str, pos: Pos, members: Members, taken: impl Iterator<Item = (&'a str, &'a str)> + Clone, wire: &str, ident: &str) -> bool {
        let (one, many, rust, whose_in, whose_of) = match members {
            Members::EnumValues => ("enum value", "enum values", "variant", String::new(), String::new()),
            Members::Fields { owner } => ("field", "fields", "field", format!(" in `{owner}`"), format!(" of `{owner}`")),
        };
        if taken.clone().any(|(w, _)| w == wire) {
            self.err(Code::DuplicateName, file, pos, format!("{one} `{wire}` appears twice{whose_in}"));
            return true;
        }
        if let Some((other, _)) = taken.clone().find(|(_, i)| *i == ident) {
            let other = other.to_string();
            let rename = if matches!(members, Members::EnumValues) { "values" } else { "fields" };
            self.err(Code::NameCollision, file, pos, format!("{many} `{other}` and `{wire}`{whose_of} both become the Rust {rust} `{ident}`"))
                .help(format!("rename one of the {rename}"));
            return true;
        }
        false
    }

    pub(super) fn lower_enum(&mut self, file: &str, owner: &str, node: &Node) -> Vec<EnumValue> {
        let Kind::Seq(items) = &node.kind else {
            self.err(Code::InvalidEnum, file, node.pos, format!("`enum` of `{owner}` must be a list of strings"));
            return Vec::new();
        };
        if items.is_empty() {
            self.err(Code::InvalidEnum, file, node.pos, format!("`enum` of `{owner}` is empty"));
        }
        let mut values: Vec<EnumValue> = Vec::new();
        for item in items {
            let Some(s) = item.as_str() else {
                self.err(Code::InvalidEnum, file, item.pos, format!("enum values must be strings, found {}", item.kind_name()))
                    .help("quote the value, e.g. `'1'`");
                continue;
            };
            let Some(v) = names::variant(s) else {
                self.err(Code::InvalidIdentifier, file, item.pos, format!("enum value `{s}` has no letters or digits to name it by"));
                continue;
            };
            let taken = values.iter().map(|x| (x.wire_name.as_str(), x.rust_ident.as_str()));
            if self.clashes(file, item.pos, Members::EnumValues, taken, s, &v) {
                continue;
            }
            values.push(EnumValue { wire_name: s.to_string(), rust_ident: v });
        }
        values
    }

    pub(super) fn lower_fields(&mut self, file: &str, domain: usize, owner: &str, node: &Node) -> Vec<Field> {
        let Kind::Map(entries) = &node.kind else {
            self.err(Code::ExpectedMapping, file, node.pos, format!("fields of `{owner}` must be a mapping of name: type"));
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
                self.err(Code::InvalidIdentifier, file, k.pos, "a field name is empty");
                continue;
            }
            let Some(rust_ident) = names::rust_snake(&wire) else {
                self.err(Code::InvalidIdentifier, file, k.pos, format!("field `{wire}` has no letters or digits to name it by in Rust"))
                    .help("rename the field");
                continue;
            };
            let taken = fields.iter().map(|f| (f.wire_name.as_str(), f.rust_ident.as_str()));
            if self.clashes(file, k.pos, Members::Fields { owner }, taken, &wire, &rust_ident) {
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
                        self.err(Code::DefaultOnRequired, file, pos, format!("field `{wire}` is required, so its default would never apply"))
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
            self.field_at.insert((owner.to_string(), wire.clone()), Loc::new(file, k.pos));
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
        if fields.len() < entries.len() {
            self.broken_objects.insert(owner.to_string());
        }
        // The generated Rust reads an object into a tuple of groups of at most `GROUP` slots
        // (`__fields!` in the runtime); `GROUP * GROUP` fields fit however they are spread over
        // required, optional and defaulted.
        let max = switchboard_runtime::__de::GROUP * switchboard_runtime::__de::GROUP;
        if fields.len() > max {
            self.err(Code::TooManyFields, file, node.pos, format!("`{owner}` has {} fields; an object type has at most {max}", fields.len()))
                .help("group related fields into a nested object type");
        }
        fields
    }

    /// A type in field position: short string or long mapping.
    pub(super) fn lower_spec(&mut self, file: &str, domain: usize, name_hint: &str, node: &Node) -> Option<TypeRef> {
        match &node.kind {
            Kind::Str(s) => self.parse_short(file, node.pos, s),
            Kind::Map(_) => {
                let m = self.map(file, node, "a type", keys::LONG_TYPE)?;
                self.lower_long(file, domain, name_hint, node, &m)
            }
            _ => {
                let found = node.kind_name();
                self.err(Code::InvalidType, file, node.pos, format!("expected a type, found {found}"))
                    .help("write a type such as `string`, `integer`, `Location[]`, or a mapping with `type:`/`fields:`");
                None
            }
        }
    }

    /// Long form: `type`/`fields`/`enum`/`items`/`values` plus constraints.
    pub(super) fn lower_long(&mut self, file: &str, domain: usize, name_hint: &str, node: &Node, m: &Map) -> Option<TypeRef> {
        let explicit_name = self.string(file, m.get("name"), "`name`");
        let name_pos = m.get("name").map_or(node.pos, |n| n.pos);
        let base: Option<TypeRef>;
        let mut int64 = false;
        let declared = present(m.get("type"));
        let has = |k: &str| present(m.get(k)).is_some();
        if has("fields") || m.get("enum").is_some() {
            if has("fields") && m.get("enum").is_some() {
                self.err(Code::ConflictingKeys, file, node.pos, "a type cannot have both `fields` and `enum`");
                return None;
            }
            if let Some(t) = declared {
                let want = if has("fields") { "object" } else { "enum" };
                if t.as_str() != Some(want) && !(want == "enum" && t.as_str() == Some("string")) {
                    self.err(Code::ConflictingKeys, file, t.pos, format!("`type: {}` contradicts `{}`", t.scalar_text(), if has("fields") { "fields" } else { "enum" }));
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
                self.err(Code::ConflictingKeys, file, t.pos, format!("`type: {}` contradicts `items`", t.scalar_text()));
            }
            let inner = self.lower_spec(file, domain, &format!("{name_hint}Item"), items)?;
            base = Some(TypeRef { kind: RefKind::Array(Box::new(inner)), nullable: false, constraints: Constraints::default() });
        } else if let Some(values) = present(m.get("values")) {
            if let Some(t) = declared.filter(|t| t.as_str() != Some("map")) {
                self.err(Code::ConflictingKeys, file, t.pos, format!("`type: {}` contradicts `values`", t.scalar_text()));
            }
            let inner = self.lower_spec(file, domain, &format!("{name_hint}Value"), values)?;
            base = Some(TypeRef { kind: RefKind::Map(Box::new(inner)), nullable: false, constraints: Constraints::default() });
        } else if let Some(t) = declared {
            let Some(s) = t.as_str() else {
                self.err(Code::InvalidType, file, t.pos, "`type` must be a string such as `string` or `Location[]`");
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
                            self.err(Code::IntegerPolicy, file, pos, format!("`encoding: {other}` is not `string` or `number`"));
                            None
                        }
                        None => {
                            self.err(Code::IntegerPolicy, file, t.pos, "a 64-bit integer needs an explicit wire encoding")
                                .label("JavaScript loses precision above 2^53")
                                .help("add `encoding: string` (a decimal string on the wire) or `encoding: number` (accepting precision loss)");
                            None
                        }
                    };
                    base = Some(TypeRef { kind: RefKind::Int64(enc.unwrap_or(Int64Encoding::String)), nullable: false, constraints: Constraints::default() });
                }
                "object" => {
                    self.err(Code::MissingKey, file, t.pos, "`type: object` needs `fields:`")
                        .help("list the fields, or use `json` / `map<json>` for free-form data");
                    return None;
                }
                "array" => {
                    self.err(Code::MissingKey, file, t.pos, "`type: array` needs `items:`");
                    return None;
                }
                "map" => {
                    self.err(Code::MissingKey, file, t.pos, "`type: map` needs `values:`");
                    return None;
                }
                _ => base = Some(self.parse_short(file, t.pos, s)?),
            }
        } else {
            self.err(Code::MissingKey, file, node.pos, "a type needs `type:`, `fields:`, `enum:`, `items:` or `values:`");
            return None;
        }
        let mut ty = base?;
        if explicit_name.is_some() && !matches!(ty.kind, RefKind::Named(_)) || (explicit_name.is_some() && !(has("fields") || m.get("enum").is_some())) {
            self.err(Code::ConflictingKeys, file, name_pos, "`name` only applies to an inline object (`fields:`) or enum (`enum:`)");
        }
        if !int64
            && let Some(pos) = m.key_pos("encoding")
        {
            self.err(Code::ConflictingKeys, file, pos, "`encoding` only applies to `type: int64`");
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
            uri_schemes: self.uri_schemes(file, m),
        };
        self.check_constraints(file, m, &ty, &c);
        ty.constraints = c;
        Some(ty)
    }

    /// Short forms: `string`, `Name`, `T[]`, `map<T>`, `T | null`.
    pub(super) fn parse_short(&mut self, file: &str, pos: Pos, s: &str) -> Option<TypeRef> {
        self.parse_short_at(file, pos, s, 0)
    }

    /// `parse_short` at a nesting depth: `T[][]...` and `map<map<...>>` stop at MAX_DEPTH levels
    /// (the emitters recurse once per level).
    pub(super) fn parse_short_at(&mut self, file: &str, pos: Pos, s: &str, depth: usize) -> Option<TypeRef> {
        if depth > yaml::MAX_DEPTH {
            self.err(Code::TooDeep, file, pos, format!("the type expression nests more than {} levels deep", yaml::MAX_DEPTH))
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
                self.err(Code::IntegerPolicy, file, pos, "a 64-bit integer needs an explicit wire encoding")
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
                self.err(Code::InvalidType, file, pos, format!("`{s}` is not a catalogue type"))
                    .help(format!("use `{want}`"));
                return None;
            }
            name if names::is_type_name(name) => {
                let id = self.type_slot(name);
                self.refs.push((id, Loc::new(file, pos)));
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
                self.err(Code::InvalidType, file, pos, format!("`{other}` is not a type"))
                    .label("unknown type expression")
                    .help(hint);
                return None;
            }
        };
        Some(TypeRef { kind, nullable: false, constraints: none })
    }
}

/// Whose members a clash check compares: an enum's values or an object's fields.
#[derive(Clone, Copy)]
enum Members<'a> {
    EnumValues,
    Fields { owner: &'a str },
}
