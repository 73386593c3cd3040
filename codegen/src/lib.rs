//! Switchboard: a declarative event-schema code generator for real-time apps.
#![warn(missing_docs)]

pub mod schema;
pub mod output;
