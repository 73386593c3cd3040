//! `bench-server`: the Switchboard-generated server for `tests/bench/catalogue` on socketioxide,
//! with the smallest handlers that satisfy the contract (join acks, chat re-emitted to the room
//! then acked with a sequence number, echo). The runtime's default limits are kept (that is what
//! a generated server ships with).
//!
//! Usage: `bench-server [--addr 127.0.0.1:0] [--worker-threads 1] [--nagle] [--max-buffer N]
//! [--ws-read-buffer N] [--accept axum|compact|runtime] [--ping-interval-ms N] [--count-heap]`
//! (`--max-buffer`: packets buffered per socket, the runtime's `ServerConfig::max_buffer_size`,
//! for experiments; default: the runtime's default; `--ws-read-buffer`: bytes,
//! `ServerConfig::ws_read_buffer_size`; `--accept`: `axum::serve` as before (default),
//! `axum::serve` with the app wrapped in the runtime's `CompactRequest`, or the runtime's own
//! accept loop `Runtime::serve`, caps raised above the benchmark's socket count); the HS256 secret
//! comes from `BENCH_JWT_SECRET`; `--ping-interval-ms`: Engine.IO heartbeat interval (default
//! 25,000, socketioxide's), for the drop experiments. Prints one line `{"port":P,"pid":PID}` once listening.
//! `GET /stats` answers the runtime's counters as JSON (emit drops, acks that failed, ...) plus,
//! with `--count-heap`, `heap_live_bytes` / `heap_live_allocs`: the allocator's view, from a
//! counting global allocator (two relaxed atomic adds per allocation and per free; off without the
//! flag, so CPU runs do not pay for it).

#[allow(dead_code, missing_docs, clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/switchboard.rs"));
}

use generated::server::{self, AckError, Ctx, Emitter, JwtHs256, Runtime, ServerConfig};
use generated::types;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use switchboard_bench::alloc::{CountingAlloc, heap_live};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Bench {
    emitter: Emitter,
    seq: AtomicI64,
}

impl server::BenchHandlers for Bench {
    async fn bench_join(&self, _ctx: Ctx, p: types::BenchJoinPayload) -> Result<types::BenchJoinAck, AckError> {
        Ok(types::BenchJoinAck { room_id: p.room_id })
    }

    async fn bench_chat(&self, _ctx: Ctx, p: types::BenchChatPayload) -> Result<types::BenchChatAck, AckError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        // Drops (a socket's buffer full) are counted by the runtime in `emit_drops`.
        let _ = self.emitter.bench_message(&types::BenchMessagePayload { room_id: p.room_id, text: p.text, seq }).await;
        Ok(types::BenchChatAck { seq })
    }

    async fn bench_echo(&self, _ctx: Ctx, p: types::BenchEchoPayload) -> Result<types::BenchEchoAck, AckError> {
        Ok(types::BenchEchoAck { text: p.text })
    }
}

struct Args {
    addr: SocketAddr,
    workers: usize,
    nodelay: bool,
    max_buffer: Option<usize>,
    ws_read_buffer: Option<usize>,
    accept: Accept,
    ping_interval_ms: Option<u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Accept {
    Axum,
    Compact,
    Runtime,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { addr: SocketAddr::from(([127, 0, 0, 1], 0)), workers: 1, nodelay: true, max_buffer: None, ws_read_buffer: None, accept: Accept::Axum, ping_interval_ms: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--addr" => a.addr = it.next().ok_or("--addr needs a value")?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--worker-threads" => a.workers = it.next().ok_or("--worker-threads needs a value")?.parse().map_err(|e| format!("--worker-threads: {e}"))?,
            "--nagle" => a.nodelay = false,
            // Read first thing in `main` (counting starts before anything else allocates).
            "--count-heap" => {}
            "--max-buffer" => a.max_buffer = Some(it.next().ok_or("--max-buffer needs a value")?.parse().map_err(|e| format!("--max-buffer: {e}"))?),
            "--ws-read-buffer" => a.ws_read_buffer = Some(it.next().ok_or("--ws-read-buffer needs a value")?.parse().map_err(|e| format!("--ws-read-buffer: {e}"))?),
            "--ping-interval-ms" => a.ping_interval_ms = Some(it.next().ok_or("--ping-interval-ms needs a value")?.parse().map_err(|e| format!("--ping-interval-ms: {e}"))?),
            "--accept" => {
                a.accept = match it.next().as_deref() {
                    Some("axum") => Accept::Axum,
                    Some("compact") => Accept::Compact,
                    Some("runtime") => Accept::Runtime,
                    _ => return Err("--accept needs axum, compact or runtime".into()),
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

fn main() -> std::process::ExitCode {
    if std::env::args_os().any(|a| a == "--count-heap") {
        switchboard_bench::alloc::start_counting();
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\nusage: bench-server [--addr 127.0.0.1:0] [--worker-threads 1] [--nagle] [--max-buffer N] [--ws-read-buffer N] [--accept axum|compact|runtime] [--ping-interval-ms N] [--count-heap]");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(args.workers.max(1)).enable_all().build().expect("tokio runtime");
    match rt.block_on(serve(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let secret = std::env::var("BENCH_JWT_SECRET").unwrap_or_else(|_| "bench-secret".into());
    let mut config = ServerConfig::default();
    if let Some(n) = args.max_buffer {
        config.max_buffer_size = n;
    }
    if let Some(n) = args.ws_read_buffer {
        config.ws_read_buffer_size = n;
    }
    // The benchmark's sockets come from 16 source addresses; no cap may refuse them.
    config.max_connections = 1_000_000;
    config.max_connections_per_ip = 1_000_000;
    let runtime = Arc::new(Runtime::with_config(JwtHs256::new(secret.as_bytes()), config.clone()));
    let mut builder = config.builder();
    if let Some(ms) = args.ping_interval_ms {
        builder = builder.ping_interval(std::time::Duration::from_millis(ms));
    }
    let (layer, io) = builder.build_layer();
    let emitter = Emitter::new(io.clone(), runtime.clone());
    server::mount(&io, runtime.clone(), Arc::new(Bench { emitter, seq: AtomicI64::new(0) }));
    let stats_rt = runtime.clone();
    let app = axum::Router::new()
        .route(
            "/stats",
            axum::routing::get(move || {
                let rt = stats_rt.clone();
                async move {
                    let mut stats = serde_json::to_value(rt.metrics().snapshot()).unwrap_or_default();
                    if let (Some((bytes, allocs)), Some(map)) = (heap_live(), stats.as_object_mut()) {
                        map.insert("heap_live_bytes".into(), bytes.into());
                        map.insert("heap_live_allocs".into(), allocs.into());
                    }
                    stats.to_string()
                }
            }),
        )
        .layer(layer);
    // Node's default listen backlog is 511; tokio's TcpListener::bind uses 1024.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(args.addr)?;
    let listener = socket.listen(511)?;
    let port = listener.local_addr()?.port();
    println!("{{\"port\":{port},\"pid\":{}}}", std::process::id());
    let nodelay = args.nodelay;
    match args.accept {
        // `Runtime::serve` sets TCP_NODELAY itself and compacts every request head.
        Accept::Runtime => runtime.serve(listener, app).await,
        accept => {
            // Node's `ws` sets TCP_NODELAY on every socket; axum::serve does not (Nagle stays on).
            let listener = listener.tap_io(move |tcp| {
                let _ = tcp.set_nodelay(nodelay);
            });
            if accept == Accept::Compact {
                use axum::ServiceExt;
                let app = switchboard_runtime::server::CompactRequest(app);
                axum::serve(listener, ServiceExt::<axum::extract::Request>::into_make_service(app)).await
            } else {
                axum::serve(listener, app).await
            }
        }
    }
}
