//! Adding an optional field is not a breaking change in the catalogue, so it must not be one in
//! Rust: the same user code (built with `new` and `with_` setters) compiles against version 1
//! (`codegen/tests/fixtures/evolution/before`) and version 2 (`after`, optional fields added to
//! the payload, a nested type and the ack), and sends the same bytes. A struct literal would stop
//! compiling at version 2 (E0063 missing fields).

use serde_json::json;
use switchboard_runtime::validate::Validate;

/// The code an app writes, compiled once per catalogue version.
macro_rules! user_code {
    ($version:ident) => {
        mod $version {
            use switchboard_runtime::server::Ctx;
            use switchboard_runtime::wire::AckError;
            use switchboard_tests::fixtures::$version::{server, types};

            pub fn post() -> types::PostNotePayload {
                types::PostNotePayload::new("b-1", "hello", types::Author::new("u1").with_name("Ada"))
                    .with_pinned(true)
                    .with_color(None)
            }

            pub fn ack() -> types::NotePostAck {
                types::NotePostAck::new("n-1")
            }

            /// A handler builds its ack the same way.
            pub struct Backend;
            impl server::NotesHandlers for Backend {
                async fn note_post(&self, _ctx: Ctx, _p: types::PostNotePayload) -> Result<types::NotePostAck, AckError> {
                    Ok(ack())
                }
            }

            /// The backend is a complete `Handlers`, so `server::mount` takes it.
            pub fn mountable() -> impl server::Handlers {
                Backend
            }
        }
    };
}

user_code!(evolution_before);
user_code!(evolution_after);

#[test]
fn the_same_code_builds_both_versions_and_sends_the_same_bytes() {
    let expected = json!({
        "boardId": "b-1",
        "text": "hello",
        "author": { "id": "u1", "name": "Ada" },
        "pinned": true,
        "priority": 0,
        "color": null
    });
    let (v1, v2) = (evolution_before::post(), evolution_after::post());
    assert_eq!(serde_json::to_value(&v1).unwrap(), expected);
    assert_eq!(serde_json::to_value(&v2).unwrap(), expected, "unset optional fields are not sent");
    let _ = (evolution_before::mountable(), evolution_after::mountable());
    v1.validate().unwrap();
    v2.validate().unwrap();
    assert_eq!(serde_json::to_value(evolution_before::ack()).unwrap(), json!({ "noteId": "n-1" }));
    assert_eq!(serde_json::to_value(evolution_after::ack()).unwrap(), json!({ "noteId": "n-1" }));
}

#[test]
fn setters_and_defaults() {
    use switchboard_tests::fixtures::evolution_after::types::{Author, PostNotePayload};
    let p = PostNotePayload::new("b-1", "x", Author::new("u1")).with_tags(vec!["a".to_string()]).with_priority(3);
    assert_eq!(p.priority, 3);
    assert_eq!(p.tags.as_deref(), Some(&["a".to_string()][..]));
    assert_eq!(p.color, None, "an unset nullable field is absent, not null");
    assert_eq!(PostNotePayload::new("b-1", "x", Author::new("u1")).priority, 0, "new starts at the catalogue default");
    // `Some(None)` is an explicit null on the wire.
    let nulled = serde_json::to_value(PostNotePayload::new("b", "x", Author::new("u")).with_color(None)).unwrap();
    assert_eq!(nulled["color"], serde_json::Value::Null);
    // A constraint still holds for values built this way.
    assert!(PostNotePayload::new("", "x", Author::new("u1")).validate().is_err());
}
