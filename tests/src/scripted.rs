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
}
