//! The history of recoverable events per room, behind a trait: in memory by default
//! ([`MemoryHistory`]), in Redis Streams with several nodes
//! ([`super::history_redis::RedisHistory`]). Both give the same [`RoomLog`] to one pure
//! decision, [`plan`], so the rules of what a recovering socket gets live in one place.

use super::auth::BoxFuture;
use crate::recovery::{Position, ResyncReason};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The catalogue's `settings.recovery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// How long events are kept, and how long a client may be away and still recover.
    pub window: Duration,
    /// Events kept per room (older ones go first).
    pub max_events_per_room: usize,
}

impl RecoveryPolicy {
    pub(crate) fn window_ms(&self) -> u64 {
        u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX)
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Its offset in the room.
    pub offset: u64,
    /// When it was appended (store clock, ms since the Unix epoch).
    pub at_ms: u64,
    /// Event name.
    pub event: String,
    /// Payload.
    pub data: Value,
    /// Its positions in every room it was sent to.
    pub rec: Vec<Position>,
}

/// What a store holds for one room, read at once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomLog {
    /// The stream's epoch; `None` when the room has no stream (nothing appended, or forgotten).
    pub epoch: Option<String>,
    /// The last offset given out.
    pub seq: u64,
    /// When the last event was appended (ms).
    pub last_ms: u64,
    /// The events still kept, in offset order (possibly older than the window: `plan` filters).
    pub entries: Vec<Stored>,
    /// The store's clock now (ms).
    pub now_ms: u64,
    /// Since when the store has held every stream it should (ms): its start, or the newest
    /// loss of a stream that could hold events inside the window. Before that, history may be
    /// missing without any epoch saying so.
    pub since_ms: u64,
}

/// Why a store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("history store: {0}")]
pub struct HistoryError(pub String);

/// A store of recoverable events per room.
pub trait History: Send + Sync + 'static {
    /// Appends one event to every room of `rooms` (one atomic step per store) and returns its
    /// positions, in the order of `rooms`.
    fn append<'a>(&'a self, rooms: &'a [String], event: &'a str, data: &'a Value, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<Vec<Position>, HistoryError>>;
    /// Reads `room`'s stream.
    fn read<'a>(&'a self, room: &'a str, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>>;
    /// Reads `room`'s stream for a client that last saw `known` there. When the stream's epoch is
    /// `known`'s, a store may return only the entries [`needed`] keeps (those after `known`'s
    /// offset): [`plan`] answers the same from them, and a client back after a few events does
    /// not fetch the whole stream. The default reads everything.
    fn read_for<'a>(&'a self, room: &'a str, known: Option<&'a Position>, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>> {
        let _ = known;
        self.read(room, policy)
    }
}

/// Whether [`plan`] needs entry `e` of a stream for a client that last saw offset `seen` of the
/// same epoch: only the entries after it. A stream keeps a run of consecutive offsets (it is
/// trimmed from the front), so when one after `seen` is gone, so is every older one, and the
/// first entry after `seen` tells `plan` as much as the stream's first (capped or aged out).
/// `RedisHistory`'s read script keeps the same ones.
pub fn needed(e: &Stored, seen: u64) -> bool {
    e.offset > seen
}

/// What a recovering socket gets for one room.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan<'a> {
    /// These events (maybe none), then live ones; `epoch`/`head` is where the client stands.
    Replay {
        /// The room's epoch (`None`: no history yet).
        epoch: Option<String>,
        /// The room's last offset.
        head: u64,
        /// The events to replay, in offset order.
        events: Vec<&'a Stored>,
    },
    /// The gap cannot be filled.
    Resync(ResyncReason),
}

/// The decision for one room. `known`: the client's last contiguous position in this room;
/// `away_ms`: the store time of the last frame the client heard (it may have missed events
/// from then on); `slack_ms`: how much earlier a replay by time starts, for the frame's transit.
/// The client was away for at most the window (checked before).
///
/// - Same epoch as the client: the events after its offset, unless some of them are no longer
///   kept (window or caps: `too_old` / `capped`).
/// - No position, or an old epoch: the events appended since `cutoff_ms`. That is exact only
///   when the store held the room's history all along (`since_ms <= cutoff_ms`, else
///   `epoch_changed`) and nothing appended after `cutoff_ms` was dropped (else `capped`).
pub fn plan<'a>(log: &'a RoomLog, known: Option<&Position>, away_ms: u64, slack_ms: u64, policy: &RecoveryPolicy) -> Plan<'a> {
    let cutoff_ms = away_ms.saturating_sub(slack_ms);
    let floor = log.now_ms.saturating_sub(policy.window_ms());
    let kept: Vec<&Stored> = log.entries.iter().filter(|e| e.at_ms >= floor).collect();
    // The first offset still readable; everything below it is gone.
    let first = kept.first().map_or(log.seq + 1, |e| e.offset);
    let aged_out = log.entries.first().map_or(log.last_ms < floor, |e| e.at_ms < floor);
    let head = log.seq;
    let replay = |events: Vec<&'a Stored>| Plan::Replay { epoch: log.epoch.clone(), head, events };
    if let (Some(epoch), Some(k)) = (&log.epoch, known)
        && *epoch == k.epoch
    {
        if k.offset > head {
            return Plan::Resync(ResyncReason::EpochChanged);
        }
        let start = k.offset + 1;
        if start < first && start <= head {
            return Plan::Resync(if aged_out { ResyncReason::TooOld } else { ResyncReason::Capped });
        }
        return replay(kept.into_iter().filter(|e| e.offset >= start).collect());
    }
    // A store that started after the client last heard its server may have lost history. (Not
    // `cutoff_ms`: a client of a server that started just before would always be told so.)
    if log.since_ms > away_ms {
        return Plan::Resync(ResyncReason::EpochChanged);
    }
    if log.epoch.is_none() {
        return replay(Vec::new());
    }
    // Something below `first` is gone: fine only when it was appended before the cutoff.
    let lost_after_cutoff = match kept.first() {
        _ if first <= 1 => false,
        Some(e) => e.offset > 1 && e.at_ms > cutoff_ms,
        None => log.last_ms >= cutoff_ms,
    };
    if lost_after_cutoff {
        return Plan::Resync(ResyncReason::Capped);
    }
    replay(kept.into_iter().filter(|e| e.at_ms >= cutoff_ms).collect())
}

/// The wall clock in ms (the memory store's clock; Redis uses its own `TIME`).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A fresh epoch: unique per process start and per room stream created.
pub(crate) fn new_epoch() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}-{}", nanos & 0xffff_ffff_ffff, std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// In-memory history of one node. Bounds: per room `max_events_per_room` and the window; in
/// all `capacity` events (the oldest go first) and `capacity` rooms (the room appended to
/// least recently goes, and its loss moves `since_ms`). A restart starts empty: a new epoch.
pub struct MemoryHistory {
    capacity: usize,
    inner: Mutex<MemInner>,
}

#[derive(Default)]
struct MemInner {
    rooms: HashMap<String, MemRoom>,
    /// Every kept event, oldest first, by room and offset (stale slots are skipped).
    order: VecDeque<(String, u64)>,
    total: usize,
    since_ms: u64,
    /// Appends so far: the rank of a room's last append, to find the least recent one.
    clock: u64,
}

struct MemRoom {
    epoch: String,
    seq: u64,
    last_ms: u64,
    last_rank: u64,
    entries: VecDeque<Stored>,
}

impl MemoryHistory {
    /// A store keeping at most `capacity` events (and rooms) in all.
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), inner: Mutex::new(MemInner { since_ms: now_ms(), ..MemInner::default() }) }
    }

    /// Events kept now.
    pub fn len(&self) -> usize {
        self.lock().total
    }

    /// True when no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn append_now(&self, rooms: &[String], event: &str, data: &Value, policy: &RecoveryPolicy, now: u64) -> Vec<Position> {
        let mut g = self.lock();
        g.clock += 1;
        let rank = g.clock;
        let mut rec = Vec::with_capacity(rooms.len());
        for name in rooms {
            if !g.rooms.contains_key(name) {
                g.make_room_for_room(self.capacity, now, policy);
                g.rooms.insert(name.clone(), MemRoom { epoch: new_epoch(), seq: 0, last_ms: 0, last_rank: 0, entries: VecDeque::new() });
            }
            let r = g.rooms.get_mut(name).expect("inserted above");
            r.seq += 1;
            (r.last_ms, r.last_rank) = (now, rank);
            rec.push(Position { room: name.clone(), epoch: r.epoch.clone(), offset: r.seq });
        }
        for p in &rec {
            let floor = now.saturating_sub(policy.window_ms());
            let stored = Stored { offset: p.offset, at_ms: now, event: event.to_string(), data: data.clone(), rec: rec.clone() };
            let r = g.rooms.get_mut(&p.room).expect("inserted above");
            r.entries.push_back(stored);
            let mut removed = 0;
            while r.entries.len() > policy.max_events_per_room.max(1) || r.entries.front().is_some_and(|e| e.at_ms < floor) {
                r.entries.pop_front();
                removed += 1;
            }
            g.total = g.total + 1 - removed;
            g.order.push_back((p.room.clone(), p.offset));
        }
        while g.total > self.capacity {
            g.drop_oldest_event();
        }
        // Slots of events already gone by the per-room cap pile up: compact now and then.
        if g.order.len() > 2 * self.capacity {
            let MemInner { rooms, order, .. } = &mut *g;
            order.retain(|(room, off)| rooms.get(room).is_some_and(|r| r.entries.iter().any(|e| e.offset == *off)));
        }
        rec
    }
}

impl MemInner {
    fn drop_oldest_event(&mut self) {
        while let Some((room, off)) = self.order.pop_front() {
            if let Some(r) = self.rooms.get_mut(&room)
                && r.entries.front().is_some_and(|e| e.offset == off)
            {
                r.entries.pop_front();
                self.total -= 1;
                return;
            }
        }
    }

    /// Forgets the least recently appended room when the room table is full; its loss moves
    /// `since_ms` when it could hold events inside the window.
    fn make_room_for_room(&mut self, capacity: usize, now: u64, policy: &RecoveryPolicy) {
        if self.rooms.len() < capacity {
            return;
        }
        let Some(victim) = self.rooms.iter().min_by_key(|(_, r)| r.last_rank).map(|(k, _)| k.clone()) else { return };
        if let Some(r) = self.rooms.remove(&victim) {
            self.total -= r.entries.len();
            if r.last_ms + policy.window_ms() >= now {
                self.since_ms = self.since_ms.max(r.last_ms + 1);
            }
        }
    }
}

impl History for MemoryHistory {
    fn append<'a>(&'a self, rooms: &'a [String], event: &'a str, data: &'a Value, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<Vec<Position>, HistoryError>> {
        Box::pin(async move { Ok(self.append_now(rooms, event, data, policy, now_ms())) })
    }

    fn read<'a>(&'a self, room: &'a str, policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>> {
        self.read_for(room, None, policy)
    }

    fn read_for<'a>(&'a self, room: &'a str, known: Option<&'a Position>, _policy: &'a RecoveryPolicy) -> BoxFuture<'a, Result<RoomLog, HistoryError>> {
        Box::pin(async move {
            let g = self.lock();
            let mut log = RoomLog { now_ms: now_ms(), since_ms: g.since_ms, ..RoomLog::default() };
            if let Some(r) = g.rooms.get(room) {
                log.epoch = Some(r.epoch.clone());
                log.seq = r.seq;
                log.last_ms = r.last_ms;
                // Clones only what `plan` reads for this client (each entry holds a payload).
                let seen = known.filter(|k| k.epoch == r.epoch).map_or(0, |k| k.offset);
                log.entries = r.entries.iter().filter(|e| needed(e, seen)).cloned().collect();
            }
            Ok(log)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: RecoveryPolicy = RecoveryPolicy { window: Duration::from_secs(60), max_events_per_room: 3 };

    fn rooms(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn read(h: &MemoryHistory, room: &str) -> RoomLog {
        let g = h.lock();
        let r = &g.rooms[room];
        RoomLog { epoch: Some(r.epoch.clone()), seq: r.seq, last_ms: r.last_ms, entries: r.entries.iter().cloned().collect(), now_ms: 10_000, since_ms: g.since_ms }
    }

    #[test]
    fn offsets_count_per_room_and_multi_room_events_carry_every_position() {
        let h = MemoryHistory::new(100);
        let a = h.append_now(&rooms(&["a"]), "e", &json!(1), &POLICY, 1_000);
        let ab = h.append_now(&rooms(&["a", "b"]), "e", &json!(2), &POLICY, 1_001);
        assert_eq!(a[0].offset, 1);
        assert_eq!((ab[0].offset, ab[1].offset), (2, 1));
        assert_eq!(read(&h, "b").entries[0].rec, ab, "the entry in b knows its offset in a too");
    }

    #[test]
    fn the_plan_replays_after_the_offset_or_asks_for_a_resync() {
        let h = MemoryHistory::new(100);
        h.lock().since_ms = 0;
        for i in 0..5 {
            h.append_now(&rooms(&["a"]), "e", &json!(i), &POLICY, 1_000 + i);
        }
        let log = read(&h, "a");
        let epoch = log.epoch.clone().unwrap();
        let at = |o| Position { room: "a".into(), epoch: epoch.clone(), offset: o };
        let Plan::Replay { events, head, .. } = plan(&log, Some(&at(3)), 0, 0, &POLICY) else { panic!("replay") };
        assert_eq!((events.iter().map(|e| e.offset).collect::<Vec<_>>(), head), (vec![4, 5], 5));
        assert_eq!(plan(&log, Some(&at(1)), 0, 0, &POLICY), Plan::Resync(ResyncReason::Capped), "offset 2 was capped away");
        assert_eq!(plan(&log, Some(&at(9)), 0, 0, &POLICY), Plan::Resync(ResyncReason::EpochChanged), "ahead of the head");
        let other = Position { room: "a".into(), epoch: "old".into(), offset: 1 };
        assert_eq!(plan(&log, Some(&other), 1_001, 0, &POLICY), Plan::Resync(ResyncReason::Capped), "by time: offset 2 (at 1001) is gone");
        let Plan::Replay { events, .. } = plan(&log, Some(&other), 1_003, 0, &POLICY) else { panic!("replay") };
        assert_eq!(events.iter().map(|e| e.offset).collect::<Vec<_>>(), vec![4, 5], "by time: what was appended since the cutoff");
        let Plan::Replay { events, .. } = plan(&log, None, 1_000_000, 0, &POLICY) else { panic!("replay") };
        assert!(events.is_empty(), "nothing after a late cutoff");
        let mut late = log.clone();
        late.since_ms = 2_000;
        assert_eq!(plan(&late, None, 1_500, 0, &POLICY), Plan::Resync(ResyncReason::EpochChanged), "the store started after the client left");
        let mut old = log.clone();
        old.now_ms = 1_004 + 60_001;
        assert_eq!(plan(&old, Some(&at(3)), 0, 0, &POLICY), Plan::Resync(ResyncReason::TooOld), "past the window");
    }

    #[test]
    fn the_total_cap_drops_the_oldest_events_and_rooms() {
        let h = MemoryHistory::new(4);
        h.lock().since_ms = 0;
        for i in 0..6 {
            h.append_now(&rooms(&[&format!("r{i}")]), "e", &json!(i), &POLICY, 1_000 + i);
        }
        assert!(h.len() <= 4, "{}", h.len());
        assert!(h.lock().rooms.len() <= 4);
        assert!(h.lock().since_ms >= 1_001, "a room lost inside the window moves since_ms");
    }

    /// Every log of up to six entries (first offset 1-4, appended 10 ms apart, some aged out of
    /// the window), every offset a client of the stream's epoch may hold and several absences:
    /// `plan` answers the same from the entries `needed` keeps as from all of them.
    #[test]
    fn plan_answers_the_same_from_the_needed_entries() {
        let policy = RecoveryPolicy { window: Duration::from_millis(100), max_events_per_room: 10 };
        let mut checked = 0;
        for first in 1..=4u64 {
            for n in 0..=6u64 {
                for now in [1_000u64, 1_060, 1_090, 1_200] {
                    let entries: Vec<Stored> = (0..n)
                        .map(|i| Stored { offset: first + i, at_ms: 1_000 + 10 * i, event: "e".into(), data: json!(i), rec: Vec::new() })
                        .collect();
                    let seq = first + n - 1;
                    let last_ms = entries.last().map_or(990, |e| e.at_ms);
                    let full = RoomLog { epoch: Some("e1".into()), seq, last_ms, entries, now_ms: now, since_ms: 0 };
                    for seen in 0..=seq + 1 {
                        let k = Position { room: "a".into(), epoch: "e1".into(), offset: seen };
                        let mut cut = full.clone();
                        cut.entries = full.entries.iter().filter(|e| needed(e, seen)).cloned().collect();
                        for away in [0, 995, 1_015, 1_100] {
                            assert_eq!(plan(&cut, Some(&k), away, 5, &policy), plan(&full, Some(&k), away, 5, &policy), "first {first}, {n} entries, now {now}, seen {seen}, away {away}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked}");
    }

    #[tokio::test]
    async fn the_memory_store_reads_what_a_client_of_the_epoch_needs() {
        let h = MemoryHistory::new(100);
        let policy = RecoveryPolicy { window: Duration::from_secs(60), max_events_per_room: 10 };
        let now = now_ms();
        let rec: Vec<Position> = (0..6).map(|i| h.append_now(&rooms(&["a"]), "e", &json!(i), &policy, now)[0].clone()).collect();
        let offsets = |log: &RoomLog| log.entries.iter().map(|e| e.offset).collect::<Vec<_>>();
        let all = h.read("a", &policy).await.unwrap();
        assert_eq!(offsets(&all), vec![1, 2, 3, 4, 5, 6]);
        let mine = h.read_for("a", Some(&rec[3]), &policy).await.unwrap();
        assert_eq!(offsets(&mine), vec![5, 6], "those after offset 4");
        assert_eq!((mine.seq, &mine.epoch), (all.seq, &all.epoch));
        let other = Position { epoch: "another".into(), ..rec[3].clone() };
        assert_eq!(offsets(&h.read_for("a", Some(&other), &policy).await.unwrap()), vec![1, 2, 3, 4, 5, 6], "another epoch reads everything");
        assert!(h.read_for("a", Some(&rec[5]), &policy).await.unwrap().entries.is_empty(), "up to date: nothing");
    }
}
