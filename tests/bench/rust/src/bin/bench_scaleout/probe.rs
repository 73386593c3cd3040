//! What is measured around each step: process CPU (user and system apart) and RSS, Redis
//! command counts (`INFO commandstats`), the gateways' counters and the load average.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use switchboard_bench::{cpu_time, rss_kib};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET path` on 127.0.0.1:port (HTTP/1.0, so the answer ends with the connection); the JSON body.
pub async fn http_json(port: u16, path: &str, limit: Duration) -> Result<Value, String> {
    let go = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("control :{port}: {e}"))?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).ok_or("no HTTP body")?;
        serde_json::from_str(body).map_err(|e| format!("{path}: {e}: {body:.200}"))
    };
    tokio::time::timeout(limit, go).await.map_err(|_| format!("{path}: no answer within {limit:?}"))?
}

/// `INFO commandstats` of the Redis on 127.0.0.1:port: calls and microseconds per command.
pub async fn redis_commands(port: u16) -> Result<BTreeMap<String, (u64, u64)>, String> {
    let go = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("redis :{port}: {e}"))?;
        s.write_all(b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n").await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        // A bulk string: `$LEN\r\n` then LEN bytes and `\r\n`.
        loop {
            let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("redis closed the link".into());
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some((head, rest)) = text.split_once("\r\n") {
                let len: usize = head.trim_start_matches('$').parse().map_err(|_| format!("unexpected reply {head:.80}"))?;
                if rest.len() >= len {
                    return Ok(parse_commandstats(&rest[..len]));
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), go).await.map_err(|_| "redis INFO: no answer within 5 s".to_string())?
}

/// `cmdstat_publish:calls=12,usec=30,...` lines -> `publish -> (12, 30)`.
fn parse_commandstats(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((name, fields)) = line.strip_prefix("cmdstat_").and_then(|l| l.split_once(':')) else { continue };
        let field = |k: &str| fields.split(',').find_map(|f| f.strip_prefix(k)?.strip_prefix('=')?.parse::<u64>().ok()).unwrap_or(0);
        out.insert(name.to_string(), (field("calls"), field("usec")));
    }
    out
}

/// Redis commands run between two snapshots, without the `INFO` calls of this probe.
pub fn commands_delta(before: &BTreeMap<String, (u64, u64)>, after: &BTreeMap<String, (u64, u64)>) -> Value {
    let mut by = Map::new();
    let mut total = 0;
    for (name, (calls, usec)) in after {
        let (c0, u0) = before.get(name).copied().unwrap_or((0, 0));
        if name == "info" || calls == &c0 {
            continue;
        }
        total += calls - c0;
        by.insert(name.clone(), json!({ "calls": calls - c0, "usec": usec.saturating_sub(u0) }));
    }
    json!({ "total": total, "by_command": by })
}

/// A named process to watch.
#[derive(Clone)]
pub struct Proc {
    pub name: String,
    pub pid: String,
}

/// CPU of every watched process at one instant: (user, system) from `/proc/PID/stat` (10 ms
/// steps) and the threads' run time from `schedstat` (nanosecond resolution, no split).
pub struct CpuSnap(Vec<(u64, u64, u64)>);

pub fn cpu_snap(procs: &[Proc]) -> CpuSnap {
    CpuSnap(
        procs
            .iter()
            .map(|p| {
                let t = cpu_time(&p.pid);
                (t.user_us, t.sys_us, t.sched_us)
            })
            .collect(),
    )
}

/// `{name: {user_us, sys_us, sched_us}}` between two snapshots.
pub fn cpu_delta(procs: &[Proc], a: &CpuSnap, b: &CpuSnap) -> Value {
    let mut m = Map::new();
    for (i, p) in procs.iter().enumerate() {
        let (u0, s0, r0) = a.0[i];
        let (u1, s1, r1) = b.0[i];
        m.insert(p.name.clone(), json!({ "user_us": u1.saturating_sub(u0), "sys_us": s1.saturating_sub(s0), "sched_us": r1.saturating_sub(r0) }));
    }
    Value::Object(m)
}

/// `{name: rss_kib}` of every watched process.
pub fn rss(procs: &[Proc]) -> Value {
    Value::Object(procs.iter().map(|p| (p.name.clone(), json!(rss_kib(&p.pid)))).collect())
}

/// The three load averages, as `uptime` prints them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

/// Differences of the numeric fields of two gateway `/stats` answers (only those that moved).
pub fn stats_delta(a: &Value, b: &Value) -> Value {
    let mut m = Map::new();
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (k, v) in b {
            let d = v.as_i64().unwrap_or(0) - a.get(k).and_then(Value::as_i64).unwrap_or(0);
            if d != 0 {
                m.insert(k.clone(), json!(d));
            }
        }
    }
    Value::Object(m)
}
