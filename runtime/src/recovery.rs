//! The recovery protocol's wire shapes, shared by server and client (see README "Recovery" and
//! codegen/FORMAT.md "Recovery of missed events").
//!
//! A recoverable event sent to rooms carries one extra trailing argument,
//! `{"_rec": [{"room", "epoch", "offset"}, ...]}`: its place in each room's stream. A listener of
//! one parameter (socket.io-client) never sees it, and the payload object is unchanged. After a
//! reconnect and its re-joins, a recovering client emits [`RECOVER_EVENT`] with a
//! [`RecoverRequest`] and an ack id; the ack's `data` is a [`RecoverReply`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The client-to-server event a recovering client sends after its re-joins.
pub const RECOVER_EVENT: &str = "_recover";

/// The key of the trailing argument that carries an event's positions.
pub const POSITION_KEY: &str = "_rec";

/// Where one event sits in one room's stream. Offsets count from 1 within an epoch; a new
/// epoch means the room's history was lost (offsets start again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The server's room name (e.g. `order-o-100`).
    pub room: String,
    /// The room stream's epoch.
    pub epoch: String,
    /// The event's offset in that epoch.
    pub offset: u64,
}

/// The trailing argument of a recoverable event: `{"_rec": [Position, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Positions {
    /// One per target room.
    #[serde(rename = "_rec")]
    pub rec: Vec<Position>,
}

impl Positions {
    /// Reads the trailing argument of an event, if it is one of ours.
    pub fn from_arg(v: &Value) -> Option<Self> {
        v.get(POSITION_KEY)?;
        serde_json::from_value(v.clone()).ok()
    }
}

/// What a recovering client sends: how long ago it last heard from the server, and the last
/// position it holds per room (rooms it saw no event of are recovered by time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverRequest {
    /// Milliseconds since the last frame the client received on its previous connection.
    pub gone_ms: u64,
    /// The last contiguous position per room.
    #[serde(default)]
    pub rooms: Vec<Position>,
}

/// Why a room's gap cannot be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResyncReason {
    /// The client was away longer than the recovery window.
    TooOld,
    /// The room's history was lost (new epoch: a restart, a flush, an eviction).
    EpochChanged,
    /// Events the client missed were dropped by the per-room or total cap.
    Capped,
    /// The history store could not be read.
    Unavailable,
}

impl ResyncReason {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooOld => "too_old",
            Self::EpochChanged => "epoch_changed",
            Self::Capped => "capped",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The outcome for one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RoomOutcome {
    /// The missed events are in [`RecoverReply::events`]; `epoch`/`offset` is the room's head
    /// they lead up to (no epoch: the room has no history yet).
    Recovered {
        /// The room.
        room: String,
        /// The stream's epoch, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
        /// The head offset (0 without history).
        offset: u64,
        /// Events of this room in `events` (some may be shared with an earlier room).
        replayed: usize,
    },
    /// The gap cannot be filled: the app refetches this room's data. `epoch`/`offset` is the
    /// head to continue from, when known.
    ResyncRequired {
        /// The room.
        room: String,
        /// Why.
        reason: ResyncReason,
        /// The stream's epoch, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
        /// The head offset, when known.
        #[serde(default)]
        offset: u64,
    },
    /// The socket is not in this room now (never joined, left, or its re-join was refused): no
    /// history is given.
    NotJoined {
        /// The room.
        room: String,
    },
}

impl RoomOutcome {
    /// The room this outcome is about.
    pub fn room(&self) -> &str {
        match self {
            Self::Recovered { room, .. } | Self::ResyncRequired { room, .. } | Self::NotJoined { room } => room,
        }
    }
}

/// One replayed event, as it was sent live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replayed {
    /// The event name.
    pub event: String,
    /// The payload.
    pub data: Value,
    /// Its positions (every target room).
    #[serde(rename = "_rec")]
    pub rec: Vec<Position>,
}

/// The ack `data` of [`RECOVER_EVENT`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecoverReply {
    /// One per room the socket is in, plus one per requested room it is not in.
    pub rooms: Vec<RoomOutcome>,
    /// The missed events, room by room, each room's in offset order; an event sent to several
    /// of the socket's rooms appears once.
    pub events: Vec<Replayed>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_shapes_are_stable() {
        let p = Positions { rec: vec![Position { room: "order-o-1".into(), epoch: "e1".into(), offset: 3 }] };
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"_rec": [{"room": "order-o-1", "epoch": "e1", "offset": 3}]}));
        assert_eq!(Positions::from_arg(&json!({"_rec": [{"room": "order-o-1", "epoch": "e1", "offset": 3}]})), Some(p));
        assert_eq!(Positions::from_arg(&json!({"orderId": "o-1"})), None, "an app object is not a position");
        let r = RoomOutcome::ResyncRequired { room: "user-u1".into(), reason: ResyncReason::TooOld, epoch: None, offset: 0 };
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"status": "resync_required", "room": "user-u1", "reason": "too_old", "offset": 0}));
    }
}
