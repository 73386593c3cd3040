use switchboard::output::load_catalogue;
use switchboard::schema::{diagnostic::Sources, lower::lower};

#[test]
fn smoke() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let files = load_catalogue(&dir).unwrap();
    let mut sources = Sources::default();
    for f in &files { sources.add(f.name.clone(), f.text.clone()); }
    match lower(&files) {
        Ok((c, w)) => { println!("{}", sources.render(&w)); println!("events {} types {} rooms {}", c.events.len(), c.types.len(), c.rooms.len()); }
        Err(d) => { println!("{}", sources.render(&d)); panic!("errors"); }
    }
}
