//! Tokens and the server's refusal: a new token reconnects at once and keeps the queue; a bad
//! token ends in `AuthFailed`, not a retry loop. Harness: `switchboard_tests::faults`.

use rez_realtime::gateway::DEV_SECRET;
use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ConnectionState};
use switchboard_runtime::server::JwtHs256;
use switchboard_tests::faults::*;
use switchboard_tests::faults::proxy::Proxy;
use tokio::time::{Instant, timeout};

/// The reconnect backoff of the token-update test: far longer than any reconnect may take.
const BACKOFF: Duration = Duration::from_secs(30);

/// A new token while offline reconnects at once (not after the backoff) and the queued
/// messages are delivered.
#[tokio::test]
async fn token_update_reconnects_at_once_and_delivers_the_queue() {
    let gw = start_gateway().await;
    let proxy = Proxy::start(gw.addr).await;
    // A 30 s backoff, so "at once" cannot be confused with the backoff firing on a slow machine.
    let mut config = ClientConfig::new(proxy.url());
    config.backoff.base = BACKOFF;
    config.backoff.max = BACKOFF;
    config.backoff.jitter = 0.0;
    let client = connected(config, token("u1")).await;
    bounded("u1 join", Duration::from_secs(5), client.join("chat-c-1", "subscribe:chat", subscribe_c1())).await.expect("u1 joins c-1");
    let first = message_id(&bounded("first send", Duration::from_secs(5), client.emit_reliable("chat:send_message", chat("t-0"))).await, "first");

    proxy.set_down(true);
    bounded("proxy cut", Duration::from_secs(10), proxy.cut()).await;
    let cut_at = Instant::now();
    wait_state(&client, Duration::from_secs(10), "Reconnecting{1, 30s}", |s| *s == ConnectionState::Reconnecting { attempt: 1, delay: BACKOFF }).await;
    let handles: Vec<_> = (1..4).map(|i| send_chat(&client, format!("t-{i}"))).collect();
    wait_until("3 queued", Duration::from_secs(10), || client.queue_size() == 3).await;
    proxy.set_down(false);

    let t = Instant::now();
    client.update_auth_token(JwtHs256::mint(DEV_SECRET.as_bytes(), "u1", Some("customer"), 1200));
    wait_connected(&client, Duration::from_secs(20)).await;
    let took = t.elapsed();
    eprintln!("reconnected {took:?} after update_auth_token ({:?} after the cut)", cut_at.elapsed());
    assert!(cut_at.elapsed() < BACKOFF, "reconnected {:?} after the cut: the token update did not cut the backoff short", cut_at.elapsed());
    let mut ids = vec![first];
    for (i, h) in (1..4).zip(handles) {
        ids.push(message_id(&finish(&format!("message {i}"), Duration::from_secs(10), h).await, "queued"));
    }
    assert_eq!(gw.backend.chat_messages("c-1"), ids);
    assert_eq!(client.stats().snapshot().connects, 2);
    assert_eq!(gw.runtime.metrics().snapshot().auth_failures, 0);
}

/// A token signed with another secret: `AuthFailed` with the server's message, no reconnect loop
/// (the server sees one attempt, the state stays put for 2 s); a good token then connects.
#[tokio::test]
async fn bad_token_is_auth_failed_without_a_retry_loop() {
    let gw = start_gateway().await;
    let bad = JwtHs256::mint(b"some-other-secret", "u1", Some("customer"), 600);
    let client = Client::connect(fast_config(format!("http://{}", gw.addr)), bad);
    let s = wait_state(&client, Duration::from_secs(10), "AuthFailed", |s| matches!(s, ConnectionState::AuthFailed { .. })).await;
    assert_eq!(s, ConnectionState::AuthFailed { message: "Invalid or expired token".into() });
    let mut rx = client.state();
    rx.borrow_and_update();
    assert!(timeout(Duration::from_secs(2), rx.changed()).await.is_err(), "the state left AuthFailed: {:?}", *rx.borrow());
    assert_eq!(*client.state().borrow(), s);
    assert_eq!(client.stats().snapshot().connects, 0);
    assert_eq!(gw.runtime.metrics().snapshot().auth_failures, 1, "one attempt, no loop");

    // Reliable emits wait in the queue meanwhile.
    let h = send_chat(&client, "after auth".into());
    client.update_auth_token(token("u1"));
    wait_connected(&client, Duration::from_secs(10)).await;
    assert_eq!(client.stats().snapshot().connects, 1);
    let id = message_id(&finish("queued message", Duration::from_secs(10), h).await, "queued");
    assert_eq!(gw.backend.chat_messages("c-1"), vec![id]);
}
