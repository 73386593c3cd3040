//! Walks over the type graph, shared by lowering's checks and the emitters: following aliases,
//! the type a reference names, and the shortest cycle through a type.

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
fn shortest_cycle(start: TypeId, edges: impl Fn(TypeId) -> Vec<(String, TypeId)>) -> Option<Vec<(TypeId, String)>> {
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

/// For each type of `order` that `start` accepts and no earlier cycle went through, the
/// shortest cycle back to it along `edges`, if any; every type on a found cycle is added to
/// `reported`, so each cycle is found once.
pub(crate) fn cycles_through(
    order: &[TypeId],
    reported: &mut BTreeSet<TypeId>,
    start: impl Fn(TypeId) -> bool,
    edges: impl Fn(TypeId) -> Vec<(String, TypeId)>,
) -> Vec<(TypeId, Vec<(TypeId, String)>)> {
    let mut found = Vec::new();
    for &id in order {
        if reported.contains(&id) || !start(id) {
            continue;
        }
        if let Some(cycle) = shortest_cycle(id, &edges) {
            reported.extend(cycle.iter().map(|(t, _)| *t));
            found.push((id, cycle));
        }
    }
    found
}

/// Constraints of a use of an alias on top of the alias's own: the nearer ones win.
pub(crate) fn merge_constraints(target: &Constraints, outer: &Constraints) -> Constraints {
    Constraints {
        min_length: outer.min_length.or(target.min_length),
        max_length: outer.max_length.or(target.max_length),
        pattern: outer.pattern.clone().or_else(|| target.pattern.clone()),
        minimum: outer.minimum.or(target.minimum),
        maximum: outer.maximum.or(target.maximum),
        min_items: outer.min_items.or(target.min_items),
        max_items: outer.max_items.or(target.max_items),
        uri_schemes: outer.uri_schemes.clone().or_else(|| target.uri_schemes.clone()),
    }
}

/// How a walk along aliases ended.
pub(crate) enum Followed {
    /// At a type expression that is not an alias.
    Done(TypeRef),
    /// At a type that is not defined.
    Undefined,
    /// Still at an alias after the last step allowed (a cycle, or a chain that long).
    Unfinished(TypeRef),
}

/// Follows aliases from `t`, at most `max_steps` of them: nullability adds up, and constraints
/// written nearer the use win. `alias_of` says what a type is: undefined (`None`), not an alias
/// (`Some(None)`), or an alias of a target.
pub(crate) fn follow_aliases<'a>(t: &TypeRef, max_steps: usize, alias_of: impl Fn(TypeId) -> Option<Option<&'a TypeRef>>) -> Followed {
    let mut cur = t.clone();
    for _ in 0..max_steps {
        let RefKind::Named(id) = cur.kind else { return Followed::Done(cur) };
        match alias_of(id) {
            None => return Followed::Undefined,
            Some(None) => return Followed::Done(cur),
            Some(Some(target)) => {
                cur = TypeRef {
                    kind: target.kind.clone(),
                    nullable: target.nullable || cur.nullable,
                    constraints: merge_constraints(&target.constraints, &cur.constraints),
                };
            }
        }
    }
    Followed::Unfinished(cur)
}
