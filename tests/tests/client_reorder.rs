//! Live recoverable events that arrive out of offset order reach the app in order, exactly once
//! (issue 15: with several gateway nodes, an event another node sent comes through Redis pub/sub
//! and can be overtaken by a later one the client's own node delivers directly; the soak saw
//! `s174-1, s174-2, s174-4, s174-3`). A gap that fills is waited for; one that stays open past
//! `reorder_wait` is asked for with `_recover` on the live link and filled from the replay.
//! The server is plain socketioxide scripted to send out of order, so the race is deterministic.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::__private::socketioxide::extract::{AckSender, Data, SocketRef};
use switchboard_runtime::client::{Backoff, Client, ClientConfig, ConnectionState, Listener};
use switchboard_runtime::recovery::RECOVER_EVENT;

fn at(offset: u64) -> Value {
    json!({ "_rec": [{ "room": "order-o-1", "epoch": "e1", "offset": offset }] })
}

/// Serves a namespace that sends `tick`s with the offsets a `send` event asks for, in that order,
/// and answers `_recover` with offsets 1..=5 after the request's offset (recording each request).
async fn server(requests: Arc<Mutex<Vec<Value>>>) -> String {
    let (url, _serve) = switchboard_tests::scripted::serve(move |s: SocketRef| {
        let requests = requests.clone();
        s.on("send", |s: SocketRef, ack: AckSender, Data(offsets): Data<Vec<u64>>| async move {
            for o in offsets {
                let _ = s.emit("tick", &(json!({ "n": o }), at(o)));
            }
            let _ = ack.send(&json!({ "ok": true }));
        });
        s.on(RECOVER_EVENT, move |ack: AckSender, Data(req): Data<Value>| {
            requests.lock().unwrap().push(req.clone());
            let from = req["rooms"][0]["offset"].as_u64().unwrap_or(0);
            let events: Vec<Value> = (from + 1..=5).map(|o| json!({ "event": "tick", "data": { "n": o }, "_rec": at(o)["_rec"] })).collect();
            let reply = json!({ "rooms": [{ "status": "recovered", "room": "order-o-1", "epoch": "e1", "offset": 5, "replayed": events.len() }], "events": events });
            let _ = ack.send(&json!({ "ok": true, "data": reply }));
            async {}
        });
    })
    .await;
    url
}

async fn client(url: &str, reorder_wait: Duration) -> Client {
    let mut config = ClientConfig::new(url);
    config.backoff = Backoff { base: Duration::from_millis(50), max: Duration::from_millis(100), max_attempts: 0, jitter: 0.0 };
    config.reorder_wait = reorder_wait;
    let c = Client::connect(config, "token-not-checked-by-this-server");
    tokio::time::timeout(Duration::from_secs(10), c.state().wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    c
}

/// Reads `n` ticks (bounded).
async fn ticks(l: &mut Listener, n: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(5), l.recv()).await {
            Ok(Some(v)) => got.push(v["n"].as_u64().expect("a tick")),
            _ => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_that_fills_is_waited_for() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let url = server(requests.clone()).await;
    // Long enough that the gap always fills first: no recovery request is expected.
    let c = client(&url, Duration::from_secs(30)).await;
    let mut l = c.on("tick");
    c.emit_volatile("send", Some(json!([1, 3, 2, 5, 4, 2]))).await.expect("sent");
    assert_eq!(ticks(&mut l, 5).await, vec![1, 2, 3, 4, 5]);
    assert!(tokio::time::timeout(Duration::from_millis(200), l.recv()).await.is_err(), "the repeated 2 is not delivered again");
    assert!(requests.lock().unwrap().is_empty(), "nothing was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_that_stays_open_is_asked_for_on_the_live_link() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let url = server(requests.clone()).await;
    let c = client(&url, Duration::from_millis(200)).await;
    let mut l = c.on("tick");
    // 3 never comes live.
    c.emit_volatile("send", Some(json!([1, 2, 4, 5]))).await.expect("sent");
    assert_eq!(ticks(&mut l, 5).await, vec![1, 2, 3, 4, 5]);
    let requests = requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "one request: {requests:?}");
    assert_eq!(requests[0]["rooms"], json!([{ "room": "order-o-1", "epoch": "e1", "offset": 2 }]), "from the last contiguous offset");
    assert_eq!(c.stats().snapshot().connects, 1, "on the same link");
}
