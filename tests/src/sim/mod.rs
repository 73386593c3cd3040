//! Deterministic fault simulation: the real server runtime (the minimal fixture's generated
//! server, served with `Runtime::serve_io`) and the real Rust client (over
//! `ClientConfig::transport`) on a simulated network ([`net`]), under a fault schedule drawn from
//! a seed ([`schedule`]), with a checker over the whole history ([`history`]).
//!
//! Why not turmoil: it would bring rand 0.9 beside the workspace's rand 0.10 (a duplicate major
//! version), and its TCP drops segments on a partition instead of cutting the connection. Here
//! everything runs on one current-thread tokio runtime with paused time (timers fire in order,
//! the clock jumps when every task waits), and the network is two `tokio::io::duplex` pipes per
//! connection with a pump per direction that applies the faults.
//!
//! A crash cannot kill tasks that socketioxide spawned, so a crashed server process is fenced:
//! its links are reset, its handlers stop before writing an effect, and its dedup calls never
//! return; so it can neither write the effect log, the store, nor the network, as if it had died
//! at its next step. Each seed runs on a fresh runtime that drops them all at the end.
//!
//! Reproducible from the seed: the schedule (clients, emit times, faults and their times). Not
//! exactly: the interleaving, since tokio's `select!` (in the client and in socketioxide) picks
//! branches at random, hash maps are seeded randomly and socket ids are random; segment delays
//! are drawn in the order the run asks for them. A failing seed is replayed with the same
//! schedule, which in practice reproduces it (README "Deterministic fault simulation").

pub mod history;
pub mod net;
pub mod schedule;

use crate::fixtures::minimal::{events, server, types};
use crate::minimal::{SECRET, token};
use history::{History, Inc, Outcome, Rec, pong_for};
use net::Net;
use schedule::{Fault, Rng, Schedule};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::client::{Backoff, Client, ClientConfig, ClientError, ClientEvent, ConnectionState, Transport};
use switchboard_runtime::server::auth::BoxFuture;
use switchboard_runtime::server::{DedupStore, JwtHs256, MemoryDedup, NoPayload, Seen};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until};

/// What a run may vary besides the seed.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The dedup store survives server restarts (as the Redis store does). `false` gives each
    /// server process a fresh in-memory store: the checker must then find double effects.
    pub surviving_dedup: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { surviving_dedup: true }
    }
}

/// The result of one seed.
pub struct Report {
    /// The seed's schedule.
    pub schedule: Schedule,
    /// What the checker found (empty: correct).
    pub violations: Vec<String>,
    /// The whole history.
    pub records: Vec<(Duration, Rec)>,
    /// Simulated time the run took.
    pub sim_time: Duration,
}

impl Report {
    /// Counts for a summary: emits, outcomes by kind, handler effects, connects, faults by kind,
    /// and the servers' counters.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut c = BTreeMap::new();
        let mut add = |k: String, n: u64| *c.entry(k).or_insert(0) += n;
        for (_, r) in &self.records {
            match r {
                Rec::Emit { .. } => add("emits".into(), 1),
                Rec::Outcome { outcome: Outcome::Acked(_), .. } => add("outcome acked".into(), 1),
                Rec::Outcome { outcome: Outcome::Failed(e), after_crash, .. } => {
                    let kind = match e {
                        ClientError::Refused(a) => format!("refused {}", a.code.as_str()),
                        ClientError::Dropped(reason) => format!("dropped {reason:?}"),
                        other => format!("{other:?}"),
                    };
                    add(format!("outcome {kind}{}", if *after_crash { " (after the client crashed)" } else { "" }), 1);
                }
                Rec::Effect { .. } => add("handler effects".into(), 1),
                Rec::Client { event: ClientEvent::Connected, .. } => add("client connects".into(), 1),
                Rec::Note(n) if n.starts_with("fault ") => add(format!("fault {}", n[6..].split([' ', '{']).next().unwrap_or("")), 1),
                Rec::ServerEnd { duplicates, dropped_on_disconnect, handler_errors, .. } => {
                    add("server: handler_errors (a resend whose original never finished)".into(), *handler_errors);
                    add("server: resends answered by dedup".into(), *duplicates);
                    add("server: events dropped on disconnect".into(), *dropped_on_disconnect);
                }
                _ => {}
            }
        }
        c
    }

    /// The history as text without socket ids (random per run), records of one instant sorted
    /// (a broadcast reaches sockets in hash order): two runs with equal digests went the same way.
    pub fn digest(&self) -> String {
        let mut sids: Vec<String> = Vec::new();
        let mut lines = Vec::new();
        for (at, r) in &self.records {
            let line = match r {
                Rec::Effect { server, sid, mid, n } => {
                    let i = sids.iter().position(|s| s == sid).unwrap_or_else(|| {
                        sids.push(sid.clone());
                        sids.len() - 1
                    });
                    format!("Effect {server} socket#{i} {mid:?} {n}")
                }
                other => format!("{other:?}"),
            };
            lines.push((at.as_micros(), line));
        }
        lines.sort();
        lines.into_iter().map(|(at, l)| format!("{at} {l}\n")).collect()
    }

    /// The seed, the command that replays it, what was violated, the schedule and the end of
    /// the history.
    pub fn describe(&self) -> String {
        let seed = self.schedule.seed;
        let mut out = format!("simulation seed {seed} failed\nreplay: SIM_SEED={seed} cargo test -p switchboard-tests --test simulation replay_seed -- --ignored --nocapture\n");
        for v in &self.violations {
            out.push_str(&format!("  violation: {v}\n"));
        }
        out.push_str(&format!("schedule: {:?}\nhistory ({} records, the last 120):\n", self.schedule, self.records.len()));
        for (at, r) in self.records.iter().rev().take(120).rev() {
            out.push_str(&format!("  {:>9.3}s {r:?}\n", at.as_secs_f64()));
        }
        out
    }
}

/// Runs one seed on a fresh current-thread runtime with paused time.
pub fn run_seed(seed: u64, options: Options) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("a tokio runtime");
    let report = rt.block_on(run(Schedule::from_seed(seed), options));
    // Frozen tasks of crashed processes are dropped with the runtime.
    rt.shutdown_background();
    report
}

/// The server's handlers: `ping` takes a while, then writes its effect and answers with it.
struct SimHandlers {
    server: u64,
    alive: Arc<AtomicBool>,
    hist: Arc<History>,
    rng: Mutex<Rng>,
    handler_ms: u64,
}

impl server::AppHandlers for SimHandlers {
    async fn ping(&self, ctx: server::Ctx, _p: NoPayload) -> Result<types::PingAck, server::AckError> {
        let ms = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner).range(0, self.handler_ms as usize) as u64;
        sleep(Duration::from_millis(ms)).await;
        fence(&self.alive).await;
        // No await between the effect and the answer: see README for the window a real backend has.
        let n = self.hist.effect(self.server, ctx.socket.id.to_string(), ctx.message_id.clone());
        Ok(types::PingAck { pong: pong_for(n).parse().expect("pong_for writes a valid date-time") })
    }
}

/// Never returns once the process is dead.
async fn fence(alive: &AtomicBool) {
    if !alive.load(Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
}

/// The dedup store as one server process sees it: dead processes never get an answer.
struct Fenced {
    inner: Arc<dyn DedupStore>,
    alive: Arc<AtomicBool>,
}

impl DedupStore for Fenced {
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen> {
        Box::pin(async move {
            fence(&self.alive).await;
            self.inner.begin(key).await
        })
    }
    fn complete<'a>(&'a self, key: &'a str, ack: serde_json::Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            fence(&self.alive).await;
            self.inner.complete(key, ack).await
        })
    }
    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            fence(&self.alive).await;
            self.inner.abandon(key).await
        })
    }
}

/// One server process.
struct ServerProc {
    n: u64,
    alive: Arc<AtomicBool>,
    rt: Arc<server::Runtime>,
    notices: JoinHandle<()>,
}

/// One client process.
struct ClientProc {
    inc: Inc,
    client: Client,
    pending: Arc<AtomicUsize>,
    crashed: Arc<AtomicBool>,
    next_seq: u64,
    watchers: Vec<JoinHandle<()>>,
}

struct World {
    s: Schedule,
    net: Net,
    hist: Arc<History>,
    store: Arc<dyn DedupStore>,
    options: Options,
    server: Option<ServerProc>,
    servers_started: u64,
    clients: Vec<ClientProc>,
    done: Vec<ClientProc>,
}

fn dedup_store() -> Arc<dyn DedupStore> {
    let c = server::ServerConfig::default();
    Arc::new(MemoryDedup::with_per_user(c.dedup_capacity, c.dedup_per_user, c.dedup_ttl))
}

impl World {
    fn start_server(&mut self) {
        if self.server.is_some() {
            return;
        }
        self.servers_started += 1;
        let n = self.servers_started;
        if !self.options.surviving_dedup {
            self.store = dedup_store();
        }
        let alive = Arc::new(AtomicBool::new(true));
        let config = server::ServerConfig::default();
        let fenced = Fenced { inner: self.store.clone(), alive: alive.clone() };
        let rt = Arc::new(server::Runtime::with_config(JwtHs256::new(SECRET), config.clone()).with_dedup(fenced));
        let (layer, io) = config.builder().build_layer();
        let handlers = SimHandlers { server: n, alive: alive.clone(), hist: self.hist.clone(), rng: Mutex::new(Rng::new(self.s.seed ^ n)), handler_ms: self.s.handler_ms };
        server::mount(&io, rt.clone(), Arc::new(handlers));
        let router = axum::Router::new().layer(layer);
        let serve_rt = rt.clone();
        let peer = std::net::IpAddr::from([10, 0, 0, 1]);
        self.net.set_server(n, Arc::new(move |stream| {
            tokio::spawn(serve_rt.clone().serve_io(stream, router.clone(), peer));
        }));
        let (emitter, hist, alive2) = (server::Emitter::new(io, rt.clone()), self.hist.clone(), alive.clone());
        let notices = tokio::spawn(async move {
            loop {
                sleep(Duration::from_millis(700)).await;
                if !alive2.load(Ordering::SeqCst) {
                    return;
                }
                let k = hist.next_notice();
                let dropped = match emitter.notice(&types::NoticePayload { text: k.to_string() }).await {
                    Err(server::EmitError::Dropped { dropped, .. }) => dropped,
                    _ => 0,
                };
                hist.push(Rec::NoticeSent { server: n, n: k, dropped });
            }
        });
        self.hist.push(Rec::Note(format!("server {n} started")));
        self.server = Some(ServerProc { n, alive, rt, notices });
    }

    fn stop_server(&mut self, crash: bool) {
        let Some(p) = self.server.take() else { return };
        p.alive.store(false, Ordering::SeqCst);
        p.notices.abort();
        if crash {
            self.net.crash_server(p.n);
        }
        let m = p.rt.metrics().snapshot();
        self.hist.push(Rec::ServerEnd { server: p.n, emit_drops: m.emit_drops, duplicates: m.duplicates, dropped_on_disconnect: m.dropped_on_disconnect, handler_errors: m.handler_errors });
        self.hist.push(Rec::Note(format!("server {} {}", p.n, if crash { "crashed" } else { "stopped" })));
    }

    fn start_client(&mut self, slot: usize, incarnation: u64) -> ClientProc {
        let inc = (slot, incarnation);
        let mut config = ClientConfig::new("http://sim.invalid");
        config.transport = Some(Transport(self.net.connector(slot, incarnation)));
        // No jitter: the client would draw it from the wall clock.
        config.backoff = Backoff { base: Duration::from_millis(500), max: Duration::from_secs(5), max_attempts: 0, jitter: 0.0 };
        config.ack_timeout = Duration::from_secs(5);
        config.connect_timeout = Duration::from_secs(5);
        config.queue_capacity = 8;
        let client = Client::connect(config, token(&format!("u{slot}")));
        let mut listener = client.on(events::NOTICE);
        let mut events = client.events();
        let (h1, h2) = (self.hist.clone(), self.hist.clone());
        let notices = tokio::spawn(async move {
            while let Some(v) = listener.recv().await {
                let n = v.get("text").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()).unwrap_or(0);
                h1.push(Rec::Notice { inc, n });
            }
        });
        let events = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => h2.push(Rec::Client { inc, event }),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(k)) => h2.push(Rec::Violation(format!("client {inc:?}: the harness missed {k} client events"))),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        self.hist.push(Rec::Note(format!("client {inc:?} started")));
        ClientProc { inc, client, pending: Arc::default(), crashed: Arc::default(), next_seq: 0, watchers: vec![notices, events] }
    }

    fn emit(&mut self, slot: usize) {
        let p = &mut self.clients[slot];
        p.next_seq += 1;
        let (inc, seq) = (p.inc, p.next_seq);
        let mid = format!("c{}i{}s{seq}", inc.0, inc.1);
        self.hist.push(Rec::Emit { inc, seq, mid: mid.clone() });
        p.pending.fetch_add(1, Ordering::SeqCst);
        let (client, pending, crashed, hist) = (p.client.clone(), p.pending.clone(), p.crashed.clone(), self.hist.clone());
        tokio::spawn(async move {
            let outcome = match client.emit_reliable("ping", Some(json!({ "_mid": mid }))).await {
                Ok(data) => Outcome::Acked(data),
                Err(e) => Outcome::Failed(e),
            };
            hist.push(Rec::Outcome { inc, seq, outcome, after_crash: crashed.load(Ordering::SeqCst) });
            pending.fetch_sub(1, Ordering::SeqCst);
        });
    }

    fn crash_client(&mut self, slot: usize) {
        let next = self.clients[slot].inc.1 + 1;
        let fresh = self.start_client(slot, next);
        let old = std::mem::replace(&mut self.clients[slot], fresh);
        old.crashed.store(true, Ordering::SeqCst);
        self.net.crash_client(slot, old.inc.1);
        self.hist.push(Rec::Note(format!("client {:?} crashed", old.inc)));
        // Stops its task; what it reports from now on nobody sees (`after_crash`).
        old.client.disconnect();
        self.done.push(old);
    }

    fn apply(&mut self, fault: &Fault) {
        self.hist.push(Rec::Note(format!("fault {fault:?}")));
        match *fault {
            Fault::Partition { client, dur } => self.net.hold(client, dur, true),
            Fault::Stall { client, dur } => self.net.hold(client, dur, false),
            Fault::Cut { client } => self.net.cut(client),
            Fault::Lose { client, to_server } => self.net.lose(client, to_server),
            Fault::Delay { client, dur, lo, hi } => self.net.delay(client, dur, lo, hi),
            Fault::ServerRestart { .. } => self.stop_server(true),
            Fault::ClientRestart { client } => self.crash_client(client),
        }
    }
}

/// A step of the timeline.
enum Step {
    Emit(usize),
    Fault(Fault),
    ServerUp,
}

/// Longest the quiet phase waits for every live emit to resolve.
const SETTLE: Duration = Duration::from_secs(900);

async fn run(s: Schedule, options: Options) -> Report {
    let start = Instant::now();
    let hist = Arc::new(History::default());
    let mut w = World { net: Net::new(s.clients, s.seed), hist: hist.clone(), store: dedup_store(), options, server: None, servers_started: 0, clients: Vec::new(), done: Vec::new(), s: s.clone() };
    w.start_server();
    for slot in 0..s.clients {
        let p = w.start_client(slot, 1);
        w.clients.push(p);
    }
    // At one instant: a server start, then emits, then faults.
    let mut steps: Vec<(Duration, u8, Step)> = s.emits.iter().map(|(at, c)| (*at, 1, Step::Emit(*c))).collect();
    for (at, f) in &s.faults {
        if let Fault::ServerRestart { down } = f {
            steps.push((*at + *down, 0, Step::ServerUp));
        }
        steps.push((*at, 2, Step::Fault(f.clone())));
    }
    steps.sort_by_key(|(at, order, _)| (*at, *order));
    for (at, _, step) in steps {
        sleep_until(start + at).await;
        match step {
            Step::Emit(c) => w.emit(c),
            Step::Fault(f) => w.apply(&f),
            Step::ServerUp => w.start_server(),
        }
    }
    sleep_until(start + s.horizon).await;
    // Quiet phase: the network heals, a server runs; every live emit must resolve.
    w.net.heal();
    w.start_server();
    hist.push(Rec::Note("healed".into()));
    let deadline = Instant::now() + SETTLE;
    while w.clients.iter().any(|p| p.pending.load(Ordering::SeqCst) > 0) {
        if Instant::now() >= deadline {
            let left: Vec<_> = w.clients.iter().map(|p| (p.inc, p.pending.load(Ordering::SeqCst))).collect();
            hist.push(Rec::Violation(format!("emits still unresolved {} s after the network healed: {left:?}", SETTLE.as_secs())));
            break;
        }
        sleep(Duration::from_millis(250)).await;
    }
    // Every live client is connected again (reconnects after every fault).
    let deadline = Instant::now() + Duration::from_secs(60);
    for p in &w.clients {
        let mut state = p.client.state();
        let connected = matches!(tokio::time::timeout_at(deadline, state.wait_for(|s| *s == ConnectionState::Connected)).await, Ok(Ok(_)));
        if !connected {
            hist.push(Rec::Violation(format!("client {:?} is not connected 60 s after the network healed: {:?}", p.inc, *state.borrow())));
        }
    }
    // The end: clients close (what is left is reported), then the counters are read.
    for p in &w.clients {
        p.client.disconnect();
    }
    sleep(Duration::from_secs(5)).await;
    for p in w.clients.iter().chain(&w.done) {
        hist.push(Rec::Stats { inc: p.inc, stats: p.client.stats().snapshot() });
        if p.pending.load(Ordering::SeqCst) > 0 {
            hist.push(Rec::Violation(format!("client {:?}: emits unresolved after disconnect()", p.inc)));
        }
        for t in &p.watchers {
            t.abort();
        }
    }
    w.stop_server(false);
    let records = hist.records();
    Report { violations: history::check(&records), records, schedule: s, sim_time: Instant::now() - start }
}
