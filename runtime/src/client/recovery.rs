//! The client half of recovery (protocol in [`crate::recovery`]): what the client has seen per
//! room (epoch, the last contiguous offset, offsets seen above it), the request sent after the
//! re-joins of a reconnect, and exactly-once, in-order delivery around the race between the
//! replay and live events: while a request is in flight, positioned events are held; the answer's
//! events go first, then the held ones, each skipped when already seen.
//!
//! Live events can also arrive out of order: with several gateway nodes, an event another node
//! sent travels through Redis pub/sub and can be overtaken by a later one the client's own node
//! delivers directly. An event whose offset is past a gap in one of its rooms is held ("early")
//! until the gap fills; if it is still open after `reorder_wait`, the gap is asked for like after
//! a reconnect (the server replays it from history), or, without recovery, the held events are
//! delivered in order and the gap is left.

use crate::recovery::{Position, RecoverReply, RecoverRequest, ResyncReason, RoomOutcome};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::time::Instant;

/// Offsets remembered above a gap per room; past it the oldest gap is given up.
const MAX_ABOVE: usize = 1024;

/// Live events held ahead of open gaps; past it the gaps are asked for at once instead of
/// after `reorder_wait` (so a fast room cannot grow the client's memory while it waits).
const MAX_EARLY: usize = 1024;

/// Live events held while a `_recover` request is in flight. Later ones are not kept: they are
/// in the server's history, so once the answer is in, a second request asks for them (a busy
/// room cannot grow the client's memory without bound while it waits).
const MAX_HELD: usize = 4 * MAX_EARLY;

/// An event to hand to the listeners.
pub(super) type Delivery = (String, Value);

#[derive(Debug, Clone)]
struct Track {
    epoch: String,
    /// Every offset up to here was seen.
    mark: u64,
    above: BTreeSet<u64>,
}

impl Track {
    fn new(epoch: String, mark: u64) -> Self {
        Self { epoch, mark, above: BTreeSet::new() }
    }

    fn seen(&self, offset: u64) -> bool {
        offset <= self.mark || self.above.contains(&offset)
    }

    fn record(&mut self, offset: u64) {
        if offset <= self.mark {
            return;
        }
        self.above.insert(offset);
        self.advance();
        while self.above.len() > MAX_ABOVE {
            if let Some(first) = self.above.pop_first() {
                self.mark = first;
                self.advance();
            }
        }
    }

    fn advance(&mut self) {
        while self.above.remove(&(self.mark + 1)) {
            self.mark += 1;
        }
    }

    fn settle_at(&mut self, head: u64) {
        self.mark = self.mark.max(head);
        let mark = self.mark;
        self.above.retain(|o| *o > mark);
        self.advance();
    }
}

/// What survives reconnects for recovery.
pub(super) struct Tracker {
    enabled: bool,
    rooms: HashMap<String, Track>,
    /// Positioned events received on a link before its recovery is answered.
    held: Option<Vec<(String, Value, Vec<Position>)>>,
    /// When the last frame from the server arrived.
    heard: Option<Instant>,
    /// The last frame before the gap being recovered (kept until a recovery is answered, so a
    /// link that dies before its answer does not move it).
    away: Option<Instant>,
    /// A recovery is due on the next link.
    owed: bool,
    /// Live events that arrived ahead of a gap in one of their rooms, in arrival order.
    early: Vec<(String, Value, Vec<Position>)>,
    /// Since when the oldest open gap has waited.
    early_since: Option<Instant>,
    /// How long a gap may stay open before it is asked for.
    reorder_wait: Duration,
    /// Since when live events past `MAX_HELD` were left to a second request (due once the
    /// answer is in).
    refetch: Option<Instant>,
}

/// What the session does with the outcome of a step.
#[derive(Default)]
pub(super) struct Steps {
    pub(super) deliver: Vec<Delivery>,
    pub(super) resync: Vec<(String, ResyncReason)>,
    pub(super) recovered: Option<(usize, usize)>,
}

impl Tracker {
    pub(super) fn new(enabled: bool, reorder_wait: Duration) -> Self {
        Self { enabled, rooms: HashMap::new(), held: None, heard: None, away: None, owed: false, early: Vec::new(), early_since: None, reorder_wait, refetch: None }
    }

    /// A link is up: when a recovery is due, positioned events are held from now on (a live
    /// event must not overtake the replay).
    pub(super) fn link_started(&mut self) {
        if !self.enabled {
            return;
        }
        if !self.owed {
            self.away = self.heard;
            self.owed = self.away.is_some();
        }
        if self.owed {
            // Events held ahead of a gap wait for the replay, which fills it.
            self.held = Some(std::mem::take(&mut self.early));
            self.early_since = None;
        }
    }

    pub(super) fn heard(&mut self) {
        self.heard = Some(Instant::now());
    }

    /// The request for this link, when a recovery is due (an earlier link heard the server).
    pub(super) fn request(&mut self) -> Option<RecoverRequest> {
        if !self.owed {
            return None;
        }
        let gone_ms = u64::try_from(self.away?.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut rooms: Vec<Position> = self.rooms.iter().map(|(room, t)| Position { room: room.clone(), epoch: t.epoch.clone(), offset: t.mark }).collect();
        rooms.sort_by(|a, b| a.room.cmp(&b.room));
        Some(RecoverRequest { gone_ms, rooms })
    }

    /// A live event. Without positions it is delivered; with them it is held during a
    /// recovery, skipped when seen, else recorded and delivered.
    pub(super) fn live(&mut self, event: String, payload: Value, rec: Option<Vec<Position>>, out: &mut Steps) {
        let Some(rec) = rec else {
            out.deliver.push((event, payload));
            return;
        };
        if let Some(held) = self.held.as_mut() {
            if held.len() < MAX_HELD {
                held.push((event, payload, rec));
            } else if self.refetch.is_none() {
                tracing::debug!(held = MAX_HELD, "live events held during a recovery reached the cap; later ones are asked for again after the answer");
                self.refetch = Some(Instant::now());
            }
            return;
        }
        if self.ahead(&rec) {
            self.early_since.get_or_insert_with(Instant::now);
            self.early.push((event, payload, rec));
            return;
        }
        self.deliver_new((event, payload, rec), out);
        self.release_early(out);
    }

    /// True when one of the event's rooms has a gap before it: a known room whose offsets up to
    /// this one are not all seen, or a known room in a new epoch before that epoch's first event.
    fn ahead(&self, rec: &[Position]) -> bool {
        rec.iter().any(|p| match self.rooms.get(&p.room) {
            Some(t) if t.epoch == p.epoch => p.offset > t.mark + 1 && !t.seen(p.offset),
            Some(_) => p.offset > 1,
            None => false,
        })
    }

    /// Delivers the early events whose gaps are filled, in offset order.
    fn release_early(&mut self, out: &mut Steps) {
        let mut progressed = false;
        while let Some(i) = self.early.iter().position(|(_, _, rec)| !self.ahead(rec)) {
            let e = self.early.remove(i);
            self.deliver_new(e, out);
            progressed = true;
        }
        if self.early.is_empty() {
            self.early_since = None;
        } else if progressed {
            self.early_since = Some(Instant::now());
        }
    }

    /// When the oldest open gap is due to be asked for (none while a recovery is in flight):
    /// `reorder_wait` after it opened, or already when more than `MAX_EARLY` events wait.
    pub(super) fn gap_deadline(&self) -> Option<Instant> {
        if self.held.is_some() {
            return None;
        }
        if self.refetch.is_some() {
            // Events left to the server's history while a request was in flight: due now.
            return self.refetch;
        }
        let wait = if self.early.len() > MAX_EARLY { Duration::ZERO } else { self.reorder_wait };
        self.early_since.map(|t| t + wait)
    }

    /// A gap stayed open for `reorder_wait`. With recovery, the early events are held and true
    /// is returned: the link asks for the gap now (the request carries the last contiguous
    /// offsets). Without it, the early events are delivered in offset order.
    pub(super) fn gap_expired(&mut self, out: &mut Steps) -> bool {
        // The earlier of an open gap and events left to the history.
        let since = self.early_since.take().into_iter().chain(self.refetch.take()).min();
        let mut early = std::mem::take(&mut self.early);
        if self.enabled {
            self.owed = true;
            self.away = since.or(self.heard);
            self.held = Some(early);
            return true;
        }
        tracing::debug!(events = early.len(), "a gap in a room's offsets did not fill; delivering what arrived");
        early.sort_by_key(|(_, _, rec)| rec.iter().map(|p| p.offset).min());
        self.release(early, out);
        false
    }

    /// Records an event's positions; false when one of its rooms already saw it. With
    /// `resync`, a known room in another epoch reports a loss of history.
    fn accept(&mut self, rec: &[Position], mut resync: Option<&mut Vec<(String, ResyncReason)>>) -> bool {
        if rec.iter().any(|p| self.rooms.get(&p.room).is_some_and(|t| t.epoch == p.epoch && t.seen(p.offset))) {
            return false;
        }
        for p in rec {
            match self.rooms.get_mut(&p.room) {
                Some(t) if t.epoch == p.epoch => t.record(p.offset),
                other => {
                    if other.is_some()
                        && let Some(r) = resync.as_deref_mut()
                    {
                        r.push((p.room.clone(), ResyncReason::EpochChanged));
                    }
                    // A room seen for the first time starts at this event; a new epoch of a
                    // known room starts at its offset 1.
                    let base = if other.is_some() { 0 } else { p.offset.saturating_sub(1) };
                    let mut t = Track::new(p.epoch.clone(), base);
                    t.record(p.offset);
                    self.rooms.insert(p.room.clone(), t);
                }
            }
        }
        true
    }

    /// The server's answer: the replay, then the held events, each once.
    pub(super) fn answered(&mut self, reply: RecoverReply, out: &mut Steps) {
        self.owed = false;
        let held = self.held.take().unwrap_or_default();
        for r in &reply.rooms {
            match r {
                RoomOutcome::Recovered { room, epoch: Some(epoch), .. } => {
                    if self.rooms.get(room).is_none_or(|t| t.epoch != *epoch) {
                        self.rooms.insert(room.clone(), Track::new(epoch.clone(), 0));
                    }
                }
                RoomOutcome::Recovered { room, epoch: None, .. } | RoomOutcome::NotJoined { room } => {
                    self.rooms.remove(room);
                }
                RoomOutcome::ResyncRequired { room, reason, epoch, offset } => {
                    out.resync.push((room.clone(), *reason));
                    match epoch {
                        Some(e) => {
                            // Continue from the head, but still deliver the live events held
                            // meanwhile (they arrived; only the gap before them is lost).
                            let first_held = held.iter().flat_map(|(_, _, rec)| rec).filter(|p| p.room == *room && p.epoch == *e).map(|p| p.offset).min();
                            let mark = first_held.map_or(*offset, |f| (*offset).min(f.saturating_sub(1)));
                            self.rooms.insert(room.clone(), Track::new(e.clone(), mark));
                        }
                        None => {
                            self.rooms.remove(room);
                        }
                    }
                }
            }
        }
        let replayed = reply.events.len();
        for e in reply.events {
            if self.accept(&e.rec, None) {
                out.deliver.push((e.event, e.data));
            }
        }
        for r in &reply.rooms {
            if let RoomOutcome::Recovered { room, epoch: Some(_), offset, .. } = r
                && let Some(t) = self.rooms.get_mut(room)
            {
                t.settle_at(*offset);
            }
        }
        let recovered = reply.rooms.iter().filter(|r| matches!(r, RoomOutcome::Recovered { .. })).count();
        out.recovered = Some((recovered, replayed));
        self.release(held, out);
    }

    /// The request failed (refused, unanswered): every known room is told to resync, unless the
    /// server has no recovery at all (`unsupported`); held events are delivered.
    pub(super) fn failed(&mut self, unsupported: bool, out: &mut Steps) {
        self.owed = false;
        // Every room is told to resync (or the server has no history to ask).
        self.refetch = None;
        let held = self.held.take().unwrap_or_default();
        if !unsupported {
            let mut rooms: Vec<String> = self.rooms.keys().cloned().collect();
            rooms.sort();
            out.resync.extend(rooms.into_iter().map(|r| (r, ResyncReason::Unavailable)));
        }
        self.release(held, out);
    }

    /// The link ended during a request: held events are forgotten, not delivered, so that the
    /// next request asks for them again (in order).
    pub(super) fn abandoned(&mut self) {
        self.held = None;
        // The next request starts from the last delivered offsets, so it covers them too.
        self.refetch = None;
    }

    fn release(&mut self, held: Vec<(String, Value, Vec<Position>)>, out: &mut Steps) {
        for e in held {
            self.deliver_new(e, out);
        }
    }

    /// Records a live event's positions and delivers it unless one of its rooms saw it.
    fn deliver_new(&mut self, (event, payload, rec): (String, Value, Vec<Position>), out: &mut Steps) {
        if self.accept(&rec, Some(&mut out.resync)) {
            out.deliver.push((event, payload));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::Replayed;
    use serde_json::json;

    fn at(room: &str, epoch: &str, offset: u64) -> Vec<Position> {
        vec![Position { room: room.into(), epoch: epoch.into(), offset }]
    }

    fn names(out: &Steps) -> Vec<Value> {
        out.deliver.iter().map(|(_, p)| p.clone()).collect()
    }

    /// A tracker that saw offset 1 of room `r`, then lost its link and started a new one.
    fn reconnected() -> (Tracker, RecoverRequest) {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        t.live("e".into(), json!(1), Some(at("r", "e1", 1)), &mut Steps::default());
        t.heard();
        t.link_started();
        let req = t.request().expect("a request");
        (t, req)
    }

    #[test]
    fn live_events_ahead_of_a_gap_wait_for_it_then_arrive_once_in_order() {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        let mut out = Steps::default();
        for o in [1, 3, 4] {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        assert_eq!(names(&out), vec![json!(1)], "3 and 4 wait for 2");
        assert!(t.gap_deadline().is_some());
        for o in [2, 3, 1, 5] {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        assert_eq!(names(&out), vec![json!(1), json!(2), json!(3), json!(4), json!(5)]);
        assert_eq!(t.rooms["r"].mark, 5);
        assert!(t.gap_deadline().is_none(), "no gap left open");
    }

    #[test]
    fn a_gap_that_stays_open_is_asked_for_and_filled_from_the_replay() {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        let mut out = Steps::default();
        t.heard();
        for o in [1, 2, 4, 5] {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        assert!(t.gap_expired(&mut out), "with recovery the gap is asked for");
        let req = t.request().expect("a request for the gap");
        assert_eq!(req.rooms, at("r", "e1", 2), "from the last contiguous offset");
        assert!(t.gap_deadline().is_none(), "one request at a time");
        t.live("e".into(), json!(6), Some(at("r", "e1", 6)), &mut out);
        assert_eq!(names(&out), vec![json!(1), json!(2)], "held until the answer");
        let reply = RecoverReply {
            rooms: vec![RoomOutcome::Recovered { room: "r".into(), epoch: Some("e1".into()), offset: 5, replayed: 3 }],
            events: (3..=5).map(|o| Replayed { event: "e".into(), data: json!(o), rec: at("r", "e1", o) }).collect(),
        };
        t.answered(reply, &mut out);
        assert_eq!(names(&out), (1..=6).map(|o| json!(o)).collect::<Vec<_>>());
        assert!(out.resync.is_empty());
    }

    #[test]
    fn events_past_the_held_cap_are_asked_for_again_once_the_answer_is_in() {
        let (mut t, req) = reconnected();
        assert_eq!(req.rooms, at("r", "e1", 1));
        let mut out = Steps::default();
        // A busy room while the request is in flight: more live events than the client holds.
        let last = 1 + MAX_HELD as u64 + 10;
        for o in 2..=last {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        assert!(out.deliver.is_empty(), "held during the recovery");
        assert!(t.gap_deadline().is_none(), "one request at a time");
        let recovered = |offset, replayed| RoomOutcome::Recovered { room: "r".into(), epoch: Some("e1".into()), offset, replayed };
        t.answered(RecoverReply { rooms: vec![recovered(1, 0)], events: vec![] }, &mut out);
        assert_eq!(out.deliver.len(), MAX_HELD, "the held events, in order");
        let due = t.gap_deadline().expect("the rest is due");
        assert!(due <= Instant::now(), "at once, not after the reorder wait");
        assert!(t.gap_expired(&mut out), "asked for with a second request");
        let req = t.request().expect("a second request");
        assert_eq!(req.rooms, at("r", "e1", 1 + MAX_HELD as u64), "from the last delivered offset");
        let rest = 2 + MAX_HELD as u64..=last;
        let events = rest.clone().map(|o| Replayed { event: "e".into(), data: json!(o), rec: at("r", "e1", o) }).collect();
        t.answered(RecoverReply { rooms: vec![recovered(last, rest.count())], events }, &mut out);
        assert_eq!(names(&out), (2..=last).map(|o| json!(o)).collect::<Vec<_>>(), "every event once, in order");
        assert!(out.resync.is_empty());
        assert!(t.gap_deadline().is_none(), "nothing left to ask");
    }

    #[test]
    fn too_many_events_ahead_of_a_gap_make_it_due_at_once() {
        let wait = Duration::from_secs(60);
        let mut t = Tracker::new(true, wait);
        let mut out = Steps::default();
        t.live("e".into(), json!(1), Some(at("r", "e1", 1)), &mut out);
        for o in 3..3 + MAX_EARLY as u64 {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        let due = t.gap_deadline().expect("a gap is open");
        assert!(due > Instant::now() + wait / 2, "{MAX_EARLY} held: still waiting");
        t.live("e".into(), json!("one more"), Some(at("r", "e1", 3 + MAX_EARLY as u64)), &mut out);
        assert!(t.gap_deadline().expect("a gap is open") <= Instant::now(), "one more: due now");
        assert!(t.gap_expired(&mut out), "asked for");
        assert_eq!(t.request().expect("a request").rooms, at("r", "e1", 1), "from the last contiguous offset");
        assert_eq!(names(&out), vec![json!(1)], "nothing delivered out of order");
    }

    #[test]
    fn without_recovery_an_open_gap_ends_with_what_arrived_in_order() {
        let mut t = Tracker::new(false, Duration::from_millis(500));
        let mut out = Steps::default();
        for o in [1, 4, 3] {
            t.live("e".into(), json!(o), Some(at("r", "e1", o)), &mut out);
        }
        assert!(!t.gap_expired(&mut out));
        assert_eq!(names(&out), vec![json!(1), json!(3), json!(4)]);
        assert!(t.request().is_none());
    }

    #[test]
    fn a_new_epoch_waits_for_its_first_offset() {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        let mut out = Steps::default();
        t.live("e".into(), json!("a"), Some(at("r", "e1", 7)), &mut out);
        t.live("e".into(), json!("c"), Some(at("r", "e2", 2)), &mut out);
        assert_eq!(names(&out), vec![json!("a")]);
        t.live("e".into(), json!("b"), Some(at("r", "e2", 1)), &mut out);
        assert_eq!(names(&out), vec![json!("a"), json!("b"), json!("c")]);
        assert_eq!(out.resync, vec![("r".to_string(), ResyncReason::EpochChanged)]);
    }

    #[test]
    fn events_ahead_of_a_gap_when_the_link_drops_follow_the_replay() {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        let mut out = Steps::default();
        t.live("e".into(), json!(1), Some(at("r", "e1", 1)), &mut out);
        t.live("e".into(), json!(3), Some(at("r", "e1", 3)), &mut out);
        t.heard();
        t.link_started();
        let req = t.request().expect("a request");
        assert_eq!(req.rooms, at("r", "e1", 1));
        let reply = RecoverReply {
            rooms: vec![RoomOutcome::Recovered { room: "r".into(), epoch: Some("e1".into()), offset: 2, replayed: 1 }],
            events: vec![Replayed { event: "e".into(), data: json!(2), rec: at("r", "e1", 2) }],
        };
        t.answered(reply, &mut out);
        assert_eq!(names(&out), vec![json!(1), json!(2), json!(3)]);
    }

    #[test]
    fn replay_then_held_live_events_once_each() {
        let (mut t, req) = reconnected();
        assert_eq!(req.rooms, at("r", "e1", 1));
        let mut out = Steps::default();
        // Live 4 and 3 arrive before the answer (3 is also in the replay).
        t.live("e".into(), json!(4), Some(at("r", "e1", 4)), &mut out);
        t.live("e".into(), json!(3), Some(at("r", "e1", 3)), &mut out);
        assert!(out.deliver.is_empty(), "held during the recovery");
        let reply = RecoverReply {
            rooms: vec![RoomOutcome::Recovered { room: "r".into(), epoch: Some("e1".into()), offset: 3, replayed: 2 }],
            events: (2..=3).map(|o| Replayed { event: "e".into(), data: json!(o), rec: at("r", "e1", o) }).collect(),
        };
        t.answered(reply, &mut out);
        assert_eq!(names(&out), vec![json!(2), json!(3), json!(4)]);
        assert!(out.resync.is_empty());
    }

    #[test]
    fn after_a_resync_the_held_live_events_are_still_delivered() {
        let (mut t, _) = reconnected();
        let mut out = Steps::default();
        t.live("e".into(), json!(9), Some(at("r", "e1", 9)), &mut out);
        let reply = RecoverReply {
            rooms: vec![RoomOutcome::ResyncRequired { room: "r".into(), reason: ResyncReason::Capped, epoch: Some("e1".into()), offset: 9 }],
            events: vec![],
        };
        t.answered(reply, &mut out);
        assert_eq!(out.resync, vec![("r".to_string(), ResyncReason::Capped)]);
        assert_eq!(names(&out), vec![json!(9)], "the event that arrived live is not lost");
        let mut out = Steps::default();
        t.live("e".into(), json!(10), Some(at("r", "e1", 10)), &mut out);
        t.live("e".into(), json!(9), Some(at("r", "e1", 9)), &mut out);
        assert_eq!(names(&out), vec![json!(10)], "then live ones, once");
    }

    #[test]
    fn a_new_epoch_live_is_a_resync_and_an_unanswered_request_resyncs_every_room() {
        let mut t = Tracker::new(true, Duration::from_millis(500));
        let mut out = Steps::default();
        t.live("e".into(), json!(1), Some(at("r", "e1", 5)), &mut out);
        t.live("e".into(), json!(2), Some(at("r", "e2", 1)), &mut out);
        assert_eq!(out.resync, vec![("r".to_string(), ResyncReason::EpochChanged)]);
        t.heard();
        t.link_started();
        t.request();
        let mut out = Steps::default();
        t.failed(false, &mut out);
        assert_eq!(out.resync, vec![("r".to_string(), ResyncReason::Unavailable)]);
    }
}
