//! `bench-loadgen`: the server benchmark's load generator. One OS thread (tokio current_thread;
//! run it pinned with `taskset -c 0`), raw Engine.IO 4 / Socket.IO 5 text frames over
//! tokio-tungstenite, no Socket.IO client library. Incoming frames are recognised by prefix
//! and only the few bytes needed (ack id, the send timestamp inside `text`) are parsed, so the
//! client spends as little as possible per message.
//!
//! It reads the server's CPU time (`/proc/PID/stat`) and RSS around every scenario and prints
//! one JSON object per scenario on stdout (progress goes to stderr). Every result carries
//! expected / received / dropped counts.
//!
//! Scenarios, in order, on one server process:
//! - `connect`: connect storm in steps of 1/10 of `--conns` (at most `--connect-concurrency`
//!   handshakes in flight), the server's RSS after each step (idle memory slope); results for
//!   1k, 5k and 10k (cumulative).
//! - `join`: every socket joins its rooms (not a figure; setup for fan-out).
//! - `ack_rtt`: closed loop, one `bench:echo` in flight on one socket.
//! - `fanout`: one socket sends `bench:chat` to a room of N sockets at a fixed offered rate of
//!   `--fanout-rate` deliveries per second (open loop), 100 B and 1 KB.
//! - `ingest`: `--ingest-senders` sockets send `bench:chat` with acks to a room with one
//!   member, at `--ingest-rate` messages per second in total (open loop); `ingest_mid` is the
//!   same with a reliable message id (`_mid`) on every message (server deduplication on).
//! - `ingest_max`: closed loop, 100 sockets with one message in flight each: saturation rate.
//!
//! `--only a,b` runs only the named scenarios (after the warm-up, connect storm and joins);
//! `--only connect` stops after the connect storm and keeps the sockets open until killed.
//!
//! With `--echo` the target is `bench-ws-echo` (plain WebSocket, no Socket.IO): connect,
//! ack_rtt and ingest run with frames echoed back as the "ack".

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};
use switchboard_bench::{CLK_TCK, CpuTime, Hist, core_jiffies, cpu_time, rss_kib};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

#[derive(Clone)]
struct Opts {
    server: SocketAddr,
    pid: String,
    target: String,
    round: u32,
    conns: usize,
    concurrency: usize,
    secs: f64,
    fanout_rate: f64,
    ingest_rate: f64,
    ingest_senders: usize,
    secret: String,
    echo: bool,
    only: Option<String>,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        server: SocketAddr::from(([127, 0, 0, 1], 3000)),
        pid: String::new(),
        target: "rust".into(),
        round: 0,
        conns: 10_000,
        concurrency: 100,
        secs: 2.0,
        fanout_rate: 20_000.0,
        ingest_rate: 5_000.0,
        ingest_senders: 1000,
        secret: std::env::var("BENCH_JWT_SECRET").unwrap_or_else(|_| "bench-secret".into()),
        echo: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
        }
        match flag.as_str() {
            "--server" => o.server = val()?.parse().map_err(|e| format!("--server: {e}"))?,
            "--pid" => o.pid = val()?,
            "--target" => o.target = val()?,
            "--round" => o.round = num(&flag, val()?)?,
            "--conns" => o.conns = num(&flag, val()?)?,
            "--connect-concurrency" => o.concurrency = num(&flag, val()?)?,
            "--secs" => o.secs = num(&flag, val()?)?,
            "--fanout-rate" => o.fanout_rate = num(&flag, val()?)?,
            "--ingest-rate" => o.ingest_rate = num(&flag, val()?)?,
            "--ingest-senders" => o.ingest_senders = num(&flag, val()?)?,
            "--only" => o.only = Some(val()?),
            "--echo" => o.echo = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.pid.is_empty() {
        return Err("--pid (the server's process id) is required".into());
    }
    if o.conns < 20 {
        return Err("--conns must be at least 20".into());
    }
    Ok(o)
}

// ----------------------------------------------------------------------------------------------
// Shared counters (one thread: Cell/RefCell).

struct Shared {
    base: Instant,
    echo: bool,
    phase: Cell<u32>,
    delivered: Cell<u64>,
    stale: Cell<u64>,
    acks_ok: Cell<u64>,
    acks_err: Cell<u64>,
    disconnects: Cell<u64>,
    /// Engine.IO pings received (all sockets): a heartbeat burst of every socket at once costs
    /// the single-threaded server a burst of work; the drop analysis compares it with drops.
    pings: Cell<u64>,
    lat_deliver: RefCell<Hist>,
    lat_ack: RefCell<Hist>,
    first_ack_error: RefCell<Option<String>>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn reset(&self, phase: u32) {
        self.phase.set(phase);
        self.delivered.set(0);
        self.stale.set(0);
        self.acks_ok.set(0);
        self.acks_err.set(0);
        *self.lat_deliver.borrow_mut() = Hist::default();
        *self.lat_ack.borrow_mut() = Hist::default();
    }
}

enum Cmd {
    Emit { event: &'static str, body: String, sched: u64, done: Option<oneshot::Sender<bool>> },
}

struct Pending {
    sched: u64,
    phase: u32,
    done: Option<oneshot::Sender<bool>>,
}

/// Leading decimal digits of `s` as a number, and the rest.
fn digits(s: &str) -> Option<(u64, &str)> {
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// `phase:sched_ns:` at the start of a `text` field.
fn text_stamp(frame: &str) -> Option<(u32, u64)> {
    let at = frame.find("\"text\":\"")? + 8;
    let (phase, rest) = digits(&frame[at..])?;
    let (sched, _) = digits(rest.strip_prefix(':')?)?;
    Some((phase as u32, sched))
}

fn on_frame(sh: &Shared, pending: &mut HashMap<u64, Pending>, t: &str) -> Option<&'static str> {
    let ack = if sh.echo {
        // The echo server returns our `42<id>[...]` frame unchanged.
        t.strip_prefix("42")
    } else if t == "2" {
        sh.pings.set(sh.pings.get() + 1);
        return Some("3");
    } else if t.starts_with("42[\"bench:message\"") {
        if let Some((phase, sched)) = text_stamp(t) {
            if phase == sh.phase.get() {
                sh.delivered.set(sh.delivered.get() + 1);
                sh.lat_deliver.borrow_mut().record(sh.now_ns().saturating_sub(sched));
            } else {
                sh.stale.set(sh.stale.get() + 1);
            }
        }
        return None;
    } else {
        t.strip_prefix("43")
    };
    let (id, rest) = ack.and_then(digits)?;
    let p = pending.remove(&id)?;
    let ok = sh.echo || rest.starts_with("[{\"ok\":true");
    if p.phase == sh.phase.get() {
        if ok {
            sh.acks_ok.set(sh.acks_ok.get() + 1);
        } else {
            sh.acks_err.set(sh.acks_err.get() + 1);
            let mut first = sh.first_ack_error.borrow_mut();
            if first.is_none() {
                *first = Some(rest.chars().take(300).collect());
            }
        }
        sh.lat_ack.borrow_mut().record(sh.now_ns().saturating_sub(p.sched));
    } else {
        sh.stale.set(sh.stale.get() + 1);
    }
    if let Some(d) = p.done {
        let _ = d.send(ok);
    }
    None
}

async fn run_conn(mut ws: Ws, mut rx: mpsc::UnboundedReceiver<Cmd>, sh: Rc<Shared>) {
    let mut next_id: u64 = 0;
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    loop {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Some(reply) = on_frame(&sh, &mut pending, t.as_str())
                        && ws.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            c = rx.recv() => {
                let Some(mut cmd) = c else {
                    let _ = ws.close(None).await;
                    return;
                };
                // Write everything queued, then flush once.
                loop {
                    let Cmd::Emit { event, body, sched, done } = cmd;
                    let id = next_id;
                    next_id += 1;
                    pending.insert(id, Pending { sched, phase: sh.phase.get(), done });
                    if ws.feed(Message::text(format!("42{id}[\"{event}\",{body}]"))).await.is_err() {
                        break;
                    }
                    match rx.try_recv() {
                        Ok(c) => cmd = c,
                        Err(_) => break,
                    }
                }
                if ws.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    sh.disconnects.set(sh.disconnects.get() + 1);
}

async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_string()),
            Some(Ok(Message::Close(_))) | None => return Err("closed during the handshake".into()),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(_)) => {}
        }
    }
}

/// Opens one socket: TCP from 127.0.0.(2..17) (spreads ephemeral ports over source
/// addresses), WebSocket upgrade, Engine.IO open, Socket.IO CONNECT with `auth.token`.
async fn connect(i: usize, o: &Opts, token: &str) -> Result<Ws, String> {
    let src = Ipv4Addr::new(127, 0, 0, 2 + (i % 16) as u8);
    let sock = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::from((src, 0))).map_err(|e| format!("bind {src}: {e}"))?;
    let tcp = sock.connect(o.server).await.map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let url = if o.echo { format!("ws://{}/", o.server) } else { format!("ws://{}/socket.io/?EIO=4&transport=websocket", o.server) };
    // 4 KiB read buffers (tungstenite's default is 128 KiB per socket: 1.3 GB for 10k sockets).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await.map_err(|e| format!("upgrade: {e}"))?;
    if o.echo {
        return Ok(ws);
    }
    let open = next_text(&mut ws).await?;
    if !open.starts_with("0{") {
        return Err(format!("expected an Engine.IO open packet, got {open:.80}"));
    }
    ws.send(Message::text(format!("40{{\"token\":\"{token}\"}}"))).await.map_err(|e| e.to_string())?;
    loop {
        let f = next_text(&mut ws).await?;
        if f.starts_with("40") {
            return Ok(ws);
        } else if f.starts_with("44") {
            return Err(format!("connect refused: {f:.200}"));
        } else if f == "2" {
            ws.send(Message::text("3")).await.map_err(|e| e.to_string())?;
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Measurement around a scenario.

struct Meter {
    pid: String,
    wall: Instant,
    server: CpuTime,
    client: CpuTime,
    rss_kib: u64,
    cores: Vec<(u64, u64)>,
}

impl Meter {
    fn start(pid: &str) -> Self {
        Self { pid: pid.to_string(), wall: Instant::now(), server: cpu_time(pid), client: cpu_time("self"), rss_kib: rss_kib(pid), cores: core_jiffies() }
    }

    /// Server CPU (stat and schedstat, µs), client CPU %, wall seconds, RSS before/after.
    fn stop(&self) -> Value {
        let wall = self.wall.elapsed().as_secs_f64();
        let s = cpu_time(&self.pid);
        let c = cpu_time("self");
        let client_us = c.sched_us.saturating_sub(self.client.sched_us);
        let server_pct = s.sched_us.saturating_sub(self.server.sched_us) as f64 / (wall * 1e4);
        let client_pct = client_us as f64 / (wall * 1e4);
        // Other processes on our pinned cores (the machine is shared), and hypervisor steal.
        let cores: Vec<Value> = core_jiffies()
            .iter()
            .zip(&self.cores)
            .enumerate()
            .map(|(i, (now, then))| {
                let pct = |j: u64| round3(j as f64 * 100.0 / CLK_TCK as f64 / wall);
                let busy = pct(now.0.saturating_sub(then.0));
                let ours = match i {
                    0 => client_pct,
                    1 => server_pct,
                    _ => 0.0,
                };
                json!({ "core": i, "busy_pct": busy, "steal_pct": pct(now.1.saturating_sub(then.1)), "foreign_pct": round3((busy - ours).max(0.0)) })
            })
            .collect();
        json!({
            "cores": cores,
            "wall_s": round3(wall),
            "server_cpu_us": s.stat_us.saturating_sub(self.server.stat_us),
            "server_cpu_sched_us": s.sched_us.saturating_sub(self.server.sched_us),
            "server_cpu_pct": round3(server_pct),
            "client_cpu_pct": round3(client_pct),
            "rss_kib_before": self.rss_kib,
            "rss_kib_after": rss_kib(&self.pid),
        })
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn lat_json(h: &Hist) -> Value {
    json!({ "n": h.count(), "p50_us": round3(h.quantile(0.5) as f64 / 1e3), "p99_us": round3(h.quantile(0.99) as f64 / 1e3), "max_us": round3(h.max() as f64 / 1e3) })
}

/// Least-squares slope of y over x.
fn ls_slope(pts: &[(f64, f64)]) -> f64 {
    let k = pts.len() as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / k, sy / k);
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + (x - mx) * (y - my), b + (x - mx) * (x - mx)));
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// Server-side counters (`GET /stats`): runtime metrics for Rust, memory and drops for Node.
async fn server_stats(addr: SocketAddr) -> Value {
    let get = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /stats HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf);
        let body = text.split_once("\r\n\r\n")?.1.to_string();
        Some(serde_json::from_str(&body).unwrap_or(Value::String(body)))
    };
    tokio::time::timeout(Duration::from_secs(3), get).await.ok().flatten().unwrap_or(Value::Null)
}

/// Waits until `done()` holds, or nothing changed in `progress()` for `stall`, or `cap` passed.
async fn wait_until(done: impl Fn() -> bool, progress: impl Fn() -> u64, stall: Duration, cap: Duration) -> bool {
    let start = Instant::now();
    let mut last = progress();
    let mut last_change = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() > cap || last_change.elapsed() > stall {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        let p = progress();
        if p != last {
            last = p;
            last_change = Instant::now();
        }
    }
}

/// Sends `total` messages at `rate` per second (open loop: each has a scheduled time that does
/// not wait for anything; latency is measured from it), spread round-robin over `senders`.
async fn open_loop(sh: &Shared, conns: &[Option<mpsc::UnboundedSender<Cmd>>], senders: &[usize], rate: f64, total: u64, mut mk: impl FnMut(u64, u64) -> (&'static str, String)) -> u64 {
    let start = sh.now_ns() + 1_000_000;
    let mut k = 0u64;
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while k < total {
        tick.tick().await;
        let now = sh.now_ns();
        if now < start {
            continue;
        }
        let due = (((now - start) as f64 * rate / 1e9) as u64 + 1).min(total);
        while k < due {
            let sched = start + (k as f64 * 1e9 / rate) as u64;
            let (event, body) = mk(k, sched);
            if let Some(tx) = &conns[senders[(k as usize) % senders.len()]]
                && tx.send(Cmd::Emit { event, body, sched, done: None }).is_ok() {
                    sent += 1;
                }
            k += 1;
        }
    }
    sent
}

fn text_of(phase: u32, sched: u64, len: usize) -> String {
    let mut t = format!("{phase}:{sched}:");
    while t.len() < len {
        t.push('x');
    }
    t
}

// ----------------------------------------------------------------------------------------------

struct Bench {
    o: Opts,
    sh: Rc<Shared>,
    conns: Vec<Option<mpsc::UnboundedSender<Cmd>>>,
    phase: u32,
    rooms: Vec<(String, usize)>,
}

impl Bench {
    /// Waits (bounded: gives up after 1.5 s without progress, 30 s in all) until `sent` acks and
    /// `deliveries` deliveries have arrived; what did not arrive is counted as dropped by the caller.
    async fn wait_for_acks_and_deliveries(&self, sent: u64, deliveries: u64) {
        let (sh, sh2) = (self.sh.clone(), self.sh.clone());
        wait_until(
            || sh.delivered.get() >= deliveries && sh.acks_ok.get() + sh.acks_err.get() >= sent,
            || sh2.delivered.get() + sh2.acks_ok.get(),
            Duration::from_millis(1500),
            Duration::from_secs(30),
        )
        .await;
    }

    fn emit(&self, record: Value) {
        let mut r = json!({ "target": self.o.target, "round": self.o.round });
        if let (Value::Object(a), Value::Object(b)) = (&mut r, record) {
            a.extend(b);
        }
        println!("{r}");
    }

    fn next_phase(&mut self) -> u32 {
        self.phase += 1;
        self.sh.reset(self.phase);
        self.phase
    }

    fn wants(&self, s: &str) -> bool {
        self.o.only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s))
    }

    /// Warms the server up (JIT for Node, allocator pools for both) with a few hundred sockets
    /// that join small rooms, chat, echo and resend, then disconnect. Not a figure; it makes
    /// the first measured scenario comparable with the later ones in a fresh process.
    async fn warmup(&mut self) {
        let n = 200usize;
        let phase = self.next_phase();
        let meter = Meter::start(&self.o.pid);
        let o = self.o.clone();
        let secret = self.o.secret.clone();
        let conns: Vec<Option<mpsc::UnboundedSender<Cmd>>> = futures_util::stream::iter(0..n)
            .map(|i| {
                let o = o.clone();
                let token = switchboard_runtime::server::JwtHs256::mint(secret.as_bytes(), &format!("w{i}"), None, 3600);
                async move { tokio::time::timeout(Duration::from_secs(15), connect(i, &o, &token)).await.ok().and_then(Result::ok) }
            })
            .buffer_unordered(self.o.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|ws| {
                ws.map(|ws| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    tokio::task::spawn_local(run_conn(ws, rx, self.sh.clone()));
                    tx
                })
            })
            .collect();
        let mut expected = 0u64;
        for round in 0..12u32 {
            for (i, tx) in conns.iter().enumerate() {
                let Some(tx) = tx else { continue };
                let sched = self.sh.now_ns();
                let (event, body) = match (self.o.echo, round) {
                    (true, _) | (false, 1..=4) => ("bench:echo", format!("{{\"text\":\"{}\"}}", text_of(phase, sched, 60))),
                    (false, 0) => ("bench:join", format!("{{\"roomId\":\"warm{}\"}}", i % 10)),
                    (false, 5..=8) => ("bench:chat", format!("{{\"roomId\":\"warm{}\",\"text\":\"{}\"}}", i % 10, text_of(phase, sched, 60))),
                    (false, _) => ("bench:chat", format!("{{\"roomId\":\"warm{}\",\"text\":\"{}\",\"_mid\":\"w{i}-{}\"}}", i % 10, text_of(phase, sched, 60), round % 2)),
                };
                if tx.send(Cmd::Emit { event, body, sched, done: None }).is_ok() {
                    expected += 1;
                }
            }
            let sh = self.sh.clone();
            let sh2 = self.sh.clone();
            wait_until(|| sh.acks_ok.get() + sh.acks_err.get() >= expected, || sh2.acks_ok.get() + sh2.delivered.get(), Duration::from_secs(2), Duration::from_secs(20)).await;
        }
        let connected = conns.iter().flatten().count();
        drop(conns);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let m = meter.stop();
        eprintln!("  warm-up: {connected}/{n} sockets, {}/{expected} acks, {} deliveries, {}s", self.sh.acks_ok.get(), self.sh.delivered.get(), m["wall_s"]);
        self.emit(json!({
            "scenario": "warmup", "label": "warm-up (not a figure)", "unit": "event",
            "expected": expected, "received": self.sh.acks_ok.get(), "dropped": expected - self.sh.acks_ok.get().min(expected),
            "acks_err": self.sh.acks_err.get(), "first_ack_error": self.sh.first_ack_error.borrow().clone(),
            "deliveries": self.sh.delivered.get(), "sockets": connected, "meter": m,
        }));
        // Closed sockets count as disconnects; they were ours.
        self.sh.disconnects.set(0);
    }

    async fn connect_storm(&mut self) {
        let n = self.o.conns;
        let steps = 10usize;
        let tokens: Vec<String> = (0..n).map(|i| switchboard_runtime::server::JwtHs256::mint(self.o.secret.as_bytes(), &format!("u{i}"), None, 3600)).collect();
        let mut points: Vec<(usize, u64)> = vec![(0, rss_kib(&self.o.pid))];
        let mut heap_points: Vec<(f64, f64)> = Vec::new();
        let heap_empty = if self.o.echo { None } else { server_stats(self.o.server).await.get("heap_live_bytes").and_then(Value::as_i64) };
        let mut per_step = Vec::new();
        let mut lat = Hist::default();
        let mut failures = 0u64;
        let mut first_error: Option<String> = None;
        let (mut cum_wall, mut cum_cpu, mut cum_ok) = (0.0f64, 0u64, 0u64);
        let mut cum_sched = 0u64;
        for step in 0..steps {
            let range = (step * n / steps)..((step + 1) * n / steps);
            let meter = Meter::start(&self.o.pid);
            let o = self.o.clone();
            let tokens_ref = &tokens;
            let results: Vec<(usize, u64, Result<Ws, String>)> = futures_util::stream::iter(range.clone())
                .map(|i| {
                    let o = o.clone();
                    async move {
                        let t0 = Instant::now();
                        let r = match tokio::time::timeout(Duration::from_secs(15), connect(i, &o, &tokens_ref[i])).await {
                            Ok(r) => r,
                            Err(_) => Err("handshake timed out (15 s)".into()),
                        };
                        (i, t0.elapsed().as_nanos() as u64, r)
                    }
                })
                .buffer_unordered(self.o.concurrency)
                .collect()
                .await;
            let m = meter.stop();
            let m_out = m.clone();
            let mut ok = 0u64;
            for (i, ns, r) in results {
                match r {
                    Ok(ws) => {
                        ok += 1;
                        lat.record(ns);
                        let (tx, rx) = mpsc::unbounded_channel();
                        tokio::task::spawn_local(run_conn(ws, rx, self.sh.clone()));
                        self.conns[i] = Some(tx);
                    }
                    Err(e) => {
                        failures += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            cum_wall += m["wall_s"].as_f64().unwrap_or(0.0);
            cum_cpu += m["server_cpu_us"].as_u64().unwrap_or(0);
            cum_sched += m["server_cpu_sched_us"].as_u64().unwrap_or(0);
            cum_ok += ok;
            // Let the server settle (allocations after the handshake, GC) before reading RSS.
            tokio::time::sleep(Duration::from_millis(250)).await;
            let rss = rss_kib(&self.o.pid);
            points.push((range.end, rss));
            // The allocator's view (bench-server's counting allocator), when the server has one.
            let heap = if self.o.echo { None } else { server_stats(self.o.server).await.get("heap_live_bytes").and_then(Value::as_i64) };
            if let Some(h) = heap {
                heap_points.push((range.end as f64, h as f64));
            }
            per_step.push(json!({ "sockets": range.end, "ok": ok, "rss_kib": rss, "heap_live_bytes": heap, "meter": m_out.clone() }));
            eprintln!("  connect {}: {} ok, {:.2}s, rss {} KiB, heap {:?} B", range.end, ok, cum_wall, rss, heap);
            let reached = range.end;
            if reached == n / 10 || reached == n / 2 || reached == n {
                let label = format!("connect {}", human(reached));
                self.emit(json!({
                    "scenario": "connect", "label": label, "unit": "connection",
                    "params": { "sockets": reached, "concurrency": self.o.concurrency },
                    "expected": reached, "received": cum_ok, "dropped": reached as u64 - cum_ok,
                    "server_cpu_us": cum_cpu, "server_cpu_sched_us": cum_sched,
                    "per_msg_us": per(cum_cpu, cum_ok), "per_msg_sched_us": per(cum_sched, cum_ok),
                    "rate_per_s": round3(cum_ok as f64 / cum_wall.max(1e-9)), "wall_s": round3(cum_wall),
                    "latency": lat_json(&lat), "failures": failures, "first_error": first_error, "meter": m_out,
                }));
            }
        }
        // Idle memory per connection: least-squares slope of RSS over 1/10..10/10 of the sockets.
        let pts: Vec<(f64, f64)> = points.iter().skip(1).map(|&(n, kib)| (n as f64, kib as f64 * 1024.0)).collect();
        let slope = ls_slope(&pts);
        let heap_slope = (heap_points.len() >= 2).then(|| ls_slope(&heap_points).round());
        let stats = if self.o.echo { Value::Null } else { server_stats(self.o.server).await };
        self.emit(json!({
            "scenario": "idle_memory", "label": format!("idle memory {}..{}", human(n / 10), human(n)), "unit": "byte per socket",
            "params": { "from": n / 10, "to": n },
            "expected": n, "received": cum_ok, "dropped": n as u64 - cum_ok,
            "bytes_per_socket": slope.round(), "heap_bytes_per_socket": heap_slope, "heap_live_bytes_empty": heap_empty,
            "heap_live_bytes_full": heap_points.last().map(|p| p.1), "rss_kib_empty": points[0].1, "rss_kib_full": points.last().map_or(0, |p| p.1),
            "points": points.iter().map(|&(n, kib)| json!([n, kib])).collect::<Vec<_>>(),
            "steps": per_step, "server_stats": stats,
        }));
    }

    async fn join_rooms(&mut self) {
        let n = self.o.conns;
        let mut rooms: Vec<(String, usize)> = [10usize, 100, 1000].iter().filter(|&&s| s < n).map(|&s| (format!("n{s}"), s)).collect();
        rooms.push((format!("n{n}"), n));
        let phase = self.next_phase();
        let meter = Meter::start(&self.o.pid);
        let mut expected = 0u64;
        for i in 0..n {
            let Some(tx) = &self.conns[i] else { continue };
            let mut mine: Vec<&str> = rooms.iter().filter(|(_, size)| i < *size).map(|(r, _)| r.as_str()).collect();
            if i == n - 1 {
                mine.push("sink");
            }
            for r in mine {
                let sched = self.sh.now_ns();
                if tx.send(Cmd::Emit { event: "bench:join", body: format!("{{\"roomId\":\"{r}\"}}"), sched, done: None }).is_ok() {
                    expected += 1;
                }
            }
        }
        let sh = self.sh.clone();
        let sh2 = self.sh.clone();
        wait_until(|| sh.acks_ok.get() + sh.acks_err.get() >= expected, || sh2.acks_ok.get() + sh2.acks_err.get(), Duration::from_secs(3), Duration::from_secs(60)).await;
        let m = meter.stop();
        let ok = self.sh.acks_ok.get();
        eprintln!("  joins: {ok}/{expected} acked in {}s", m["wall_s"]);
        self.emit(json!({
            "scenario": "join", "label": "join rooms", "unit": "join",
            "params": { "rooms": rooms.iter().map(|(r, s)| json!([r, s])).collect::<Vec<_>>() , "phase": phase },
            "expected": expected, "received": ok, "dropped": expected - ok.min(expected), "acks_err": self.sh.acks_err.get(),
            "first_ack_error": self.sh.first_ack_error.borrow().clone(),
            "server_cpu_us": m["server_cpu_us"], "per_msg_us": per(m["server_cpu_us"].as_u64().unwrap_or(0), ok),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "meter": m,
        }));
        self.rooms = rooms;
    }

    async fn ack_rtt(&mut self) {
        let phase = self.next_phase();
        let Some(tx) = self.conns.iter().flatten().next().cloned() else { return };
        let meter = Meter::start(&self.o.pid);
        let deadline = Instant::now() + Duration::from_secs_f64(self.o.secs);
        let mut sent = 0u64;
        let max = 20_000u64;
        while Instant::now() < deadline && sent < max {
            let sched = self.sh.now_ns();
            let (done, rx) = oneshot::channel();
            let body = format!("{{\"text\":\"{}\"}}", text_of(phase, sched, 60));
            if tx.send(Cmd::Emit { event: "bench:echo", body, sched, done: Some(done) }).is_err() {
                break;
            }
            sent += 1;
            if tokio::time::timeout(Duration::from_secs(5), rx).await.is_err() {
                break;
            }
        }
        let m = meter.stop();
        let ok = self.sh.acks_ok.get();
        let cpu = m["server_cpu_us"].as_u64().unwrap_or(0);
        let sched_cpu = m["server_cpu_sched_us"].as_u64().unwrap_or(0);
        self.emit(json!({
            "scenario": "ack_rtt", "label": "ack round trip (1 in flight)", "unit": "round trip",
            "params": { "bytes": 100, "secs": self.o.secs },
            "expected": sent, "received": ok, "dropped": sent - ok.min(sent), "acks_err": self.sh.acks_err.get(),
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, ok), "per_msg_sched_us": per(sched_cpu, ok),
            "rate_per_s": round3(ok as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "meter": m,
        }));
    }

    async fn fanout(&mut self, room: &str, size: usize, bytes: usize) {
        let phase = self.next_phase();
        let rate = (self.o.fanout_rate / size as f64).max(1.0);
        let total = ((rate * self.o.secs).round() as u64).max(2);
        let meter = Meter::start(&self.o.pid);
        let senders = [0usize];
        let sent = open_loop(&self.sh, &self.conns, &senders, rate, total, |_, sched| {
            ("bench:chat", format!("{{\"roomId\":\"{room}\",\"text\":\"{}\"}}", text_of(phase, sched, bytes.saturating_sub(60))))
        })
        .await;
        let expected = sent * size as u64;
        self.wait_for_acks_and_deliveries(sent, expected).await;
        let m = meter.stop();
        let got = self.sh.delivered.get();
        let cpu = m["server_cpu_us"].as_u64().unwrap_or(0);
        let sched_cpu = m["server_cpu_sched_us"].as_u64().unwrap_or(0);
        let stats = server_stats(self.o.server).await;
        let label = format!("fan-out 1->{} {}", human(size), if bytes >= 1000 { "1 KB" } else { "100 B" });
        eprintln!("  {label}: {got}/{expected} delivered, cpu {cpu} us");
        self.emit(json!({
            "scenario": "fanout", "label": label, "unit": "delivery",
            "params": { "room_size": size, "bytes": bytes, "msgs_per_s": round3(rate), "deliveries_per_s": self.o.fanout_rate, "secs": self.o.secs },
            "sent": sent, "expected": expected, "received": got, "dropped": expected - got.min(expected), "stale": self.sh.stale.get(),
            "acks_expected": sent, "acks_ok": self.sh.acks_ok.get(), "acks_err": self.sh.acks_err.get(),
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, got), "per_msg_sched_us": per(sched_cpu, got),
            "rate_per_s": round3(got as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_deliver.borrow()), "ack_latency": lat_json(&self.sh.lat_ack.borrow()),
            "meter": m, "server_stats": stats,
        }));
    }

    async fn ingest(&mut self, with_mid: bool) {
        let phase = self.next_phase();
        let n = self.o.conns;
        let senders: Vec<usize> = (0..self.o.ingest_senders.min(n - 1)).collect();
        let total = (self.o.ingest_rate * self.o.secs).round() as u64;
        let round = self.o.round;
        let echo = self.o.echo;
        let meter = Meter::start(&self.o.pid);
        let event = if echo { "bench:echo" } else { "bench:chat" };
        let sent = open_loop(&self.sh, &self.conns, &senders, self.o.ingest_rate, total, |k, sched| {
            let text = text_of(phase, sched, 40);
            let body = if with_mid {
                format!("{{\"roomId\":\"sink\",\"text\":\"{text}\",\"_mid\":\"m{round}-{phase}-{k}\"}}")
            } else {
                format!("{{\"roomId\":\"sink\",\"text\":\"{text}\"}}")
            };
            (event, body)
        })
        .await;
        let expect_deliveries = if echo { 0 } else { sent };
        self.wait_for_acks_and_deliveries(sent, expect_deliveries).await;
        let m = meter.stop();
        let acks = self.sh.acks_ok.get();
        let got = self.sh.delivered.get();
        let cpu = m["server_cpu_us"].as_u64().unwrap_or(0);
        let sched_cpu = m["server_cpu_sched_us"].as_u64().unwrap_or(0);
        let stats = if echo { Value::Null } else { server_stats(self.o.server).await };
        let scenario = if with_mid { "ingest_mid" } else { "ingest" };
        let label = format!("ingest {}->1 with acks{}", human(senders.len()), if with_mid { ", _mid dedup" } else { "" });
        eprintln!("  {label}: {acks}/{sent} acked, {got}/{expect_deliveries} delivered, cpu {cpu} us");
        // Unit: one client message (its ack and its delivery to the sink included).
        self.emit(json!({
            "scenario": scenario, "label": label, "unit": "message (ack + 1 delivery)",
            "params": { "senders": senders.len(), "msgs_per_s": self.o.ingest_rate, "secs": self.o.secs, "bytes": 100 },
            "sent": sent, "expected": sent, "received": acks, "dropped": sent - acks.min(sent), "acks_err": self.sh.acks_err.get(),
            "first_ack_error": self.sh.first_ack_error.borrow().clone(),
            "deliveries_expected": expect_deliveries, "deliveries_received": got, "deliveries_dropped": expect_deliveries - got.min(expect_deliveries),
            "stale": self.sh.stale.get(),
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, acks), "per_msg_sched_us": per(sched_cpu, acks),
            "rate_per_s": round3(acks as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "delivery_latency": lat_json(&self.sh.lat_deliver.borrow()),
            "meter": m, "server_stats": stats,
        }));
    }

    async fn ingest_max(&mut self) {
        let phase = self.next_phase();
        let senders = 100usize.min(self.o.conns - 1);
        let secs = self.o.secs;
        let meter = Meter::start(&self.o.pid);
        let pings_before = self.sh.pings.get();
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let sent = Rc::new(Cell::new(0u64));
        let mut tasks = Vec::new();
        for i in 0..senders {
            let Some(tx) = self.conns[i].clone() else { continue };
            let sh = self.sh.clone();
            let sent = sent.clone();
            tasks.push(tokio::task::spawn_local(async move {
                while Instant::now() < deadline {
                    let sched = sh.now_ns();
                    let (done, rx) = oneshot::channel();
                    let body = format!("{{\"roomId\":\"sink\",\"text\":\"{}\"}}", text_of(phase, sched, 40));
                    if tx.send(Cmd::Emit { event: "bench:chat", body, sched, done: Some(done) }).is_err() {
                        return;
                    }
                    sent.set(sent.get() + 1);
                    if !matches!(tokio::time::timeout(Duration::from_secs(5), rx).await, Ok(Ok(true))) {
                        return;
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let m = meter.stop();
        let pings_during = self.sh.pings.get() - pings_before;
        let sent = sent.get();
        let acks = self.sh.acks_ok.get();
        let sh = self.sh.clone();
        wait_until(|| sh.delivered.get() >= acks, || sh.delivered.get(), Duration::from_millis(1000), Duration::from_secs(10)).await;
        let got = self.sh.delivered.get();
        let cpu = m["server_cpu_us"].as_u64().unwrap_or(0);
        let sched_cpu = m["server_cpu_sched_us"].as_u64().unwrap_or(0);
        let stats = server_stats(self.o.server).await;
        eprintln!("  ingest max: {acks} acked in {secs}s, {} deliveries dropped, {pings_during} pings during, client cpu {}%", acks - got.min(acks), m["client_cpu_pct"]);
        self.emit(json!({
            "scenario": "ingest_max", "label": format!("ingest max rate ({senders} senders, 1 in flight each)"), "unit": "message (ack + 1 delivery)",
            "params": { "senders": senders, "secs": secs },
            "sent": sent, "expected": sent, "received": acks, "dropped": sent - acks.min(sent), "acks_err": self.sh.acks_err.get(),
            "deliveries_expected": acks, "deliveries_received": got, "deliveries_dropped": acks - got.min(acks),
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, acks), "per_msg_sched_us": per(sched_cpu, acks),
            "rate_per_s": round3(acks as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "meter": m, "server_stats": stats,
            "pings_during": pings_during,
        }));
    }
}

fn per(cpu_us: u64, n: u64) -> Value {
    if n == 0 { Value::Null } else { json!(round3(cpu_us as f64 / n as f64)) }
}

fn human(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) { format!("{}k", n / 1000) } else { n.to_string() }
}

fn main() -> std::process::ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let sh = Rc::new(Shared {
            base: Instant::now(),
            echo: o.echo,
            phase: Cell::new(0),
            delivered: Cell::new(0),
            stale: Cell::new(0),
            acks_ok: Cell::new(0),
            acks_err: Cell::new(0),
            disconnects: Cell::new(0),
            pings: Cell::new(0),
            lat_deliver: RefCell::new(Hist::default()),
            lat_ack: RefCell::new(Hist::default()),
            first_ack_error: RefCell::new(None),
        });
        let mut b = Bench { conns: (0..o.conns).map(|_| None).collect(), o, sh, phase: 0, rooms: Vec::new() };
        eprintln!("[{} round {}] warm-up, then connect storm", b.o.target, b.o.round);
        b.warmup().await;
        b.connect_storm().await;
        if b.o.only.as_deref() == Some("connect") {
            // Memory profiling: stay connected and idle until killed.
            eprintln!("  connected; idle (--only connect)");
            std::future::pending::<()>().await;
        }
        if !b.o.echo {
            b.join_rooms().await;
        }
        if b.wants("ack_rtt") {
            b.ack_rtt().await;
        }
        if !b.o.echo && b.wants("fanout") {
            let rooms = b.rooms.clone();
            for bytes in [100usize, 1024] {
                for (room, size) in &rooms {
                    b.fanout(room, *size, bytes).await;
                }
            }
        }
        if b.wants("ingest") {
            b.ingest(false).await;
        }
        if !b.o.echo && b.wants("ingest_mid") {
            b.ingest(true).await;
        }
        if !b.o.echo && b.wants("ingest_max") {
            b.ingest_max().await;
        }
        let disconnects = b.sh.disconnects.get();
        if disconnects > 0 {
            eprintln!("  warning: {disconnects} sockets were closed by the server during the run");
        }
        b.emit(json!({ "scenario": "summary", "label": "summary", "disconnects": disconnects, "sockets": b.conns.iter().flatten().count() }));
    });
    std::process::ExitCode::SUCCESS
}
