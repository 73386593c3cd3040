//! Readers for YAML values: each checks the node's kind and reports what is wrong.

use crate::schema::codes::Code;
use super::Lowerer;
use crate::schema::diagnostic::did_you_mean;
use crate::schema::ir::*;
use crate::schema::raw::keys;
use crate::schema::yaml::{Kind, Node, Pos};

/// A mapping's entries with helpers for key checks.
pub(super) struct Map<'a> {
    entries: &'a [(Node, Node)],
}

impl<'a> Map<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }
    pub(super) fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k.pos)
    }
}

pub(super) fn present(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| n.kind != Kind::Null)
}

impl Lowerer {
    /// Expects a mapping and reports keys outside `allowed`.
    pub(super) fn map<'a>(&mut self, file: &str, node: &'a Node, what: &str, allowed: &[&str]) -> Option<Map<'a>> {
        let Kind::Map(entries) = &node.kind else {
            let found = node.kind_name();
            self.err(Code::ExpectedMapping, file, node.pos, format!("{what} must be a mapping, found {found}"))
                .label(format!("this is {found}"));
            return None;
        };
        for (k, _) in entries {
            let Some(key) = k.as_str() else {
                self.err(Code::InvalidKey, file, k.pos, format!("keys of {what} must be strings"));
                continue;
            };
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied()).map_or_else(
                    || format!("allowed keys: {}", allowed.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
                self.err(Code::UnknownKey, file, k.pos, format!("unknown key `{key}` in {what}"))
                    .label("not a key of this mapping")
                    .help(hint);
            }
        }
        Some(Map { entries })
    }

    /// An optional string value.
    pub(super) fn string(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<String> {
        let node = present(node)?;
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            _ => {
                let found = node.kind_name();
                self.err(Code::ExpectedString, file, node.pos, format!("{what} must be a string, found {found}"));
                None
            }
        }
    }

    /// The name a mapping key gives (an event, type, room or group): a string. A YAML null key
    /// (`null:`, `~:`) or a number is reported, not skipped.
    pub(super) fn key_name(&mut self, file: &str, k: &Node, what: &str) -> Option<String> {
        match &k.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Null => {
                self.err(Code::ExpectedString, file, k.pos, format!("{what} must be a string, found null"))
                    .label("`null` and `~` are YAML nulls, not names")
                    .help("write the name; quote it (`'null':`) if it really is the word null");
                None
            }
            Kind::Seq(_) | Kind::Map(_) => {
                let found = k.kind_name();
                self.err(Code::ExpectedString, file, k.pos, format!("{what} must be a string, found {found}"));
                None
            }
            _ => {
                let found = k.kind_name();
                self.err(Code::ExpectedString, file, k.pos, format!("{what} must be a string, found {found}"))
                    .help(format!("quote it: `'{}':`", k.scalar_text()));
                None
            }
        }
    }

    pub(super) fn string_list(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<Vec<(String, Pos)>> {
        let node = present(node)?;
        match &node.kind {
            Kind::Str(s) => Some(vec![(s.clone(), node.pos)]),
            Kind::Seq(items) => Some(
                items
                    .iter()
                    .filter_map(|i| {
                        if i.kind == Kind::Null {
                            self.err(Code::ExpectedString, file, i.pos, format!("{what} must list strings, found null"));
                            return None;
                        }
                        self.string(file, Some(i), what).map(|s| (s, i.pos))
                    })
                    .collect(),
            ),
            _ => {
                let found = node.kind_name();
                self.err(Code::ExpectedString, file, node.pos, format!("{what} must be a string or a list of strings, found {found}"));
                None
            }
        }
    }

    /// An optional scalar that `read` accepts; anything else is reported as `code`:
    /// "{what} {must}".
    fn scalar<T>(&mut self, file: &str, node: Option<&Node>, what: &str, code: Code, must: &str, read: impl FnOnce(&Kind) -> Option<T>) -> Option<T> {
        let node = present(node)?;
        let value = read(&node.kind);
        if value.is_none() {
            self.err(code, file, node.pos, format!("{what} {must}"));
        }
        value
    }

    pub(super) fn uint(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<u64> {
        self.scalar(file, node, what, Code::ExpectedInteger, "must be a whole number >= 0", |k| match *k {
            Kind::Int(i) if i >= 0 => Some(i as u64),
            _ => None,
        })
    }

    pub(super) fn float(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<f64> {
        self.scalar(file, node, what, Code::ExpectedNumber, "must be a number", |k| match *k {
            Kind::Int(i) => Some(i as f64),
            Kind::Float(f) if f.is_finite() => Some(f),
            _ => None,
        })
    }

    pub(super) fn boolean(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<bool> {
        self.scalar(file, node, what, Code::ExpectedBoolean, "must be true or false", |k| match *k {
            Kind::Bool(b) => Some(b),
            _ => None,
        })
    }

    pub(super) fn deprecation(&mut self, file: &str, node: Option<&Node>) -> Option<Deprecation> {
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
                self.err(Code::InvalidDeprecated, file, node.pos, "`deprecated` must be true, a note, or { since, replacement, note }");
                None
            }
        }
    }

    /// A string, or a number written without quotes (versions like `2.0`).
    pub(super) fn scalar_string(&mut self, file: &str, node: Option<&Node>, what: &str) -> Option<String> {
        let node = present(node)?;
        match &node.kind {
            Kind::Int(_) | Kind::Float(_) => Some(node.scalar_text()),
            _ => self.string(file, Some(node), what),
        }
    }
    pub(super) fn name_key(&mut self, file: &str, m: &Map, key: &str) -> Option<(String, Pos)> {
        let n = present(m.get(key))?;
        self.string(file, Some(n), &format!("`{key}`")).map(|s| (s, n.pos))
    }
}
