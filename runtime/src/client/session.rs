//! What survives reconnects: the offline queue, the remembered rooms and the joins waiting for
//! them, message and ack ids, the token and its provider; and the reporting every drop goes
//! through (counter, event, log, the caller's reply).

use super::queue::OfflineQueue;
use super::recovery::{Steps, Tracker};
use crate::recovery::{Positions, RecoverReply, RecoverRequest};
use super::types::{ClientConfig, ClientError, ClientEvent, DropReason, Forget, Reply, Stats, TokenProvider};
use super::Listeners;
use crate::wire::MESSAGE_ID_FIELD;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

/// A reliable message waiting to be sent or acked.
pub(super) struct Outgoing {
    pub(super) event: String,
    pub(super) payload: Option<Value>,
    pub(super) reply: Option<Reply>,
    /// When it was first sent (`None`: never): resends carry the time since.
    pub(super) first_sent: Option<tokio::time::Instant>,
    /// Resends on a live connection because the ack did not come in time.
    pub(super) timeouts: u32,
    /// Emit order: a resend takes a new ack id, so ack ids do not keep it.
    pub(super) seq: u64,
}

/// A room to re-join after a reconnect.
pub(super) struct Room {
    pub(super) key: String,
    pub(super) event: String,
    pub(super) payload: Option<Value>,
}

pub(super) struct Session {
    queue: OfflineQueue<Outgoing>,
    rooms: Vec<Room>,
    /// Callers of `join` waiting for the (re-)join of their room, by room key.
    join_replies: HashMap<String, Vec<Reply>>,
    next_ack: u64,
    next_mid: u64,
    next_seq: u64,
    client_id: String,
    /// Sent as `auth.token` on the next connect.
    pub(super) token: String,
    pub(super) provider: Option<Arc<dyn TokenProvider>>,
    events: broadcast::Sender<ClientEvent>,
    pub(super) stats: Arc<Stats>,
    queue_len: Arc<AtomicUsize>,
    listeners: Listeners,
    /// Positions per room and the recovery in flight.
    recovery: Tracker,
}

impl Session {
    pub(super) fn new(
        config: &ClientConfig,
        token: String,
        provider: Option<Arc<dyn TokenProvider>>,
        events: broadcast::Sender<ClientEvent>,
        stats: Arc<Stats>,
        queue_len: Arc<AtomicUsize>,
        listeners: Listeners,
    ) -> Session {
        Session {
            queue: OfflineQueue::new(config.queue_capacity),
            rooms: Vec::new(),
            join_replies: HashMap::new(),
            next_ack: 1,
            next_mid: 1,
            next_seq: 0,
            client_id: client_id(),
            token,
            provider,
            events,
            stats,
            queue_len,
            listeners,
            recovery: Tracker::new(config.recovery, config.reorder_wait),
        }
    }

    pub(super) fn event(&self, e: ClientEvent) {
        let _ = self.events.send(e);
    }

    /// Ack ids keep counting across connections.
    pub(super) fn take_ack_id(&mut self) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        id
    }

    /// A reliable message, its payload stamped with a message id that every resend keeps.
    pub(super) fn outgoing(&mut self, event: String, payload: Option<Value>, reply: Reply) -> Outgoing {
        let payload = match payload {
            Some(Value::Object(mut m)) => {
                if !m.contains_key(MESSAGE_ID_FIELD) {
                    m.insert(MESSAGE_ID_FIELD.into(), Value::String(format!("{}-{}", self.client_id, self.next_mid)));
                    self.next_mid += 1;
                }
                Some(Value::Object(m))
            }
            other => other,
        };
        self.next_seq += 1;
        Outgoing { event, payload, reply: Some(reply), first_sent: None, timeouts: 0, seq: self.next_seq }
    }

    fn sync_len(&self) {
        self.queue_len.store(self.queue.len(), Ordering::SeqCst);
    }

    pub(super) fn report_drop(&self, o: Outgoing, reason: DropReason) {
        self.stats.count_drop(reason);
        tracing::warn!(event = %o.event, ?reason, "client message dropped");
        self.event(ClientEvent::Dropped { event: o.event.clone(), reason });
        if let Some(r) = o.reply {
            let _ = r.send(Err(ClientError::Dropped(reason)));
        }
    }

    /// A volatile event while offline: refused and reported.
    pub(super) fn drop_offline(&self, event: String, reply: Reply) {
        self.stats.count_drop(DropReason::Offline);
        self.event(ClientEvent::Dropped { event, reason: DropReason::Offline });
        let _ = reply.send(Err(ClientError::Offline));
    }

    pub(super) fn enqueue(&mut self, o: Outgoing) {
        if let Some(d) = self.queue.push(o) {
            self.report_drop(d, DropReason::QueueFull);
        }
        self.sync_len();
    }

    /// The oldest queued message.
    pub(super) fn dequeue(&mut self) -> Option<Outgoing> {
        let o = self.queue.pop();
        self.sync_len();
        o
    }

    /// Messages in flight when a link ended go back to the front, in emit order.
    pub(super) fn requeue_front(&mut self, mut back: Vec<Outgoing>) {
        back.sort_by_key(|o| o.seq);
        for d in self.queue.requeue_front(back) {
            self.report_drop(d, DropReason::QueueFull);
        }
        self.sync_len();
    }

    pub(super) fn clear(&mut self, reason: DropReason) {
        for o in self.queue.clear() {
            self.report_drop(o, reason);
        }
        self.sync_len();
    }

    /// The client is closing: what is queued is reported, joins still waiting fail, listeners
    /// end (`recv` returns `None`).
    pub(super) fn close(&mut self) {
        self.clear(DropReason::Closed);
        for (_, replies) in self.join_replies.drain() {
            for r in replies {
                let _ = r.send(Err(ClientError::Closed));
            }
        }
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Remembers a room (replacing one with the same key); `reply` waits for its join.
    pub(super) fn remember(&mut self, room: Room, reply: Reply) {
        self.rooms.retain(|r| r.key != room.key);
        self.join_replies.entry(room.key.clone()).or_default().push(reply);
        self.rooms.push(room);
    }

    pub(super) fn forget(&mut self, f: &Forget) {
        let gone = |k: &str| match f {
            Forget::Key(key) => k == key,
            Forget::Prefix(p) => k.starts_with(p.as_str()),
        };
        let keys: Vec<String> = self.rooms.iter().filter(|r| gone(&r.key)).map(|r| r.key.clone()).collect();
        self.rooms.retain(|r| !gone(&r.key));
        for k in keys {
            for r in self.join_replies.remove(&k).unwrap_or_default() {
                let _ = r.send(Err(ClientError::Dropped(DropReason::Cleared)));
            }
        }
    }

    /// The rooms to re-join, in join order.
    pub(super) fn rooms(&self) -> impl Iterator<Item = &Room> {
        self.rooms.iter()
    }

    /// A (re-)join was answered or timed out: its callers get `result`; a refused room is
    /// forgotten, so it is not retried forever (a timed-out one stays, for the next connection).
    pub(super) fn joined(&mut self, key: &str, result: &Result<Value, ClientError>) {
        if matches!(result, Err(ClientError::Refused(_))) {
            self.rooms.retain(|r| r.key != key);
        }
        for r in self.join_replies.remove(key).unwrap_or_default() {
            let _ = r.send(result.clone());
        }
    }

    /// A frame arrived from the server (the start of "away" if it is the last one).
    pub(super) fn heard(&mut self) {
        self.recovery.heard();
    }

    /// A server event: its trailing positions (if any) decide whether it is new, held during a
    /// recovery, or already seen; new ones go to the listeners.
    pub(super) fn receive(&mut self, event: String, mut args: Vec<Value>) {
        let rec = args.get(1).and_then(Positions::from_arg).map(|p| p.rec);
        let payload = if args.is_empty() { Value::Null } else { args.swap_remove(0) };
        let mut steps = Steps::default();
        self.recovery.live(event, payload, rec, &mut steps);
        self.apply(steps);
    }

    /// A link is up (before its re-joins).
    pub(super) fn link_started(&mut self) {
        self.recovery.link_started();
    }

    /// The recovery request for a new link, if one is due.
    pub(super) fn recovery_request(&mut self) -> Option<RecoverRequest> {
        self.recovery.request()
    }

    /// The answer to the recovery request (or its failure).
    pub(super) fn recovery_answer(&mut self, answer: Result<Value, ClientError>) {
        let mut steps = Steps::default();
        match answer.map(serde_json::from_value::<RecoverReply>) {
            Ok(Ok(reply)) => self.recovery.answered(reply, &mut steps),
            Ok(Err(e)) => {
                tracing::warn!("unreadable recovery answer: {e}");
                self.recovery.failed(false, &mut steps);
            }
            Err(ClientError::Refused(e)) if e.code == crate::wire::ErrorCode::UnknownEvent => self.recovery.failed(true, &mut steps),
            Err(e) => {
                tracing::warn!("recovery failed: {e}");
                self.recovery.failed(false, &mut steps);
            }
        }
        self.apply(steps);
    }

    /// When an open gap in a room's offsets is due to be asked for.
    pub(super) fn gap_deadline(&self) -> Option<Instant> {
        self.recovery.gap_deadline()
    }

    /// An open gap waited long enough: true when a recovery request is due now (else the
    /// events held ahead of it were delivered).
    pub(super) fn gap_expired(&mut self) -> bool {
        let mut steps = Steps::default();
        let ask = self.recovery.gap_expired(&mut steps);
        self.apply(steps);
        ask
    }

    /// The link ended before the answer: the next link asks again.
    pub(super) fn recovery_abandoned(&mut self) {
        self.recovery.abandoned();
    }

    fn apply(&self, steps: Steps) {
        for (room, reason) in steps.resync {
            tracing::info!(room, reason = reason.as_str(), "missed events cannot be recovered: resync required");
            self.event(ClientEvent::ResyncRequired { room, reason });
        }
        if let Some((rooms, events)) = steps.recovered {
            self.event(ClientEvent::Recovered { rooms, events });
        }
        for (event, payload) in steps.deliver {
            self.dispatch(&event, payload);
        }
    }

    /// Hands a server event to its listeners; a full listener loses it (reported), a dropped
    /// one is removed.
    pub(super) fn dispatch(&self, event: &str, payload: Value) {
        let mut listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        let mut closed = Vec::new();
        for (id, (e, tx)) in listeners.iter() {
            if e != event {
                continue;
            }
            match tx.try_send(payload.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.stats.count_drop(DropReason::ListenerFull);
                    self.event(ClientEvent::Dropped { event: event.to_string(), reason: DropReason::ListenerFull });
                }
                Err(mpsc::error::TrySendError::Closed(_)) => closed.push(*id),
            }
        }
        for id in closed {
            listeners.remove(&id);
        }
    }
}

fn client_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{:x}{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}
