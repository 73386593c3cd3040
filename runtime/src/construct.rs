//! The construction path of generated payload types, as one macro call per type (a table row)
//! instead of a block of `new` and setters in every generated file.

/// `new` with the required fields (each `impl Into`), the optional ones starting unset or at
/// their default, a `with_` setter per optional field, and `Default` when nothing is required.
/// Adding an optional field to the catalogue keeps `new`'s signature, so code that builds a
/// payload keeps compiling.
///
/// ```text
/// __new!(Name { field: Ty, .. }
///        optional { #[attrs] with_x x: Ty = "wireName", .. }              // starts as None
///        default { #[attrs] with_y y: Ty = "wireName" from default_fn, .. }); // starts at default_fn()
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __new {
    (@impl $name:ident { $($req:ident: $rty:ty),* }
        $(optional { $( $(#[$om:meta])* $opt_setter:ident $opt_field:ident: $oty:ty = $owire:literal ),* })?
        $(default { $( $(#[$dm:meta])* $def_setter:ident $def_field:ident: $dty:ty = $dwire:literal from $dfn:ident ),* })?
    ) => {
        impl $name {
            /// Builds the value from its required fields (see the module docs).
            pub fn new($($req: impl ::core::convert::Into<$rty>),*) -> Self {
                Self {
                    $($req: $req.into(),)*
                    $($($opt_field: ::core::option::Option::None,)*)?
                    $($($def_field: $dfn(),)*)?
                }
            }
            $($(
                #[doc = concat!(" Sets `", $owire, "`.")]
                $(#[$om])*
                #[must_use]
                pub fn $opt_setter(mut self, value: impl ::core::convert::Into<$oty>) -> Self {
                    self.$opt_field = ::core::option::Option::Some(value.into());
                    self
                }
            )*)?
            $($(
                #[doc = concat!(" Sets `", $dwire, "`.")]
                $(#[$dm])*
                #[must_use]
                pub fn $def_setter(mut self, value: impl ::core::convert::Into<$dty>) -> Self {
                    self.$def_field = value.into();
                    self
                }
            )*)?
        }
    };
    ($name:ident {} $($rest:tt)*) => {
        $crate::__new!(@impl $name {} $($rest)*);
        impl ::core::default::Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
    ($name:ident $($rest:tt)*) => {
        $crate::__new!(@impl $name $($rest)*);
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq)]
    struct Payload {
        id: String,
        r#type: i64,
        note: Option<String>,
        size: u32,
    }
    fn ten() -> u32 {
        10
    }
    crate::__new!(Payload { id: String, r#type: i64 } optional { with_note note: String = "note" }
        default { #[deprecated] with_size size: u32 = "size" from ten });

    #[derive(Debug, PartialEq)]
    struct Empty {
        note: Option<String>,
    }
    crate::__new!(Empty {} optional { with_note note: String = "note" });

    #[test]
    fn new_takes_the_required_fields_and_setters_the_rest() {
        let p = Payload::new("a", 3);
        assert_eq!(p, Payload { id: "a".into(), r#type: 3, note: None, size: 10 });
        #[allow(deprecated)]
        let p = p.with_note("hi").with_size(4u32);
        assert_eq!((p.note.as_deref(), p.size), (Some("hi"), 4));
    }

    #[test]
    fn nothing_required_gives_default() {
        assert_eq!(Empty::default(), Empty { note: None });
        assert_eq!(Empty::default().with_note("x").note.as_deref(), Some("x"));
    }
}
