//! `bench-gateway`: the Rez gateway (`rez_realtime::gateway::start`, the same code and defaults
//! as `rez-gateway`) plus a loopback control port that emits `score-update` to a tournament room
//! on demand, so `tests/bench/scaleout.sh` can drive 1 -> N fan-out from one node.
//!
//! Usage: `bench-gateway [--addr 127.0.0.1:0] [--redis URL]`; the JWT secret comes from
//! `SWITCHBOARD_JWT_SECRET`. Prints one line `{"port":P,"control":C,"pid":PID}` once listening.
//!
//! Control (HTTP on 127.0.0.1, port C):
//! - `GET /emit?room=ID&n=N&gap_us=G&seq=S`: emits N `score-update` events to `tournament-ID`,
//!   one every G microseconds (open loop, from the start time), `newRank` = S, S+1, ... and
//!   `newScore` = the emit time in microseconds since the Unix epoch (the receiver's latency
//!   clock). Answers `{"emitted":N,"failed":F,"first_error":...,"elapsed_us":T}` when done.
//! - `GET /stats`: the runtime's counters as JSON.

use rez_realtime::gateway::{self, GatewayConfig};
use rez_realtime::types::TournamentScoreUpdatePayload;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Args {
    addr: SocketAddr,
    redis: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { addr: SocketAddr::from(([127, 0, 0, 1], 0)), redis: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addr = val()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--redis" => a.redis = Some(val()?).filter(|u| !u.is_empty()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Emits `n` score updates to `tournament-{room}`, paced from the start so a slow emit does
/// not shift the later ones (open loop).
async fn emit(gw: &gateway::Gateway, q: &HashMap<String, String>) -> Value {
    let num = |k: &str, d: u64| q.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(d);
    let room = q.get("room").cloned().unwrap_or_else(|| "t-1".into());
    let (n, gap, seq) = (num("n", 1), Duration::from_micros(num("gap_us", 0)), num("seq", 0));
    let start = Instant::now();
    let (mut failed, mut first_error) = (0u64, Value::Null);
    for i in 0..n {
        let due = start + gap * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let p = TournamentScoreUpdatePayload {
            tournament_id: room.clone(),
            user_id: "bench".into(),
            new_score: now_us() as f64,
            new_rank: (seq + i) as i64,
            timestamp: switchboard_runtime::Timestamp::now(),
        };
        if let Err(e) = gw.emitter.score_update(&p).await {
            failed += 1;
            if first_error.is_null() {
                first_error = Value::String(e.to_string());
            }
        }
    }
    json!({ "emitted": n - failed, "failed": failed, "first_error": first_error, "elapsed_us": start.elapsed().as_micros() as u64 })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let secret = std::env::var("SWITCHBOARD_JWT_SECRET").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| gateway::DEV_SECRET.into());
    let config = GatewayConfig { addr: args.addr, jwt_secret: secret.into_bytes(), redis_url: args.redis, ..GatewayConfig::default() };
    let gw = match gateway::start(config).await {
        Ok(g) => std::sync::Arc::new(g),
        Err(e) => {
            eprintln!("error: cannot start the gateway: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (g1, g2) = (gw.clone(), gw.clone());
    let control = axum::Router::new()
        .route(
            "/emit",
            axum::routing::get(move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| {
                let gw = g1.clone();
                async move { axum::Json(emit(&gw, &q).await) }
            }),
        )
        .route(
            "/stats",
            axum::routing::get(move || {
                let gw = g2.clone();
                async move { axum::Json(serde_json::to_value(gw.runtime.metrics().snapshot()).unwrap_or(Value::Null)) }
            }),
        );
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", 0)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot bind the control port: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let control_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("{}", json!({ "port": gw.addr.port(), "control": control_port, "pid": std::process::id() }));
    tokio::select! {
        r = axum::serve(listener, control) => {
            if let Err(e) = r {
                eprintln!("error: control server: {e}");
            }
        }
        _ = tokio::signal::ctrl_c() => {}
    }
    std::process::ExitCode::SUCCESS
}
