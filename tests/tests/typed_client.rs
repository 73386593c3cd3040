//! The generated typed client against the generated server (the demo gateway), end to end.

use rez_realtime::client::{Client, ClientError, ConnectionState};
use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
use rez_realtime::types;
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use switchboard_runtime::wire::ErrorCode;

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

async fn connected(c: &Client) {
    let mut s = c.raw().state();
    tokio::time::timeout(Duration::from_secs(10), s.wait_for(|s| *s == ConnectionState::Connected)).await.expect("connects in time").expect("state channel open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_round_trip_through_the_generated_server() {
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap();
    let url = format!("http://{}", gw.addr);
    let a = Client::connect(Client::config(&url), token("u1"));
    let b = Client::connect(Client::config(&url), token("u2"));
    connected(&a).await;
    connected(&b).await;

    // Heartbeat: typed ack.
    let sent = switchboard_runtime::Timestamp::now();
    let hb = a.heartbeat(&types::HeartbeatPayload { timestamp: sent }).await.unwrap();
    // A typed instant: the server's clock, read after the client's (same machine, 5 s slack).
    let lag = hb.server_time.as_unix_millis() - sent.as_unix_millis();
    assert!((-5_000..5_000).contains(&lag), "server time {} vs sent {sent}", hb.server_time);

    // Both join chat c-1; b listens; a sends; b receives the typed payload.
    a.subscribe_chat(&types::SubscribeChatPayload { chat_id: "c-1".into() }).await.unwrap();
    b.subscribe_chat(&types::SubscribeChatPayload { chat_id: "c-1".into() }).await.unwrap();
    let mut on_b = b.on_chat_message();
    let ack = a
        .chat_send_message(&types::SendChatMessagePayload { chat_id: "c-1".into(), message: "hello".into(), attachments: None, timestamp: switchboard_runtime::Timestamp::now() })
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), on_b.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!((got.text.as_str(), got.message_id.as_str(), got.sender_id.as_str()), ("hello", ack.message_id.as_str(), "u1"));

    // A join the policy denies is a typed refusal.
    let denied = a.subscribe_order(&types::SubscribeOrderPayload { order_id: "o-200".into(), user_id: None }).await;
    assert!(matches!(&denied, Err(ClientError::Refused(e)) if e.code == ErrorCode::Forbidden), "{denied:?}");

    // Dropping the guard stops listening: the runtime forgets the listener.
    drop(on_b);
    gw.abort();
}

#[test]
fn the_catalogue_heartbeat_setting_configures_the_client() {
    // schema/session.yaml: settings.heartbeat { event: heartbeat, interval_seconds: 30, max_missed: 2 }
    let h = Client::config("http://127.0.0.1:1").heartbeat.expect("the catalogue declares a heartbeat");
    assert_eq!((h.event.as_str(), h.interval, h.max_missed), ("heartbeat", Duration::from_secs(30), 2));
}

#[test]
fn the_catalogue_reconnect_setting_configures_the_client() {
    use switchboard_runtime::client::Backoff;
    // schema/session.yaml: settings.reconnect { base_seconds: 1, max_seconds: 16, max_attempts: 10 }.
    let rez = Client::config("http://127.0.0.1:1").backoff;
    assert_eq!(rez, Backoff { base: Duration::from_secs(1), max: Duration::from_secs(16), max_attempts: 10, jitter: 0.0 });
    // The value_payloads fixture sets another schedule: 2, 4, 8, 10 s, 5 attempts.
    let b = switchboard_tests::fixtures::value_payloads::client::Client::config("http://127.0.0.1:1").backoff;
    let secs: Vec<u64> = (1..=6).filter_map(|n| b.delay(n)).map(|d| d.as_secs()).collect();
    assert_eq!((secs, b.max_attempts), (vec![2, 4, 8, 10, 10], 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_per_socket_are_capped() {
    // The user room counts: with a cap of 2 the socket may join one more room.
    let server = rez_realtime::server::ServerConfig { max_rooms_per_socket: 2, ..Default::default() };
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), server, ..GatewayConfig::default() }).await.unwrap();
    let c = Client::connect(Client::config(&format!("http://{}", gw.addr)), token("u1"));
    connected(&c).await;
    let join = |id: &str| types::SubscribeProductPayload { product_id: id.into() };
    c.subscribe_product(&join("p-1")).await.unwrap();
    let refused = c.subscribe_product(&join("p-2")).await;
    assert!(matches!(&refused, Err(ClientError::Refused(e)) if e.code == ErrorCode::TooManyRooms), "{refused:?}");
    // Joining a room the socket is already in is not a new room.
    c.subscribe_product(&join("p-1")).await.unwrap();
    assert_eq!(gw.runtime.metrics().snapshot().denied_joins, 1);
    gw.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_the_catalogue_does_not_name_are_ignored() {
    // A client one catalogue version ahead sends a field this server does not know: it is
    // accepted and ignored (README, invariants: tolerant readers); named fields are still checked.
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap();
    let c = Client::connect(Client::config(&format!("http://{}", gw.addr)), token("u1"));
    connected(&c).await;
    let newer = serde_json::json!({ "timestamp": switchboard_runtime::Timestamp::now(), "clientBuild": 4812, "nested": { "x": [1, 2] } });
    let ack = c.raw().emit_volatile("heartbeat", Some(newer)).await.expect("accepted");
    assert!(ack.get("serverTime").is_some_and(|t| t.is_string()), "{ack}");
    let bad = c.raw().emit_volatile("heartbeat", Some(serde_json::json!({ "timestamp": 5, "clientBuild": 4812 }))).await;
    assert!(matches!(&bad, Err(ClientError::Refused(e)) if e.code == ErrorCode::InvalidPayload && e.field.as_deref() == Some("timestamp")), "{bad:?}");
    gw.abort();
}
