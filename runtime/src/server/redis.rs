//! The Redis connection of a gateway node: a socketioxide-redis [`Driver`] on a redis-rs
//! `ConnectionManager` (reconnects, and subscribes again by itself after a Redis restart), the
//! shared dedup store ([`RedisDedup`]) and the readiness probe.
//!
//! Why not a driver shipped by socketioxide-redis: its redis-rs driver holds a multiplexed
//! connection that never reconnects (after a Redis restart no broadcast arrives again:
//! `tests/tests/redis_driver.rs`); its fred driver resubscribes, but fred 10 brings second
//! copies of `rand` and `socket2` into the tree.

use super::auth::BoxFuture;
use super::dedup::{DedupStore, Seen};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, PushInfo, PushKind, Value as RedisValue};
use serde_json::Value;
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Longest one Redis command may take (while Redis is down, commands fail after this).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Reconnection delays grow from 50 ms up to this.
pub const MAX_RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// Every node pings Redis this often: a node that only receives notices a lost connection
/// (and reconnects, subscribing again) within about this long.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// A Redis error with what was being done.
#[derive(Debug)]
pub struct RedisError(pub String);

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

fn err(what: &str, e: redis::RedisError) -> RedisError {
    RedisError(format!("{what}: {e}"))
}

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

/// One connection to Redis per node, shared by the adapter (pub/sub), the dedup store and the
/// probe. Clones share it.
#[derive(Clone)]
pub struct RedisConn {
    conn: ConnectionManager,
    handlers: Handlers,
    url: Arc<str>,
    /// Held by every clone; the heartbeat stops when the last one is dropped.
    alive: Arc<()>,
    /// False from a failed heartbeat until the next answered one: publishes then fail at once
    /// (the adapter still delivers to this node's sockets) instead of waiting on a dead link.
    up: Arc<AtomicBool>,
}

impl fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConn").field("url", &self.url).finish_non_exhaustive()
    }
}

impl RedisConn {
    /// Connects to `url` (`redis://host:port[/db]`; RESP3 is required, so Redis 7+).
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let resp3 = if url.contains("protocol=") {
            url.to_string()
        } else {
            format!("{url}{}protocol=resp3", if url.contains('?') { '&' } else { '?' })
        };
        let client = redis::Client::open(resp3.as_str()).map_err(|e| err(&format!("invalid Redis URL `{url}`"), e))?;
        let handlers: Handlers = Arc::default();
        let h = handlers.clone();
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_push_sender(move |msg: PushInfo| {
                route(msg, &h);
                Ok::<(), std::convert::Infallible>(())
            })
            .set_automatic_resubscription()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(MAX_RECONNECT_DELAY);
        let conn = client.get_connection_manager_with_config(config).await.map_err(|e| err(&format!("cannot connect to Redis at `{url}`"), e))?;
        let this = Self { conn, handlers, url: url.into(), alive: Arc::new(()), up: Arc::new(AtomicBool::new(true)) };
        this.spawn_heartbeat();
        Ok(this)
    }

    /// Pings every [`HEARTBEAT`] while a handle to the connection lives elsewhere: the
    /// connection manager reconnects only when a command fails.
    fn spawn_heartbeat(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Only this task's own handle is left: the node is gone.
                if Arc::strong_count(&this.alive) <= 1 {
                    return;
                }
                let ok = this.ping().await.is_ok();
                if this.up.swap(ok, Ordering::Relaxed) != ok {
                    if ok { tracing::info!("Redis answers again") } else { tracing::warn!("Redis does not answer; broadcasts reach this node's sockets only") }
                }
            }
        });
    }

    /// The connection, for other stores on the same Redis (history).
    pub(crate) fn manager(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// True when Redis answers `PING` within [`COMMAND_TIMEOUT`].
    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut c = self.conn.clone();
        match tokio::time::timeout(COMMAND_TIMEOUT, redis::cmd("PING").query_async::<RedisValue>(&mut c)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(err("PING", e)),
            Err(_) => Err(RedisError(format!("PING: no answer within {COMMAND_TIMEOUT:?}"))),
        }
    }
}

/// Hands a pub/sub message to its channel's subscriber; never blocks the connection.
fn route(msg: PushInfo, handlers: &Handlers) {
    if !matches!(msg.kind, PushKind::Message | PushKind::SMessage) || msg.data.len() < 2 {
        return;
    }
    let mut data = msg.data.into_iter();
    let (Some(chan), Some(payload)) = (data.next(), data.next()) else { return };
    let (Ok(chan), Ok(payload)) = (redis::from_redis_value::<String>(chan), redis::from_redis_value::<Vec<u8>>(payload)) else {
        tracing::warn!("unreadable pub/sub message from Redis; dropped");
        return;
    };
    let map = handlers.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(tx) = map.get(&chan)
        && let Err(e) = tx.try_send((chan, payload))
    {
        tracing::warn!("Redis pub/sub message dropped (subscriber behind): {e}");
    }
}

impl Driver for RedisConn {
    type Error = RedisError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        if !self.up.load(Ordering::Relaxed) {
            return Err(RedisError("PUBLISH: Redis is unreachable (last heartbeat failed)".into()));
        }
        self.conn.clone().publish::<_, _, RedisValue>(chan, val).await.map_err(|e| err("PUBLISH", e))?;
        Ok(())
    }

    async fn subscribe(&self, chan: String, size: usize) -> Result<MessageStream<ChanItem>, Self::Error> {
        let (tx, rx) = mpsc::channel(size);
        // Registered before subscribing: no message may arrive without its handler.
        self.handlers.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(chan.clone(), tx);
        self.conn.clone().subscribe(chan.as_str()).await.map_err(|e| err("SUBSCRIBE", e))?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        self.handlers.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&chan);
        self.conn.clone().unsubscribe(chan).await.map_err(|e| err("UNSUBSCRIBE", e))?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let (_, count): (String, u16) =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(chan).query_async(&mut self.conn.clone()).await.map_err(|e| err("PUBSUB NUMSUB", e))?;
        Ok(count)
    }
}

/// The dedup store shared by every node: one Redis key per message id, under the user's
/// prefix `switchboard:dedup:{user}\0`, set if absent with the TTL (`SET NX PX`), holding `p`
/// while the original is handled and `d{ack}` once it is done. A resend on any node has one
/// effect and gets the same ack.
///
/// While Redis is unreachable a reliable event is refused (`internal`, the client resends
/// later) rather than risk a second effect. A per-user cap is not enforced here: keys expire
/// with the TTL, and Redis's `maxmemory` bounds the whole.
///
/// Redis restarted empty forgets every id. `switchboard:dedup-since` (set NX to Redis's time by
/// every `begin`) says since when Redis holds the ids: for a TTL after it, an id not found is
/// [`Seen::NewSinceLoss`], so a resend first sent before the loss is not run again.
pub struct RedisDedup {
    conn: RedisConn,
    ttl: Duration,
}

/// Interval at which a resend polls for the ack of an original handled elsewhere.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(50);
const PENDING: &str = "p";
const SINCE_KEY: &str = "switchboard:dedup-since";

/// `SET NX PX` of the id, in one step with the loss marker: `{"n", ms Redis has held ids}` when
/// the id is new, `{"s", stored value}` when it was seen.
/// Run by its SHA1 (EVALSHA); redis-rs sends the body again when Redis answers NOSCRIPT.
static BEGIN: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[2], now, 'NX')
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then
  return {'n', tostring(now - tonumber(redis.call('GET', KEYS[2])))}
end
return {'s', redis.call('GET', KEYS[1])}
"));

impl RedisDedup {
    /// A store on `conn` remembering ids for `ttl`.
    pub fn new(conn: RedisConn, ttl: Duration) -> Self {
        Self { conn, ttl: ttl.max(Duration::from_millis(1)) }
    }

    fn key(key: &str) -> String {
        format!("switchboard:dedup:{key}")
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// What Redis holds for `key`: `None` when absent.
    async fn read(conn: &mut ConnectionManager, key: &str) -> Result<Option<String>, RedisError> {
        conn.get::<_, Option<String>>(key).await.map_err(|e| err("GET", e))
    }

    async fn try_begin(&self, key: &str) -> Result<Seen, RedisError> {
        let mut c = self.conn.conn.clone();
        let (kind, value): (String, Option<String>) =
            BEGIN.key(key).key(SINCE_KEY).arg(self.ttl_ms()).arg(PENDING).invoke_async(&mut c).await.map_err(|e| err("EVALSHA begin", e))?;
        match (kind.as_str(), value) {
            ("n", Some(held)) => {
                let held = Duration::from_millis(held.parse().map_err(|_| RedisError(format!("dedup: unexpected reply `{held}`")))?);
                Ok(if held < self.ttl { Seen::NewSinceLoss(held) } else { Seen::New })
            }
            ("s", Some(v)) if v != PENDING => Ok(Seen::Done(parse_done(&v))),
            // In flight here or on another node: wait for its ack.
            _ => Ok(Seen::InFlight(self.watch(key.to_string()))),
        }
    }

    /// A receiver that gets the ack once the original completes; closed when it was abandoned
    /// or expired, or when the waiter gave up.
    fn watch(&self, key: String) -> watch::Receiver<Option<Value>> {
        let (tx, rx) = watch::channel(None);
        let mut c = self.conn.conn.clone();
        let ttl = self.ttl;
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + ttl;
            while tokio::time::Instant::now() < deadline && !tx.is_closed() {
                tokio::time::sleep(IN_FLIGHT_POLL).await;
                match Self::read(&mut c, &key).await {
                    Ok(Some(v)) if v == PENDING => {}
                    Ok(Some(v)) => {
                        tx.send_replace(Some(parse_done(&v)));
                        return;
                    }
                    // Abandoned or expired: dropping the sender tells the waiter.
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!("dedup: waiting for an original's ack: {e}");
                        return;
                    }
                }
            }
        });
        rx
    }
}

fn parse_done(v: &str) -> Value {
    v.strip_prefix('d').and_then(|j| serde_json::from_str(j).ok()).unwrap_or(Value::Null)
}

impl DedupStore for RedisDedup {
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen> {
        Box::pin(async move {
            match self.try_begin(&Self::key(key)).await {
                Ok(seen) => seen,
                Err(e) => {
                    // Refused rather than handled twice: a closed channel answers `internal`.
                    tracing::warn!("dedup store unreachable, reliable event refused: {e}");
                    Seen::InFlight(watch::channel(None).1)
                }
            }
        })
    }

    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let value = format!("d{ack}");
            let r: Result<RedisValue, _> = redis::cmd("SET").arg(Self::key(key)).arg(value).arg("PX").arg(self.ttl_ms()).query_async(&mut self.conn.conn.clone()).await;
            if let Err(e) = r {
                // The effect happened; a resend finds `p` and is refused until the key expires.
                tracing::warn!("dedup: the ack could not be stored: {e}");
            }
        })
    }

    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.conn.conn.clone().del::<_, RedisValue>(Self::key(key)).await {
                tracing::warn!("dedup: an abandoned id could not be forgotten (it expires with its TTL): {e}");
            }
        })
    }
}
