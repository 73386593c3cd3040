//! Automatic rooms are joined before the client hears CONNECT, so its first event (a `_recover`
//! sent at once after a reconnect) already finds the socket in them.

use futures_util::SinkExt;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use switchboard_runtime::server::{JwtHs256, RecoveryPolicy, Router, Runtime, ServerConfig};
use switchboard_tests::{minimal, raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_event_after_connect_finds_the_automatic_rooms() {
    let config = ServerConfig::default();
    let rt = Arc::new(Runtime::with_config(JwtHs256::new(minimal::SECRET), config.clone()));
    rt.enable_recovery(RecoveryPolicy { window: Duration::from_secs(60), max_events_per_room: 10 });
    let (layer, io) = config.builder().build_layer();
    rt.mount(&io, "/", Router::new(), |s, session| {
        // A slow connect step (blocking on purpose): joined after CONNECT, the client's
        // `_recover` below would be answered in this window, without the room.
        std::thread::sleep(Duration::from_millis(300));
        let room = format!("user-{}", session.principal().user_id);
        session.join_auto(&s, "user", room);
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(rt.clone().serve(listener, axum::Router::new().layer(layer)));

    let mut ws = raw::connect_ok(addr, &minimal::token("u1")).await;
    ws.send(raw::event_frame(1, "_recover", &json!({ "gone_ms": 1, "rooms": [] }))).await.unwrap();
    let ack = loop {
        let frame = raw::next_text(&mut ws).await.expect("an answer to _recover");
        if let Some((1, ack)) = raw::parse_ack(&frame) {
            break ack;
        }
    };
    assert_eq!(ack["ok"], true, "{ack}");
    let rooms = ack["data"]["rooms"].as_array().expect("rooms");
    assert!(rooms.iter().any(|r| r["room"] == "user-u1" && r["status"] == "recovered"), "the automatic room is answered: {ack}");
    server.abort();
}
