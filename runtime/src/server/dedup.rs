//! Deduplication of reliable client events by message id: a resent message has one effect and
//! gets the same ack. Bounded in size and time; behind a trait so a shared store can replace it.

use super::auth::BoxFuture;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What the store knows about a message id.
#[derive(Debug)]
pub enum Seen {
    /// First time: handle it, then call [`DedupStore::complete`].
    New,
    /// Handled before: answer with this ack.
    Done(Value),
    /// Being handled right now (a resend raced the original): wait for its ack.
    InFlight(watch::Receiver<Option<Value>>),
}

/// A store of recently seen message ids, keyed by `(user, message id)`.
pub trait DedupStore: Send + Sync + 'static {
    /// Marks the id as in flight, or says it was seen.
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen>;
    /// Records the ack of an id begun with `New`.
    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()>;
    /// Forgets an id whose handling failed before producing an ack, so a resend is handled.
    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()>;
}

struct Entry {
    at: Instant,
    state: watch::Sender<Option<Value>>,
}

/// In-memory store: at most `capacity` ids, each kept for `ttl` (oldest evicted first).
pub struct MemoryDedup {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<(HashMap<String, Entry>, VecDeque<(Instant, String)>)>,
}

impl MemoryDedup {
    /// A store keeping `capacity` ids for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self { ttl, capacity: capacity.max(1), inner: Mutex::new((HashMap::new(), VecDeque::new())) }
    }

    /// Ids currently remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn evict(&self, map: &mut HashMap<String, Entry>, order: &mut VecDeque<(Instant, String)>, now: Instant) {
        while let Some((at, key)) = order.front() {
            let expired = now.duration_since(*at) > self.ttl;
            if !expired && map.len() < self.capacity {
                break;
            }
            // Only remove the map entry if it is the one this queue slot refers to.
            if map.get(key).is_some_and(|e| e.at == *at) {
                map.remove(key);
            }
            order.pop_front();
        }
    }
}

impl DedupStore for MemoryDedup {
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen> {
        Box::pin(async move {
            let now = Instant::now();
            let mut g = match self.inner.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let (map, order) = &mut *g;
            self.evict(map, order, now);
            if let Some(e) = map.get(key) {
                return match e.state.borrow().clone() {
                    Some(v) => Seen::Done(v),
                    None => Seen::InFlight(e.state.subscribe()),
                };
            }
            let (tx, _) = watch::channel(None);
            map.insert(key.to_string(), Entry { at: now, state: tx });
            order.push_back((now, key.to_string()));
            Seen::New
        })
    }

    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let g = match self.inner.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if let Some(e) = g.0.get(key) {
                e.state.send_replace(Some(ack));
            }
        })
    }

    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut g = match self.inner.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            g.0.remove(key);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_sight_returns_the_first_ack() {
        let s = MemoryDedup::new(10, Duration::from_secs(60));
        assert!(matches!(s.begin("u/1").await, Seen::New));
        assert!(matches!(s.begin("u/1").await, Seen::InFlight(_)));
        s.complete("u/1", serde_json::json!({"ok": true})).await;
        assert!(matches!(s.begin("u/1").await, Seen::Done(v) if v["ok"] == true));
        assert!(matches!(s.begin("u/2").await, Seen::New));
    }

    #[tokio::test]
    async fn bounded_by_capacity() {
        let s = MemoryDedup::new(3, Duration::from_secs(60));
        for i in 0..10 {
            let _ = s.begin(&format!("k{i}")).await;
        }
        assert!(s.len() <= 3, "{}", s.len());
        assert!(matches!(s.begin("k9").await, Seen::InFlight(_)));
        assert!(matches!(s.begin("k0").await, Seen::New));
    }

    #[tokio::test]
    async fn abandoned_ids_can_be_retried() {
        let s = MemoryDedup::new(3, Duration::from_secs(60));
        assert!(matches!(s.begin("a").await, Seen::New));
        s.abandon("a").await;
        assert!(matches!(s.begin("a").await, Seen::New));
    }
}
