//! Rust types: one struct or enum per named type, the runtime's rows (`__fields!`, `__enum!`,
//! `__checks!`) naming the exact wire names, `Option` for optional, distinct handling of
//! nullable, `validate()` for the constraints.
//! Always quote! -> syn::File -> prettyplease, never string concatenation.
//!
//! Prelude names are written bare only when lowering reserves them (`String`, `Option`, `Some`,
//! `None`, `Vec`, `Box`, `Result`, `Ok`, `Default`: `names::RUST_RESERVED_TYPES`), so no
//! catalogue type can shadow them; other std names keep their full paths (`::std::convert::Into`).

use super::tokens::{Move, docs, ident, moved, resolve};
use crate::schema::ir::*;
use crate::schema::names;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The Rust type of a type expression, without the outer `Option` for nullability.
fn base_type(c: &Catalogue, t: &TypeRef, owner: Option<TypeId>) -> TokenStream {
    match &t.kind {
        RefKind::String => quote!(String),
        // Checked when deserialized, by the validator's own rule.
        RefKind::DateTime => quote!(::switchboard_runtime::Timestamp),
        RefKind::Integer | RefKind::Int64(_) => quote!(i64),
        RefKind::Number => quote!(f64),
        RefKind::Boolean => quote!(bool),
        RefKind::Json => quote!(::switchboard_runtime::__private::serde_json::Value),
        RefKind::Named(id) => {
            let name = ident(&c.ty(*id).name);
            // A type that (directly or through others) contains its owner needs indirection to
            // have a size; lists and maps already are.
            if owner.is_some_and(|o| reaches(c, *id, o)) { quote!(Box<#name>) } else { quote!(#name) }
        }
        RefKind::Array(inner) => {
            let i = rust_type(c, inner, None);
            quote!(Vec<#i>)
        }
        RefKind::Map(inner) => {
            let i = rust_type(c, inner, None);
            quote!(::std::collections::BTreeMap<String, #i>)
        }
    }
}

/// Does type `from` contain `to` by value (through fields, options and aliases, not lists/maps)?
fn reaches(c: &Catalogue, from: TypeId, to: TypeId) -> bool {
    let mut seen = vec![false; c.types.len()];
    let mut stack = vec![from];
    while let Some(id) = stack.pop() {
        if id == to {
            return true;
        }
        if std::mem::replace(&mut seen[id], true) {
            continue;
        }
        let mut push_ref = |t: &TypeRef| {
            if let RefKind::Named(n) = t.kind {
                stack.push(n);
            }
        };
        match &c.ty(id).kind {
            TypeKind::Object { fields } => fields.iter().for_each(|f| push_ref(&f.ty)),
            TypeKind::Alias { target } => push_ref(target),
            TypeKind::Enum { .. } => {}
        }
    }
    false
}

/// Are the integers of this type (through aliases, lists and maps) `int64` sent as strings?
/// Bounded like `resolve`: an alias may name itself through a list.
fn int64_string_leaf(c: &Catalogue, t: &TypeRef) -> bool {
    let mut cur = resolve(c, t);
    for _ in 0..64 {
        match cur.kind {
            RefKind::Int64(Int64Encoding::String) => return true,
            RefKind::Array(inner) | RefKind::Map(inner) => cur = resolve(c, &inner),
            _ => return false,
        }
    }
    false
}

/// The Rust type of a type expression, `Option<..>` when nullable.
pub(crate) fn rust_type(c: &Catalogue, t: &TypeRef, owner: Option<TypeId>) -> TokenStream {
    let b = base_type(c, t, owner);
    if t.nullable { quote!(Option<#b>) } else { b }
}

fn has_float(c: &Catalogue, id: TypeId, depth: usize) -> bool {
    if depth > 16 {
        return true;
    }
    fn in_ref(c: &Catalogue, t: &TypeRef, depth: usize) -> bool {
        match &t.kind {
            RefKind::Number | RefKind::Json => true,
            RefKind::Named(id) => has_float(c, *id, depth + 1),
            RefKind::Array(i) | RefKind::Map(i) => in_ref(c, i, depth),
            _ => false,
        }
    }
    match &c.ty(id).kind {
        TypeKind::Object { fields } => fields.iter().any(|f| in_ref(c, &f.ty, depth)),
        TypeKind::Enum { .. } => false,
        TypeKind::Alias { target } => in_ref(c, target, depth),
    }
}

/// Every named type, in declaration order by domain.
/// Every type of the `types` module, in catalogue order.
pub(crate) fn type_ids(c: &Catalogue) -> Vec<TypeId> {
    c.domains.iter().flat_map(|d| d.types.iter().copied()).collect()
}

/// The `types` module's imports (once, at its top; grouped types see them through `super::*`).
pub(crate) fn imports() -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use ::switchboard_runtime::validate::{self as __v, Validate};
        // Short names keep each derive on one line; `__` keeps them apart from the catalogue's.
        #[allow(unused_imports)]
        use ::switchboard_runtime::__private::serde::{Deserialize as __De, Serialize as __Ser};
    }
}

/// The `types` module's items for `ids`.
pub(crate) fn emit_types(c: &Catalogue, ids: &[TypeId]) -> TokenStream {
    let items = ids.iter().map(|&id| moved(emit_type(c, id)));
    quote! {
        #( #items )*
    }
}

fn deprecated_attr(d: Option<&Deprecation>) -> TokenStream {
    match d {
        Some(d) => {
            let note = d.sentence();
            match &d.since {
                Some(since) => quote!(#[deprecated(since = #since, note = #note)]),
                None => quote!(#[deprecated(note = #note)]),
            }
        }
        None => quote!(),
    }
}

fn emit_type(c: &Catalogue, id: TypeId) -> TokenStream {
    let t = c.ty(id);
    let name = ident(&t.name);
    let doc = docs(t.description.as_deref(), &crate::emit::prose::value_note(c, id));
    let dep = deprecated_attr(t.deprecated.as_ref());
    let serde_crate = quote!(#[serde(crate = "::switchboard_runtime::__private::serde")]);
    match &t.kind {
        TypeKind::Enum { values } => {
            let variants: Vec<Ident> = values.iter().map(|v| ident(&v.rust_ident)).collect();
            let wires: Vec<&str> = values.iter().map(|v| v.wire_name.as_str()).collect();
            // The `__enum!` row writes `ALL`, `as_str`, `Display`, serde and `Validate`.
            quote! {
                #doc
                #dep
                #[derive(Debug, Clone, Copy, PartialEq, Hash, PartialOrd, Ord)]
                pub enum #name {
                    #( #variants, )*
                }

                ::switchboard_runtime::__enum!(#name { #( #variants = #wires ),* });
            }
        }
        TypeKind::Alias { target } if c.value_payload(id).is_some() => value_payload(c, id, target, doc, dep, serde_crate),
        TypeKind::Alias { target } => {
            let ty = rust_type(c, target, Some(id));
            quote! {
                #doc
                #dep
                pub type #name = #ty;
            }
        }
        TypeKind::Object { fields } => {
            // `Eq` by hand, not derived: the derive adds a body per struct (a bound check per
            // field) that rustc checks like any function, and `has_float` already decided it.
            let eq = (!has_float(c, id, 0)).then(|| quote!(impl ::core::cmp::Eq for #name {}));
            let mut field_tokens = Vec::new();
            let mut checks = Vec::new();
            let mut defaults = Vec::new();
            let mut build = Vec::new();
            for f in fields {
                let fname = ident(&f.rust_ident);
                let wire = &f.wire_name;
                let resolved = resolve(c, &f.ty);
                // `int64` with `encoding: string` is a decimal string on the wire, also in lists and maps.
                let int64_string = int64_string_leaf(c, &f.ty);
                let base = rust_type(c, &f.ty, Some(id));
                // The `__fields!` row parses and writes the field by its wire name through its
                // codec (`None` is `Plain`); an optional field that is `None` is not written.
                let (ty, init, codec) = if let (true, Some(default)) = (f.optional, &f.default) {
                    let fn_name = names::default_fn(&t.name, &f.rust_ident);
                    let fn_ident = format_ident!("{}", fn_name);
                    let json = serde_json::to_string(default).unwrap_or_default();
                    defaults.push(moved(quote! {
                        #[doc(hidden)]
                        fn #fn_ident() -> #base {
                            ::switchboard_runtime::__private::serde_json::from_str(#json).expect("switchboard checked this default against its type")
                        }
                    }));
                    (base.clone(), Init::Default(fn_ident), int64_string.then_some("I64s"))
                } else if f.optional && resolved.nullable {
                    (quote!(Option<#base>), Init::Unset, Some(if int64_string { "I64sNullable" } else { "Nullable" }))
                } else if f.optional {
                    (quote!(Option<#base>), Init::Unset, int64_string.then_some("I64s"))
                } else {
                    (base.clone(), Init::Required, int64_string.then_some("I64s"))
                };
                build.push(Build { field: f, init, ty: base, codec });
                let mut extra = Vec::new();
                if !f.ty.constraints.is_empty() {
                    extra.push(format!("Constraints: {}.", f.ty.constraints.summary()));
                }
                let fdoc = docs(f.description.as_deref(), &extra);
                let fdep = deprecated_attr(f.deprecated.as_ref());
                field_tokens.push(moved(quote! {
                    #fdoc
                    #fdep
                    pub #fname: #ty,
                }));
                // Validation: one entry of the type's `__checks!` row per constrained field.
                if let Some(check) = field_check(c, &resolved, f.optional && f.default.is_none()) {
                    checks.push(moved(quote!(#fname #wire: #check)));
                }
            }
            let construct = moved(constructors(&name, &build));
            let validate = moved(if checks.is_empty() {
                quote!(::switchboard_runtime::__no_checks!(#name);)
            } else {
                quote!(::switchboard_runtime::__checks!(#name { #( #checks ),* });)
            });
            let doc = moved(doc);
            quote! {
                #doc
                #dep
                #[derive(Debug, Clone, PartialEq)]
                pub struct #name {
                    #( #field_tokens )*
                }

                #eq

                #( #defaults )*

                #construct

                #validate
            }
        }
    }
}

/// A `value:` payload: a newtype (transparent on the wire) so the server validates its
/// constraints like any payload's.
fn value_payload(c: &Catalogue, id: TypeId, target: &TypeRef, doc: TokenStream, dep: TokenStream, serde_crate: TokenStream) -> TokenStream {
    let name = ident(&c.ty(id).name);
    let ty = rust_type(c, target, Some(id));
    let resolved = resolve(c, target);
    let eq = if matches!(resolved.kind, RefKind::Number) { quote!() } else { quote!(Eq,) };
    let with = int64_string_leaf(c, target).then(|| quote!(#[serde(with = "::switchboard_runtime::wire::int64_string")]));
    let validate = match check_ref(c, &resolved) {
        Some(check) => quote!(::switchboard_runtime::__checks!(#name: #check);),
        None => quote!(::switchboard_runtime::__no_checks!(#name);),
    };
    quote! {
        #doc
        #dep
        #[derive(Debug, Clone, PartialEq, #eq __Ser, __De)]
        #serde_crate
        #[serde(transparent)]
        pub struct #name(#with pub #ty);

        impl ::std::convert::From<#ty> for #name {
            fn from(v: #ty) -> Self {
                Self(v)
            }
        }

        #validate
    }
}

/// How `new` sets a field.
enum Init {
    /// A parameter of `new`.
    Required,
    /// The catalogue's default, through the generated default function.
    Default(Ident),
    /// `None`; a `with_` setter sets it.
    Unset,
}

/// One field as the construction path sees it: `ty` is the value a caller passes (without the
/// optional field's outer `Option`).
struct Build<'a> {
    field: &'a Field,
    init: Init,
    ty: TokenStream,
    /// The runtime codec (`__de::<codec>`) that reads and writes the whole field, `None` for `Plain`.
    codec: Option<&'static str>,
}

/// `new(required fields...)` and one `with_` setter per optional field, so code that builds a
/// payload keeps compiling when the catalogue adds an optional field (a struct literal would
/// not); `Default` too when nothing is required. One `__fields!` row per type: the runtime's
/// macro writes the methods, `Deserialize` and `Serialize` (as `__checks!` writes validators).
fn constructors(name: &Ident, build: &[Build<'_>]) -> TokenStream {
    let mut required = Vec::new();
    let mut unset = Vec::new();
    let mut defaulted = Vec::new();
    for b in build {
        let fname = ident(&b.field.rust_ident);
        let ty = &b.ty;
        let setter = format_ident!("{}", names::setter(&b.field.rust_ident));
        let wire = &b.field.wire_name;
        let dep = deprecated_attr(b.field.deprecated.as_ref());
        let codec = b.codec.map(|c| {
            let c = format_ident!("{}", c);
            quote!(as #c)
        });
        match &b.init {
            Init::Required => required.push(moved(quote!(#fname: #ty = #wire #codec))),
            Init::Default(f) => defaulted.push(moved(quote!(#dep #setter #fname: #ty = #wire #codec from #f))),
            Init::Unset => unset.push(moved(quote!(#dep #setter #fname: #ty = #wire #codec))),
        }
    }
    // The row's slots go required, optional, defaulted; `order` gives the catalogue's order
    // (slot indices) when it differs, so a struct is written with its keys in field order.
    let mut next = [0, required.len(), required.len() + unset.len()];
    let order: Vec<usize> = build
        .iter()
        .map(|b| {
            let section = match b.init {
                Init::Required => 0,
                Init::Unset => 1,
                Init::Default(_) => 2,
            };
            next[section] += 1;
            next[section] - 1
        })
        .collect();
    let order = order.iter().enumerate().any(|(i, s)| i != *s).then(|| {
        let order = order.iter().map(|&i| proc_macro2::Literal::usize_unsuffixed(i));
        quote!(order [ #( #order ),* ])
    });
    let required = moved(groups(&required));
    let unset = (!unset.is_empty()).then(|| {
        let unset = moved(groups(&unset));
        moved(quote!(optional { #unset }))
    });
    let defaulted = (!defaulted.is_empty()).then(|| {
        let defaulted = moved(groups(&defaulted));
        moved(quote!(default { #defaulted }))
    });
    quote! {
        ::switchboard_runtime::__fields!(#name { #required } #unset #defaulted #order);
    }
}

/// A section's fields, `,` between fields and `;` between groups of the runtime's
/// [`GROUP`](switchboard_runtime::__de::GROUP) (its slots are tuples of at most that many).
fn groups(fields: &[Move]) -> TokenStream {
    let groups = fields.chunks(switchboard_runtime::__de::GROUP).map(|g| moved(quote!(#( #g ),*)));
    quote!(#( #groups );*)
}

/// The check of one field (a value of the runtime's `validate::checks`), or `None` when it has
/// none. `optional` fields (an outer `Option` without a default) are checked when present.
fn field_check(c: &Catalogue, t: &TypeRef, optional: bool) -> Option<TokenStream> {
    // Nested payload types through options, lists and maps: the runtime's `Validate` impls for
    // those walk them with the same paths (`items[2]`, `map.key`).
    if validate_only(c, t) {
        return Some(quote!(Nested));
    }
    let check = check_ref(c, t)?;
    Some(match (optional, t.nullable) {
        (true, true) => quote!(Present(Present(#check))),
        (true, false) | (false, true) => quote!(Present(#check)),
        (false, false) => check,
    })
}

/// True when the only checks of `t` are nested payload types' own `validate_at`, through
/// options, lists without length bounds and maps.
fn validate_only(c: &Catalogue, t: &TypeRef) -> bool {
    match &t.kind {
        RefKind::Named(id) => !matches!(c.ty(*id).kind, TypeKind::Enum { .. }),
        RefKind::Array(inner) => t.constraints.min_items.is_none() && t.constraints.max_items.is_none() && validate_only(c, &resolve(c, inner)),
        RefKind::Map(inner) => validate_only(c, &resolve(c, inner)),
        _ => false,
    }
}

/// The check of one value of `t` (a value of the runtime's `validate::checks`, several in a
/// tuple, in order), or `None` when there is nothing to check.
fn check_ref(c: &Catalogue, t: &TypeRef) -> Option<TokenStream> {
    let k = &t.constraints;
    // A bound the catalogue does not set is the widest value (see the runtime's compact checks).
    let min_u = |x: Option<u64>| {
        let n = x.unwrap_or(0);
        quote!(#n)
    };
    let max_u = |x: Option<u64>| match x {
        Some(n) => quote!(#n),
        None => quote!(u64::MAX),
    };
    let min_f = |x: Option<f64>| match x {
        Some(n) => quote!(#n),
        None => quote!(f64::NEG_INFINITY),
    };
    let max_f = |x: Option<f64>| match x {
        Some(n) => quote!(#n),
        None => quote!(f64::INFINITY),
    };
    let checks: Vec<TokenStream> = match &t.kind {
        RefKind::String => {
            let mut out = Vec::new();
            if k.min_length.is_some() || k.max_length.is_some() {
                let (a, b) = (min_u(k.min_length), max_u(k.max_length));
                out.push(quote!(Len(#a, #b)));
            }
            if let Some(p) = &k.pattern {
                // Compiled once, on first use.
                out.push(quote!(Matches({ static RE: Pattern = Pattern::new(#p); &RE })));
            }
            if let Some(schemes) = &k.uri_schemes {
                out.push(quote!(Uri(&[#( #schemes ),*])));
            }
            out
        }
        // The type already holds only what `__v::datetime` accepts.
        RefKind::DateTime => Vec::new(),
        RefKind::Integer if k.minimum.is_none() && k.maximum.is_none() => vec![quote!(SafeInt)],
        RefKind::Integer => {
            let (a, b) = (min_f(k.minimum), max_f(k.maximum));
            vec![quote!(Int(#a, #b))]
        }
        RefKind::Int64(_) if k.minimum.is_some() || k.maximum.is_some() => {
            let (a, b) = (min_f(k.minimum), max_f(k.maximum));
            vec![quote!(Int64(#a, #b))]
        }
        RefKind::Int64(_) | RefKind::Boolean | RefKind::Json => Vec::new(),
        RefKind::Number if k.minimum.is_none() && k.maximum.is_none() => vec![quote!(Finite)],
        RefKind::Number => {
            let (a, b) = (min_f(k.minimum), max_f(k.maximum));
            vec![quote!(Num(#a, #b))]
        }
        RefKind::Named(id) => match &c.ty(*id).kind {
            TypeKind::Enum { .. } => Vec::new(),
            _ => vec![quote!(Nested)],
        },
        RefKind::Array(inner) => {
            let mut out = Vec::new();
            if k.min_items.is_some() || k.max_items.is_some() {
                let (a, b) = (min_u(k.min_items), max_u(k.max_items));
                out.push(quote!(Count(#a, #b)));
            }
            if let Some(each) = inner_check(c, inner) {
                out.push(quote!(Each(#each)));
            }
            out
        }
        RefKind::Map(inner) => inner_check(c, inner).map(|each| quote!(Values(#each))).into_iter().collect(),
    };
    match checks.len() {
        0 => None,
        1 => checks.into_iter().next(),
        _ => Some(quote!(( #( #checks ),* ))),
    }
}

/// The check of a list's or map's values (when present, if they may be null).
fn inner_check(c: &Catalogue, inner: &TypeRef) -> Option<TokenStream> {
    let inner = resolve(c, inner);
    let check = check_ref(c, &inner)?;
    Some(if inner.nullable { quote!(Present(#check)) } else { check })
}
