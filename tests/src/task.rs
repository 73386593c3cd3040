//! Async helpers shared by the client tests.

use std::future::Future;
use std::task::{Context, Poll};
use tokio::task::JoinHandle;

/// Starts a future now and finishes it in a task. Its first poll (which hands an emit's command
/// to the client actor) happens before this returns, so emits started in a row are queued in
/// call order, which `tokio::spawn` alone does not promise.
pub fn start<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> JoinHandle<T> {
    let mut fut = Box::pin(fut);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => tokio::spawn(async move { v }),
        Poll::Pending => tokio::spawn(fut),
    }
}
