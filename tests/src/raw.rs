//! A raw Socket.IO client over one WebSocket, for tests that must send what no well-behaved
//! client would (floods, oversized frames) and read every frame the server writes.

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The WebSocket type.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the transport and sends CONNECT with `token`; returns the socket and the server's
/// answer to CONNECT (`40{"sid":..}` or `44{"message":..}`). Pings before it are answered.
pub async fn connect(addr: SocketAddr, token: &str) -> (Ws, String) {
    try_connect(addr, token).await.expect("the transport opens and CONNECT is answered")
}

/// Like [`connect`], `None` when the transport did not open or CONNECT got no answer.
pub async fn try_connect(addr: SocketAddr, token: &str) -> Option<(Ws, String)> {
    try_connect_ns(addr, "/", token).await
}

/// Like [`try_connect`] on namespace `ns`: CONNECT is `40{..}` for `/`, `40/ns,{..}` otherwise
/// (and the server's answers to another namespace carry the same `/ns,` prefix).
pub async fn try_connect_ns(addr: SocketAddr, ns: &str, token: &str) -> Option<(Ws, String)> {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(addr)).await.ok()?;
    let open = next_text(&mut ws).await?;
    assert!(open.starts_with('0'), "{open}");
    ws.send(connect_frame(ns, token)).await.ok()?;
    let answer = next_text(&mut ws).await?;
    Some((ws, answer))
}

/// Retries [`try_connect`] every 20 ms until the server accepts, for at most 5 s.
pub async fn connect_eventually(addr: SocketAddr, token: &str) -> Option<Ws> {
    let attempt = async {
        loop {
            if let Some((ws, answer)) = try_connect(addr, token).await
                && answer.starts_with("40{\"sid\"")
            {
                return ws;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), attempt).await.ok()
}

/// Like [`connect`], and asserts that the server accepted.
pub async fn connect_ok(addr: SocketAddr, token: &str) -> Ws {
    let (ws, answer) = connect(addr, token).await;
    assert!(answer.starts_with("40{\"sid\""), "CONNECT refused: {answer}");
    ws
}

/// Like [`connect_ok`], but returns only once Engine.IO's first ping came (and was answered).
/// engineioxide sends it when the session starts and closes a socket whose ping finds the
/// socket's buffer full, so a test that floods a socket with a small buffer waits for it first.
pub async fn connect_ok_after_first_ping(addr: SocketAddr, token: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(addr)).await.expect("a websocket");
    let (mut connected, mut pinged) = (false, false);
    while !(connected && pinged) {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        let Ok(Some(Ok(Message::Text(t)))) = frame else { panic!("no open, CONNECT answer and ping within 10 s: {frame:?}") };
        match t.as_str() {
            "2" => {
                ws.send(Message::Text("3".into())).await.expect("pong");
                pinged = true;
            }
            open if open.starts_with("0{") => ws.send(connect_frame("/", token)).await.expect("CONNECT"),
            answer if answer.starts_with("40{\"sid\"") => connected = true,
            other => panic!("unexpected frame before the first ping: {other}"),
        }
    }
    ws
}

/// The gateway's Engine.IO v4 WebSocket endpoint.
fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
}

/// Socket.IO CONNECT to `ns` with `auth.token`: `40{..}` for `/`, `40/ns,{..}` otherwise.
fn connect_frame(ns: &str, token: &str) -> Message {
    let prefix = if ns == "/" { String::new() } else { format!("{ns},") };
    Message::Text(format!("40{prefix}{{\"token\":\"{token}\"}}").into())
}

/// The next text frame, answering Engine.IO pings on the way; `None` when the socket closed or
/// nothing came within 10 s.
pub async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        let m = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(m))) => m,
            _ => return None,
        };
        match m {
            Message::Text(t) if t.as_str() == "2" => {
                ws.send(Message::Text("3".into())).await.ok()?;
            }
            Message::Text(t) => return Some(t.to_string()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// The frame of an event with an ack id: `42<id>["event",payload]`.
pub fn event_frame(id: u64, event: &str, payload: &serde_json::Value) -> Message {
    Message::Text(format!("42{id}{}", serde_json::json!([event, payload])).into())
}

/// Splits an ACK frame `43<id>[answer]` into its id and answer.
pub fn parse_ack(frame: &str) -> Option<(u64, serde_json::Value)> {
    let rest = frame.strip_prefix("43")?;
    let digits = rest.find('[')?;
    let id = rest[..digits].parse().ok()?;
    let mut args: Vec<serde_json::Value> = serde_json::from_str(&rest[digits..]).ok()?;
    Some((id, if args.is_empty() { serde_json::Value::Null } else { args.swap_remove(0) }))
}

/// Sends `event` with ack id `id` and returns the ack, keeping the other frames in `seen`.
pub async fn call(ws: &mut Ws, seen: &mut Vec<String>, id: u64, event: &str, payload: serde_json::Value) -> serde_json::Value {
    ws.send(event_frame(id, event, &payload)).await.expect("the frame is sent");
    loop {
        let frame = next_text(ws).await.unwrap_or_else(|| panic!("no ack for `{event}`"));
        match parse_ack(&frame) {
            Some((got, ack)) if got == id => return ack,
            _ => seen.push(frame),
        }
    }
}
