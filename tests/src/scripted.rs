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
