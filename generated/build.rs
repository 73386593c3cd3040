//! Regenerates the Rez real-time code from ../schema: Rust into OUT_DIR, and the committed
//! TypeScript, Markdown and JSON Schema output next to this file (written only when changed).

fn main() {
    switchboard::Builder::new().catalogue("../schema").assets_dir(".").build_or_exit();
}
