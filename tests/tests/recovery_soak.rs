//! Seeded randomized soak of recovery and of reliable client messages (issue 15, part 3): at
//! least 200 scenarios of link cuts, gateway node restarts and Redis restarts (it runs without
//! persistence, so each restart empties it) against two nodes on one real Redis, each checked by
//! a history checker.
//!
//! Server to client: every recoverable event whose emit succeeded must reach the client exactly
//! once and in emit order, unless the client was told `resync_required` for the room in that
//! scenario (then what arrives is still once and in order); an event whose emit failed
//! (reported to the emitter) may arrive at most once.
//!
//! Client to server: the client sends reliable `chat:send_message`s (its own `_mid` per message,
//! resent by the Rust client after a cut, maybe to the other node): one whose ack is lost in a
//! cut (the proxy holds it and the link is cut after the effect), one lost on the way (held by
//! the proxy and dropped with the cut), one queued while offline, one live. Every message the
//! client saw acknowledged `ok: true` had exactly one effect, the one its ack names; any other
//! answer or drop, at most one; a resend of it afterwards (raw frames, on either node) gets the
//! answer the client got and runs nothing.
//!
//! A failure names the seed and scenario: rerun with `SOAK_SEED=<seed>` (and `SOAK_SCENARIOS=<n>`).

use rez_realtime::gateway::{DemoBackend, Gateway};
use switchboard_runtime::Timestamp;
use rez_realtime::types;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use switchboard_runtime::client::{Backoff, ClientError};
use switchboard_runtime::wire::ErrorCode;
use switchboard_tests::faults::proxy::Proxy;
use switchboard_tests::faults::{fast_config, finish, token, wait_until};
use switchboard_tests::raw::{self, call};
use switchboard_tests::recovery::{Member, drop_link};
use switchboard_tests::redis::{RedisServer, node};
use switchboard_tests::synth::SplitMix64;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// Sends `chat:message` with `text` to `c-1` through `gw`; true when the emitter reported no
/// failure (the history took it).
async fn emit(gw: &Gateway, text: &str) -> bool {
    let p: types::ChatMessagePayload = serde_json::from_value(json!({
        "messageId": text, "chatId": "c-1", "senderId": "u2", "senderName": "u2", "senderType": "user",
        "text": text, "timestamp": "2026-12-03T00:00:00.000Z"
    }))
    .expect("a valid payload");
    gw.emitter.chat_message(&p).await.is_ok()
}

/// `u1`'s chat message `text`, whose `_mid` is its text (each text is sent once).
fn message(text: &str) -> Value {
    json!({ "chatId": "c-1", "message": text, "timestamp": Timestamp::now(), "_mid": text })
}

/// A reliable message of u1's: its text and when the app emitted it.
struct Sent {
    text: String,
    at: Instant,
    /// Its ack was lost in a cut after the effect.
    ack_lost: bool,
    task: JoinHandle<Result<Value, ClientError>>,
}

/// What the client got for a message (an emit has exactly one outcome).
struct Answered {
    text: String,
    at: Instant,
    ack_lost: bool,
    answer: Result<Value, ClientError>,
}

struct World {
    redis: RedisServer,
    nodes: Vec<Gateway>,
    /// Backends of restarted nodes: their effects still count.
    retired: Vec<Arc<DemoBackend>>,
    proxy: Proxy,
    at: usize,
    u1: Member,
}

impl World {
    fn send(&self, text: String) -> Sent {
        let c = self.u1.client.clone();
        let p = message(&text);
        Sent { text, at: Instant::now(), ack_lost: false, task: switchboard_tests::task::start(async move { c.emit_reliable("chat:send_message", Some(p)).await }) }
    }

    /// Message ids of the effects of the message `text`, on every node that ever ran.
    fn effects(&self, text: &str) -> Vec<String> {
        let backends = self.nodes.iter().map(|n| &n.backend).chain(self.retired.iter());
        backends.flat_map(|b| b.chat_effects("c-1")).filter(|(_, t)| t == text).map(|(id, _)| id).collect()
    }

    async fn restart_node(&mut self, i: usize) {
        self.nodes[i].shutdown().await;
        self.retired.push(self.nodes[i].backend.clone());
        self.nodes[i] = node(&self.redis).await;
        if self.at == i {
            self.proxy.retarget(self.nodes[i].addr);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_soak_of_cuts_node_and_redis_restarts() {
    let seed: u64 = std::env::var("SOAK_SEED").ok().and_then(|s| s.trim_start_matches("0x").parse::<u64>().ok()).unwrap_or(0x5eed);
    let scenarios: usize = std::env::var("SOAK_SCENARIOS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut rng = SplitMix64::new(seed);
    let redis = RedisServer::start();
    let nodes = vec![node(&redis).await, node(&redis).await];
    let proxy = Proxy::start(nodes[0].addr).await;
    let mut config = fast_config(proxy.url());
    config.backoff = Backoff { base: Duration::from_millis(50), max: Duration::from_millis(200), max_attempts: 0, jitter: 0.0 };
    let u1 = Member::join_with(config, "u1").await;
    let mut w = World { redis, nodes, retired: Vec::new(), proxy, at: 0, u1 };
    let started = Instant::now();
    let mut seen: HashSet<String> = HashSet::new();
    let (mut sent, mut resyncs, mut failed_emits, mut restarts) = (0usize, 0usize, 0usize, 0usize);
    let mut tally = Tally::default();
    for i in 0..scenarios {
        let ctx = format!("seed {seed} scenario {i} (rerun: SOAK_SEED={seed} SOAK_SCENARIOS={})", i + 1);
        let resyncs_before = w.u1.resyncs().len();
        // (text, emitted without error), in emit order.
        let mut emitted: Vec<(String, bool)> = Vec::new();
        let mut n = 0;
        let mut next = |w: &World, rng: &mut SplitMix64| {
            n += 1;
            (format!("s{i}-{n}"), rng.below(w.nodes.len()))
        };
        let mut sends: Vec<Sent> = Vec::new();
        let mut k = 0;
        let mut text = || {
            k += 1;
            format!("c{i}-{k}")
        };
        if rng.chance(60) {
            match rng.below(4) {
                0 | 1 => {
                    // Ack lost: the effect happens, its ack is held by the proxy at the cut.
                    w.proxy.hold_downstream(true);
                    let s = w.send(text());
                    let w2 = &w;
                    let ran = timeout(Duration::from_secs(5), wait_until("the effect", Duration::from_secs(5), || !w2.effects(&s.text).is_empty())).await;
                    assert!(ran.is_ok(), "{ctx}: `{}` took no effect within 5 s", s.text);
                    drop_link(&w.proxy, &w.u1).await;
                    w.proxy.hold_downstream(false);
                    sends.push(Sent { ack_lost: true, ..s });
                    tally.ack_lost += 1;
                }
                2 => {
                    // Request lost: held by the proxy, dropped with the cut (if it left the
                    // client in time; else it is sent after the reconnect: both are fine).
                    w.proxy.black_hole();
                    sends.push(w.send(text()));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    drop_link(&w.proxy, &w.u1).await;
                    w.proxy.forward();
                    tally.request_lost += 1;
                }
                _ => drop_link(&w.proxy, &w.u1).await,
            }
            if rng.chance(50) {
                // Queued while offline: its first send is after the reconnect.
                sends.push(w.send(text()));
            }
            for _ in 0..rng.below(5) {
                let (text, by) = next(&w, &mut rng);
                let ok = emit(&w.nodes[by], &text).await;
                emitted.push((text, ok));
            }
            if rng.chance(4) {
                // Emits while Redis is down fail (reported to the emitter, sent live only).
                w.redis.kill();
                for _ in 0..rng.range(1, 2) {
                    let (text, by) = next(&w, &mut rng);
                    let ok = emit(&w.nodes[by], &text).await;
                    emitted.push((text, ok));
                }
                w.redis.revive();
                restarts += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            if rng.chance(8) {
                w.redis.restart();
                restarts += 1;
                // Fan-out resumes within its bound (5 s, measured ~0.2 s): wait it out so that
                // the live events below are not lost to an unsubscribed node.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            if rng.chance(8) {
                let which = rng.below(2);
                w.restart_node(which).await;
                restarts += 1;
            }
            w.at = rng.below(2);
            w.proxy.retarget(w.nodes[w.at].addr);
            let before = w.u1.recoveries() + w.u1.resyncs().len();
            w.proxy.set_down(false);
            let u1 = &w.u1;
            let answered = timeout(Duration::from_secs(15), wait_until("a recovery answer", Duration::from_secs(15), || u1.recoveries() + u1.resyncs().len() > before)).await;
            assert!(answered.is_ok(), "{ctx}: no recovery answer");
        }
        if rng.chance(50) {
            sends.push(w.send(text()));
        }
        for _ in 0..rng.range(1, 3) {
            let (text, by) = next(&w, &mut rng);
            let ok = emit(&w.nodes[by], &text).await;
            emitted.push((text, ok));
        }
        let mut answered = Vec::new();
        for s in sends {
            let answer = finish(&format!("{ctx}: `{}`", s.text), Duration::from_secs(20), s.task).await;
            answered.push(Answered { text: s.text, at: s.at, ack_lost: s.ack_lost, answer });
        }
        // Read until every successful emit arrived (bounded), then a little more for duplicates.
        let want: Vec<&String> = emitted.iter().filter(|(_, ok)| *ok).map(|(t, _)| t).collect();
        let mut got: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        while want.iter().any(|t| !got.contains(t)) {
            match tokio::time::timeout_at(deadline, w.u1.chat.recv()).await {
                Ok(Some(v)) => got.push(v["text"].as_str().unwrap_or_default().to_string()),
                _ => break,
            }
        }
        while let Ok(Some(v)) = timeout(Duration::from_millis(100), w.u1.chat.recv()).await {
            got.push(v["text"].as_str().unwrap_or_default().to_string());
        }
        // The checker. u1's own messages come back as `chat:message` too: once each at most.
        let chat_resync = w.u1.resyncs()[resyncs_before..].iter().any(|(room, _)| room == "chat-c-1");
        for t in &got {
            assert!(seen.insert(t.clone()), "{ctx}: `{t}` delivered twice; got {got:?}");
        }
        got.retain(|t| !t.starts_with('c'));
        for t in &got {
            assert!(emitted.iter().any(|(e, _)| e == t), "{ctx}: `{t}` was not sent in this scenario; got {got:?}");
        }
        let order: Vec<usize> = got.iter().filter_map(|t| emitted.iter().position(|(e, _)| e == t)).collect();
        assert!(order.windows(2).all(|p| p[0] < p[1]), "{ctx}: out of order: got {got:?}, sent {emitted:?}");
        if !chat_resync {
            let missing: Vec<&&String> = want.iter().filter(|t| !got.contains(t)).collect();
            assert!(missing.is_empty(), "{ctx}: lost without resync_required: {missing:?}; got {got:?}, sent {emitted:?}");
        }
        check_messages(&w, &answered, &ctx, rng.below(2), &mut tally).await;
        sent += emitted.len();
        failed_emits += emitted.iter().filter(|(_, ok)| !ok).count();
        resyncs += usize::from(chat_resync);
    }
    eprintln!(
        "soak: seed {seed}, {scenarios} scenarios, {sent} events ({failed_emits} emits reported failed), {restarts} node/Redis restarts, {resyncs} scenarios with resync_required, {} delivered, {:.1?}",
        seen.len(),
        started.elapsed()
    );
    eprintln!("soak: client messages: {tally:?}");
    assert!(scenarios < 50 || resyncs > 0, "the soak never lost history: the Redis restarts did not exercise resync_required");
    assert!(scenarios < 50 || (tally.unknown_after_lost_ack > 0 && tally.acked_after_lost_ack > 0), "the soak did not exercise both answers to a lost ack: {tally:?}");
    for n in &w.nodes {
        n.abort();
    }
}

/// Client-message counts over the run.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    ok: usize,
    outcome_unknown: usize,
    /// Of those, how many had taken effect (the rest never reached a handler).
    outcome_unknown_with_effect: usize,
    other_refusals: usize,
    dropped: usize,
    ack_lost: usize,
    request_lost: usize,
    /// Messages whose ack was lost in a cut and that the client then saw acknowledged (the
    /// resend answered from the dedup store).
    acked_after_lost_ack: usize,
    /// Messages whose ack was lost in a cut and whose resend was answered `outcome_unknown` (the
    /// store lost its ids after the first send: Redis restarted, or had just started).
    unknown_after_lost_ack: usize,
    effects: usize,
    replays: usize,
}

/// The client-message checker: exactly one effect per `ok` (the one the ack names), at most one
/// otherwise; then a resend of each answered message, raw, on node `by`, gets the same answer
/// and runs nothing.
async fn check_messages(w: &World, answered: &[Answered], ctx: &str, by: usize, tally: &mut Tally) {
    let mut ws = None;
    for a in answered {
        let effects = w.effects(&a.text);
        tally.sent += 1;
        tally.effects += effects.len();
        let replay_of: Option<Value> = match &a.answer {
            Ok(data) => {
                assert_eq!(effects.len(), 1, "{ctx}: `{}` acknowledged ok with {} effects", a.text, effects.len());
                assert_eq!(data["messageId"].as_str(), Some(effects[0].as_str()), "{ctx}: `{}`'s ack names another effect", a.text);
                tally.ok += 1;
                if a.ack_lost {
                    tally.acked_after_lost_ack += 1;
                }
                Some(json!({ "ok": true, "data": data }))
            }
            Err(ClientError::Refused(e)) => {
                assert!(effects.len() <= 1, "{ctx}: `{}` refused ({e}) with {} effects", a.text, effects.len());
                if e.code == ErrorCode::OutcomeUnknown {
                    tally.outcome_unknown += 1;
                    tally.outcome_unknown_with_effect += effects.len();
                    tally.unknown_after_lost_ack += usize::from(a.ack_lost);
                    Some(json!({ "ok": false, "error": e }))
                } else {
                    // Refusals are not remembered: a resend is handled again.
                    tally.other_refusals += 1;
                    None
                }
            }
            Err(e) => {
                assert!(effects.len() <= 1, "{ctx}: `{}` failed ({e}) with {} effects", a.text, effects.len());
                tally.dropped += 1;
                None
            }
        };
        let Some(want) = replay_of else { continue };
        if ws.is_none() {
            ws = Some(raw::connect_ok(w.nodes[by].addr, &token("u1")).await);
        }
        let Some(ws) = ws.as_mut() else { continue };
        let mut p = message(&a.text);
        // Its honest age: the first send was no earlier than the emit.
        p["_resent"] = json!(u64::try_from(a.at.elapsed().as_millis()).unwrap_or(u64::MAX));
        tally.replays += 1;
        let got = call(ws, &mut Vec::new(), tally.replays as u64, "chat:send_message", p).await;
        assert_eq!(got, want, "{ctx}: a resend of `{}` got another answer", a.text);
        assert_eq!(w.effects(&a.text).len(), effects.len(), "{ctx}: a resend of `{}` ran again", a.text);
    }
}
