//! Bytes -> every client-to-server payload type of the Rez catalogue: a typed, validated payload
//! (which must survive a serialize/deserialize round trip) or an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (entry, _) in switchboard_fuzz::events() {
        (entry.from_bytes)(data);
    }
});
