//! The generated server serves the catalogue's namespace (issue 12, bug 1): the kitchen-sink
//! fixture declares `namespace: /kitchen`; its generated `mount` registers that namespace and its
//! `Emitter` broadcasts on it, so a raw Socket.IO client and the generated Rust client reach it
//! there, and a CONNECT to `/` is refused.

use futures_util::SinkExt;
use std::sync::Arc;
use std::time::Duration;
use switchboard_tests::fixtures::kitchen_sink::{NAMESPACE, client, server, types};
use switchboard_tests::raw;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &[u8] = b"kitchen-namespace-test-secret";

struct Kitchen;

impl server::ShapesHandlers for Kitchen {
    async fn board_subscribe(&self, _ctx: server::Ctx, _p: types::BoardSubscribeRequest) -> Result<types::BoardJoined, server::AckError> {
        Ok(types::BoardJoined { joined_at: "2026-12-02T00:00:00.000Z".parse().expect("a valid date-time"), members: 1 })
    }
}

struct Served {
    addr: std::net::SocketAddr,
    emitter: server::Emitter,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve() -> Served {
    let config = server::ServerConfig::default();
    let rt = Arc::new(server::Runtime::with_config(server::JwtHs256::new(SECRET), config.clone()));
    let (layer, io) = config.builder().build_layer();
    server::mount(&io, rt.clone(), Arc::new(Kitchen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(rt.clone().serve(listener, axum::Router::new().layer(layer)));
    Served { addr, emitter: server::Emitter::new(io, rt), task }
}

fn token(user: &str) -> String {
    server::JwtHs256::mint(SECRET, user, None, 600)
}

#[test]
fn the_namespace_is_the_catalogues() {
    assert_eq!(NAMESPACE, "/kitchen");
    assert_eq!(client::Client::config("http://localhost:1").namespace, "/kitchen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_socket_reaches_the_catalogue_namespace_and_not_the_root() {
    let s = serve().await;
    let (mut ws, answer) = raw::try_connect_ns(s.addr, "/kitchen", &token("u1")).await.expect("CONNECT to /kitchen is answered");
    assert!(answer.starts_with("40/kitchen,{\"sid\""), "CONNECT to /kitchen refused: {answer}");
    let frame = format!("42/kitchen,1{}", serde_json::json!(["board:subscribe", {"boardId": "b1"}]));
    ws.send(Message::Text(frame.into())).await.unwrap();
    let ack = raw::next_text(&mut ws).await.expect("an ack");
    let answer: serde_json::Value = serde_json::from_str(ack.strip_prefix("43/kitchen,1").unwrap_or_else(|| panic!("not the ack of event 1: {ack}"))).unwrap();
    assert_eq!(answer, serde_json::json!([{"ok": true, "data": {"joinedAt": "2026-12-02T00:00:00.000Z", "members": 1}}]));

    // `/` is not served: socketioxide answers CONNECT_ERROR (or nothing), never a session.
    let root = raw::try_connect_ns(s.addr, "/", &token("u2")).await;
    if let Some((_, answer)) = &root {
        assert!(!answer.starts_with("40"), "CONNECT to `/` accepted: {answer}");
    }
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_client_connects_and_the_emitter_broadcasts_on_the_namespace() {
    let s = serve().await;
    let c = client::Client::connect(client::Client::config(&format!("http://{}", s.addr)), token("u1"));
    let mut state = c.raw().state();
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(|s| *s == client::ConnectionState::Connected))
        .await
        .expect("connects to /kitchen in time")
        .expect("state channel open");
    let joined = c.board_subscribe(&types::BoardSubscribeRequest { board_id: "b1".into() }).await.expect("board:subscribe answered");
    assert_eq!(joined.members, 1);

    let mut grown = c.on_tree_grown();
    let tree: types::TreeGrown = serde_json::from_value(serde_json::json!({"root": {"children": []}, "sized": "s"})).unwrap();
    s.emitter.tree_grown(&tree).await.expect("broadcast on /kitchen");
    let got = tokio::time::timeout(Duration::from_secs(10), grown.recv()).await.expect("tree:grown arrives").expect("client open").expect("typed");
    assert_eq!(got.sized, "s");
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_reaches_the_catalogue_namespace_and_not_the_root() {
    switchboard_tests::js::require_harness(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
    let s = serve().await;
    let js = switchboard_tests::js::js_dir();
    let run = tokio::process::Command::new("node")
        .arg(js.join("e2e/kitchen_namespace.mjs"))
        .current_dir(&js)
        .env("E2E_URL", format!("http://{}/kitchen", s.addr))
        .env("E2E_TOKENS", serde_json::json!({"u1": token("u1")}).to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run).await.expect("the script ends in 30 s").expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kitchen_namespace.mjs failed ({}):\n{stdout}\n{stderr}", out.status);
    let result: serde_json::Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}"));
    assert_eq!(result["unknown"], "unknown_event", "{result}");
    assert_eq!(result["refused"], "Invalid namespace", "{result}");
    s.task.abort();
}
