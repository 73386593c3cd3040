//! The committed output in generated/ and schema/catalogue.schema.json equals what the catalogue
//! makes now. If this fails, run `cargo run -p switchboard -- generate` and commit the result.

use std::path::Path;
use switchboard::emit::EmitOptions;
use switchboard::output::{load_catalogue, orphans, stale};

#[test]
fn committed_output_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = load_catalogue(&root.join("schema")).unwrap();
    // The workspace's `.cargo/config.toml` sets the headers' regenerate command and note.
    let g = switchboard::generate(&files, &EmitOptions::from_env()).unwrap_or_else(|e| panic!("schema/ is invalid:\n{e}"));
    let mut bad = stale(&root.join("generated"), &g.files);
    bad.extend(orphans(&root.join("generated"), &g.files).into_iter().map(|o| format!("{o} (no longer generated)")));
    let schema = std::fs::read_to_string(root.join("schema/catalogue.schema.json")).unwrap_or_default();
    if schema != switchboard::format_schema() {
        bad.push("schema/catalogue.schema.json".into());
    }
    assert!(bad.is_empty(), "stale generated files, run `cargo run -p switchboard -- generate`:\n{}", bad.join("\n"));
}

#[test]
fn every_catalogue_file_names_the_format_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    for f in load_catalogue(&dir).unwrap() {
        assert!(
            f.text.starts_with("# yaml-language-server: $schema=./catalogue.schema.json\n"),
            "{} must start with the yaml-language-server line",
            f.name
        );
    }
}
