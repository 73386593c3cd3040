//! Exactly one effect per reliable message when Redis restarts empty (issue 15, part 3): a
//! message whose effect happened but whose ack was lost, resent after the restart (the dedup
//! entries are gone), must not run a second time. The resend carries `_resent` (ms since its
//! first send); the server, seeing that its store lost its history after that first send,
//! answers `outcome_unknown` and remembers that answer. A real `redis-server` on a free port
//! (a missing one fails these tests).

use rez_realtime::gateway::{DEV_SECRET, Gateway};
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_runtime::client::{ClientError, ConnectionState};
use switchboard_runtime::server::{DedupStore, JwtHs256, RESEND_SLACK, RedisConn, RedisDedup, Seen};
use switchboard_runtime::wire::ErrorCode;
use switchboard_tests::faults::{bounded, chat, fast_config, finish, wait_state, wait_until};
use switchboard_tests::task::start;
use switchboard_tests::raw::{self, call};
use switchboard_tests::recovery::Member;
use switchboard_tests::redis::{RedisServer, node};
use switchboard_tests::faults::proxy::Proxy;

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

/// `chat:send_message` to `c-1` with message id `mid`, marked as a resend first sent `resent`
/// ms ago when given.
fn send(text: &str, mid: &str, resent: Option<u64>) -> Value {
    let mut p = json!({ "chatId": "c-1", "message": text, "timestamp": "2026-12-03T00:00:00.000Z", "_mid": mid });
    if let Some(ms) = resent {
        p["_resent"] = json!(ms);
    }
    p
}

fn effects(nodes: &[&Gateway]) -> usize {
    nodes.iter().map(|n| n.backend.chat_messages("c-1").len()).sum()
}

/// Restarts Redis empty and waits (bounded) until `gw` reaches it again.
async fn restart_redis(redis: &mut RedisServer, gw: &Gateway) {
    redis.restart();
    // The node's own connection reconnects within its heartbeat and reconnect delay.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut ws = raw::connect_ok(gw.addr, &token("probe")).await;
        let ack = call(&mut ws, &mut Vec::new(), 1, "chat:send_message", send("probe", "probe", None)).await;
        // `probe` is not in c-1: refused `forbidden` once the dedup store answers.
        if ack["error"]["code"] != "internal" {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the node did not reach Redis again within 5 s: {ack}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_first_sent_before_redis_restarted_empty_is_not_run_again() {
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let mut on_a = raw::connect_ok(a.addr, &token("u1")).await;
    let first = call(&mut on_a, &mut Vec::new(), 1, "chat:send_message", send("once", "m-1", None)).await;
    assert_eq!(first["ok"], true, "{first}");
    assert_eq!(effects(&[&a, &b]), 1);

    // The ack was lost, say; Redis restarts empty; the client resends through node B.
    restart_redis(&mut redis, &b).await;
    let mut on_b = raw::connect_ok(b.addr, &token("u1")).await;
    let again = call(&mut on_b, &mut Vec::new(), 1, "chat:send_message", send("once", "m-1", Some(400))).await;
    assert_eq!(again["ok"], false, "{again}");
    assert_eq!(again["error"]["code"], "outcome_unknown", "{again}");
    assert_eq!(effects(&[&a, &b]), 1, "not run a second time");
    // Every later resend, on either node, gets that same answer.
    let third = call(&mut on_a, &mut Vec::new(), 2, "chat:send_message", send("once", "m-1", Some(900))).await;
    assert_eq!(third, again);
    assert_eq!(effects(&[&a, &b]), 1);
    // A first send (no `_resent`) is new work, as before.
    let fresh = call(&mut on_b, &mut Vec::new(), 2, "chat:send_message", send("fresh", "m-2", None)).await;
    assert_eq!(fresh["ok"], true, "{fresh}");
    assert_eq!(effects(&[&a, &b]), 2);
    // A resend of a message the server never saw, first sent too close to the loss to tell:
    // answered `outcome_unknown` too (it did not take effect, but the server cannot know).
    let unseen = call(&mut on_b, &mut Vec::new(), 3, "chat:send_message", send("lost", "m-3", Some(0))).await;
    assert_eq!(unseen["error"]["code"], "outcome_unknown", "{unseen}");
    assert_eq!(effects(&[&a, &b]), 2);
    let counted = a.runtime.metrics().snapshot().outcome_unknown + b.runtime.metrics().snapshot().outcome_unknown;
    assert_eq!(counted, 2, "each answered `outcome_unknown` once is counted");

    // Once the store has held ids for longer than the resend's age plus the slack, a resend it
    // does not know never took effect: it runs.
    tokio::time::sleep(RESEND_SLACK + Duration::from_secs(1)).await;
    let later = call(&mut on_b, &mut Vec::new(), 4, "chat:send_message", send("late", "m-4", Some(0))).await;
    assert_eq!(later["ok"], true, "{later}");
    assert_eq!(effects(&[&a, &b]), 3);
    a.abort();
    b.abort();
}

/// The same with the Rust client, whose resend marks itself: the ack is lost in a cut (the
/// proxy holds it, the link is cut after the effect), Redis restarts empty, the client
/// reconnects to the other node and resends by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_gets_outcome_unknown_for_a_message_whose_ack_was_lost_across_a_redis_restart() {
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let proxy = Proxy::start(a.addr).await;
    let u1 = Member::join_with(fast_config(proxy.url()), "u1").await;
    proxy.hold_downstream(true);
    let client = u1.client.clone();
    let sent = start(async move { client.emit_reliable("chat:send_message", Some(send("once", "m-rust", None))).await });
    wait_until("the effect on node A", Duration::from_secs(5), || effects(&[&a, &b]) == 1).await;
    // And its ack stored (after the handler's broadcast): else the ack is stored in the
    // restarted Redis and the resend gets it, which is right too but not this test.
    let store = RedisDedup::new(RedisConn::connect(&redis.url()).await.expect("Redis answers"), Duration::from_secs(60));
    let stored = tokio::time::timeout(Duration::from_secs(5), async {
        while !matches!(store.begin("u1\0chat:send_message\0m-rust").await, Seen::Done(_)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert!(stored.await.is_ok(), "the original's ack is stored within 5 s");
    // The ack is still in the proxy: cut, and keep the client out while Redis restarts.
    proxy.set_down(true);
    proxy.cut().await;
    wait_state(&u1.client, Duration::from_secs(5), "the link to drop", |s| *s != ConnectionState::Connected).await;
    proxy.hold_downstream(false);
    restart_redis(&mut redis, &b).await;
    proxy.retarget(b.addr);
    proxy.set_down(false);
    let answer = finish("the resent message", Duration::from_secs(10), sent).await;
    match answer {
        Err(ClientError::Refused(e)) => assert_eq!(e.code, ErrorCode::OutcomeUnknown, "{e}"),
        other => panic!("expected outcome_unknown, got {other:?}; effects on A {:?}, on B {:?}", a.backend.chat_effects("c-1"), b.backend.chat_effects("c-1")),
    }
    assert_eq!(effects(&[&a, &b]), 1, "one effect");
    let next = bounded("a new message", Duration::from_secs(5), u1.client.emit_reliable("chat:send_message", chat("next"))).await;
    assert!(next.is_ok(), "{next:?}");
    assert_eq!(effects(&[&a, &b]), 2);
    a.abort();
    b.abort();
}
