//! The build.rs API: a non-consuming builder plus a one-line shortcut (like tonic-build).
//!
//! ```no_run
//! # #![allow(clippy::needless_doctest_main)] // the example is a whole build.rs
//! // build.rs
//! fn main() {
//!     switchboard::Builder::new()
//!         .catalogue("../schema")
//!         .assets_dir(".") // also refresh ts/, docs/, json-schema/ next to Cargo.toml
//!         .build_or_exit();
//! }
//! ```
//! and in `src/lib.rs`: `include!(concat!(env!("OUT_DIR"), "/switchboard.rs"));`

use crate::emit::{EmitOptions, emit_all, rust};
use crate::output::{GeneratedFile, IoError, load_catalogue, write_if_changed};
use std::path::{Path, PathBuf};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The catalogue has errors (rendered with snippets).
    #[error("the catalogue has errors:\n{0}")]
    Invalid(crate::Invalid),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `out_dir` was not set and `OUT_DIR` is not in the environment (not in a build script).
    #[error("no output folder: set `out_dir` or run from a build script (OUT_DIR)")]
    NoOutDir,
}

/// What a build wrote.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Files read (catalogue files).
    pub read: Vec<PathBuf>,
    /// Files written because their bytes changed.
    pub written: Vec<PathBuf>,
}

/// Configures one generation run from a build script.
#[derive(Debug, Clone)]
pub struct Builder {
    catalogue: PathBuf,
    out_dir: Option<PathBuf>,
    assets_dir: Option<PathBuf>,
    rerun_if_changed: bool,
    opts: EmitOptions,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Catalogue `schema/`, Rust into `OUT_DIR`, no assets, cargo rerun lines on.
    pub fn new() -> Self {
        Self { catalogue: PathBuf::from("schema"), out_dir: None, assets_dir: None, rerun_if_changed: true, opts: EmitOptions::from_env() }
    }

    /// The regenerate command headers name (default: `switchboard generate`, or
    /// `SWITCHBOARD_REGENERATE`).
    pub fn regenerate(&mut self, command: impl Into<String>) -> &mut Self {
        self.opts.regenerate = command.into();
        self
    }

    /// Said after the regenerate command in headers, e.g. `building my-crate also refreshes it`
    /// (default: none, or `SWITCHBOARD_REGENERATE_NOTE`).
    pub fn regenerate_note(&mut self, note: impl Into<String>) -> &mut Self {
        self.opts.regenerate_note = Some(note.into());
        self
    }

    /// The catalogue folder.
    pub fn catalogue(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.catalogue = dir.as_ref().to_path_buf();
        self
    }

    /// Where `switchboard.rs` goes (default: `OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Also write the TypeScript, Markdown and JSON Schema output below this folder.
    pub fn assets_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.assets_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Print `cargo:rerun-if-changed` lines (default true).
    pub fn rerun_if_changed(&mut self, on: bool) -> &mut Self {
        self.rerun_if_changed = on;
        self
    }

    /// Runs the generation.
    pub fn build(&self) -> Result<BuildReport, BuildError> {
        let mut report = BuildReport::default();
        let files = load_catalogue(&self.catalogue)?;
        if self.rerun_if_changed {
            // The folder itself, so an added or removed file reruns the script.
            println!("cargo:rerun-if-changed={}", self.catalogue.display());
            // The headers' defaults come from these.
            println!("cargo:rerun-if-env-changed={}", crate::emit::REGENERATE_ENV);
            println!("cargo:rerun-if-env-changed={}", crate::emit::REGENERATE_NOTE_ENV);
        }
        for f in &files {
            let p = self.catalogue.join(&f.name);
            if self.rerun_if_changed {
                println!("cargo:rerun-if-changed={}", p.display());
            }
            report.read.push(p);
        }
        let g = crate::generate(&files, &self.opts).map_err(BuildError::Invalid)?;
        for w in &g.warnings {
            println!("cargo:warning={}:{}:{}: {}", w.file, w.pos.line, w.pos.col, w.message);
        }
        let out = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or(BuildError::NoOutDir)?,
        };
        let rust: GeneratedFile = rust::emit(&g.catalogue, &self.opts);
        let target = out.join("switchboard.rs");
        if write_if_changed(&target, &rust.contents)? {
            report.written.push(target);
        }
        if let Some(assets) = &self.assets_dir {
            for f in emit_all(&g.catalogue, &self.opts) {
                let p = assets.join(&f.path);
                if write_if_changed(&p, &f.contents)? {
                    report.written.push(p);
                }
            }
        }
        Ok(report)
    }

    /// Runs the generation; on failure prints the diagnostics and exits the build script.
    pub fn build_or_exit(&self) -> BuildReport {
        match self.build() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}

/// One-line shortcut: Rust from `catalogue` into `OUT_DIR`.
pub fn compile(catalogue: impl AsRef<Path>) -> Result<BuildReport, BuildError> {
    Builder::new().catalogue(catalogue).build()
}
