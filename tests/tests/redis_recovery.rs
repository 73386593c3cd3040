//! Recovery across two gateway nodes on one real Redis (history in Redis Streams; started by the
//! test on a free port, no persistence; a missing `redis-server` fails these tests): events sent
//! on node B while a client was away from node A are replayed when it comes back, on either
//! node; a Redis that restarted empty is a new epoch, so the client is told `resync_required`.

use std::time::Duration;
use switchboard_runtime::recovery::ResyncReason;
use switchboard_tests::recovery::*;
use switchboard_tests::redis::{RedisServer, node};

const READ: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_sent_on_the_other_node_are_recovered_on_either_node() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (proxy, mut u1, u2) = members(a.addr, b.addr).await;
    say(&u2.client, "m0").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m0"], "live across nodes");

    // Away from A; back on B.
    drop_link(&proxy, &u1).await;
    for t in ["m1", "m2", "m3"] {
        say(&u2.client, t).await;
    }
    cashback(&b, "u1", "cb-1").await;
    proxy.retarget(b.addr);
    restore(&proxy, &u1).await;
    say(&u2.client, "m4").await;
    assert_eq!(read(&mut u1.chat, "text", 4, READ).await, vec!["m1", "m2", "m3", "m4"]);
    assert_eq!(read(&mut u1.cashback, "orderId", 1, READ).await, vec!["cb-1"]);

    // Away from B; back on A.
    drop_link(&proxy, &u1).await;
    for t in ["m5", "m6"] {
        say(&u2.client, t).await;
    }
    cashback(&a, "u1", "cb-2").await;
    proxy.retarget(a.addr);
    restore(&proxy, &u1).await;
    say(&u2.client, "m7").await;
    assert_eq!(read(&mut u1.chat, "text", 3, READ).await, vec!["m5", "m6", "m7"]);
    assert_eq!(read(&mut u1.cashback, "orderId", 1, READ).await, vec!["cb-2"]);
    assert_eq!(u1.resyncs(), vec![]);
    let failures = a.runtime.metrics().snapshot().history_failures + b.runtime.metrics().snapshot().history_failures;
    assert_eq!(failures, 0);
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_restarted_empty_is_a_resync_for_every_room() {
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (proxy, mut u1, u2) = members(a.addr, b.addr).await;
    say(&u2.client, "m0").await;
    cashback(&b, "u1", "cb-0").await;
    assert_eq!(read(&mut u1.chat, "text", 1, READ).await, vec!["m0"]);
    drop_link(&proxy, &u1).await;
    say(&u2.client, "m1").await;
    // The history (and m1 in it) is lost.
    redis.restart();
    proxy.retarget(b.addr);
    restore(&proxy, &u1).await;
    // One answer, two events: `restore` returns at the first.
    switchboard_tests::faults::wait_until("both rooms told to resync", std::time::Duration::from_secs(10), || u1.resyncs().len() >= 2).await;
    let mut resyncs = u1.resyncs();
    resyncs.sort();
    assert_eq!(resyncs, vec![("chat-c-1".to_string(), ResyncReason::EpochChanged), ("user-u1".to_string(), ResyncReason::EpochChanged)]);
    a.abort();
    b.abort();
}

/// `RedisHistory::read_for` fetches only the entries after a client's offset of the stream's
/// epoch (everything for another epoch or none), and `plan` answers the same from them as from
/// the whole stream, for every offset the client may hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_the_epoch_reads_only_the_entries_after_its_offset_from_redis() {
    use switchboard_runtime::recovery::Position;
    use switchboard_runtime::server::history::{History, RoomLog, plan};
    use switchboard_runtime::server::{RecoveryPolicy, RedisConn, RedisHistory};
    let redis = RedisServer::start();
    let conn = RedisConn::connect(&redis.url()).await.expect("Redis answers");
    let history = RedisHistory::open(conn).await.expect("the store opens");
    let policy = RecoveryPolicy { window: Duration::from_secs(60), max_events_per_room: 4 };
    let room = vec!["chat-1".to_string()];
    let mut at = Vec::new();
    for i in 0..6 {
        let p = history.append(&room, "text", &serde_json::json!({ "i": i }), &policy).await.expect("appended");
        at.push(p[0].clone());
    }
    let offsets = |log: &RoomLog| log.entries.iter().map(|e| e.offset).collect::<Vec<_>>();
    let all = history.read("chat-1", &policy).await.unwrap();
    assert_eq!((offsets(&all), all.seq), (vec![3, 4, 5, 6], 6), "four kept of six");
    let mine = history.read_for("chat-1", Some(&at[3]), &policy).await.unwrap();
    assert_eq!(offsets(&mine), vec![5, 6], "after offset 4");
    assert_eq!((mine.seq, &mine.epoch), (all.seq, &all.epoch));
    let other = Position { epoch: "another".into(), ..at[3].clone() };
    assert_eq!(offsets(&history.read_for("chat-1", Some(&other), &policy).await.unwrap()), vec![3, 4, 5, 6], "another epoch: everything");
    assert!(history.read_for("chat-1", Some(&at[5]), &policy).await.unwrap().entries.is_empty(), "up to date: nothing");
    for seen in 0..=7 {
        let k = Position { offset: seen, ..at[0].clone() };
        let cut = history.read_for("chat-1", Some(&k), &policy).await.unwrap();
        let full = RoomLog { now_ms: cut.now_ms, ..all.clone() };
        assert_eq!(plan(&cut, Some(&k), 0, 0, &policy), plan(&full, Some(&k), 0, 0, &policy), "offset {seen}");
    }
}
