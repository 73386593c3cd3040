//! Following aliases and naming types, for the checks that run once every type is declared.

use super::Lowerer;
use crate::schema::graph::{Followed, follow_aliases};
use crate::schema::ir::*;

impl Lowerer {
    /// Follows aliases from `t` to the type expression they stand for: nullability adds up, and
    /// constraints written nearer the use win. The result is not a named alias. None when the
    /// chain ends at an undefined type or never ends (a cycle, reported by `check_cycles`); the
    /// walk is bounded by the number of types, so a cycle cannot hang it.
    pub(super) fn resolve_ref(&self, t: &TypeRef) -> Option<TypeRef> {
        let alias_of = |id: TypeId| match &self.slots.get(id)?.ty.as_ref()?.kind {
            TypeKind::Alias { target } => Some(Some(target)),
            _ => Some(None),
        };
        match follow_aliases(t, self.slots.len() + 1, alias_of) {
            Followed::Done(r) => Some(r),
            Followed::Undefined | Followed::Unfinished(_) => None,
        }
    }

    /// The object type a resolved type expression names, if it names one.
    pub(super) fn object_of_ref(&self, r: &TypeRef) -> Option<TypeId> {
        match r.kind {
            RefKind::Named(id) if matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Object { .. })) => Some(id),
            _ => None,
        }
    }

    /// The object type a payload or ack names, directly or through aliases (never null).
    pub(super) fn payload_object(&self, id: TypeId) -> Option<TypeId> {
        let r = self.resolve_ref(&TypeRef { kind: RefKind::Named(id), nullable: false, constraints: Constraints::default() })?;
        if r.nullable { None } else { self.object_of_ref(&r) }
    }

    pub(super) fn is_alias(&self, id: TypeId) -> bool {
        matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Alias { .. }))
    }

    /// A type expression in the catalogue's short form (`string`, `Sku[]`, `map<Price> | null`).
    pub(super) fn show(&self, t: &TypeRef) -> String {
        let base = match &t.kind {
            RefKind::String => "string".to_string(),
            RefKind::Integer => "integer".to_string(),
            RefKind::Int64(_) => "int64".to_string(),
            RefKind::Number => "number".to_string(),
            RefKind::Boolean => "boolean".to_string(),
            RefKind::DateTime => "datetime".to_string(),
            RefKind::Json => "json".to_string(),
            RefKind::Named(id) => match self.slots[*id].ty.as_ref() {
                Some(n) => n.name.clone(),
                None => self.type_index.iter().find(|(_, v)| **v == *id).map(|(n, _)| n.clone()).unwrap_or_default(),
            },
            RefKind::Array(inner) => {
                let s = self.show(inner);
                if inner.nullable { format!("({s})[]") } else { format!("{s}[]") }
            }
            RefKind::Map(inner) => format!("map<{}>", self.show(inner)),
        };
        if t.nullable { format!("{base} | null") } else { base }
    }

    /// The declared name of a type (empty for a slot never declared).
    pub(super) fn type_name(&self, id: TypeId) -> String {
        self.slots[id].ty.as_ref().map(|t| t.name.clone()).unwrap_or_default()
    }

    /// Can a room parameter take its value from a field of this type (a required string,
    /// integer or enum, through aliases)?
    pub(super) fn is_scalar_key(&self, t: &TypeRef) -> bool {
        let Some(r) = self.resolve_ref(t) else { return false };
        if r.nullable {
            return false;
        }
        match r.kind {
            RefKind::String | RefKind::Integer | RefKind::Int64(_) => true,
            RefKind::Named(id) => matches!(self.slots[id].ty.as_ref().map(|t| &t.kind), Some(TypeKind::Enum { .. })),
            _ => false,
        }
    }
}
