//! The adversarial suite against the Rez gateway (issue 16, section 2): auth, room
//! authorization, framing, payloads, floods. Each case asserts the exact answer (or a clean close
//! of that connection only), then a probe client's round trip proves the gateway still serves
//! others within `PROBE_BOUND`, and the metrics count what was refused. Memory bounds are proved
//! where memory could grow (`event_lane.rs`, `listener.rs`, `slow_consumer.rs`); a per-case RSS
//! figure is meaningless here because the test process hosts other tests.

use futures_util::SinkExt;
use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use std::collections::BTreeMap;
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use switchboard_tests::raw;
use tokio_tungstenite::tungstenite::Message;

/// A fresh client connects and gets its heartbeat answered within this, whatever a case did.
const PROBE_BOUND: Duration = Duration::from_secs(3);

async fn gateway() -> Gateway {
    gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap()
}

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, None, 600)
}

fn text(s: impl Into<String>) -> Message {
    Message::Text(s.into().into())
}

/// Sends one event and returns its answer.
async fn ask(ws: &mut raw::Ws, id: u64, event: &str, payload: serde_json::Value) -> serde_json::Value {
    ws.send(raw::event_frame(id, event, &payload)).await.unwrap();
    ack_of(ws, id).await
}

async fn ack_of(ws: &mut raw::Ws, id: u64) -> serde_json::Value {
    loop {
        let frame = raw::next_text(ws).await.unwrap_or_else(|| panic!("no answer to ack id {id}"));
        if let Some((got, answer)) = raw::parse_ack(&frame)
            && got == id
        {
            return answer;
        }
    }
}

/// The gateway still serves: a new socket connects and its heartbeat is answered in time.
async fn probe(gw: &Gateway) {
    let round = async {
        let mut ws = raw::connect_ok(gw.addr, &token("probe")).await;
        let answer = ask(&mut ws, 1, "heartbeat", serde_json::json!({ "timestamp": "2026-12-02T00:00:00.000Z" })).await;
        assert_eq!(answer["ok"], true, "{answer}");
    };
    tokio::time::timeout(PROBE_BOUND, round).await.expect("the probe's round trip stayed within the bound");
}

fn code(answer: &serde_json::Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or(if answer["ok"] == true { "ok" } else { "?" })
}

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

async fn connect_answer(gw: &Gateway, connect: &str) -> String {
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", gw.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    raw::next_text(&mut ws).await.expect("open");
    ws.send(text(connect)).await.unwrap();
    raw::next_text(&mut ws).await.expect("an answer to CONNECT")
}

const REFUSED: &str = r#"44{"message":"Invalid or expired token"}"#;
const MISSING: &str = r#"44{"message":"Authentication required"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_every_bad_token_is_refused_with_its_message() {
    use base64::Engine as _;
    let gw = gateway().await;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let good = token("u1");
    let parts: Vec<&str> = good.split('.').collect();
    let forged = JwtHs256::mint(b"not-the-secret", "u1", None, 600);
    let alg_none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let swapped = format!("{}.{}.{}", parts[0], b64(r#"{"userId":"admin","exp":4102444800}"#), parts[2]);
    let signed = |claims: &str| {
        use hmac_free::sign;
        sign(parts[0], &b64(claims))
    };
    let expired = signed(r#"{"userId":"u1","exp":1000}"#);
    let not_yet = signed(r#"{"userId":"u1","exp":4102444800,"nbf":4102440000}"#);
    let cases: Vec<(&str, String, &str)> = vec![
        ("no auth object", "40".into(), MISSING),
        ("empty token", r#"40{"token":""}"#.into(), MISSING),
        ("token not a string", r#"40{"token":42}"#.into(), MISSING),
        ("malformed", r#"40{"token":"abc"}"#.into(), REFUSED),
        ("forged signature", format!(r#"40{{"token":"{forged}"}}"#), REFUSED),
        ("alg none", format!(r#"40{{"token":"{alg_none}"}}"#), REFUSED),
        ("claims swapped under a valid signature", format!(r#"40{{"token":"{swapped}"}}"#), REFUSED),
        ("expired", format!(r#"40{{"token":"{expired}"}}"#), REFUSED),
        ("not yet valid (nbf)", format!(r#"40{{"token":"{not_yet}"}}"#), REFUSED),
        ("oversized (9 KiB)", format!(r#"40{{"token":"{}"}}"#, "a".repeat(9 * 1024)), REFUSED),
    ];
    for (name, frame, want) in &cases {
        assert_eq!(connect_answer(&gw, frame).await, *want, "{name}");
    }
    assert_eq!(gw.runtime.metrics().snapshot().auth_failures, cases.len() as u64);
    probe(&gw).await;
    gw.abort();
}

/// Tokens signed with the gateway's development secret, for claims the minting helper cannot
/// make (past `exp`, future `nbf`).
mod hmac_free {
    pub fn sign(header: &str, claims: &str) -> String {
        use base64::Engine as _;
        let input = format!("{header}.{claims}");
        let mac = switchboard_runtime::server::auth::hs256(rez_realtime::gateway::DEV_SECRET.as_bytes(), input.as_bytes());
        format!("{input}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_a_token_in_the_query_string_is_not_read() {
    let gw = gateway().await;
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket&token={}", gw.addr, token("u1"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    raw::next_text(&mut ws).await.expect("open");
    ws.send(text("40")).await.unwrap();
    assert_eq!(raw::next_text(&mut ws).await.as_deref(), Some(MISSING));
    probe(&gw).await;
    gw.abort();
}

// ---------------------------------------------------------------------------------------------
// Room authorization
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_of_other_users_are_forbidden_in_every_spelling() {
    let gw = gateway().await;
    let mut u2 = raw::connect_ok(gw.addr, &token("u2")).await;
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("subscribe:order", serde_json::json!({ "orderId": "o-100" })),
        ("subscribe:order", serde_json::json!({ "orderId": "O-100" })),
        ("subscribe:order", serde_json::json!({ "orderId": " o-100" })),
        ("subscribe:order", serde_json::json!({ "orderId": "o-100\u{0}" })),
        ("subscribe:order", serde_json::json!({ "orderId": "../o-100" })),
        ("subscribe:order", serde_json::json!({ "orderId": "ord-u1-1" })),
        ("subscribe:cart", serde_json::json!({ "cartId": "cart-u1" })),
        ("subscribe:chat", serde_json::json!({ "chatId": "dm-u1-u3" })),
    ];
    let n = cases.len() as u64;
    for (id, (event, payload)) in cases.into_iter().enumerate() {
        let answer = ask(&mut u2, id as u64, event, payload.clone()).await;
        assert_eq!(code(&answer), "forbidden", "{event} {payload}: {answer}");
    }
    assert_eq!(gw.runtime.metrics().snapshot().denied_joins, n);
    // The own order is allowed (the policy is not simply "deny").
    assert_eq!(code(&ask(&mut u2, 99, "subscribe:order", serde_json::json!({ "orderId": "o-200" })).await), "ok");
    probe(&gw).await;
    gw.abort();
}

/// Sends `frames` while reading: returns the answers by ack id (a reader that keeps up, so no
/// ack is lost to a full socket buffer).
async fn pipelined(ws: raw::Ws, frames: Vec<Message>, ids: usize) -> BTreeMap<u64, serde_json::Value> {
    let (mut tx, mut rx) = futures_util::StreamExt::split(ws);
    let reader = tokio::spawn(async move {
        let mut got = BTreeMap::new();
        while got.len() < ids {
            // Quiet for 2 s: the rest were dropped (and counted) by a full socket buffer.
            let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(2), futures_util::StreamExt::next(&mut rx)).await else { break };
            if let Some((id, a)) = m.to_text().ok().and_then(raw::parse_ack) {
                got.insert(id, a);
            }
        }
        got
    });
    tx.send_all(&mut futures_util::stream::iter(frames.into_iter().map(Ok))).await.unwrap();
    reader.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_thousands_of_rooms_is_bounded_and_every_join_answered() {
    let gw = gateway().await;
    let ws = raw::connect_ok(gw.addr, &token("u1")).await;
    let frames = (0..1000u64).map(|i| raw::event_frame(i, "subscribe:product", &serde_json::json!({ "productId": format!("p-{i}") }))).collect();
    let answers = pipelined(ws, frames, 1000).await;
    // Refusals come faster than a socket's buffer (256 packets) drains: an ack that finds it
    // full is dropped and counted, never silent.
    let lost = gw.runtime.metrics().snapshot().ack_send_failures;
    assert_eq!(answers.len() as u64 + lost, 1000, "every join answered or its lost ack counted");
    let mut codes = BTreeMap::<String, u64>::new();
    for a in answers.values() {
        *codes.entry(code(a).to_string()).or_default() += 1;
    }
    // At most 255 product rooms beside the user room; the 20/s bucket and the 128-event lane
    // refuse the rest first.
    let ok = codes.get("ok").copied().unwrap_or(0);
    assert!(ok <= 255, "{codes:?}");
    assert!(codes.keys().all(|c| ["ok", "rate_limited", "too_many_rooms"].contains(&c.as_str())), "{codes:?}");
    let m = gw.runtime.metrics().snapshot();
    assert_eq!(m.events_ok + m.rate_limited + m.queue_full + m.denied_joins, 1000, "every join counted once: {m:?}");
    probe(&gw).await;
    gw.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_socket_over_its_rate_limit_is_refused_then_served_again() {
    let gw = gateway().await;
    let ws = raw::connect_ok(gw.addr, &token("u1")).await;
    let frames = (0..25u64).map(|i| raw::event_frame(i, "subscribe:product", &serde_json::json!({ "productId": format!("p-{i}") }))).collect();
    let started = std::time::Instant::now();
    let answers = pipelined(ws, frames, 25).await;
    let elapsed = started.elapsed();
    let limited = answers.values().filter(|a| code(a) == "rate_limited").count();
    // A burst of 20 passes; the bucket refills 20/s, so tokens come back meanwhile (more of them
    // when a loaded machine takes longer over the 25).
    let refilled = (elapsed.as_secs_f64() * 20.0).ceil() as usize;
    assert!(limited <= 5 && limited + refilled >= 5, "{limited} of 25 refused in {elapsed:?}: {answers:?}");
    assert!(answers.range(0..20).all(|(_, a)| code(a) == "ok"), "the first 20 fit the burst");
    assert_eq!(gw.runtime.metrics().snapshot().rate_limited, limited as u64);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = raw::connect_ok(gw.addr, &token("u1")).await;
    assert_eq!(code(&ask(&mut again, 1, "subscribe:product", serde_json::json!({ "productId": "p-x" })).await), "ok", "tokens come back");
    probe(&gw).await;
    gw.abort();
}

// ---------------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------------

/// Sends `frame` on an authenticated socket; returns whether the server closed the connection.
async fn frame_closes(gw: &Gateway, frame: Message) -> bool {
    let mut ws = raw::connect_ok(gw.addr, &token("u1")).await;
    ws.send(frame).await.unwrap();
    // A heartbeat after the frame: answered when the connection survived.
    if ws.send(raw::event_frame(77, "heartbeat", &serde_json::json!({ "timestamp": "2026-12-02T00:00:00.000Z" }))).await.is_err() {
        return true;
    }
    loop {
        match raw::next_text(&mut ws).await {
            None => return true,
            Some(f) if f == "1" => return true,
            Some(f) if f.starts_with("4377") => return false,
            Some(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing_garbage_closes_only_that_connection() {
    let gw = gateway().await;
    let closing = [
        ("unknown Engine.IO packet type", text("9")),
        ("unknown Socket.IO packet type", text(r#"49["x"]"#)),
        ("not JSON after the packet type", text("42{{{")),
        ("NaN is not JSON", text(r#"421["subscribe:product",{"productId":NaN}]"#)),
        ("attachment count lies", text(r#"451-["heartbeat",{"_placeholder":true,"num":0}]"#)),
        ("non-string event name", text("42[42,{}]")),
        ("binary frame (not UTF-8 either)", Message::Binary(vec![0xffu8, 0xfe, 0, 1].into())),
    ];
    for (name, frame) in closing {
        assert!(frame_closes(&gw, frame).await, "{name}: the connection is closed");
        probe(&gw).await;
    }
    // Held, not closed: an ack id beyond i64 and a second CONNECT; the next event is answered.
    assert!(!frame_closes(&gw, text(format!(r#"42{}["heartbeat",{{}}]"#, "9".repeat(40)))).await, "huge ack id");
    assert!(!frame_closes(&gw, text(format!(r#"40{{"token":"{}"}}"#, token("u2")))).await, "CONNECT twice");
    probe(&gw).await;
    gw.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_namespace_is_refused() {
    let gw = gateway().await;
    let answer = connect_answer(&gw, &format!(r#"40/admin,{{"token":"{}"}}"#, token("u1"))).await;
    assert_eq!(answer, r#"44/admin,{"message":"Invalid namespace"}"#);
    probe(&gw).await;
    gw.abort();
}

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

/// One payload on a fresh socket: its answer.
async fn answer_to(gw: &Gateway, frame: String) -> serde_json::Value {
    let mut ws = raw::connect_ok(gw.addr, &token("u1")).await;
    ws.send(text(frame)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), ack_of(&mut ws, 1)).await.expect("answered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_payloads_get_exact_answers() {
    let gw = gateway().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let a = answer_to(&gw, format!(r#"421["subscribe:product",{{"productId":"p","extra":{deep}}}]"#)).await;
    assert_eq!(code(&a), "invalid_payload", "deep nesting: {a}");
    assert!(a["error"]["message"].as_str().unwrap().starts_with("the payload is not valid JSON: recursion limit exceeded"), "{a}");
    // Duplicate keys: the last one wins, as in JavaScript's JSON.parse.
    let a = answer_to(&gw, r#"421["subscribe:product",{"productId":"a","productId":"b"}]"#.into()).await;
    assert_eq!(code(&a), "ok", "duplicate keys: {a}");
    let a = answer_to(&gw, r#"421["subscribe:product",{"productId":9007199254740993}]"#.into()).await;
    assert_eq!((code(&a), a["error"]["field"].as_str()), ("invalid_payload", Some("productId")), "beyond 2^53: {a}");
    // `__proto__` is an unknown field like any other: ignored (readers are tolerant).
    let a = answer_to(&gw, r#"421["subscribe:product",{"__proto__":{"admin":true},"productId":"p-1"}]"#.into()).await;
    assert_eq!(code(&a), "ok", "__proto__: {a}");
    let a = answer_to(&gw, r#"421["subscribe:product",{"productId":1e400}]"#.into()).await;
    assert_eq!(a["error"]["message"], "the payload is not valid JSON: number out of range at line 1 column 39", "1e400: {a}");
    let a = answer_to(&gw, r#"421["subscribe:product",{"productId":"\ud800"}]"#.into()).await;
    assert_eq!(code(&a), "invalid_payload", "a lone surrogate escape: {a}");
    // Size at and over the limit (64 KiB for subscribe:product): the padding is an unknown field.
    let base = serde_json::json!({ "productId": "p", "pad": "" }).to_string().len();
    let at = serde_json::json!({ "productId": "p", "pad": "x".repeat(65_536 - base) });
    assert_eq!(at.to_string().len(), 65_536);
    let over = serde_json::json!({ "productId": "p", "pad": "x".repeat(65_537 - base) });
    assert_eq!(code(&answer_to(&gw, format!(r#"421["subscribe:product",{at}]"#)).await), "ok", "exactly at the limit");
    assert_eq!(code(&answer_to(&gw, format!(r#"421["subscribe:product",{over}]"#)).await), "payload_too_large", "one byte over");
    // A link other clients open must be a web URL (`format: uri`, schemes [https]): `javascript:`
    // in any spelling is refused and the field named; an https link is accepted.
    let send = |url: &str| format!(r#"421["chat:send_message",{}]"#, serde_json::json!({"chatId": "c-1", "message": "see", "timestamp": "2026-12-03T00:00:00Z", "attachments": [{"type": "file", "url": url}]}));
    for url in ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "http://cdn.example.com/a.png"] {
        let a = answer_to(&gw, send(url)).await;
        assert_eq!((code(&a), a["error"]["field"].as_str()), ("invalid_payload", Some("attachments[0].url")), "{url}: {a}");
    }
    assert_eq!(code(&answer_to(&gw, send("https://cdn.example.com/a.png")).await), "ok", "an https link");
    let m = gw.runtime.metrics().snapshot();
    assert_eq!((m.invalid_payloads, m.too_large), (8, 1), "{m:?}");
    probe(&gw).await;
    gw.abort();
}

/// Long-polling abuse: one sid polled again and again without ever sending CONNECT. The session
/// ends at `connect_timeout` (the open poll gets the close packet) and the sid is refused after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_polling_session_that_never_connects_ends_at_the_connect_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = rez_realtime::server::ServerConfig { connect_timeout: Duration::from_secs(1), ..Default::default() };
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), server, ..GatewayConfig::default() }).await.unwrap();
    let addr = gw.addr;
    let get = move |path: String| async move {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
        let mut body = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut body)).await;
        String::from_utf8_lossy(&body).to_string()
    };
    let open = get("/socket.io/?EIO=4&transport=polling".into()).await;
    let sid = open.split("\"sid\":\"").nth(1).and_then(|r| r.split('"').next()).expect("a sid").to_string();
    let poll = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let started = std::time::Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(5) {
        last = get(poll.clone()).await;
        if !last.starts_with("HTTP/1.1 200") || last.ends_with("\r\n\r\n1") {
            break;
        }
    }
    assert!(last.ends_with("\r\n\r\n1") || last.starts_with("HTTP/1.1 400"), "the session was closed: {last}");
    assert!(started.elapsed() < Duration::from_secs(10), "within the connect timeout (1 s) and a poll (with room for a loaded machine)");
    let after = get(poll).await;
    assert!(after.starts_with("HTTP/1.1 400") && after.contains("Session ID unknown"), "{after}");
    probe(&gw).await;
    gw.abort();
}
