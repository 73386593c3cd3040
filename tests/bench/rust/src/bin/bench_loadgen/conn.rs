//! One socket: the handshake, the frame loop that counts deliveries and acks, and the
//! shared counters every socket task updates.

use crate::Opts;
use futures_util::{SinkExt, StreamExt};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Instant;
use switchboard_bench::Hist;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

// Shared counters (one thread: Cell/RefCell).

pub(crate) struct Shared {
    pub(crate) base: Instant,
    pub(crate) echo: bool,
    pub(crate) phase: Cell<u32>,
    pub(crate) delivered: Cell<u64>,
    pub(crate) stale: Cell<u64>,
    pub(crate) acks_ok: Cell<u64>,
    pub(crate) acks_err: Cell<u64>,
    pub(crate) disconnects: Cell<u64>,
    /// Engine.IO pings received (all sockets): a heartbeat burst of every socket at once costs
    /// the single-threaded server a burst of work; the drop analysis compares it with drops.
    pub(crate) pings: Cell<u64>,
    pub(crate) lat_deliver: RefCell<Hist>,
    pub(crate) lat_ack: RefCell<Hist>,
    pub(crate) first_ack_error: RefCell<Option<String>>,
}

impl Shared {
    pub(crate) fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    pub(crate) fn reset(&self, phase: u32) {
        self.phase.set(phase);
        self.delivered.set(0);
        self.stale.set(0);
        self.acks_ok.set(0);
        self.acks_err.set(0);
        *self.lat_deliver.borrow_mut() = Hist::default();
        *self.lat_ack.borrow_mut() = Hist::default();
    }
}

pub(crate) enum Cmd {
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

pub(crate) async fn run_conn(mut ws: Ws, mut rx: mpsc::UnboundedReceiver<Cmd>, sh: Rc<Shared>) {
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
pub(crate) async fn connect(i: usize, o: &Opts, token: &str) -> Result<Ws, String> {
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

pub(crate) fn text_of(phase: u32, sched: u64, len: usize) -> String {
    let mut t = format!("{phase}:{sched}:");
    while t.len() < len {
        t.push('x');
    }
    t
}
