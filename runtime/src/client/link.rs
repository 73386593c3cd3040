//! One live connection: dialing it, the acks in flight with their deadlines, the ping watchdog,
//! the app heartbeat, re-joining the remembered rooms and draining the offline queue. It waits on
//! the earliest of its deadlines (ack, watchdog, heartbeat), never on a polling tick.

use super::codec::{self, EioPacket, OpenInfo, SioKind, SioPacket};
use super::session::{Outgoing, Room, Session};
use super::types::{ClientConfig, ClientError, ClientEvent, DropReason, Reply};
use crate::wire::AckError;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};

pub(super) use super::transport::Ws;

/// Frames read, when already here, before deadlines are judged (see `Link::on_wake`).
const READY_BEFORE_DEADLINES: usize = 64;

/// Why a link (or an attempt at one) ended.
pub(super) enum Down {
    /// Worth a reconnect with backoff.
    Lost(String),
    /// The server refused the token: wait for a new one.
    AuthFailed(String),
}

enum InFlight {
    Reliable(Outgoing),
    Volatile(Reply),
    Join { key: String },
    Leave(Reply),
    Heartbeat,
    Recover,
}

/// An ack id's entry; `deadline` is its key in `Link::deadlines` (heartbeats have none: the
/// next beat counts them as missed).
struct Pending {
    what: InFlight,
    deadline: Option<Instant>,
}

/// The app heartbeat's schedule and misses.
struct Beat {
    event: String,
    interval: Duration,
    max_missed: u32,
    next: Instant,
    missed: u32,
    /// The ack id of the last beat, until it is answered.
    pending: Option<u64>,
}

/// What woke a link up.
pub(super) enum Wake {
    Frame(Option<Result<Message, tungstenite::Error>>),
    Deadline,
}

pub(super) struct Link {
    ws: Ws,
    namespace: String,
    max_frame: usize,
    ack_timeout: Duration,
    reliable_retries: u32,
    inflight: HashMap<u64, Pending>,
    deadlines: BTreeSet<(Instant, u64)>,
    watchdog_span: Duration,
    watchdog: Instant,
    beat: Option<Beat>,
    /// Re-joins not answered yet, by ack id (a join the app makes meanwhile is not one of them).
    rejoining: HashSet<u64>,
    rejoined: usize,
    /// The offline queue was sent; until then reliable emits are queued behind it.
    drained: bool,
}

impl Link {
    pub(super) fn new(ws: Ws, open: &OpenInfo, config: &ClientConfig) -> Link {
        let now = Instant::now();
        let watchdog_span = Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout).max(1000));
        Link {
            ws,
            namespace: config.namespace.clone(),
            max_frame: config.max_frame,
            ack_timeout: config.ack_timeout,
            reliable_retries: config.reliable_retries,
            inflight: HashMap::new(),
            deadlines: BTreeSet::new(),
            watchdog_span,
            watchdog: now + watchdog_span,
            beat: config.heartbeat.as_ref().map(|h| Beat {
                event: h.event.clone(),
                interval: h.interval,
                max_missed: h.max_missed.max(1),
                next: now + h.interval,
                missed: 0,
                pending: None,
            }),
            rejoining: HashSet::new(),
            rejoined: 0,
            drained: false,
        }
    }

    /// Re-joins the remembered rooms; queued messages drain once every re-join is answered.
    pub(super) async fn start(&mut self, s: &mut Session) -> Result<(), Down> {
        s.link_started();
        let rooms: Vec<(String, String, Option<Value>)> = s.rooms().map(|r| (r.key.clone(), r.event.clone(), r.payload.clone())).collect();
        for (key, event, payload) in rooms {
            let id = s.take_ack_id();
            self.send(&self.event_packet(&event, &payload, Some(id))).await?;
            self.track(id, InFlight::Join { key }, true);
            self.rejoining.insert(id);
        }
        if self.rejoining.is_empty() {
            self.drained = true;
            self.recover(s).await?;
            self.drain(s).await?;
        }
        Ok(())
    }

    /// True once the offline queue was sent on this link.
    pub(super) fn drained(&self) -> bool {
        self.drained
    }

    /// The next frame or the earliest deadline (`gap`: the session's open gap in a room's
    /// offsets, asked for once the re-joins are done), whichever comes first. Cancel safe.
    pub(super) async fn wait(&mut self, gap: Option<Instant>) -> Wake {
        let mut at = self.watchdog;
        if let Some(g) = gap.filter(|_| self.drained) {
            at = at.min(g);
        }
        if let Some(b) = &self.beat {
            at = at.min(b.next);
        }
        if let Some((first, _)) = self.deadlines.first() {
            at = at.min(*first);
        }
        tokio::select! {
            frame = self.ws.next() => Wake::Frame(frame),
            _ = tokio::time::sleep_until(at) => Wake::Deadline,
        }
    }

    pub(super) async fn on_wake(&mut self, wake: Wake, s: &mut Session) -> Result<(), Down> {
        match wake {
            Wake::Frame(frame) => self.on_frame(frame, s).await,
            Wake::Deadline => {
                // A frame that is already here (say, the ack a deadline waits for) is read
                // before any deadline is judged: `select!` picks at random among ready
                // branches, and a late wake-up sees both at once. Bounded, so a flood of
                // frames cannot hold the deadlines off.
                for _ in 0..READY_BEFORE_DEADLINES {
                    let Some(frame) = futures_util::FutureExt::now_or_never(self.ws.next()) else { break };
                    self.on_frame(frame, s).await?;
                }
                self.on_deadline(s).await
            }
        }
    }

    async fn on_frame(&mut self, frame: Option<Result<Message, tungstenite::Error>>, s: &mut Session) -> Result<(), Down> {
        let packet = match frame {
            None | Some(Ok(Message::Close(_))) => return Err(Down::Lost("the server closed the connection".into())),
            Some(Err(e)) => return Err(Down::Lost(format!("read: {e}"))),
            Some(Ok(Message::Text(t))) => codec::decode(t.as_str(), self.max_frame),
            Some(Ok(Message::Binary(_))) => Err(codec::CodecError { message: "binary frames are not supported".into(), frame_start: String::new() }),
            Some(Ok(_)) => return Ok(()),
        };
        s.heard();
        let packet = match packet {
            Ok(p) => p,
            Err(e) => {
                super::types::Stats::bump(&s.stats.protocol_errors);
                tracing::warn!("{e}");
                s.event(ClientEvent::ProtocolError { message: e.to_string() });
                return Ok(());
            }
        };
        match packet {
            EioPacket::Ping(d) => {
                self.watchdog = Instant::now() + self.watchdog_span;
                self.send(&EioPacket::Pong(d)).await
            }
            EioPacket::Close => Err(Down::Lost("the server closed the session".into())),
            EioPacket::Message(SioPacket { kind, .. }) => match kind {
                SioKind::Event { name, args, id } => {
                    s.receive(name, args);
                    match id {
                        // Answer the server's ack request so it never waits.
                        Some(id) => self.send(&EioPacket::Message(SioPacket { nsp: self.namespace.clone(), kind: SioKind::Ack { args: vec![], id } })).await,
                        None => Ok(()),
                    }
                }
                SioKind::Ack { mut args, id } => {
                    let data = if args.is_empty() { Value::Null } else { args.swap_remove(0) };
                    self.on_ack(id, data, s);
                    self.drain_after_rejoins(s).await
                }
                SioKind::Disconnect => Err(Down::Lost("the server disconnected this socket".into())),
                SioKind::ConnectError(v) => Err(Down::AuthFailed(v.get("message").and_then(Value::as_str).unwrap_or("refused").to_string())),
                SioKind::Connect(_) => Ok(()),
            },
            EioPacket::Open(_) | EioPacket::Pong(_) | EioPacket::Upgrade | EioPacket::Noop => Ok(()),
        }
    }

    fn on_ack(&mut self, id: u64, data: Value, s: &mut Session) {
        match self.untrack(id) {
            Some(InFlight::Reliable(o)) => {
                if let Some(r) = o.reply {
                    let _ = r.send(unwrap_ack(data));
                }
            }
            Some(InFlight::Volatile(reply) | InFlight::Leave(reply)) => {
                let _ = reply.send(unwrap_ack(data));
            }
            Some(InFlight::Join { key }) => {
                let result = unwrap_ack(data);
                if self.rejoining.remove(&id) && result.is_ok() {
                    self.rejoined += 1;
                }
                s.joined(&key, &result);
            }
            Some(InFlight::Recover) => s.recovery_answer(unwrap_ack(data)),
            Some(InFlight::Heartbeat) => {
                if let Some(b) = self.beat.as_mut().filter(|b| b.pending == Some(id)) {
                    b.pending = None;
                    b.missed = 0;
                }
            }
            None => tracing::debug!(id, "ack for an unknown id"),
        }
    }

    async fn on_deadline(&mut self, s: &mut Session) -> Result<(), Down> {
        let now = Instant::now();
        if self.watchdog <= now {
            return Err(Down::Lost(format!("no ping from the server for {} ms", self.watchdog_span.as_millis())));
        }
        if self.beat.as_ref().is_some_and(|b| b.next <= now) {
            self.heartbeat(s).await?;
        }
        if self.drained && s.gap_deadline().is_some_and(|g| g <= now) && s.gap_expired() {
            self.recover(s).await?;
        }
        while let Some(&(at, id)) = self.deadlines.first()
            && at <= now
        {
            match self.untrack(id) {
                Some(InFlight::Volatile(reply) | InFlight::Leave(reply)) => {
                    let _ = reply.send(Err(ClientError::Timeout));
                }
                // Sent again with the same message id (the server answers a resend of a handled
                // one from its dedup store), a bounded number of times.
                Some(InFlight::Reliable(o)) if o.timeouts < self.reliable_retries => {
                    tracing::debug!(event = %o.event, "no ack in time; resending");
                    self.send_reliable(Outgoing { timeouts: o.timeouts + 1, ..o }, s).await?;
                }
                Some(InFlight::Reliable(o)) => s.report_drop(o, DropReason::AckTimeout),
                Some(InFlight::Join { key }) => {
                    // Kept in memory: re-joined on the next connection.
                    s.joined(&key, &Err(ClientError::Timeout));
                    self.rejoining.remove(&id);
                }
                Some(InFlight::Recover) => s.recovery_answer(Err(ClientError::Timeout)),
                Some(InFlight::Heartbeat) | None => {}
            }
        }
        self.drain_after_rejoins(s).await
    }

    /// Sends the next beat; too many unanswered in a row end the link.
    async fn heartbeat(&mut self, s: &mut Session) -> Result<(), Down> {
        let Some(b) = self.beat.as_mut() else { return Ok(()) };
        // Fixed cadence, like `tokio::time::interval`; after a stall (a busy machine) the next
        // beat is a whole interval away, as with `MissedTickBehavior::Delay`: beats sent back to
        // back would count the previous one missed before its answer could be read.
        b.next += b.interval;
        let now = Instant::now();
        if b.next <= now {
            b.next = now + b.interval;
        }
        if b.pending.is_some() {
            b.missed += 1;
            if b.missed >= b.max_missed {
                return Err(Down::Lost(format!("{} heartbeats unanswered", b.missed)));
            }
        }
        let id = s.take_ack_id();
        let old = b.pending.replace(id);
        let event = b.event.clone();
        if let Some(old) = old {
            self.untrack(old);
        }
        let ts = crate::Timestamp::now();
        self.track(id, InFlight::Heartbeat, false);
        self.send(&self.event_packet(&event, &Some(serde_json::json!({ "timestamp": ts })), Some(id))).await
    }

    /// Once the last re-join is answered or timed out: reports the re-joins, then sends the
    /// offline queue.
    async fn drain_after_rejoins(&mut self, s: &mut Session) -> Result<(), Down> {
        if self.drained || !self.rejoining.is_empty() {
            return Ok(());
        }
        self.drained = true;
        s.event(ClientEvent::Rejoined { rooms: self.rejoined });
        self.recover(s).await?;
        self.drain(s).await
    }

    /// After the re-joins: asks for the events missed while away (see `recovery.rs`).
    async fn recover(&mut self, s: &mut Session) -> Result<(), Down> {
        let Some(req) = s.recovery_request() else { return Ok(()) };
        let id = s.take_ack_id();
        self.track(id, InFlight::Recover, true);
        self.send(&self.event_packet(crate::recovery::RECOVER_EVENT, &serde_json::to_value(req).ok(), Some(id))).await
    }

    /// Sends every queued message, oldest first.
    async fn drain(&mut self, s: &mut Session) -> Result<(), Down> {
        while let Some(o) = s.dequeue() {
            self.send_reliable(o, s).await?;
        }
        Ok(())
    }

    pub(super) async fn send_reliable(&mut self, o: Outgoing, s: &mut Session) -> Result<(), Down> {
        let id = s.take_ack_id();
        let now = Instant::now();
        let packet = match o.first_sent {
            Some(first) => {
                super::types::Stats::bump(&s.stats.resent);
                self.event_packet(&o.event, &resend_payload(&o.payload, now.duration_since(first)), Some(id))
            }
            None => self.event_packet(&o.event, &o.payload, Some(id)),
        };
        let first_sent = o.first_sent.or(Some(now));
        self.track(id, InFlight::Reliable(Outgoing { first_sent, ..o }), true);
        self.send(&packet).await
    }

    pub(super) async fn send_volatile(&mut self, event: &str, payload: &Option<Value>, reply: Reply, s: &mut Session) -> Result<(), Down> {
        let id = s.take_ack_id();
        self.track(id, InFlight::Volatile(reply), true);
        self.send(&self.event_packet(event, payload, Some(id))).await
    }

    /// Joins a room just remembered in the session (its callers wait there).
    pub(super) async fn send_join(&mut self, room: &Room, s: &mut Session) -> Result<(), Down> {
        let id = s.take_ack_id();
        self.track(id, InFlight::Join { key: room.key.clone() }, true);
        self.send(&self.event_packet(&room.event, &room.payload, Some(id))).await
    }

    pub(super) async fn send_leave(&mut self, event: &str, payload: &Option<Value>, reply: Reply, s: &mut Session) -> Result<(), Down> {
        let id = s.take_ack_id();
        self.track(id, InFlight::Leave(reply), true);
        self.send(&self.event_packet(event, payload, Some(id))).await
    }

    /// Closes the socket (saying goodbye to the namespace first when `polite`), then ends the
    /// link like a loss.
    pub(super) async fn close(mut self, polite: bool, s: &mut Session) {
        if polite {
            let _ = self.send(&EioPacket::Message(SioPacket { nsp: self.namespace.clone(), kind: SioKind::Disconnect })).await;
        }
        let _ = self.ws.close(None).await;
        self.lost(s);
    }

    /// The link is gone: reliable messages in flight go back to the front of the queue (in emit
    /// order) to be resent with the same message id; volatile waits fail.
    pub(super) fn lost(self, s: &mut Session) {
        let mut back = Vec::new();
        for (_, p) in self.inflight {
            match p.what {
                InFlight::Reliable(o) => back.push(o),
                InFlight::Volatile(reply) | InFlight::Leave(reply) => {
                    let _ = reply.send(Err(ClientError::Disconnected));
                }
                InFlight::Recover => s.recovery_abandoned(),
                InFlight::Join { .. } | InFlight::Heartbeat => {}
            }
        }
        s.requeue_front(back);
    }

    fn track(&mut self, id: u64, what: InFlight, with_deadline: bool) {
        let deadline = with_deadline.then(|| Instant::now() + self.ack_timeout);
        if let Some(at) = deadline {
            self.deadlines.insert((at, id));
        }
        self.inflight.insert(id, Pending { what, deadline });
    }

    fn untrack(&mut self, id: u64) -> Option<InFlight> {
        let p = self.inflight.remove(&id)?;
        if let Some(at) = p.deadline {
            self.deadlines.remove(&(at, id));
        }
        Some(p.what)
    }

    fn event_packet(&self, event: &str, payload: &Option<Value>, id: Option<u64>) -> EioPacket {
        EioPacket::Message(SioPacket {
            nsp: self.namespace.clone(),
            kind: SioKind::Event { name: event.to_string(), args: payload.iter().cloned().collect(), id },
        })
    }

    async fn send(&mut self, p: &EioPacket) -> Result<(), Down> {
        send(&mut self.ws, p).await
    }
}

/// A resend's payload: marked `_resent` with the time since the first send, so a server whose
/// dedup store lost its history meanwhile answers `outcome_unknown` instead of running it twice.
fn resend_payload(payload: &Option<Value>, age: Duration) -> Option<Value> {
    match payload {
        Some(Value::Object(m)) if m.contains_key(crate::wire::MESSAGE_ID_FIELD) => {
            let mut m = m.clone();
            m.insert(crate::wire::RESENT_FIELD.into(), Value::from(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)));
            Some(Value::Object(m))
        }
        other => other.clone(),
    }
}

/// TCP + WebSocket + Engine.IO open + Socket.IO connect with `auth.token`, within `timeout`.
pub(super) async fn dial(config: &ClientConfig, token: String) -> Result<(Ws, OpenInfo), Down> {
    let base = config.url.trim_end_matches('/');
    let base = base.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
    let url = format!("{base}/socket.io/?EIO=4&transport=websocket");
    let nsp = config.namespace.clone();
    let max_frame = config.max_frame;
    let ws_config = tungstenite::protocol::WebSocketConfig::default().max_message_size(Some(max_frame)).max_frame_size(Some(max_frame));
    let opener = super::transport::Opener::new(config);
    let attempt = async move {
        let mut ws = opener.open(url.as_str(), ws_config).await.map_err(|e| Down::Lost(format!("connect: {e}")))?;
        let open = loop {
            match next_packet(&mut ws, max_frame).await? {
                EioPacket::Open(o) => break o,
                EioPacket::Noop => continue,
                other => return Err(Down::Lost(format!("expected the Engine.IO open packet, got {other:?}"))),
            }
        };
        let connect = EioPacket::Message(SioPacket { nsp: nsp.clone(), kind: SioKind::Connect(Some(serde_json::json!({ "token": token }))) });
        send(&mut ws, &connect).await?;
        loop {
            match next_packet(&mut ws, max_frame).await? {
                EioPacket::Message(SioPacket { nsp: n, kind: SioKind::Connect(_) }) if n == nsp => return Ok((ws, open)),
                EioPacket::Message(SioPacket { kind: SioKind::ConnectError(v), .. }) => {
                    let msg = v.get("message").and_then(Value::as_str).unwrap_or("connection refused").to_string();
                    return Err(Down::AuthFailed(msg));
                }
                EioPacket::Ping(d) => send(&mut ws, &EioPacket::Pong(d)).await?,
                EioPacket::Close => return Err(Down::Lost("server closed during the handshake".into())),
                _ => continue,
            }
        }
    };
    tokio::time::timeout(config.connect_timeout, attempt).await.unwrap_or_else(|_| Err(Down::Lost("connect timed out".into())))
}

/// `{ ok: true, data }` -> data; `{ ok: false, error }` -> Refused; anything else is returned
/// as is (servers that do not use the envelope).
fn unwrap_ack(v: Value) -> Result<Value, ClientError> {
    match v.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
        Some(false) => match v.get("error").cloned().and_then(|e| serde_json::from_value::<AckError>(e).ok()) {
            Some(e) => Err(ClientError::Refused(e)),
            None => Err(ClientError::Refused(AckError::new(crate::wire::ErrorCode::Internal, "refused without a readable error"))),
        },
        None => Ok(v),
    }
}

async fn send(ws: &mut Ws, p: &EioPacket) -> Result<(), Down> {
    ws.send(Message::Text(codec::encode(p).into())).await.map_err(|e| Down::Lost(format!("write: {e}")))
}

async fn next_packet(ws: &mut Ws, max_frame: usize) -> Result<EioPacket, Down> {
    loop {
        match ws.next().await {
            None => return Err(Down::Lost("the server closed the connection".into())),
            Some(Err(e)) => return Err(Down::Lost(format!("read: {e}"))),
            Some(Ok(Message::Text(t))) => return codec::decode(t.as_str(), max_frame).map_err(|e| Down::Lost(e.to_string())),
            Some(Ok(Message::Close(_))) => return Err(Down::Lost("the server closed the connection".into())),
            Some(Ok(_)) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_unwrap_the_envelope() {
        assert_eq!(unwrap_ack(serde_json::json!({"ok": true, "data": 5})), Ok(serde_json::json!(5)));
        assert!(matches!(unwrap_ack(serde_json::json!({"ok": false, "error": {"code": "forbidden", "message": "no"}})), Err(ClientError::Refused(e)) if e.code == crate::wire::ErrorCode::Forbidden));
        assert_eq!(unwrap_ack(serde_json::json!("plain")), Ok(serde_json::json!("plain")));
    }
}
