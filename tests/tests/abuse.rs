//! Adversarial cases against the runtime, each asserting the exact answer (security findings 5
//! and 6 of the adversarial run; the lane and listener findings are in `event_lane.rs` and
//! `listener.rs`). Served from the minimal fixture (`switchboard_tests::minimal`).

use futures_util::SinkExt;
use switchboard_runtime::server::{AuthError, Authenticator, Principal};
use switchboard_tests::fixtures::minimal::server::ServerConfig;
use switchboard_tests::minimal::{serve, serve_with, token};
use switchboard_tests::raw;

/// Accepts any token `user:<exp>`; the principal expires at `<exp>` (Unix seconds).
struct Expiring;

impl Authenticator for Expiring {
    fn authenticate<'a>(&'a self, token: &'a str) -> switchboard_runtime::server::auth::BoxFuture<'a, Result<Principal, AuthError>> {
        Box::pin(async move {
            let (user, exp) = token.split_once(':').ok_or(AuthError::Invalid)?;
            Ok(Principal { expires_at: Some(exp.parse().map_err(|_| AuthError::Invalid)?), ..Principal::new(user, None) })
        })
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn ask(ws: &mut raw::Ws, id: u64, payload: serde_json::Value) -> serde_json::Value {
    ws.send(raw::event_frame(id, "ping", &payload)).await.unwrap();
    loop {
        let frame = raw::next_text(ws).await.expect("an answer");
        if let Some((got, answer)) = raw::parse_ack(&frame) {
            assert_eq!(got, id);
            return answer;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_after_the_token_expired_are_refused_and_the_socket_closed() {
    let s = serve_with(Expiring, ServerConfig::default(), None).await;
    let mut live = raw::connect_ok(s.addr, &format!("u1:{}", now() + 3600)).await;
    assert_eq!(ask(&mut live, 1, serde_json::json!({})).await["ok"], true);
    // Already expired: the expiry watch closes the socket at once, racing the event. Either way
    // the event is never served: it is refused `forbidden` (the pipeline's check) or unanswered.
    let mut stale = raw::connect_ok(s.addr, &format!("u2:{}", now() - 1)).await;
    let _ = stale.send(raw::event_frame(1, "ping", &serde_json::json!({}))).await;
    let mut closed = false;
    for _ in 0..5 {
        match tokio::time::timeout(std::time::Duration::from_secs(5), raw::next_text(&mut stale)).await {
            Err(_) => break,
            Ok(None) => {
                closed = true;
                break;
            }
            Ok(Some(f)) if f.starts_with("41") || f == "1" => {
                closed = true;
                break;
            }
            Ok(Some(f)) => {
                let (id, answer) = raw::parse_ack(&f).unwrap_or_else(|| panic!("unexpected frame {f}"));
                assert_eq!(id, 1);
                assert_eq!(answer["error"]["code"], "forbidden", "{answer}");
                assert_eq!(answer["error"]["message"], "the token expired; reconnect with a new one");
            }
        }
    }
    assert!(closed, "the socket with the expired token was closed");
    assert_eq!(s.handlers.runs.load(std::sync::atomic::Ordering::SeqCst), 1, "only the live socket's ping ran");
    assert_eq!(ask(&mut live, 2, serde_json::json!({})).await["ok"], true, "other sockets are not affected");
    s.task.abort();
}

/// The next frames of `ws` until the server closes it (a DISCONNECT packet or the end of the
/// transport), at most `frames` of them, each within 5 s; true when it was closed. (Waiting less
/// than `raw::next_text`'s own 10 s keeps silence from counting as a close.)
async fn closed_by_server(ws: &mut raw::Ws, frames: usize) -> bool {
    for _ in 0..frames {
        match tokio::time::timeout(std::time::Duration::from_secs(5), raw::next_text(ws)).await {
            Err(_) => return false,
            Ok(None) => return true,
            Ok(Some(f)) if f.starts_with("41") || f == "1" => return true,
            Ok(Some(_)) => {}
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_when_its_token_expires() {
    let s = serve_with(Expiring, ServerConfig::default(), None).await;
    let mut live = raw::connect_ok(s.addr, &format!("u1:{}", now() + 3600)).await;
    // Expires in 1 s and never sends an event: only the expiry watch can close it.
    let started = std::time::Instant::now();
    let mut silent = raw::connect_ok(s.addr, &format!("u2:{}", now() + 1)).await;
    assert!(closed_by_server(&mut silent, 10).await, "the socket with the expired token was closed");
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_secs(1), "not closed before its expiry ({took:?})");
    assert_eq!(s.rt.metrics().snapshot().expired_closed, 1);
    assert_eq!(ask(&mut live, 1, serde_json::json!({})).await["ok"], true, "other sockets are not affected");
    assert_eq!(s.rt.metrics().snapshot().expired_closed, 1, "a valid socket is not closed");
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_payload_is_refused_not_read_positionally() {
    let s = serve(ServerConfig::default(), None).await;
    let mut ws = raw::connect_ok(s.addr, &token("u1")).await;
    let answer = ask(&mut ws, 7, serde_json::json!(["2026-12-02T00:00:00Z"])).await;
    assert_eq!(answer["error"]["code"], "invalid_payload", "{answer}");
    assert_eq!(answer["error"]["message"], "invalid type: array, expected an object");
    assert_eq!(ask(&mut ws, 8, serde_json::json!({})).await["ok"], true, "the socket goes on");
    assert_eq!(s.rt.metrics().snapshot().invalid_payloads, 1);
    s.task.abort();
}

/// `chat:read` fans out to the chat room, so it has a rate limit (120/min from the catalogue: a
/// burst of 120, then 2/s), and the bucket is the user's, shared by all their sockets: 40 sockets
/// do not get 40 times it (the adversarial run got 111,350 deliveries in 15 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_event_is_rate_limited_per_user_across_sockets() {
    use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap();
    let t = switchboard_runtime::server::JwtHs256::mint(DEV_SECRET.as_bytes(), "u1", None, 600);
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(raw::connect_ok(gw.addr, &t).await);
    }
    let read = serde_json::json!({ "chatId": "c-1", "messageIds": ["m-1"], "timestamp": "2026-12-02T00:00:00.000Z" });
    // 150 sent at once, 50 per socket, then every ack read.
    let started = std::time::Instant::now();
    for (i, ws) in sockets.iter_mut().enumerate() {
        let frames: Vec<_> = (0..50u64).map(|n| Ok(raw::event_frame(i as u64 * 1000 + n, "chat:read", &read))).collect();
        ws.send_all(&mut futures_util::stream::iter(frames)).await.unwrap();
    }
    let mut limited = 0;
    for ws in &mut sockets {
        let mut answers = 0;
        while answers < 50 {
            let frame = raw::next_text(ws).await.expect("an answer");
            if let Some((_, a)) = raw::parse_ack(&frame) {
                answers += 1;
                if a["error"]["code"] == "rate_limited" {
                    limited += 1;
                }
            }
        }
    }
    let elapsed = started.elapsed();
    // 150 - 120 = 30 over the burst; the bucket refills 2 tokens a second meanwhile.
    let refilled = (elapsed.as_secs_f64() * 2.0).ceil() as u64;
    assert!(limited <= 30 && limited + refilled >= 30, "{limited} refused in {elapsed:?}");
    // Before the bucket could have refilled 30 tokens (15 s), some events must have been refused.
    assert!(limited > 0 || elapsed >= std::time::Duration::from_secs(15), "three sockets of one user share one bucket");
    assert_eq!(gw.runtime.metrics().snapshot().rate_limited, limited);
    gw.abort();
}

/// A number beyond f64 (`1e400`) made the whole payload `null` ("expected an object", no
/// field named); it is now refused as invalid JSON with the position. An event sent without
/// any argument still reaches a handler that takes no payload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_beyond_f64_is_refused_as_invalid_json_and_no_argument_is_no_payload() {
    let s = serve(ServerConfig::default(), None).await;
    let mut ws = raw::connect_ok(s.addr, &token("u1")).await;
    let send = |frame: &'static str| tokio_tungstenite::tungstenite::Message::Text(frame.into());
    ws.send(send(r#"421["ping",{"x":1e400}]"#)).await.unwrap();
    let (id, answer) = raw::parse_ack(&raw::next_text(&mut ws).await.unwrap()).unwrap();
    assert_eq!(id, 1);
    assert_eq!(answer["error"]["code"], "invalid_payload", "{answer}");
    assert_eq!(answer["error"]["message"], "the payload is not valid JSON: number out of range at line 1 column 18");
    ws.send(send(r#"422["ping"]"#)).await.unwrap();
    let (id, answer) = raw::parse_ack(&raw::next_text(&mut ws).await.unwrap()).unwrap();
    assert_eq!((id, answer["ok"].clone()), (2, serde_json::json!(true)), "no argument is no payload: {answer}");
    s.task.abort();
}
