//! Recovery of missed server-to-client events: recoverable broadcasts get a position in each
//! target room's history, and a reconnecting client's `_recover` request is answered per room
//! with the events it missed or `resync_required`. The wire protocol is in
//! [`crate::recovery`]; the decision per room in [`super::history::plan`].

use super::emit::{EmitError, Encoded};
use std::future::Future;
use super::history::{Plan, RecoveryPolicy, plan};
use super::metrics::Metrics;
use super::mount::Runtime;
use super::order::{Ticket, Turn};
use super::session::Session;
use super::{AckSender, SocketIo, SocketRef};
use crate::recovery::{Position, Positions, RecoverReply, RecoverRequest, Replayed, ResyncReason, RoomOutcome};
use crate::wire::{Ack, AckError, ErrorCode};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Taken off the client's "away since" before reading history by time: the last frame it heard
/// left the server up to a round trip earlier. An event sent that much before a room's last
/// (re-)join may be replayed once.
pub const RECOVERY_SLACK_MS: u64 = 1_000;

/// At most this many `_recover` requests per user per [`RECOVER_LIMIT_SECONDS`]: each costs one
/// history read per joined room (up to 256), so a loop of them must not be free. A client asks
/// once per reconnect and once per gap that stays open for its reorder wait (500 ms).
pub const RECOVER_LIMIT: u32 = 30;
/// The window of [`RECOVER_LIMIT`].
pub const RECOVER_LIMIT_SECONDS: u32 = 10;

impl Runtime {
    /// Turns recovery on with the catalogue's `settings.recovery` (generated `mount` calls it).
    /// Only the first call counts.
    pub fn enable_recovery(&self, policy: RecoveryPolicy) {
        let _ = self.recovery.set(policy);
    }

    /// The recovery policy, when the catalogue has one.
    pub fn recovery(&self) -> Option<&RecoveryPolicy> {
        self.recovery.get()
    }

    /// Like [`Runtime::broadcast`], for a recoverable event: appended to each room's history
    /// first, then sent with its positions as a trailing argument. Without recovery, or without
    /// rooms, it is a plain broadcast. When the history store fails, the event is still sent
    /// live (without positions), counted in `history_failures` and reported as
    /// [`EmitError::History`].
    pub fn broadcast_recoverable<'a, T: Serialize + ?Sized>(&'a self, io: &'a SocketIo, namespace: &'a str, rooms: Vec<String>, event: &'static str, payload: &T) -> impl Future<Output = Result<(), EmitError>> + Send + use<'a, T> {
        // Decided and serialized here, once; the rest is not generic (see `Runtime::broadcast`).
        let policy = self.recovery.get().copied().filter(|_| !rooms.is_empty());
        let payload = if policy.is_some() { Encoded::value(payload) } else { Encoded::raw(payload) };
        self.send_recoverable(io, namespace, rooms, event, policy, payload)
    }

    /// With a policy, `payload` is an `Encoded::Value`: appended to the history, then sent.
    async fn send_recoverable(&self, io: &SocketIo, namespace: &str, rooms: Vec<String>, event: &'static str, policy: Option<RecoveryPolicy>, payload: Result<Encoded, EmitError>) -> Result<(), EmitError> {
        let (policy, data) = match (policy, payload) {
            (Some(policy), Ok(Encoded::Value(data))) => (policy, data),
            (_, other) => return self.send(io, namespace, rooms, event, other).await,
        };
        match self.history.append(&rooms, event, &data, &policy).await {
            Ok(rec) => self.send(io, namespace, rooms, event, Ok(Encoded::Recoverable(data, Positions { rec }))).await,
            Err(e) => {
                Metrics::inc(&self.metrics.history_failures);
                tracing::warn!(event, "{e}; sent live without a position (not recoverable)");
                self.send(io, namespace, rooms, event, Ok(Encoded::Value(data))).await?;
                Err(EmitError::History(e.0))
            }
        }
    }

    /// Answers a `_recover` request in the socket's turn.
    pub(crate) async fn answer_recover(&self, s: SocketRef, session: Session, data: Option<Value>, ticket: Ticket, ack: AckSender) {
        let _turn = match ticket.wait().await {
            Turn::Closed => return,
            Turn::Full(_) => None,
            Turn::Go(turn) => turn,
        };
        if !session.take_token(crate::recovery::RECOVER_EVENT, RECOVER_LIMIT, RECOVER_LIMIT_SECONDS) {
            Metrics::inc(&self.metrics.rate_limited);
            let error = AckError::new(ErrorCode::RateLimited, format!("at most {RECOVER_LIMIT} `_recover` per {RECOVER_LIMIT_SECONDS} s"));
            return self.send_ack(&s, crate::recovery::RECOVER_EVENT, ack, &Ack::<()>::Err(error));
        }
        let answer = match (self.recovery.get(), data.and_then(|v| serde_json::from_value::<RecoverRequest>(v).ok())) {
            (None, _) => Ack::Err(AckError::new(ErrorCode::UnknownEvent, "recovery is not enabled")),
            (_, None) => Ack::Err(AckError::new(ErrorCode::InvalidPayload, "expected { gone_ms, rooms: [{ room, epoch, offset }] }")),
            (Some(policy), Some(req)) => Ack::Ok(self.recover_reply(&session, &req, policy).await),
        };
        self.send_ack(&s, crate::recovery::RECOVER_EVENT, ack, &answer);
    }

    /// The reply for every room the socket is in now (so each passed the room's policy when it
    /// was joined) and a `not_joined` for every requested room it is not in.
    pub(crate) async fn recover_reply(&self, session: &Session, req: &RecoverRequest, policy: &RecoveryPolicy) -> RecoverReply {
        let joined: Vec<String> = session.rooms().keys().cloned().collect();
        let known: HashMap<&str, &Position> = req.rooms.iter().map(|p| (p.room.as_str(), p)).collect();
        let mut reply = RecoverReply::default();
        for p in &req.rooms {
            if !joined.contains(&p.room) {
                reply.rooms.push(RoomOutcome::NotJoined { room: p.room.clone() });
            }
        }
        // An event sent to several of the socket's rooms is replayed once (its first position
        // identifies it).
        let mut included: HashSet<(String, u64)> = HashSet::new();
        for room in joined {
            let mine = known.get(room.as_str()).copied();
            let log = match self.history.read_for(&room, mine, policy).await {
                Ok(log) => log,
                Err(e) => {
                    Metrics::inc(&self.metrics.history_failures);
                    tracing::warn!(room, "{e}; the client is told to resync");
                    reply.rooms.push(resync(room, ResyncReason::Unavailable, None, 0));
                    continue;
                }
            };
            if req.gone_ms > policy.window_ms() {
                reply.rooms.push(resync(room, ResyncReason::TooOld, log.epoch.clone(), log.seq));
                continue;
            }
            let away = log.now_ms.saturating_sub(req.gone_ms);
            match plan(&log, mine, away, RECOVERY_SLACK_MS, policy) {
                Plan::Replay { epoch, head, events } => {
                    let replayed = events.len();
                    for e in events {
                        let id = e.rec.first().map_or_else(|| (room.clone(), e.offset), |p| (p.room.clone(), p.offset));
                        if included.insert(id) {
                            reply.events.push(Replayed { event: e.event.clone(), data: e.data.clone(), rec: e.rec.clone() });
                        }
                    }
                    Metrics::inc(&self.metrics.rooms_recovered);
                    reply.rooms.push(RoomOutcome::Recovered { room, epoch, offset: head, replayed });
                }
                Plan::Resync(reason) => reply.rooms.push(resync(room, reason, log.epoch.clone(), log.seq)),
            }
        }
        let resyncs = reply.rooms.iter().filter(|r| matches!(r, RoomOutcome::ResyncRequired { .. })).count();
        self.metrics.rooms_resync.fetch_add(resyncs as u64, std::sync::atomic::Ordering::Relaxed);
        reply
    }
}

fn resync(room: String, reason: ResyncReason, epoch: Option<String>, offset: u64) -> RoomOutcome {
    RoomOutcome::ResyncRequired { room, reason, epoch, offset }
}
