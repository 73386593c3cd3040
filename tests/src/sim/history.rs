//! The history of one scenario (every send, outcome, handler effect, delivery, drop report,
//! reconnect and crash, in the order they happened) and the checker that reads it.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use switchboard_runtime::client::{ClientError, ClientEvent, StatsSnapshot};
use tokio::time::Instant;

/// A client incarnation: (client slot, incarnation number).
pub type Inc = (usize, u64);

/// How an emit ended, as the app saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Resolved `Ok` with the ack's data: the client says it was sent.
    Acked(Value),
    /// Any error (`Refused`, `Dropped(reason)`, `Closed`, ...).
    Failed(ClientError),
}

/// One record.
#[derive(Debug, Clone)]
pub enum Rec {
    /// The app emitted reliable message `seq` of an incarnation with message id `mid`.
    Emit { inc: Inc, seq: u64, mid: String },
    /// Its outcome; `after_crash`: the incarnation had crashed (nobody saw it).
    Outcome { inc: Inc, seq: u64, outcome: Outcome, after_crash: bool },
    /// The server's handler ran: effect number `n` (its ack carries `pong_for(n)`).
    Effect { server: u64, sid: String, mid: Option<String>, n: u64 },
    /// A client event (connected, disconnected, dropped, ...).
    Client { inc: Inc, event: ClientEvent },
    /// A `notice` reached the incarnation's listener.
    Notice { inc: Inc, n: u64 },
    /// The server broadcast `notice` `n`; `dropped` deliveries were reported dropped.
    NoticeSent { server: u64, n: u64, dropped: usize },
    /// The counters of an incarnation at the end.
    Stats { inc: Inc, stats: StatsSnapshot },
    /// A server process's counters at its end.
    ServerEnd { server: u64, emit_drops: u64, duplicates: u64, dropped_on_disconnect: u64, handler_errors: u64 },
    /// A fault or a process start/crash.
    Note(String),
    /// Something the harness itself saw go wrong (e.g. a lagging event stream).
    Violation(String),
}

/// The shared history.
pub struct History {
    t0: Instant,
    recs: Mutex<Vec<(Duration, Rec)>>,
    effects: AtomicU64,
    notices: AtomicU64,
}

/// The ack payload of effect `n`: a valid `datetime` (the catalogue's ack type), unique per effect.
pub fn pong_for(n: u64) -> String {
    format!("2026-12-02T{:02}:{:02}:{:02}.{:03}Z", n / 3_600_000 % 24, n / 60_000 % 60, n / 1000 % 60, n % 1000)
}

impl Default for History {
    fn default() -> Self {
        History { t0: Instant::now(), recs: Mutex::default(), effects: AtomicU64::new(1), notices: AtomicU64::new(1) }
    }
}

impl History {
    /// Appends a record at the current (simulated) time.
    pub fn push(&self, r: Rec) {
        let at = Instant::now() - self.t0;
        self.recs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((at, r));
    }

    /// Records a handler effect and returns its number.
    pub fn effect(&self, server: u64, sid: String, mid: Option<String>) -> u64 {
        let n = self.effects.fetch_add(1, Ordering::SeqCst);
        self.push(Rec::Effect { server, sid, mid, n });
        n
    }

    /// The next notice number.
    pub fn next_notice(&self) -> u64 {
        self.notices.fetch_add(1, Ordering::SeqCst)
    }

    /// Every record so far.
    pub fn records(&self) -> Vec<(Duration, Rec)> {
        self.recs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Checks the history; returns every violation found (empty: the run is correct).
pub fn check(recs: &[(Duration, Rec)]) -> Vec<String> {
    let mut bad = Vec::new();
    let mut mid_of: HashMap<(Inc, u64), String> = HashMap::new();
    let mut seq_of: HashMap<String, (Inc, u64)> = HashMap::new();
    let mut effects: HashMap<String, Vec<u64>> = HashMap::new();
    let mut per_socket: BTreeMap<(u64, String), Vec<(Inc, u64)>> = BTreeMap::new();
    let mut outcomes: BTreeMap<(Inc, u64), Vec<Outcome>> = BTreeMap::new();
    // Per incarnation: `Dropped` events of `ping`, and of anything.
    let mut drop_events: BTreeMap<Inc, (u64, u64)> = BTreeMap::new();
    let mut stats: BTreeMap<Inc, StatsSnapshot> = BTreeMap::new();
    let mut notices: BTreeMap<Inc, Vec<u64>> = BTreeMap::new();
    let (mut sent_notices, mut reported_drops, mut counted_drops) = (std::collections::HashSet::new(), 0u64, 0u64);
    for (_, r) in recs {
        match r {
            Rec::Emit { inc, seq, mid } => {
                mid_of.insert((*inc, *seq), mid.clone());
                seq_of.insert(mid.clone(), (*inc, *seq));
            }
            Rec::Effect { server, sid, mid, n } => match mid.as_ref().and_then(|m| seq_of.get(m).map(|s| (m, *s))) {
                Some((m, (inc, seq))) => {
                    effects.entry(m.clone()).or_default().push(*n);
                    per_socket.entry((*server, sid.clone())).or_default().push((inc, seq));
                }
                None => bad.push(format!("effect {n} on server {server} has message id {mid:?}, which no client emitted")),
            },
            Rec::Outcome { inc, seq, outcome, .. } => outcomes.entry((*inc, *seq)).or_default().push(outcome.clone()),
            Rec::Client { inc, event: ClientEvent::Dropped { event, .. } } => {
                let e = drop_events.entry(*inc).or_default();
                e.1 += 1;
                if event == "ping" {
                    e.0 += 1;
                }
            }
            Rec::Client { .. } | Rec::Note(_) => {}
            Rec::Notice { inc, n } => notices.entry(*inc).or_default().push(*n),
            Rec::NoticeSent { n, dropped, .. } => {
                sent_notices.insert(*n);
                reported_drops += *dropped as u64;
            }
            Rec::Stats { inc, stats: s } => {
                stats.insert(*inc, *s);
            }
            Rec::ServerEnd { emit_drops, .. } => counted_drops += emit_drops,
            Rec::Violation(v) => bad.push(v.clone()),
        }
    }
    // No message was handled twice; every acknowledged one exactly once, with the ack its one
    // effect produced (so no unacknowledged message is reported as sent).
    for (mid, ns) in &effects {
        if ns.len() > 1 {
            bad.push(format!("message {mid} was handled {} times (effects {ns:?})", ns.len()));
        }
    }
    let mut drops_seen: BTreeMap<Inc, u64> = BTreeMap::new();
    let mut acked_order: BTreeMap<Inc, Vec<(u64, u64)>> = BTreeMap::new();
    for (key, mid) in &mid_of {
        let outs = outcomes.get(key).map(Vec::as_slice).unwrap_or(&[]);
        if outs.len() != 1 {
            bad.push(format!("message {mid} has {} outcomes, not one: {outs:?}", outs.len()));
        }
        for o in outs {
            match o {
                Outcome::Acked(data) => {
                    let ns = effects.get(mid).map(Vec::as_slice).unwrap_or(&[]);
                    match ns {
                        [n] => {
                            let want = pong_for(*n);
                            if data.get("pong").and_then(Value::as_str) != Some(want.as_str()) {
                                bad.push(format!("message {mid} was reported sent with ack {data}, but its effect {n} answered {want}"));
                            }
                            acked_order.entry(key.0).or_default().push((key.1, *n));
                        }
                        _ => bad.push(format!("message {mid} was reported sent (ack {data}) but had {} effects", ns.len())),
                    }
                }
                Outcome::Failed(ClientError::Dropped(_)) => *drops_seen.entry(key.0).or_default() += 1,
                Outcome::Failed(_) => {}
            }
        }
    }
    // Per-socket order: a server socket belongs to one incarnation and runs its messages in emit
    // order; across sockets, acknowledged messages took effect in emit order.
    for ((server, sid), list) in &per_socket {
        if list.windows(2).any(|w| w[0].0 != w[1].0 || w[0].1 >= w[1].1) {
            bad.push(format!("socket {sid} of server {server} ran messages out of emit order: {list:?}"));
        }
    }
    for (inc, mut list) in acked_order {
        list.sort();
        if list.windows(2).any(|w| w[0].1 >= w[1].1) {
            bad.push(format!("acknowledged messages of client {inc:?} took effect out of emit order: (seq, effect) {list:?}"));
        }
    }
    // Every queue drop was reported: each `Dropped` result has its `Dropped` event and counter.
    let incs: std::collections::BTreeSet<Inc> = mid_of.keys().map(|k| k.0).chain(stats.keys().copied()).collect();
    for inc in incs {
        let (results, (events, all_events)) = (drops_seen.get(&inc).copied().unwrap_or(0), drop_events.get(&inc).copied().unwrap_or((0, 0)));
        let counted = stats.get(&inc).map(|s| s.dropped_queue_full + s.dropped_ack_timeout + s.dropped_cleared + s.dropped_offline + s.dropped_listener);
        if results != events || counted != Some(all_events) {
            bad.push(format!("client {inc:?}: {results} drops returned to the app, {events} reported as `ping` events ({all_events} in all), {counted:?} counted"));
        }
    }
    // Server-to-client: never twice, in order, only what was sent; every drop reported.
    for (inc, ns) in &notices {
        if ns.windows(2).any(|w| w[0] >= w[1]) {
            bad.push(format!("client {inc:?} got notices twice or out of order: {ns:?}"));
        }
        if let Some(n) = ns.iter().find(|n| !sent_notices.contains(n)) {
            bad.push(format!("client {inc:?} got notice {n}, which was never sent"));
        }
    }
    if reported_drops != counted_drops {
        bad.push(format!("the server reported {reported_drops} dropped deliveries to the emitter but counted {counted_drops}"));
    }
    bad
}
