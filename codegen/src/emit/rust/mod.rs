//! The Rust target: types, event constants, rooms and the socketioxide server, in one file that
//! a build script writes to OUT_DIR and the crate includes.

mod client;
mod server;
mod tokens;
mod types;

use super::EmitOptions;
use crate::output::GeneratedFile;
use crate::schema::ir::{Catalogue, TypeId};
use quote::quote;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Emits `rust/switchboard.rs`.
///
/// Emission is most of a build script's time on a large catalogue, and most of it is the
/// `types` module, so the work is shared by two threads: this one does the other modules, then
/// joins the second in taking chunks of types. Token streams cannot cross threads (proc-macro2
/// shares them with `Rc`), so each chunk is built, parsed and printed on one thread as a
/// `pub mod types { .. }` of its own, and the texts are spliced in order (see
/// `join_types_chunks`). prettyplease puts no blank line between items and prints each item
/// alone, so the result is the bytes one `unparse` of the whole file gives
/// (`tests::types_printed_in_chunks_are_the_file_printed_whole`).
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> GeneratedFile {
    emit_chunked(c, opts, TYPES_PER_CHUNK, GROUPED_ABOVE)
}

/// [`emit`] with `per_chunk` types per chunk (when the types are not grouped), grouped above
/// `grouped_above` types.
fn emit_chunked(c: &Catalogue, opts: &EmitOptions, per_chunk: usize, grouped_above: usize) -> GeneratedFile {
    let ids = types::type_ids(c);
    let chunks = chunks(&ids, per_chunk, grouped_above);
    let next = AtomicUsize::new(0);
    let take_chunks = || {
        let mut printed = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else { return printed };
            printed.push((i, print(types_module(types_items(c, chunk, i == 0), i == 0))));
        }
    };
    let (mut printed, (head, tail, mine)) = crate::par::join(take_chunks, || (print(namespace_const(c)), print(other_modules(c)), take_chunks()));
    printed.extend(mine);
    printed.sort_by_key(|(i, _)| *i);
    let types = join_types_chunks(printed.into_iter().map(|(_, text)| text));
    file(c, opts, &format!("{head}{types}{tail}"))
}

/// `rust/switchboard.rs` with `body` (the printed items) under its header.
fn file(c: &Catalogue, opts: &EmitOptions, body: &str) -> GeneratedFile {
    let header: String = opts.header_lines(c, &[]).iter().map(|l| format!("// {l}\n")).collect();
    let mut contents = format!("{header}\n{body}");
    super::normalize(&mut contents);
    GeneratedFile { path: "rust/switchboard.rs".into(), contents }
}

/// Types per chunk: small enough that the two threads end close together, large enough that
/// a chunk's own `pub mod` costs nothing.
const TYPES_PER_CHUNK: usize = 64;

/// Above this many types, the `types` module keeps them in private submodules of
/// [`TYPES_PER_CHUNK`] types each, re-exported (`pub use self::__t0::*;`), so every path stays
/// `types::Name`. rustc's macro expansion grows faster than the number of items in one module
/// (at 2,000 events, 5,120 types: 12.9 s in one module, 6.1-6.3 s in groups of 256; issue 17),
/// and a catalogue this large is the one whose first build is long.
const GROUPED_ABOVE: usize = 512;

/// One printed piece of the `types` module: its types, and the submodule they live in when
/// the module is grouped.
struct Chunk<'a> {
    ids: &'a [TypeId],
    group: Option<usize>,
}

/// The pieces of the `types` module: its groups (above `grouped_above` types), or `per_chunk`
/// types each; at least one piece.
fn chunks(ids: &[TypeId], per_chunk: usize, grouped_above: usize) -> Vec<Chunk<'_>> {
    let mut chunks: Vec<Chunk<'_>> = if ids.len() > grouped_above {
        ids.chunks(TYPES_PER_CHUNK).enumerate().map(|(i, ids)| Chunk { ids, group: Some(i) }).collect()
    } else {
        ids.chunks(per_chunk.max(1)).map(|ids| Chunk { ids, group: None }).collect()
    };
    if chunks.is_empty() {
        chunks.push(Chunk { ids: &[], group: None });
    }
    chunks
}

/// The items one piece puts in the `types` module (the first also its imports).
fn types_items(c: &Catalogue, chunk: &Chunk<'_>, first: bool) -> proc_macro2::TokenStream {
    let imports = first.then(types::imports);
    let items = tokens::moved(types::emit_types(c, chunk.ids));
    match chunk.group {
        None => quote! { #imports #items },
        Some(i) => {
            let group = quote::format_ident!("__t{}", i);
            quote! {
                #imports
                pub use self::#group::*;
                mod #group {
                    #[allow(unused_imports)]
                    use super::*;
                    #items
                }
            }
        }
    }
}

/// Parses `tokens` as a file and prints it with prettyplease.
fn print(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| panic!("generated Rust does not parse: {e}"));
    prettyplease::unparse(&file)
}

/// The printed chunks of the `types` module, in order, as one module: every chunk but the
/// first loses its opening line, every chunk but the last its closing brace.
fn join_types_chunks(chunks: impl ExactSizeIterator<Item = String>) -> String {
    const OPEN: &str = "pub mod types {\n";
    const CLOSE: &str = "}\n";
    let last = chunks.len().saturating_sub(1);
    let mut out = String::new();
    for (i, text) in chunks.enumerate() {
        let text = if i > 0 { text.strip_prefix(OPEN).unwrap_or_else(|| panic!("a types chunk starts with {text:.40?}")) } else { &text };
        let text = if i < last { text.strip_suffix(CLOSE).unwrap_or_else(|| panic!("a types chunk does not end with `}}`")) } else { text };
        out.push_str(text);
    }
    out
}

fn namespace_const(c: &Catalogue) -> proc_macro2::TokenStream {
    let namespace = &c.namespace;
    quote! {
        /// The catalogue's Socket.IO namespace: the server is mounted and broadcasts on it, the
        /// client connects to it.
        pub const NAMESPACE: &str = #namespace;
    }
}

/// The `types` module holding `types` (items from [`types_items`]); the first chunk carries the
/// module's doc and attributes.
fn types_module(types: proc_macro2::TokenStream, first: bool) -> proc_macro2::TokenStream {
    if !first {
        return quote! { pub mod types { #types } };
    }
    // `clippy::all` on `types` also covers `too_many_arguments`: `new` takes as many arguments
    // as the catalogue has required fields.
    quote! {
        /// Payload, ack and shared types; their rows name the exact wire names.
        ///
        /// A struct is built with `new`, which takes its required fields in catalogue order;
        /// optional fields start unset (or at their default) and have `with_` setters. Adding an
        /// optional field to the catalogue keeps `new`'s signature.
        #[allow(deprecated, clippy::all)]
        pub mod types {
            #types
        }
    }
}

fn other_modules(c: &Catalogue) -> proc_macro2::TokenStream {
    let events = server::emit_events(c);
    let rooms = server::emit_rooms(c);
    let server = server::emit_server(c);
    let client = client::emit_client(c);
    quote! {
        /// Wire names of every event.
        pub mod events {
            #events
        }

        /// Server-side rooms and how their names are built.
        pub mod rooms {
            #rooms
        }

        /// The socketioxide server: handler traits, `mount`, typed emitters.
        #[allow(deprecated, unused_imports, unused_variables, clippy::all)]
        pub mod server {
            #server
        }

        /// The typed client over the runtime's Socket.IO client.
        #[allow(deprecated, unused_imports, unused_variables, clippy::all)]
        pub mod client {
            #client
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::names;

    /// The `fn` names of the `impl <ty>` block inside `pub mod <module>`.
    fn methods(file: &syn::File, module: &str, ty: &str) -> Vec<String> {
        let items = file.items.iter().find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == module => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        });
        let mut out = Vec::new();
        for item in items.expect("module emitted") {
            if let syn::Item::Impl(imp) = item
                && imp.trait_.is_none()
                && matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident(ty))
            {
                out.extend(imp.items.iter().filter_map(|i| match i {
                    syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                    _ => None,
                }));
            }
        }
        out
    }

    /// Every valid fixture and the Rez catalogue (`schema/`), lowered.
    fn catalogues() -> Vec<(std::path::PathBuf, crate::schema::ir::Catalogue)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("tests/fixtures/valid"))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        dirs.push(root.join("../schema"));
        dirs.into_iter()
            .map(|dir| {
                let files = crate::output::load_catalogue(&dir).expect("catalogue loads");
                let c = crate::generate(&files, &super::EmitOptions::default()).expect("catalogue lowers").catalogue;
                (dir, c)
            })
            .collect()
    }

    /// Prelude names (2024 edition) a catalogue type would shadow if the generated code wrote
    /// them bare.
    const PRELUDE: &[&str] = &[
        "Option", "Some", "None", "Result", "Ok", "Err", "String", "Vec", "Box", "ToString", "ToOwned", "Into",
        "From", "TryFrom", "TryInto", "Default", "Clone", "Copy", "Send", "Sync", "Sized", "Unpin", "Drop", "Fn",
        "FnMut", "FnOnce", "Iterator", "IntoIterator", "Extend", "FromIterator", "DoubleEndedIterator",
        "ExactSizeIterator", "AsRef", "AsMut", "PartialEq", "PartialOrd", "Eq", "Ord", "Future", "IntoFuture",
    ];

    /// The prelude names `ts` uses unqualified (not after `::`, not inside `derive(..)`, whose
    /// names are macros a type cannot shadow), also as the head of a path in a string
    /// (`skip_serializing_if = "Option::is_none"`).
    fn bare_prelude(ts: proc_macro2::TokenStream, out: &mut std::collections::BTreeSet<String>) {
        use proc_macro2::TokenTree;
        let (mut colons, mut after_derive) = (0, false);
        for tt in ts {
            match &tt {
                TokenTree::Ident(i) => {
                    let s = i.to_string();
                    if colons < 2 && PRELUDE.contains(&s.as_str()) {
                        out.insert(s.clone());
                    }
                    after_derive = s == "derive";
                }
                TokenTree::Group(g) if !after_derive => bare_prelude(g.stream(), out),
                TokenTree::Literal(l) => {
                    let text = l.to_string();
                    let head = text.trim_start_matches('"').split("::").next().unwrap_or_default();
                    if text.starts_with('"') && PRELUDE.contains(&head) {
                        out.insert(head.to_string());
                    }
                }
                _ => {}
            }
            colons = match &tt {
                TokenTree::Punct(p) if p.as_char() == ':' => colons + 1,
                _ => 0,
            };
            if !matches!(&tt, TokenTree::Ident(_)) {
                after_derive = false;
            }
        }
    }

    /// Every prelude name the `types` module writes bare is one lowering refuses as a type name,
    /// so no catalogue type can shadow it (the others keep `::std::` paths). The other modules
    /// reach catalogue types only as `types::X`.
    #[test]
    fn bare_prelude_names_are_reserved() {
        let mut bare = std::collections::BTreeSet::new();
        for (_, c) in catalogues() {
            let out = super::emit(&c, &super::EmitOptions::default());
            let file: syn::File = syn::parse_file(&out.contents).expect("generated Rust parses");
            let types = file.items.iter().find_map(|i| match i {
                syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| quote::quote!(#( #items )*)),
                _ => None,
            });
            bare_prelude(types.expect("a types module"), &mut bare);
        }
        assert!(bare.contains("Option") && bare.contains("Vec"), "the scan sees bare names: {bare:?}");
        for name in &bare {
            assert_eq!(names::reserved_type_name(name), Some("Rust"), "`{name}` is written bare but a catalogue type may take that name");
        }
    }

    /// The texts of the `types` chunks spliced together are the bytes one `unparse` of the
    /// whole file gives: every valid fixture and the Rez catalogue, one type per chunk (every
    /// splice point), the default chunk size, and grouped (every catalogue in groups of 64).
    #[test]
    fn types_printed_in_chunks_are_the_file_printed_whole() {
        let opts = super::EmitOptions::default();
        let mut spliced = 0;
        let mut grouped = 0;
        for (dir, c) in catalogues() {
            let ids = super::types::type_ids(&c);
            for grouped_above in [super::GROUPED_ABOVE, 0] {
                let whole = super::chunks(&ids, ids.len(), grouped_above).iter().enumerate().map(|(i, chunk)| super::types_items(&c, chunk, i == 0)).collect();
                let tokens = [super::namespace_const(&c), super::types_module(whole, true), super::other_modules(&c)];
                let expected = super::file(&c, &opts, &super::print(quote::quote!(#( #tokens )*)));
                for per_chunk in [1, super::TYPES_PER_CHUNK] {
                    let got = super::emit_chunked(&c, &opts, per_chunk, grouped_above);
                    assert!(got.contents == expected.contents, "{}: {per_chunk} types per chunk changes the output", dir.display());
                }
                if grouped_above == 0 && !ids.is_empty() {
                    assert!(expected.contents.contains("    pub use self::__t0::*;\n    mod __t0 {\n"), "{}: not grouped", dir.display());
                    grouped += 1;
                }
            }
            spliced += ids.len().saturating_sub(1);
        }
        assert!(spliced > 150, "the splices were tried: {spliced}");
        assert!(grouped > 5, "grouped layouts were tried: {grouped}");
    }

    /// The reserved-member lists lowering checks are exactly the methods the emitters write
    /// besides the events' (plus `clone`, from `#[derive(Clone)]`).
    #[test]
    fn reserved_members_are_the_emitted_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/minimal");
        let files = crate::output::load_catalogue(&dir).expect("fixture loads");
        let c = crate::generate(&files, &super::EmitOptions::default()).expect("fixture lowers").catalogue;
        let out = super::emit(&c, &super::EmitOptions::default());
        let file: syn::File = syn::parse_file(&out.contents).expect("generated Rust parses");
        let derived: Vec<String> =
            c.events.iter().flat_map(|e| [names::unraw(&e.ident).to_string(), names::listener(&e.ident)]).collect();
        for (module, ty, list) in [("server", "Emitter", names::EMITTER_MEMBERS), ("client", "Client", names::CLIENT_MEMBERS)] {
            let mut own: Vec<String> = methods(&file, module, ty).into_iter().filter(|m| !derived.contains(m)).collect();
            own.push("clone".into());
            own.sort();
            let mut want: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(own, want, "{module}::{ty}: names.rs lists other own methods than the emitter writes");
        }
    }
}
