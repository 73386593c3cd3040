//! Slow-consumer policy: a socket that stops reading does not slow the server down or grow its
//! memory without bound. Once its buffer (ServerConfig::max_buffer_size) is full, messages to it
//! are dropped, counted in `emit_drops`, and reported to the emitter as `EmitError::Dropped`;
//! other sockets keep receiving.

use futures_util::StreamExt;
use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
use rez_realtime::server::{EmitError, ServerConfig};
use rez_realtime::types;
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use tokio_tungstenite::tungstenite::Message;

async fn raw_connect(addr: std::net::SocketAddr, user: &str) -> switchboard_tests::raw::Ws {
    // After the first ping: engineioxide closes a socket whose ping finds its (8-packet) buffer
    // full, and a socket closed that way is neither sent to nor counted (seen once under load).
    switchboard_tests::raw::connect_ok_after_first_ping(addr, &JwtHs256::mint(DEV_SECRET.as_bytes(), user, None, 600)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_stops_reading_loses_messages_counted_and_reported() {
    let server = ServerConfig { max_buffer_size: 8, ..ServerConfig::default() };
    let gw = gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), server, ..GatewayConfig::default() }).await.unwrap();
    // The slow socket connects and never reads again.
    let _slow = raw_connect(gw.addr, "slow").await;
    // A healthy socket keeps reading.
    let mut healthy = raw_connect(gw.addr, "healthy").await;
    let reader = tokio::spawn(async move {
        let mut got = 0u64;
        while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(8), healthy.next()).await {
            if let Message::Text(t) = m
                && t.as_str().starts_with("42[\"flashsale:updated\"")
            {
                got += 1;
            }
        }
        got
    });
    let big = "x".repeat(16 * 1024);
    let mut dropped_reports = 0u64;
    let total = 3000u64;
    for i in 0..total {
        let p = types::FlashSaleUpdatedPayload { flash_sale_id: format!("fs-{i}"), title: big.clone(), status: "live".into(), remaining_quantity: 1, timestamp: Some(switchboard_runtime::Timestamp::now()) };
        match gw.emitter.flashsale_updated(&p).await {
            Ok(()) => {}
            Err(EmitError::Dropped { dropped, .. }) => dropped_reports += dropped as u64,
            Err(e) => panic!("unexpected emit error: {e}"),
        }
        if i % 64 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let received = reader.await.unwrap();
    let drops = gw.runtime.metrics().snapshot().emit_drops;
    assert!(drops > 0, "the slow consumer never filled its buffer; raise the message count");
    assert_eq!(drops, dropped_reports, "every drop is both counted and reported to the emitter");
    // The healthy socket got everything it was sent (drops belong to the slow socket), give or
    // take messages it may itself have missed under load, which would also be counted.
    assert!(received + drops >= total, "received {received} + dropped {drops} < sent {total}");
    gw.abort();
}
