//! The generated TypeScript (`generated/ts/socket.types.ts`) checked by the real compiler.
//!
//! * `generated_ts_compiles_strict`: every exported name, imported and used from a generated
//!   `all-exports.ts`, plus the hand-written consumers in `tests/js/ts/` (a React Native-style
//!   app using socket.io-client's typed `Socket`, and the app's contract names) pass
//!   `tsc --strict --noEmit` with `tests/js/tsconfig.json`'s options.
//!   `app-hooks.ts` reads every name and `SocketEvents` key both Rez app versions read;
//!   `backend-server.ts` is the typed Node backend: a socket.io 4.8
//!   `Server<ClientToServerEvents, ServerToClientEvents>` that emits every server-to-client
//!   event to its room and answers every client-to-server event's ack.
//! * `wrong_payload_types_fail_to_compile`: each file in `tests/js/ts-fail/` fails with exactly
//!   the errors its `// expect: TSnnnn` comments name (code and line), and no others.
//! * `docs_snippets_compile_strict`: every `ts` snippet of the generated domain pages
//!   (`generated/docs/*.md`: `socket.on`, `socket.emit` with its ack) compiles against the
//!   generated maps, so the docs cannot show a payload or ack the types refuse.
//! * `no_runtime_imports_or_const_enums`: the file stays self-contained (no imports, no
//!   `require`, no `const enum`; only `as const` objects at run time) and uses `Date` only where
//!   the app keeps it.
//!
//! The compiler is the one pinned in `tests/js/package.json` (installed with `npm ci`, which
//! this test runs itself when `tests/js/node_modules` is missing or stale). Without Node.js and
//! npm these tests fail; they never skip.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Locations and set-up
// ---------------------------------------------------------------------------------------------

use switchboard_tests::js::{js_dir, repo_root, require_harness};

fn generated_ts() -> PathBuf {
    repo_root().join("generated/ts/socket.types.ts")
}

/// The harness's own `tsc`, installed by `npm ci` in `tests/js` when needed.
fn tsc() -> &'static Path {
    static TSC: OnceLock<PathBuf> = OnceLock::new();
    TSC.get_or_init(|| {
        require_harness(Path::new(env!("CARGO_TARGET_TMPDIR")));
        let tsc = js_dir().join("node_modules/.bin").join(if cfg!(windows) { "tsc.cmd" } else { "tsc" });
        assert!(tsc.exists(), "{} is missing after installing tests/js", tsc.display());
        tsc
    })
}


fn both(out: &Output) -> String {
    format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory of its own under the target dir, removed when the test passes and kept (for a
/// look at the generated files) when it fails.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "typescript-{label}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// A JSON (and so also TypeScript) string literal for a path.
fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.to_str().expect("paths here are UTF-8"))
        .expect("a string serialises")
}

/// Writes a tsconfig that takes every compiler option from `tests/js/tsconfig.json` and checks
/// exactly `files`.
fn write_tsconfig(dir: &Path, files: &[PathBuf]) -> PathBuf {
    let files: Vec<String> = files.iter().map(|f| quoted(f)).collect();
    let text = format!(
        "{{\n  \"extends\": {},\n  \"files\": [\n    {}\n  ]\n}}\n",
        quoted(&js_dir().join("tsconfig.json")),
        files.join(",\n    ")
    );
    let path = dir.join("tsconfig.json");
    fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Runs the harness's `tsc -p config` from `tests/js` (so reported paths are relative to it).
fn run_tsc(config: &Path) -> Output {
    let tsc = tsc();
    let started = Instant::now();
    let out = Command::new(tsc)
        .arg("-p")
        .arg(config)
        .args(["--pretty", "false"])
        .current_dir(js_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tsc.display()));
    eprintln!(
        "tsc -p {} took {:.2?} ({})",
        config.display(),
        started.elapsed(),
        out.status
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Scanning the generated file
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    Interface,
    Type,
    Const,
}

#[derive(Debug)]
struct Export {
    name: String,
    kind: ExportKind,
    /// Number of type parameters (`export type AckResponse<T> = ...` has one).
    type_params: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Every `export interface X`, `export type X` and `export const X` line, in file order. Any
/// other kind of top-level `export` is an error: this scan (and so the all-exports check) would
/// miss it.
fn scan_exports(source: &str) -> Vec<Export> {
    let mut exports: Vec<Export> = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let Some(rest) = line.strip_prefix("export ") else {
            continue;
        };
        let (kind, rest) = if let Some(r) = rest.strip_prefix("interface ") {
            (ExportKind::Interface, r)
        } else if let Some(r) = rest.strip_prefix("type ") {
            (ExportKind::Type, r)
        } else if let Some(r) = rest.strip_prefix("const ") {
            (ExportKind::Const, r)
        } else {
            panic!("line {}: unexpected kind of export: {line}", index + 1);
        };
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        assert!(
            !name.is_empty(),
            "line {}: no name after the export keyword: {line}",
            index + 1
        );
        let type_params = count_type_params(&rest[name.len()..]);
        if let Some(seen) = exports.iter().find(|e| e.name == name) {
            // Interfaces may merge; nothing else may be declared twice.
            assert!(
                seen.kind == ExportKind::Interface && kind == ExportKind::Interface,
                "line {}: `{name}` is exported twice",
                index + 1
            );
            continue;
        }
        exports.push(Export {
            name,
            kind,
            type_params,
        });
    }
    exports
}

/// `<A, B extends Foo<C>>` right after a name has two type parameters; no `<` has none.
fn count_type_params(after_name: &str) -> usize {
    let Some(list) = after_name.strip_prefix('<') else {
        return 0;
    };
    let (mut depth, mut count) = (1usize, 1usize);
    for c in list.chars() {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return count;
                }
            }
            ',' if depth == 1 => count += 1,
            _ => {}
        }
    }
    panic!("unterminated type parameter list: <{list}");
}

/// An `all-exports.ts` that imports every exported name (types with `import type`, consts with
/// a value import) and uses each one, so a name that does not resolve or a declaration that
/// does not type-check fails the build.
fn all_exports_module(exports: &[Export], module: &str) -> String {
    let consts: Vec<&Export> = exports
        .iter()
        .filter(|e| e.kind == ExportKind::Const)
        .collect();
    let types: Vec<&Export> = exports
        .iter()
        .filter(|e| e.kind != ExportKind::Const)
        .collect();
    let mut out = String::new();
    out.push_str("// @generated by tests/tests/typescript.rs: imports and uses every export of the generated file.\n");
    if !types.is_empty() {
        out.push_str("import type {\n");
        for e in &types {
            // A name that is both a type and a const comes in with the value import.
            if !consts.iter().any(|c| c.name == e.name) {
                let _ = writeln!(out, "  {},", e.name);
            }
        }
        let _ = writeln!(out, "}} from {module};");
    }
    if !consts.is_empty() {
        out.push_str("import {\n");
        for e in &consts {
            let _ = writeln!(out, "  {},", e.name);
        }
        let _ = writeln!(out, "}} from {module};");
    }
    out.push_str("\nexport type Use = [\n");
    for e in &types {
        // `never` satisfies any constraint a type parameter may have.
        let args = if e.type_params == 0 {
            String::new()
        } else {
            format!("<{}>", vec!["never"; e.type_params].join(", "))
        };
        let _ = writeln!(out, "  {}{args},", e.name);
    }
    out.push_str("];\n\nvoid [\n");
    for e in &consts {
        let _ = writeln!(out, "  {},", e.name);
    }
    out.push_str("];\n");
    out
}

/// `(line, code)` of every `// expect: TSnnnn` comment in a fail file.
fn expected_errors(source: &str) -> BTreeSet<(usize, String)> {
    let mut expected = BTreeSet::new();
    for (index, line) in source.lines().enumerate() {
        let Some((_, tail)) = line.split_once("// expect:") else {
            continue;
        };
        for code in tail
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            let digits = code
                .strip_prefix("TS")
                .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            assert!(
                digits.is_some(),
                "line {}: `{code}` is not a TS error code",
                index + 1
            );
            expected.insert((index + 1, code.to_owned()));
        }
    }
    expected
}

/// A diagnostic as `tsc --pretty false` prints it: `path(line,col): error TSnnnn: message`.
#[derive(Debug)]
struct Diagnostic {
    path: String,
    line: usize,
    code: String,
}

/// Diagnostics with a location; any `error TS` line without one is returned in the second list.
fn parse_diagnostics(output: &str) -> (Vec<Diagnostic>, Vec<String>) {
    let (mut located, mut other) = (Vec::new(), Vec::new());
    for line in output.lines() {
        let Some(at) = line.find("): error TS") else {
            if line.contains("error TS") {
                other.push(line.to_owned());
            }
            continue;
        };
        let (head, tail) = (&line[..at], &line[at + "): error ".len()..]);
        let parsed = head.rfind('(').and_then(|open| {
            let (line_no, _col) = head[open + 1..].split_once(',')?;
            let code: String = tail
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            Some(Diagnostic {
                path: head[..open].to_owned(),
                line: line_no.parse().ok()?,
                code,
            })
        });
        match parsed {
            Some(d) => located.push(d),
            None => other.push(line.to_owned()),
        }
    }
    (located, other)
}

fn ts_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn generated_ts_compiles_strict() {
    let source = read(&generated_ts());
    let exports = scan_exports(&source);
    for required in [
        "ServerToClientEvents",
        "ClientToServerEvents",
        "SocketEvents",
        "AckResponse",
    ] {
        assert!(
            exports.iter().any(|e| e.name == required),
            "the scan found no `{required}` export"
        );
    }
    assert!(
        exports.len() >= 100,
        "the scan found only {} exports",
        exports.len()
    );

    let scratch = ScratchDir::new("compile");
    // The module specifier is the generated file's absolute path without `.ts`.
    let module = quoted(&generated_ts().with_extension(""));
    let all_exports = scratch.0.join("all-exports.ts");
    fs::write(&all_exports, all_exports_module(&exports, &module)).expect("write all-exports.ts");

    let consumers = ts_files_in(&js_dir().join("ts"));
    for required in ["consumer.ts", "app-hooks.ts", "backend-server.ts"] {
        assert!(
            consumers.iter().any(|p| p.ends_with(Path::new("ts").join(required))),
            "tests/js/ts/{required} is missing"
        );
    }
    let mut files = consumers;
    files.push(all_exports);
    let config = write_tsconfig(&scratch.0, &files);

    let out = run_tsc(&config);
    assert!(
        out.status.success(),
        "tsc --strict rejected the generated types or a consumer of them ({}):\n{}",
        out.status,
        both(&out)
    );
}

#[test]
fn docs_snippets_compile_strict() {
    let docs = repo_root().join("generated/docs");
    let mut body = String::new();
    let mut count = 0;
    for page in fs::read_dir(&docs).expect("generated/docs").map(|e| e.expect("an entry").path()) {
        if page.extension().is_none_or(|x| x != "md") || page.ends_with("index.md") {
            continue;
        }
        let text = read(&page);
        for block in text.split("```ts\n").skip(1) {
            let code = block.split("```").next().expect("a closed block");
            count += 1;
            let _ = writeln!(body, "// {}\nexport function snippet{count}(): void {{\n{code}}}", page.display());
        }
    }
    assert!(count >= 100, "only {count} snippets in generated/docs");
    let scratch = ScratchDir::new("docs");
    let module = quoted(&generated_ts().with_extension(""));
    let client = quoted(&js_dir().join("node_modules/socket.io-client"));
    let file = scratch.0.join("docs-snippets.ts");
    let head = format!(
        "import type {{ Socket }} from {client};\nimport type {{ ServerToClientEvents, ClientToServerEvents }} from {module};\n\
         declare const socket: Socket<ServerToClientEvents, ClientToServerEvents>;\ndeclare const console: {{ warn(...args: unknown[]): void }};\n"
    );
    fs::write(&file, head + &body).expect("write docs-snippets.ts");
    let out = run_tsc(&write_tsconfig(&scratch.0, &[file]));
    assert!(out.status.success(), "tsc --strict rejected a docs snippet ({}):\n{}", out.status, both(&out));
}

#[test]
fn wrong_payload_types_fail_to_compile() {
    let fail_files = ts_files_in(&js_dir().join("ts-fail"));
    let names: Vec<String> = fail_files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for required in ["wrong-payload.ts", "unknown-event.ts", "backend-wrong-payload.ts"] {
        assert!(
            names.iter().any(|n| n == required),
            "tests/js/ts-fail/{required} is missing"
        );
    }

    let scratch = ScratchDir::new("fail");
    let mut problems = Vec::new();
    for (file, name) in fail_files.iter().zip(&names) {
        let expected = expected_errors(&read(file));
        assert!(
            !expected.is_empty(),
            "{name} has no `// expect: TSnnnn` comments"
        );

        // One config (and so one tsc run) per file, so each file's errors are its own.
        let dir = scratch.0.join(name.trim_end_matches(".ts"));
        fs::create_dir_all(&dir).expect("create a per-file scratch dir");
        let out = run_tsc(&write_tsconfig(&dir, std::slice::from_ref(file)));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let (located, other) = parse_diagnostics(&text);

        let elsewhere: Vec<&Diagnostic> = located
            .iter()
            .filter(|d| !Path::new(&d.path).ends_with(Path::new("ts-fail").join(name)))
            .collect();
        let actual: BTreeSet<(usize, String)> = located
            .iter()
            .filter(|d| Path::new(&d.path).ends_with(Path::new("ts-fail").join(name)))
            .map(|d| (d.line, d.code.clone()))
            .collect();

        if out.status.success() {
            problems.push(format!("{name}: tsc accepted it"));
        }
        if !other.is_empty() || !elsewhere.is_empty() {
            problems.push(format!(
                "{name}: errors outside the file: {other:?} {elsewhere:?}"
            ));
        }
        let missing: Vec<_> = expected.difference(&actual).collect();
        let unexpected: Vec<_> = actual.difference(&expected).collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            problems.push(format!(
                "{name}: expected errors not reported (line, code): {missing:?}; \
                 errors not expected: {unexpected:?}\n{text}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn no_runtime_imports_or_const_enums() {
    let source = read(&generated_ts());
    let mut problems = Vec::new();
    let mut in_block_comment = false;
    let mut current_interface: Option<String> = None;
    let mut date_in_socket_state = 0;

    for (index, line) in source.lines().enumerate() {
        let n = index + 1;
        let trimmed = line.trim_start();
        // Comment lines: `// ...`, and `/* ... */` / `/** ... */` blocks with their ` * ` lines.
        let is_comment = in_block_comment || trimmed.starts_with("//") || trimmed.starts_with("/*");
        if trimmed.starts_with("/*") && !trimmed.contains("*/") {
            in_block_comment = true;
        } else if in_block_comment && trimmed.contains("*/") {
            in_block_comment = false;
        }
        if is_comment {
            continue;
        }

        if line != line.trim_end() {
            problems.push(format!("line {n}: trailing whitespace"));
        }
        if let Some(rest) = line.strip_prefix("export interface ") {
            current_interface = Some(rest.chars().take_while(|&c| is_ident_char(c)).collect());
        } else if line.starts_with('}') {
            current_interface = None;
        }
        // Code only: a comment may mention the words.
        let code = line.split(" //").next().unwrap_or(line);
        for word in [
            "import ",
            "import(",
            "require(",
            "const enum",
            "declare module",
            "export default",
        ] {
            if code.contains(word) {
                problems.push(format!("line {n}: `{word}` in `{line}`"));
            }
        }
        for (at, _) in code.match_indices("Date") {
            let before = code[..at].chars().next_back();
            let after = code[at + 4..].chars().next();
            if before.is_some_and(is_ident_char) || after.is_some_and(is_ident_char) {
                continue;
            }
            if current_interface.as_deref() == Some("SocketState")
                && line.trim() == "lastConnected: Date | null;"
            {
                date_in_socket_state += 1;
            } else {
                problems.push(format!(
                    "line {n}: `Date` outside SocketState.lastConnected (wire dates are ISO strings): `{line}`"
                ));
            }
        }
    }
    if source.contains('\r') {
        problems.push("the file has CR line endings".to_owned());
    }
    if date_in_socket_state != 1 {
        problems.push(format!(
            "SocketState.lastConnected should be `Date | null` (the app's shape); found it {date_in_socket_state} times"
        ));
    }
    assert!(
        problems.is_empty(),
        "generated/ts/socket.types.ts:\n{}",
        problems.join("\n")
    );
}
