//! Checks a YAML value (an example or a default) against its type, and the date-time format.

use super::{JS_SAFE_INT, Lowerer};
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::yaml::{self, Kind, Node, Pos};

impl Lowerer {
    /// Checks a YAML value against a type. A mismatch names the bad value by its path from
    /// `root` (`example.items[0].status`). Aliases are followed by `resolve_ref` (bounded),
    /// values by their nesting (bounded by the YAML reader), and `depth` guards both.
    pub(super) fn check_value(&self, node: &Node, ty: &TypeRef, path: &str, root: &str, depth: usize) -> Result<(), Mismatch> {
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
                if let Some(schemes) = &c.uri_schemes
                    && !switchboard_runtime::validate::is_uri(s, &schemes.iter().map(String::as_str).collect::<Vec<_>>())
                {
                    return bad(format!("`{s}` is not an absolute URL with scheme {}", schemes.join(" or ")));
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
                            let hint = did_you_mean(s, values.iter().map(|v| v.wire_name.as_str())).map_or_else(String::new, |v| format!("; did you mean `{v}`?"));
                            bad(format!("`{s}` is not one of {}{hint}", list(values)))
                        }
                    }
                    TypeKind::Object { .. } if self.broken_objects.contains(&t.name) => Ok(()),
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
pub(super) struct Mismatch {
    pub(super) pos: Pos,
    pub(super) message: String,
    pub(super) label: String,
}

/// How deep `check_value` goes (values are at most `yaml::MAX_DEPTH` deep, so this never cuts a
/// real check short).
const MAX_CHECK_DEPTH: usize = 4 * yaml::MAX_DEPTH;

fn list(values: &[EnumValue]) -> String {
    values.iter().map(|v| v.wire_name.as_str()).collect::<Vec<_>>().join(", ")
}

fn check_range(v: f64, c: &Constraints) -> Result<(), String> {
    if c.minimum.is_some_and(|m| v < m) || c.maximum.is_some_and(|m| v > m) {
        return Err(format!("{v} is outside {}", c.summary()));
    }
    Ok(())
}

pub(crate) use switchboard_runtime::validate::is_datetime;

#[cfg(test)]
mod tests {
    use super::*;

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
}
