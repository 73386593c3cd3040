//! What the client's WebSocket runs over: TCP, dialed from the URL, or (feature `sim`) a stream
//! that a [`Connector`] provides, so the deterministic fault simulation (tests/src/sim/) runs the
//! real client over an in-memory network. An enum rather than a boxed stream: the TCP path stays
//! exactly what tokio-tungstenite's `connect_async` builds.

use super::types::ClientConfig;
use futures_util::{Sink, Stream};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A byte stream a [`Connector`] hands the client.
#[cfg(feature = "sim")]
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
#[cfg(feature = "sim")]
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The future a [`Connector`] returns.
#[cfg(feature = "sim")]
pub type ConnectFuture = Pin<Box<dyn std::future::Future<Output = std::io::Result<Box<dyn Io>>> + Send>>;

/// Opens the byte stream of each connection attempt instead of TCP (feature `sim`; a test seam,
/// not a stable API). The WebSocket handshake, Engine.IO and Socket.IO run over it as over TCP.
#[cfg(feature = "sim")]
pub trait Connector: Send + Sync + 'static {
    /// One new stream to the server, or the error a TCP connect would give.
    fn connect(&self) -> ConnectFuture;
}

/// [`ClientConfig::transport`]: a shared [`Connector`] (feature `sim`).
#[cfg(feature = "sim")]
#[derive(Clone)]
pub struct Transport(pub std::sync::Arc<dyn Connector>);

#[cfg(feature = "sim")]
impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport(..)")
    }
}

/// A WebSocket over TCP or over a provided stream.
pub(super) enum Ws {
    Tcp(WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>),
    #[cfg(feature = "sim")]
    Provided(WebSocketStream<Box<dyn Io>>),
}

/// How the next connection is opened, taken from the config before the attempt starts.
pub(super) struct Opener {
    #[cfg(feature = "sim")]
    transport: Option<Transport>,
}

impl Opener {
    pub(super) fn new(config: &ClientConfig) -> Opener {
        let _ = config;
        Opener {
            #[cfg(feature = "sim")]
            transport: config.transport.clone(),
        }
    }

    /// The WebSocket handshake to `url` over TCP, or over the provided stream.
    pub(super) async fn open(self, url: &str, ws_config: WebSocketConfig) -> Result<Ws, Error> {
        #[cfg(feature = "sim")]
        if let Some(Transport(connector)) = self.transport {
            let io = connector.connect().await.map_err(Error::Io)?;
            let (ws, _) = tokio_tungstenite::client_async_with_config(url, io, Some(ws_config)).await?;
            return Ok(Ws::Provided(ws));
        }
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config), true).await?;
        Ok(Ws::Tcp(ws))
    }
}

impl Ws {
    pub(super) async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        match self {
            Ws::Tcp(ws) => ws.close(frame).await,
            #[cfg(feature = "sim")]
            Ws::Provided(ws) => ws.close(frame).await,
        }
    }
}

/// Calls `$body` with the inner stream pinned, whichever variant it is.
macro_rules! each {
    ($self:ident, $ws:ident => $body:expr) => {
        match $self.get_mut() {
            Ws::Tcp(w) => {
                let $ws = Pin::new(w);
                $body
            }
            #[cfg(feature = "sim")]
            Ws::Provided(w) => {
                let $ws = Pin::new(w);
                $body
            }
        }
    };
}

impl Stream for Ws {
    type Item = Result<Message, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        each!(self, ws => ws.poll_next(cx))
    }
}

impl Sink<Message> for Ws {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        each!(self, ws => ws.poll_ready(cx))
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        each!(self, ws => ws.start_send(item))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        each!(self, ws => ws.poll_flush(cx))
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        each!(self, ws => ws.poll_close(cx))
    }
}
