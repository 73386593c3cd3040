//! Measurement around a scenario: CPU, RSS and core load before and after, and the JSON
//! helpers every result uses.

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use switchboard_bench::{CLK_TCK, CpuTime, Hist, core_jiffies, cpu_time, rss_kib};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(crate) struct Meter {
    pid: String,
    wall: Instant,
    server: CpuTime,
    client: CpuTime,
    rss_kib: u64,
    cores: Vec<(u64, u64)>,
}

impl Meter {
    pub(crate) fn start(pid: &str) -> Self {
        Self { pid: pid.to_string(), wall: Instant::now(), server: cpu_time(pid), client: cpu_time("self"), rss_kib: rss_kib(pid), cores: core_jiffies() }
    }

    /// Server CPU (stat and schedstat, µs), client CPU %, wall seconds, RSS before/after.
    pub(crate) fn stop(&self) -> Value {
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
            "server_user_us": s.user_us.saturating_sub(self.server.user_us),
            "server_sys_us": s.sys_us.saturating_sub(self.server.sys_us),
            "server_cpu_sched_us": s.sched_us.saturating_sub(self.server.sched_us),
            "server_cpu_pct": round3(server_pct),
            "client_cpu_pct": round3(client_pct),
            "rss_kib_before": self.rss_kib,
            "rss_kib_after": rss_kib(&self.pid),
        })
    }
}

pub(crate) fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub(crate) fn lat_json(h: &Hist) -> Value {
    json!({ "n": h.count(), "p50_us": round3(h.quantile(0.5) as f64 / 1e3), "p99_us": round3(h.quantile(0.99) as f64 / 1e3), "max_us": round3(h.max() as f64 / 1e3) })
}

/// Least-squares slope of y over x.
pub(crate) fn ls_slope(pts: &[(f64, f64)]) -> f64 {
    let k = pts.len() as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / k, sy / k);
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + (x - mx) * (y - my), b + (x - mx) * (x - mx)));
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// Server-side counters (`GET /stats`): runtime metrics for Rust, memory and drops for Node.
pub(crate) async fn server_stats(addr: SocketAddr) -> Value {
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
pub(crate) async fn wait_until(done: impl Fn() -> bool, progress: impl Fn() -> u64, stall: Duration, cap: Duration) -> bool {
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

pub(crate) fn per(cpu_us: u64, n: u64) -> Value {
    if n == 0 { Value::Null } else { json!(round3(cpu_us as f64 / n as f64)) }
}

/// The server's user and kernel CPU per unit apart, and the kernel's share of the two, from a
/// meter's reading (`/proc/PID/stat`, 10 ms steps: long scenarios keep the rounding small).
pub(crate) fn user_sys(m: &Value, n: u64) -> Value {
    let (user, sys) = (m["server_user_us"].as_u64().unwrap_or(0), m["server_sys_us"].as_u64().unwrap_or(0));
    let share = if user + sys == 0 { Value::Null } else { json!(round3(sys as f64 * 100.0 / (user + sys) as f64)) };
    json!({ "per_msg_user_us": per(user, n), "per_msg_sys_us": per(sys, n), "sys_share_pct": share })
}

pub(crate) fn human(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) { format!("{}k", n / 1000) } else { n.to_string() }
}
