//! One room member: a raw Engine.IO 4 / Socket.IO 5 socket that joins tournament rooms and
//! counts the `score-update` events it receives (latency from the emit time in `newScore`).

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use switchboard_bench::Hist;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// What every member reports into, reset per measurement by the driver.
#[derive(Default)]
pub struct Shared {
    /// `score-update` events received (all members, since the start).
    pub received: AtomicU64,
    /// Events whose sequence was not above the member's last one (repeated or reordered).
    pub out_of_order: AtomicU64,
    /// Frames that were neither pings nor parseable `score-update` events.
    pub other: AtomicU64,
    /// Latency from emit to receipt, nanoseconds.
    pub hist: Mutex<Hist>,
    /// Members whose link ended before they were told to close.
    pub lost: AtomicU64,
}

/// Microseconds since the Unix epoch (the gateway stamps its emits with the same clock).
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Err(_) => return Err("no frame within 10 s".into()),
            Ok(None) => return Err("link closed".into()),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Reads frames, answering pings, until `pick` takes one.
async fn until<T>(ws: &mut Ws, pick: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    loop {
        let f = next_text(ws).await?;
        if f == "2" {
            ws.send(Message::text("3")).await.map_err(|e| e.to_string())?;
        } else if let Some(v) = pick(&f) {
            return Ok(v);
        }
    }
}

/// The body (after the id) of the ack with `id`.
pub async fn wait_ack(ws: &mut Ws, id: u64) -> Result<String, String> {
    let prefix = format!("43{id}");
    until(ws, |f| f.strip_prefix(&prefix).map(str::to_string)).await
}

/// TCP from 127.0.0.(2..17) (ephemeral ports spread over source addresses, and at most
/// 1,000 connections per source address, the gateway's per-IP cap), WebSocket upgrade,
/// Engine.IO open, Socket.IO CONNECT with `auth.token`.
pub async fn connect(i: usize, server: SocketAddr, token: &str) -> Result<Ws, String> {
    let src = Ipv4Addr::new(127, 0, 0, 2 + (i % 16) as u8);
    let sock = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::from((src, 0))).map_err(|e| format!("bind {src}: {e}"))?;
    let tcp = sock.connect(server).await.map_err(|e| format!("connect {server}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://{server}/socket.io/?EIO=4&transport=websocket");
    // Small read buffers: tungstenite's default (128 KiB) times 10k sockets is 1.3 GB.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await.map_err(|e| format!("upgrade: {e}"))?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with("0{") {
        return Err(format!("expected an Engine.IO open packet, got {open:.80}"));
    }
    ws.send(Message::text(format!("40{{\"token\":\"{token}\"}}"))).await.map_err(|e| e.to_string())?;
    // CONNECT answered: `40{"sid":..}`, or `44{"message":..}` when refused.
    let answer = until(&mut ws, |f| (f.starts_with("40") || f.starts_with("44")).then(|| f.to_string())).await?;
    if answer.starts_with("44") { Err(format!("connect refused: {answer:.200}")) } else { Ok(ws) }
}

/// Joins `tournament-{id}` (`join-tournament`, a bare id) and checks the ack.
pub async fn join(ws: &mut Ws, ack_id: u64, tournament: &str) -> Result<(), String> {
    ws.send(Message::text(format!("42{ack_id}[\"join-tournament\",\"{tournament}\"]"))).await.map_err(|e| e.to_string())?;
    let body = wait_ack(ws, ack_id).await?;
    if body.contains("\"ok\":true") { Ok(()) } else { Err(format!("join {tournament} refused: {body:.200}")) }
}

/// `(newRank, newScore)` of a `score-update` frame: the driver's sequence and emit time (µs).
pub fn score_update(frame: &str) -> Option<(Value, u64, u64)> {
    let body = frame.strip_prefix("42[\"score-update\",")?;
    let v: Value = serde_json::from_str(&format!("[{body}")).ok()?;
    let p = v.get(0)?;
    let seq = p.get("newRank")?.as_u64()?;
    let at = p.get("newScore")?.as_f64()? as u64;
    Some((v, seq, at))
}

/// Reads until `stop` says so: answers pings, counts `score-update` events.
pub async fn run(mut ws: Ws, sh: std::sync::Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut last_seq: Option<u64> = None;
    loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return;
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if t.as_str() == "2" {
                        let _ = ws.send(Message::text("3")).await;
                    } else if let Some((_, seq, at)) = score_update(t.as_str()) {
                        let lat_ns = now_us().saturating_sub(at) * 1000;
                        if let Ok(mut h) = sh.hist.lock() {
                            h.record(lat_ns);
                        }
                        sh.received.fetch_add(1, Ordering::Relaxed);
                        if last_seq.is_some_and(|l| seq <= l) {
                            sh.out_of_order.fetch_add(1, Ordering::Relaxed);
                        }
                        last_seq = Some(seq);
                    } else {
                        sh.other.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    sh.lost.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}
