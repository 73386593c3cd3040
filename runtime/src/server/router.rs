//! One dispatch entry per socket. The generated `mount` fills a [`Router`] once with the
//! catalogue's client events (a spec and a handler call each); every socket then registers a
//! single socketioxide fallback handler that routes by event name through it. A socket costs one
//! handler registration instead of one per event, and the generated code per event is one
//! table row instead of a registration function with nested closures.

use super::config::EventSpec;
use super::order::Ticket;
use super::session::Ctx;
use super::{AckSender, EventData, SocketRef};
use crate::validate::Validate;
use super::pipeline::{parse_payload, to_value};
use crate::wire::{Ack, AckError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
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

/// The running handler of one accepted event: its ack's data (serialized) or its refusal.
pub(crate) type Handled = Pin<Box<dyn Future<Output = Result<Value, AckError>> + Send>>;

/// The only part of a row that knows the event's types: deserialize and validate the payload,
/// and give back the handler's future. The rest of the pipeline (`Runtime::handle`) is not
/// generic, so a catalogue of N events compiles it once, not N times (issue 17: the first
/// build of a 1,000-event crate spent most of its time on those N copies).
pub(crate) type Call = Box<dyn Fn(Ctx, &Value) -> Result<Handled, AckError> + Send + Sync>;

/// One client event: its spec and its typed step.
pub(crate) struct Row {
    pub(crate) spec: EventSpec,
    pub(crate) call: Call,
}

/// The catalogue's client events by wire name, each run through `Runtime::handle`.
#[derive(Default)]
pub struct Router {
    routes: HashMap<&'static str, Row>,
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
        let call: Call = Box::new(move |ctx, value| {
            let payload: T = parse_payload(value)?;
            let h = h.clone();
            // The handler is called inside the future, so a panic in its synchronous part is
            // caught with the rest (the pipeline polls it under `catch_unwind`).
            Ok(Box::pin(async move { f(h, ctx, payload).await.map(|data| to_value(&Ack::Ok(data))) }))
        });
        // Lowering refuses two events with one wire name, so a second row is a generator bug.
        let earlier = self.routes.insert(spec.name, Row { spec, call });
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

    /// The row of `event`, or `None` for an event the catalogue does not declare.
    pub(crate) fn row(&self, event: &str) -> Option<&Row> {
        self.routes.get(event)
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
