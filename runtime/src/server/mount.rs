//! The shared server state and the namespace registration: authentication, per-user socket
//! cap, handler registration, and the disconnect hook that drops a socket's queued events.

use super::auth::{AuthError, Authenticator};
use super::config::ServerConfig;
use super::dedup::{DedupStore, MemoryDedup};
use super::metrics::Metrics;
use super::session::{Session, UserSockets};
use crate::wire::{Ack, AckError, ErrorCode};
use serde_json::Value;
use super::order::{Ticket, Turn};
use super::{AckSender, SocketIo, SocketRef};
use super::router::{Incoming, Router};
use socketioxide::extract::{Event, TryData};
use std::sync::Arc;

/// Shared server state: configuration, authenticator, dedup store and counters.
pub struct Runtime {
    pub(crate) config: ServerConfig,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) dedup: Arc<dyn DedupStore>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) users: Arc<UserSockets>,
    /// Set when the namespace's adapter is initialised (see [`Runtime::mounted`]).
    pub(crate) mounted: super::adapter::Mounted,
    pub(crate) drop_log: super::emit::DropLog,
    /// Recoverable events per room (in memory unless replaced with [`Runtime::with_history`]).
    pub(crate) history: Arc<dyn super::history::History>,
    /// Set by the generated `mount` when the catalogue has `settings.recovery`.
    pub(crate) recovery: std::sync::OnceLock<super::history::RecoveryPolicy>,
}

impl Runtime {
    /// A runtime with the default limits and an in-memory dedup store.
    pub fn new(auth: impl Authenticator) -> Self {
        Self::with_config(auth, ServerConfig::default())
    }

    /// A runtime with the given limits.
    pub fn with_config(auth: impl Authenticator, config: ServerConfig) -> Self {
        let dedup = Arc::new(MemoryDedup::with_per_user(config.dedup_capacity, config.dedup_per_user, config.dedup_ttl));
        let history = Arc::new(super::history::MemoryHistory::new(config.history_capacity));
        Self {
            config,
            auth: Arc::new(auth),
            dedup,
            metrics: Arc::new(Metrics::default()),
            users: Arc::default(),
            mounted: Default::default(),
            drop_log: Default::default(),
            history,
            recovery: std::sync::OnceLock::new(),
        }
    }

    /// Replaces the history of recoverable events (e.g. with one in Redis shared by every node).
    #[must_use]
    pub fn with_history(mut self, store: impl super::history::History) -> Self {
        self.history = Arc::new(store);
        self
    }

    /// Replaces the dedup store (e.g. with a shared one).
    #[must_use]
    pub fn with_dedup(mut self, store: impl DedupStore) -> Self {
        self.dedup = Arc::new(store);
        self
    }

    /// The limits.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Registers `namespace` (the catalogue's, from the generated code): authentication in the
    /// connect middleware (the principal is stored on the socket), the socket's one event
    /// handler, which routes every event by name through `router` (the catalogue's client
    /// events), then `on_connect` (automatic rooms). An event the catalogue does not declare is
    /// answered `unknown_event` (see `answer_unknown_event`). All of it runs in the middleware
    /// because socketioxide sends CONNECT before it spawns the connect handler: an event the
    /// client sends right away would otherwise find no handler, or (a `_recover` after a
    /// reconnect) not yet find the socket in its automatic rooms.
    pub fn mount<F>(self: &Arc<Self>, io: &SocketIo, namespace: &'static str, router: Router, on_connect: F)
    where
        F: Fn(SocketRef, Session) + Send + Sync + Clone + 'static,
    {
        let router = Arc::new(router);
        use socketioxide::handler::ConnectHandler;
        let rt = self.clone();
        let auth_rt = self.clone();
        let expiries = super::expiry::Expiries::new(io.clone(), namespace, self.metrics.clone());
        let handler = move |s: SocketRef| {
            let rt = rt.clone();
            async move {
                let Some(session) = s.extensions.get::<Session>() else {
                    // The middleware always stores a session; refuse rather than run unauthenticated.
                    tracing::error!(sid = %s.id, "socket connected without a session; disconnecting");
                    let _ = s.disconnect();
                    return;
                };
                Metrics::inc(&rt.metrics.connections);
                tracing::info!(sid = %s.id, user = %session.principal().user_id, "connected");
            }
        };
        let middleware = move |s: SocketRef, socketioxide::extract::TryData(auth): socketioxide::extract::TryData<Value>| {
            let rt = auth_rt.clone();
            let router = router.clone();
            let expiries = expiries.clone();
            let on_connect = on_connect.clone();
            async move {
                let token = auth.ok().as_ref().and_then(|v| v.get("token")).and_then(Value::as_str).map(str::to_string);
                let result = match token.as_deref() {
                    None | Some("") => Err(AuthError::Missing),
                    Some(t) => rt.auth.authenticate(t).await,
                };
                let principal = result.inspect_err(|e| {
                    Metrics::inc(&rt.metrics.auth_failures);
                    tracing::info!(sid = %s.id, reason = %e, "connection refused");
                })?;
                let Some(slot) = rt.users.take(&principal.user_id, rt.config.max_sockets_per_user) else {
                    Metrics::inc(&rt.metrics.connections_refused);
                    tracing::info!(sid = %s.id, user = %principal.user_id, max = rt.config.max_sockets_per_user, "connection refused: too many sockets for this user");
                    return Err(AuthError::TooManySockets);
                };
                let session = Session::new(principal, rt.config.max_queued_events_per_socket, slot, rt.metrics.clone());
                s.extensions.insert(session.clone());
                // The one disconnect handler (socketioxide keeps only the last one registered):
                // queued events of a socket that is gone are dropped, not run for nobody, and
                // its expiry is no longer watched.
                let lane = session.lane().clone();
                let expiry = session.principal().expires_at.map(|exp| {
                    expiries.watch(s.id, exp);
                    (expiries.clone(), exp)
                });
                let sid = s.id;
                s.on_disconnect(move || {
                    lane.close();
                    if let Some((expiries, exp)) = &expiry {
                        expiries.forget(sid, *exp);
                    }
                    std::future::ready(())
                });
                // One handler for every event: socketioxide's per-socket map of handlers stays
                // empty. The ticket is taken when the message is extracted, in arrival order.
                let dispatch_rt = rt.clone();
                s.on_fallback(move |s: SocketRef, Event(event): Event, TryData(data): TryData<Value>, ticket: Ticket, ack: AckSender| {
                    let (rt, router) = (dispatch_rt.clone(), router.clone());
                    async move { rt.dispatch(&router, event, Incoming { s, ticket, ack, data: super::event_data(data) }).await }
                });
                // Automatic rooms last: a refused connection joins none (socketioxide would
                // also remove them).
                on_connect(s, session);
                Ok(())
            }
        };
        // With Redis the namespace accepts connections once subscribed: see `Runtime::mounted`.
        self.mounted.track(io.ns(namespace, handler.with(middleware)));
    }
}

impl Runtime {
    /// Routes one event: a catalogue event through its row of `router`, `_recover` when the
    /// catalogue keeps recoverable events, anything else answered `unknown_event`.
    async fn dispatch(self: &Arc<Self>, router: &Router, event: String, m: Incoming) {
        if let Some(row) = router.row(&event) {
            return self.handle(m.s, m.ticket, m.ack, m.data, row).await;
        }
        if event == crate::recovery::RECOVER_EVENT
            && self.recovery.get().is_some()
            && let Some(session) = m.s.extensions.get::<Session>()
        {
            let data = m.data.into_inner().ok().flatten();
            return self.answer_recover(m.s, session, data, m.ticket, m.ack).await;
        }
        self.answer_unknown_event(m.s, event, m.ticket, m.ack).await
    }

    /// The fallback handler: an event no handler is registered for is answered
    /// `{ok: false, error: {code: "unknown_event"}}` (when the client asked for an ack), in its
    /// turn of the socket's lane like every other answer, counted in `unknown_events` and
    /// logged at debug.
    async fn answer_unknown_event(&self, s: SocketRef, event: String, ticket: Ticket, ack: AckSender) {
        Metrics::inc(&self.metrics.unknown_events);
        tracing::debug!(sid = %s.id, event = %event, "unknown event");
        // Waiting for the turn keeps acks in arrival order; a full lane is answered the same.
        let _turn = match ticket.wait().await {
            Turn::Closed => return,
            Turn::Full(_) => None,
            Turn::Go(turn) => turn,
        };
        let error = AckError::new(ErrorCode::UnknownEvent, format!("the catalogue has no client-to-server event `{event}`"));
        self.send_ack(&s, &event, ack, &Ack::<()>::Err(error));
    }
}
