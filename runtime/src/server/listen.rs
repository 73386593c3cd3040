//! The TCP/HTTP listener: an accept loop with connection caps and an HTTP/1.1 header-read
//! timeout.
//!
//! `axum::serve` sets no hyper timer, so a connection that sends nothing, or half a request,
//! stays open for ever; thousands of them from one host exhaust the file descriptors. This loop
//! is written here because neither axum nor hyper-util offers per-IP caps. Each accepted stream
//! carries a guard that holds its place in the caps until the stream itself is dropped, which is
//! after a WebSocket upgrade too (hyper hands the same stream to the WebSocket).

use super::metrics::Metrics;
use super::mount::Runtime;
use hyper::body::Incoming;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Open connections, in all and per IP.
#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

struct Place {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        o.total -= 1;
        if let Some(n) = o.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.per_ip.remove(&self.ip);
            }
        }
    }
}

/// A TCP stream that holds its place in the caps for as long as it lives.
struct Tracked {
    io: TcpStream,
    _place: Place,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// What the listener serves: a tower service answering hyper requests, e.g. an axum `Router`
/// with socketioxide's layer. Named once so `serve`, `serve_io` and each connection share it.
pub trait HttpService<B>:
    tower_service::Service<hyper::Request<Incoming>, Response = hyper::Response<B>, Error: Into<BoxError>, Future: Send + 'static> + Clone + Send + 'static
{
}

impl<S, B> HttpService<B> for S where
    S: tower_service::Service<hyper::Request<Incoming>, Response = hyper::Response<B>, Error: Into<BoxError>, Future: Send + 'static> + Clone + Send + 'static
{
}

/// The response body of an [`HttpService`].
pub trait HttpBody: hyper::body::Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

impl<B> HttpBody for B where B: hyper::body::Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

impl Runtime {
    /// Serves `service` (e.g. an axum `Router` with socketioxide's layer) on `listener` until the
    /// task is dropped, with this runtime's caps and timeouts: `max_connections`,
    /// `max_connections_per_ip` (over either, a new connection is closed at accept and counted in
    /// `connections_refused`) and `http_header_timeout` (a connection that does not send a
    /// complete request head in time, idle or half-sent, is closed and counted in
    /// `http_timeouts`). Every accepted socket gets `TCP_NODELAY`: small frames go out at once.
    /// Requests pass through [`super::compact::CompactRequest`], so an upgraded socket does not
    /// keep hyper's read buffer alive.
    pub async fn serve<S, B>(self: Arc<Self>, listener: TcpListener, service: S) -> std::io::Result<()>
    where
        S: HttpService<B>,
        B: HttpBody,
    {
        let open = Arc::new(Mutex::new(Open::default()));
        let http = self.http1();
        let mut refused_since_log = 0u64;
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors (or a transient error): wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let ip = peer.ip();
            let place = {
                let mut o = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let per_ip = o.per_ip.get(&ip).copied().unwrap_or(0);
                if o.total >= self.config.max_connections || per_ip >= self.config.max_connections_per_ip {
                    None
                } else {
                    o.total += 1;
                    *o.per_ip.entry(ip).or_insert(0) += 1;
                    Some(Place { open: open.clone(), ip })
                }
            };
            let Some(place) = place else {
                Metrics::inc(&self.metrics.connections_refused);
                // One line per 1,000 refusals: a flood must not turn into a log flood.
                if refused_since_log.is_multiple_of(1000) {
                    tracing::warn!(%ip, "connection refused: connection cap reached (counted in connections_refused)");
                }
                refused_since_log += 1;
                drop(tcp);
                continue;
            };
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY not set: {e}");
            }
            tokio::spawn(self.clone().connection(&http, Tracked { io: tcp, _place: place }, service.clone(), ip));
        }
    }

    /// HTTP/1.1 with the header-read timeout (`http_header_timeout`).
    fn http1(&self) -> hyper::server::conn::http1::Builder {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(self.config.http_header_timeout);
        http
    }

    /// Serves one accepted stream until it ends (WebSocket upgrades included); a header timeout
    /// is counted in `http_timeouts`.
    fn connection<I, S, B>(self: Arc<Self>, http: &hyper::server::conn::http1::Builder, io: I, service: S, peer: IpAddr) -> impl Future<Output = ()> + Send + 'static
    where
        I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        S: HttpService<B>,
        B: HttpBody,
    {
        // Request heads are copied out of hyper's read buffer so it is freed after the upgrade.
        let svc = hyper_util::service::TowerToHyperService::new(super::compact::CompactRequest(service));
        let conn = http.serve_connection(hyper_util::rt::TokioIo::new(io), svc).with_upgrades();
        async move {
            if let Err(e) = conn.await {
                if e.is_timeout() {
                    Metrics::inc(&self.metrics.http_timeouts);
                    tracing::debug!(ip = %peer, "connection closed: no complete request head in time");
                } else {
                    tracing::debug!(ip = %peer, "connection ended with an error: {e}");
                }
            }
        }
    }

    /// Serves one connection that the caller accepted itself, over any byte stream, as
    /// [`Runtime::serve`] serves each TCP connection (header timeout, upgrades; no connection
    /// caps, which belong to the accept loop). Feature `sim`: the fault simulation in
    /// tests/src/sim serves its in-memory connections with it. Not a stable API.
    #[cfg(feature = "sim")]
    pub async fn serve_io<I, S, B>(self: Arc<Self>, io: I, service: S, peer: IpAddr)
    where
        I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        S: HttpService<B>,
        B: HttpBody,
    {
        let http = self.http1();
        self.connection(&http, io, service, peer).await;
    }
}
