//! YAML text -> `switchboard::generate`: diagnostics, or the IR and every emitter's output.
//! NUL bytes split the input into several catalogue files (NUL cannot occur in YAML text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::emit::EmitOptions;
use switchboard::schema::lower::SourceFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // More files than this add nothing the merge code has not seen, only run time.
    let files: Vec<SourceFile> = text.split('\0').take(8).enumerate().map(|(i, t)| SourceFile { name: format!("f{i}.yaml"), text: t.to_string() }).collect();
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
