//! Generates the Rust of every valid codegen fixture (cursed names included) so that compiling
//! this crate proves the generated code compiles, not only that it matches a snapshot.

use std::path::Path;

fn main() {
    let fixtures = Path::new("../codegen/tests/fixtures/valid");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let mut names: Vec<String> = std::fs::read_dir(fixtures)
        .expect("fixtures folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut index = String::new();
    for name in &names {
        let dir = out.join("fixtures").join(name);
        switchboard::Builder::new().catalogue(fixtures.join(name)).out_dir(&dir).build_or_exit();
        index.push_str(&format!(
            "/// Generated from codegen/tests/fixtures/valid/{name}.\n#[allow(dead_code, missing_docs)]\npub mod {name} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/fixtures/{name}/switchboard.rs\"));\n}}\n"
        ));
    }
    std::fs::write(out.join("fixtures.rs"), index).expect("write fixtures index");
}
