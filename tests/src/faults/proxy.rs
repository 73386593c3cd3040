//! A TCP proxy on 127.0.0.1:0 in front of a server, with fault controls: cut every connection,
//! refuse new ones, black-hole (hold bytes, keep sockets open), add latency.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Ctl {
    /// False: black hole (bytes are held, sockets stay open).
    forward: bool,
    /// True: new connections are closed at once (the server is "down").
    refuse: bool,
    /// Latency added to every chunk, each direction.
    delay: Duration,
    /// True: bytes from the server are held (requests pass, answers do not).
    hold_downstream: bool,
    /// Where new connections go.
    upstream: SocketAddr,
}

/// A TCP proxy on 127.0.0.1:0 in front of `upstream`, with fault controls.
pub struct Proxy {
    pub addr: SocketAddr,
    ctl: Arc<watch::Sender<Ctl>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let ctl = Arc::new(watch::channel(Ctl { forward: true, refuse: false, delay: Duration::ZERO, hold_downstream: false, upstream }).0);
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn({
            let ctl = ctl.clone();
            let conns = conns.clone();
            async move {
                loop {
                    let client = match listener.accept().await {
                        Ok((s, _)) => s,
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    if ctl.borrow().refuse {
                        drop(client);
                        continue;
                    }
                    let to = ctl.borrow().upstream;
                    let h = tokio::spawn(relay(client, to, ctl.subscribe()));
                    let mut c = conns.lock().unwrap();
                    c.retain(|h| !h.is_finished());
                    c.push(h);
                }
            }
        });
        Proxy { addr, ctl, conns, accept }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every open connection, both directions, now (returns once they are closed).
    pub async fn cut(&self) {
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *self.conns.lock().unwrap());
        for h in &handles {
            h.abort();
        }
        for h in handles {
            let _ = h.await;
        }
    }

    /// While down, new connections are closed as soon as they are accepted.
    pub fn set_down(&self, down: bool) {
        self.ctl.send_modify(|c| c.refuse = down);
    }

    /// Stops forwarding (bytes are held, sockets stay open), new connections included.
    pub fn black_hole(&self) {
        self.ctl.send_modify(|c| c.forward = false);
    }

    /// Forwards again (held bytes first), leaving refusal of new connections as it is.
    pub fn forward(&self) {
        self.ctl.send_modify(|c| c.forward = true);
    }

    /// Forwards again (held bytes first) and accepts connections again.
    pub fn resume(&self) {
        self.ctl.send_modify(|c| {
            c.forward = true;
            c.refuse = false;
        });
    }

    /// New connections go to `upstream` from now on (open ones stay where they are).
    pub fn retarget(&self, upstream: SocketAddr) {
        self.ctl.send_modify(|c| c.upstream = upstream);
    }

    /// Holds (true) or forwards again (false) what the server sends; the client's bytes pass. A
    /// cut while held loses an answer whose request took effect.
    pub fn hold_downstream(&self, hold: bool) {
        self.ctl.send_modify(|c| c.hold_downstream = hold);
    }

    /// Latency added to every chunk, in each direction.
    pub fn set_delay(&self, d: Duration) {
        self.ctl.send_modify(|c| c.delay = d);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, ctl: watch::Receiver<Ctl>) {
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    // When one direction ends, the connection ends (both sockets are dropped).
    tokio::select! {
        _ = pump(cr, sw, ctl.clone(), false) => {}
        _ = pump(sr, cw, ctl, true) => {}
    }
}

/// Reads chunks, holds each for the current delay (and while black-holed, or held when
/// `downstream`), writes them in order; ends after EOF once everything read was written, or on
/// any error.
async fn pump(mut r: OwnedReadHalf, mut w: OwnedWriteHalf, ctl: watch::Receiver<Ctl>, downstream: bool) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let mut ctl_r = ctl.clone();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match r.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let delay = ctl_r.borrow_and_update().delay;
            if tx.send((Instant::now() + delay, buf[..n].to_vec())).is_err() {
                return;
            }
        }
    };
    let mut ctl_w = ctl;
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if ctl_w.wait_for(|c| c.forward && !(downstream && c.hold_downstream)).await.is_err() {
                return;
            }
            if w.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = w.shutdown().await;
    };
    tokio::join!(reader, writer);
}
