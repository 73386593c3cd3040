//! Deduplication of reliable client events by message id: a resent message has one effect and
//! gets the same ack. Bounded in size and time; behind a trait so a shared store can replace it.

use super::auth::BoxFuture;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, VecDeque};
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
    /// Not seen, but the store lost every id this long ago, less than its TTL (Redis restarted
    /// empty): an original sent before then may have been handled and forgotten. Marked in
    /// flight like `New`; the pipeline runs it unless it is a resend first sent before the loss.
    NewSinceLoss(Duration),
}

/// How much longer than its stated age a resend may have travelled before the store saw it
/// (network and scheduling; the wait in the socket's lane is measured and added). A resend
/// whose first send may be older than the store's loss by less than this is not run again.
pub const RESEND_SLACK: Duration = Duration::from_secs(5);

/// A store of recently seen message ids, keyed by `{user}\0{event}\0{message id}`. The user is
/// the part before the first NUL: stores partition by it, so that one user's traffic cannot
/// evict another user's ids.
pub trait DedupStore: Send + Sync + 'static {
    /// Marks the id as in flight, or says it was seen.
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen>;
    /// Records the ack of an id begun with `New`.
    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()>;
    /// Forgets an id whose handling failed before producing an ack, so a resend is handled.
    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()>;
}

/// The user part of a key.
fn user_of(key: &str) -> &str {
    key.split('\0').next().unwrap_or(key)
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

/// In-memory store, partitioned by user. Bounds: each id is kept for `ttl`; a user keeps at most
/// `per_user` ids (their own oldest goes first); the whole store keeps at most `capacity` ids, and
/// when it is full the oldest id of the user holding the most ids goes. So a user's ids are never
/// evicted by another user's traffic within the TTL while they hold no more than `per_user` ids
/// and the store has room for `per_user` ids of every active user (README states the figures).
pub struct MemoryDedup {
    ttl: Duration,
    capacity: usize,
    per_user: usize,
    inner: Mutex<Inner>,
}

/// One user's ids; the map and the eviction order share each key (one allocation per id).
#[derive(Default)]
struct Partition {
    map: HashMap<Arc<str>, Entry>,
    order: VecDeque<(Instant, Arc<str>)>,
}

#[derive(Default)]
struct Inner {
    users: HashMap<Arc<str>, Partition>,
    /// `(ids held, oldest first, user)`: the last one is the victim when the store is full (the
    /// largest partition; among equals, the one with the oldest id).
    by_size: BTreeSet<(Rank, Arc<str>)>,
    total: usize,
}

type Rank = (usize, std::cmp::Reverse<Option<Instant>>);

impl Partition {
    fn rank(&self) -> Rank {
        (self.map.len(), std::cmp::Reverse(self.order.front().map(|(at, _)| *at)))
    }

    /// Drops queue slots whose entry is gone or replaced, then the oldest entry if `pred` says so.
    fn pop_oldest_if(&mut self, pred: impl Fn(Instant, usize) -> bool) -> bool {
        while let Some((at, key)) = self.order.front() {
            let live = self.map.get(key).is_some_and(|e| e.at == *at);
            if !live {
                self.order.pop_front();
                continue;
            }
            if !pred(*at, self.map.len()) {
                return false;
            }
            self.map.remove(key);
            self.order.pop_front();
            return true;
        }
        false
    }
}

impl Inner {
    /// Runs `f` on `user`'s partition, keeping the size index and the total right.
    fn with_user<R>(&mut self, user: &str, f: impl FnOnce(&mut Partition) -> R) -> R {
        let name: Arc<str> = match self.users.get_key_value(user) {
            Some((k, _)) => k.clone(),
            None => Arc::from(user),
        };
        let p = self.users.entry(name.clone()).or_default();
        let before = p.rank();
        let r = f(p);
        let after = p.rank();
        if after.0 == 0 {
            self.users.remove(&name);
        }
        if before != after {
            self.by_size.remove(&(before, name.clone()));
            if after.0 > 0 {
                self.by_size.insert((after, name));
            }
            self.total = self.total + after.0 - before.0;
        }
        r
    }
}

impl MemoryDedup {
    /// A store keeping `capacity` ids for `ttl`, at most 1,000 per user.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self::with_per_user(capacity, 1_000, ttl)
    }

    /// A store keeping `capacity` ids in all and `per_user` ids per user, each for `ttl`.
    pub fn with_per_user(capacity: usize, per_user: usize, ttl: Duration) -> Self {
        Self { ttl, capacity: capacity.max(1), per_user: per_user.max(1), inner: Mutex::new(Inner::default()) }
    }

    /// Ids currently remembered.
    pub fn len(&self) -> usize {
        self.lock().total
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store stays usable after a panic elsewhere: its state is only ever a set of ids.
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes room for one more id of `user`: their expired ids, their oldest over `per_user`,
    /// then, while the store is full, the oldest id of the largest partition.
    fn evict(&self, g: &mut Inner, user: &str, now: Instant) {
        let (ttl, per_user) = (self.ttl, self.per_user);
        g.with_user(user, |p| while p.pop_oldest_if(|at, len| now.duration_since(at) > ttl || len >= per_user) {});
        while g.total >= self.capacity {
            let Some((_, largest)) = g.by_size.last().cloned() else { break };
            if !g.with_user(&largest, |p| p.pop_oldest_if(|_, _| true)) {
                break;
            }
        }
    }
}

impl DedupStore for MemoryDedup {
    fn begin<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Seen> {
        Box::pin(async move {
            let now = Instant::now();
            let user = user_of(key);
            let mut g = self.lock();
            let seen = g.with_user(user, |p| {
                let e = p.map.get_mut(key)?;
                if now.duration_since(e.at) > self.ttl {
                    return None;
                }
                Some(match &mut e.state {
                    State::Done(v) => Seen::Done(v.clone()),
                    State::InFlight(Some(tx)) => Seen::InFlight(tx.subscribe()),
                    State::InFlight(none) => {
                        let (tx, rx) = watch::channel(None);
                        *none = Some(tx);
                        Seen::InFlight(rx)
                    }
                })
            });
            if let Some(seen) = seen {
                return seen;
            }
            self.evict(&mut g, user, now);
            g.with_user(user, |p| {
                let key: Arc<str> = Arc::from(key);
                p.map.insert(key.clone(), Entry { at: now, state: State::InFlight(None) });
                p.order.push_back((now, key));
            });
            Seen::New
        })
    }

    fn complete<'a>(&'a self, key: &'a str, ack: Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut g = self.lock();
            g.with_user(user_of(key), |p| {
                if let Some(e) = p.map.get_mut(key) {
                    if let State::InFlight(Some(tx)) = &e.state {
                        tx.send_replace(Some(ack.clone()));
                    }
                    e.state = State::Done(ack);
                }
            });
        })
    }

    fn abandon<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        // Dropping the entry drops its channel: waiting resends see the original did not finish.
        Box::pin(async move {
            self.lock().with_user(user_of(key), |p| p.map.remove(key));
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

    #[tokio::test]
    async fn one_users_flood_does_not_evict_another_users_ids() {
        // The adversarial run: u3 sent 112k fresh ids; u1's acknowledged id must survive.
        let s = MemoryDedup::with_per_user(1_000, 100, Duration::from_secs(600));
        assert!(matches!(s.begin("u1\0chat:send_message\0m1").await, Seen::New));
        s.complete("u1\0chat:send_message\0m1", serde_json::json!({"ok": true})).await;
        for i in 0..112_000 {
            let _ = s.begin(&format!("u3\0chat:read\0r{i}")).await;
        }
        assert!(matches!(s.begin("u1\0chat:send_message\0m1").await, Seen::Done(_)), "u1's id survived u3's flood");
        assert!(s.len() <= 1_000, "{}", s.len());
        // u3 keeps its newest ids within its own quota.
        assert!(matches!(s.begin("u3\0chat:read\0r111999").await, Seen::InFlight(_)));
        assert!(matches!(s.begin("u3\0chat:read\0r0").await, Seen::New));
    }

    #[tokio::test]
    async fn a_full_store_evicts_from_the_largest_user() {
        let s = MemoryDedup::with_per_user(10, 100, Duration::from_secs(600));
        for i in 0..3 {
            let _ = s.begin(&format!("small\0e\0{i}")).await;
        }
        for i in 0..20 {
            let _ = s.begin(&format!("big\0e\0{i}")).await;
        }
        assert_eq!(s.len(), 10);
        for i in 0..3 {
            assert!(matches!(s.begin(&format!("small\0e\0{i}")).await, Seen::InFlight(_)), "small's id {i} kept");
        }
    }
}
