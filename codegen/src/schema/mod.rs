//! Front end: YAML -> spanned tree -> lowering (all diagnostics) -> IR.

pub mod diagnostic;
pub mod ir;
pub mod lower;
pub mod names;
pub mod raw;
pub mod yaml;
