//! Snapshot tests of the diagnostics for invalid catalogues, and a no-panic test over mutated inputs.
//!
//! Each folder of `fixtures/invalid/` is a small catalogue with one problem (or a few related
//! ones) and an `expect.txt` listing the diagnostic codes it must produce, one per line. The
//! rendered diagnostics are snapshotted as `snapshots/diagnostics/<case>.snap`.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p switchboard --test diagnostics`
//! (or `cargo insta review`), then read every changed `.snap` file.

use std::path::{Path, PathBuf};
use switchboard::output::load_catalogue;
use switchboard::schema::diagnostic::{Diagnostic, Severity, Sources};
use switchboard::schema::lower::{SourceFile, lower};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn invalid_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures/invalid")
}

/// Every case folder of `fixtures/invalid`, sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let root = invalid_dir();
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    cases.sort();
    cases
}

/// Loads a catalogue folder and lowers it; the case must fail with at least one error.
fn lower_case(dir: &Path) -> (Sources, Vec<Diagnostic>) {
    let files = load_catalogue(dir).unwrap_or_else(|e| panic!("cannot load {}: {e}", dir.display()));
    let mut sources = Sources::default();
    for f in &files {
        sources.add(f.name.clone(), f.text.clone());
    }
    match lower(&files) {
        Ok((_, warnings)) => panic!(
            "{}: expected lowering to fail, but it succeeded with:\n{}",
            dir.display(),
            sources.render(&warnings)
        ),
        Err(diags) => {
            assert!(
                diags.iter().any(|d| d.severity == Severity::Error),
                "{}: lowering failed without an error diagnostic",
                dir.display()
            );
            (sources, diags)
        }
    }
}

/// The rendered diagnostics (miette, no colour) of an invalid catalogue folder.
fn render_case(dir: &Path) -> String {
    let (sources, diags) = lower_case(dir);
    sources.render(&diags)
}

/// Does `text` contain `<name>.yaml:<line>:<column>`?
fn has_yaml_location(text: &str) -> bool {
    text.match_indices(".yaml:").any(|(i, m)| {
        let rest = &text[i + m.len()..];
        let line_len = rest.chars().take_while(char::is_ascii_digit).count();
        if line_len == 0 || !rest[line_len..].starts_with(':') {
            return false;
        }
        rest[line_len + 1..].starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The codes listed in the case's `expect.txt` (one per line; `#` starts a comment line).
fn expected_codes(dir: &Path) -> Vec<String> {
    let path = dir.join("expect.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let codes: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    assert!(!codes.is_empty(), "{} lists no code", path.display());
    codes
}

#[test]
fn invalid_catalogues() {
    let cases = cases();
    assert!(cases.len() >= 30, "expected at least 30 invalid fixtures, found {}", cases.len());
    let mut problems = Vec::new();
    for (name, dir) in &cases {
        let rendered = render_case(dir);
        let (sources, diags) = lower_case(dir);
        assert_eq!(rendered, sources.render(&diags), "{name}: lowering twice gives different diagnostics");

        // Every listed code is among the diagnostics.
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        for want in expected_codes(dir) {
            if !codes.contains(&want.as_str()) {
                problems.push(format!("{name}: expected code `{want}`, got {codes:?}"));
            }
        }

        // The rendered text names a place, and every diagnostic has one.
        if !has_yaml_location(&rendered) {
            problems.push(format!("{name}: no `<file>.yaml:<line>:<column>` in the rendered text"));
        }
        for d in &diags {
            let located = d.pos.line > 0 && d.file.ends_with(".yaml");
            if located {
                let place = format!("{}:{}:{}", d.file, d.pos.line, d.pos.col);
                if !rendered.contains(&place) {
                    problems.push(format!("{name}: `{place}` of `{}` is not in the rendered text", d.code));
                }
            } else {
                problems.push(format!("{name}: `{}` ({}) has no position: {:?}", d.code, d.message, d.pos));
            }
        }

        insta::with_settings!({
            snapshot_path => "snapshots/diagnostics",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("fixtures/invalid/{name}"),
        }, {
            insta::assert_snapshot!(name.as_str(), rendered);
        });
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn json_format_is_stable() {
    let (_, diags) = lower_case(&invalid_dir().join("unknown_type_reference"));
    let json = Sources::render_json(&diags);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("render_json writes JSON");
    assert!(parsed.as_array().is_some_and(|a| !a.is_empty()), "{json}");
    insta::with_settings!({
        snapshot_path => "snapshots/diagnostics",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("json_unknown_type_reference", json);
    });
}

// ---- no panics on mutated input ----------------------------------------------------------------

/// Values swapped in for a scalar, to reach the type checks of every reader.
const SCALARS: &[&str] = &["[]", "{}", "~", "-1", "9999999999999999999", "-9223372036854775808", "\"\\t\""];

/// At most this many variants of one file (an evenly spaced, deterministic subset beyond it).
const MAX_VARIANTS_PER_FILE: usize = 120;

/// Deterministic mutants of `text`, labelled for the failure message.
fn mutants(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // Truncation at every 7th byte offset that is a char boundary.
    for i in (0..text.len()).step_by(7).filter(|i| text.is_char_boundary(*i)) {
        out.push((format!("truncate at byte {i}"), text[..i].to_string()));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let join = |f: &dyn Fn(usize, &str) -> String| -> String {
        lines.iter().enumerate().map(|(i, l)| f(i, l)).collect()
    };
    for (n, &this) in lines.iter().enumerate() {
        out.push((format!("delete line {}", n + 1), join(&|i, l| if i == n { String::new() } else { l.to_string() })));
        out.push((format!("duplicate line {}", n + 1), join(&|i, l| if i == n { format!("{l}{l}") } else { l.to_string() })));
        if this.contains(':') {
            out.push((format!("`:` -> `;` on line {}", n + 1), join(&|i, l| if i == n { l.replace(':', ";") } else { l.to_string() })));
        }
        // Swap the value after `key: ` (or a list item's value) for odd scalars.
        let line = this.trim_end_matches('\n');
        let value_at = line.find(": ").map(|p| p + 2).or_else(|| {
            let t = line.trim_start();
            t.starts_with("- ").then(|| line.len() - t.len() + 2)
        });
        if let Some(at) = value_at.filter(|at| *at < line.len() && !line.trim_start().starts_with('#')) {
            for (k, s) in SCALARS.iter().enumerate() {
                // Rotate through the scalars so each line gets two of them.
                if (n + k) % 3 != 0 {
                    continue;
                }
                let replaced = format!("{}{s}", &line[..at]);
                out.push((format!("value on line {} -> {s}", n + 1), join(&|i, l| if i == n { format!("{replaced}\n") } else { l.to_string() })));
            }
        }
    }
    if out.len() > MAX_VARIANTS_PER_FILE {
        let step = out.len() as f64 / MAX_VARIANTS_PER_FILE as f64;
        out = (0..MAX_VARIANTS_PER_FILE).map(|i| out[(i as f64 * step) as usize].clone()).collect();
    }
    // Deep nesting (never sampled away): reading and lowering recurse once per level, so these
    // must stop at the depth cap instead of overflowing the stack.
    for (label, deep) in deep_values() {
        out.push((format!("append a key holding {label}"), format!("{text}\ndeep: {deep}\n")));
    }
    out
}

/// Deeply nested YAML values: flow lists and mappings, and a block mapping.
fn deep_values() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in [33, 45, 1000] {
        out.push((format!("{n} nested lists"), format!("{}{}", "[".repeat(n), "]".repeat(n))));
        out.push((format!("{n} nested flow mappings"), format!("{}1{}", "{a: ".repeat(n), "}".repeat(n))));
    }
    let mut block = String::new();
    for i in 0..60 {
        block.push_str(&format!("\n{}k{i}:", "  ".repeat(i + 1)));
    }
    out.push(("60 nested block mappings".into(), block));
    out
}

/// Catalogues to mutate: the valid schema (one file at a time) and every invalid fixture folder.
fn corpora() -> Vec<(String, Vec<SourceFile>)> {
    let mut out = Vec::new();
    let schema = load_catalogue(&manifest_dir().join("../schema")).expect("schema/ loads");
    assert!(!schema.is_empty(), "schema/ has no YAML files");
    for f in schema {
        out.push((format!("schema/{}", f.name), vec![f]));
    }
    for (name, dir) in cases() {
        out.push((format!("fixtures/invalid/{name}"), load_catalogue(&dir).expect("fixture loads")));
    }
    out
}

#[test]
fn no_input_panics() {
    let start = std::time::Instant::now();
    let mut runs = 0usize;
    let mut failures = Vec::new();
    for (label, files) in corpora() {
        for (which, file) in files.iter().enumerate() {
            for (how, text) in mutants(&file.text) {
                let mut variant = files.clone();
                variant[which].text = text;
                runs += 1;
                let result = std::panic::catch_unwind(|| {
                    let diags = match lower(&variant) {
                        Ok((_, warnings)) => warnings,
                        Err(diags) => diags,
                    };
                    // Rendering must not panic either (offsets, token lengths).
                    let mut sources = Sources::default();
                    for f in &variant {
                        sources.add(f.name.clone(), f.text.clone());
                    }
                    let _ = sources.render(&diags);
                    let _ = Sources::render_json(&diags);
                });
                if let Err(payload) = result {
                    let msg = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("{label} ({}), {how}: {msg}\n---\n{}\n---", file.name, variant[which].text));
                }
            }
        }
    }
    eprintln!("no_input_panics: {runs} runs in {:.1?}", start.elapsed());
    assert!(runs > 1000, "only {runs} runs");
    assert!(
        failures.is_empty(),
        "{} of {runs} mutated inputs panicked; the first ones:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}
