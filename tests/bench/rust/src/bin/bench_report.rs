//! `bench-report`: turns the load generator's JSON lines into the benchmark's outputs.
//!
//! `bench-report --raw RAW.jsonl --json OUT.json --md OUT.md [--drop-rounds 1] [--meta k=v]...
//! [--baseline EARLIER.json]`
//!
//! OUT.json holds the machine facts, versions (from `--meta` and the lock file), every raw
//! sample, and the per-scenario summary. OUT.md holds one table per group of figures:
//! Node median, Rust median, ratio (Rust / Node), spread ((max - min) / median of the measured
//! rounds), the echo ceiling where there is one, and expected / received / dropped totals.
//! With `--baseline` (an earlier run's OUT.json) the tables of CPU per unit and idle memory also
//! show that run's Rust/Node ratio per scenario: the new figures next to the old, each ratio from
//! its own run.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

struct Args {
    raw: String,
    json: String,
    md: String,
    drop_rounds: u64,
    meta: Vec<(String, String)>,
    baseline: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { raw: String::new(), json: String::new(), md: String::new(), drop_rounds: 1, meta: Vec::new(), baseline: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--raw" => a.raw = v,
            "--json" => a.json = v,
            "--md" => a.md = v,
            "--drop-rounds" => a.drop_rounds = v.parse().map_err(|_| "--drop-rounds: not a number")?,
            "--baseline" => a.baseline = Some(v),
            "--meta" => {
                let (k, val) = v.split_once('=').ok_or("--meta wants key=value")?;
                a.meta.push((k.to_string(), val.to_string()));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.raw.is_empty() || a.json.is_empty() || a.md.is_empty() {
        return Err("usage: bench-report --raw RAW.jsonl --json OUT.json --md OUT.md [--drop-rounds 1] [--meta k=v]... [--baseline EARLIER.json]".into());
    }
    Ok(a)
}

fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo.lines().find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()));
    let mem_kib = read("/proc/meminfo").lines().find_map(|l| l.strip_prefix("MemTotal:").and_then(|r| r.split_whitespace().next()?.parse::<u64>().ok()));
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpus_online": read("/sys/devices/system/cpu/online").trim(),
        "cpu_model": model,
        "mem_total_gib": mem_kib.map(|k| (k as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "hypervisor": cpuinfo.contains(" hypervisor"),
        "loadavg_at_report": read("/proc/loadavg").trim(),
        "tcp_tw_reuse": read("/proc/sys/net/ipv4/tcp_tw_reuse").trim(),
        "ip_local_port_range": read("/proc/sys/net/ipv4/ip_local_port_range").trim(),
        "somaxconn": read("/proc/sys/net/core/somaxconn").trim(),
    })
}

/// `name = "x"` / `version = "y"` pairs of a Cargo.lock.
fn lock_versions(path: &str, names: &[&str]) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Map::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), &name)
            && names.contains(&n.as_str()) {
                out.insert(n.clone(), json!(v.trim_matches('"')));
            }
    }
    Value::Object(out)
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

fn get(v: &Value, path: &str) -> Option<f64> {
    let mut cur = v;
    for p in path.split('.') {
        cur = match p.parse::<usize>() {
            Ok(i) => cur.get(i)?,
            Err(_) => cur.get(p)?,
        };
    }
    cur.as_f64()
}

/// Median and spread of one metric over the measured rounds of one target and label.
#[derive(Clone, Copy)]
struct Stat {
    median: f64,
    spread_pct: f64,
    n: usize,
}

fn stat(samples: &[&Value], path: &str) -> Option<Stat> {
    let mut v: Vec<f64> = samples.iter().filter_map(|s| get(s, path)).collect();
    let n = v.len();
    let med = median(&mut v)?;
    let (lo, hi) = (v[0], v[n - 1]);
    let spread_pct = if med.abs() > 0.0 { (hi - lo) / med.abs() * 100.0 } else { 0.0 };
    Some(Stat { median: med, spread_pct, n })
}

fn sum(samples: &[&Value], path: &str) -> Option<f64> {
    let v: Vec<f64> = samples.iter().filter_map(|s| get(s, path)).collect();
    if v.is_empty() { None } else { Some(v.iter().sum()) }
}

fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn cell(s: Option<Stat>) -> String {
    s.map_or("–".into(), |s| fmt_num(s.median))
}

fn spread(s: Option<Stat>) -> String {
    s.map_or("–".into(), |s| format!("{:.0} %", s.spread_pct))
}

fn ratio(rust: Option<Stat>, node: Option<Stat>) -> String {
    match (rust, node) {
        (Some(r), Some(n)) if n.median != 0.0 => format!("{:.2}", r.median / n.median),
        _ => "–".into(),
    }
}

fn counts(samples: &[&Value]) -> String {
    let e = sum(samples, "expected").unwrap_or(0.0);
    let r = sum(samples, "received").unwrap_or(0.0);
    let d = sum(samples, "dropped").unwrap_or(0.0);
    let mut s = format!("{e:.0}/{r:.0}/{d:.0}");
    if let (Some(de), Some(dr)) = (sum(samples, "deliveries_expected"), sum(samples, "deliveries_received")) {
        let _ = write!(s, " (deliv. {de:.0}/{dr:.0}/{:.0})", de - dr);
    }
    s
}

struct Group<'a> {
    by_target: BTreeMap<String, Vec<&'a Value>>,
}

impl Group<'_> {
    /// A representative sample: Node's, else Rust's, else any (the echo ceiling has other units).
    fn rep(&self) -> Value {
        ["node", "rust"].iter().find_map(|t| self.by_target.get(*t)).or_else(|| self.by_target.values().next()).and_then(|v| v.first()).map_or(Value::Null, |s| (*s).clone())
    }
}

fn main() -> std::process::ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let raw_text = match std::fs::read_to_string(&a.raw) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", a.raw);
            return std::process::ExitCode::FAILURE;
        }
    };
    // An earlier run's summary (its date and rows), for the column of its Rust/Node ratios.
    let baseline: Option<(String, Vec<Value>)> = match &a.baseline {
        None => None,
        Some(path) => match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string())) {
            Ok(v) => Some((v["meta"]["date"].as_str().unwrap_or(path).to_string(), v["summary"].as_array().cloned().unwrap_or_default())),
            Err(e) => {
                eprintln!("error: cannot read the baseline {path}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let base_ratio = |label: &str, path: &str| -> Option<f64> {
        let row = baseline.as_ref()?.1.iter().find(|r| r["label"] == label)?;
        let (n, r) = (row["node"][path]["median"].as_f64()?, row["rust"][path]["median"].as_f64()?);
        (n > 0.0).then(|| r / n)
    };
    let samples: Vec<Value> = raw_text.lines().filter(|l| l.starts_with('{')).filter_map(|l| serde_json::from_str(l).ok()).collect();
    let measured: Vec<&Value> = samples.iter().filter(|s| s["round"].as_u64().unwrap_or(0) >= a.drop_rounds).collect();

    // Labels in order of first appearance; groups per label and target.
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for s in &measured {
        let scenario = s["scenario"].as_str().unwrap_or("");
        if matches!(scenario, "summary" | "warmup" | "join") {
            continue;
        }
        let label = s["label"].as_str().unwrap_or("?").to_string();
        if !groups.contains_key(&label) {
            order.push(label.clone());
        }
        groups.entry(label).or_insert_with(|| Group { by_target: BTreeMap::new() }).by_target.entry(s["target"].as_str().unwrap_or("?").to_string()).or_default().push(s);
    }
    let rounds = measured.iter().filter_map(|s| s["round"].as_u64()).collect::<std::collections::BTreeSet<_>>();

    let mut meta = Map::new();
    for (k, v) in &a.meta {
        meta.insert(k.clone(), json!(v));
    }
    let lock = a.meta.iter().find(|(k, _)| k == "cargo_lock").map_or("tests/bench/rust/Cargo.lock".to_string(), |(_, v)| v.clone());
    let crates = lock_versions(&lock, &["socketioxide", "engineioxide", "tokio", "tokio-tungstenite", "tungstenite", "axum", "hyper", "serde_json"]);

    // Summary rows for JSON.
    let metrics = [
        ("per_msg_us", "server CPU µs per unit (stat)"),
        ("per_msg_sched_us", "server CPU µs per unit (schedstat)"),
        ("cpu_split.per_msg_user_us", "server user CPU µs per unit (stat)"),
        ("cpu_split.per_msg_sys_us", "server kernel CPU µs per unit (stat)"),
        ("cpu_split.sys_share_pct", "kernel share of the server's CPU %"),
        ("latency.p50_us", "latency p50 µs"),
        ("latency.p99_us", "latency p99 µs"),
        ("rate_per_s", "units per second"),
        ("bytes_per_socket", "RSS bytes per idle socket"),
        ("meter.client_cpu_pct", "load generator CPU %"),
        ("meter.server_cpu_pct", "server CPU %"),
        ("meter.cores.1.foreign_pct", "other processes on the server core %"),
        ("meter.cores.0.foreign_pct", "other processes on the client core %"),
        ("meter.cores.1.steal_pct", "hypervisor steal on the server core %"),
    ];
    let mut summary = Vec::new();
    for label in &order {
        let g = &groups[label];
        let mut row = Map::new();
        row.insert("label".into(), json!(label));
        let any = g.rep();
        row.insert("scenario".into(), any["scenario"].clone());
        row.insert("unit".into(), any["unit"].clone());
        row.insert("params".into(), any["params"].clone());
        for (target, ss) in &g.by_target {
            let mut t = Map::new();
            for (path, _) in metrics {
                if let Some(st) = stat(ss, path) {
                    t.insert(path.into(), json!({ "median": st.median, "spread_pct": (st.spread_pct * 10.0).round() / 10.0, "n": st.n }));
                }
            }
            for k in ["expected", "received", "dropped", "deliveries_expected", "deliveries_received", "deliveries_dropped", "failures"] {
                if let Some(v) = sum(ss, k) {
                    t.insert(format!("{k}_total"), json!(v));
                }
            }
            row.insert(target.clone(), Value::Object(t));
        }
        summary.push(Value::Object(row));
    }
    // How much of the pinned cores other processes took: the figures are only as good as this.
    let mut foreign1: Vec<f64> = measured.iter().filter_map(|s| get(s, "meter.cores.1.foreign_pct")).collect();
    let mut foreign0: Vec<f64> = measured.iter().filter_map(|s| get(s, "meter.cores.0.foreign_pct")).collect();
    let busy_share = foreign1.iter().filter(|&&f| f > 10.0).count() as f64 / foreign1.len().max(1) as f64 * 100.0;
    let (f1, f0) = (median(&mut foreign1).unwrap_or(0.0), median(&mut foreign0).unwrap_or(0.0));
    let noisy = f1 > 5.0 || f0 > 5.0 || busy_share > 20.0;
    let note = if noisy {
        format!("Noisy: other processes used the pinned cores (median {f1:.0} % of the server core, {f0:.0} % of the load generator core per scenario); see meter.cores in the samples.")
    } else {
        format!("Other processes took little of the pinned cores (median {f1:.0} % of the server core, {f0:.0} % of the load generator core).")
    };
    let mut out = json!({
        "benchmark": "server: Switchboard-generated socketioxide server vs Node socket.io on the same contract",
        "note": note,
        "meta": Value::Object(meta),
        "crates": crates,
        "machine": machine(),
        "rounds_dropped_as_warmup": a.drop_rounds,
        "rounds_measured": rounds.iter().collect::<Vec<_>>(),
        "metrics": metrics.iter().map(|(k, d)| json!([k, d])).collect::<Vec<_>>(),
        "summary": summary,
        "samples": samples,
    });
    // Pretty-printed, except the raw samples: one compact line each (diffable, a third of the size).
    let samples_value = out.as_object_mut().and_then(|o| o.remove("samples")).unwrap_or(Value::Null);
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.truncate(text.trim_end().len() - 1);
    text.push_str(",\n  \"samples\": [\n");
    let lines: Vec<String> = samples_value.as_array().map(|v| v.iter().map(|s| format!("    {s}")).collect()).unwrap_or_default();
    text.push_str(&lines.join(",\n"));
    text.push_str("\n  ]\n}\n");
    if let Err(e) = std::fs::write(&a.json, text) {
        eprintln!("error: cannot write {}: {e}", a.json);
        return std::process::ExitCode::FAILURE;
    }

    // Markdown.
    let mut md = String::new();
    let m = |k: &str| a.meta.iter().find(|(kk, _)| kk == k).map_or("?".to_string(), |(_, v)| v.clone());
    let mach = &out["machine"];
    let _ = writeln!(md, "# Server benchmark: generated Rust (socketioxide) vs Node socket.io\n");
    let _ = writeln!(md, "Generated by `tests/bench/server.sh` on {}; raw samples in `{}`.\n", m("date"), m("json_name"));
    if noisy {
        let _ = writeln!(
            md,
            "**Noisy run: other processes used the pinned cores** (median {f1:.0} % of the server core and {f0:.0} % of the load generator core per scenario; more than 10 % in {busy_share:.0} % of the scenarios). Read the ratios, not the absolute figures, and mind the spreads. The \"other load\" column is the median share of the server core taken by other processes (including kernel work for other tasks) during that scenario.\n"
        );
    } else {
        let _ = writeln!(md, "Other processes took little of the pinned cores (median {f1:.0} % of the server core, {f0:.0} % of the load generator core).\n");
    }
    let _ = writeln!(
        md,
        "- Machine: {} cores ({}), {} GiB, kernel {}, VM: {}.",
        mach["nproc"],
        mach["cpu_model"].as_str().unwrap_or("?"),
        mach["mem_total_gib"],
        mach["kernel"].as_str().unwrap_or("?"),
        mach["hypervisor"]
    );
    let _ = writeln!(
        md,
        "- Versions: rustc {}, socketioxide {}, tokio {}, tokio-tungstenite {}; node {}, socket.io {}.",
        m("rustc"),
        out["crates"]["socketioxide"].as_str().unwrap_or("?"),
        out["crates"]["tokio"].as_str().unwrap_or("?"),
        out["crates"]["tokio-tungstenite"].as_str().unwrap_or("?"),
        m("node"),
        m("socket_io")
    );
    let _ = writeln!(
        md,
        "- Setup: server pinned to core 1 (`taskset -c 1`; Rust with 1 tokio worker thread), load generator (Rust, raw protocol, one thread) on core 0; WebSocket only, no compression, default JSON parser, room broadcasts, TCP_NODELAY on both. {} sockets, {} s per scenario, fan-out offered at {} deliveries/s, ingest at {} msg/s from {} senders.",
        m("conns"),
        m("secs"),
        m("fanout_rate"),
        m("ingest_rate"),
        m("ingest_senders")
    );
    let _ = writeln!(
        md,
        "- Rounds interleaved Node, Rust, echo; {} round(s) dropped as warm-up, {} measured (each round: a fresh server process, 200-socket warm-up, then every scenario). Median over measured rounds; spread = (max − min) / median; ratio = Rust / Node (below 1: Rust uses less / is faster).",
        a.drop_rounds,
        rounds.len()
    );
    let _ = writeln!(md, "- Wall time of the whole script: {} s.\n", m("wall_s"));

    let table = |md: &mut String, title: &str, path: &str, filter: &dyn Fn(&str) -> bool, with_ceiling: bool, with_counts: bool, note: &str| {
        let _ = writeln!(md, "## {title}\n");
        if !note.is_empty() {
            let _ = writeln!(md, "{note}\n");
        }
        let mut head = "| Scenario | Unit | Node | Rust | Rust/Node | Node spread | Rust spread |".to_string();
        let mut sep = "|---|---|---:|---:|---:|---:|---:|".to_string();
        // The earlier run's ratio goes next to this run's for the headline figures only.
        let base_date = baseline.as_ref().filter(|_| matches!(path, "per_msg_us" | "bytes_per_socket")).map(|b| b.0.as_str());
        if let Some(date) = base_date {
            let _ = write!(head, " Rust/Node in {date} |");
            sep.push_str("---:|");
        }
        if with_ceiling {
            head.push_str(" WS echo ceiling |");
            sep.push_str("---:|");
        }
        head.push_str(" other load N/R % |");
        sep.push_str("---:|");
        if with_counts {
            head.push_str(" expected/received/dropped Node; Rust |");
            sep.push_str("---|");
        }
        let _ = writeln!(md, "{head}\n{sep}");
        for label in &order {
            let g = &groups[label];
            let rep = g.rep();
            if !filter(rep["scenario"].as_str().unwrap_or("")) {
                continue;
            }
            let unit = rep["unit"].as_str().unwrap_or("");
            let st = |t: &str, p: &str| g.by_target.get(t).and_then(|ss| stat(ss, p));
            let (n, r) = (st("node", path), st("rust", path));
            if n.is_none() && r.is_none() {
                continue;
            }
            let mut line = format!("| {label} | {unit} | {} | {} | {} | {} | {} |", cell(n), cell(r), ratio(r, n), spread(n), spread(r));
            if base_date.is_some() {
                let _ = write!(line, " {} |", base_ratio(label, path).map_or("–".to_string(), |x| format!("{x:.2}")));
            }
            if with_ceiling {
                let _ = write!(line, " {} |", cell(st("echo", path)));
            }
            let fo = |t: &str| st(t, "meter.cores.1.foreign_pct").map_or("–".to_string(), |s| format!("{:.0}", s.median));
            let _ = write!(line, " {}/{} |", fo("node"), fo("rust"));
            if with_counts {
                let c = |t: &str| g.by_target.get(t).map_or("–".to_string(), |ss| counts(ss));
                let _ = write!(line, " {}; {} |", c("node"), c("rust"));
            }
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md);
    };
    let msgs = |s: &str| matches!(s, "fanout" | "ingest" | "ingest_mid" | "ingest_max" | "ack_rtt" | "connect");
    table(
        &mut md,
        "Primary figure: server CPU microseconds per delivered unit",
        "per_msg_us",
        &msgs,
        true,
        true,
        "utime + stime of the server process from `/proc/PID/stat` over the scenario, divided by what was delivered (fan-out: per delivery to one socket; ingest: per client message, which includes its ack and its one delivery; ack round trip: per round trip; connect: per connection). Lower is better. Counts are totals over the measured rounds.",
    );
    let cpu_scenarios = |s: &str| matches!(s, "fanout" | "ingest" | "ingest_mid" | "ingest_max" | "ack_rtt");
    table(&mut md, "Server user CPU µs per delivered unit", "cpu_split.per_msg_user_us", &cpu_scenarios, false, false, "utime of the server process (`/proc/PID/stat`), per unit as above: the server's own code, its runtime and its libraries.");
    table(&mut md, "Server kernel CPU µs per delivered unit", "cpu_split.per_msg_sys_us", &cpu_scenarios, false, false, "stime: system calls on the server's behalf (socket reads and writes over loopback, epoll); a cost neither server's code avoids except by making fewer calls.");
    table(&mut md, "Kernel share of the server's CPU (%)", "cpu_split.sys_share_pct", &cpu_scenarios, false, false, "stime / (utime + stime) per scenario, median over rounds.");
    table(&mut md, "Latency p50 (µs)", "latency.p50_us", &|s| matches!(s, "fanout" | "ingest" | "ingest_mid" | "ingest_max" | "ack_rtt" | "connect"), true, false, "Open loop for fan-out and ingest (measured from the scheduled send time, so a lagging client or server shows up); closed loop for the ack round trip, ingest max and connect (handshake including auth).");
    table(&mut md, "Latency p99 (µs)", "latency.p99_us", &|s| matches!(s, "fanout" | "ingest" | "ingest_mid" | "ingest_max" | "ack_rtt" | "connect"), true, false, "");
    table(&mut md, "Throughput (units per second)", "rate_per_s", &|s| matches!(s, "ingest_max" | "ack_rtt" | "connect"), true, false, "Closed loop: the sustainable rate with the given concurrency (connect: handshakes per second with 100 in flight, auth included). See the load generator CPU table: when it is near 100 % the client is the limit.");
    table(&mut md, "Idle memory per connection (RSS bytes per socket)", "bytes_per_socket", &|s| s == "idle_memory", true, true, "Least-squares slope of the server's RSS over 1/10..10/10 of the sockets, connected and idle (Node: RSS, not heap).");
    table(&mut md, "Load generator CPU % (is the client the limit?)", "meter.client_cpu_pct", &msgs, true, false, "");

    let _ = writeln!(md, "## Drops\n");
    let mut any_drop = false;
    for smp in &samples {
        let d = get(smp, "dropped").unwrap_or(0.0) + get(smp, "deliveries_dropped").unwrap_or(0.0);
        if d > 0.0 && !matches!(smp["scenario"].as_str(), Some("summary")) {
            any_drop = true;
            let _ = writeln!(
                md,
                "- {} round {}{}: **{d:.0} dropped** in {} (server CPU {:.0} %, other load on the server core {:.0} %, load generator CPU {:.0} %; emit_drops counter of the server process so far = {}).",
                smp["target"].as_str().unwrap_or("?"),
                smp["round"],
                if smp["round"].as_u64().unwrap_or(0) < a.drop_rounds { " (warm-up round)" } else { "" },
                smp["label"].as_str().unwrap_or("?"),
                get(smp, "meter.server_cpu_pct").unwrap_or(f64::NAN),
                get(smp, "meter.cores.1.foreign_pct").unwrap_or(f64::NAN),
                get(smp, "meter.client_cpu_pct").unwrap_or(f64::NAN),
                smp["server_stats"]["emit_drops"],
            );
        }
    }
    if any_drop {
        let _ = writeln!(
            md,
            "\nsocketioxide drops a server-to-client message when the socket's buffer (the runtime's `max_buffer_size`, 256 packets) is full and the runtime counts it in `emit_drops`; Node's socket.io buffers without bound (latency and memory grow instead).\n"
        );
    } else {
        let _ = writeln!(md, "None: every expected message and ack arrived in every round.\n");
    }
    let _ = writeln!(md, "## Notes\n");
    for (k, v) in &a.meta {
        if let Some(note) = k.strip_prefix("note_") {
            let _ = writeln!(md, "- {note}: {v}");
        }
    }
    if let Err(e) = std::fs::write(&a.md, md) {
        eprintln!("error: cannot write {}: {e}", a.md);
        return std::process::ExitCode::FAILURE;
    }
    eprintln!("wrote {} and {}", a.json, a.md);
    std::process::ExitCode::SUCCESS
}
