//! The handle-to-task contract, without a server (the client stays offline): commands go
//! through a bounded channel whose overflow waits instead of dropping, and a synchronous signal
//! (`clear_queue`, `disconnect`) takes effect after the emits made before it.

use std::future::Future;
use std::task::Context;
use std::time::Duration;
use switchboard_runtime::client::{Backoff, COMMAND_BUFFER, Client, ClientConfig, ClientError, DropReason};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Offline for a minute after the first refused attempt.
fn offline_config(queue_capacity: usize) -> ClientConfig {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = ClientConfig::new(format!("http://127.0.0.1:{port}"));
    c.backoff = Backoff { base: Duration::from_secs(60), max: Duration::from_secs(60), max_attempts: 0, jitter: 0.0 };
    c.queue_capacity = queue_capacity;
    c
}

/// A reliable emit, polled once now (so emits started in a row reach the channel in call order
/// while it has room), finished in a task.
fn emit(client: &Client, n: usize) -> JoinHandle<Result<serde_json::Value, ClientError>> {
    let c = client.clone();
    let mut fut = Box::pin(async move { c.emit_reliable("e", Some(serde_json::json!({ "n": n }))).await });
    let _ = fut.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop()));
    tokio::spawn(fut)
}

async fn results(handles: Vec<JoinHandle<Result<serde_json::Value, ClientError>>>) -> Vec<Result<serde_json::Value, ClientError>> {
    let mut out = Vec::new();
    for h in handles {
        out.push(timeout(Duration::from_secs(5), h).await.expect("answered in time").expect("task"));
    }
    out
}

async fn wait_queue(client: &Client, n: usize) {
    timeout(Duration::from_secs(5), async {
        while client.queue_size() != n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("queue size {} instead of {n}", client.queue_size()));
}

#[tokio::test]
async fn a_full_command_channel_makes_emits_wait_not_drop() {
    let n = COMMAND_BUFFER * 2;
    let client = Client::connect(offline_config(n), "unused");
    let handles: Vec<_> = (0..n).map(|i| emit(&client, i)).collect();
    wait_queue(&client, n).await;
    assert_eq!(client.stats().snapshot().dropped_queue_full, 0);
    client.disconnect();
    let all = results(handles).await;
    assert!(all.iter().all(|r| *r == Err(ClientError::Dropped(DropReason::Closed))), "every emit was queued, then dropped at close");
    assert_eq!(client.stats().snapshot().dropped_cleared, n as u64);
}

#[tokio::test]
async fn clear_queue_applies_to_the_emits_made_before_it() {
    let client = Client::connect(offline_config(100), "unused");
    let handles: Vec<_> = (0..5).map(|i| emit(&client, i)).collect();
    client.clear_queue();
    assert_eq!(results(handles).await, vec![Err(ClientError::Dropped(DropReason::Cleared)); 5]);
    assert_eq!(client.queue_size(), 0);
    let later = emit(&client, 5);
    wait_queue(&client, 1).await;
    client.disconnect();
    assert_eq!(results(vec![later]).await, vec![Err(ClientError::Dropped(DropReason::Closed))]);
}
