//! A handler that panics or runs past `handler_timeout` is answered with `handler_error`,
//! counted, and leaves the socket usable: the next event on it is handled.
//! Served from the Rust generated for `codegen/tests/fixtures/valid/minimal`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use switchboard_runtime::client::ConnectionState;
use switchboard_runtime::server::JwtHs256;
use switchboard_runtime::wire::ErrorCode;
use switchboard_tests::fixtures::minimal::{client, server, types};

const SECRET: &[u8] = b"handler-failures-test-secret";
const OK: u8 = 0;
const PANIC: u8 = 1;
const HANG: u8 = 2;

/// Answers `ping` as `mode` says.
struct Flaky {
    mode: AtomicU8,
}

impl server::AppHandlers for Flaky {
    async fn ping(&self, _ctx: server::Ctx, _payload: switchboard_runtime::server::NoPayload) -> Result<types::PingAck, server::AckError> {
        match self.mode.load(Ordering::SeqCst) {
            PANIC => panic!("a bug in the application's handler"),
            // Far past the 2 s timeout below; the test never waits for it.
            HANG => tokio::time::sleep(Duration::from_secs(3600)).await,
            _ => {}
        }
        Ok(types::PingAck { pong: "2026-11-26T12:00:00.000Z".parse().expect("a valid date-time") })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_and_hanging_handlers_are_answered_and_the_socket_goes_on() {
    let config = server::ServerConfig { handler_timeout: Duration::from_secs(2), ..Default::default() };
    let rt = Arc::new(server::Runtime::with_config(JwtHs256::new(SECRET), config.clone()));
    let (layer, io) = config.builder().build_layer();
    let handlers = Arc::new(Flaky { mode: AtomicU8::new(OK) });
    server::mount(&io, rt.clone(), handlers.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = tokio::spawn(async move { axum::serve(listener, axum::Router::new().layer(layer)).await });

    let c = client::Client::connect(client::Client::config(&format!("http://{addr}")), JwtHs256::mint(SECRET, "u1", None, 600));
    let mut state = c.raw().state();
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    let ping = || tokio::time::timeout(Duration::from_secs(10), c.ping());

    assert_eq!(ping().await.expect("answered").expect("ok").pong.to_string(), "2026-11-26T12:00:00.000Z");

    handlers.mode.store(PANIC, Ordering::SeqCst);
    let e = ping().await.expect("a panicking handler is answered").expect_err("refused");
    let switchboard_runtime::client::ClientError::Refused(e) = e else { panic!("{e:?}") };
    assert_eq!((e.code, e.message.as_str()), (ErrorCode::HandlerError, "the handler failed"));

    handlers.mode.store(HANG, Ordering::SeqCst);
    let e = ping().await.expect("a hanging handler is answered").expect_err("refused");
    let switchboard_runtime::client::ClientError::Refused(e) = e else { panic!("{e:?}") };
    assert_eq!((e.code, e.message.as_str()), (ErrorCode::HandlerError, "the handler timed out"));

    // The socket's event order is not stuck behind the failed handlers.
    handlers.mode.store(OK, Ordering::SeqCst);
    assert!(ping().await.expect("answered").is_ok());
    assert_eq!(c.raw().state().borrow().clone(), ConnectionState::Connected, "one connection throughout");

    let m = rt.metrics().snapshot();
    assert_eq!((m.handler_errors, m.events_ok, m.connections), (2, 2, 1), "{m:?}");
    serve.abort();
}
