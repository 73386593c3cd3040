//! Harness of the Rust client's fault tests (`tests/tests/client_{reconnect,queue,reliable,rooms,auth}.rs`)
//! against the demo gateway: tokens, payloads, gateways on `127.0.0.1:0` or a reserved port,
//! bounded waits, an event log, and a TCP proxy that cuts, black-holes and delays the link
//! ([`proxy`]). Every wait is bounded.

pub mod proxy;

use crate::task::start;
use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use serde_json::{Value, json};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::client::{Backoff, Client, ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason, Listener};
use switchboard_runtime::server::JwtHs256;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

/// An HS256 token for `user` (role `customer`), valid 10 minutes.
pub fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

/// A `chat:send_message` payload to chat `c-1`.
pub fn chat(text: &str) -> Option<Value> {
    Some(json!({ "chatId": "c-1", "message": text, "timestamp": switchboard_runtime::Timestamp::now() }))
}

/// A `subscribe:chat` payload for chat `c-1`.
pub fn subscribe_c1() -> Option<Value> {
    Some(json!({ "chatId": "c-1" }))
}

/// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// A demo gateway on `127.0.0.1:0`.
pub async fn start_gateway() -> Gateway {
    gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() }).await.expect("the gateway starts")
}

/// A gateway on a given address, retrying briefly while the previous owner releases it.
pub async fn start_gateway_at(addr: SocketAddr) -> Gateway {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match gateway::start(GatewayConfig { addr, ..Default::default() }).await {
            Ok(g) => return g,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("cannot start a gateway on {addr}: {e}"),
        }
    }
}

/// Fast reconnects (200 ms, 400 ms, then 1 s, never giving up) and short timeouts.
pub fn fast_config(url: impl Into<String>) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.backoff = Backoff { base: Duration::from_millis(200), max: Duration::from_secs(1), max_attempts: 0, jitter: 0.0 };
    c.connect_timeout = Duration::from_secs(2);
    c.ack_timeout = Duration::from_secs(3);
    c
}

/// Waits for a state matching `pred`; panics after `limit`.
pub async fn wait_state(client: &Client, limit: Duration, what: &str, pred: impl Fn(&ConnectionState) -> bool) -> ConnectionState {
    let mut rx = client.state();
    let r = timeout(limit, async { rx.wait_for(|s| pred(s)).await.map(|s| s.clone()) }).await;
    match r {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => panic!("the client closed while waiting for {what}"),
        Err(_) => panic!("no {what} within {limit:?}; the state is {:?}", *client.state().borrow()),
    }
}

/// Waits for `Connected`.
pub async fn wait_connected(client: &Client, limit: Duration) {
    wait_state(client, limit, "Connected", |s| *s == ConnectionState::Connected).await;
}

/// A client already connected.
pub async fn connected(config: ClientConfig, tok: String) -> Client {
    let c = Client::connect(config, tok);
    wait_connected(&c, Duration::from_secs(5)).await;
    c
}

/// Polls `f` every 5 ms until it holds; panics after `limit`.
pub async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        sleep(Duration::from_millis(5)).await;
    }
}


/// Starts a reliable `chat:send_message` now (queued in call order, see `task::start`).
pub fn send_chat(client: &Client, text: String) -> JoinHandle<Result<Value, ClientError>> {
    let c = client.clone();
    start(async move { c.emit_reliable("chat:send_message", chat(&text)).await })
}

/// Awaits `fut` for at most `limit` (every wait in these tests is bounded).
pub async fn bounded<T>(what: &str, limit: Duration, fut: impl Future<Output = T>) -> T {
    timeout(limit, fut).await.unwrap_or_else(|_| panic!("{what}: no result within {limit:?}"))
}

/// Awaits a task for at most `limit`.
pub async fn finish<T>(what: &str, limit: Duration, h: JoinHandle<T>) -> T {
    match timeout(limit, h).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: task failed: {e}"),
        Err(_) => panic!("{what}: no result within {limit:?}"),
    }
}

/// The `messageId` of a `chat:send_message` ack.
pub fn message_id(r: &Result<Value, ClientError>, what: &str) -> String {
    match r {
        Ok(v) => v["messageId"].as_str().unwrap_or_else(|| panic!("{what}: ack without messageId: {v}")).to_string(),
        Err(e) => panic!("{what}: not acknowledged: {e:?}"),
    }
}

/// Every client event, collected as it happens (so the broadcast channel never lags).
pub struct EventLog(Arc<Mutex<Vec<ClientEvent>>>);

impl EventLog {
    /// Starts logging `client`'s events.
    pub fn new(client: &Client) -> EventLog {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut rx = client.events();
        let sink = log.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => sink.lock().unwrap().push(e),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => panic!("the event log lagged by {n}"),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        EventLog(log)
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<ClientEvent> {
        self.0.lock().unwrap().clone()
    }

    /// How many events match `f`.
    pub fn count(&self, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.0.lock().unwrap().iter().filter(|e| f(e)).count()
    }

    /// The drops so far: event name and reason.
    pub fn drops(&self) -> Vec<(String, DropReason)> {
        self.all()
            .into_iter()
            .filter_map(|e| match e {
                ClientEvent::Dropped { event, reason } => Some((event, reason)),
                _ => None,
            })
            .collect()
    }

    /// Waits for an event matching `f`.
    pub async fn wait(&self, what: &str, limit: Duration, f: impl Fn(&ClientEvent) -> bool) {
        wait_until(what, limit, || self.count(&f) > 0).await;
    }
}

/// Drops of every reason but `AckTimeout`, from the counters.
pub fn total_drops(c: &Client) -> u64 {
    let s = c.stats().snapshot();
    s.dropped_queue_full
        + s.dropped_offline
        + s.dropped_cleared
        + s.dropped_listener
}

/// Waits for a `chat:message` from `sender` with `text` on a listener (other messages skipped).
pub async fn expect_chat_message(rx: &mut Listener, sender: &str, text: &str, limit: Duration) {
    let found = timeout(limit, async {
        while let Some(m) = rx.recv().await {
            if m["senderId"] == sender && m["text"] == text {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "no chat:message {text:?} from {sender} within {limit:?}");
}
