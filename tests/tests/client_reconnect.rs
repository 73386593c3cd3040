//! The Rust client reconnects: the exact backoff schedule under paused time, `Failed` and
//! `retry()`, a gateway restart on the same port, and two server fixes every client relies on
//! (`first_event_after_connect_is_not_dropped`: handlers registered in the connect middleware;
//! `gateway_abort_closes_live_connections`: `abort()` closes sockets). Harness:
//! `switchboard_tests::faults`.

use serde_json::json;
use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ClientEvent, ConnectionState};
use switchboard_tests::faults::*;
use switchboard_tests::faults::proxy::Proxy;
use tokio::time::{Instant, sleep, timeout};

/// Reconnecting 1..=10 with 1, 2, 4, 8, 16 (capped) seconds, then Failed; `retry()` starts over.
/// Time is paused: the 111 s schedule runs in virtual time. The port is closed, so each attempt
/// fails with "connection refused" right away; `connect_timeout` is 50 ms so that even if the
/// paused clock auto-advances while the runtime waits on the (real) refused connect, an attempt
/// costs at most 50 ms of virtual time.
#[tokio::test(start_paused = true)]
async fn backoff_schedule_is_exact_under_paused_time() {
    let port = free_port();
    let mut cfg = ClientConfig::new(format!("http://127.0.0.1:{port}"));
    cfg.connect_timeout = Duration::from_millis(50);
    let slack = cfg.connect_timeout;
    let t0 = Instant::now();
    let client = Client::connect(cfg, "unused");
    let mut rx = client.state();
    let mut seen: Vec<(Duration, ConnectionState)> = vec![(t0.elapsed(), rx.borrow_and_update().clone())];
    let followed = timeout(Duration::from_secs(600), async {
        loop {
            rx.changed().await.expect("the client is alive");
            let s = rx.borrow_and_update().clone();
            // The watch also notifies when a state is set again to the same value.
            if seen.last().is_some_and(|(_, last)| *last == s) {
                continue;
            }
            seen.push((t0.elapsed(), s.clone()));
            if matches!(s, ConnectionState::Failed { .. }) || seen.len() > 30 {
                break;
            }
        }
    })
    .await;
    assert!(followed.is_ok(), "no Failed state within 600 virtual seconds: {seen:?}");

    let states: Vec<&ConnectionState> = seen.iter().map(|(_, s)| s).collect();
    assert_eq!(states[0], &ConnectionState::Connecting, "{seen:?}");
    let reconnecting: Vec<(u32, Duration)> = seen
        .iter()
        .filter_map(|(_, s)| match s {
            ConnectionState::Reconnecting { attempt, delay } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect();
    let want: Vec<(u32, Duration)> = [1u64, 2, 4, 8, 16, 16, 16, 16, 16, 16].iter().enumerate().map(|(i, s)| (i as u32 + 1, Duration::from_secs(*s))).collect();
    assert_eq!(reconnecting, want, "{seen:?}");
    assert_eq!(seen.len(), 12, "Connecting, 10 x Reconnecting, Failed and nothing else: {seen:?}");
    let ConnectionState::Failed { error } = &seen[11].1 else { panic!("the last state is not Failed: {seen:?}") };
    assert!(error.contains("connect"), "the Failed state names the connect error: {error}");

    // Timing: each Reconnecting{n, d} lasts d (plus at most one refused attempt) in virtual time.
    assert!(seen[1].0 <= slack, "the first attempt fails at once: {seen:?}");
    for w in seen[1..].windows(2) {
        let (at, ConnectionState::Reconnecting { delay, .. }) = &w[0] else { unreachable!() };
        let gap = w[1].0 - *at;
        assert!(gap >= *delay && gap <= *delay + slack, "{:?} lasted {gap:?}: {seen:?}", w[0].1);
    }
    let total = seen[11].0;
    assert!(total >= Duration::from_secs(111) && total <= Duration::from_secs(111) + slack * 11, "Failed after {total:?}");

    // Failed stays Failed (no hidden retry loop) ...
    assert!(timeout(Duration::from_secs(3600), rx.changed()).await.is_err(), "the state changed after Failed: {:?}", *rx.borrow());
    // ... until retry(): Connecting, and the schedule starts over from attempt 1.
    client.retry();
    let after = timeout(Duration::from_secs(10), async {
        let mut v = Vec::new();
        while v.len() < 2 {
            rx.changed().await.expect("the client is alive");
            v.push(rx.borrow_and_update().clone());
        }
        v
    })
    .await
    .expect("retry() changes the state");
    assert_eq!(after, vec![ConnectionState::Connecting, ConnectionState::Reconnecting { attempt: 1, delay: Duration::from_secs(1) }]);
    assert_eq!(client.stats().snapshot().connects, 0);
}

/// The gateway restarts on the same port. `Gateway::abort()` only stops accepting (see
/// `gateway_abort_closes_live_connections`), so the process death is completed by cutting the
/// proxy in front of it. Messages sent while it is down are queued; the client reconnects with
/// its backoff, re-joins the room on the new gateway and delivers them there, once each, in order.
#[tokio::test]
async fn gateway_restart_on_the_same_port() {
    let gw1 = start_gateway().await;
    let addr = gw1.addr;
    let proxy = Proxy::start(addr).await;
    let client = connected(fast_config(proxy.url()), token("u1")).await;
    let log = EventLog::new(&client);
    let mut messages = client.on("chat:message");
    bounded("u1 join", Duration::from_secs(5), client.join("chat-c-1", "subscribe:chat", subscribe_c1())).await.expect("u1 joins c-1");
    let mut before = Vec::new();
    for i in 0..5 {
        before.push(message_id(&bounded("send before", Duration::from_secs(5), client.emit_reliable("chat:send_message", chat(&format!("r-{i}")))).await, "before the restart"));
    }
    assert_eq!(gw1.backend.chat_messages("c-1"), before);

    gw1.abort();
    bounded("proxy cut", Duration::from_secs(10), proxy.cut()).await;
    wait_state(&client, Duration::from_secs(10), "Reconnecting", |s| matches!(s, ConnectionState::Reconnecting { .. })).await;
    let handles: Vec<_> = (5..10).map(|i| send_chat(&client, format!("r-{i}"))).collect();
    wait_until("5 queued", Duration::from_secs(10), || client.queue_size() == 5).await;
    // Down for a while: at least one attempt is refused (the proxy cannot reach the port).
    sleep(Duration::from_millis(500)).await;
    assert_ne!(*client.state().borrow(), ConnectionState::Connected);

    let gw2 = start_gateway_at(addr).await;
    wait_connected(&client, Duration::from_secs(10)).await;
    let mut after = Vec::new();
    for (i, h) in (5..10).zip(handles) {
        after.push(message_id(&finish(&format!("message {i}"), Duration::from_secs(5), h).await, "after the restart"));
    }
    assert_eq!(gw2.backend.chat_messages("c-1"), after, "queued messages reach the new gateway once, in order");
    assert_eq!(gw1.backend.chat_messages("c-1"), before, "nothing more reached the old one");
    assert!(client.stats().snapshot().connects >= 2);
    log.wait("Rejoined", Duration::from_secs(10), |e| matches!(e, ClientEvent::Rejoined { rooms: 1 })).await;
    assert_eq!(total_drops(&client), 0);

    let u2 = connected(fast_config(format!("http://{addr}")), token("u2")).await;
    bounded("u2 send", Duration::from_secs(5), u2.emit_reliable("chat:send_message", chat("u2 after restart"))).await.expect("u2 sends");
    expect_chat_message(&mut messages, "u2", "u2 after restart", Duration::from_secs(10)).await;
}

/// What a restart test wants from `Gateway::abort()`: the live connections close too.
#[tokio::test]
async fn gateway_abort_closes_live_connections() {
    let gw = start_gateway().await;
    let client = connected(fast_config(format!("http://{}", gw.addr)), token("u1")).await;
    gw.abort();
    wait_state(&client, Duration::from_secs(10), "a state other than Connected after abort()", |s| *s != ConnectionState::Connected).await;
}

/// What every client assumes: an event emitted right after `Connected` reaches its handler.
/// socketioxide sends CONNECT before it spawns the connect handler, so the runtime registers the
/// event handlers in the connect middleware; before that fix ~7% of first events were lost here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_event_after_connect_is_not_dropped() {
    let gw = start_gateway().await;
    for i in 0..100 {
        let mut cfg = fast_config(format!("http://{}", gw.addr));
        cfg.ack_timeout = Duration::from_secs(10);
        let c = connected(cfg, token("u1")).await;
        let r = bounded("heartbeat", Duration::from_secs(15), c.emit_volatile("heartbeat", Some(json!({ "timestamp": switchboard_runtime::Timestamp::now() })))).await;
        assert!(r.is_ok(), "connection {i}: the first event got no ack ({r:?}); server: {:?}", gw.runtime.metrics().snapshot());
        c.disconnect();
    }
}
