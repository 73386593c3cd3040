//! Recursive types that no value or no emitter can handle (`type-cycle`).

use crate::schema::codes::Code;
use super::{Loc, Lowerer};
use crate::schema::graph::{cycles_through, leaf, required_leaf};
use crate::schema::ir::*;
use std::collections::BTreeSet;

impl Lowerer {
    /// Reports recursive types that no value or no emitter can handle (`type-cycle`):
    /// - aliases that stand for themselves (`ProductId: Sku`, `Sku: ProductId`, or `A: A[]`);
    /// - types that require themselves (`Node { next: Node }`): no finite value exists;
    /// - unnamed inline objects that contain themselves: TypeScript and JSON Schema write inline
    ///   types out in place, so their output would never end.
    ///
    /// Recursion through an optional, nullable or list field of a named type is fine.
    pub(super) fn check_cycles(&mut self) {
        let order: Vec<TypeId> = self.domains.iter().flat_map(|d| d.types.iter().copied()).filter(|id| self.slots[*id].ty.is_some()).collect();
        let mut reported: BTreeSet<TypeId> = BTreeSet::new();

        // 1. Aliases. An alias target names at most one type, so each alias has at most one edge.
        let alias_edges = |x: TypeId| match self.slots[x].ty.as_ref().map(|t| &t.kind) {
            Some(TypeKind::Alias { target }) => leaf(target).filter(|y| self.is_alias(*y)).map(|y| (String::new(), y)).into_iter().collect(),
            _ => Vec::new(),
        };
        for (id, cycle) in cycles_through(&order, &mut reported, |id| self.is_alias(id), alias_edges) {
            let name = self.type_name(id);
            let at = self.slots[id].defined_at.clone().unwrap_or_default();
            let path = self.cycle_text(id, &cycle);
            self.err(Code::TypeCycle, &at.file, at.pos, format!("alias `{name}` refers back to itself: {path}"))
                .label("alias cycle")
                .help("an alias must end at a real type; make one of these a `string`, an object (`fields:`) or an enum");
        }

        // 2. Types that need themselves: the least fixpoint of "a finite value exists".
        let n = self.slots.len();
        let mut inhabited: Vec<bool> = (0..n).map(|i| self.slots[i].ty.is_none()).collect();
        loop {
            let mut changed = false;
            for i in 0..n {
                if inhabited[i] {
                    continue;
                }
                let now = match &self.slots[i].ty.as_ref().expect("undefined slots start inhabited").kind {
                    TypeKind::Enum { .. } => true,
                    TypeKind::Alias { target } => required_leaf(target).is_none_or(|x| inhabited[x]),
                    TypeKind::Object { fields } => fields.iter().all(|f| f.optional || required_leaf(&f.ty).is_none_or(|x| inhabited[x])),
                };
                if now {
                    inhabited[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let required_edges = |x: TypeId| -> Vec<(String, TypeId)> {
            match self.slots[x].ty.as_ref().map(|t| &t.kind) {
                Some(TypeKind::Object { fields }) => fields
                    .iter()
                    .filter(|f| !f.optional)
                    .filter_map(|f| required_leaf(&f.ty).filter(|y| !inhabited[*y]).map(|y| (f.wire_name.clone(), y)))
                    .collect(),
                Some(TypeKind::Alias { target }) => required_leaf(target).filter(|y| !inhabited[*y]).map(|y| (String::new(), y)).into_iter().collect(),
                _ => Vec::new(),
            }
        };
        for (id, cycle) in cycles_through(&order, &mut reported, |id| !inhabited[id], required_edges) {
            let name = self.type_name(id);
            let path = self.cycle_text(id, &cycle);
            let field = cycle[0].1.clone();
            let at = self.field_or_type_at(id, &field);
            let next = self.type_name(cycle.get(1).map_or(id, |(t, _)| *t));
            let help = if field.is_empty() {
                format!("make a field on this path optional (`name?:`), nullable (`{next} | null`) or a list (`{next}[]`)")
            } else {
                format!("make a field on this path optional (`{field}?:`), nullable (`{next} | null`) or a list (`{next}[]`)")
            };
            self.err(Code::TypeCycle, &at.file, at.pos, format!("`{name}` requires a value of its own type, so no finite value exists: {path}"))
                .label("required here")
                .help(help);
        }

        // 3. Unnamed inline objects that contain themselves (through any field).
        let inline = |x: TypeId| self.slots[x].ty.as_ref().is_some_and(|t| !t.explicit_name);
        let inline_edges = |x: TypeId| -> Vec<(String, TypeId)> {
            match self.slots[x].ty.as_ref().map(|t| &t.kind) {
                Some(TypeKind::Object { fields }) => {
                    fields.iter().filter_map(|f| leaf(&f.ty).filter(|y| inline(*y)).map(|y| (f.wire_name.clone(), y))).collect()
                }
                _ => Vec::new(),
            }
        };
        for (id, cycle) in cycles_through(&order, &mut reported, inline, inline_edges) {
            let name = self.type_name(id);
            let path = self.cycle_text(id, &cycle);
            let at = self.slots[id].defined_at.clone().unwrap_or_default();
            self.err(Code::TypeCycle, &at.file, at.pos, format!("the unnamed inline object `{name}` contains itself: {path}"))
                .label("inline object")
                .help(format!("inline objects are written out in place in TypeScript and JSON Schema; give this one a name (`name: {name}`) so it is declared once and referred to"));
        }
    }

    /// `` `A.next` -> `B` -> `A` ``: the steps of a cycle from `start` back to it.
    pub(super) fn cycle_text(&self, start: TypeId, cycle: &[(TypeId, String)]) -> String {
        let mut parts: Vec<String> = cycle
            .iter()
            .map(|(t, field)| if field.is_empty() { format!("`{}`", self.type_name(*t)) } else { format!("`{}.{field}`", self.type_name(*t)) })
            .collect();
        parts.push(format!("`{}`", self.type_name(start)));
        parts.join(" -> ")
    }

    /// Where field `field` of type `id` is written, or the type when the field is unknown.
    pub(super) fn field_or_type_at(&self, id: TypeId, field: &str) -> Loc {
        let name = self.type_name(id);
        self.field_at
            .get(&(name, field.to_string()))
            .cloned()
            .or_else(|| self.slots[id].defined_at.clone())
            .unwrap_or_default()
    }
}
