//! Generates the benchmark server's Rust from ../catalogue into OUT_DIR (the same Builder call as
//! generated/build.rs), and the TypeScript the Node server is written against into
//! tests/js/bench/generated/ (git-ignored), so both servers always come from one catalogue.

fn main() {
    let ts = "../../js/bench/generated";
    switchboard::Builder::new().catalogue("../catalogue").assets_dir(ts).build_or_exit();
    // Rerun when the TS output is missing (e.g. deleted by a clean).
    println!("cargo:rerun-if-changed={ts}/ts/socket.types.ts");
}
