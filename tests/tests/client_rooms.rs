//! Remembered rooms across reconnects: a re-join the server refuses is forgotten and not
//! counted. Harness: `switchboard_tests::faults`.

use serde_json::json;
use std::time::Duration;
use switchboard_runtime::client::ClientEvent;
use switchboard_tests::faults::*;

/// A remembered room the server now refuses (the token changed to a user who is not in the
/// chat) is forgotten, and the `Rejoined` event counts only the rooms actually re-joined.
#[tokio::test]
async fn refused_rejoin_is_forgotten_and_not_counted() {
    let gw = start_gateway().await;
    let client = connected(fast_config(format!("http://{}", gw.addr)), token("u1")).await;
    let log = EventLog::new(&client);
    bounded("u1 join", Duration::from_secs(5), client.join("chat-c-1", "subscribe:chat", subscribe_c1())).await.expect("u1 joins c-1");
    // u9 is not a participant of c-1.
    client.update_auth_token(token("u9"));
    log.wait("Rejoined", Duration::from_secs(10), |e| matches!(e, ClientEvent::Rejoined { .. })).await;
    let rejoined: Vec<ClientEvent> = log.all().into_iter().filter(|e| matches!(e, ClientEvent::Rejoined { .. })).collect();
    assert_eq!(rejoined, vec![ClientEvent::Rejoined { rooms: 0 }], "the refused room is not reported as re-joined");
    assert_eq!(gw.runtime.metrics().snapshot().denied_joins, 1);
    // Forgotten: the next reconnect re-joins nothing (no second refusal, no Rejoined event).
    client.update_auth_token(token("u9"));
    wait_until("a third connection", Duration::from_secs(10), || client.stats().snapshot().connects == 3).await;
    wait_connected(&client, Duration::from_secs(10)).await;
    let hb = bounded("heartbeat", Duration::from_secs(5), client.emit_volatile("heartbeat", Some(json!({ "timestamp": switchboard_runtime::Timestamp::now() })))).await;
    assert!(hb.is_ok(), "{hb:?}");
    assert_eq!(gw.runtime.metrics().snapshot().denied_joins, 1);
    assert_eq!(log.count(|e| matches!(e, ClientEvent::Rejoined { .. })), 1);
}
