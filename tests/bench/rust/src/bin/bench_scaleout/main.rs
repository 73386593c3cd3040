//! `bench-scaleout`: 1 -> N fan-out on one gateway without Redis against two gateways on Redis
//! (members split over both), and recovery replay cost, in one run (`tests/bench/scaleout.sh`
//! starts the processes). Writes one JSON line per measurement to `--out`.
//!
//! Per round and configuration (`single`, then `two-nodes`; the order alternates per round):
//! connect `--members` sockets (each its own user; `two-nodes`: even ones on node A, odd ones on
//! node B), all in room `tournament-t-all`, the first 1,000 also in `tournament-t-1k`; then per
//! room size a paced step (`--rate` deliveries/s for `--secs`) and a burst step (100,000
//! deliveries emitted back to back), emitted by node S or A; then one recovery step per K.

mod member;
mod probe;
mod recover;

use probe::Proc;
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use switchboard_runtime::server::JwtHs256;

/// One gateway process.
#[derive(Clone)]
struct Node {
    addr: SocketAddr,
    control: u16,
    proc: Proc,
}

struct Opts {
    single: Node,
    a: Node,
    b: Node,
    redis_port: u16,
    redis_pid: String,
    members: usize,
    rounds: usize,
    secs: f64,
    rate: f64,
    burst: u64,
    recover_clients: usize,
    ks: Vec<u64>,
    out: String,
}

fn parse_args() -> Result<Opts, String> {
    let mut kv = std::collections::HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let k = k.strip_prefix("--").ok_or_else(|| format!("unexpected argument {k}"))?.to_string();
        kv.insert(k.clone(), it.next().ok_or_else(|| format!("--{k} needs a value"))?);
    }
    let get = |k: &str| kv.get(k).cloned().ok_or_else(|| format!("--{k} is required"));
    let num = |k: &str, d: f64| kv.get(k).map_or(Ok(d), |v| v.parse::<f64>().map_err(|e| format!("--{k}: {e}")));
    // A node is `ADDR,CONTROL_PORT,PID`.
    let node = |k: &str| -> Result<Node, String> {
        let v = get(k)?;
        let f: Vec<&str> = v.split(',').collect();
        let [addr, control, pid] = f[..] else { return Err(format!("--{k} wants ADDR,CONTROL_PORT,PID")) };
        Ok(Node {
            addr: addr.parse().map_err(|e| format!("--{k}: {e}"))?,
            control: control.parse().map_err(|e| format!("--{k}: {e}"))?,
            proc: Proc { name: k.to_string(), pid: pid.to_string() },
        })
    };
    let ks = get("ks").unwrap_or_else(|_| "100,1000".into()).split(',').map(|k| k.parse::<u64>().map_err(|e| format!("--ks: {e}"))).collect::<Result<_, _>>()?;
    Ok(Opts {
        single: node("single")?,
        a: node("node-a")?,
        b: node("node-b")?,
        redis_port: get("redis-port")?.parse().map_err(|e| format!("--redis-port: {e}"))?,
        redis_pid: get("redis-pid")?,
        members: num("members", 10_000.0)? as usize,
        rounds: num("rounds", 3.0)? as usize,
        secs: num("secs", 3.0)?,
        rate: num("rate", 20_000.0)?,
        burst: num("burst", 100_000.0)? as u64,
        recover_clients: num("recover-clients", 20.0)? as usize,
        ks,
        out: get("out")?,
    })
}

/// A configuration under test: where members go and which node emits.
struct Setup<'a> {
    name: &'static str,
    members_on: Vec<&'a Node>,
    emitter: &'a Node,
    /// Where recovering clients are before the cut, and where they reconnect.
    recover: (&'a Node, &'a Node),
    redis: bool,
}

struct Run {
    o: Opts,
    procs: Vec<Proc>,
    tokens: Vec<String>,
    out: std::fs::File,
    seq: u64,
}

impl Run {
    fn write(&mut self, mut v: Value) -> Result<(), String> {
        v["procs"] = json!(self.procs.iter().map(|p| p.name.clone()).collect::<Vec<_>>());
        writeln!(self.out, "{v}").map_err(|e| format!("{}: {e}", self.o.out))?;
        eprintln!("[scaleout] {}", summary(&v));
        Ok(())
    }

    fn nodes<'a>(&'a self, setup: &Setup<'a>) -> Vec<&'a Node> {
        let mut n = setup.members_on.clone();
        if !n.iter().any(|x| x.proc.pid == setup.emitter.proc.pid) {
            n.push(setup.emitter);
        }
        n
    }
}

/// One line per step on stderr, so a run can be followed.
fn summary(v: &Value) -> String {
    match v["kind"].as_str() {
        Some("fanout") => format!(
            "{} {} 1->{} {}: {}/{} received, {} dropped, {:.0} deliveries/s, p50 {} ms p99 {} ms, load {}",
            v["round"], v["setup"], v["n"], v["mode"], v["received"], v["expected"], v["dropped"], v["deliveries_per_s"].as_f64().unwrap_or(0.0), v["latency_ms"]["p50"], v["latency_ms"]["p99"], v["loadavg_before"]
        ),
        Some("recover") => format!("{} {} recover K={}: median {} us, replayed {}, problems {}", v["round"], v["setup"], v["k"], v["recover_us_median"], v["replayed"], v["problems"]),
        _ => format!("{} {} {}", v["round"], v["setup"], v["kind"]),
    }
}

async fn stats(nodes: &[&Node]) -> Vec<Value> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(probe::http_json(n.control, "/stats", Duration::from_secs(5)).await.unwrap_or(Value::Null));
    }
    out
}

/// Connects every member and joins its rooms; returns the reader tasks and their stop switch.
async fn connect_members(r: &Run, setup: &Setup<'_>, sh: &Arc<member::Shared>) -> Result<(Vec<tokio::task::JoinHandle<()>>, tokio::sync::watch::Sender<bool>), String> {
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    let mut pending = Vec::new();
    for i in 0..r.o.members {
        let addr = setup.members_on[i % setup.members_on.len()].addr;
        let (token, gate, sh, stop_rx) = (r.tokens[i].clone(), gate.clone(), sh.clone(), stop_rx.clone());
        pending.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let mut ws = member::connect(i, addr, &token).await?;
            member::join(&mut ws, 1, "t-all").await?;
            if i < 1000 {
                member::join(&mut ws, 2, "t-1k").await?;
            }
            drop(permit);
            Ok::<_, String>(tokio::spawn(member::run(ws, sh, stop_rx)))
        }));
    }
    let mut tasks = Vec::new();
    for p in pending {
        tasks.push(p.await.map_err(|e| e.to_string())??);
    }
    Ok((tasks, stop))
}

/// One fan-out step: `emits` events to `room` (`n` members) from the emitting node, `gap_us`
/// apart (0: back to back).
struct Fanout<'a> {
    room: &'a str,
    n: u64,
    mode: &'a str,
    emits: u64,
    gap_us: u64,
}

async fn fanout(r: &mut Run, setup: &Setup<'_>, round: usize, sh: &member::Shared, f: Fanout<'_>) -> Result<(), String> {
    let Fanout { room, n, mode, emits, gap_us } = f;
    let nodes: Vec<Node> = r.nodes(setup).into_iter().cloned().collect();
    let node_refs: Vec<&Node> = nodes.iter().collect();
    let seq = r.seq;
    r.seq += emits;
    let expected = emits * n;
    let (recv0, ooo0, lost0) = (sh.received.load(Ordering::Relaxed), sh.out_of_order.load(Ordering::Relaxed), sh.lost.load(Ordering::Relaxed));
    if let Ok(mut h) = sh.hist.lock() {
        *h = switchboard_bench::Hist::default();
    }
    let load = probe::loadavg();
    let (stats0, cmd0, cpu0) = (stats(&node_refs).await, probe::redis_commands(r.o.redis_port).await?, probe::cpu_snap(&r.procs));
    let t0 = Instant::now();
    let control = setup.emitter.control;
    let path = format!("/emit?room={room}&n={emits}&gap_us={gap_us}&seq={seq}");
    let emit = tokio::spawn(async move { probe::http_json(control, &path, Duration::from_secs(600)).await });
    // Done when every delivery arrived, or 3 s after the emits ended without progress.
    let (mut last, mut last_at, mut emit_answer, mut emit_done_at) = (recv0, t0, None, None);
    let cap = Duration::from_secs_f64(emits as f64 * gap_us as f64 / 1e6 + 60.0);
    while t0.elapsed() < cap {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = sh.received.load(Ordering::Relaxed);
        if now != last {
            (last, last_at) = (now, Instant::now());
        }
        if emit_answer.is_none() && emit.is_finished() {
            emit_answer = Some(emit.await.map_err(|e| e.to_string())??);
            emit_done_at = Some(Instant::now());
            // `emit` is consumed: leave the loop's polling of it.
            break;
        }
    }
    while emit_answer.is_some() && last - recv0 < expected && last_at.max(emit_done_at.unwrap_or(t0)).elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = sh.received.load(Ordering::Relaxed);
        if now != last {
            (last, last_at) = (now, Instant::now());
        }
    }
    let emit_answer = emit_answer.ok_or("the emit did not finish in time")?;
    let (cpu1, cmd1, stats1) = (probe::cpu_snap(&r.procs), probe::redis_commands(r.o.redis_port).await?, stats(&node_refs).await);
    let received = last - recv0;
    let secs = last_at.duration_since(t0).as_secs_f64();
    let hist = sh.hist.lock().map(|h| h.clone()).unwrap_or_default();
    let ms = |ns: u64| (ns as f64 / 1e4).round() / 100.0;
    let redis = probe::commands_delta(&cmd0, &cmd1);
    let redis_total = redis["total"].as_u64().unwrap_or(0);
    let node_stats: Vec<Value> = stats0.iter().zip(&stats1).map(|(a, b)| probe::stats_delta(a, b)).collect();
    let v = json!({
        "kind": "fanout", "round": round, "setup": setup.name, "redis": setup.redis, "n": n, "mode": mode,
        "members_on": setup.members_on.iter().map(|m| m.proc.name.clone()).collect::<Vec<_>>(), "emitter": setup.emitter.proc.name,
        "emits": emits, "gap_us": gap_us, "offered_deliveries_per_s": if gap_us == 0 { Value::Null } else { json!(n as f64 * 1e6 / gap_us as f64) },
        "expected": expected, "received": received, "dropped": expected.saturating_sub(received), "extra": received.saturating_sub(expected),
        "out_of_order": sh.out_of_order.load(Ordering::Relaxed) - ooo0, "links_lost": sh.lost.load(Ordering::Relaxed) - lost0,
        "emit": emit_answer, "secs": secs, "deliveries_per_s": if secs > 0.0 { received as f64 / secs } else { 0.0 },
        "latency_ms": { "p50": ms(hist.quantile(0.5)), "p99": ms(hist.quantile(0.99)), "max": ms(hist.max()), "samples": hist.count() },
        "cpu": probe::cpu_delta(&r.procs, &cpu0, &cpu1),
        "redis_commands": redis,
        "redis_commands_per_delivery": if received > 0 { json!(redis_total as f64 / received as f64) } else { Value::Null },
        "redis_commands_per_emit": json!(redis_total as f64 / emits.max(1) as f64),
        "node_counters": nodes.iter().map(|n| n.proc.name.clone()).zip(node_stats).collect::<serde_json::Map<_, _>>(),
        "loadavg_before": load, "loadavg_after": probe::loadavg(),
    });
    r.write(v)
}

async fn one_setup(r: &mut Run, setup: &Setup<'_>, round: usize) -> Result<(), String> {
    let sh = Arc::new(member::Shared::default());
    let load = probe::loadavg();
    let nodes: Vec<Node> = r.nodes(setup).into_iter().cloned().collect();
    let (rss0, t0) = (probe::rss(&r.procs), Instant::now());
    let (tasks, stop) = connect_members(r, setup, &sh).await?;
    let connect_s = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Idle: members connected, nothing sent but Engine.IO pings.
    let (cpu0, cmd0) = (probe::cpu_snap(&r.procs), probe::redis_commands(r.o.redis_port).await?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu1, cmd1) = (probe::cpu_snap(&r.procs), probe::redis_commands(r.o.redis_port).await?);
    r.write(json!({
        "kind": "connect", "round": round, "setup": setup.name, "members": r.o.members, "connect_s": connect_s,
        "members_on": setup.members_on.iter().map(|m| m.proc.name.clone()).collect::<Vec<_>>(),
        "rss_kib_before": rss0, "rss_kib_after": probe::rss(&r.procs),
        "idle_2s": { "cpu": probe::cpu_delta(&r.procs, &cpu0, &cpu1), "redis_commands": probe::commands_delta(&cmd0, &cmd1) },
        "loadavg_before": load, "loadavg_after": probe::loadavg(), "nodes": nodes.iter().map(|n| n.proc.name.clone()).collect::<Vec<_>>(),
    }))?;
    let sizes = [(1000u64.min(r.o.members as u64), "t-1k"), (r.o.members as u64, "t-all")];
    for (n, room) in sizes {
        let emits = ((r.o.rate * r.o.secs) / n as f64).round().max(1.0) as u64;
        let gap_us = (n as f64 * 1e6 / r.o.rate).round() as u64;
        fanout(r, setup, round, &sh, Fanout { room, n, mode: "paced", emits, gap_us }).await?;
        fanout(r, setup, round, &sh, Fanout { room, n, mode: "burst", emits: (r.o.burst / n).max(1), gap_us: 0 }).await?;
    }
    for k in r.o.ks.clone() {
        let tokens: Vec<String> = (0..r.o.recover_clients).map(|i| r.tokens[r.o.members + i].clone()).collect();
        let procs = vec![setup.recover.1.proc.clone(), Proc { name: "redis".into(), pid: r.o.redis_pid.clone() }];
        let seq = r.seq;
        r.seq += k + 1;
        let step = recover::Step {
            before: setup.recover.0.addr,
            after: setup.recover.1.addr,
            control: setup.emitter.control,
            room: format!("rec-{}-{round}-{k}-{}", setup.name, std::process::id()),
            k,
            tokens: &tokens,
            seq,
            procs: &procs,
            redis_port: Some(r.o.redis_port),
        };
        let mut v = recover::run(step).await?;
        v["kind"] = json!("recover");
        v["round"] = json!(round);
        v["setup"] = json!(setup.name);
        v["history"] = json!(if setup.redis { "redis-streams" } else { "memory" });
        v["served_by"] = json!(setup.recover.1.proc.name);
        v["members_connected"] = json!(r.o.members);
        r.write(v)?;
    }
    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    // Let the nodes see every close before the next setup connects.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

async fn run(o: Opts) -> Result<(), String> {
    let secret = std::env::var("SWITCHBOARD_JWT_SECRET").map_err(|_| "SWITCHBOARD_JWT_SECRET must be set (the gateways' secret)")?;
    let tokens = (0..o.members + o.recover_clients).map(|i| JwtHs256::mint(secret.as_bytes(), &format!("m{i}"), Some("customer"), 3600)).collect();
    let procs = vec![
        o.single.proc.clone(),
        o.a.proc.clone(),
        o.b.proc.clone(),
        Proc { name: "redis".into(), pid: o.redis_pid.clone() },
        Proc { name: "loadgen".into(), pid: std::process::id().to_string() },
    ];
    let out = std::fs::OpenOptions::new().create(true).append(true).open(&o.out).map_err(|e| format!("{}: {e}", o.out))?;
    let (single, a, b) = (o.single.clone(), o.a.clone(), o.b.clone());
    let mut r = Run { o, procs, tokens, out, seq: 1 };
    for round in 0..r.o.rounds {
        let one = Setup { name: "single", members_on: vec![&single], emitter: &single, recover: (&single, &single), redis: false };
        let two = Setup { name: "two-nodes", members_on: vec![&a, &b], emitter: &a, recover: (&b, &a), redis: true };
        let order = if round % 2 == 0 { [one, two] } else { [two, one] };
        for setup in &order {
            one_setup(&mut r, setup, round).await?;
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    // Usage errors exit 2, failures 1.
    let outcome = parse_args().map_err(|e| (2, e)).and_then(|o| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| (1, e.to_string()))?;
        rt.block_on(run(o)).map_err(|e| (1, e))
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err((code, e)) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(code)
        }
    }
}
