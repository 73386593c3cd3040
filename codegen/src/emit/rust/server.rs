//! Rust server on socketioxide: event-name constants, room types, a handler trait per domain,
//! `mount` (a table of the client events, one row each, that the runtime routes by name), and
//! typed emitters.

use super::tokens::{const_ident, docs, ident, moved, resolve, room_format, room_type, type_path};
use crate::emit::prose::{param_source_text, room_action_text, target_text};
use crate::schema::ir::*;
use crate::schema::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `pub mod events`: one `&str` constant per event.
pub fn emit_events(c: &Catalogue) -> TokenStream {
    let items = c.events.iter().map(|e| {
        let name = const_ident(e);
        let wire = &e.wire_name;
        let doc = format!(" `{wire}`");
        moved(quote!(#[doc = #doc] pub const #name: &str = #wire;))
    });
    quote!(#( #items )*)
}

/// `pub mod rooms`: one struct per room with its parameters and `name()`.
pub fn emit_rooms(c: &Catalogue) -> TokenStream {
    let items = c.rooms.iter().map(|r| {
        let ty = room_type(r);
        let kind = &r.name;
        let fields: Vec<proc_macro2::Ident> = r.params.iter().map(|p| ident(&p.rust_ident)).collect();
        let fmt = room_format(r, |_| "{}");
        let args: Vec<TokenStream> = r
            .parts
            .iter()
            .filter_map(|p| match p {
                TemplatePart::Param(i) => {
                    let f = ident(&r.params[*i].rust_ident);
                    Some(quote!(self.#f))
                }
                TemplatePart::Text(_) => None,
            })
            .collect();
        let doc = docs(r.description.as_deref(), &[format!("Room `{}`; who may join: {}.", r.template, r.access.describe())]);
        let field_docs: Vec<String> = r
            .params
            .iter()
            .map(|p| format!(" `{{{}}}`, from {}.", p.name, param_source_text(p.source)))
            .collect();
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            pub struct #ty {
                #( #[doc = #field_docs] pub #fields: ::std::string::String, )*
            }

            impl #ty {
                /// Room kind id in the catalogue.
                pub const KIND: &'static str = #kind;

                /// The room's name on the server.
                pub fn name(&self) -> ::std::string::String {
                    format!(#fmt, #( #args ),*)
                }
            }
        }
    });
    quote!(#( #items )*)
}

/// An expression producing the `String` value of payload field `param` (string, integer or enum).
fn field_string(c: &Catalogue, payload: TypeId, param: &str, p: TokenStream) -> Option<TokenStream> {
    let f = payload_field(c, payload, param)?;
    let fid = ident(&f.rust_ident);
    scalar_string(c, &f.ty, quote!(#p.#fid))
}

/// Payload field `param` itself, for `format!`: a string, integer or enum displays as its wire
/// text, as [`field_string`] gives it.
fn field_display(c: &Catalogue, payload: TypeId, param: &str, p: TokenStream) -> Option<TokenStream> {
    let f = payload_field(c, payload, param)?;
    let fid = ident(&f.rust_ident);
    scalar_string(c, &f.ty, quote!()).map(|_| quote!(#p.#fid))
}

/// The field of an object payload with wire name `param`.
fn payload_field<'c>(c: &'c Catalogue, payload: TypeId, param: &str) -> Option<&'c Field> {
    let TypeKind::Object { fields } = &c.ty(payload).kind else { return None };
    fields.iter().find(|f| f.wire_name == param)
}

/// An expression producing the `String` value of `v`, a string, integer or enum.
fn scalar_string(c: &Catalogue, ty: &TypeRef, v: TokenStream) -> Option<TokenStream> {
    let t = resolve(c, ty);
    Some(match &t.kind {
        RefKind::String => quote!(#v.clone()),
        RefKind::Integer | RefKind::Int64(_) => quote!(#v.to_string()),
        RefKind::Named(_) => quote!(#v.as_str().to_string()),
        _ => return None,
    })
}

/// The room parameter a payload gives: a field of an object, or a whole `value:` payload
/// (lowering allows it one payload parameter).
fn param_string(c: &Catalogue, payload: TypeId, param: &str, p: TokenStream) -> Option<TokenStream> {
    match c.value_payload(payload) {
        Some(target) => scalar_string(c, target, quote!(#p.0)),
        None => field_string(c, payload, param, p),
    }
}

/// Builds a room value from a payload `p` and `principal` (an expression of type `&Principal`).
fn room_value(c: &Catalogue, room: RoomId, payload: Option<TypeId>, principal: TokenStream) -> TokenStream {
    let r = &c.rooms[room];
    let ty = room_type(r);
    let inits = r.params.iter().map(|p| {
        let f = ident(&p.rust_ident);
        let v = match p.source {
            ParamSource::User => quote!(#principal.user_id.clone()),
            ParamSource::Payload => payload
                .and_then(|id| param_string(c, id, &p.name, quote!(p)))
                .unwrap_or_else(|| quote!(::std::string::String::new())),
        };
        quote!(#f: #v)
    });
    quote!(rooms::#ty { #( #inits ),* })
}

fn domain_trait(d: &Domain) -> proc_macro2::Ident {
    format_ident!("{}", names::handlers_trait(&d.name))
}

/// Handler traits, `mount`, and the emitter.
pub fn emit_server(c: &Catalogue) -> TokenStream {
    let mut traits = Vec::new();
    let mut trait_names = Vec::new();
    let mut route_calls = Vec::new();
    let mut route_fns = Vec::new();
    // The domain whose handler trait carries each room's `may_join` hook.
    let mut room_domain = vec![0; c.rooms.len()];
    for (di, d) in c.domains.iter().enumerate() {
        for &r in &d.rooms {
            room_domain[r] = di;
        }
    }
    for d in &c.domains {
        let mut methods = Vec::new();
        let mut rows = Vec::new();
        let mut bounds = vec![domain_trait(d)];
        for &eid in &d.events {
            let e = &c.events[eid];
            let Some(side) = &e.to_server else { continue };
            let m = ident(&e.ident);
            let payload_ty = type_path(c, side.payload, quote!(NoPayload));
            let ack_ty = type_path(c, side.ack, quote!(()));
            let mut extra = vec![format!("`{}` (client -> server).", e.wire_name)];
            if let Some(a) = side.room_action {
                extra.push(room_action_text(c, a) + " The room action is done before this is called.");
            }
            if let Some(dep) = &e.deprecated {
                extra.push(dep.sentence());
            }
            let doc = docs(e.description.as_deref(), &extra);
            // Room-only events have a default; events with a payload to act on must be implemented.
            // The default is a ready future, not an `async` block: a state machine per default
            // method that rustc checks and stores in the crate's metadata for nothing.
            let default_body = side.room_action.is_some() && side.ack.is_none();
            if default_body {
                methods.push(moved(quote! {
                    #doc
                    fn #m(&self, ctx: Ctx, payload: #payload_ty) -> impl ::std::future::Future<Output = ::std::result::Result<#ack_ty, AckError>> + Send {
                        let _ = (ctx, payload);
                        ::std::future::ready(Ok(()))
                    }
                }));
            } else {
                methods.push(moved(quote! {
                    #doc
                    fn #m(&self, ctx: Ctx, payload: #payload_ty) -> impl ::std::future::Future<Output = ::std::result::Result<#ack_ty, AckError>> + Send;
                }));
            }
            // The table row: the spec and the call, run by the runtime's pipeline.
            let wire = const_ident(e);
            let max = side.max_bytes as usize;
            let mut spec = quote!(EventSpec::new(events::#wire, #max));
            if let Some(r) = side.rate_limit {
                let (n, s) = (r.count, r.per_seconds);
                spec = quote!(#spec.rate(#n, #s));
            }
            if side.deduplicated() {
                spec = quote!(#spec.reliable());
            }
            let call = match side.room_action {
                None => quote!(async move { h.#m(ctx, p).await }),
                Some(RoomAction::Join(r)) => {
                    let room = room_value(c, r, side.payload, quote!(ctx.principal()));
                    let allowed = match c.rooms[r].access {
                        Access::App => {
                            let hook = format_ident!("{}", names::may_join(&c.rooms[r].rust_ident));
                            quote!(h.#hook(&ctx, &room).await)
                        }
                        _ => quote!(true),
                    };
                    let rk = room_type(&c.rooms[r]);
                    quote!(async move {
                        let room = #room;
                        let allowed = #allowed;
                        ctx.join(rooms::#rk::KIND, room.name(), allowed)?;
                        h.#m(ctx, p).await
                    })
                }
                Some(RoomAction::Leave(r)) => {
                    let room = room_value(c, r, side.payload, quote!(ctx.principal()));
                    quote!(async move {
                        let room = #room;
                        ctx.leave(room.name());
                        h.#m(ctx, p).await
                    })
                }
                Some(RoomAction::LeaveAll(r)) => {
                    let rt = room_type(&c.rooms[r]);
                    quote!(async move {
                        ctx.leave_all(rooms::#rt::KIND);
                        h.#m(ctx, p).await
                    })
                }
            };
            rows.push(moved(quote!(r.on(h, #spec, |h, ctx, p: #payload_ty| #call);)));
            // A join of a room another domain decides needs that domain's trait too.
            if let Some(RoomAction::Join(r)) = side.room_action
                && c.rooms[r].access == Access::App
            {
                let owner = domain_trait(&c.domains[room_domain[r]]);
                if !bounds.contains(&owner) {
                    bounds.push(owner);
                }
            }
        }
        // Room policy hooks for rooms the application decides.
        for &rid in &d.rooms {
            let r = &c.rooms[rid];
            if r.access != Access::App {
                continue;
            }
            let hook = format_ident!("{}", names::may_join(&r.rust_ident));
            let rt = room_type(r);
            let doc = format!(" May this user join `{}`? Called before every join; `false` answers `forbidden` and joins nothing.", r.template);
            methods.push(moved(quote! {
                #[doc = #doc]
                fn #hook(&self, ctx: &Ctx, room: &rooms::#rt) -> impl ::std::future::Future<Output = bool> + Send;
            }));
        }
        if !rows.is_empty() {
            // One function per domain, bounded by the traits it calls: with every event's row in
            // one function bounded by `Handlers` rustc's first build grew faster than the
            // catalogue (each call searched a bound of one supertrait per domain).
            let f = format_ident!("{}", names::route_fn(&d.name));
            let doc = format!(" The client events of the `{}` domain, as rows of the server's table.", d.name);
            route_calls.push(moved(quote!(#f(&mut r, &handlers);)));
            route_fns.push(moved(quote! {
                #[doc = #doc]
                fn #f<H: #( #bounds )+*>(r: &mut Router, h: &Arc<H>) {
                    #( #rows )*
                }
            }));
        }
        if methods.is_empty() {
            continue;
        }
        let tn = domain_trait(d);
        let doc = format!(" Client events of the `{}` domain ({}).", d.name, d.file);
        traits.push(moved(quote! {
            #[doc = #doc]
            pub trait #tn: Send + Sync + 'static {
                #( #methods )*
            }
        }));
        trait_names.push(tn);
    }
    // Rooms joined automatically on connect.
    let auto_joins: Vec<TokenStream> = c
        .rooms
        .iter()
        .enumerate()
        .filter(|(_, r)| r.access == Access::Auto)
        .map(|(rid, r)| {
            let room = room_value(c, rid, None, quote!(session.principal()));
            let rt = room_type(r);
            quote! {
                let room = #room;
                session.join_auto(&s, rooms::#rt::KIND, room.name());
            }
        })
        .collect();
    let emitters = emit_emitters(c);
    // A catalogue without client events has no routes to add (`mut` would be linted).
    let router = if route_calls.is_empty() { quote!(let r = Router::new();) } else { quote!(let mut r = Router::new();) };
    // settings.recovery: the runtime keeps recoverable events and answers `_recover`.
    let enable_recovery = match &c.recovery {
        Some(r) => {
            let (secs, max) = (u64::from(r.window_seconds), r.max_events_per_room as usize);
            quote! {
                rt.enable_recovery(::switchboard_runtime::server::RecoveryPolicy { window: ::std::time::Duration::from_secs(#secs), max_events_per_room: #max });
            }
        }
        None => quote!(),
    };
    let handlers_bound = if trait_names.is_empty() { quote!(Send + Sync + 'static) } else { quote!(#( #trait_names )+*) };
    quote! {
        use super::{events, rooms, types};
        pub use super::NAMESPACE;
        pub use ::switchboard_runtime::server::{AdapterState, AuthError, Authenticator, Ctx, EmitError, JwtHs256, Metrics, MetricsSnapshot, Principal, RedisConn, RedisDedup, Runtime, ServerConfig, Session};
        pub use ::switchboard_runtime::wire::{AckError, ErrorCode};
        use ::switchboard_runtime::server::{EventSpec, NoPayload, Router};
        pub use ::switchboard_runtime::server::SocketIo;
        use ::switchboard_runtime::server::SocketRef;
        use ::std::sync::Arc;

        #( #traits )*

        /// Every handler trait of the catalogue; implement them all on one type and `mount` it.
        pub trait Handlers: #handlers_bound {}
        impl<T: #handlers_bound> Handlers for T {}

        /// Registers the catalogue's namespace ([`NAMESPACE`]) on `io`: authentication, automatic
        /// rooms, and the table of client events the runtime routes by name (order, limits,
        /// validation, acks).
        pub fn mount<H: Handlers>(io: &SocketIo, rt: Arc<Runtime>, handlers: Arc<H>) {
            #enable_recovery
            #router
            #( #route_calls )*
            rt.mount(
                io,
                NAMESPACE,
                r,
                move |s: SocketRef, session: Session| {
                    #( { #auto_joins } )*
                },
            );
        }

        #( #route_fns )*

        #emitters
    }
}

fn emit_emitters(c: &Catalogue) -> TokenStream {
    let mut methods = Vec::new();
    for e in &c.events {
        let Some(side) = &e.to_client else { continue };
        let m = ident(&e.ident);
        let konst = const_ident(e);
        let mut args: Vec<TokenStream> = Vec::new();
        let mut arg_names: Vec<String> = Vec::new();
        // Each room's name is formatted here from the template `rooms::X::name` uses (one
        // `format!`, no room value to build): payload fields, or `&str` arguments.
        let rooms_expr = match &side.target {
            Target::Everyone => None,
            Target::Rooms(rs) => {
                let names = rs.iter().map(|&rid| {
                    let r = &c.rooms[rid];
                    let fmt = room_format(r, |_| "{}");
                    let values: Vec<TokenStream> = r
                        .parts
                        .iter()
                        .filter_map(|part| match part {
                            TemplatePart::Param(i) => Some(&r.params[*i]),
                            TemplatePart::Text(_) => None,
                        })
                        .map(|p| {
                            let from_payload = match (p.source, side.payload) {
                                (ParamSource::Payload, Some(id)) => field_display(c, id, &p.name, quote!(payload)),
                                _ => None,
                            };
                            from_payload.unwrap_or_else(|| {
                                let f = ident(&p.rust_ident);
                                if !arg_names.contains(&p.rust_ident) {
                                    arg_names.push(p.rust_ident.clone());
                                    args.push(quote!(#f: &str));
                                }
                                quote!(#f)
                            })
                        })
                        .collect();
                    quote!(format!(#fmt, #( #values ),*))
                });
                Some(quote!([ #( #names ),* ]))
            }
        };
        let target = target_text(c, &side.target);
        let mut extra = vec![format!("Sends `{}` to {target}.", e.wire_name)];
        if let Some(dep) = &e.deprecated {
            extra.push(dep.sentence());
        }
        let doc = docs(e.description.as_deref(), &extra);
        let (payload_arg, payload_expr) = match side.payload {
            Some(id) => {
                let n = ident(&c.ty(id).name);
                (quote!(payload: &types::#n), quote!(payload))
            }
            None => (quote!(), quote!(&())),
        };
        let comma = if args.is_empty() || side.payload.is_none() { quote!() } else { quote!(,) };
        let recover = side.recover;
        // The rooms in a `let` of their own keep the call on one line; none is everyone.
        let body = match rooms_expr {
            Some(rooms) => quote!(let to = #rooms; __emit(self, to, events::#konst, #payload_expr, #recover).await),
            None => quote!(__emit(self, [], events::#konst, #payload_expr, #recover).await),
        };
        methods.push(moved(quote! {
            #doc
            pub async fn #m(&self, #( #args ),* #comma #payload_arg) -> ::std::result::Result<(), EmitError> {
                #body
            }
        }));
    }
    quote! {
        /// Typed server-to-client emitters: each computes its target rooms from the catalogue.
        #[derive(Clone)]
        pub struct Emitter {
            io: SocketIo,
            rt: Arc<Runtime>,
        }

        #[allow(deprecated)]
        impl Emitter {
            /// An emitter over a mounted `io`.
            pub fn new(io: SocketIo, rt: Arc<Runtime>) -> Self {
                Self { io, rt }
            }

            #( #methods )*
        }

        /// Sends one server-to-client event to `rooms` (every socket when empty), kept for
        /// recovery when `recover`.
        async fn __emit<T: ::switchboard_runtime::__private::serde::Serialize + ?Sized, const N: usize>(e: &Emitter, rooms: [::std::string::String; N], event: &'static str, payload: &T, recover: bool) -> ::std::result::Result<(), EmitError> {
            let rooms = ::std::vec::Vec::from(rooms);
            if recover {
                e.rt.broadcast_recoverable(&e.io, NAMESPACE, rooms, event, payload).await
            } else {
                e.rt.broadcast(&e.io, NAMESPACE, rooms, event, payload).await
            }
        }
    }
}
