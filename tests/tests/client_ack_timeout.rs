//! A reliable emit whose ack does not come on a live connection is sent again with the same
//! message id (`reliable_retries` times), then given up and reported as
//! `DropReason::AckTimeout`: never left waiting forever, never dropped silently.
//! Reliable messages in flight when a link is lost are resent after the reconnect in emit
//! order, also when one was already resent on the old link (a resend takes a new ack id).
//! The server is plain socketioxide that answers only when the test says so.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::sync::atomic::{AtomicU32, Ordering};
use switchboard_runtime::__private::socketioxide::extract::{AckSender, Data, SocketRef};
use switchboard_runtime::client::{Backoff, Client, ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason};
use switchboard_tests::task::start;
use switchboard_tests::scripted::serve;

/// Message ids the server saw, per event.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A client of a server that does not check tokens, once connected.
async fn connected(config: ClientConfig) -> Client {
    let c = Client::connect(config, "token-not-checked-by-this-server");
    tokio::time::timeout(Duration::from_secs(10), c.state().wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    c
}

fn mid(v: &Value) -> String {
    v.get("_mid").and_then(Value::as_str).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliable_emits_are_resent_then_given_up_when_no_ack_comes() {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let (url, serve) = serve(move |s: SocketRef| {
        let (a, b) = (s2.clone(), s2.clone());
        // Never answered.
        s.on("ignored", move |Data(v): Data<Value>| {
            a.lock().unwrap().push(("ignored".into(), mid(&v)));
            async {}
        });
        // The first copy is not answered; the resend is.
        s.on("late", move |ack: AckSender, Data(v): Data<Value>| {
            let copies = {
                let mut seen = b.lock().unwrap();
                seen.push(("late".into(), mid(&v)));
                seen.iter().filter(|(e, _)| e == "late").count()
            };
            if copies > 1 {
                let _ = ack.send(&json!({ "ok": true, "data": { "copies": copies } }));
            }
            async {}
        });
    })
    .await;

    let mut config = ClientConfig::new(url);
    config.ack_timeout = Duration::from_millis(300);
    config.reliable_retries = 2;
    let c = connected(config).await;
    let mut events = c.events();

    let late = tokio::time::timeout(Duration::from_secs(10), c.emit_reliable("late", Some(json!({ "n": 1 })))).await.expect("answered in time");
    assert_eq!(late, Ok(json!({ "copies": 2 })), "the resend was answered");

    let ignored = tokio::time::timeout(Duration::from_secs(10), c.emit_reliable("ignored", Some(json!({ "n": 2 })))).await.expect("given up in time");
    assert_eq!(ignored, Err(ClientError::Dropped(DropReason::AckTimeout)));

    let seen = seen.lock().unwrap().clone();
    let ids = |event: &str| seen.iter().filter(|(e, _)| e == event).map(|(_, m)| m.clone()).collect::<Vec<_>>();
    let (late_ids, ignored_ids) = (ids("late"), ids("ignored"));
    assert_eq!(late_ids.len(), 2, "{seen:?}");
    assert_eq!(ignored_ids.len(), 3, "sent once and resent twice: {seen:?}");
    assert!(late_ids.iter().chain(&ignored_ids).all(|m| !m.is_empty()), "every copy carries a message id: {seen:?}");
    assert!(late_ids.iter().all(|m| *m == late_ids[0]) && ignored_ids.iter().all(|m| *m == ignored_ids[0]), "resends keep the id: {seen:?}");
    assert_ne!(late_ids[0], ignored_ids[0]);

    assert_eq!((c.stats().snapshot().dropped_ack_timeout, c.stats().snapshot().connects), (1, 1), "one drop, one connection");
    let mut reported = false;
    while let Ok(e) = events.try_recv() {
        reported |= matches!(&e, ClientEvent::Dropped { event, reason: DropReason::AckTimeout } if event == "ignored");
    }
    assert!(reported, "the drop is reported as an event");
    assert_eq!(*c.state().borrow(), ConnectionState::Connected);
    serve.abort();
}

/// `(connection, n)` for every `ordered` event the server saw.
type SeenPerConnection = Arc<Mutex<Vec<(u32, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeued_messages_keep_their_emit_order_after_a_resend() {
    let seen: SeenPerConnection = Arc::default();
    let connections = Arc::new(AtomicU32::new(0));
    let s2 = seen.clone();
    let (url, serve) = serve(move |s: SocketRef| {
        let conn = connections.fetch_add(1, Ordering::SeqCst) + 1;
        let seen = s2.clone();
        s.on("ordered", move |s: SocketRef, ack: AckSender, Data(v): Data<Value>| {
            let n = v["n"].as_str().unwrap_or_default().to_string();
            let resent = {
                let mut seen = seen.lock().unwrap();
                seen.push((conn, n.clone()));
                seen.iter().filter(|(c, m)| *c == conn && *m == n).count() > 1
            };
            if conn > 1 {
                let _ = ack.send(&json!({ "ok": true, "data": n }));
            } else if resent {
                let _ = s.disconnect();
            }
            async {}
        });
    })
    .await;

    let mut config = ClientConfig::new(url);
    config.ack_timeout = Duration::from_secs(1);
    config.backoff = Backoff { base: Duration::from_millis(100), max: Duration::from_millis(100), max_attempts: 0, jitter: 0.0 };
    let c = connected(config).await;

    // `a` is resent at 1 s (new ack id) while `b`, sent at 0.3 s, still waits on its first copy;
    // the server then drops the link.
    let a = start({
        let c = c.clone();
        async move { c.emit_reliable("ordered", Some(json!({ "n": "a" }))).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = start({
        let c = c.clone();
        async move { c.emit_reliable("ordered", Some(json!({ "n": "b" }))).await }
    });
    let limit = Duration::from_secs(10);
    assert_eq!(tokio::time::timeout(limit, a).await.expect("a answered in time").unwrap(), Ok(json!("a")));
    assert_eq!(tokio::time::timeout(limit, b).await.expect("b answered in time").unwrap(), Ok(json!("b")));

    let seen = seen.lock().unwrap().clone();
    let first: Vec<&str> = seen.iter().filter(|(c, _)| *c == 1).map(|(_, n)| n.as_str()).collect();
    assert_eq!(first, ["a", "b", "a"], "the first link saw a, b and the resend of a: {seen:?}");
    let second: Vec<&str> = seen.iter().filter(|(c, _)| *c == 2).map(|(_, n)| n.as_str()).collect();
    assert_eq!(second, ["a", "b"], "after the reconnect, emit order: {seen:?}");
    serve.abort();
}
