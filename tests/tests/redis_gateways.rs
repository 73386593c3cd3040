//! Several gateway nodes on one real Redis (started by the test on a free port, no persistence;
//! a missing `redis-server` fails these tests). Two gateways run in this process on their own
//! ports; clients are raw Socket.IO clients (`switchboard_tests::raw`).

use futures_util::SinkExt;
use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use rez_realtime::types;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use switchboard_tests::raw::{self, Ws};
use switchboard_tests::redis::RedisServer;

/// How long a test keeps reading after the expected frames, to catch duplicates.
const GRACE: Duration = Duration::from_millis(500);

async fn node(redis: &RedisServer) -> Gateway {
    let config = GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), redis_url: Some(redis.url()), ..GatewayConfig::default() };
    gateway::start(config).await.expect("a gateway starts on Redis")
}

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

/// Sends `event` with ack id `id` and returns the ack, keeping the other frames in `seen`.
async fn call(ws: &mut Ws, seen: &mut Vec<String>, id: u64, event: &str, payload: Value) -> Value {
    ws.send(raw::event_frame(id, event, &payload)).await.expect("the frame is sent");
    loop {
        let frame = raw::next_text(ws).await.unwrap_or_else(|| panic!("no ack for `{event}`"));
        match raw::parse_ack(&frame) {
            Some((got, ack)) if got == id => return ack,
            _ => seen.push(frame),
        }
    }
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
        let got = events(&frames_for(ws, GRACE * 4).await, "chat:message");
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
        end_time: "2026-12-03T00:00:00.000Z".into(),
        timestamp: None,
    };
    b.emitter.flashsale_started(&sale).await.expect("the sale is broadcast");
    for (i, ws) in clients.iter_mut().enumerate() {
        let got = events(&frames_for(ws, GRACE * 4).await, "flashsale:started");
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
