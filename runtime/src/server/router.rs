//! One dispatch entry per socket. The generated `mount` fills a [`Router`] once with the
//! catalogue's client events (a spec and a handler call each); every socket then registers a
//! single socketioxide fallback handler that routes by event name through it. A socket costs one
//! handler registration instead of one per event, and the generated code per event is one
//! table row instead of a registration function with nested closures.

use super::config::EventSpec;
use super::mount::Runtime;
use super::order::Ticket;
use super::session::Ctx;
use super::{AckSender, EventData, SocketRef};
use crate::validate::Validate;
use crate::wire::AckError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// One client event as socketioxide delivered it, before the pipeline.
pub(crate) struct Incoming {
    pub(crate) s: SocketRef,
    pub(crate) ticket: Ticket,
    pub(crate) ack: AckSender,
    pub(crate) data: EventData,
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Route = Box<dyn Fn(Arc<Runtime>, Incoming) -> BoxFuture + Send + Sync>;

/// The catalogue's client events by wire name, each run through [`Runtime::handle`].
#[derive(Default)]
pub struct Router {
    routes: HashMap<&'static str, Route>,
}

impl Router {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the client event `spec.name`: once the pipeline accepted its payload, `f` runs with
    /// the handlers, the context and the payload, and its result is the ack.
    pub fn on<H, T, A, F, Fut>(&mut self, handlers: &Arc<H>, spec: EventSpec, f: F)
    where
        H: Send + Sync + 'static,
        T: DeserializeOwned + Validate + Send + 'static,
        A: Serialize + Send + 'static,
        F: Fn(Arc<H>, Ctx, T) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = Result<A, AckError>> + Send + 'static,
    {
        let h = handlers.clone();
        let route: Route = Box::new(move |rt, m| {
            let h = h.clone();
            Box::pin(async move { rt.handle::<T, A, _, _>(m.s, m.ticket, m.ack, m.data, &spec, move |ctx, p| f(h, ctx, p)).await })
        });
        // Lowering refuses two events with one wire name, so a second row is a generator bug.
        let earlier = self.routes.insert(spec.name, route);
        debug_assert!(earlier.is_none(), "two routes for `{}`", spec.name);
    }

    /// How many client events the table routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when the catalogue has no client events.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Starts the run of `event` through its row, or `None` for an event the catalogue does not
    /// declare (the caller keeps `m` to answer it).
    pub(crate) fn run(&self, rt: &Arc<Runtime>, event: &str, m: &mut Option<Incoming>) -> Option<BoxFuture> {
        let route = self.routes.get(event)?;
        m.take().map(|m| route(rt.clone(), m))
    }
}

impl EventSpec {
    /// A client event of at most `max_bytes`, volatile, without a rate limit.
    pub const fn new(name: &'static str, max_bytes: usize) -> Self {
        Self { name, max_bytes, rate_limit: None, reliable: false }
    }

    /// At most `count` per `per_seconds` (see [`EventSpec::rate_limit`]).
    #[must_use]
    pub const fn rate(mut self, count: u32, per_seconds: u32) -> Self {
        self.rate_limit = Some((count, per_seconds));
        self
    }

    /// Reliable: may carry a message id, and resends are deduplicated.
    #[must_use]
    pub const fn reliable(mut self) -> Self {
        self.reliable = true;
        self
    }
}
