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

mod conn;
mod measure;
mod scenarios;

use conn::Shared;
use scenarios::Bench;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;
use switchboard_bench::Hist;

#[derive(Clone)]
pub(crate) struct Opts {
    pub(crate) server: SocketAddr,
    pub(crate) pid: String,
    pub(crate) target: String,
    pub(crate) round: u32,
    pub(crate) conns: usize,
    pub(crate) concurrency: usize,
    pub(crate) secs: f64,
    pub(crate) fanout_rate: f64,
    pub(crate) ingest_rate: f64,
    pub(crate) ingest_senders: usize,
    pub(crate) secret: String,
    pub(crate) echo: bool,
    pub(crate) only: Option<String>,
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
