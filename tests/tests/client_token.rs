//! The client asks its token provider before every connect; a token given to
//! `update_auth_token` is used as is for the next connect.

use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ConnectionState, TokenFuture};
use switchboard_runtime::server::JwtHs256;

async fn wait_connected(c: &Client, connects: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if *c.state().borrow() == ConnectionState::Connected && c.stats().snapshot().connects >= connects {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "not connected ({connects} connects) in time: {:?}", *c.state().borrow());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_is_asked_on_every_connect_unless_a_token_was_pinned() {
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let provider = move || -> TokenFuture {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Some(JwtHs256::mint(DEV_SECRET.as_bytes(), "u1", None, 600)) })
    };
    let client = Client::connect_with_provider(ClientConfig::new(format!("http://{}", gw.addr)), provider);
    wait_connected(&client, 1).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A reconnect asks again.
    client.resume();
    wait_connected(&client, 2).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // An explicit token is used as is: the provider is not asked for that connect.
    client.update_auth_token(JwtHs256::mint(DEV_SECRET.as_bytes(), "u1", None, 600));
    wait_connected(&client, 3).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(gw.runtime.metrics().snapshot().auth_failures, 0);
    client.disconnect();
    gw.abort();
}
