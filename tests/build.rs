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

    // The widest objects the catalogue allows (lowering refuses more than 256 fields): the
    // runtime reads a struct into a tuple of groups of at most 16 slots of one kind. `Widest`
    // has 16 full groups of required fields; `Mixed` 256 fields in the most groups they can
    // take (15 required, 2 optional, 1 defaulted: the runtime's largest tuple, 18).
    let wide = out.join("wide_catalogue");
    std::fs::create_dir_all(&wide).expect("create the wide catalogue folder");
    let mut yaml = String::from("domain: wide\ntypes:\n  Widest:\n    fields:\n");
    yaml.extend((0..256).map(|i| format!("      f{i}: integer\n")));
    yaml.push_str("  Mixed:\n    fields:\n");
    yaml.extend((0..225).map(|i| format!("      r{i}: string\n")));
    yaml.extend((0..17).map(|i| format!("      o{i}?: integer\n")));
    yaml.extend((0..14).map(|i| format!("      d{i}?: {{ type: integer, default: {i} }}\n")));
    yaml.push_str("events:\n  wide:widest:\n    to_client: { to: everyone, payload: Widest }\n  wide:mixed:\n    to_client: { to: everyone, payload: Mixed }\n");
    std::fs::write(wide.join("wide.yaml"), yaml).expect("write the wide catalogue");
    let dir = out.join("fixtures").join("wide");
    switchboard::Builder::new().catalogue(&wide).out_dir(&dir).rerun_if_changed(false).build_or_exit();
    index.push_str("/// Generated from the widest objects a catalogue may declare (tests/build.rs).\n#[allow(dead_code, missing_docs)]\npub mod wide {\n    include!(concat!(env!(\"OUT_DIR\"), \"/fixtures/wide/switchboard.rs\"));\n}\n");
    std::fs::write(out.join("fixtures.rs"), index).expect("write fixtures index");
}
