//! The socketioxide adapter of every generated server: rooms in memory (one node), or room
//! broadcasts fanned out to every node through Redis pub/sub (socketioxide-redis over
//! [`RedisConn`]), chosen at startup. One concrete type, so generated code names one `SocketIo`
//! whatever the deployment.
//!
//! Rooms and sockets are always local to a node: a node knows only its own sockets' rooms, and a
//! broadcast is published once to Redis and delivered by each node to its own members.

use socketioxide::adapter::Emitter;
use socketioxide_core::adapter::errors::BroadcastError;
use socketioxide_core::adapter::{BroadcastOptions, CoreAdapter, CoreLocalAdapter, DefinedAdapter, RemoteSocketData, Room, RoomParam, Spawnable};
use socketioxide_core::packet::Packet;
use super::redis::RedisConn;
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;


/// The adapter: [`AdapterState::local`] keeps rooms in memory, [`AdapterState::redis`] fans
/// broadcasts out to every node on the same Redis.
pub enum NodeAdapter {
    /// One node.
    Local(CoreLocalAdapter<Emitter>),
    /// Several nodes on Redis.
    Redis(Arc<CustomRedisAdapter<Emitter, RedisConn>>),
}

/// What every namespace's adapter is made from.
#[derive(Default)]
pub struct AdapterState {
    redis: Option<RedisAdapterCtr<RedisConn>>,
}

impl AdapterState {
    /// Rooms in memory: one node.
    pub fn local() -> Self {
        Self::default()
    }

    /// Broadcasts through Redis on `conn`: they reach every node on the same Redis.
    pub fn redis(conn: RedisConn) -> Self {
        Self { redis: Some(RedisAdapterCtr::new_with_driver(conn, RedisAdapterConfig::new().with_prefix("switchboard"))) }
    }

    /// True when broadcasts go through Redis.
    pub fn is_redis(&self) -> bool {
        self.redis.is_some()
    }
}

/// The outcome of the namespace's adapter initialisation, once known.
#[derive(Clone)]
pub(crate) struct Mounted(tokio::sync::watch::Sender<Option<Result<(), String>>>);

impl Default for Mounted {
    fn default() -> Self {
        Self(tokio::sync::watch::channel(None).0)
    }
}

impl Mounted {
    /// Records `init`'s outcome: at once in memory, when subscribed with Redis.
    pub(crate) fn track(&self, init: NodeInit) {
        match init {
            NodeInit::Ready => {
                self.0.send_replace(Some(Ok(())));
            }
            redis => {
                let tx = self.0.clone();
                tokio::spawn(async move {
                    let r = redis.await;
                    if let Err(e) = &r {
                        tracing::error!("namespace not mounted: {e}");
                    }
                    tx.send_replace(Some(r));
                });
            }
        }
    }
}

impl super::Runtime {
    /// Waits until the namespace registered by [`super::Runtime::mount`] accepts connections
    /// (at once in memory; once subscribed to its channels with Redis), at most `timeout`.
    pub async fn mounted(&self, timeout: Duration) -> Result<(), String> {
        let mut rx = self.mounted.0.subscribe();
        match tokio::time::timeout(timeout, rx.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => v.clone().unwrap_or_else(|| Err("namespace not mounted".into())),
            Ok(Err(_)) => Err("namespace not mounted: the runtime is gone".into()),
            Err(_) => Err(format!("namespace not mounted within {timeout:?} (is Redis reachable?)")),
        }
    }
}

type RedisError = socketioxide_redis::Error<RedisConn>;
type Inner = CustomRedisAdapter<Emitter, RedisConn>;

/// The adapter's initialisation: done at once in memory; subscribing to the namespace's
/// channels with Redis.
pub enum NodeInit {
    /// Nothing to wait for.
    Ready,
    /// Subscribing.
    Redis(socketioxide_redis::InitRes<RedisConn>),
}

impl Future for NodeInit {
    type Output = Result<(), String>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Ready => Poll::Ready(Ok(())),
            Self::Redis(f) => Pin::new(f).poll(cx).map(|r| r.map_err(|e| format!("Redis adapter: {e}"))),
        }
    }
}

impl Spawnable for NodeInit {
    fn spawn(self) {
        if let Self::Redis(f) = self {
            f.spawn();
        }
    }
}

impl DefinedAdapter for NodeAdapter {}

impl CoreAdapter<Emitter> for NodeAdapter {
    type Error = RedisError;
    type State = AdapterState;
    type AckStream = <Inner as CoreAdapter<Emitter>>::AckStream;
    type InitRes = NodeInit;

    fn new(state: &Self::State, local: CoreLocalAdapter<Emitter>) -> Self {
        match &state.redis {
            None => Self::Local(local),
            Some(ctr) => Self::Redis(Arc::new(<Inner as CoreAdapter<Emitter>>::new(ctr, local))),
        }
    }

    fn init(self: Arc<Self>, on_success: impl FnOnce() + Send + 'static) -> Self::InitRes {
        match &*self {
            Self::Local(_) => {
                on_success();
                NodeInit::Ready
            }
            Self::Redis(inner) => NodeInit::Redis(inner.clone().init(on_success)),
        }
    }

    async fn close(&self) -> Result<(), Self::Error> {
        match self {
            Self::Local(_) => Ok(()),
            Self::Redis(inner) => inner.close().await,
        }
    }

    async fn server_count(&self) -> Result<u16, Self::Error> {
        match self {
            Self::Local(_) => Ok(1),
            Self::Redis(inner) => inner.server_count().await,
        }
    }

    async fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        match self {
            Self::Local(local) => local.broadcast(packet, opts).map_err(BroadcastError::from),
            Self::Redis(inner) => {
                // The adapter publishes first and returns on failure: this node's own members
                // still get the event while Redis is down, and the caller is told of the failure.
                let (p, o) = (packet.clone(), opts.clone());
                match inner.broadcast(packet, opts).await {
                    Err(BroadcastError::Adapter(e)) => {
                        if let Err(local) = inner.get_local().broadcast(p, o) {
                            tracing::warn!("local delivery failed too: {local:?}");
                        }
                        Err(BroadcastError::Adapter(e))
                    }
                    other => other,
                }
            }
        }
    }

    async fn broadcast_with_ack(&self, packet: Packet, opts: BroadcastOptions, timeout: Option<Duration>) -> Result<Self::AckStream, Self::Error> {
        match self {
            Self::Local(local) => Ok(futures_util::future::Either::Left(local.broadcast_with_ack(packet, opts, timeout).0)),
            Self::Redis(inner) => inner.broadcast_with_ack(packet, opts, timeout).await,
        }
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: impl RoomParam) -> Result<(), Self::Error> {
        match self {
            Self::Local(local) => {
                local.add_sockets(opts, rooms);
                Ok(())
            }
            Self::Redis(inner) => inner.add_sockets(opts, rooms).await,
        }
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: impl RoomParam) -> Result<(), Self::Error> {
        match self {
            Self::Local(local) => {
                local.del_sockets(opts, rooms);
                Ok(())
            }
            Self::Redis(inner) => inner.del_sockets(opts, rooms).await,
        }
    }

    async fn disconnect_socket(&self, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        match self {
            Self::Local(local) => local.disconnect_socket(opts).map_err(BroadcastError::Socket),
            Self::Redis(inner) => inner.disconnect_socket(opts).await,
        }
    }

    async fn rooms(&self, opts: BroadcastOptions) -> Result<Vec<Room>, Self::Error> {
        match self {
            Self::Local(local) => Ok(local.rooms(opts).into_iter().collect()),
            Self::Redis(inner) => inner.rooms(opts).await,
        }
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<RemoteSocketData>, Self::Error> {
        match self {
            Self::Local(local) => Ok(local.fetch_sockets(opts)),
            Self::Redis(inner) => inner.fetch_sockets(opts).await,
        }
    }

    fn get_local(&self) -> &CoreLocalAdapter<Emitter> {
        match self {
            Self::Local(local) => local,
            Self::Redis(inner) => inner.get_local(),
        }
    }
}
