//! Switchboard: a declarative event-schema code generator for real-time apps.
//!
//! A catalogue of YAML files (one per domain) describes every Socket.IO event, payload and room.
//! Switchboard validates it (every problem in one run, with file:line:column) and emits
//! TypeScript types, Markdown docs, JSON Schemas and Rust code.
//!
//! Pipeline: `schema::yaml` (spanned tree) -> [`schema::lower`] (diagnostics) -> [`schema::ir`]
//! -> [`emit`] (pure functions) -> [`output`] (the only disk I/O).
//!
//! ```no_run
//! // build.rs of a crate that includes the generated Rust:
//! let files = switchboard::output::load_catalogue("../schema".as_ref()).unwrap();
//! let generated = switchboard::generate(&files, &switchboard::emit::EmitOptions::default()).unwrap();
//! assert!(!generated.files.is_empty());
//! ```
#![warn(missing_docs)]

pub mod builder;
pub mod cli;
pub mod emit;
pub mod output;
mod par;
pub mod schema;

pub use builder::{Builder, compile};
use output::GeneratedFile;
use schema::diagnostic::{Diagnostic, Sources};
use schema::ir::Catalogue;
use schema::lower::SourceFile;

/// The result of one generation run, in memory.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The lowered catalogue.
    pub catalogue: Catalogue,
    /// Warnings (generation went on).
    pub warnings: Vec<Diagnostic>,
    /// Files for the `generated/` folder (paths relative to it).
    pub files: Vec<GeneratedFile>,
}

/// A catalogue that did not lower: every diagnostic, with the sources to render them.
#[derive(Debug, Clone)]
pub struct Invalid {
    /// All problems found.
    pub diagnostics: Vec<Diagnostic>,
    /// The files, for snippets.
    pub sources: Sources,
}

impl Invalid {
    /// Human rendering (miette snippets, no colour).
    pub fn render(&self) -> String {
        self.sources.render(&self.diagnostics)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Invalid {}

/// Collects the sources for rendering.
pub fn sources_of(files: &[SourceFile]) -> Sources {
    let mut s = Sources::default();
    for f in files {
        s.add(f.name.clone(), f.text.clone());
    }
    s
}

/// The one in-memory entry point used by the CLI, build.rs and tests.
pub fn generate(files: &[SourceFile], opts: &emit::EmitOptions) -> Result<Generation, Invalid> {
    match schema::lower::lower(files) {
        Ok((catalogue, warnings)) => {
            let files = emit::emit_all(&catalogue, opts);
            Ok(Generation { catalogue, warnings, files })
        }
        Err(diagnostics) => Err(Invalid { diagnostics, sources: sources_of(files) }),
    }
}

/// The catalogue format's JSON Schema (`schema/catalogue.schema.json`).
pub fn format_schema() -> String {
    schema::raw::json_schema()
}
