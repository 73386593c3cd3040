//! Front end: YAML -> spanned tree -> lowering (all diagnostics) -> IR.

pub mod codes;
pub mod diagnostic;
pub(crate) mod graph;
pub mod ir;
pub mod lower;
pub(crate) mod names;
pub(crate) mod raw;
pub(crate) mod yaml;
