//! The simulated network: each connection is two in-memory pipes (`tokio::io::duplex`) joined by
//! one pump task per direction, which delays, holds, loses and cuts segments as the faults say.
//! Segments keep their order within a link (TCP); a held link delivers late; a lost segment
//! resets the link when it would have arrived; a cut drops what is in flight and both sides see
//! the connection end. Everything runs on the scenario's one-thread runtime with paused time.

use super::schedule::{Rng, millis};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::client::{ConnectFuture, Connector};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

/// Bytes a pipe buffers, and bytes a pump holds before it stops reading (a TCP window).
const PIPE: usize = 64 * 1024;
const WINDOW: usize = 256 * 1024;
/// Latency of every segment outside a `Delay` fault.
const BASE_LATENCY: Duration = Duration::from_millis(1);

/// Accepts the server end of a new connection (the current server process).
pub type Accept = Arc<dyn Fn(DuplexStream) + Send + Sync>;

#[derive(Debug, Clone, Default)]
struct Ctl {
    /// Partitions and stalls holding this link now.
    holds: u32,
    cut: bool,
    /// The client process died: nothing more leaves it, nothing reaches it.
    sealed: bool,
    /// The next segment in this direction is lost.
    lose_up: bool,
    lose_down: bool,
}

struct Link {
    client: usize,
    incarnation: u64,
    server: u64,
    ctl: watch::Sender<Ctl>,
}

impl Link {
    fn modify(&self, f: impl FnOnce(&mut Ctl)) {
        self.ctl.send_modify(f);
    }
}

struct State {
    seed: u64,
    /// Links each client opened so far: a link's delays come from its own generator, so what
    /// other clients do at the same instant does not change them.
    opened: Vec<u64>,
    links: Vec<Arc<Link>>,
    partitioned_until: Vec<Option<Instant>>,
    delay: Vec<Option<(Instant, u64, u64)>>,
    /// The running server process: its number and its accept function.
    server: Option<(u64, Accept)>,
    /// Client incarnations that crashed: their connects are refused.
    dead: Vec<(usize, u64)>,
}

/// The network of one scenario (cheap to clone).
#[derive(Clone)]
pub struct Net(Arc<Mutex<State>>);

impl Net {
    /// A network for `clients` clients; segment delays are drawn from `seed` (per link).
    pub fn new(clients: usize, seed: u64) -> Net {
        Net(Arc::new(Mutex::new(State {
            seed,
            opened: vec![0; clients],
            links: Vec::new(),
            partitioned_until: vec![None; clients],
            delay: vec![None; clients],
            server: None,
            dead: Vec::new(),
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Links still open, of `client` (all clients when `None`).
    fn links_of(&self, client: Option<usize>) -> Vec<Arc<Link>> {
        let mut st = self.state();
        st.links.retain(|l| !l.ctl.borrow().cut && l.ctl.receiver_count() > 0);
        st.links.iter().filter(|l| client.is_none_or(|c| l.client == c)).cloned().collect()
    }

    /// Server process `number` accepts connections from now on.
    pub fn set_server(&self, number: u64, accept: Accept) {
        self.state().server = Some((number, accept));
    }

    /// Server process `number` crashed: its links are reset and connects are refused.
    pub fn crash_server(&self, number: u64) {
        let mut st = self.state();
        if st.server.as_ref().is_some_and(|(n, _)| *n == number) {
            st.server = None;
        }
        let links: Vec<_> = st.links.iter().filter(|l| l.server == number).cloned().collect();
        drop(st);
        for l in links {
            l.modify(|c| c.cut = true);
        }
    }

    /// A client incarnation crashed: what it already sent still travels, nothing more leaves it.
    pub fn crash_client(&self, client: usize, incarnation: u64) {
        self.state().dead.push((client, incarnation));
        for l in self.links_of(Some(client)).into_iter().filter(|l| l.incarnation == incarnation) {
            l.modify(|c| c.sealed = true);
        }
    }

    /// Holds `client`'s open links for `dur`; with `new_too`, connects wait as well (a partition).
    pub fn hold(&self, client: usize, dur: Duration, new_too: bool) {
        let until = Instant::now() + dur;
        if new_too {
            let mut st = self.state();
            let p = &mut st.partitioned_until[client];
            *p = Some(p.map_or(until, |u| u.max(until)));
        }
        let links = self.links_of(Some(client));
        for l in &links {
            l.modify(|c| c.holds += 1);
        }
        tokio::spawn(async move {
            sleep_until(until).await;
            for l in links {
                l.modify(|c| c.holds = c.holds.saturating_sub(1));
            }
        });
    }

    /// Resets `client`'s open links.
    pub fn cut(&self, client: usize) {
        for l in self.links_of(Some(client)) {
            l.modify(|c| c.cut = true);
        }
    }

    /// Loses the next segment of `client`'s open links in one direction.
    pub fn lose(&self, client: usize, to_server: bool) {
        for l in self.links_of(Some(client)) {
            l.modify(|c| if to_server { c.lose_up = true } else { c.lose_down = true });
        }
    }

    /// Segments of `client` take `lo..=hi` ms for `dur`.
    pub fn delay(&self, client: usize, dur: Duration, lo: u64, hi: u64) {
        self.state().delay[client] = Some((Instant::now() + dur, lo, hi));
    }

    /// Ends every partition, stall, delay and pending loss (the quiet phase after the faults).
    pub fn heal(&self) {
        {
            let mut st = self.state();
            st.partitioned_until.iter_mut().for_each(|p| *p = None);
            st.delay.iter_mut().for_each(|d| *d = None);
        }
        for l in self.links_of(None) {
            l.modify(|c| {
                c.holds = 0;
                c.lose_up = false;
                c.lose_down = false;
            });
        }
    }

    fn latency(&self, client: usize, rng: &mut Rng) -> Duration {
        match self.state().delay[client] {
            Some((until, lo, hi)) if Instant::now() < until => BASE_LATENCY + millis(rng, lo, hi),
            _ => BASE_LATENCY,
        }
    }

    /// The connector of one client incarnation.
    pub fn connector(&self, client: usize, incarnation: u64) -> Arc<dyn Connector> {
        Arc::new(SimConnector { net: self.clone(), client, incarnation })
    }

    async fn connect(self, client: usize, incarnation: u64) -> io::Result<Box<dyn switchboard_runtime::client::Io>> {
        // A connect waits out a partition (the client's connect timeout may give up first).
        loop {
            let until = self.state().partitioned_until[client];
            match until {
                Some(u) if Instant::now() < u => sleep_until(u).await,
                _ => break,
            }
        }
        let k = {
            let mut st = self.state();
            st.opened[client] += 1;
            st.seed ^ ((client as u64) << 48) ^ (incarnation << 32) ^ st.opened[client]
        };
        let mut rng = Rng::new(k);
        let lat = self.latency(client, &mut rng);
        tokio::time::sleep(lat).await;
        let (server, accept) = {
            let st = self.state();
            if st.dead.contains(&(client, incarnation)) {
                return Err(io::ErrorKind::ConnectionRefused.into());
            }
            match &st.server {
                Some((n, a)) => (*n, a.clone()),
                None => return Err(io::ErrorKind::ConnectionRefused.into()),
            }
        };
        let (client_end, a) = tokio::io::duplex(PIPE);
        let (b, server_end) = tokio::io::duplex(PIPE);
        let link = Arc::new(Link { client, incarnation, server, ctl: watch::Sender::new(Ctl::default()) });
        let (a_read, a_write) = tokio::io::split(a);
        let (b_read, b_write) = tokio::io::split(b);
        let down = Rng::new(rng.next_u64());
        tokio::spawn(pump(self.clone(), link.clone(), true, rng, a_read, b_write));
        tokio::spawn(pump(self.clone(), link.clone(), false, down, b_read, a_write));
        self.state().links.push(link);
        accept(server_end);
        Ok(Box::new(client_end))
    }
}

struct SimConnector {
    net: Net,
    client: usize,
    incarnation: u64,
}

impl Connector for SimConnector {
    fn connect(&self) -> ConnectFuture {
        Box::pin(self.net.clone().connect(self.client, self.incarnation))
    }
}

/// Waits until the link is cut (or its control is gone).
async fn cut(rx: &mut watch::Receiver<Ctl>) {
    while !rx.borrow_and_update().cut {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Moves one direction of a link: reads segments as they are written, delivers each at its time
/// (in order), unless held; a lost segment or a cut ends the link. `biased` selects: no random
/// branch order here.
async fn pump(net: Net, link: Arc<Link>, up: bool, mut rng: Rng, mut src: ReadHalf<DuplexStream>, mut dst: WriteHalf<DuplexStream>) {
    let mut rx = link.ctl.subscribe();
    let mut queue: VecDeque<(Instant, Vec<u8>, bool)> = VecDeque::new();
    let mut queued = 0usize;
    let mut last = Instant::now();
    let mut eof = false;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let ctl = rx.borrow_and_update().clone();
        if ctl.cut || (ctl.sealed && !up) {
            return;
        }
        if ctl.sealed {
            eof = true;
        }
        if eof && queue.is_empty() {
            let _ = dst.shutdown().await;
            return;
        }
        let due = queue.front().map(|(at, _, _)| *at).filter(|_| ctl.holds == 0);
        let can_read = !eof && queued < WINDOW;
        tokio::select! {
            biased;
            changed = rx.changed() => if changed.is_err() { return },
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                let Some((_, bytes, lost)) = queue.pop_front() else { continue };
                queued -= bytes.len();
                if lost {
                    link.modify(|c| c.cut = true);
                    return;
                }
                tokio::select! {
                    biased;
                    () = cut(&mut rx) => return,
                    written = dst.write_all(&bytes) => if written.is_err() {
                        link.modify(|c| c.cut = true);
                        return;
                    },
                }
            }
            n = src.read(&mut buf), if can_read => match n {
                Ok(0) | Err(_) => eof = true,
                Ok(n) => {
                    let flagged = { let c = link.ctl.borrow(); if up { c.lose_up } else { c.lose_down } };
                    let mut lost = false;
                    if flagged {
                        link.modify(|c| {
                            let flag = if up { &mut c.lose_up } else { &mut c.lose_down };
                            lost = std::mem::take(flag);
                        });
                    }
                    let at = last.max(Instant::now() + net.latency(link.client, &mut rng));
                    last = at;
                    queued += n;
                    queue.push_back((at, buf[..n].to_vec(), lost));
                }
            },
        }
    }
}
