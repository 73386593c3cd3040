//! Bytes -> every client-to-server payload type of the Rez catalogue: a typed, validated payload
//! (which must survive a serialize/deserialize round trip) or an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use switchboard_fuzz::Entry;

fuzz_target!(|data: &[u8]| {
    for entry in distinct_payloads() {
        (entry.from_bytes)(data);
    }
});

/// One event per payload type: events sharing a type (or taking none) run the same code on the
/// same bytes, so checking each type once checks every event.
fn distinct_payloads() -> &'static [&'static Entry] {
    static DISTINCT: OnceLock<Vec<&'static Entry>> = OnceLock::new();
    DISTINCT.get_or_init(|| {
        let mut out: Vec<&'static Entry> = Vec::new();
        for (entry, _) in switchboard_fuzz::events() {
            if !out.iter().any(|e| e.payload == entry.payload) {
                out.push(entry);
            }
        }
        out
    })
}
