//! Closes a socket when its credential expires, without waiting for its next event: an expired
//! token must not keep receiving room broadcasts (order updates, wallet events) for as long as
//! the transport lives. The pipeline refuses events after expiry too (`pipeline.rs`, step 4).
//!
//! One task per mounted namespace keeps every expiring socket in order of expiry, so a socket
//! costs one set entry, not a task or a timer; an entry is removed when its socket disconnects,
//! so the set holds only live sockets. The task starts with the first expiring socket.

use super::metrics::Metrics;
use super::SocketIo;
use socketioxide::socket::Sid;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

enum Change {
    Add(u64, Sid),
    Remove(u64, Sid),
}

/// The expiry watch of one namespace.
pub(crate) struct Expiries {
    io: SocketIo,
    namespace: &'static str,
    metrics: Arc<Metrics>,
    tx: OnceLock<mpsc::UnboundedSender<Change>>,
}

impl Expiries {
    pub(crate) fn new(io: SocketIo, namespace: &'static str, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self { io, namespace, metrics, tx: OnceLock::new() })
    }

    /// Watches socket `sid`, whose credential expires at `exp` (Unix seconds, leeway included):
    /// it is disconnected once `exp` has passed, unless [`Expiries::forget`] came first (the
    /// caller's disconnect handler calls it: socketioxide keeps one disconnect handler per socket).
    pub(crate) fn watch(self: &Arc<Self>, sid: Sid, exp: u64) {
        // Unbounded: one message per connect and per disconnect, each handled at once by the task.
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(self.clone().run(rx));
            tx
        });
        let _ = tx.send(Change::Add(exp, sid));
    }

    /// Stops watching `sid` (it disconnected).
    pub(crate) fn forget(&self, sid: Sid, exp: u64) {
        if let Some(tx) = self.tx.get() {
            let _ = tx.send(Change::Remove(exp, sid));
        }
    }

    async fn run(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Change>) {
        let mut due: BTreeSet<(u64, Sid)> = BTreeSet::new();
        loop {
            let wait = due.first().map(|&(exp, _)| Duration::from_secs((exp + 1).saturating_sub(super::auth::now_secs())));
            let change = match wait {
                Some(wait) => tokio::select! {
                    c = rx.recv() => c,
                    () = tokio::time::sleep(wait) => {
                        self.close_expired(&mut due);
                        continue;
                    }
                },
                None => rx.recv().await,
            };
            match change {
                Some(Change::Add(exp, sid)) => {
                    due.insert((exp, sid));
                }
                Some(Change::Remove(exp, sid)) => {
                    due.remove(&(exp, sid));
                }
                // Every sender is gone: the namespace's middleware was dropped.
                None => return,
            }
        }
    }

    /// Disconnects every watched socket whose expiry has passed (`Principal::expired_at`).
    fn close_expired(&self, due: &mut BTreeSet<(u64, Sid)>) {
        let now = super::auth::now_secs();
        while let Some(&(exp, sid)) = due.first() {
            if exp >= now {
                break;
            }
            due.remove(&(exp, sid));
            let Some(s) = self.io.of(self.namespace).and_then(|ns| ns.get_socket(sid)) else { continue };
            Metrics::inc(&self.metrics.expired_closed);
            tracing::info!(sid = %sid, "credential expired: socket closed");
            let _ = s.disconnect();
        }
    }
}
