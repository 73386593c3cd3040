//! A reliable emit whose ack does not come on a live connection is sent again with the same
//! message id (`reliable_retries` times), then given up and reported as
//! `DropReason::AckTimeout`: never left waiting forever, never dropped silently.
//! The server is plain socketioxide that answers only when the test says so.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::__private::socketioxide::SocketIo;
use switchboard_runtime::__private::socketioxide::extract::{AckSender, Data, SocketRef};
use switchboard_runtime::client::{Client, ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason};

/// Message ids the server saw, per event.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn mid(v: &Value) -> String {
    v.get("_mid").and_then(Value::as_str).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliable_emits_are_resent_then_given_up_when_no_ack_comes() {
    let seen: Seen = Arc::default();
    let (layer, io) = SocketIo::new_layer();
    let s2 = seen.clone();
    io.ns("/", move |s: SocketRef| {
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
        async {}
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = tokio::spawn(async move { axum::serve(listener, axum::Router::new().layer(layer)).await });

    let mut config = ClientConfig::new(format!("http://{addr}"));
    config.ack_timeout = Duration::from_millis(300);
    config.reliable_retries = 2;
    let c = Client::connect(config, "token-not-checked-by-this-server");
    let mut events = c.events();
    tokio::time::timeout(Duration::from_secs(10), c.state().wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();

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
