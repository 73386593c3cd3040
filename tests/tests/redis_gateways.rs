//! Several gateway nodes on one real Redis (started by the test on a free port, no persistence;
//! a missing `redis-server` fails these tests). Two gateways run in this process on their own
//! ports; clients are raw Socket.IO clients (`switchboard_tests::raw`).

use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use rez_realtime::types;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use switchboard_runtime::server::JwtHs256;
use switchboard_tests::raw::{self, Ws, call};
use switchboard_tests::redis::{RedisServer, node};

/// How long a test keeps reading after the expected frames, to catch duplicates.
const GRACE: Duration = Duration::from_millis(500);

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

/// Every frame that arrives within `within`.
async fn frames_for(ws: &mut Ws, within: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    while let Ok(Some(f)) = tokio::time::timeout_at(deadline, raw::next_text(ws)).await {
        out.push(f);
    }
    out
}

/// Frames until the first `event` arrives (a 10 s hang guard: cross-node delivery on a loaded
/// machine may take a while), then for [`GRACE`] more, so a duplicate would be seen.
async fn until_event_then_grace(ws: &mut Ws, event: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    while events(&out, event).is_empty() {
        match tokio::time::timeout_at(deadline, raw::next_text(ws)).await {
            Ok(Some(f)) => out.push(f),
            _ => return out,
        }
    }
    out.extend(frames_for(ws, GRACE).await);
    out
}

/// The payloads of `event` among `frames`.
fn events(frames: &[String], event: &str) -> Vec<Value> {
    frames
        .iter()
        .filter_map(|f| f.strip_prefix("42"))
        .filter_map(|f| serde_json::from_str::<Vec<Value>>(f).ok())
        .filter(|args| args.first().and_then(Value::as_str) == Some(event))
        .map(|mut args| args.swap_remove(1))
        .collect()
}

/// A client of `user` on `gw` that joined chat `c-1`.
async fn chat_member(gw: &Gateway, user: &str) -> Ws {
    let mut ws = raw::connect_ok(gw.addr, &token(user)).await;
    let ack = call(&mut ws, &mut Vec::new(), 1, "subscribe:chat", json!({ "chatId": "c-1" })).await;
    assert_eq!(ack["ok"], true, "{user} joins c-1: {ack}");
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_message_sent_on_one_node_reaches_every_member_on_both_exactly_once() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let mut sender = chat_member(&a, "u1").await;
    let mut on_b = [chat_member(&b, "u2").await, chat_member(&b, "u3").await];
    let mut other_frames = Vec::new();
    let ack = call(&mut sender, &mut other_frames, 2, "chat:send_message", json!({ "chatId": "c-1", "message": "hello from A", "timestamp": "2026-12-02T00:00:00.000Z" })).await;
    assert_eq!(ack["ok"], true, "{ack}");
    let message_id = ack["data"]["messageId"].as_str().expect("a message id").to_string();
    for (i, ws) in on_b.iter_mut().enumerate() {
        let got = events(&until_event_then_grace(ws, "chat:message").await, "chat:message");
        assert_eq!(got.len(), 1, "member {i} on node B gets the message once: {got:?}");
        assert_eq!(got[0]["messageId"], message_id.as_str());
        assert_eq!(got[0]["text"], "hello from A");
    }
    other_frames.extend(frames_for(&mut sender, GRACE).await);
    assert_eq!(events(&other_frames, "chat:message").len(), 1, "the sender on node A gets it once too, not again through Redis");
    assert_eq!(a.backend.chat_messages("c-1").len() + b.backend.chat_messages("c-1").len(), 1, "one effect");
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flash_sale_reaches_everyone_on_both_nodes() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let mut clients = Vec::new();
    for (gw, user) in [(&a, "u1"), (&a, "u2"), (&b, "u3"), (&b, "u9")] {
        clients.push(raw::connect_ok(gw.addr, &token(user)).await);
    }
    let sale = types::FlashSaleStartedPayload {
        flash_sale_id: "fs-9".into(),
        title: "Bread".into(),
        discount_percentage: 40.0,
        end_time: "2026-12-03T00:00:00.000Z".parse().expect("a valid date-time"),
        timestamp: None,
    };
    b.emitter.flashsale_started(&sale).await.expect("the sale is broadcast");
    for (i, ws) in clients.iter_mut().enumerate() {
        let got = events(&until_event_then_grace(ws, "flashsale:started").await, "flashsale:started");
        assert_eq!(got.len(), 1, "client {i} gets the sale once: {got:?}");
        assert_eq!(got[0]["flashSaleId"], "fs-9");
    }
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reliable_resend_to_the_other_node_has_one_effect_and_the_same_ack() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (mut on_a, mut on_b) = (chat_member(&a, "u1").await, chat_member(&b, "u1").await);
    let send = json!({ "chatId": "c-1", "message": "once", "timestamp": "2026-12-02T00:00:00.000Z", "_mid": "m-42" });
    let first = call(&mut on_a, &mut Vec::new(), 2, "chat:send_message", send.clone()).await;
    assert_eq!(first["ok"], true, "{first}");
    // The link to A dropped before the ack arrived, say: the client resends through B.
    let again = call(&mut on_b, &mut Vec::new(), 2, "chat:send_message", send).await;
    assert_eq!(again, first, "the resend gets the original's ack");
    assert_eq!(a.backend.chat_messages("c-1").len() + b.backend.chat_messages("c-1").len(), 1, "one effect");
    assert_eq!(b.runtime.metrics().snapshot().duplicates, 1);
    // Another id of the same user is new work; the same id of another user is too.
    let other = json!({ "chatId": "c-1", "message": "twice", "timestamp": "2026-12-02T00:00:00.000Z", "_mid": "m-43" });
    assert_eq!(call(&mut on_b, &mut Vec::new(), 3, "chat:send_message", other).await["ok"], true);
    let mut u2 = chat_member(&b, "u2").await;
    let same_id = json!({ "chatId": "c-1", "message": "mine", "timestamp": "2026-12-02T00:00:00.000Z", "_mid": "m-42" });
    let theirs = call(&mut u2, &mut Vec::new(), 2, "chat:send_message", same_id).await;
    assert_ne!(theirs["data"]["messageId"], first["data"]["messageId"], "ids are per user");
    assert_eq!(a.backend.chat_messages("c-1").len() + b.backend.chat_messages("c-1").len(), 3);
    a.abort();
    b.abort();
}

/// `GET path` on `gw`'s HTTP port: the status code and the body.
async fn http_get(gw: &Gateway, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(gw.addr).await.expect("the HTTP port answers");
    tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut raw)).await.expect("an HTTP answer within 10 s").unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_prometheus_metrics_on_the_http_port() {
    let redis = RedisServer::start();
    let with_redis = node(&redis).await;
    let alone = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap();
    let _ws = raw::connect_ok(with_redis.addr, &token("u1")).await;
    for gw in [&with_redis, &alone] {
        assert_eq!(http_get(gw, "/healthz").await.0, 200);
        assert_eq!(http_get(gw, "/readyz").await, (200, "ready".to_string()));
    }
    let (status, text) = http_get(&with_redis, "/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE switchboard_connections counter\nswitchboard_connections 1\n"), "{text}");
    with_redis.abort();
    alone.abort();
}

/// Redis is killed mid-traffic and started again on the same port: fan-out resumes by itself
/// within [`RESUME_BOUND`]; meanwhile `/readyz` says not ready and each node still delivers to
/// its own sockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_resumes_after_a_redis_restart() {
    /// The stated bound: heartbeat 250 ms + reconnect delay (at most 500 ms) + resubscribe,
    /// about a second; the bound leaves a wide margin for a loaded machine.
    const RESUME_BOUND: Duration = Duration::from_secs(15);
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (mut on_a, mut on_b) = (raw::connect_ok(a.addr, &token("u1")).await, raw::connect_ok(b.addr, &token("u2")).await);
    // Node A emits a numbered flash sale every 20 ms.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (emitter, counter) = (a.emitter.clone(), sent.clone());
    let traffic = tokio::spawn(async move {
        for n in 0..2_000u64 {
            let sale = types::FlashSaleStartedPayload {
                flash_sale_id: format!("fs-{n}"),
                title: "t".into(),
                discount_percentage: 10.0,
                end_time: "2026-12-03T00:00:00.000Z".parse().expect("a valid date-time"),
                timestamp: None,
            };
            counter.store(n, std::sync::atomic::Ordering::SeqCst);
            let _ = emitter.flashsale_started(&sale).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let numbers = |frames: &[String]| -> Vec<u64> {
        events(frames, "flashsale:started").iter().filter_map(|p| p["flashSaleId"].as_str()?.strip_prefix("fs-")?.parse().ok()).collect()
    };
    assert!(!numbers(&until_event_then_grace(&mut on_b, "flashsale:started").await).is_empty(), "fan-out works before the restart");
    let _ = frames_for(&mut on_a, Duration::from_millis(10)).await;

    redis.kill();
    let down_from = sent.load(std::sync::atomic::Ordering::SeqCst);
    let (status, body) = http_get(&a, "/readyz").await;
    assert_eq!(status, 503, "not ready while Redis is down: {body}");
    assert_eq!(http_get(&a, "/healthz").await.0, 200, "alive all the same");
    // A publish in flight when Redis died may wait out the 2 s command timeout; after the next
    // failed heartbeat, publishes fail at once and A delivers locally.
    let mut local = Vec::new();
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_secs(10) && !local.iter().any(|&n| n > down_from) {
        local.extend(numbers(&frames_for(&mut on_a, Duration::from_millis(100)).await));
    }
    assert!(local.iter().any(|&n| n > down_from), "A's own sockets still get A's events while Redis is down: {local:?}");

    redis.restart();
    let restarted = Instant::now();
    let from = sent.load(std::sync::atomic::Ordering::SeqCst);
    let mut resumed = None;
    while restarted.elapsed() < RESUME_BOUND * 2 {
        let got = numbers(&frames_for(&mut on_b, Duration::from_millis(50)).await);
        if got.iter().any(|&n| n >= from) {
            resumed = Some(restarted.elapsed());
            break;
        }
    }
    let resumed = resumed.expect("fan-out to node B resumed after the Redis restart");
    println!("fan-out resumed {resumed:?} after Redis was started again");
    assert!(resumed < RESUME_BOUND, "fan-out resumed after {resumed:?}, over the {RESUME_BOUND:?} bound");
    assert_eq!(http_get(&a, "/readyz").await.0, 200, "ready again");
    assert_eq!(http_get(&b, "/readyz").await.0, 200, "ready again");
    traffic.abort();
    a.abort();
    b.abort();
}

/// The store itself, with two connections standing for two nodes: a racing resend on the other
/// node waits for the original's ack; an abandoned id can be handled again; with Redis down a
/// reliable event is refused (the waiter's channel is closed), never handled as new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_dedup_store_across_two_connections() {
    use switchboard_runtime::server::{DedupStore, RedisConn, RedisDedup, Seen};
    let mut redis = RedisServer::start();
    let ttl = Duration::from_secs(60);
    let a = RedisDedup::new(RedisConn::connect(&redis.url()).await.unwrap(), ttl);
    let b = RedisDedup::new(RedisConn::connect(&redis.url()).await.unwrap(), ttl);
    let key = "u1\0chat:send_message\0m-1";
    // A fresh Redis holds ids only since its first use: within the TTL a new id says so.
    assert!(matches!(a.begin(key).await, Seen::NewSinceLoss(held) if held < Duration::from_secs(5)));
    let Seen::InFlight(mut waiting) = b.begin(key).await else { panic!("the other node sees the original in flight") };
    a.complete(key, json!({ "ok": true, "data": 7 })).await;
    let ack = tokio::time::timeout(Duration::from_secs(5), waiting.wait_for(Option::is_some)).await.expect("the ack within 5 s").expect("not abandoned").clone();
    assert_eq!(ack, Some(json!({ "ok": true, "data": 7 })));
    assert!(matches!(b.begin(key).await, Seen::Done(v) if v["data"] == 7));
    assert!(matches!(b.begin("u2\0chat:send_message\0m-1").await, Seen::NewSinceLoss(_)), "another user's id is theirs");
    // Abandoned: the waiter is told, and a resend is new work.
    assert!(matches!(a.begin("u1\0e\0m-2").await, Seen::NewSinceLoss(_)));
    let Seen::InFlight(mut w2) = b.begin("u1\0e\0m-2").await else { panic!("in flight") };
    a.abandon("u1\0e\0m-2").await;
    assert!(tokio::time::timeout(Duration::from_secs(5), w2.wait_for(Option::is_some)).await.expect("told within 5 s").is_err());
    assert!(matches!(b.begin("u1\0e\0m-2").await, Seen::NewSinceLoss(_)));
    // Past the TTL since the store's first use, a new id is plainly new.
    let short = RedisDedup::new(RedisConn::connect(&redis.url()).await.unwrap(), Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(matches!(short.begin("u1\0e\0m-9").await, Seen::New));
    // Redis restarted empty: the ids are gone, and the store says since when it holds them.
    redis.restart();
    let held = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Seen::NewSinceLoss(held) = b.begin(key).await {
                return held;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert!(held.await.expect("the store answers after the restart") < Duration::from_secs(5));
    redis.kill();
    let Seen::InFlight(mut down) = a.begin("u1\0e\0m-3").await else { panic!("refused, not new, while Redis is down") };
    assert!(down.wait_for(Option::is_some).await.is_err());
}
