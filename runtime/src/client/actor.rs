//! The connection task: an explicit [`Phase`] and one loop per kind of wait. Offline phases
//! (connecting, backoff, failed, auth failed) wait in `alongside`, the connected phase in
//! `connected`; both hand every command to the one `handle_cmd` and every control signal to
//! `on_control`. Phase changes are published in one place (`publish`).

use super::link::{self, Down, Link};
use super::session::{Room, Session};
use super::types::{ClientConfig, ClientEvent, ConnectionState, DropReason, Forget, Reply, Stats};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// What the handle asks of the task through the bounded channel.
pub(super) enum Cmd {
    Emit { event: String, payload: Option<Value>, reliable: bool, reply: Reply },
    Join { key: String, event: String, payload: Option<Value>, reply: Reply },
    Leave { event: String, payload: Option<Value>, forget: Forget, reply: Reply },
}

/// What the handle's synchronous methods set: counters and flags, so a signal is never lost and
/// setting one never blocks.
#[derive(Debug, Default)]
pub(super) struct Control {
    /// `resume`, `retry` and `update_auth_token` calls.
    pub(super) reconnects: u64,
    /// `clear_queue` calls.
    pub(super) clears: u64,
    /// `disconnect` was called.
    pub(super) closed: bool,
    /// The last token given to `update_auth_token`, and how many were given.
    pub(super) token: Option<String>,
    pub(super) tokens: u64,
}

/// The control counters the task has acted on.
#[derive(Default)]
struct Seen {
    reconnects: u64,
    clears: u64,
    tokens: u64,
}

/// Where the connection is.
enum Phase {
    /// An attempt (token, TCP, WebSocket, handshake) is under way; `attempt` is the number of
    /// failed attempts before it (0: the first, or a manual one).
    Connecting { attempt: u32 },
    /// Boxed: a link is large and the other phases are small.
    Connected(Box<Link>),
    /// Waiting `delay` (until `until`) before attempt `attempt`.
    Backoff { attempt: u32, delay: Duration, until: Instant },
    /// Out of attempts; waits for `retry()`.
    Failed { error: String },
    /// The server refused the token; waits for `update_auth_token()` or `retry()`.
    AuthFailed { message: String },
    Closed,
}

/// A control signal that changes the phase.
enum Signal {
    Reconnect,
    /// `polite`: `disconnect()` was called (the server is told); otherwise every handle is gone.
    Close { polite: bool },
}

pub(super) struct Actor {
    config: ClientConfig,
    session: Session,
    cmd_rx: mpsc::Receiver<Cmd>,
    control: watch::Receiver<Control>,
    seen: Seen,
    state: watch::Sender<ConnectionState>,
}

impl Actor {
    pub(super) fn new(config: ClientConfig, session: Session, cmd_rx: mpsc::Receiver<Cmd>, control: watch::Receiver<Control>, state: watch::Sender<ConnectionState>) -> Actor {
        Actor { config, session, cmd_rx, control, seen: Seen::default(), state }
    }

    pub(super) async fn run(mut self) {
        let mut phase = Phase::Connecting { attempt: 0 };
        loop {
            self.publish(&phase);
            phase = match phase {
                Phase::Connecting { attempt } => self.connecting(attempt).await,
                Phase::Connected(link) => self.connected(link).await,
                Phase::Backoff { attempt, until, .. } => match self.alongside(tokio::time::sleep_until(until)).await {
                    Ok(()) => Phase::Connecting { attempt },
                    Err(next) => next,
                },
                Phase::Failed { .. } | Phase::AuthFailed { .. } => match self.alongside(std::future::pending::<()>()).await {
                    Ok(()) => unreachable!("pending() never completes"),
                    Err(next) => next,
                },
                Phase::Closed => break,
            };
        }
        // Closed before the listeners are dropped, so `Client::on` cannot register one after.
        self.cmd_rx.close();
        self.session.close();
        self.state.send_replace(ConnectionState::Disconnected);
    }

    /// What the app sees on entering `phase`. A connect attempt after a backoff keeps showing
    /// `Reconnecting`; `Closed` is published once the session is closed.
    fn publish(&self, phase: &Phase) {
        let state = match phase {
            Phase::Connecting { attempt: 0 } => ConnectionState::Connecting,
            Phase::Connecting { .. } | Phase::Closed => return,
            Phase::Connected(_) => {
                Stats::bump(&self.session.stats.connects);
                self.state.send_replace(ConnectionState::Connected);
                self.session.event(ClientEvent::Connected);
                return;
            }
            Phase::Backoff { attempt, delay, .. } => ConnectionState::Reconnecting { attempt: *attempt, delay: *delay },
            Phase::Failed { error } => ConnectionState::Failed { error: error.clone() },
            Phase::AuthFailed { message } => ConnectionState::AuthFailed { message: message.clone() },
        };
        self.state.send_replace(state);
    }

    /// Asks the provider for a token unless one was pinned by `update_auth_token`, then dials.
    async fn connecting(&mut self, attempt: u32) -> Phase {
        let (tokens, token) = {
            let c = self.control.borrow();
            (c.tokens, c.token.clone())
        };
        // `borrow`, not `borrow_and_update`: a signal set meanwhile stays unseen for `on_control`.
        let pinned = tokens != self.seen.tokens;
        if pinned {
            self.seen.tokens = tokens;
            self.session.token = token.unwrap_or_default();
        }
        if let (Some(provider), false) = (self.session.provider.clone(), pinned) {
            match self.alongside(tokio::time::timeout(self.config.connect_timeout, provider.token())).await {
                Err(next) => return next,
                Ok(Ok(Some(t))) => self.session.token = t,
                Ok(Ok(None)) => {}
                Ok(Err(_)) => return self.backoff(attempt + 1, "the token provider timed out".into()),
            }
        }
        let config = self.config.clone();
        match self.alongside(link::dial(&config, self.session.token.clone())).await {
            Err(next) => next,
            Ok(Ok((ws, open))) => Phase::Connected(Box::new(Link::new(ws, &open, &self.config))),
            Ok(Err(down)) => self.down(down, attempt + 1),
        }
    }

    /// Runs `fut` while offline, handling commands and control signals meanwhile; a signal that
    /// changes the phase ends the wait with that phase.
    async fn alongside<T>(&mut self, fut: impl Future<Output = T>) -> Result<T, Phase> {
        tokio::pin!(fut);
        loop {
            let signal = tokio::select! {
                out = &mut fut => return Ok(out),
                cmd = self.cmd_rx.recv() => match cmd {
                    Some(cmd) => self.handle_cmd(cmd, None).await.map(|()| None),
                    None => Ok(Some(Signal::Close { polite: false })),
                },
                changed = self.control.changed() => self.on_control(changed.is_ok(), None).await,
            };
            match signal {
                Ok(None) | Err(_) => {}
                Ok(Some(Signal::Reconnect)) => return Err(Phase::Connecting { attempt: 0 }),
                Ok(Some(Signal::Close { .. })) => return Err(Phase::Closed),
            }
        }
    }

    /// Serves one live connection until it ends or a signal ends it.
    async fn connected(&mut self, mut link: Box<Link>) -> Phase {
        if let Err(down) = link.start(&mut self.session).await {
            return self.link_down(link, down);
        }
        loop {
            let step = tokio::select! {
                wake = link.wait(self.session.gap_deadline()) => link.on_wake(wake, &mut self.session).await.map(|()| None),
                cmd = self.cmd_rx.recv() => match cmd {
                    Some(cmd) => self.handle_cmd(cmd, Some(&mut link)).await.map(|()| None),
                    None => Ok(Some(Signal::Close { polite: false })),
                },
                changed = self.control.changed() => self.on_control(changed.is_ok(), Some(&mut link)).await,
            };
            match step {
                Ok(None) => {}
                Ok(Some(Signal::Close { polite })) => {
                    link.close(polite, &mut self.session).await;
                    return Phase::Closed;
                }
                Ok(Some(Signal::Reconnect)) => {
                    link.close(false, &mut self.session).await;
                    self.session.event(ClientEvent::Disconnected { reason: "reconnect requested".into() });
                    return Phase::Connecting { attempt: 0 };
                }
                Err(down) => return self.link_down(link, down),
            }
        }
    }

    /// The one place commands are handled, online (`link`) or not. Errors only when writing to
    /// the link fails (the link is then down).
    async fn handle_cmd(&mut self, cmd: Cmd, link: Option<&mut Link>) -> Result<(), Down> {
        let s = &mut self.session;
        match cmd {
            Cmd::Emit { event, payload, reliable: true, reply } => {
                let o = s.outgoing(event, payload, reply);
                match link {
                    Some(link) if link.drained() => link.send_reliable(o, s).await,
                    // Offline, or behind the re-joins and the queue: FIFO.
                    _ => {
                        s.enqueue(o);
                        Ok(())
                    }
                }
            }
            Cmd::Emit { event, payload, reliable: false, reply } => match link {
                Some(link) => link.send_volatile(&event, &payload, reply, s).await,
                None => {
                    s.drop_offline(event, reply);
                    Ok(())
                }
            },
            Cmd::Join { key, event, payload, reply } => {
                // Remembered either way: joined now, or re-joined on the next connection.
                let room = Room { key, event, payload };
                let sent = match link {
                    Some(link) => link.send_join(&room, s).await,
                    None => Ok(()),
                };
                s.remember(room, reply);
                sent
            }
            Cmd::Leave { event, payload, forget, reply } => {
                s.forget(&forget);
                match link {
                    Some(link) => link.send_leave(&event, &payload, reply, s).await,
                    None => {
                        let _ = reply.send(Ok(Value::Null));
                        Ok(())
                    }
                }
            }
        }
    }

    /// Applies the control flags; `open` is false once every handle is gone. Commands already in
    /// the channel were sent before the task noticed the signal, so they are handled first.
    async fn on_control(&mut self, open: bool, mut link: Option<&mut Link>) -> Result<Option<Signal>, Down> {
        if !open {
            return Ok(Some(Signal::Close { polite: false }));
        }
        for _ in 0..self.cmd_rx.len() {
            let Ok(cmd) = self.cmd_rx.try_recv() else { break };
            if let Err(down) = self.handle_cmd(cmd, link.as_deref_mut()).await {
                // The link is down before the signal was applied: the next wait sees it again.
                self.control.mark_changed();
                return Err(down);
            }
        }
        let (reconnects, clears, closed) = {
            let c = self.control.borrow_and_update();
            (c.reconnects, c.clears, c.closed)
        };
        if clears != self.seen.clears {
            self.seen.clears = clears;
            self.session.clear(DropReason::Cleared);
        }
        if closed {
            return Ok(Some(Signal::Close { polite: true }));
        }
        if reconnects != self.seen.reconnects {
            self.seen.reconnects = reconnects;
            return Ok(Some(Signal::Reconnect));
        }
        Ok(None)
    }

    fn link_down(&mut self, link: Box<Link>, down: Down) -> Phase {
        link.lost(&mut self.session);
        if let Down::Lost(reason) = &down {
            tracing::info!(%reason, "connection lost");
            self.session.event(ClientEvent::Disconnected { reason: reason.clone() });
        }
        self.down(down, 1)
    }

    /// After a failed attempt or a lost link: wait for a new token, or back off before attempt
    /// `attempt`.
    fn down(&self, down: Down, attempt: u32) -> Phase {
        match down {
            Down::AuthFailed(message) => {
                tracing::warn!(%message, "authentication failed; waiting for a new token");
                Phase::AuthFailed { message }
            }
            Down::Lost(error) => self.backoff(attempt, error),
        }
    }

    /// Backoff before attempt `attempt`, or `Failed` once the attempts are used up.
    fn backoff(&self, attempt: u32, error: String) -> Phase {
        match self.config.backoff.delay_with_jitter(attempt, unit_random()) {
            Some(delay) => Phase::Backoff { attempt, delay, until: Instant::now() + delay },
            None => Phase::Failed { error },
        }
    }
}

fn unit_random() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}
