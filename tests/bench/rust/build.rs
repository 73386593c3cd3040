//! Generates the benchmark server's Rust from ../catalogue (the same Builder call as generated/build.rs).

fn main() {
    switchboard::Builder::new().catalogue("../catalogue").build_or_exit();
}
