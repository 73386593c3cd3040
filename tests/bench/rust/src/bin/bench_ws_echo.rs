//! `bench-ws-echo`: a bare tokio-tungstenite server that sends every text frame back. No
//! Engine.IO, no Socket.IO, no JSON: the ceiling the socket.io servers are compared with.
//!
//! Usage: `bench-ws-echo [--addr 127.0.0.1:0] [--worker-threads 1]`. Prints one line
//! `{"port":P,"pid":PID}` once listening.

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn main() -> std::process::ExitCode {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut workers = 1usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next();
        match (flag.as_str(), value.as_deref().map(str::parse::<SocketAddr>), value.as_deref().map(str::parse::<usize>)) {
            ("--addr", Some(Ok(a)), _) => addr = a,
            ("--worker-threads", _, Some(Ok(n))) => workers = n.max(1),
            _ => {
                eprintln!("usage: bench-ws-echo [--addr 127.0.0.1:0] [--worker-threads 1]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("tokio runtime");
    match rt.block_on(serve(addr)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(511)?;
    println!("{{\"port\":{},\"pid\":{}}}", listener.local_addr()?.port(), std::process::id());
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            // engineioxide's WebSocket settings (4 KiB read buffer; tungstenite's default is 128 KiB),
            // so that idle memory per socket compares like for like.
            let config = WebSocketConfig::default().read_buffer_size(4096);
            let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else { return };
            while let Some(Ok(msg)) = ws.next().await {
                match msg {
                    Message::Close(_) => return,
                    Message::Text(_) | Message::Binary(_) => {
                        if let Err(_closed) = ws.send(msg).await {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        });
    }
}
