//! Interop: the Rust Socket.IO client (`switchboard_runtime::client`) against a real Node
//! socket.io 4.8.4 server (`tests/js/interop/server.mjs`, WebSocket transport only).
//!
//! Each test starts its own server process on 127.0.0.1:0 (`node server.mjs` prints `PORT <n>`,
//! then one JSON line per thing it saw) and drives the Rust client against it. The process is
//! killed when the test ends (and exits by itself when its stdin closes).
//!
//! Node.js is required (and `npm`, to run `npm ci` in `tests/js` when the pinned `socket.io`
//! is not installed): without them these tests fail; they never skip.

use serde_json::{Value, json};
use switchboard_tests::task::start;
use std::future::Future;
use std::path::Path;
use switchboard_tests::js::js_dir;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ClientEvent, ConnectionState};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, timeout};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------





/// A running `node tests/js/interop/server.mjs`.
struct NodeServer {
    url: String,
    log: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
    _child: Child,
}

impl NodeServer {
    async fn start() -> NodeServer {
        require_node();
        let script = js_dir().join("interop/server.mjs");
        assert!(script.exists(), "missing {}", script.display());
        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(js_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node {}`: {e}", script.display()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s).await;
            sink.lock().unwrap().push_str(&s);
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = timeout(Duration::from_secs(15), lines.next_line()).await;
        let port: u16 = match first {
            Ok(Ok(Some(line))) => line
                .strip_prefix("PORT ")
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or_else(|| panic!("the interop server's first line is not `PORT <n>`: {line:?}")),
            other => {
                sleep(Duration::from_millis(200)).await;
                panic!("the interop server did not start ({other:?}); stderr:\n{}", stderr.lock().unwrap());
            }
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| json!({ "type": "unparsed", "line": line }));
                sink.lock().unwrap().push(v);
            }
        });
        NodeServer { url: format!("http://127.0.0.1:{port}"), log, stderr, _child: child }
    }

    fn log(&self) -> Vec<Value> {
        self.log.lock().unwrap().clone()
    }

    fn of_type(&self, t: &str) -> Vec<Value> {
        self.log().into_iter().filter(|v| v["type"] == t).collect()
    }

    /// Waits until the server logged a line matching `f`.
    async fn wait_log(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(v) = self.log().into_iter().find(|v| f(v)) {
                return v;
            }
            assert!(Instant::now() < deadline, "the server never logged {what}; log: {:?}; stderr: {}", self.log(), self.stderr.lock().unwrap());
            sleep(Duration::from_millis(10)).await;
        }
    }
}

fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.connect_timeout = Duration::from_secs(3);
    c.ack_timeout = Duration::from_secs(3);
    c
}

async fn wait_state(client: &Client, limit: Duration, what: &str, pred: impl Fn(&ConnectionState) -> bool) -> ConnectionState {
    let mut rx = client.state();
    match timeout(limit, async { rx.wait_for(|s| pred(s)).await.map(|s| s.clone()) }).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => panic!("the client closed while waiting for {what}"),
        Err(_) => panic!("no {what} within {limit:?}; the state is {:?}", *client.state().borrow()),
    }
}

async fn bounded<T>(what: &str, limit: Duration, fut: impl Future<Output = T>) -> T {
    timeout(limit, fut).await.unwrap_or_else(|_| panic!("{what}: no result within {limit:?}"))
}


// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// Connect, reliable and volatile emits with acks, a server event to a listener, and a server
/// ack request answered by the client.
#[tokio::test]
async fn rust_client_talks_to_node_socket_io() {
    let server = NodeServer::start().await;
    let client = Client::connect(config(&server.url), "good");
    wait_state(&client, Duration::from_secs(5), "Connected", |s| *s == ConnectionState::Connected).await;
    server.wait_log("a connection", |v| v["type"] == "connected").await;

    // Reliable: the payload gets a `_mid`, the ack's data comes back unwrapped.
    let data = bounded("reliable echo", Duration::from_secs(5), client.emit_reliable("echo", Some(json!({ "n": 1, "text": "héllo ✓" })))).await.expect("reliable echo acked");
    assert_eq!(data["n"], 1);
    assert_eq!(data["text"], "héllo ✓");
    let mid = data["_mid"].as_str().expect("a reliable payload carries _mid").to_string();
    assert!(!mid.is_empty());
    let logged: Vec<Value> = server.of_type("echo").into_iter().map(|v| v["mid"].clone()).collect();
    assert_eq!(logged, vec![json!(mid)], "the server received the message id once");

    // Volatile: acked, no message id.
    let data = bounded("volatile echo", Duration::from_secs(5), client.emit_volatile("echo", Some(json!({ "n": 2 })))).await.expect("volatile echo acked");
    assert_eq!(data, json!({ "n": 2 }));

    // Several reliable emits in a row keep their order and get distinct ids.
    let handles: Vec<_> = (3..8)
        .map(|n| {
            let c = client.clone();
            start(async move { c.emit_reliable("echo", Some(json!({ "n": n }))).await })
        })
        .collect();
    for (n, h) in (3..8).zip(handles) {
        let d = bounded("echo", Duration::from_secs(5), h).await.expect("task").expect("acked");
        assert_eq!(d["n"], n);
    }
    let echoed: Vec<Value> = server.of_type("echo").into_iter().map(|v| v["payload"]["n"].clone()).collect();
    assert_eq!(echoed, (1..8).map(|n| json!(n)).collect::<Vec<_>>(), "the server saw every echo once, in order");
    let mids: std::collections::BTreeSet<String> = server.of_type("echo").iter().filter_map(|v| v["mid"].as_str().map(str::to_owned)).collect();
    assert_eq!(mids.len(), 6, "six reliable emits, six distinct message ids");

    // A server event reaches a listener.
    let mut pongs = client.on("pong:you");
    bounded("ping:me", Duration::from_secs(5), client.emit_volatile("ping:me", Some(json!({ "k": "v" })))).await.expect("ping:me acked");
    let pong = bounded("pong:you", Duration::from_secs(5), pongs.recv()).await.expect("listener open");
    assert_eq!(pong, json!({ "k": "v" }));

    // The server asks with an ack; the client answers it (and its listener sees the question).
    let mut questions = client.on("question");
    let asked = bounded("ask", Duration::from_secs(5), client.emit_volatile("ask", Some(json!({})))).await.expect("ask acked");
    assert_eq!(asked, json!({ "answered": true }), "the server got the client's ack");
    let q = bounded("question", Duration::from_secs(5), questions.recv()).await.expect("listener open");
    assert_eq!(q, json!({ "q": 1 }));
    let answer = server.wait_log("the answer", |v| v["type"] == "answer").await;
    assert_eq!(answer["error"], Value::Null, "{answer}");
    assert_eq!(answer["args"], json!([]), "the client answers with an empty ack");

    assert_eq!(client.stats().snapshot().protocol_errors, 0);
    assert_eq!(client.stats().snapshot().connects, 1);
}

/// The middleware's error reaches the client as `AuthFailed` with its message, with no retry
/// loop; a good token then connects.
#[tokio::test]
async fn bad_token_against_node_is_auth_failed() {
    let server = NodeServer::start().await;
    let client = Client::connect(config(&server.url), "bad");
    let s = wait_state(&client, Duration::from_secs(5), "AuthFailed", |s| matches!(s, ConnectionState::AuthFailed { .. })).await;
    assert_eq!(s, ConnectionState::AuthFailed { message: "Invalid or expired token".into() });
    sleep(Duration::from_millis(1500)).await;
    assert_eq!(*client.state().borrow(), s, "still AuthFailed");
    assert_eq!(server.of_type("refused").len(), 1, "one attempt, no retry loop: {:?}", server.log());
    assert_eq!(client.stats().snapshot().connects, 0);
    client.update_auth_token("good");
    wait_state(&client, Duration::from_secs(5), "Connected", |s| *s == ConnectionState::Connected).await;
    let d = bounded("echo", Duration::from_secs(5), client.emit_reliable("echo", Some(json!({ "after": "auth" })))).await.expect("acked");
    assert_eq!(d["after"], "auth");
}

/// Rooms are re-joined before queued messages drain, even when the server answers out of order:
/// after a reconnect the re-join of room `a` takes 300 ms, and a new join of room `b` (answered
/// at once) must not let the queued message go before `a` is joined.
#[tokio::test]
async fn queued_messages_wait_for_every_rejoin_against_node() {
    let server = NodeServer::start().await;
    let client = Client::connect(config(&server.url), "good");
    wait_state(&client, Duration::from_secs(5), "Connected", |s| *s == ConnectionState::Connected).await;
    let mut events = client.events();
    bounded("slowjoin a", Duration::from_secs(5), client.join("a", "slowjoin", Some(json!({ "room": "a" })))).await.expect("joined a");

    // Reconnect (same token): the client re-joins `a` (300 ms) before draining.
    client.update_auth_token("good");
    server.wait_log("the second connection", |v| v["type"] == "connected" && v["conn"] == 2).await;
    wait_state(&client, Duration::from_secs(5), "Connected", |s| *s == ConnectionState::Connected).await;
    let queued = {
        let c = client.clone();
        start(async move { c.emit_reliable("echo", Some(json!({ "n": "queued" }))).await })
    };
    bounded("fastjoin b", Duration::from_secs(5), client.join("b", "fastjoin", Some(json!({ "room": "b" })))).await.expect("joined b");
    bounded("queued echo", Duration::from_secs(5), queued).await.expect("task").expect("acked");

    server.wait_log("the re-join of `a`", |v| v["type"] == "joined" && v["conn"] == 2 && v["room"] == "a").await;
    let log = server.log();
    let pos = |f: &dyn Fn(&Value) -> bool| log.iter().position(f);
    let rejoined_a = pos(&|v| v["type"] == "joined" && v["conn"] == 2 && v["room"] == "a").expect("a re-joined on the second connection");
    let echoed = pos(&|v| v["type"] == "echo" && v["conn"] == 2).expect("the queued message arrived");
    assert!(rejoined_a < echoed, "the queued message was sent before room `a` was re-joined: {log:?}");

    let mut rejoined = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let ClientEvent::Rejoined { rooms } = e {
            rejoined.push(rooms);
        }
    }
    assert_eq!(rejoined, vec![1], "one Rejoined event, for the one remembered room");
}

/// Node and the pinned npm packages (installed with `npm ci` when missing); never skips.
fn require_node() {
    switchboard_tests::js::require_harness(Path::new(env!("CARGO_TARGET_TMPDIR")));
}
