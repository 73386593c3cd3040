//! Token helpers every part of the Rust target shares: identifiers, doc attributes, alias
//! resolution and room-name format strings.

use crate::schema::graph::{Followed, follow_aliases};
use crate::schema::ir::*;
use crate::schema::names;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use std::cell::Cell;

/// Tokens that `quote!` moves into its output. Interpolating a `TokenStream` (`#x`) clones it,
/// and proc-macro2 then copies every top-level token of the shared clone (each identifier an
/// allocation) and later drops the original: at 5,000 events that copying and dropping was
/// about a tenth of emission (issue 17). A `Move` is interpolated once; again, it gives nothing.
pub(crate) struct Move(Cell<Option<TokenStream>>);

/// `tokens`, to be moved into the `quote!` that interpolates them.
pub(crate) fn moved(tokens: TokenStream) -> Move {
    Move(Cell::new(Some(tokens)))
}

impl ToTokens for Move {
    fn to_tokens(&self, out: &mut TokenStream) {
        let tokens = self.0.take();
        debug_assert!(tokens.is_some(), "a `Move` is interpolated once");
        // By value: a stream no one else holds is appended without a copy.
        out.extend(tokens);
    }
}

/// `r#type` -> raw ident, anything else -> plain ident.
pub(crate) fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// `types::Name` for a payload or ack type, or `none` when the side has none.
pub(crate) fn type_path(c: &Catalogue, id: Option<TypeId>, none: TokenStream) -> TokenStream {
    match id {
        Some(id) => {
            let n = ident(&c.ty(id).name);
            quote!(types::#n)
        }
        None => none,
    }
}

/// The `events::` constant of an event.
pub(crate) fn const_ident(e: &Event) -> Ident {
    ident(&names::event_const(&e.ident))
}

/// The `rooms::` struct of a room.
pub(crate) fn room_type(r: &Room) -> Ident {
    ident(&names::room_type(&r.pascal))
}

/// A `format!` string for a room's name: the template's text with braces escaped, and for each
/// parameter what `param` gives (`{}` to fill in, or literal text).
pub(crate) fn room_format(r: &Room, mut param: impl FnMut(&RoomParam) -> &'static str) -> String {
    r.parts
        .iter()
        .map(|p| match p {
            TemplatePart::Text(t) => t.replace('{', "{{").replace('}', "}}"),
            TemplatePart::Param(i) => param(&r.params[*i]).to_string(),
        })
        .collect()
}

/// `#[doc = ...]` attributes, one per line.
pub(crate) fn docs(text: Option<&str>, extra: &[String]) -> TokenStream {
    let mut lines: Vec<String> = Vec::new();
    if let Some(t) = text {
        lines.extend(t.trim().lines().map(|l| format!(" {}", l.trim_end())));
    }
    for e in extra {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(e.lines().map(|l| format!(" {l}")));
    }
    quote! { #( #[doc = #lines] )* }
}

/// Follows aliases to the type expression they stand for, merging constraints and nullability.
/// Lowering rejected alias cycles, so a walk as long as the number of types always ends.
pub(crate) fn resolve(c: &Catalogue, t: &TypeRef) -> TypeRef {
    let alias_of = |id: TypeId| match &c.ty(id).kind {
        // A `value:` payload is a newtype in Rust, not an alias.
        TypeKind::Alias { target } if c.value_payload(id).is_none() => Some(Some(target)),
        _ => Some(None),
    };
    match follow_aliases(t, c.types.len() + 1, alias_of) {
        Followed::Done(r) | Followed::Unfinished(r) => r,
        // `c.ty` never answers "undefined".
        Followed::Undefined => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::lower::{SourceFile, lower};

    /// A chain of aliases longer than 64 still resolves to the type at its end, as lowering
    /// resolves it (so an `int64` sent as a string keeps its string encoding).
    #[test]
    fn resolves_long_alias_chains() {
        let mut text = String::from("domain: t\ntypes:\n  A0: { type: int64, encoding: string }\n");
        for i in 1..=70 {
            text.push_str(&format!("  A{i}: A{}\n", i - 1));
        }
        text.push_str("  Holder:\n    fields:\n      n: A70\n");
        let (c, _) = lower(&[SourceFile { name: "t.yaml".into(), text }]).expect("a valid catalogue");
        let holder = c.type_named("Holder").expect("declared");
        let TypeKind::Object { fields } = &c.ty(holder).kind else { panic!("an object") };
        assert_eq!(resolve(&c, &fields[0].ty).kind, RefKind::Int64(Int64Encoding::String));
    }
}
