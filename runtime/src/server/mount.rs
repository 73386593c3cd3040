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
use super::adapter::NodeAdapter;
use socketioxide::extract::{Event, TryData};
use socketioxide::handler::{FromMessage, FromMessageParts, MessageHandler};
use socketioxide::socket::Socket;
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
                s.on_fallback(Dispatcher { rt: rt.clone(), router });
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

/// The one message handler of every socket: each event goes to [`Runtime::dispatch`].
/// socketioxide's handlers made of closures spawn a task per message; this one runs the event
/// on the socket's reader until it first waits ([`run_or_spawn`]).
struct Dispatcher {
    rt: Arc<Runtime>,
    router: Arc<Router>,
}

/// `Dispatcher`'s marker for socketioxide's handler trait (closures use their argument types).
enum DispatcherArgs {}

impl MessageHandler<NodeAdapter, DispatcherArgs> for Dispatcher {
    fn call(&self, s: Arc<Socket<NodeAdapter>>, mut v: socketioxide_core::Value, ack_id: Option<i64>) {
        // The extractors a closure `|s, Event, TryData<Value>, Ticket, AckSender|` would run, in
        // its order. Only `Event` can fail, and socketioxide has read the event name already
        // (it routes by it); were it to fail, the event is counted, as every refusal is.
        let Ok(sref) = SocketRef::from_message_parts(&s, &mut v, &ack_id);
        let (event, data) = match read_text_event(&v) {
            Some(read) => read,
            None => {
                let event = match Event::from_message_parts(&s, &mut v, &ack_id) {
                    Ok(Event(event)) => event,
                    Err(e) => {
                        Metrics::inc(&self.rt.metrics.invalid_payloads);
                        return tracing::error!(sid = %s.id, "unreadable event name: {e}");
                    }
                };
                let Ok(TryData(data)) = TryData::<Value>::from_message_parts(&s, &mut v, &ack_id);
                (event, super::event_data(data))
            }
        };
        let Ok(ticket) = <Ticket as FromMessageParts<NodeAdapter>>::from_message_parts(&s, &mut v, &ack_id);
        let Ok(ack) = AckSender::from_message(s, v, ack_id);
        let (rt, router) = (self.rt.clone(), self.router.clone());
        run_or_spawn(async move { rt.dispatch(&router, event, Incoming { s: sref, ticket, ack, data }).await }, &self.rt.metrics);
    }
}

/// The event name and its first argument, read in one pass from a text packet without binary
/// attachments (`["name", data, ..]`; later arguments ignored, as socketioxide does). Its
/// extractors read the JSON three times (the name twice, then the data) and build a
/// `serde_json::Error` each time to stop after the first element (`FirstElement`'s `ok_or`):
/// at ingest that reading was 4.6 % of the server's samples, 2.4 % with this (perf,
/// `server-profile.md`). `None` for anything else, and for text that does
/// not parse, so those go through socketioxide's extractors and get their answers as before.
fn read_text_event(v: &socketioxide_core::Value) -> Option<(String, super::EventData)> {
    use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
    let socketioxide_core::Value::Str(text, bins) = v else { return None };
    if bins.as_ref().is_some_and(|b| !b.is_empty()) {
        return None;
    }
    struct EventAndData;
    impl<'de> Visitor<'de> for EventAndData {
        type Value = Option<(&'de str, Option<Value>)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an event array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let Some(name) = seq.next_element::<&'de str>()? else { return Ok(None) };
            let data = seq.next_element::<Value>()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Some((name, data)))
        }
    }
    let read = serde_json::Deserializer::from_str(text.as_str()).deserialize_seq(EventAndData).ok()??;
    Some((read.0.to_owned(), super::EventData(Ok(read.1))))
}

/// Runs an event's future on the calling task (socketioxide's reader of the socket) until it
/// first waits, and gives it a task of its own only then. Most events (parse, validate,
/// broadcast, ack) never wait, so they cost no task: a spawn, its scheduling and its wake-up
/// per message. The first poll's waker is a no-op; that is sound because the spawned task polls
/// the future again at once, and a future registers the waker of its latest poll.
/// A panic outside the handler's own guard (the pipeline catches the handler's) is logged and
/// counted in `handler_errors`, as a task's panic would be, and never unwinds into socketioxide.
pub(crate) fn run_or_spawn(fut: impl Future<Output = ()> + Send + 'static, metrics: &Metrics) {
    use std::task::{Context, Poll, Waker};
    let mut fut = Box::pin(fut);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))));
    match polled {
        Ok(Poll::Ready(())) => {}
        Ok(Poll::Pending) => drop(tokio::spawn(fut)),
        Err(_) => {
            Metrics::inc(&metrics.handler_errors);
            tracing::error!("event dispatch panicked");
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test(flavor = "current_thread")]
    async fn a_future_that_never_waits_is_done_when_run_or_spawn_returns() {
        let metrics = Metrics::default();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        run_or_spawn(async move { flag.store(true, Ordering::SeqCst) }, &metrics);
        // No await in between: on a current-thread runtime a spawned task could not have run.
        assert!(done.load(Ordering::SeqCst));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_future_that_waits_is_finished_on_its_own_task_when_woken() {
        let metrics = Metrics::default();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<u32>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<u32>();
        // Its first poll registers the no-op waker with the channel; the task's poll must
        // register a real one, or the send below would never wake it.
        run_or_spawn(
            async move {
                let n = go_rx.await.unwrap();
                done_tx.send(n + 1).unwrap();
            },
            &metrics,
        );
        tokio::task::yield_now().await;
        go_tx.send(41).unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), done_rx).await;
        assert_eq!(got.expect("the waiting future was never woken").unwrap(), 42);
    }

    fn text(s: &str) -> socketioxide_core::Value {
        socketioxide_core::Value::Str(s.to_string().into(), None)
    }

    fn read(s: &str) -> Option<(String, Result<Option<Value>, String>)> {
        read_text_event(&text(s)).map(|(event, data)| (event, data.into_inner()))
    }

    #[test]
    fn an_event_and_its_first_argument_are_read_in_one_pass() {
        let obj = serde_json::json!({"a": 1, "k\u{e9}": [true, null]});
        assert_eq!(read(r#"["chat:send",{"a":1,"k\u00e9":[true,null]}]"#), Some(("chat:send".into(), Ok(Some(obj)))));
        // No argument is `None` (socketioxide: "first element not found"); null is a value.
        assert_eq!(read(r#"["ping"]"#), Some(("ping".into(), Ok(None))));
        assert_eq!(read(r#"["ping",null]"#), Some(("ping".into(), Ok(Some(Value::Null)))));
        // Later arguments are ignored, as socketioxide's `Data` does.
        assert_eq!(read(r#"["ping",1,{"b":2},[3]]"#), Some(("ping".into(), Ok(Some(1.into())))));
    }

    #[test]
    fn anything_else_is_left_to_socketioxides_extractors() {
        // Their answers (e.g. "number out of range at line 1 column 18") are kept word for word.
        assert_eq!(read(r#"["ping",{"x":1e400}]"#), None);
        assert_eq!(read(r#"["ping",{"x":"#), None);
        assert_eq!(read(r#"[]"#), None);
        assert_eq!(read(r#"[1,{}]"#), None);
        assert_eq!(read(r#"{"a":1}"#), None);
        let with_attachment = socketioxide_core::Value::Str(r#"["up",{"_placeholder":true,"num":0}]"#.to_string().into(), Some(std::collections::VecDeque::from([b"x".to_vec().into()])));
        assert!(read_text_event(&with_attachment).is_none());
        assert!(read_text_event(&socketioxide_core::Value::Bytes(b"\x93".to_vec().into())).is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_the_first_poll_is_counted_not_unwound() {
        let metrics = Metrics::default();
        run_or_spawn(async { panic!("boom") }, &metrics);
        assert_eq!(metrics.handler_errors.load(Ordering::SeqCst), 1);
    }
}
