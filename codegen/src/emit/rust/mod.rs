//! The Rust target: types, event constants, rooms and the socketioxide server, in one file that
//! a build script writes to OUT_DIR and the crate includes.

mod client;
mod server;
mod tokens;
mod types;

use super::EmitOptions;
use crate::output::GeneratedFile;
use crate::schema::ir::Catalogue;
use quote::quote;

/// Emits `rust/switchboard.rs`.
pub fn emit(c: &Catalogue, opts: &EmitOptions) -> GeneratedFile {
    let types = types::emit_types(c);
    let events = server::emit_events(c);
    let rooms = server::emit_rooms(c);
    let server = server::emit_server(c);
    let client = client::emit_client(c);
    let namespace = &c.namespace;
    let tokens = quote! {
        /// The catalogue's Socket.IO namespace: the server is mounted and broadcasts on it, the
        /// client connects to it.
        pub const NAMESPACE: &str = #namespace;

        /// Payload, ack and shared types, with serde renames to the exact wire names.
        #[allow(deprecated, clippy::all)]
        pub mod types {
            #types
        }

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
    };
    let file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| panic!("generated Rust does not parse: {e}"));
    let header: String = opts.header_lines(c, &[]).iter().map(|l| format!("// {l}\n")).collect();
    let mut contents = format!("{header}\n{}", prettyplease::unparse(&file));
    super::normalize(&mut contents);
    GeneratedFile { path: "rust/switchboard.rs".into(), contents }
}
