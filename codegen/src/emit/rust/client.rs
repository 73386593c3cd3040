//! Rust client: a typed layer over `switchboard_runtime::client::Client`: one method per
//! client-to-server event (typed ack future), join/leave helpers that remember rooms, and one
//! `on_<event>` per server-to-client event whose guard unsubscribes when dropped.

use super::tokens::{const_ident, docs, ident, moved, room_format, type_path};
use crate::emit::prose::{Reader, delivery_text, room_action_text};
use crate::schema::ir::*;
use crate::schema::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The client-side key of a room: `kind:name`, with token-sourced parameters shown as `@me`
/// (the client does not know its own id; the server fills it in).
fn room_key(c: &Catalogue, room: RoomId, payload: Option<TypeId>) -> TokenStream {
    let r = &c.rooms[room];
    let mut args = Vec::new();
    let value = payload.filter(|id| c.value_payload(*id).is_some());
    let name = room_format(r, |param| {
        if let (ParamSource::Payload, Some(_)) = (param.source, value) {
            // A `value:` payload is the room's one payload parameter.
            args.push(quote!(payload.0));
            return "{}";
        }
        let field = payload.and_then(|id| match &c.ty(id).kind {
            TypeKind::Object { fields } => fields.iter().find(|f| f.wire_name == param.name && !f.optional),
            _ => None,
        });
        match (param.source, field) {
            (ParamSource::Payload, Some(f)) => {
                let fid = ident(&f.rust_ident);
                args.push(quote!(payload.#fid));
                "{}"
            }
            _ => "@me",
        }
    });
    let fmt = format!("{}:{name}", r.name);
    quote!(format!(#fmt, #( #args ),*))
}

/// `pub mod client`.
pub fn emit_client(c: &Catalogue) -> TokenStream {
    let mut methods = Vec::new();
    for e in &c.events {
        if let Some(side) = &e.to_server {
            let m = ident(&e.ident);
            let konst = const_ident(e);
            let (arg, value) = match side.payload {
                Some(id) => {
                    let n = ident(&c.ty(id).name);
                    (quote!(payload: &types::#n), quote!(__arg(payload)))
                }
                None => (quote!(), quote!(::std::option::Option::None)),
            };
            let ret = match side.ack {
                Some(id) => {
                    let n = ident(&c.ty(id).name);
                    quote!(types::#n)
                }
                None => quote!(()),
            };
            // The room key in a `let` of its own keeps the call on one line.
            let (room, call) = match side.room_action {
                Some(RoomAction::Join(r)) => {
                    let key = room_key(c, r, side.payload);
                    (quote!(let room = #key;), quote!(self.inner.join(&room, events::#konst, #value).await))
                }
                Some(RoomAction::Leave(r)) => {
                    let key = room_key(c, r, side.payload);
                    (quote!(let room = #key;), quote!(self.inner.leave(events::#konst, #value, Forget::Key(room)).await))
                }
                Some(RoomAction::LeaveAll(r)) => {
                    let prefix = format!("{}:", c.rooms[r].name);
                    (quote!(), quote!(self.inner.leave(events::#konst, #value, Forget::Prefix(#prefix.to_string())).await))
                }
                None => match side.delivery {
                    Delivery::Reliable => (quote!(), quote!(self.inner.emit_reliable(events::#konst, #value).await)),
                    Delivery::Volatile => (quote!(), quote!(self.inner.emit_volatile(events::#konst, #value).await)),
                },
            };
            // The ack's data decoded as the catalogue's ack type, or dropped when it has none.
            let decode = if side.ack.is_some() { quote!(from_value(#call)) } else { quote!(#call.map(drop)) };
            let mut extra = vec![format!("Sends `{}` ({}).", e.wire_name, delivery_text(side.delivery, Reader::RustClient))];
            if let Some(a) = side.room_action {
                extra.push(room_action_text(c, a) + " The room is remembered and re-joined after every reconnect.");
            }
            if let Some(dep) = &e.deprecated {
                extra.push(dep.sentence());
            }
            let doc = docs(e.description.as_deref(), &extra);
            methods.push(moved(quote! {
                #doc
                pub async fn #m(&self, #arg) -> ::std::result::Result<#ret, ClientError> {
                    #room
                    #decode
                }
            }));
        }
        if let Some(side) = &e.to_client {
            let m = format_ident!("{}", names::listener(&e.ident));
            let konst = const_ident(e);
            let ty = type_path(c, side.payload, quote!(()));
            let mut extra = vec![format!("Listens to `{}`; dropping the returned guard stops listening.", e.wire_name)];
            if let Some(dep) = &e.deprecated {
                extra.push(dep.sentence());
            }
            let doc = docs(e.description.as_deref(), &extra);
            methods.push(moved(quote! {
                #doc
                pub fn #m(&self) -> On<#ty> {
                    On::new(self.inner.on(events::#konst))
                }
            }));
        }
    }
    let heartbeat = match &c.heartbeat {
        Some(h) => {
            let (event, secs, missed) = (&c.events[h.event].wire_name, u64::from(h.interval_seconds), h.max_missed);
            quote! {
                config.heartbeat = ::std::option::Option::Some(Heartbeat { event: #event.into(), interval: ::std::time::Duration::from_secs(#secs), max_missed: #missed });
            }
        }
        None => quote!(),
    };
    let config_doc = if c.reconnect.is_some() {
        " Settings for `url` with the catalogue's namespace, reconnect schedule and heartbeat (if any)."
    } else {
        " Settings for `url` with the catalogue's namespace (and its heartbeat, if any)."
    };
    let reconnect = match &c.reconnect {
        Some(r) => {
            let (base, max, attempts) = (u64::from(r.base_seconds), u64::from(r.max_seconds), r.max_attempts);
            quote! {
                config.backoff.base = ::std::time::Duration::from_secs(#base);
                config.backoff.max = ::std::time::Duration::from_secs(#max);
                config.backoff.max_attempts = #attempts;
            }
        }
        None => quote!(),
    };
    // The client asks for missed events after a reconnect only when the server keeps them.
    let recovery = if c.recovery.is_some() { quote!() } else { quote!(config.recovery = false;) };
    quote! {
        use super::{events, types};
        pub use ::switchboard_runtime::client::{Backoff, ClientConfig, ClientError, ClientEvent, ConnectionState, DropReason, Forget, Heartbeat, Listener, Stats, TokenFuture, TokenProvider};
        use ::switchboard_runtime::__private::serde_json::{self, Value};

        fn to_value<T: ::switchboard_runtime::__private::serde::Serialize>(v: &T) -> Value {
            // Generated payload types always serialize (string keys, no fallible impls).
            serde_json::to_value(v).unwrap_or(Value::Null)
        }

        /// A payload as the runtime's client sends it.
        fn __arg<T: ::switchboard_runtime::__private::serde::Serialize>(v: &T) -> ::std::option::Option<Value> {
            ::std::option::Option::Some(to_value(v))
        }

        /// The ack's data of a call, decoded as the event's ack type.
        fn from_value<T: ::switchboard_runtime::__private::serde::de::DeserializeOwned>(data: ::std::result::Result<Value, ClientError>) -> ::std::result::Result<T, ClientError> {
            serde_json::from_value(data?).map_err(|e| ClientError::BadAck(e.to_string()))
        }

        /// Payloads of one server event, typed; dropping it stops listening.
        pub struct On<T> {
            inner: Listener,
            _payload: ::std::marker::PhantomData<fn() -> T>,
        }

        impl<T> On<T> {
            fn new(inner: Listener) -> Self {
                Self { inner, _payload: ::std::marker::PhantomData }
            }
        }

        impl<T: ::switchboard_runtime::__private::serde::de::DeserializeOwned> On<T> {
            /// The next payload: `None` when the client is closed, `Some(Err)` when the server
            /// sent something that does not match the catalogue.
            pub async fn recv(&mut self) -> ::std::option::Option<::std::result::Result<T, serde_json::Error>> {
                self.inner.recv().await.map(serde_json::from_value)
            }
        }

        /// The catalogue's typed client.
        #[derive(Clone)]
        pub struct Client {
            inner: ::switchboard_runtime::client::Client,
        }

        #[allow(deprecated)]
        impl Client {
            #[doc = #config_doc]
            pub fn config(url: &str) -> ClientConfig {
                let mut config = ClientConfig::new(url);
                config.namespace = super::NAMESPACE.into();
                #heartbeat
                #reconnect
                #recovery
                config
            }

            /// Starts connecting with `token` (sent as `auth.token`).
            pub fn connect(config: ClientConfig, token: impl Into<String>) -> Self {
                Self { inner: ::switchboard_runtime::client::Client::connect(config, token) }
            }

            /// Starts connecting; `provider` is asked for the token before every connect.
            pub fn connect_with_provider(config: ClientConfig, provider: impl TokenProvider) -> Self {
                Self { inner: ::switchboard_runtime::client::Client::connect_with_provider(config, provider) }
            }

            /// The untyped client: state, events, queue, token update.
            pub fn raw(&self) -> &::switchboard_runtime::client::Client {
                &self.inner
            }

            #( #methods )*
        }
    }
}
