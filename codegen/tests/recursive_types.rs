//! Recursive types that are fine (through optional, nullable and list fields, or named inline
//! objects) lower and emit without running away; aliases of objects work as payloads; and
//! constraints written on a use of an alias are kept and checked.

use switchboard::emit::EmitOptions;
use switchboard::schema::ir::*;
use switchboard::schema::lower::{SourceFile, lower};

const RECURSIVE: &str = r#"
domain: tree
types:
  Category:
    fields:
      name: string
      parent?: Category
      children: Category[]
      next: Category | null
      byName?: map<Category>
  Ping: { fields: { pong?: Pong } }
  Pong: { fields: { ping?: Ping } }
  Comment:
    fields:
      text: string
      replies:
        type: array
        items:
          name: Reply
          fields:
            text: string
            thread?: Comment
  CategoryRef: Category
  CategoryAlias: CategoryRef
  Sku: { type: string, min_length: 3 }
events:
  category:changed:
    to_client:
      to: everyone
      payload:
        category: Category
        ping: Ping
        comment: Comment
        sku: { type: Sku, max_length: 8 }
      example:
        category: { name: root, next: null, children: [{ name: a, next: null, children: [], parent: { name: root, next: null, children: [] } }] }
        ping: { pong: { ping: { pong: {} } } }
        comment: { text: hi, replies: [{ text: re, thread: { text: deeper, replies: [] } }] }
        sku: ABC-1
  category:viewed:
    to_client: { to: everyone, payload: CategoryAlias }
  category:open:
    to_server: { payload: CategoryRef, ack: CategoryRef }
"#;

fn one(text: &str) -> Result<(Catalogue, Vec<switchboard::schema::diagnostic::Diagnostic>), String> {
    let files = [SourceFile { name: "tree.yaml".into(), text: text.into() }];
    lower(&files).map_err(|d| switchboard::sources_of(&files).render(&d))
}

/// Runs `f` on a thread with a 2 MiB stack (a test thread's default), so runaway recursion fails.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).expect("spawn").join().expect("no panic")
}

#[test]
fn recursive_types_lower_and_emit() {
    let (c, warnings) = one(RECURSIVE).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    let files = small_stack(move || switchboard::emit::emit_all(&c, &EmitOptions::default()));
    let ts = files.iter().find(|f| f.path.ends_with(".ts")).expect("TypeScript output");
    assert!(ts.contents.contains("export interface Category"), "{}", ts.contents);
    assert!(ts.contents.contains("export interface Reply"), "{}", ts.contents);
}

#[test]
fn a_payload_named_through_aliases_is_the_object() {
    let (c, _) = one(RECURSIVE).unwrap_or_else(|e| panic!("{e}"));
    let category = c.type_named("Category").expect("Category");
    let viewed = c.events.iter().find(|e| e.wire_name == "category:viewed").expect("event");
    assert_eq!(viewed.to_client.as_ref().and_then(|s| s.payload), Some(category));
    let open = c.events.iter().find(|e| e.wire_name == "category:open").and_then(|e| e.to_server.as_ref()).expect("event");
    assert_eq!((open.payload, open.ack), (Some(category), Some(category)));
}

#[test]
fn constraints_on_a_use_of_an_alias_are_kept_and_checked() {
    let (c, _) = one(RECURSIVE).unwrap_or_else(|e| panic!("{e}"));
    let payload = c.type_named("CategoryChangedPayload").expect("payload");
    let TypeKind::Object { fields } = &c.types[payload].kind else { panic!("not an object") };
    let sku = fields.iter().find(|f| f.wire_name == "sku").expect("sku");
    assert_eq!(sku.ty.constraints.max_length, Some(8));

    // The alias's own `min_length: 3` and the use's `max_length: 8` both apply to examples.
    for (value, want) in [("AB", "length 2"), ("ABCDEFGHIJ", "length 10")] {
        let text = RECURSIVE.replace("sku: ABC-1", &format!("sku: {value}"));
        let err = one(&text).expect_err("the example breaks a constraint");
        assert!(err.contains("`example.sku` does not match its type") && err.contains(want), "{err}");
    }
}

#[test]
fn examples_of_recursive_types_are_checked_deeply() {
    let text = RECURSIVE.replace("replies: [{ text: re, thread: { text: deeper, replies: [] } }]", "replies: [{ text: re, thread: { text: deeper } }]");
    let err = one(&text).expect_err("a nested required field is missing");
    assert!(err.contains("required field `replies` is missing from `example.comment.replies[0].thread`"), "{err}");
}
