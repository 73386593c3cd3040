//! Connection limits (security finding: idle and half-sent connections were never closed, and
//! one host could fill the gateway's file descriptors).
//!
//! `Runtime::serve` closes a TCP connection that does not send a complete HTTP request head
//! within `http_header_timeout` (idle or half-sent), refuses connections over
//! `max_connections_per_ip` at accept, and the auth middleware refuses a user's socket over
//! `max_sockets_per_user` with `Too many connections`. Each is counted; a valid client still
//! gets in.

use std::time::Duration;
use switchboard_tests::fixtures::minimal::server::ServerConfig;
use switchboard_tests::minimal::{serve, token};
use switchboard_tests::raw;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// True when the server closed `tcp` (EOF or reset) within `within`.
async fn closed_by_server(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 or other bytes before the close are fine; keep reading until EOF.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_and_counted() {
    let config = ServerConfig { http_header_timeout: Duration::from_millis(300), ..Default::default() };
    let s = serve(config, None).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let mut half = Vec::new();
    for _ in 0..5 {
        let mut t = TcpStream::connect(s.addr).await.unwrap();
        t.write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        half.push(t);
    }
    for t in idle.iter_mut().chain(half.iter_mut()) {
        assert!(closed_by_server(t, Duration::from_secs(5)).await, "an idle or half-sent connection stayed open");
    }
    // The client sees the close before the server's connection task counts it: allow it a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while s.rt.metrics().snapshot().http_timeouts < 25 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let m = s.rt.metrics().snapshot();
    assert_eq!(m.http_timeouts, 25, "{m:?}");
    // A real client is not affected by the timeout (the WebSocket outlives it).
    let mut ws = raw::connect_ok(s.addr, &token("u1")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    futures_util::SinkExt::send(&mut ws, raw::event_frame(1, "ping", &serde_json::json!({}))).await.unwrap();
    let ack = raw::next_text(&mut ws).await.and_then(|f| raw::parse_ack(&f));
    assert_eq!(ack.map(|(id, a)| (id, a["ok"].clone())), Some((1, serde_json::json!(true))));
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_ip_cap_are_closed_at_accept() {
    let config = ServerConfig { max_connections_per_ip: 10, ..Default::default() };
    let s = serve(config, None).await;
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let mut extra = TcpStream::connect(s.addr).await.unwrap();
    assert!(closed_by_server(&mut extra, Duration::from_secs(5)).await, "the 11th connection was closed");
    assert!(!closed_by_server(&mut held[0], Duration::from_millis(200)).await, "the first ten stay open");
    assert_eq!(s.rt.metrics().snapshot().connections_refused, 1);
    // Places are freed when connections close; a WebSocket holds its place while it lives.
    held.clear();
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(raw::connect_eventually(s.addr, &token("u1")).await.expect("a place frees up once the idle connections are gone"));
    }
    let mut over = TcpStream::connect(s.addr).await.unwrap();
    assert!(closed_by_server(&mut over, Duration::from_secs(5)).await, "ten WebSockets hold all ten places");
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_over_the_socket_cap_is_refused_until_one_closes() {
    let config = ServerConfig { max_sockets_per_user: 2, ..Default::default() };
    let s = serve(config, None).await;
    let a = raw::connect_ok(s.addr, &token("u1")).await;
    let _b = raw::connect_ok(s.addr, &token("u1")).await;
    let (_c, answer) = raw::connect(s.addr, &token("u1")).await;
    assert_eq!(answer, r#"44{"message":"Too many connections"}"#);
    let _other = raw::connect_ok(s.addr, &token("u2")).await;
    assert_eq!(s.rt.metrics().snapshot().connections_refused, 1);
    drop(a);
    raw::connect_eventually(s.addr, &token("u1")).await.expect("the slot of a closed socket is given back");
    s.task.abort();
}
