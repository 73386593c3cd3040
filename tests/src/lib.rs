//! Test support: the Rust generated from every valid codegen fixture is compiled here.

/// One module per fixture in `codegen/tests/fixtures/valid/`, and `evolution_before` /
/// `evolution_after` from `codegen/tests/fixtures/evolution/`.
pub mod fixtures {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

pub mod faults;
pub mod js;
pub mod minimal;
pub mod raw;
pub mod recovery;
pub mod redis;
pub mod scripted;
pub mod sim;
pub mod synth;
pub mod task;
