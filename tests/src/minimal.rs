//! The minimal fixture's generated server, served for runtime tests: `ping` can be held on a
//! gate so that queues fill deterministically.

use crate::fixtures::minimal::{server, types};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use switchboard_runtime::server::{JwtHs256, NoPayload};

/// The HS256 secret of these servers.
pub const SECRET: &[u8] = b"minimal-server-test-secret";

/// `ping` waits for a permit of `gate` (when gated) and counts its runs.
pub struct Gated {
    /// Each run of `ping` takes one permit (none: runs at once).
    pub gate: Option<Arc<tokio::sync::Semaphore>>,
    /// Runs of `ping` so far.
    pub runs: AtomicU64,
}

impl server::AppHandlers for Gated {
    async fn ping(&self, _ctx: server::Ctx, _p: NoPayload) -> Result<types::PingAck, server::AckError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        Ok(types::PingAck { pong: "2026-12-02T00:00:00.000Z".parse().expect("a valid date-time") })
    }
}

/// A running server.
pub struct Served {
    /// The bound address.
    pub addr: std::net::SocketAddr,
    /// The runtime (limits, counters).
    pub rt: Arc<server::Runtime>,
    /// The handlers.
    pub handlers: Arc<Gated>,
    /// The listener task.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves the minimal fixture with `config` on a free port, through [`server::Runtime::serve`].
pub async fn serve(config: server::ServerConfig, gate: Option<Arc<tokio::sync::Semaphore>>) -> Served {
    serve_with(JwtHs256::new(SECRET), config, gate).await
}

/// Like [`serve`], with another authenticator.
pub async fn serve_with(auth: impl server::Authenticator, config: server::ServerConfig, gate: Option<Arc<tokio::sync::Semaphore>>) -> Served {
    let rt = Arc::new(server::Runtime::with_config(auth, config.clone()));
    let (layer, io) = config.builder().build_layer();
    let handlers = Arc::new(Gated { gate, runs: AtomicU64::new(0) });
    server::mount(&io, rt.clone(), handlers.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(rt.clone().serve(listener, axum::Router::new().layer(layer)));
    Served { addr, rt, handlers, task }
}

/// A token for `user`, signed with the test secret.
pub fn token(user: &str) -> String {
    JwtHs256::mint(SECRET, user, None, 600)
}

