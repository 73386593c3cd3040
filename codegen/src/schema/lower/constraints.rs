//! Constraints of the long form (`min_length`, `pattern`, `minimum`, ...): which kinds they apply
//! to, whether their bounds make sense, and how a use of an alias adds to the alias's own.

use crate::schema::codes::Code;
use super::read::{Map, present};
use super::{JS_SAFE_INT, Lowerer, Pending};
use crate::schema::ir::*;
use crate::schema::yaml::{Kind, Pos};

impl Lowerer {
    /// `format: uri` and its `schemes` (lowercase scheme names; default `https`, `http`).
    pub(super) fn uri_schemes(&mut self, file: &str, m: &Map) -> Option<Vec<String>> {
        let format = self.string(file, m.get("format"), "`format`");
        let schemes_pos = m.key_pos("schemes");
        match format.as_deref() {
            None => {
                if let Some(pos) = schemes_pos {
                    self.err(Code::ConflictingKeys, file, pos, "`schemes` only applies with `format: uri`");
                }
                return None;
            }
            Some("uri") => {}
            Some(other) => {
                let pos = m.get("format").map_or_else(Pos::default, |n| n.pos);
                self.err(Code::ConstraintMismatch, file, pos, format!("unknown `format` `{other}`")).help("the only format is `uri` (an absolute URL, with `schemes:`)");
                return None;
            }
        }
        let Some(node) = m.get("schemes") else { return Some(DEFAULT_URI_SCHEMES.iter().map(|s| (*s).to_string()).collect()) };
        let Kind::Seq(items) = &node.kind else {
            self.err(Code::ConstraintMismatch, file, node.pos, "`schemes` must be a list such as `[https]`");
            return None;
        };
        let mut schemes = Vec::new();
        for item in items {
            match item.as_str() {
                Some(s) if is_scheme(s) => schemes.push(s.to_string()),
                _ => {
                    self.err(Code::ConstraintMismatch, file, item.pos, "a scheme is a lowercase name such as `https` (letters, digits, `+`, `-`, `.`; a letter first)");
                }
            }
        }
        if schemes.is_empty() && items.is_empty() {
            self.err(Code::ConstraintMismatch, file, node.pos, "`schemes` needs at least one scheme");
        }
        Some(schemes)
    }

    pub(super) fn check_constraints(&mut self, file: &str, m: &Map, ty: &TypeRef, c: &Constraints) {
        // Where each constraint is written: (key, key position, value position).
        let keys: Vec<(&'static str, Pos, Pos)> = CONSTRAINT_KEYS
            .iter()
            .filter(|k| present(m.get(k)).is_some())
            .map(|k| (*k, m.key_pos(k).unwrap_or_default(), m.get(k).map_or_else(Pos::default, |n| n.pos)))
            .collect();
        match &ty.kind {
            RefKind::Named(_) if m.get("fields").is_some() || m.get("enum").is_some() => {
                for (key, pos, _) in keys.iter().filter(|(k, _, _)| constraint_set(c, k)) {
                    self.err(Code::ConstraintMismatch, file, *pos, format!("`{key}` does not apply to an object or enum"));
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
            self.err(Code::ConstraintMismatch, file, m.key_pos("min_length").unwrap_or_default(), format!("`min_length` {a} is larger than `max_length` {b}"));
        }
        if let (Some(a), Some(b)) = (c.minimum, c.maximum)
            && a > b
        {
            self.err(Code::ConstraintMismatch, file, m.key_pos("minimum").unwrap_or_default(), format!("`minimum` {a} is larger than `maximum` {b}"));
        }
        if let (Some(a), Some(b)) = (c.min_items, c.max_items)
            && a > b
        {
            self.err(Code::ConstraintMismatch, file, m.key_pos("min_items").unwrap_or_default(), format!("`min_items` {a} is larger than `max_items` {b}"));
        }
        if let Some(p) = &c.pattern
            && let Err(e) = regex::Regex::new(p)
        {
            let last = e.to_string().lines().last().unwrap_or("").trim().to_string();
            let first = last.strip_prefix("error: ").unwrap_or(&last).to_string();
            self.err(Code::InvalidPattern, file, m.get("pattern").map_or_else(Pos::default, |n| n.pos), format!("`pattern` is not a valid regular expression: {first}"));
        }
    }

    /// Reports constraints that do not apply to `kind` (the resolved type), and integer bounds
    /// outside the JavaScript-safe range. `alias` names the alias `kind` was reached through.
    pub(super) fn check_constraint_kinds(&mut self, file: &str, kind: &RefKind, c: &Constraints, keys: &[(&'static str, Pos, Pos)], alias: Option<(&str, String)>) {
        let is_string = matches!(kind, RefKind::String);
        let is_num = matches!(kind, RefKind::Integer | RefKind::Number | RefKind::Int64(_));
        let is_array = matches!(kind, RefKind::Array(_));
        for &(key, pos, _) in keys {
            let (ok, what) = match key {
                "min_length" | "max_length" | "pattern" | "format" => (is_string, "strings"),
                "minimum" | "maximum" => (is_num, "numbers"),
                _ => (is_array, "arrays"),
            };
            if !ok && constraint_set(c, key) {
                let msg = match &alias {
                    None => format!("`{key}` only applies to {what}"),
                    Some((name, target)) => format!("`{key}` only applies to {what}, but `{name}` is an alias of `{target}`"),
                };
                self.err(Code::ConstraintMismatch, file, pos, msg);
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
                        self.err(Code::IntegerPolicy, file, vpos, format!("`{key}` {v} is outside the JavaScript-safe integer range (|n| <= 2^53 - 1)"))
                            .help("use `type: int64` with an explicit `encoding:` for wider integers");
                    } else if v.fract() != 0.0 {
                        self.err(Code::ConstraintMismatch, file, vpos, format!("`{key}` of an integer must be a whole number"));
                    }
                }
            }
        }
    }
}

/// The constraint keys of the long form, in the order they are checked.
const CONSTRAINT_KEYS: [&str; 8] = ["min_length", "max_length", "pattern", "format", "minimum", "maximum", "min_items", "max_items"];

/// Schemes of `format: uri` without `schemes:`: web links only (`javascript:`, `data:` refused).
const DEFAULT_URI_SCHEMES: [&str; 2] = ["https", "http"];

/// A URL scheme as WHATWG URL parsing reports it: lowercase, a letter first.
fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
}

/// Is the constraint named `key` set in `c`?
pub(super) fn constraint_set(c: &Constraints, key: &str) -> bool {
    match key {
        "min_length" => c.min_length.is_some(),
        "max_length" => c.max_length.is_some(),
        "pattern" => c.pattern.is_some(),
        "format" => c.uri_schemes.is_some(),
        "minimum" => c.minimum.is_some(),
        "maximum" => c.maximum.is_some(),
        "min_items" => c.min_items.is_some(),
        "max_items" => c.max_items.is_some(),
        _ => false,
    }
}
