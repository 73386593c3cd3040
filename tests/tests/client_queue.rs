//! The Rust client's offline queue: bounded (oldest dropped), FIFO, delivered once, and every
//! drop reported (event, counter, the caller's error). Harness: `switchboard_tests::faults`.
//!
//! A note on the event used to count effects in bulk: `chat:send_message` is rate limited by the
//! catalogue (10 per second per socket, bursts of 10), so a drained offline queue of 100 chat
//! messages would mostly be refused with `rate_limited`. The 100-message queue test therefore
//! sends `chat:read` (reliable, deduplicated, not rate limited; the gateway re-emits it to the
//! chat's room) and counts effects with an observer client in the room; the other tests send
//! `chat:send_message` below the limit and count effects in `gw.backend.chat_messages("c-1")`.

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use switchboard_runtime::client::{Backoff, Client, ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason};
use switchboard_tests::faults::*;
use switchboard_tests::task::start;
use tokio::time::{Instant, timeout};

fn read_receipt(i: usize) -> Option<Value> {
    Some(json!({ "chatId": "c-1", "messageIds": [format!("m-{i}")], "timestamp": switchboard_runtime::Timestamp::now() }))
}

/// 150 reliable emits while offline with a queue of 100: the 50 oldest are dropped (each
/// reported: event, counter and `Err(Dropped(QueueFull))`), the 100 newest are delivered once
/// each, in order, when the server comes up. A volatile emit while offline fails `Offline` and
/// is reported too.
#[tokio::test]
async fn offline_queue_keeps_the_newest_100_and_delivers_them_fifo_once() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut cfg = ClientConfig::new(format!("http://{addr}"));
    // One long wait after the first refused attempt: the client stays offline until resume(),
    // called once the gateway and the observer are ready.
    cfg.backoff = Backoff { base: Duration::from_secs(60), max: Duration::from_secs(60), max_attempts: 0, jitter: 0.0 };
    assert_eq!(cfg.queue_capacity, 100);
    let client = Client::connect(cfg, token("u1"));
    let log = EventLog::new(&client);
    wait_state(&client, Duration::from_secs(5), "Reconnecting", |s| matches!(s, ConnectionState::Reconnecting { attempt: 1, .. })).await;

    // Volatile while offline: refused at once and reported.
    let v = bounded("volatile emit", Duration::from_secs(10), client.emit_volatile("heartbeat", Some(json!({ "timestamp": switchboard_runtime::Timestamp::now() })))).await;
    assert_eq!(v, Err(ClientError::Offline));
    log.wait("Dropped{Offline}", Duration::from_secs(10), |e| matches!(e, ClientEvent::Dropped { reason: DropReason::Offline, .. })).await;
    assert_eq!(log.drops(), vec![("heartbeat".to_string(), DropReason::Offline)]);
    assert_eq!(client.stats().snapshot().dropped_offline, 1);

    // 150 reliable emits, queued in call order.
    let handles: Vec<_> = (0..150)
        .map(|i| {
            let c = client.clone();
            start(async move { c.emit_reliable("chat:read", read_receipt(i)).await })
        })
        .collect();
    wait_until("50 queue-full drops", Duration::from_secs(5), || client.stats().snapshot().dropped_queue_full == 50).await;
    assert_eq!(client.queue_size(), 100);
    let mut handles = handles.into_iter();
    for i in 0..50 {
        let r = finish(&format!("emit {i}"), Duration::from_secs(10), handles.next().unwrap()).await;
        assert_eq!(r, Err(ClientError::Dropped(DropReason::QueueFull)), "emit {i} (one of the 50 oldest) is dropped");
    }
    wait_until("50 Dropped{QueueFull} events", Duration::from_secs(10), || log.drops().len() == 51).await;
    let drops = log.drops();
    assert!(drops[1..].iter().all(|d| *d == ("chat:read".to_string(), DropReason::QueueFull)), "{drops:?}");
    assert_eq!(client.stats().snapshot().dropped_queue_full, 50);
    assert_eq!(client.queue_size(), 100, "still 100 queued");

    // The server comes up on the reserved port; an observer in the chat room sees every effect.
    let gw = start_gateway_at(addr).await;
    let observer = connected(fast_config(format!("http://{}", gw.addr)), token("u2")).await;
    let mut reads = observer.on("chat:read");
    bounded("observer join", Duration::from_secs(5), observer.join("chat-c-1", "subscribe:chat", subscribe_c1())).await.expect("the observer joins c-1");
    let t = Instant::now();
    client.resume();
    for (i, h) in (50..150).zip(handles) {
        let r = finish(&format!("emit {i}"), Duration::from_secs(5), h).await;
        assert!(r.is_ok(), "emit {i} is acknowledged: {r:?}");
    }
    let mut got = Vec::new();
    while got.len() < 100 {
        let m = timeout(Duration::from_secs(5), reads.recv()).await.expect("the observer gets every read receipt").expect("listener open");
        got.push(m["messageIds"][0].as_str().unwrap_or_default().to_string());
    }
    let want: Vec<String> = (50..150).map(|i| format!("m-{i}")).collect();
    assert_eq!(got, want, "the 100 newest, in emit order");
    // Exactly once: nothing more arrives.
    assert!(timeout(Duration::from_millis(300), reads.recv()).await.is_err(), "a duplicate effect arrived");
    eprintln!("100 queued messages delivered {:?} after resume()", t.elapsed());
    assert_eq!(client.queue_size(), 0);
    let m = gw.runtime.metrics().snapshot();
    assert_eq!((m.duplicates, m.rate_limited, m.invalid_payloads), (0, 0, 0), "{m:?}");
    assert_eq!(total_drops(&client), 51, "no other drop");
    assert_eq!(log.drops().len(), 51, "every drop reported once");
}

/// The same through `chat:send_message` (effects in `chat_messages`), with a queue of 8 so that
/// the drain stays within the event's rate limit (10 per second, bursts of 10).
#[tokio::test]
async fn offline_chat_messages_drain_fifo_into_the_backend() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut cfg = fast_config(format!("http://{addr}"));
    cfg.queue_capacity = 8;
    let client = Client::connect(cfg, token("u1"));
    let log = EventLog::new(&client);
    let handles: Vec<_> = (0..12).map(|i| send_chat(&client, format!("q-{i}"))).collect();
    wait_until("4 drops", Duration::from_secs(10), || client.stats().snapshot().dropped_queue_full == 4).await;
    assert_eq!(client.queue_size(), 8);
    let gw = start_gateway_at(addr).await;
    let mut ids = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        let r = finish(&format!("message {i}"), Duration::from_secs(5), h).await;
        if i < 4 {
            assert_eq!(r, Err(ClientError::Dropped(DropReason::QueueFull)), "message {i}");
        } else {
            ids.push(message_id(&r, &format!("message {i}")));
        }
    }
    assert_eq!(gw.backend.chat_messages("c-1"), ids, "the 8 newest, once each, in emit order");
    assert_eq!(log.count(|e| matches!(e, ClientEvent::Dropped { reason: DropReason::QueueFull, .. })), 4);
}

/// `clear_queue()` drops every queued message, each reported as `Cleared`; closing the client
/// reports what is still queued as `Closed`.
#[tokio::test]
async fn clear_queue_and_close_report_every_drop() {
    let port = free_port();
    let client = Client::connect(fast_config(format!("http://127.0.0.1:{port}")), token("u1"));
    let log = EventLog::new(&client);
    let handles: Vec<_> = (0..5).map(|i| send_chat(&client, format!("c-{i}"))).collect();
    wait_until("5 queued", Duration::from_secs(10), || client.queue_size() == 5).await;
    client.clear_queue();
    for h in handles {
        assert_eq!(finish("cleared emit", Duration::from_secs(10), h).await, Err(ClientError::Dropped(DropReason::Cleared)));
    }
    assert_eq!(client.queue_size(), 0);
    assert_eq!(client.stats().snapshot().dropped_cleared, 5);
    wait_until("5 Cleared events", Duration::from_secs(10), || log.drops().len() == 5).await;
    assert!(log.drops().iter().all(|d| *d == ("chat:send_message".to_string(), DropReason::Cleared)), "{:?}", log.drops());

    let handles: Vec<_> = (0..2).map(|i| send_chat(&client, format!("d-{i}"))).collect();
    wait_until("2 queued", Duration::from_secs(10), || client.queue_size() == 2).await;
    client.disconnect();
    for h in handles {
        assert_eq!(finish("emit at close", Duration::from_secs(10), h).await, Err(ClientError::Dropped(DropReason::Closed)));
    }
    wait_state(&client, Duration::from_secs(10), "Disconnected", |s| *s == ConnectionState::Disconnected).await;
    wait_until("2 Closed events", Duration::from_secs(10), || log.drops().len() == 7).await;
    assert_eq!(bounded("emit after close", Duration::from_secs(10), client.emit_reliable("chat:send_message", chat("late"))).await, Err(ClientError::Closed));
}
