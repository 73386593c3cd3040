//! YAML text -> `switchboard::generate`: diagnostics, or the IR and every emitter's output (a
//! catalogue that lowers must produce output the emitters accept). Slower per input than
//! `catalogue`, which covers parse, validate and lower alone (see README.md).
//! NUL bytes split the input into several catalogue files (NUL cannot occur in YAML text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::emit::EmitOptions;

fuzz_target!(|data: &[u8]| {
    let files = switchboard_fuzz::catalogue_files(data);
    match switchboard::generate(&files, &EmitOptions::default()) {
        Ok(generation) => {
            assert!(!generation.files.is_empty(), "a catalogue that lowers produces files");
            for f in &generation.files {
                if f.path.ends_with(".json") {
                    serde_json::from_str::<serde_json::Value>(&f.contents).unwrap_or_else(|e| panic!("{} is not JSON: {e}", f.path));
                }
            }
            // Warnings are rendered like errors: their spans must fit the sources too.
            let sources = switchboard::sources_of(&files);
            let _ = sources.render(&generation.warnings);
        }
        Err(invalid) => {
            assert!(!invalid.diagnostics.is_empty(), "a refused catalogue says why");
            let _ = invalid.render();
        }
    }
});
