//! A spanned YAML tree.
//!
//! serde stops at the first error, but a catalogue author wants every problem in one run.
//! So the YAML is read once into this generic tree (every node keeps its line and column),
//! and `lower` walks it, reporting each problem and going on with the next item.

use super::codes::Code;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A position in a catalogue file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Pos {
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column (characters).
    pub col: u32,
}

/// A YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: Kind,
    /// Where it starts.
    pub pos: Pos,
}

/// The kinds of YAML nodes the catalogue uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits i64.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short name of the node's kind for messages ("a mapping", "a string", ...).
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// The string value, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts to JSON (keys become strings) for examples and defaults.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The text of a scalar key (numbers and booleans as written).
    pub fn scalar_text(&self) -> String {
        match &self.kind {
            Kind::Str(s) => s.clone(),
            Kind::Int(i) => i.to_string(),
            Kind::Float(f) => f.to_string(),
            Kind::Bool(b) => b.to_string(),
            Kind::Null => "null".into(),
            Kind::Seq(_) | Kind::Map(_) => String::new(),
        }
    }
}

/// Parse failure of a whole file (YAML syntax, duplicate key, budget).
#[derive(Debug, Clone)]
pub struct ParseError {
    /// Diagnostic code: `yaml-syntax`, `duplicate-key` or `too-deep`.
    pub code: Code,
    /// What is wrong, without the reader's own snippet or position.
    pub message: String,
    /// Where, when known.
    pub pos: Option<Pos>,
    /// The label under the snippet.
    pub label: &'static str,
    /// How to fix it.
    pub help: &'static str,
}

/// Deepest nesting of mappings and lists a catalogue file may use. The real catalogue needs
/// about 8 levels; reading (and lowering) recurse once per level, so a cap keeps a hostile or
/// broken file from overflowing the stack (a debug build overflowed a 2 MiB thread at ~45).
pub const MAX_DEPTH: usize = 32;

/// Reads one YAML document into a spanned tree. An empty file is `Null`.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    if text.trim().is_empty() {
        return Ok(Node { kind: Kind::Null, pos: Pos { line: 1, col: 1 } });
    }
    // YAML 1.2 booleans only: a field named `y`, `no` or `on` must stay a string, not a boolean.
    // The budget stops at the first mapping or list deeper than MAX_DEPTH, before recursing into
    // it; the scanner, which reads flow collections (`[[[`) ahead of the parser, stops there too.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH, flow_nesting_limit: MAX_DEPTH },
    };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let pos = e.location().filter(|l| l.line() > 0).map(|l| Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            col: u32::try_from(l.column()).unwrap_or(u32::MAX).max(1),
        });
        match e.without_snippet() {
            serde_saphyr::Error::DuplicateMappingKey { key, .. } => ParseError {
                code: Code::DuplicateKey,
                message: match key {
                    Some(k) => format!("duplicate key `{k}` in this mapping"),
                    None => "duplicate key in this mapping".to_string(),
                },
                pos,
                label: "this key appears earlier in the same mapping",
                help: "remove or rename one of them",
            },
            inner if is_too_deep(inner) => ParseError {
                code: Code::TooDeep,
                message: format!("mappings and lists are nested more than {MAX_DEPTH} levels deep"),
                pos,
                label: "nested too deeply here",
                help: "flatten the structure; name nested objects under `types:` and refer to them",
            },
            other => {
                let full = other.to_string();
                // The reader prefixes "line X column Y:"; the position is shown by our renderer.
                let message = match full.split_once(": ") {
                    Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                    _ => full,
                };
                let mut message = message.lines().next().unwrap_or_default().to_string();
                if let Some(i) = message.find(" at line ") {
                    message.truncate(i);
                }
                if message.contains("tab")
                    && let Some(tab) = tab_in_indentation(text, pos)
                {
                    return ParseError {
                        code: Code::YamlSyntax,
                        message: "YAML does not allow tabs for indentation".into(),
                        pos: Some(tab),
                        label: "a tab",
                        help: "indent with spaces",
                    };
                }
                ParseError { code: Code::YamlSyntax, message: format!("invalid YAML: {message}"), pos, label: "here", help: "fix the YAML syntax; every catalogue file is one YAML mapping" }
            }
        }
    })
}

/// The first tab in the indentation of the reported line, or else of the lines before it.
fn tab_in_indentation(text: &str, pos: Option<Pos>) -> Option<Pos> {
    let upto = pos.map_or(usize::MAX, |p| p.line as usize);
    let lines: Vec<&str> = text.lines().take(upto).collect();
    let at = |i: usize, line: &str| {
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        indent.chars().position(|c| c == '\t').map(|c| Pos { line: u32::try_from(i + 1).unwrap_or(u32::MAX), col: u32::try_from(c + 1).unwrap_or(u32::MAX) })
    };
    let last = lines.len().checked_sub(1)?;
    at(last, lines[last]).or_else(|| lines.iter().enumerate().rev().skip(1).find_map(|(i, l)| at(i, l)))
}

/// Did the reader stop at the nesting cap (the budget's depth, or the scanner's flow nesting)?
fn is_too_deep(e: &serde_saphyr::Error) -> bool {
    use serde_saphyr::granit_parser::ErrorKind;
    match e {
        serde_saphyr::Error::Budget { breach: serde_saphyr::budget::BudgetBreach::Depth { .. }, .. } => true,
        serde_saphyr::Error::ExternalMessage { source, .. } => {
            matches!(&**source, serde_saphyr::ExternalMessageSource::Parser(p) if matches!(p.kind(), ErrorKind::RecursionLimitExceeded))
        }
        _ => false,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let sp = serde_saphyr::Spanned::<Kind>::deserialize(d)?;
        let loc = sp.referenced;
        Ok(Node {
            kind: sp.value,
            pos: Pos {
                line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
                col: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            },
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or(Kind::Float(v as f64), Kind::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or(Kind::Float(v as f64), Kind::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or(Kind::Float(v as f64), Kind::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Kind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let n = parse("a: 1\nb:\n  c: [x, y]\n").unwrap();
        let Kind::Map(entries) = &n.kind else { panic!("not a map") };
        assert_eq!(entries[1].0.pos, Pos { line: 2, col: 1 });
        let Kind::Map(inner) = &entries[1].1.kind else { panic!("not a map") };
        assert_eq!(inner[0].0.pos, Pos { line: 3, col: 3 });
        assert_eq!(inner[0].0.as_str(), Some("c"));
    }

    #[test]
    fn syntax_error_has_a_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.is_some(), "{e:?}");
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let n = parse("y: 1\nno: on\nb: true\n").unwrap();
        let Kind::Map(entries) = &n.kind else { panic!("not a map") };
        assert_eq!(entries[0].0.as_str(), Some("y"));
        assert_eq!(entries[1].1.as_str(), Some("on"));
        assert_eq!(entries[2].1.kind, Kind::Bool(true));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.code, Code::DuplicateKey);
        assert_eq!(e.message, "duplicate key `a` in this mapping");
        assert_eq!(e.pos, Some(Pos { line: 2, col: 1 }));
    }

    #[test]
    fn deep_nesting_is_rejected_with_a_position() {
        // The root mapping is one level, so 31 nested lists are the most a value may hold.
        let nested = |n: usize| format!("domain: x\nk: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nested(MAX_DEPTH - 1)).is_ok());
        for n in [MAX_DEPTH, MAX_DEPTH + 1, 45, 300, 5000] {
            let e = parse(&nested(n)).unwrap_err();
            assert_eq!(e.code, Code::TooDeep, "{n}: {e:?}");
            // At the first bracket past the cap (the scanner may see the next one first).
            let col = e.pos.map_or(0, |p| p.col) as usize;
            assert!(e.pos.is_some_and(|p| p.line == 2) && (MAX_DEPTH + 3..=MAX_DEPTH + 4).contains(&col), "{n}: {e:?}");
        }
        let mut block = String::from("domain: x\n");
        for i in 0..100 {
            block.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        block.push_str(&format!("{}v: 1\n", "  ".repeat(100)));
        assert_eq!(parse(&block).unwrap_err().code, Code::TooDeep);
        let flow_maps = format!("domain: x\nk: {}{}\n", "{a: ".repeat(60), "}".repeat(60));
        assert_eq!(parse(&flow_maps).unwrap_err().code, Code::TooDeep);
    }
}
