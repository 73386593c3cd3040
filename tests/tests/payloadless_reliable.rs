//! A reliable event that declares no payload (the minimal fixture's `ping`) is sent without an
//! argument, so it carries no `_mid` and the server cannot deduplicate it: when its ack is lost,
//! the resend runs the handler again (at least once, not exactly once). The same event with an
//! object payload carries `_mid` and runs once. Found while building the fault simulation (the
//! simulation stamps its own `_mid`s); README "Deterministic fault simulation" states the limit.

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use switchboard_runtime::client::Client;
use switchboard_runtime::server::ServerConfig;
use switchboard_tests::faults::proxy::Proxy;
use switchboard_tests::faults::{fast_config, finish, wait_connected, wait_until};
use switchboard_tests::minimal;
use tokio::sync::Semaphore;

/// Handler runs of one `ping` whose ack is lost: the link is cut while the handler waits.
async fn runs_after_a_lost_ack(payload: Option<serde_json::Value>) -> u64 {
    let gate = Arc::new(Semaphore::new(0));
    let served = minimal::serve(ServerConfig::default(), Some(gate.clone())).await;
    let proxy = Proxy::start(served.addr).await;
    let client = Client::connect(fast_config(proxy.url()), minimal::token("u1"));
    wait_connected(&client, Duration::from_secs(5)).await;
    let c = client.clone();
    let ping = tokio::spawn(async move { c.emit_reliable("ping", payload).await });
    let handlers = served.handlers.clone();
    wait_until("the first run of ping", Duration::from_secs(5), || handlers.runs.load(Ordering::SeqCst) == 1).await;
    // The handler is running; the connection dies before its ack can leave.
    proxy.cut().await;
    wait_until("the resend after the reconnect", Duration::from_secs(10), || served.rt.metrics().snapshot().duplicates > 0 || handlers.runs.load(Ordering::SeqCst) > 1).await;
    gate.add_permits(10);
    let ack = finish("the ping's ack", Duration::from_secs(10), ping).await;
    assert!(ack.is_ok(), "the resent ping is answered: {ack:?}");
    client.disconnect();
    served.handlers.runs.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_reliable_event_with_a_payload_runs_once_when_its_ack_is_lost() {
    assert_eq!(runs_after_a_lost_ack(Some(json!({}))).await, 1);
}

#[tokio::test]
async fn a_reliable_event_without_a_payload_runs_again_when_its_ack_is_lost() {
    // The documented limit: no argument, no `_mid`, no deduplication.
    assert_eq!(runs_after_a_lost_ack(None).await, 2);
}
