//! Generates the Rust of every valid codegen fixture (cursed names included) so that compiling
//! this crate proves the generated code compiles, not only that it matches a snapshot; and of
//! the evolution pair (`evolution_before`, `evolution_after`), which one user code must build.

use std::path::Path;

// The synthetic catalogue generator, shared with the benchmarks (it needs only std and switchboard).
#[allow(dead_code)]
#[path = "src/synth.rs"]
mod synth;

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let mut index = String::new();
    // (folder, module prefix): valid/x -> `x`, evolution/x -> `evolution_x`.
    for (group, prefix) in [("valid", ""), ("evolution", "evolution_")] {
        let fixtures = Path::new("../codegen/tests/fixtures").join(group);
        println!("cargo:rerun-if-changed={}", fixtures.display());
        let mut names: Vec<String> = std::fs::read_dir(&fixtures)
            .expect("fixtures folder")
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            let module = format!("{prefix}{name}");
            let dir = out.join("fixtures").join(&module);
            switchboard::Builder::new().catalogue(fixtures.join(name)).out_dir(&dir).build_or_exit();
            index.push_str(&format!(
                "/// Generated from codegen/tests/fixtures/{group}/{name}.\n#[allow(dead_code, missing_docs)]\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/fixtures/{module}/switchboard.rs\"));\n}}\n"
            ));
        }
    }
    // A synthetic catalogue of 250 events (about 650 types, over the 512 above which the `types`
    // module keeps its types in re-exported groups), so the grouped layout is compiled too.
    println!("cargo:rerun-if-changed=src/synth.rs");
    let catalogue = out.join("synth_grouped_catalogue");
    let _ = std::fs::remove_dir_all(&catalogue);
    std::fs::create_dir_all(&catalogue).expect("create the synthetic catalogue folder");
    for f in synth::catalogue(250, 42) {
        std::fs::write(catalogue.join(&f.name), f.text).expect("write the synthetic catalogue");
    }
    let dir = out.join("fixtures").join("synth_grouped");
    // Its own rerun line above: the folder is rewritten on every run.
    switchboard::Builder::new().catalogue(&catalogue).out_dir(&dir).rerun_if_changed(false).build_or_exit();
    index.push_str("/// Generated from the synthetic catalogue (tests/src/synth.rs), 250 events, seed 42.\n#[allow(dead_code, missing_docs)]\npub mod synth_grouped {\n    include!(concat!(env!(\"OUT_DIR\"), \"/fixtures/synth_grouped/switchboard.rs\"));\n}\n");
    std::fs::write(out.join("fixtures.rs"), index).expect("write fixtures index");
}
