include!(concat!(env!("OUT_DIR"), "/switchboard.rs"));
fn main() {}
