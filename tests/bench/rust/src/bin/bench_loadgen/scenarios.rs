//! The scenarios, in the order `main` runs them (see the crate doc), on one set of sockets.

use crate::Opts;
use crate::conn::{Cmd, Shared, Ws, connect, run_conn, text_of};
use crate::measure::{Meter, human, lat_json, ls_slope, per, round3, server_stats, user_sys, wait_until};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use switchboard_bench::{Hist, rss_kib};
use tokio::sync::{mpsc, oneshot};

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

pub(crate) struct Bench {
    pub(crate) o: Opts,
    pub(crate) sh: Rc<Shared>,
    pub(crate) conns: Vec<Option<mpsc::UnboundedSender<Cmd>>>,
    pub(crate) phase: u32,
    pub(crate) rooms: Vec<(String, usize)>,
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

    pub(crate) fn emit(&self, record: Value) {
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

    pub(crate) fn wants(&self, s: &str) -> bool {
        self.o.only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s))
    }

    /// Warms the server up (JIT for Node, allocator pools for both) with a few hundred sockets
    /// that join small rooms, chat, echo and resend, then disconnect. Not a figure; it makes
    /// the first measured scenario comparable with the later ones in a fresh process.
    pub(crate) async fn warmup(&mut self) {
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

    pub(crate) async fn connect_storm(&mut self) {
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

    pub(crate) async fn join_rooms(&mut self) {
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

    pub(crate) async fn ack_rtt(&mut self) {
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
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, ok), "per_msg_sched_us": per(sched_cpu, ok), "cpu_split": user_sys(&m, ok),
            "rate_per_s": round3(ok as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "meter": m,
        }));
    }

    pub(crate) async fn fanout(&mut self, room: &str, size: usize, bytes: usize) {
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
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, got), "per_msg_sched_us": per(sched_cpu, got), "cpu_split": user_sys(&m, got),
            "rate_per_s": round3(got as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_deliver.borrow()), "ack_latency": lat_json(&self.sh.lat_ack.borrow()),
            "meter": m, "server_stats": stats,
        }));
    }

    pub(crate) async fn ingest(&mut self, with_mid: bool) {
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
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, acks), "per_msg_sched_us": per(sched_cpu, acks), "cpu_split": user_sys(&m, acks),
            "rate_per_s": round3(acks as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "delivery_latency": lat_json(&self.sh.lat_deliver.borrow()),
            "meter": m, "server_stats": stats,
        }));
    }

    pub(crate) async fn ingest_max(&mut self) {
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
            "server_cpu_us": cpu, "server_cpu_sched_us": sched_cpu, "per_msg_us": per(cpu, acks), "per_msg_sched_us": per(sched_cpu, acks), "cpu_split": user_sys(&m, acks),
            "rate_per_s": round3(acks as f64 / m["wall_s"].as_f64().unwrap_or(1.0)),
            "latency": lat_json(&self.sh.lat_ack.borrow()), "meter": m, "server_stats": stats,
            "pings_during": pings_during,
        }));
    }
}
