//! Closing the client ends its listeners: `Listener::recv` returns `None` once the client is
//! closed (by `disconnect()` or by dropping every handle), so a task reading a listener ends
//! too. No server is needed: the client is closed while it is still trying to connect.

use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ConnectionState};
use tokio::time::timeout;

/// A URL where nothing listens (a port that was free a moment ago).
fn nowhere() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn listeners_end_when_the_client_disconnects() {
    let client = Client::connect(ClientConfig::new(nowhere()), "unused");
    let mut messages = client.on("chat:message");
    client.disconnect();
    let mut state = client.state();
    timeout(Duration::from_secs(5), state.wait_for(|s| *s == ConnectionState::Disconnected)).await.expect("closed in time").expect("state open");
    assert_eq!(timeout(Duration::from_secs(2), messages.recv()).await, Ok(None), "the listener ends with the client");
}

#[tokio::test]
async fn listeners_end_when_the_last_handle_is_dropped() {
    let client = Client::connect(ClientConfig::new(nowhere()), "unused");
    let mut messages = client.on("chat:message");
    drop(client);
    assert_eq!(timeout(Duration::from_secs(5), messages.recv()).await, Ok(None), "the listener ends with the client");
}

#[tokio::test]
async fn a_listener_made_after_close_ends_at_once() {
    let client = Client::connect(ClientConfig::new(nowhere()), "unused");
    client.disconnect();
    let mut state = client.state();
    timeout(Duration::from_secs(5), state.wait_for(|s| *s == ConnectionState::Disconnected)).await.expect("closed in time").expect("state open");
    let mut messages = client.on("chat:message");
    assert_eq!(timeout(Duration::from_secs(2), messages.recv()).await, Ok(None));
}
