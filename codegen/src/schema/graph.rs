//! Walks over the type graph shared by lowering's checks: the type a reference names, and the
//! shortest cycle through a type.

use super::ir::*;
use std::collections::{BTreeMap, BTreeSet};

/// The type a type expression names, through lists and maps (`Sku[]` -> `Sku`).
pub(crate) fn leaf(t: &TypeRef) -> Option<TypeId> {
    let mut cur = t;
    loop {
        match &cur.kind {
            RefKind::Named(id) => return Some(*id),
            RefKind::Array(inner) | RefKind::Map(inner) => cur = inner,
            _ => return None,
        }
    }
}

/// The type a value of `t` must contain, if any: not when `t` may be null, an empty list or an
/// empty map (`Node`, and `Node[]` with `min_items: 1`, must contain a `Node`).
pub(crate) fn required_leaf(t: &TypeRef) -> Option<TypeId> {
    let mut cur = t;
    loop {
        if cur.nullable {
            return None;
        }
        match &cur.kind {
            RefKind::Named(id) => return Some(*id),
            RefKind::Array(inner) if cur.constraints.min_items.is_some_and(|m| m > 0) => cur = inner,
            _ => return None,
        }
    }
}

/// The shortest way from `start` back to itself along `edges` (each step: a type and the label
/// of the edge taken from it), if `start` is on a cycle. Breadth-first, so no recursion.
pub(crate) fn shortest_cycle(start: TypeId, edges: impl Fn(TypeId) -> Vec<(String, TypeId)>) -> Option<Vec<(TypeId, String)>> {
    let mut prev: BTreeMap<TypeId, (TypeId, String)> = BTreeMap::new();
    let mut seen: BTreeSet<TypeId> = BTreeSet::from([start]);
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(cur) = queue.pop_front() {
        for (label, next) in edges(cur) {
            if next == start {
                let mut steps = vec![(cur, label)];
                let mut at = cur;
                while at != start {
                    let (p, l) = prev.get(&at).cloned()?;
                    steps.push((p, l));
                    at = p;
                }
                steps.reverse();
                return Some(steps);
            }
            if seen.insert(next) {
                prev.insert(next, (cur, label));
                queue.push_back(next);
            }
        }
    }
    None
}
