//! One declaration for a set of counters: the struct of atomics the hot path writes, the plain
//! snapshot readers get, and `snapshot()` between them. Written once so a counter cannot be added
//! to one side and forgotten on the other (the client's `Stats` and the server's `Metrics` use it).

/// Declares `$name` (one `AtomicU64` per field, `$fvis`), `$snap` (one `u64` per field, public,
/// serializable) and `$name::snapshot()`. Field docs go on both structs.
#[allow(unused_macros)] // used only by the `server` and `client` features
macro_rules! counters {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident [$fvis:vis] {
            $( $(#[$fmeta:meta])* $field:ident, )*
        }
        $(#[$smeta:meta])*
        snapshot $snap:ident;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: ::std::sync::atomic::AtomicU64, )*
        }

        $(#[$smeta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ::serde::Serialize)]
        $vis struct $snap {
            $( $(#[$fmeta])* pub $field: u64, )*
        }

        impl $name {
            /// Reads every counter (each on its own: two counters may be a few events apart).
            pub fn snapshot(&self) -> $snap {
                $snap { $( $field: self.$field.load(::std::sync::atomic::Ordering::Relaxed), )* }
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use counters;
