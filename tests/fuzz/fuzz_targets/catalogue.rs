//! YAML text -> parse, validate and lower (`switchboard::schema::lower::lower`): diagnostics or
//! the IR, never a panic or a hang. The input-handling half of `switchboard::generate`; the
//! emitters run in the `emit` target, which is slower (see README.md).
//! NUL bytes split the input into several catalogue files (NUL cannot occur in YAML text).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = switchboard_fuzz::catalogue_files(data);
    let sources = switchboard::sources_of(&files);
    match switchboard::schema::lower::lower(&files) {
        // Warnings are rendered like errors: their spans must fit the sources too.
        Ok((_, warnings)) => drop(sources.render(&warnings)),
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a refused catalogue says why");
            drop(sources.render(&diagnostics));
        }
    }
});
