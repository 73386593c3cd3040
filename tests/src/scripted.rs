//! Plain socketioxide servers scripted by a test, to try the Rust client's half alone.

use switchboard_runtime::__private::socketioxide::SocketIo;
use switchboard_runtime::__private::socketioxide::extract::SocketRef;
use switchboard_runtime::__private::socketioxide::handler::ConnectHandler;
use tokio::task::JoinHandle;

/// Serves `/` on 127.0.0.1:0 with the handlers `register` puts on each socket; returns the URL
/// and the server task.
///
/// The handlers are registered in a connect middleware, as the generated server does: socketioxide
/// sends the CONNECT answer and then runs the connect handler on a task of its own, so a client
/// that emits as soon as it is connected can beat handlers registered there, and that event is
/// dropped unanswered (seen on a loaded CI machine: an ack that never came).
pub async fn serve(register: impl Fn(SocketRef) + Clone + Send + Sync + 'static) -> (String, JoinHandle<std::io::Result<()>>) {
    let (layer, io) = SocketIo::new_layer();
    let middleware = move |s: SocketRef| {
        register(s);
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    };
    io.ns("/", (|| std::future::ready(())).with(middleware));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    (format!("http://{addr}"), tokio::spawn(async move { axum::serve(listener, axum::Router::new().layer(layer)).await }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;
    use switchboard_runtime::__private::socketioxide::extract::AckSender;
    use switchboard_runtime::client::{Client, ClientConfig, ConnectionState};

    /// Registration that takes a while (here 200 ms) still happens before the client can emit:
    /// with the handlers registered in the connect handler instead, this first emit is lost
    /// (tried: the ack never came).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_event_emitted_the_moment_the_client_is_connected_is_answered() {
        let (url, server) = serve(|s: SocketRef| {
            // Off the worker (its queued tasks go on), like a thread the OS preempted.
            tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
            s.on("first", |ack: AckSender| {
                let _ = ack.send(&json!({ "ok": true, "data": "answered" }));
                async {}
            });
        })
        .await;
        let mut config = ClientConfig::new(url);
        config.ack_timeout = Duration::from_secs(5);
        let c = Client::connect(config, "token-not-checked-by-this-server");
        tokio::time::timeout(Duration::from_secs(10), c.state().wait_for(|s| *s == ConnectionState::Connected)).await.expect("connected in time").expect("state");
        assert_eq!(c.emit_volatile("first", None).await, Ok(json!("answered")));
        server.abort();
    }

    /// An ack that arrived before the client judged its deadline answers the call, even when
    /// the deadline has passed by then too (a thread the OS preempted sees both at once).
    /// Without reading ready frames first, `select!`'s random order made half of these a
    /// `Timeout`; ten rounds make a pass by chance 1 in 1,024.
    #[tokio::test(flavor = "current_thread")]
    async fn an_ack_that_arrived_with_its_deadline_answers_the_call() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Instant;
        let received = Arc::new(AtomicUsize::new(0));
        let acked = Arc::new(AtomicUsize::new(0));
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        // The server on a thread and runtime of its own: it keeps going while the client's
        // thread is blocked below.
        let (r, a) = (received.clone(), acked.clone());
        let server = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                let (url, server) = serve(move |s: SocketRef| {
                    let (r, a) = (r.clone(), a.clone());
                    s.on("late", move |ack: AckSender| {
                        r.fetch_add(1, Ordering::SeqCst);
                        let a = a.clone();
                        async move {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            let _ = ack.send(&json!({ "ok": true, "data": "answered" }));
                            a.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                })
                .await;
                url_tx.send(url).expect("the test waits for the url");
                let _ = stop_rx.await;
                server.abort();
            });
        });
        let url = tokio::task::spawn_blocking(move || url_rx.recv().expect("a url")).await.expect("the server thread");
        let mut config = ClientConfig::new(url);
        let ack_timeout = Duration::from_millis(200);
        config.ack_timeout = ack_timeout;
        let c = Client::connect(config, "token-not-checked-by-this-server");
        tokio::time::timeout(Duration::from_secs(10), c.state().wait_for(|s| *s == ConnectionState::Connected)).await.expect("connected in time").expect("state");
        for round in 1..=10 {
            let sent = Instant::now();
            let call = {
                let c = c.clone();
                tokio::spawn(async move { c.emit_volatile("late", None).await })
            };
            // Bounded waits throughout: 5 s each.
            while received.load(Ordering::SeqCst) < round && sent.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            // Block the client's only thread until the ack was sent and the deadline passed.
            while (acked.load(Ordering::SeqCst) < round || sent.elapsed() < ack_timeout + Duration::from_millis(50)) && sent.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(acked.load(Ordering::SeqCst), round, "round {round}: the server acked in time");
            assert_eq!(call.await.expect("the call's task"), Ok(json!("answered")), "round {round}");
        }
        let _ = stop_tx.send(());
        server.join().expect("the server thread");
    }
}
