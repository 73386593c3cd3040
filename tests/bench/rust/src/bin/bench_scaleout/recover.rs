//! Recovery replay cost: clients that missed K events reconnect and ask `_recover`; the time to
//! the answer and the server (and Redis) CPU per replayed event.

use crate::member::{self, Ws};
use crate::probe::{self, Proc};
use futures_util::SinkExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// One recovery measurement.
pub struct Step<'a> {
    /// Where the clients are before the cut.
    pub before: SocketAddr,
    /// Where they reconnect (and recover).
    pub after: SocketAddr,
    /// Control port of the node that emits.
    pub control: u16,
    /// Tournament id of a room used by this step only (its history starts empty).
    pub room: String,
    /// Events missed.
    pub k: u64,
    /// Tokens of the recovering clients (one user each).
    pub tokens: &'a [String],
    /// First sequence number to emit with.
    pub seq: u64,
    /// Processes whose CPU counts (serving node, Redis).
    pub procs: &'a [Proc],
    pub redis_port: Option<u16>,
}

/// The `_rec` position of `room` in a `score-update` frame: `(epoch, offset)`.
fn position(frame: &Value, room: &str) -> Option<(Value, u64)> {
    let recs = frame.get(1)?.get("_rec")?.as_array()?;
    let r = recs.iter().find(|r| r.get("room").and_then(Value::as_str) == Some(room))?;
    Some((r.get("epoch")?.clone(), r.get("offset")?.as_u64()?))
}

async fn first_position(ws: &mut Ws, room: &str) -> Result<(Value, u64), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, futures_util::StreamExt::next(ws)).await.map_err(|_| "no positioned event within 10 s".to_string())?;
        match msg {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => ws.send(Message::text("3")).await.map_err(|e| e.to_string())?,
            Some(Ok(Message::Text(t))) => {
                if let Some(pos) = member::score_update(t.as_str()).and_then(|(v, _, _)| position(&v, room)) {
                    return Ok(pos);
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("link closed".into()),
        }
    }
}

async fn emit(control: u16, room: &str, n: u64, seq: u64) -> Result<Value, String> {
    let r = probe::http_json(control, &format!("/emit?room={room}&n={n}&gap_us=0&seq={seq}"), Duration::from_secs(120)).await?;
    if r.get("failed").and_then(Value::as_u64) != Some(0) {
        return Err(format!("emits failed: {r}"));
    }
    Ok(r)
}

async fn connect_joined(i: usize, addr: SocketAddr, token: &str, tournament: &str) -> Result<Ws, String> {
    let mut ws = member::connect(i, addr, token).await?;
    member::join(&mut ws, 1, tournament).await?;
    Ok(ws)
}

/// Runs one step; the answer is one JSON object (figures and checks).
pub async fn run(s: Step<'_>) -> Result<Value, String> {
    let full_room = format!("tournament-{}", s.room);
    let mut clients = Vec::new();
    for (i, t) in s.tokens.iter().enumerate() {
        clients.push(connect_joined(i, s.before, t, &s.room).await?);
    }
    emit(s.control, &s.room, 1, s.seq).await?;
    let mut positions = Vec::new();
    for ws in &mut clients {
        positions.push(first_position(ws, &full_room).await?);
    }
    // The cut: every client leaves, then the node emits K events to the room.
    for mut ws in clients.drain(..) {
        let _ = ws.close(None).await;
    }
    let cut = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emitted = emit(s.control, &s.room, s.k, s.seq + 1).await?;
    for (i, t) in s.tokens.iter().enumerate() {
        clients.push(connect_joined(i, s.after, t, &s.room).await?);
    }
    // Only the `_recover` round trips are inside the CPU window (clients already joined).
    let (cpu0, cmd0) = (probe::cpu_snap(s.procs), commands(s.redis_port).await?);
    let load = probe::loadavg();
    let t0 = Instant::now();
    let (mut times_us, mut replayed, mut problems) = (Vec::new(), 0u64, Vec::new());
    for (ws, (epoch, offset)) in clients.iter_mut().zip(&positions) {
        let gone_ms = cut.elapsed().as_millis() as u64 + 50;
        let ask = json!(["_recover", { "gone_ms": gone_ms, "rooms": [{ "room": full_room, "epoch": epoch, "offset": offset }] }]);
        let started = Instant::now();
        ws.send(Message::text(format!("427{ask}"))).await.map_err(|e| e.to_string())?;
        let body = member::wait_ack(ws, 7).await?;
        times_us.push(started.elapsed().as_micros() as u64);
        let ack: Value = serde_json::from_str(&body).map_err(|e| format!("_recover ack: {e}"))?;
        let data = &ack[0]["data"];
        let events = data["events"].as_array().cloned().unwrap_or_default();
        let seqs: Vec<u64> = events.iter().filter(|e| e["event"] == "score-update").filter_map(|e| e["data"]["newRank"].as_u64()).collect();
        let expected: Vec<u64> = (s.seq + 1..=s.seq + s.k).collect();
        if seqs != expected {
            problems.push(format!("replayed {} events, expected {} in order (first {:?})", seqs.len(), s.k, seqs.first()));
        }
        let status = data["rooms"].as_array().and_then(|r| r.iter().find(|r| r["room"] == full_room.as_str())).map(|r| r["status"].clone());
        if status != Some(json!("recovered")) {
            problems.push(format!("room status {status:?}"));
        }
        replayed += seqs.len() as u64;
    }
    let wall_us = t0.elapsed().as_micros() as u64;
    let (cpu1, cmd1) = (probe::cpu_snap(s.procs), commands(s.redis_port).await?);
    for mut ws in clients {
        let _ = ws.close(None).await;
    }
    times_us.sort_unstable();
    let median = times_us.get(times_us.len() / 2).copied().unwrap_or(0);
    Ok(json!({
        "k": s.k, "clients": s.tokens.len(), "replayed": replayed, "problems": problems,
        "emit_k": emitted, "recover_us_sorted": times_us, "recover_us_median": median,
        "wall_us": wall_us, "cpu": probe::cpu_delta(s.procs, &cpu0, &cpu1),
        "redis_commands": match (cmd0, cmd1) { (Some(a), Some(b)) => probe::commands_delta(&a, &b), _ => Value::Null },
        "loadavg_before": load, "loadavg_after": probe::loadavg(),
    }))
}

async fn commands(port: Option<u16>) -> Result<Option<std::collections::BTreeMap<String, (u64, u64)>>, String> {
    match port {
        Some(p) => probe::redis_commands(p).await.map(Some),
        None => Ok(None),
    }
}
