//! Diagnostics are data: a code, a message, a place and a hint.
//! They are rendered (miette snippets or JSON) only at the edges: the CLI and build.rs.

pub use super::codes::Code;
pub use super::yaml::Pos;
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Generation goes on; the output may not be what the author meant.
    Warning,
    /// Nothing is generated.
    Error,
}

/// One problem in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `unknown-key`; `codegen/FORMAT.md` lists them all.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The catalogue file, relative to the catalogue folder (the CLI makes it relative to the
    /// current directory with [`Diagnostic::prefixed`]).
    pub file: String,
    /// Where in the file (line 0 = the whole file).
    pub pos: Pos,
    /// The label under the snippet.
    pub label: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Secondary places, e.g. the first declaration of a duplicate name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

/// A secondary place of a diagnostic, shown as a secondary label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// The catalogue file (named like [`Diagnostic::file`]).
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// The label, e.g. "first declared here".
    pub label: String,
}

impl Diagnostic {
    /// An error at `file:pos`.
    pub fn error(code: Code, file: &str, pos: Pos, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            code,
            severity: Severity::Error,
            label: String::new(),
            message,
            file: file.to_string(),
            pos,
            help: None,
            related: Vec::new(),
        }
    }

    /// Adds a secondary label at `file:pos`.
    pub fn also(&mut self, file: &str, pos: Pos, label: impl Into<String>) -> &mut Self {
        self.related.push(Related { file: file.to_string(), pos, label: label.into() });
        self
    }

    /// Sets the label shown under the snippet.
    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = label.into();
        self
    }

    /// Sets the hint.
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic with `dir/` put before its file name, so a path relative to the
    /// catalogue folder becomes one relative to the current directory (`schema/orders.yaml`).
    pub fn prefixed(&self, dir: &str) -> Self {
        let related = self.related.iter().map(|r| Related { file: join_dir(dir, &r.file), ..r.clone() }).collect();
        Self { file: join_dir(dir, &self.file), related, ..self.clone() }
    }

    /// Makes it a warning.
    pub fn warning(&mut self) -> &mut Self {
        self.severity = Severity::Warning;
        self
    }
}

/// `dir/name` with `/` separators; `name` alone when `dir` is empty.
fn join_dir(dir: &str, name: &str) -> String {
    match dir.trim_end_matches(['/', '\\']) {
        "" => name.to_string(),
        d => format!("{d}/{name}"),
    }
}

/// Suggests the closest candidate for a misspelt name ("did you mean"), ignoring case: a
/// candidate that differs only in case wins outright (`in_stock` -> `IN_STOCK`).
pub(crate) fn did_you_mean<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(got) && **c != got) {
        return Some(c);
    }
    let got = got.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&got, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// The catalogue files, kept for rendering snippets.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(String, String)>,
}

impl Sources {
    /// Adds a file (relative name and text).
    pub fn add(&mut self, name: String, text: String) {
        self.files.push((name, text));
    }

    /// The same files with `dir/` put before every name (see [`Diagnostic::file`]).
    pub fn prefixed(&self, dir: &str) -> Sources {
        Sources { files: self.files.iter().map(|(n, t)| (join_dir(dir, n), t.clone())).collect() }
    }

    /// The text of a file.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str())
    }

    /// Renders diagnostics as miette snippets without colour (stable for snapshots and logs).
    pub fn render(&self, diags: &[Diagnostic]) -> String {
        self.render_with(diags, miette::GraphicalTheme::unicode_nocolor())
    }

    /// Renders diagnostics with a given miette theme.
    pub fn render_with(&self, diags: &[Diagnostic], theme: miette::GraphicalTheme) -> String {
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for d in diags {
            let report = Rendered::new(d, self);
            let mut buf = String::new();
            if handler.render_report(&mut buf, &report).is_err() {
                buf = format!("{}: {}\n", d.code, d.message);
            }
            out.push_str(&buf);
            out.push('\n');
        }
        let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
        let warnings = diags.len() - errors;
        out.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
        out
    }

    /// Renders diagnostics as a JSON array (for `--format json`).
    pub fn render_json(diags: &[Diagnostic]) -> String {
        let mut s = serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into());
        s.push('\n');
        s
    }
}

/// Byte offset of a 1-based line and column (characters) in `text`.
fn offset_of(text: &str, pos: Pos) -> usize {
    if pos.line == 0 {
        return 0;
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == pos.line as usize {
            let col = pos.col.saturating_sub(1) as usize;
            return offset
                + line
                    .char_indices()
                    .nth(col)
                    .map_or(line.trim_end_matches('\n').len(), |(b, _)| b);
        }
        offset += line.len();
    }
    text.len()
}

/// Length of the token starting at `offset`: a quoted string, or text up to `: `, `,`, `]`, `}` or ` #`.
/// A wire name like `chat:message` keeps its inner `:` because no space follows it.
fn token_len(text: &str, offset: usize) -> usize {
    let rest = &text[offset.min(text.len())..];
    let line = rest.lines().next().unwrap_or("");
    if line.is_empty() {
        return 0;
    }
    if line.starts_with('\t') {
        return 1;
    }
    if let Some(q) = line.chars().next().filter(|c| *c == '"' || *c == '\'')
        && let Some(end) = line[1..].find(q)
    {
        return end + 2;
    }
    let bytes = line.as_bytes();
    let mut end = 0;
    while end < bytes.len() {
        let b = bytes[end];
        let next = bytes.get(end + 1).copied();
        let stop = matches!(b, b',' | b']' | b'}')
            || (b == b':' && next.is_none_or(|n| n.is_ascii_whitespace()))
            || (b == b'#' && end > 0 && bytes[end - 1].is_ascii_whitespace());
        if stop {
            break;
        }
        end += 1;
    }
    line[..end].trim_end().len().max(1)
}

/// A diagnostic bound to its file text, in the shape miette renders.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: Option<String>,
    help: Option<String>,
    severity: miette::Severity,
    source: miette::NamedSource<String>,
    labels: Vec<miette::LabeledSpan>,
    /// Secondary places in other files, rendered as their own snippets.
    related: Vec<Rendered>,
}

/// The label span at `pos` in `text`.
fn span(text: &str, pos: Pos, label: &str, primary: bool) -> miette::LabeledSpan {
    let offset = offset_of(text, pos);
    let label = if label.is_empty() { None } else { Some(label.to_string()) };
    let mut s = miette::LabeledSpan::new(label, offset, token_len(text, offset));
    if primary {
        s = miette::LabeledSpan::new_primary_with_span(s.label().map(str::to_string), *s.inner());
    }
    s
}

fn location(file: &str, pos: Pos) -> String {
    if pos.line > 0 { format!("{file}:{}:{}", pos.line, pos.col) } else { file.to_string() }
}

impl Rendered {
    fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let text = sources.text(&d.file).unwrap_or("");
        let mut labels = Vec::new();
        let mut related = Vec::new();
        if d.pos.line > 0 {
            labels.push(span(text, d.pos, &d.label, d.related.iter().any(|r| r.file == d.file)));
        }
        for r in d.related.iter().filter(|r| r.pos.line > 0) {
            if r.file == d.file && d.pos.line > 0 {
                labels.push(span(text, r.pos, &r.label, false));
            } else {
                let rtext = sources.text(&r.file).unwrap_or("");
                related.push(Self {
                    message: format!("{} ({})", r.label, location(&r.file, r.pos)),
                    code: None,
                    help: None,
                    severity: miette::Severity::Advice,
                    source: miette::NamedSource::new(r.file.clone(), rtext.to_string()),
                    labels: vec![span(rtext, r.pos, &r.label, false)],
                    related: Vec::new(),
                });
            }
        }
        Self {
            message: format!("{} ({})", d.message, location(&d.file, d.pos)),
            code: Some(d.code.to_string()),
            help: d.help.clone(),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: miette::NamedSource::new(d.file.clone(), text.to_string()),
            labels,
            related,
        }
    }
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn std::fmt::Display>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.labels.is_empty() { None } else { Some(&self.source) }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_columns() {
        let t = "ab\ncdé\nf";
        assert_eq!(offset_of(t, Pos { line: 2, col: 3 }), 5);
        assert_eq!(offset_of(t, Pos { line: 3, col: 1 }), t.len() - 1);
        assert_eq!(offset_of(t, Pos { line: 9, col: 1 }), t.len());
    }

    #[test]
    fn token_len_keeps_wire_names_whole() {
        assert_eq!(token_len("chat:message: x", 0), "chat:message".len());
        assert_eq!(token_len("payloadd: x", 0), "payloadd".len());
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("payloadd", ["payload", "name"]), Some("payload"));
        assert_eq!(did_you_mean("zzz", ["payload", "name"]), None);
        assert_eq!(did_you_mean("in_stock", ["IN_STOCK", "LOW_STOCK", "OUT_OF_STOCK"]), Some("IN_STOCK"));
        assert_eq!(did_you_mean("Reliabel", ["reliable", "volatile"]), Some("reliable"));
    }
}
