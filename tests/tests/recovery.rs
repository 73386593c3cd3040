//! Recovery of missed server-to-client events on one gateway (history in memory): a client cut
//! off by the proxy gets exactly the events it missed, in order, then live ones; past the window
//! or past the per-room cap it is told `resync_required` for the rooms concerned; a room the
//! socket is not in gives no history. Redis: `redis_recovery.rs`. Harness:
//! `switchboard_tests::recovery`.

use futures_util::SinkExt;
use rez_realtime::gateway::{self, Gateway, GatewayConfig};
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_runtime::recovery::ResyncReason;
use switchboard_runtime::server::RecoveryPolicy;
use switchboard_tests::faults::token;
use switchboard_tests::raw;
use switchboard_tests::recovery::*;

const READ: Duration = Duration::from_secs(5);

async fn gateway_with(recovery: Option<RecoveryPolicy>) -> Gateway {
    gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), recovery, ..Default::default() }).await.expect("the gateway starts")
}

fn texts(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|i| format!("m{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_events_arrive_once_in_order_then_live_ones() {
    let gw = gateway_with(None).await;
    let (proxy, mut u1, u2) = members(gw.addr, gw.addr).await;
    say(&u2.client, "m0").await;
    cashback(&gw, "u1", "cb-0").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m0"]);
    assert_eq!(read(&mut u1.cashback, "orderId", 1, READ).await, vec!["cb-0"]);

    drop_link(&proxy, &u1).await;
    for t in texts(1..=5) {
        say(&u2.client, &t).await;
    }
    cashback(&gw, "u1", "cb-1").await;
    cashback(&gw, "u1", "cb-2").await;
    restore(&proxy, &u1).await;
    say(&u2.client, "m6").await;

    assert_eq!(read(&mut u1.chat, "text", 6, READ).await, texts(1..=6), "the missed messages once, in order, then the live one");
    assert_eq!(read(&mut u1.cashback, "orderId", 2, READ).await, vec!["cb-1", "cb-2"], "the user room is recovered too");
    assert_eq!(u1.resyncs(), vec![], "nothing to resync");
    let m = gw.runtime.metrics().snapshot();
    assert_eq!(m.rooms_recovered, 2, "chat-c-1 and user-u1: {m:?}");
    assert_eq!((m.rooms_resync, m.history_failures), (0, 0), "{m:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_cut_recovers_from_the_new_position() {
    let gw = gateway_with(None).await;
    let (proxy, mut u1, u2) = members(gw.addr, gw.addr).await;
    for round in 0..3u32 {
        drop_link(&proxy, &u1).await;
        let sent = texts(round * 10 + 1..=round * 10 + 3);
        for t in &sent {
            say(&u2.client, t).await;
        }
        restore(&proxy, &u1).await;
        assert_eq!(read(&mut u1.chat, "text", 3, READ).await, sent, "round {round}");
    }
    assert_eq!(u1.resyncs(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_window_every_room_is_told_to_resync() {
    let gw = gateway_with(Some(RecoveryPolicy { window: Duration::from_secs(1), max_events_per_room: 100 })).await;
    let (proxy, mut u1, u2) = members(gw.addr, gw.addr).await;
    drop_link(&proxy, &u1).await;
    say(&u2.client, "m1").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    restore(&proxy, &u1).await;
    // One answer, two events: `restore` returns at the first.
    switchboard_tests::faults::wait_until("both rooms told to resync", std::time::Duration::from_secs(10), || u1.resyncs().len() >= 2).await;
    let mut resyncs = u1.resyncs();
    resyncs.sort();
    assert_eq!(resyncs, vec![("chat-c-1".to_string(), ResyncReason::TooOld), ("user-u1".to_string(), ResyncReason::TooOld)]);
    say(&u2.client, "m2").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m2"], "nothing replayed, live events flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capped_history_is_a_resync_for_that_room_only() {
    let gw = gateway_with(Some(RecoveryPolicy { window: Duration::from_secs(120), max_events_per_room: 3 })).await;
    let (proxy, mut u1, u2) = members(gw.addr, gw.addr).await;
    say(&u2.client, "m0").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m0"]);
    drop_link(&proxy, &u1).await;
    for t in texts(1..=5) {
        say(&u2.client, &t).await;
    }
    cashback(&gw, "u1", "cb-1").await;
    restore(&proxy, &u1).await;
    assert_eq!(u1.resyncs(), vec![("chat-c-1".to_string(), ResyncReason::Capped)], "m1 and m2 are gone");
    assert_eq!(read(&mut u1.cashback, "orderId", 1, READ).await, vec!["cb-1"], "the user room still recovers");
    say(&u2.client, "m6").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m6"], "no partial replay after a resync; live events flow");
}

/// Sends `_recover` on a raw socket and returns the ack.
async fn recover_raw(ws: &mut raw::Ws, id: u64, request: Value) -> Value {
    ws.send(raw::event_frame(id, "_recover", &request)).await.expect("sent");
    loop {
        let frame = raw::next_text(ws).await.expect("an answer to _recover");
        if let Some((got, ack)) = raw::parse_ack(&frame)
            && got == id
        {
            return ack;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_of_a_room_the_socket_is_not_in_is_refused() {
    let gw = gateway_with(None).await;
    // A member reads a real position of chat-c-1 from the wire.
    let mut u1 = raw::connect_ok(gw.addr, &token("u1")).await;
    u1.send(raw::event_frame(1, "subscribe:chat", &json!({ "chatId": "c-1" }))).await.unwrap();
    u1.send(raw::event_frame(2, "chat:send_message", &json!({ "chatId": "c-1", "message": "secret", "timestamp": "2026-12-03T00:00:00.000Z" }))).await.unwrap();
    let position = loop {
        let frame = raw::next_text(&mut u1).await.expect("chat:message reaches the member");
        let Some(args) = frame.strip_prefix("42").and_then(|f| serde_json::from_str::<Vec<Value>>(f).ok()) else { continue };
        if args[0] == "chat:message" {
            assert_eq!(args[1]["text"], "secret");
            break args[2]["_rec"][0].clone();
        }
    };
    assert_eq!(position["room"], "chat-c-1");
    // u9 may not join c-1: its join is refused, and so is the room's history.
    let mut u9 = raw::connect_ok(gw.addr, &token("u9")).await;
    u9.send(raw::event_frame(1, "subscribe:chat", &json!({ "chatId": "c-1" }))).await.unwrap();
    let mut request = json!({ "gone_ms": 1, "rooms": [{ "room": "chat-c-1", "epoch": position["epoch"], "offset": 0 }] });
    let ack = recover_raw(&mut u9, 2, request.clone()).await;
    assert_eq!(ack["ok"], true, "{ack}");
    let rooms = ack["data"]["rooms"].as_array().expect("rooms");
    assert!(rooms.contains(&json!({ "status": "not_joined", "room": "chat-c-1" })), "{ack}");
    assert!(rooms.iter().any(|r| r["room"] == "user-u9" && r["status"] == "recovered"), "its own user room is answered: {ack}");
    assert_eq!(ack["data"]["events"], json!([]), "no event of chat-c-1: {ack}");
    // Without a position (recovery by time) the answer is the same.
    request["rooms"] = json!([]);
    let ack = recover_raw(&mut u9, 3, request).await;
    assert!(!ack.to_string().contains("secret"), "{ack}");
    // A malformed request is refused, the socket stays.
    let ack = recover_raw(&mut u9, 4, json!({ "rooms": "all" })).await;
    assert_eq!(ack["error"]["code"], "invalid_payload", "{ack}");
}

/// Each `_recover` reads the history of every joined room, so a loop of them is limited per user
/// (`RECOVER_LIMIT` per `RECOVER_LIMIT_SECONDS`), answered `rate_limited` and counted; the socket
/// stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_recover_requests_is_rate_limited_per_user() {
    use switchboard_runtime::server::recover::{RECOVER_LIMIT, RECOVER_LIMIT_SECONDS};
    let gw = gateway_with(None).await;
    let mut u1 = raw::connect_ok(gw.addr, &token("u1")).await;
    let n = u64::from(RECOVER_LIMIT) + 10;
    for id in 1..=n {
        u1.send(raw::event_frame(id, "_recover", &json!({ "gone_ms": 1, "rooms": [] }))).await.unwrap();
    }
    let (mut ok, mut limited) = (0, 0);
    while ok + limited < n {
        let frame = tokio::time::timeout(Duration::from_secs(10), raw::next_text(&mut u1)).await.expect("every request is answered").expect("a frame");
        let Some((_, ack)) = raw::parse_ack(&frame) else { continue };
        match ack["error"]["code"].as_str() {
            None if ack["ok"] == true => ok += 1,
            Some("rate_limited") => limited += 1,
            _ => panic!("unexpected answer {ack}"),
        }
    }
    // The bucket refills RECOVER_LIMIT per RECOVER_LIMIT_SECONDS: a few may pass during the burst.
    assert!((u64::from(RECOVER_LIMIT)..u64::from(RECOVER_LIMIT) + 3).contains(&ok), "{ok} answered, {limited} limited ({RECOVER_LIMIT} per {RECOVER_LIMIT_SECONDS} s)");
    assert_eq!(gw.runtime.metrics().snapshot().rate_limited, limited);
    let ack = recover_raw(&mut u1, n + 1, json!({ "rooms": "all" })).await;
    assert_eq!(ack["error"]["code"], "rate_limited", "still limited, the socket still answers: {ack}");
}
