//! Constraints of the long form (`min_length`, `pattern`, `minimum`, ...): which kinds they apply
//! to, whether their bounds make sense, and how a use of an alias adds to the alias's own.

use crate::schema::codes::Code;
use super::read::{Map, present};
use super::{JS_SAFE_INT, Lowerer, Pending};
use crate::schema::ir::*;
use crate::schema::yaml::Pos;

impl Lowerer {
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
                "min_length" | "max_length" | "pattern" => (is_string, "strings"),
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
const CONSTRAINT_KEYS: [&str; 7] = ["min_length", "max_length", "pattern", "minimum", "maximum", "min_items", "max_items"];

/// Is the constraint named `key` set in `c`?
pub(super) fn constraint_set(c: &Constraints, key: &str) -> bool {
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
