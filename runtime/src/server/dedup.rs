//! Deduplication of reliable client events by message id: a resent message has one effect and
//! gets the same ack. Bounded in size and time; behind a trait so a shared store can replace it.

use super::auth::BoxFuture;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
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

enum State {
    /// Being handled. The channel is made only when a resend races the original: most ids never
    /// need one (a channel per id cost most of this store's 5 % of server CPU in the profile).
    InFlight(Option<watch::Sender<Option<Value>>>),
    Done(Value),
}

struct Entry {
    at: Instant,
    state: State,
}

/// In-memory store: at most `capacity` ids, each kept for `ttl` (oldest evicted first).
pub struct MemoryDedup {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

/// The map and the eviction order share each key (one allocation per id).
#[derive(Default)]
struct Inner {
    map: HashMap<Arc<str>, Entry>,
    order: VecDeque<(Instant, Arc<str>)>,
}

impl MemoryDedup {
    /// A store keeping `capacity` ids for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self { ttl, capacity: capacity.max(1), inner: Mutex::new(Inner::default()) }
    }

    /// Ids currently remembered.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store stays usable after a panic elsewhere: its state is only ever a set of ids.
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn evict(&self, inner: &mut Inner, now: Instant) {
        let Inner { map, order } = inner;
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
            let mut g = self.lock();
            self.evict(&mut g, now);
            if let Some(e) = g.map.get_mut(key) {
                return match &mut e.state {
                    State::Done(v) => Seen::Done(v.clone()),
                    State::InFlight(Some(tx)) => Seen::InFlight(tx.subscribe()),
                    State::InFlight(none) => {
                        let (tx, rx) = watch::channel(None);
                        *none = Some(tx);
                        Seen::InFlight(rx)
                    }
                };
            }
            let key: Arc<str> = Arc::from(key);
            g.map.insert(key.clone(), Entry { at: now, state: State::InFlight(None) });
            g.order.push_back((now, key));
            Seen::New
        })
    }

    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut g = self.lock();
            if let Some(e) = g.map.get_mut(key) {
                if let State::InFlight(Some(tx)) = &e.state {
                    tx.send_replace(Some(ack.clone()));
                }
                e.state = State::Done(ack);
            }
        })
    }

    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        // Dropping the entry drops its channel: waiting resends see the original did not finish.
        Box::pin(async move {
            self.lock().map.remove(key);
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
    async fn a_racing_resend_gets_the_ack_of_the_original() {
        let s = MemoryDedup::new(10, Duration::from_secs(60));
        assert!(matches!(s.begin("u/1").await, Seen::New));
        let (Seen::InFlight(mut a), Seen::InFlight(mut b)) = (s.begin("u/1").await, s.begin("u/1").await) else {
            panic!("resends of an id in flight wait for it");
        };
        s.complete("u/1", serde_json::json!({"ok": true, "n": 1})).await;
        assert_eq!(a.wait_for(Option::is_some).await.unwrap().clone().unwrap()["n"], 1);
        assert_eq!(b.wait_for(Option::is_some).await.unwrap().clone().unwrap()["n"], 1);
        // An abandoned original tells its waiters it did not finish.
        assert!(matches!(s.begin("u/2").await, Seen::New));
        let Seen::InFlight(mut c) = s.begin("u/2").await else { panic!("in flight") };
        s.abandon("u/2").await;
        assert!(c.wait_for(Option::is_some).await.is_err());
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
