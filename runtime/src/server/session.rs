//! Per-socket state (who, which rooms, rate buckets, the event lane) and the handler context.

use super::auth::Principal;
use super::metrics::Metrics;
use super::order::Lane;
use crate::wire::{AckError, ErrorCode};
use super::SocketRef;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Per-socket state, stored in the socket's extensions by the auth middleware.
#[derive(Clone)]
pub struct Session(Arc<SessionInner>);

struct SessionInner {
    principal: Principal,
    lane: Arc<Lane>,
    rooms: Mutex<BTreeMap<String, &'static str>>,
    /// The user's slot: rate buckets shared by the user's sockets; freed when the last handle
    /// to the session is gone.
    slot: UserSlot,
}

/// Per-user state on this node: live sockets and rate buckets. A user's entry lives while they
/// have a socket, so the map stays as large as the set of connected users.
#[derive(Default)]
pub(crate) struct UserSockets(Mutex<HashMap<String, User>>);

#[derive(Default)]
struct User {
    sockets: usize,
    /// Token buckets per event, shared by every socket of the user: 40 sockets do not get 40
    /// times the limit.
    buckets: HashMap<&'static str, (f64, Instant)>,
}

pub(crate) struct UserSlot {
    users: Arc<UserSockets>,
    user: String,
}

impl UserSockets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, User>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A slot for `user`, or `None` when they already hold `max` sockets.
    pub(crate) fn take(self: &Arc<Self>, user: &str, max: usize) -> Option<UserSlot> {
        let mut m = self.lock();
        let u = m.entry(user.to_string()).or_default();
        if u.sockets >= max {
            if u.sockets == 0 {
                m.remove(user);
            }
            return None;
        }
        u.sockets += 1;
        Some(UserSlot { users: self.clone(), user: user.to_string() })
    }

    /// Sockets `user` holds now.
    #[cfg(test)]
    pub(crate) fn count(&self, user: &str) -> usize {
        self.lock().get(user).map_or(0, |u| u.sockets)
    }
}

impl UserSlot {
    /// Token bucket of the slot's user: `count` events per `per` seconds, bursts up to `count`.
    fn take_token(&self, event: &'static str, count: u32, per: u32) -> bool {
        let now = Instant::now();
        let mut m = self.users.lock();
        let Some(user) = m.get_mut(&self.user) else { return false };
        let cap = f64::from(count);
        let (tokens, at) = user.buckets.entry(event).or_insert((cap, now));
        let refill = now.duration_since(*at).as_secs_f64() * cap / f64::from(per.max(1));
        *tokens = (*tokens + refill).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut m = self.users.lock();
        if let Some(u) = m.get_mut(&self.user) {
            u.sockets -= 1;
            if u.sockets == 0 {
                m.remove(&self.user);
            }
        }
    }
}

impl Session {
    pub(crate) fn new(principal: Principal, max_queued: usize, slot: UserSlot, metrics: Arc<Metrics>) -> Self {
        Self(Arc::new(SessionInner { principal, lane: Arc::new(Lane::new(max_queued, metrics)), rooms: Mutex::new(BTreeMap::new()), slot }))
    }

    /// The authenticated user.
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// Records an automatic room (e.g. the user room) joined on connect.
    pub fn join_auto(&self, s: &SocketRef, kind: &'static str, room: String) {
        self.rooms().insert(room.clone(), kind);
        s.join(room);
    }

    pub(crate) fn lane(&self) -> &Arc<Lane> {
        &self.0.lane
    }

    pub(crate) fn rooms(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, &'static str>> {
        self.0.rooms.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a token of the user's bucket for `event` (shared by the user's sockets).
    pub(crate) fn take_token(&self, event: &'static str, count: u32, per: u32) -> bool {
        self.0.slot.take_token(event, count, per)
    }
}

/// What a handler gets besides its payload.
#[derive(Clone)]
pub struct Ctx {
    /// The socket. The runtime owns its handlers: every event goes through the one it
    /// registered. Do not register socketioxide handlers on it (`on`, `on_fallback`,
    /// `on_disconnect`): they would bypass the catalogue's checks or the runtime's disconnect
    /// hook, and from inside a handler `on`/`on_fallback` would deadlock or panic: the event runs
    /// while socketioxide holds its handler table.
    pub socket: SocketRef,
    pub(crate) session: Session,
    /// The reliable message id, when the client sent one.
    pub message_id: Option<String>,
    pub(crate) max_rooms: usize,
}

impl Ctx {
    /// The authenticated user.
    pub fn principal(&self) -> &Principal {
        self.session.principal()
    }

    /// Joins `room` (of kind `kind`) if `allowed`; refuses with `forbidden` or `too_many_rooms`.
    pub fn join(&self, kind: &'static str, room: String, allowed: bool) -> Result<(), AckError> {
        if !allowed {
            tracing::info!(sid = %self.socket.id, user = %self.principal().user_id, room, "join denied by the room's access policy");
            return Err(AckError::new(ErrorCode::Forbidden, format!("not allowed to join this {kind} room")));
        }
        let mut rooms = self.session.rooms();
        if !rooms.contains_key(&room) && rooms.len() >= self.max_rooms {
            return Err(AckError::new(ErrorCode::TooManyRooms, format!("a socket may be in at most {} rooms", self.max_rooms)));
        }
        rooms.insert(room.clone(), kind);
        drop(rooms);
        self.socket.join(room);
        Ok(())
    }

    /// Leaves `room`.
    pub fn leave(&self, room: String) {
        self.session.rooms().remove(&room);
        self.socket.leave(room);
    }

    /// Leaves every room of kind `kind`.
    pub fn leave_all(&self, kind: &'static str) {
        let names: Vec<String> = {
            let mut rooms = self.session.rooms();
            let names: Vec<String> = rooms.iter().filter(|(_, k)| **k == kind).map(|(n, _)| n.clone()).collect();
            for n in &names {
                rooms.remove(n);
            }
            names
        };
        for n in names {
            self.socket.leave(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(users: &Arc<UserSockets>, user: &str) -> Session {
        Session::new(Principal::new(user, None), 8, users.take(user, 100).unwrap(), Arc::default())
    }

    #[test]
    fn token_bucket_limits_bursts() {
        let users = Arc::new(UserSockets::default());
        let s = session(&users, "u");
        let allowed = (0..10).filter(|_| s.take_token("e", 3, 1)).count();
        assert_eq!(allowed, 3);
    }

    #[test]
    fn rate_limits_are_per_user_not_per_socket() {
        let users = Arc::new(UserSockets::default());
        let sockets: Vec<Session> = (0..40).map(|_| session(&users, "u3")).collect();
        let allowed = sockets.iter().filter(|s| s.take_token("chat:read", 10, 10)).count();
        assert_eq!(allowed, 10, "40 sockets of one user share one bucket");
        assert!(session(&users, "u1").take_token("chat:read", 10, 10), "another user has their own");
    }

    #[test]
    fn user_slots_are_capped_and_freed_with_the_session() {
        let users = Arc::new(UserSockets::default());
        let a = users.take("u1", 2).unwrap();
        let s = Session::new(Principal::new("u1", None), 8, users.take("u1", 2).unwrap(), Arc::default());
        assert!(users.take("u1", 2).is_none(), "a third socket of u1 is refused");
        assert!(users.take("u2", 2).is_some(), "other users are not affected");
        let clone = s.clone();
        drop(s);
        assert_eq!(users.count("u1"), 2, "a handle to the session still holds the slot");
        drop(clone);
        assert_eq!(users.count("u1"), 1);
        drop(a);
        assert_eq!(users.count("u1"), 0);
    }
}
