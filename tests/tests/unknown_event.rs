//! Events the catalogue does not declare (issue 12, bug 3): answered
//! `{ok: false, error: {code: "unknown_event"}}` when the client asked for an ack, counted in
//! `unknown_events` with or without an ack id, and the socket keeps working.
//! Served from the Rust generated for `codegen/tests/fixtures/valid/minimal`.

use futures_util::SinkExt;
use switchboard_tests::fixtures::minimal::server;
use switchboard_tests::minimal::{serve, token};
use switchboard_tests::raw;
use tokio_tungstenite::tungstenite::Message;

/// The next ACK frame (other frames are skipped); panics when none comes.
async fn next_ack(ws: &mut raw::Ws) -> (u64, serde_json::Value) {
    loop {
        let frame = raw::next_text(ws).await.expect("an ack comes before the socket goes quiet");
        if let Some(ack) = raw::parse_ack(&frame) {
            return ack;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_is_answered_unknown_event_and_counted() {
    let s = serve(server::ServerConfig::default(), None).await;
    let mut ws = raw::connect_ok(s.addr, &token("u1")).await;

    // Without an ack id: nothing to answer, but counted, and the socket stays usable.
    let no_ack = format!("42{}", serde_json::json!(["no:such_event", {"x": 1}]));
    ws.send(Message::Text(no_ack.into())).await.unwrap();
    // With an ack id: exactly this answer.
    ws.send(raw::event_frame(7, "no:such_event", &serde_json::json!({"x": 1}))).await.unwrap();
    let (id, answer) = next_ack(&mut ws).await;
    assert_eq!(id, 7, "the ack of the unknown event with id 7 (the one without an id is not answered)");
    assert_eq!(
        answer,
        serde_json::json!({"ok": false, "error": {"code": "unknown_event", "message": "the catalogue has no client-to-server event `no:such_event`"}})
    );

    // The socket keeps working: a declared event is still served, and answered after the above.
    ws.send(raw::event_frame(8, "ping", &serde_json::json!({}))).await.unwrap();
    let (id, answer) = next_ack(&mut ws).await;
    assert_eq!(id, 8);
    assert_eq!(answer["ok"], true, "{answer}");

    let m = s.rt.metrics().snapshot();
    assert_eq!(m.unknown_events, 2, "both unknown events are counted: {m:?}");
    assert_eq!(m.events_ok, 1, "{m:?}");
    assert_eq!(m.invalid_payloads + m.handler_errors + m.ack_send_failures, 0, "{m:?}");
    s.task.abort();
}
