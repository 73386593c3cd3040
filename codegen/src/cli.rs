//! The `switchboard` CLI: thin clap derive over the library.

use crate::emit::EmitOptions;
use crate::output::{self, load_catalogue, stale, write_if_changed};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the catalogue has errors.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: bad command line (clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: `check` found stale or missing generated files.
pub const EXIT_STALE: u8 = 3;
/// Exit code: a file could not be read or written.
pub const EXIT_IO: u8 = 4;

/// Declarative event-schema code generator for real-time apps (Socket.IO).
#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    after_help = "Exit codes: 0 ok, 1 the catalogue has errors, 2 bad usage, 3 generated files are stale (check), 4 I/O error."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Diagnostic output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Snippets with file:line:column and hints.
    Human,
    /// A JSON array of diagnostics (code, severity, message, file, pos, label, help, related) on stdout,
    /// `[]` when clean; everything else goes to stderr.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Regenerate TypeScript, Markdown and JSON Schema output from the catalogue (writes only changed files).
    Generate {
        /// Where the catalogue is and where output goes.
        #[command(flatten)]
        paths: Paths,
        /// Print only diagnostics (no `wrote ...` lines or summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Exit non-zero and list the files when the generated output is stale (for CI).
    Check(Paths),
    /// Validate the catalogue and print diagnostics; writes nothing.
    Validate {
        /// Catalogue folder.
        #[arg(long, default_value = "schema")]
        schema: PathBuf,
        /// Diagnostic format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the catalogue format's JSON Schema (what `schema/catalogue.schema.json` holds).
    Schema,
    /// Scaffold a catalogue folder (format schema, one sample domain) and print the build.rs lines.
    Init {
        /// The folder to create; it must not hold a catalogue yet.
        #[arg(default_value = "schema")]
        dir: PathBuf,
    },
    /// Print a shell completion script (e.g. `switchboard completions bash > /etc/bash_completion.d/switchboard`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The sample domain `init` writes.
pub const INIT_EXAMPLE: &str = include_str!("../templates/init/example.yaml");

/// Scaffolds a catalogue in `dir`: the format schema and one sample domain; prints the build.rs
/// lines on `out`. Refuses a folder that already holds YAML files.
fn init(dir: &Path, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> u8 {
    if load_catalogue(dir).is_ok_and(|files| !files.is_empty()) {
        let _ = writeln!(err, "error: {} already holds a catalogue (YAML files); init writes only into a new or YAML-free folder", dir.display());
        return EXIT_IO;
    }
    let files = [("catalogue.schema.json", crate::format_schema()), ("example.yaml", INIT_EXAMPLE.to_string())];
    for (name, contents) in &files {
        let path = dir.join(name);
        if let Err(e) = output::create_new(&path, contents) {
            let _ = writeln!(err, "error: {e}");
            return EXIT_IO;
        }
        let _ = writeln!(err, "created {}", path.display());
    }
    let shown = display_dir(dir);
    let _ = write!(
        out,
        "\
// Cargo.toml of the crate that serves the events:
//   [dependencies]        switchboard-runtime
//   [build-dependencies]  switchboard
// build.rs (the catalogue path is relative to that crate; `{shown}` from here):
fn main() {{ switchboard::Builder::new().catalogue(\"{shown}\").build_or_exit(); }}
// src/lib.rs:
include!(concat!(env!(\"OUT_DIR\"), \"/switchboard.rs\"));
// TypeScript, docs and JSON Schemas: switchboard generate --schema {shown}
"
    );
    EXIT_OK
}


/// Where the catalogue is and where output goes.
#[derive(Debug, clap::Args)]
pub struct Paths {
    /// Catalogue folder (one YAML file per domain).
    #[arg(long, default_value = "schema")]
    pub schema: PathBuf,
    /// Output folder (ts/, docs/, json-schema/ are written below it).
    #[arg(long, default_value = "generated")]
    pub out: PathBuf,
    /// Diagnostic format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The regenerate command the headers name [default: `switchboard generate`, or $SWITCHBOARD_REGENERATE]
    #[arg(long)]
    pub regenerate: Option<String>,
    /// Said after the regenerate command in headers [default: none, or $SWITCHBOARD_REGENERATE_NOTE]
    #[arg(long)]
    pub regenerate_note: Option<String>,
}

impl Paths {
    /// Emit options: the environment's, then these flags.
    fn emit_options(&self) -> EmitOptions {
        let mut o = EmitOptions::from_env();
        if let Some(cmd) = &self.regenerate {
            o.regenerate = cmd.clone();
        }
        if let Some(note) = &self.regenerate_note {
            o.regenerate_note = Some(note.clone());
        }
        o
    }
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let color = wants_color(std::io::IsTerminal::is_terminal(&err), std::env::var_os("NO_COLOR"));
    ExitCode::from(run_with(cli, &mut out, &mut err, color))
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to a non-empty value (no-color.org).
pub fn wants_color(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The catalogue folder as diagnostics name it: relative to the current directory when it is
/// below it, without `./`, with `/` separators (`schema`, `../schema`, or an absolute path).
pub fn display_dir(schema: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = match cwd.as_deref().and_then(|c| schema.strip_prefix(c).ok()) {
        Some(r) if schema.is_absolute() => r,
        _ => schema,
    };
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if rel.is_absolute() {
        rel.display().to_string()
    } else {
        parts.join("/")
    }
}

/// Runs a parsed command, writing to the given streams; returns the exit code.
///
/// stdout (`out`) carries only machine output: the format schema, or the diagnostics array of
/// `--format json` (`[]` when clean). Human text (snippets, progress, summaries) goes to stderr.
pub fn run(cli: Cli, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> u8 {
    run_with(cli, out, err, false)
}

/// [`run`], with human diagnostics in colour (miette's fancy theme) when `color` is true.
pub fn run_with(cli: Cli, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write, color: bool) -> u8 {
    let build = |schema: &Path, format: Format, opts: &EmitOptions, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write| build(schema, format, opts, color, out, err);
    match cli.command {
        Command::Init { dir } => init(&dir, out, err),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "switchboard", out);
            EXIT_OK
        }
        Command::Schema => {
            let _ = out.write_all(crate::format_schema().as_bytes());
            EXIT_OK
        }
        Command::Validate { schema, format } => match build(&schema, format, &EmitOptions::from_env(), out, err) {
            Ok(g) => {
                let _ = writeln!(err, "{}: {} events, {} types, {} rooms; no errors", schema.display(), g.catalogue.events.len(), g.catalogue.types.len(), g.catalogue.rooms.len());
                EXIT_OK
            }
            Err(code) => code,
        },
        Command::Generate { paths: p, quiet } => {
            let g = match build(&p.schema, p.format, &p.emit_options(), out, err) {
                Ok(g) => g,
                Err(code) => return code,
            };
            let mut written = 0;
            for (root, f) in targets(&p, &g.files) {
                match write_if_changed(&root.join(&f.path), &f.contents) {
                    Ok(true) => {
                        written += 1;
                        if !quiet {
                            let _ = writeln!(err, "wrote {}", root.join(&f.path).display());
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        let _ = writeln!(err, "error: {e}");
                        return EXIT_IO;
                    }
                }
            }
            for rel in output::orphans(&p.out, &g.files) {
                let path = p.out.join(&rel);
                if let Err(e) = std::fs::remove_file(&path) {
                    let _ = writeln!(err, "error: cannot remove {}: {e}", path.display());
                    return EXIT_IO;
                }
                if !quiet {
                    let _ = writeln!(err, "removed {} (no longer generated)", path.display());
                }
            }
            if !quiet {
                let _ = writeln!(err, "{} files checked, {written} written", g.files.len() + 1);
            }
            EXIT_OK
        }
        Command::Check(p) => {
            let opts = p.emit_options();
            let g = match build(&p.schema, p.format, &opts, out, err) {
                Ok(g) => g,
                Err(code) => return code,
            };
            let mut bad = Vec::new();
            for (root, f) in targets(&p, &g.files) {
                for s in stale(&root, std::slice::from_ref(&f)) {
                    bad.push(root.join(s).display().to_string());
                }
            }
            for rel in output::orphans(&p.out, &g.files) {
                bad.push(format!("{} (no longer generated)", p.out.join(rel).display()));
            }
            if bad.is_empty() {
                let _ = writeln!(err, "{} generated files are up to date", g.files.len() + 1);
                EXIT_OK
            } else {
                let _ = writeln!(err, "stale generated files (run `{}`):", opts.regenerate);
                for b in &bad {
                    let _ = writeln!(err, "  {b}");
                }
                EXIT_STALE
            }
        }
    }
}

/// Output files with their roots: generated files under `out`, the format schema beside the catalogue.
fn targets(p: &Paths, files: &[output::GeneratedFile]) -> Vec<(PathBuf, output::GeneratedFile)> {
    let mut v: Vec<(PathBuf, output::GeneratedFile)> = files.iter().map(|f| (p.out.clone(), f.clone())).collect();
    v.push((p.schema.clone(), output::GeneratedFile { path: "catalogue.schema.json".into(), contents: crate::format_schema() }));
    v
}

/// Loads and generates; diagnostics go to `err` (human) or `out` (JSON, always one array).
/// File names in diagnostics are relative to the current directory (`schema/orders.yaml:71:17`).
fn build(schema: &Path, format: Format, opts: &EmitOptions, color: bool, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> Result<crate::Generation, u8> {
    let files = load_catalogue(schema).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        EXIT_IO
    })?;
    let (sources, diagnostics, result) = match crate::generate(&files, opts) {
        Ok(g) => (crate::sources_of(&files), g.warnings.clone(), Ok(g)),
        Err(inv) => (inv.sources, inv.diagnostics, Err(EXIT_INVALID)),
    };
    let dir = display_dir(schema);
    let sources = sources.prefixed(&dir);
    let diagnostics: Vec<_> = diagnostics.iter().map(|d| d.prefixed(&dir)).collect();
    match format {
        Format::Json => {
            let _ = out.write_all(crate::schema::diagnostic::Sources::render_json(&diagnostics).as_bytes());
        }
        Format::Human if !diagnostics.is_empty() => {
            let text = if color {
                sources.render_with(&diagnostics, miette::GraphicalTheme::unicode())
            } else {
                sources.render(&diagnostics)
            };
            let _ = err.write_all(text.as_bytes());
        }
        Format::Human => {}
    }
    result
}
