//! The history in Redis Streams, shared by every node: per room a hash
//! `switchboard:rec:m:{room}` (`epoch`, `seq`, `last`) and a stream `switchboard:rec:s:{room}`
//! whose entry ids are the offsets (`{offset}-0`). One Lua script appends (HINCRBY + XADD
//! MAXLEN, atomic for every target room); another reads (HMGET + XRANGE, one snapshot; for a
//! client of the stream's epoch only the entries after its offset). Times
//! come from Redis's own `TIME`, so nodes never compare clocks.
//!
//! `switchboard:rec:since` is set (NX) to Redis's time by the first call after Redis starts
//! empty: a restart or FLUSHALL creates it again, later, and every room then has a new epoch,
//! so a client away across it is told `resync_required`. Redis must not evict these keys
//! (`maxmemory-policy noeviction`, or no maxmemory): an evicted room is lost without a sign.

use super::auth::BoxFuture;
use super::history::{History, HistoryError, RecoveryPolicy, RoomLog, Stored, new_epoch};
use super::redis::{COMMAND_TIMEOUT, RedisConn};
use crate::recovery::Position;
use redis::{Script, Value as RedisValue};
use serde_json::Value;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a room's epoch and offset counter outlive its last append: longer than any window,
/// so a quiet room keeps its epoch (its stream expires with the window).
pub const META_TTL: Duration = Duration::from_secs(24 * 3600);

const SINCE_KEY: &str = "switchboard:rec:since";

static APPEND: LazyLock<Script> = LazyLock::new(|| Script::new(r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now, 'NX')
local n = (#KEYS - 1) / 2
local out = {}
local parts = {}
for i = 1, n do
  local meta = KEYS[2 * i]
  redis.call('HSETNX', meta, 'epoch', ARGV[5] .. '-' .. i)
  local off = redis.call('HINCRBY', meta, 'seq', 1)
  local epoch = redis.call('HGET', meta, 'epoch')
  redis.call('HSET', meta, 'last', now)
  redis.call('PEXPIRE', meta, ARGV[4])
  out[2 * i - 1] = epoch
  out[2 * i] = off
  parts[i] = cjson.encode({room = ARGV[5 + i], epoch = epoch, offset = off})
end
local rec = '[' .. table.concat(parts, ',') .. ']'
for i = 1, n do
  local stream = KEYS[2 * i + 1]
  redis.call('XADD', stream, 'MAXLEN', ARGV[3], out[2 * i] .. '-0', 't', now, 'e', ARGV[1], 'd', ARGV[2], 'p', rec)
  redis.call('PEXPIRE', stream, ARGV[6 + n])
end
return out
"));

static READ: LazyLock<Script> = LazyLock::new(|| Script::new(r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now, 'NX')
local since = redis.call('GET', KEYS[1])
local m = redis.call('HMGET', KEYS[2], 'epoch', 'seq', 'last')
local entries
if ARGV[1] ~= '' and m[1] == ARGV[1] then
  -- The client's epoch: the entries after its offset (history::needed).
  entries = redis.call('XRANGE', KEYS[3], ARGV[2] .. '-0', '+')
else
  entries = redis.call('XRANGE', KEYS[3], '-', '+')
end
return {tostring(now), since, m[1] or '', m[2] or '0', m[3] or '0', entries}
"));

/// History in Redis Streams (see the module docs).
pub struct RedisHistory {
    conn: RedisConn,
}

static MARK: LazyLock<Script> = LazyLock::new(|| Script::new(r"
local t = redis.call('TIME')
redis.call('SET', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), 'NX')
return 1
"));

impl RedisHistory {
    /// A store on `conn`. Prefer [`RedisHistory::open`].
    pub fn new(conn: RedisConn) -> Self {
        Self { conn }
    }

    /// A store on `conn` that marks, now, since when Redis holds the history (unless it already
    /// does): a client of this node is then never told that history before its first event was
    /// lost.
    pub async fn open(conn: RedisConn) -> Result<Self, HistoryError> {
        let this = Self { conn };
        this.eval(&MARK, &[SINCE_KEY.to_string()], &[]).await?;
        Ok(this)
    }

    /// Runs `script` by its SHA1 (EVALSHA); redis-rs sends the body again when Redis answers
    /// NOSCRIPT (a restart empties its script cache).
    async fn eval(&self, script: &Script, keys: &[String], args: &[String]) -> Result<RedisValue, HistoryError> {
        let mut call = script.prepare_invoke();
        for k in keys {
            call.key(k);
        }
        for a in args {
            call.arg(a);
        }
        let mut c = self.conn.manager();
        match tokio::time::timeout(COMMAND_TIMEOUT, call.invoke_async::<RedisValue>(&mut c)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(HistoryError(format!("Redis: {e}"))),
            Err(_) => Err(HistoryError(format!("Redis: no answer within {COMMAND_TIMEOUT:?}"))),
        }
    }
}

fn meta_key(room: &str) -> String {
    format!("switchboard:rec:m:{room}")
}

fn stream_key(room: &str) -> String {
    format!("switchboard:rec:s:{room}")
}

fn ms(d: Duration) -> String {
    d.as_millis().max(1).to_string()
}

fn text(v: &RedisValue) -> Option<String> {
    redis::from_redis_value_ref::<String>(v).ok()
}

fn number(v: &RedisValue) -> Option<u64> {
    redis::from_redis_value_ref::<u64>(v).ok().or_else(|| text(v)?.parse().ok())
}

fn bad(what: &str) -> HistoryError {
    HistoryError(format!("unexpected reply from Redis ({what})"))
}

/// One XRANGE entry: `[id, [field, value, ...]]`.
fn entry(v: &RedisValue) -> Result<Stored, HistoryError> {
    let RedisValue::Array(parts) = v else { return Err(bad("stream entry")) };
    let (Some(id), Some(RedisValue::Array(fields))) = (parts.first().and_then(text), parts.get(1)) else { return Err(bad("stream entry")) };
    let offset = id.split('-').next().and_then(|o| o.parse().ok()).ok_or_else(|| bad("stream id"))?;
    let mut e = Stored { offset, at_ms: 0, event: String::new(), data: Value::Null, rec: Vec::new() };
    for pair in fields.chunks(2) {
        let (Some(k), Some(v)) = (pair.first().and_then(text), pair.get(1).and_then(text)) else { continue };
        match k.as_str() {
            "t" => e.at_ms = v.parse().map_err(|_| bad("entry time"))?,
            "e" => e.event = v,
            "d" => e.data = serde_json::from_str(&v).map_err(|_| bad("entry data"))?,
            "p" => e.rec = serde_json::from_str(&v).map_err(|_| bad("entry positions"))?,
            _ => {}
        }
    }
    Ok(e)
}

impl History for RedisHistory {
    fn append<'a>(&'a self, rooms: &'a [String], event: &'a str, data: &'a Value, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<Vec<Position>, HistoryError>> {
        Box::pin(async move {
            let mut keys = vec![SINCE_KEY.to_string()];
            for r in rooms {
                keys.push(meta_key(r));
                keys.push(stream_key(r));
            }
            let mut args = vec![event.to_string(), data.to_string(), policy.max_events_per_room.max(1).to_string(), ms(META_TTL.max(policy.window * 2)), new_epoch()];
            args.extend(rooms.iter().cloned());
            // The stream outlives the window a little: its entries are useless after it.
            args.push(ms(policy.window + Duration::from_secs(60)));
            let RedisValue::Array(out) = self.eval(&APPEND, &keys, &args).await? else { return Err(bad("append")) };
            rooms
                .iter()
                .zip(out.chunks(2))
                .map(|(room, pair)| {
                    let epoch = pair.first().and_then(text).ok_or_else(|| bad("epoch"))?;
                    let offset = pair.get(1).and_then(number).ok_or_else(|| bad("offset"))?;
                    Ok(Position { room: room.clone(), epoch, offset })
                })
                .collect()
        })
    }

    fn read<'a>(&'a self, room: &'a str, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>> {
        self.read_for(room, None, policy)
    }

    fn read_for<'a>(&'a self, room: &'a str, known: Option<&'a Position>, _policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>> {
        Box::pin(async move {
            let keys = [SINCE_KEY.to_string(), meta_key(room), stream_key(room)];
            // The script compares the epoch itself (one snapshot); an empty one reads everything.
            let args = match known {
                // The first id after the client's offset (XRANGE is inclusive).
                Some(k) if !k.epoch.is_empty() => [k.epoch.clone(), k.offset.saturating_add(1).to_string()],
                _ => [String::new(), "0".to_string()],
            };
            let RedisValue::Array(out) = self.eval(&READ, &keys, &args).await? else { return Err(bad("read")) };
            let field = |i: usize| out.get(i).and_then(number).ok_or_else(|| bad("read"));
            let epoch = out.get(2).and_then(text).filter(|e| !e.is_empty());
            let entries = match out.get(5) {
                Some(RedisValue::Array(list)) => list.iter().map(entry).collect::<Result<Vec<_>, _>>()?,
                _ => Vec::new(),
            };
            Ok(RoomLog { now_ms: field(0)?, since_ms: field(1)?, epoch, seq: field(3)?, last_ms: field(4)?, entries })
        })
    }
}
