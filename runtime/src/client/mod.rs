//! The Socket.IO client. [`Client`] is a handle; one task (`actor.rs`) owns the WebSocket (single
//! reader, single writer) and moves through explicit phases (connecting, connected, backoff,
//! failed, auth failed, closed). What survives a reconnect (offline queue, remembered rooms,
//! message ids, the token) is `session.rs`; one live connection (acks in flight with their
//! deadlines, heartbeat, re-join, drain) is `link.rs`.
//!
//! Guarantees (tested in tests/):
//! - reconnect with backoff 1, 2, 4, 8, 16 s (capped), at most 10 attempts, then `Failed`;
//! - reliable events carry a message id (`_mid`), wait for their ack and are resent after a
//!   reconnect (the server deduplicates); on a live connection an ack missing after
//!   `ack_timeout` gets the message resent `reliable_retries` times, then it is given up and
//!   reported (`DropReason::AckTimeout`); volatile events are dropped while offline;
//! - the offline queue holds at most 100 messages, drops the oldest, and reports every drop;
//! - rooms are re-joined after every reconnect, before queued messages drain (FIFO);
//! - a connect error from the server (bad token) ends in `AuthFailed`, not a retry loop;
//! - the link is declared dead when server pings stop or app heartbeats go unanswered.
//!
//! Handle to task: emits, joins and leaves go through a bounded channel of [`COMMAND_BUFFER`]
//! commands; when it is full the async methods wait (backpressure), they never drop. The
//! synchronous methods (`update_auth_token`, `resume`, `retry`, `clear_queue`, `disconnect`)
//! cannot wait, so they write one `watch` of control flags instead: it never blocks and never
//! loses a signal (repeats coalesce: two `resume()` before the task looks are one reconnect).
//! The task applies a signal after the commands already in the channel, so an emit made before
//! `disconnect()` is handled (queued, then reported as `Closed`) like before.

mod actor;
pub mod backoff;
pub mod codec;
mod link;
pub mod queue;
mod recovery;
mod session;
mod transport;
mod types;

pub use backoff::Backoff;
#[cfg(feature = "sim")]
pub use transport::{ConnectFuture, Connector, Io, Transport};
pub use types::{ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason, Forget, Heartbeat, Stats, StatsSnapshot, TokenFuture, TokenProvider};

use actor::{Cmd, Control};
use serde_json::Value;
use session::Session;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use types::Reply;

/// Commands (emits, joins, leaves) the channel to the connection task holds before the async
/// methods wait; enough for a burst of a full offline queue (100) and more.
pub const COMMAND_BUFFER: usize = 256;

/// A running client. Cheap to clone; the connection lives until `disconnect()` or the last
/// clone is dropped.
#[derive(Clone)]
pub struct Client {
    cmd: mpsc::Sender<Cmd>,
    control: Arc<watch::Sender<Control>>,
    state: watch::Receiver<ConnectionState>,
    events: broadcast::Sender<ClientEvent>,
    stats: Arc<Stats>,
    queue_len: Arc<AtomicUsize>,
    listener_ids: Arc<AtomicU64>,
    listener_buffer: usize,
    listeners: Listeners,
}

/// Listeners by id, shared by the handles and the task: `on` registers before it returns, so a
/// listener gets every event read after that (a command to the task could be overtaken by a
/// frame already waiting on the socket).
pub(crate) type Listeners = Arc<Mutex<HashMap<u64, (String, mpsc::Sender<Value>)>>>;

/// Receives one server event's payloads; dropping it unsubscribes.
pub struct Listener {
    rx: mpsc::Receiver<Value>,
    id: u64,
    listeners: Listeners,
}

impl Listener {
    /// The next payload (`None` once the client is closed).
    pub async fn recv(&mut self) -> Option<Value> {
        self.rx.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

impl Client {
    /// Starts connecting with `token` (sent as `auth.token` on every connect).
    pub fn connect(config: ClientConfig, token: impl Into<String>) -> Client {
        Self::start(config, token.into(), None)
    }

    /// Starts connecting; `provider` is asked for the token before every connect.
    pub fn connect_with_provider(config: ClientConfig, provider: impl TokenProvider) -> Client {
        Self::start(config, String::new(), Some(Arc::new(provider)))
    }

    fn start(config: ClientConfig, token: String, provider: Option<Arc<dyn TokenProvider>>) -> Client {
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_BUFFER);
        let (control_tx, control_rx) = watch::channel(Control::default());
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connecting);
        let (events, _) = broadcast::channel(256);
        let stats = Arc::new(Stats::default());
        let queue_len = Arc::new(AtomicUsize::new(0));
        let listener_buffer = config.listener_buffer.max(1);
        let listeners: Listeners = Arc::default();
        let session = Session::new(&config, token, provider, events.clone(), stats.clone(), queue_len.clone(), listeners.clone());
        tokio::spawn(actor::Actor::new(config, session, cmd_rx, control_rx, state_tx).run());
        Client {
            cmd: cmd_tx,
            control: Arc::new(control_tx),
            state: state_rx,
            events,
            stats,
            queue_len,
            listener_ids: Arc::new(AtomicU64::new(1)),
            listener_buffer,
            listeners,
        }
    }

    /// The connection state, as a watch (await `changed()` to follow it).
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Drops, reconnects and protocol errors, as they happen.
    pub fn events(&self) -> broadcast::Receiver<ClientEvent> {
        self.events.subscribe()
    }

    /// Counters (`stats().snapshot()` reads them all).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Messages waiting in the offline queue.
    pub fn queue_size(&self) -> usize {
        self.queue_len.load(Ordering::SeqCst)
    }

    /// Drops every queued message (each reported as `Cleared`).
    pub fn clear_queue(&self) {
        self.control.send_modify(|c| c.clears += 1);
    }

    /// Reconnects at once with a new token, keeping the queue and the rooms.
    pub fn update_auth_token(&self, token: impl Into<String>) {
        let token = token.into();
        // The next connect uses this token without asking the provider.
        self.control.send_modify(|c| {
            c.token = Some(token);
            c.tokens += 1;
            c.reconnects += 1;
        });
    }

    /// Reconnects at once (app back in the foreground; or a manual retry after `Failed`).
    pub fn resume(&self) {
        self.control.send_modify(|c| c.reconnects += 1);
    }

    /// Retries by hand after `Failed` or `AuthFailed` (same as `resume`).
    pub fn retry(&self) {
        self.resume();
    }

    /// Closes the connection; queued messages are reported as dropped.
    pub fn disconnect(&self) {
        self.control.send_modify(|c| c.closed = true);
    }

    async fn call(&self, make: impl FnOnce(Reply) -> Cmd) -> Result<Value, ClientError> {
        let (tx, rx) = oneshot::channel();
        // Waits while the channel is full (backpressure); fails only once the task has ended.
        self.cmd.send(make(tx)).await.map_err(|_| ClientError::Closed)?;
        rx.await.map_err(|_| ClientError::Closed)?
    }

    /// A reliable event: queued while offline, carries a message id, resent after a reconnect
    /// until acked. Resolves with the ack's `data`.
    pub async fn emit_reliable(&self, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Emit { event: event.into(), payload, reliable: true, reply }).await
    }

    /// A volatile event: sent only when connected (else `Offline`, reported as a drop).
    pub async fn emit_volatile(&self, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Emit { event: event.into(), payload, reliable: false, reply }).await
    }

    /// Joins a room through `event` and remembers it under `key`, so it is re-joined after every
    /// reconnect. Resolves with the ack's data once joined.
    pub async fn join(&self, key: &str, event: &str, payload: Option<Value>) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Join { key: key.into(), event: event.into(), payload, reply }).await
    }

    /// Leaves a room through `event` and forgets it.
    pub async fn leave(&self, event: &str, payload: Option<Value>, forget: Forget) -> Result<Value, ClientError> {
        self.call(|reply| Cmd::Leave { event: event.into(), payload, forget, reply }).await
    }

    /// Listens to a server event; dropping the listener unsubscribes. On a closed client the
    /// listener ends at once.
    pub fn on(&self, event: &str) -> Listener {
        let (tx, rx) = mpsc::channel(self.listener_buffer);
        let id = self.listener_ids.fetch_add(1, Ordering::Relaxed);
        let mut listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        // Checked under the lock: the task closes the channel, then clears the listeners.
        if !self.cmd.is_closed() {
            listeners.insert(id, (event.into(), tx));
        }
        drop(listeners);
        Listener { rx, id, listeners: self.listeners.clone() }
    }
}
