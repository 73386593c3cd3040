//! The construction and parsing of generated payload structs, as one macro call per type (a
//! table row) instead of a block of `new` and setters and serde's derived `Deserialize` in every
//! generated file.
//!
//! Why `Deserialize` is not derived: serde's derive expands to about 220 lines per struct (a
//! field enum and its visitor, a sequence visitor, a map visitor), which rustc type- and
//! borrow-checks for every type; at 1,000 events that was 61 % of the expanded crate and most
//! of its first build (issue 17). The row below expands to one call of [`de::read`] over a tuple
//! of typed slots, so the per-field work (matching the key, the slot, the missing-field rule)
//! is written once in [`de`] and checked once by rustc.

/// `new` with the required fields (each `impl Into`), the optional ones starting unset or at
/// their default, a `with_` setter per optional field, `Default` when nothing is required,
/// `Deserialize` from a JSON object and `Serialize` to one (each field by its wire name, through
/// its codec; keys written in catalogue order, given by `order [..]` when it is not the slots'
/// order, a `None` optional field left out). Adding an
/// optional field to the catalogue keeps `new`'s signature, so code that builds a payload keeps
/// compiling.
///
/// ```text
/// __fields!(Name { field: Ty = "wireName" [as Codec], .. }
///        optional { #[attrs] with_x x: Ty = "wireName" [as Codec], .. }              // starts as None
///        default { #[attrs] with_y y: Ty = "wireName" [as Codec] from default_fn, .. }); // starts at default_fn()
/// ```
///
/// Within a section, `;` separates groups of at most [`de::GROUP`] fields. The slots are a tuple
/// of groups, each a tuple of fields, and the runtime implements [`de::Slot`] for tuples of up
/// to `GROUP + 2` elements: the groups of an object of `GROUP * GROUP` fields (the most lowering
/// accepts) spread over three sections (the generator writes the groups).
///
/// A codec (a type in [`de`], `Plain` when none is named) reads the whole field: an optional
/// field's `Option<Ty>`, a required or defaulted field's `Ty`. Parsing follows serde's derive
/// for these attributes: unknown keys are ignored, a key given twice is an error, a missing
/// required field is an error unless its type is an `Option` (then `None`), a missing optional
/// field is `None` and a missing defaulted one `default_fn()`. Unlike the derive, a JSON array
/// is not taken for a struct (clients send objects; an array was accepted by position).
#[doc(hidden)]
#[macro_export]
macro_rules! __fields {
    (@impl $name:ident { $($($req:ident: $rty:ty = $rwire:literal $(as $rc:ident)?),+);* }
        $(optional { $($( $(#[$om:meta])* $opt_setter:ident $opt_field:ident: $oty:ty = $owire:literal $(as $oc:ident)? ),+);* })?
        $(default { $($( $(#[$dm:meta])* $def_setter:ident $def_field:ident: $dty:ty = $dwire:literal $(as $dc:ident)? from $dfn:ident ),+);* })?
        $(order [$($ord:literal),*])?
    ) => {
        impl $name {
            /// Builds the value from its required fields (see the module docs).
            pub fn new($($($req: impl ::core::convert::Into<$rty>),+),*) -> Self {
                Self {
                    $($($req: $req.into(),)+)*
                    $($($($opt_field: ::core::option::Option::None,)+)*)?
                    $($($($def_field: $dfn(),)+)*)?
                }
            }
            $($($(
                #[doc = concat!(" Sets `", $owire, "`.")]
                $(#[$om])*
                #[must_use]
                pub fn $opt_setter(mut self, value: impl ::core::convert::Into<$oty>) -> Self {
                    self.$opt_field = ::core::option::Option::Some(value.into());
                    self
                }
            )+)*)?
            $($($(
                #[doc = concat!(" Sets `", $dwire, "`.")]
                $(#[$dm])*
                #[must_use]
                pub fn $def_setter(mut self, value: impl ::core::convert::Into<$dty>) -> Self {
                    self.$def_field = value.into();
                    self
                }
            )+)*)?
        }

        // In an anonymous const: the slot types are named once for both impls.
        const _: () = {
            // One tuple per group of at most 16 fields of one section, in slot order: required,
            // optional, defaulted.
            type __Slots = (
                $(($($crate::__de::Req<$crate::__codec!($($rc)?), $rty>,)+),)*
                $($(($($crate::__de::Opt<$crate::__codec!($($oc)?), ::core::option::Option<$oty>>,)+),)*)?
                $($(($($crate::__de::Def<$crate::__codec!($($dc)?), $dty>,)+),)*)?
            );
            // The wire names in slot order.
            const FIELDS: &[&str] = &[$($($rwire,)+)* $($($($owire,)+)*)? $($($($dwire,)+)*)?];

            impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
                fn deserialize<__D: $crate::__private::serde::Deserializer<'de>>(d: __D) -> ::core::result::Result<Self, __D::Error> {
                    // One generic call reads the whole object into the slots; what is left here
                    // per field is a name in a pattern and in the struct literal (the parameter
                    // names are the field names: macro hygiene keeps them apart from `d`).
                    $crate::__de::deserialize::<__Slots, Self, __D>(d, stringify!($name), FIELDS, |($(($($req,)+),)* $($(($($opt_field,)+),)*)? $($(($($def_field,)+),)*)?)| $name {
                        $($($req,)+)*
                        $($($($opt_field,)+)*)?
                        $($($($def_field: $def_field.unwrap_or_else($dfn),)+)*)?
                    })
                }
            }

            impl $crate::__private::serde::Serialize for $name {
                fn serialize<__S: $crate::__private::serde::Serializer>(&self, s: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    // The catalogue's field order, as slot indices (none: the slot order).
                    const ORDER: &[usize] = &[$($($ord,)*)?];
                    $crate::__de::write::<__Slots, __S>(s, stringify!($name), FIELDS, ORDER, (
                        $(($(&self.$req,)+),)*
                        $($(($(&self.$opt_field,)+),)*)?
                        $($(($(&self.$def_field,)+),)*)?
                    ))
                }
            }
        };
    };
    ($name:ident {} $($rest:tt)*) => {
        $crate::__fields!(@impl $name {} $($rest)*);
        impl ::core::default::Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
    ($name:ident $($rest:tt)*) => {
        $crate::__fields!(@impl $name $($rest)*);
    };
}

/// `ALL`, `as_str`, `Display`, `Eq`, `Serialize`, `Deserialize` and an empty `Validate` for a
/// catalogue enum (a fieldless Rust enum whose variants are listed in order with their wire
/// values), as one row instead of an `impl` block and serde's derive in every generated file:
/// serde's derived `Deserialize` of an enum is a field enum and two visitors per type, which
/// rustc checks for every type; [`de::unit_enum`] is written once.
///
/// ```text
/// __enum!(Name { Variant = "wire", .. });
/// ```
///
/// Parsing and writing make serde's derive's calls (`deserialize_enum` with the variant names,
/// `serialize_unit_variant` with the index), so every format sees what it saw before.
#[doc(hidden)]
#[macro_export]
macro_rules! __enum {
    ($name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in catalogue order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact wire value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)+ }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Not derived: the derive's body only checks that a fieldless enum's fields are `Eq`.
        impl ::core::cmp::Eq for $name {}

        $crate::__no_checks!($name);

        const _: () = {
            // The wire values by variant index (the enum's discriminants: it sets none).
            const WIRES: &[&str] = &[$($wire),+];

            impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
                fn deserialize<__D: $crate::__private::serde::Deserializer<'de>>(d: __D) -> ::core::result::Result<Self, __D::Error> {
                    $crate::__de::unit_enum(d, stringify!($name), WIRES, $name::ALL)
                }
            }

            impl $crate::__private::serde::Serialize for $name {
                fn serialize<__S: $crate::__private::serde::Serializer>(&self, s: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    let i = *self as usize;
                    s.serialize_unit_variant(stringify!($name), i as u32, WIRES[i])
                }
            }
        };
    };
}

/// The codec type a field row names, `Plain` when it names none.
#[doc(hidden)]
#[macro_export]
macro_rules! __codec {
    () => { $crate::__de::Plain };
    ($c:ident) => { $crate::__de::$c };
}

/// The steps every generated `Deserialize` and `Serialize` shares (see [`__fields!`]).
pub mod de {
    use crate::wire::int64_string::Int64Strings;
    use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, Unexpected, VariantAccess, Visitor};
    use serde::ser::{SerializeStruct, Serializer};
    use serde::{Deserialize, Serialize};
    use std::fmt;
    use std::marker::PhantomData;

    /// How a field's value is read from the wire.
    pub trait Codec<'de, T> {
        /// Reads a present field.
        fn de<D: Deserializer<'de>>(d: D) -> Result<T, D::Error>;
        /// The value of a missing required field: an error (as serde's derive does for a field
        /// with `with`).
        fn missing<E: de::Error>(wire: &'static str) -> Result<T, E> {
            Err(E::missing_field(wire))
        }
    }

    /// The field type's own `Deserialize`.
    pub struct Plain;
    impl<'de, T: Deserialize<'de>> Codec<'de, T> for Plain {
        fn de<D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
            T::deserialize(d)
        }
        /// As serde's derive: a missing `Option` is `None`, anything else an error.
        fn missing<E: de::Error>(wire: &'static str) -> Result<T, E> {
            T::deserialize(Missing { wire, error: PhantomData })
        }
    }

    /// `int64` with `encoding: string` (see [`crate::wire::int64_string`]).
    pub struct I64s;
    impl<'de, T: Int64Strings> Codec<'de, T> for I64s {
        fn de<D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
            T::de(d)
        }
    }

    /// Optional and nullable: a present field is `Some(..)`, null `Some(None)` (see
    /// [`crate::wire::double_option`]).
    pub struct Nullable;
    impl<'de, T: Deserialize<'de>> Codec<'de, Option<Option<T>>> for Nullable {
        fn de<D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
            Option::<T>::deserialize(d).map(Some)
        }
    }

    /// [`Nullable`] with `int64` strings.
    pub struct I64sNullable;
    impl<'de, T: Int64Strings> Codec<'de, Option<Option<T>>> for I64sNullable {
        fn de<D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
            Option::<T>::de(d).map(Some)
        }
    }

    /// How a field's value is written (the codec's other half; `with` in serde's derive).
    pub trait Enc<T> {
        /// Writes the value.
        fn ser<S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error>;
    }
    impl<T: Serialize> Enc<T> for Plain {
        fn ser<S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            v.serialize(s)
        }
    }
    impl<T: Int64Strings> Enc<T> for I64s {
        fn ser<S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            v.ser(s)
        }
    }
    impl<T: Serialize> Enc<Option<Option<T>>> for Nullable {
        fn ser<S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
            crate::wire::double_option::serialize(v, s)
        }
    }
    impl<T: Int64Strings> Enc<Option<Option<T>>> for I64sNullable {
        fn ser<S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
            crate::wire::int64_string::double_option::serialize(v, s)
        }
    }

    /// A field's value with its codec, for `SerializeStruct::serialize_field`.
    struct Encoded<'a, C, T>(&'a T, PhantomData<C>);
    impl<C: Enc<T>, T> Serialize for Encoded<'_, C, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            C::ser(self.0, s)
        }
    }

    /// An object key, borrowed from the input when it can be.
    enum Key<'de> {
        /// Borrowed from the input.
        Borrowed(&'de str),
        /// Copied (an escaped key, or a reader's buffer).
        Owned(String),
    }

    impl Key<'_> {
        /// The key's text.
        fn as_str(&self) -> &str {
            match self {
                Key::Borrowed(s) => s,
                Key::Owned(s) => s,
            }
        }
    }

    struct KeySeed;
    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Key<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
            d.deserialize_identifier(KeySeed)
        }
    }
    impl<'de> Visitor<'de> for KeySeed {
        type Value = Key<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a field name")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
            Ok(Key::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
            Ok(Key::Owned(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
            Ok(Key::Owned(v))
        }
    }

    /// The next key of the object, `None` after the last.
    fn next_key<'de, A: MapAccess<'de>>(m: &mut A) -> Result<Option<Key<'de>>, A::Error> {
        m.next_key_seed(KeySeed)
    }

    struct Seed<C, T>(PhantomData<(C, T)>);
    impl<'de, C: Codec<'de, T>, T> DeserializeSeed<'de> for Seed<C, T> {
        type Value = T;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            C::de(d)
        }
    }

    /// Reads the value of a known key into its slot through its codec; a key given twice is an error.
    fn put<'de, C: Codec<'de, T>, T, A: MapAccess<'de>>(slot: &mut Option<T>, m: &mut A, wire: &'static str) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(de::Error::duplicate_field(wire));
        }
        *slot = Some(m.next_value_seed(Seed::<C, T>(PhantomData))?);
        Ok(())
    }

    /// Reads and drops the value of an unknown key.
    pub fn skip<'de, A: MapAccess<'de>>(m: &mut A) -> Result<(), A::Error> {
        m.next_value::<IgnoredAny>().map(drop)
    }

    /// The most fields in a group of slots (the generator splits longer sections with `;`).
    pub const GROUP: usize = 16;

    /// Where the fields of a struct being read are kept: one field (`Req`, `Opt`, `Def`), or a
    /// tuple of slots for consecutive fields. `fields` is always the names of this slot's own
    /// fields, in order, and `i` an index into them.
    pub trait Slot<'de> {
        /// How many fields this slot holds.
        const WIDTH: usize;
        /// The values once the object is read.
        type Out;
        /// Nothing read yet.
        fn empty() -> Self;
        /// Reads the value of field `i`; a key given twice is an error.
        fn put<A: MapAccess<'de>>(&mut self, i: usize, m: &mut A, fields: &'static [&'static str]) -> Result<(), A::Error>;
        /// The values, or the first missing required field's error (in field order, as serde's
        /// derive reports).
        fn finish<E: de::Error>(self, fields: &'static [&'static str]) -> Result<Self::Out, E>;
    }

    /// A required field: missing is its codec's answer (an error, or `None` for an `Option`).
    pub struct Req<C, T>(Option<T>, PhantomData<C>);
    /// An optional field (`T` is the field's `Option`): missing is `None`.
    pub struct Opt<C, T>(Option<T>, PhantomData<C>);
    /// A field with a default: missing is `None` here; the row applies its default function.
    pub struct Def<C, T>(Option<T>, PhantomData<C>);

    impl<'de, C: Codec<'de, T>, T> Slot<'de> for Req<C, T> {
        const WIDTH: usize = 1;
        type Out = T;
        fn empty() -> Self {
            Req(None, PhantomData)
        }
        fn put<A: MapAccess<'de>>(&mut self, _: usize, m: &mut A, fields: &'static [&'static str]) -> Result<(), A::Error> {
            put::<C, T, A>(&mut self.0, m, fields[0])
        }
        fn finish<E: de::Error>(self, fields: &'static [&'static str]) -> Result<T, E> {
            match self.0 {
                Some(v) => Ok(v),
                None => C::missing(fields[0]),
            }
        }
    }

    impl<'de, C: Codec<'de, T>, T: Default> Slot<'de> for Opt<C, T> {
        const WIDTH: usize = 1;
        type Out = T;
        fn empty() -> Self {
            Opt(None, PhantomData)
        }
        fn put<A: MapAccess<'de>>(&mut self, _: usize, m: &mut A, fields: &'static [&'static str]) -> Result<(), A::Error> {
            put::<C, T, A>(&mut self.0, m, fields[0])
        }
        fn finish<E: de::Error>(self, _: &'static [&'static str]) -> Result<T, E> {
            Ok(self.0.unwrap_or_default())
        }
    }

    impl<'de, C: Codec<'de, T>, T> Slot<'de> for Def<C, T> {
        const WIDTH: usize = 1;
        type Out = Option<T>;
        fn empty() -> Self {
            Def(None, PhantomData)
        }
        fn put<A: MapAccess<'de>>(&mut self, _: usize, m: &mut A, fields: &'static [&'static str]) -> Result<(), A::Error> {
            put::<C, T, A>(&mut self.0, m, fields[0])
        }
        fn finish<E: de::Error>(self, _: &'static [&'static str]) -> Result<Option<T>, E> {
            Ok(self.0)
        }
    }

    /// A tuple of slots holds its elements' fields one after the other.
    macro_rules! tuple_slot {
        ($( ($($n:tt $S:ident),*) )*) => {$(
            // The empty tuple's `()` is the unit value clippy would have written bare.
            #[allow(unused_variables, unused_assignments, unused_mut, clippy::unused_unit)]
            impl<'de, $($S: Slot<'de>),*> Slot<'de> for ($($S,)*) {
                const WIDTH: usize = 0 $(+ $S::WIDTH)*;
                type Out = ($($S::Out,)*);
                fn empty() -> Self {
                    ($($S::empty(),)*)
                }
                fn put<A: MapAccess<'de>>(&mut self, i: usize, m: &mut A, fields: &'static [&'static str]) -> Result<(), A::Error> {
                    let mut start = 0;
                    $(
                        let end = start + $S::WIDTH;
                        if i < end {
                            return self.$n.put(i - start, m, &fields[start..end]);
                        }
                        start = end;
                    )*
                    skip(m)
                }
                fn finish<E: de::Error>(self, fields: &'static [&'static str]) -> Result<Self::Out, E> {
                    let mut start = 0;
                    Ok(($({
                        let end = start + $S::WIDTH;
                        let v = self.$n.finish(&fields[start..end])?;
                        start = end;
                        v
                    },)*))
                }
            }

            #[allow(unused_variables, unused_assignments, unused_mut, clippy::unused_unit)]
            impl<$($S: Write),*> Write for ($($S,)*) {
                const WIDTH: usize = 0 $(+ $S::WIDTH)*;
                type Ref<'a> = ($($S::Ref<'a>,)*) where Self: 'a;
                fn count(r: &Self::Ref<'_>) -> usize {
                    0 $(+ $S::count(&r.$n))*
                }
                fn write<St: SerializeStruct>(r: &Self::Ref<'_>, i: usize, st: &mut St, fields: &'static [&'static str]) -> Result<(), St::Error> {
                    let mut start = 0;
                    $(
                        let end = start + $S::WIDTH;
                        if i < end {
                            return $S::write(&r.$n, i - start, st, &fields[start..end]);
                        }
                        start = end;
                    )*
                    Ok(())
                }
            }
        )*};
    }
    tuple_slot! {
        ()
        (0 S0)
        (0 S0, 1 S1)
        (0 S0, 1 S1, 2 S2)
        (0 S0, 1 S1, 2 S2, 3 S3)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12, 13 S13)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12, 13 S13, 14 S14)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12, 13 S13, 14 S14, 15 S15)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12, 13 S13, 14 S14, 15 S15, 16 S16)
        (0 S0, 1 S1, 2 S2, 3 S3, 4 S4, 5 S5, 6 S6, 7 S7, 8 S8, 9 S9, 10 S10, 11 S11, 12 S12, 13 S13, 14 S14, 15 S15, 16 S16, 17 S17)
    }

    /// The writing side of a [`Slot`]: `Ref` borrows the fields it holds from the struct, and
    /// `write` writes field `i` of them.
    pub trait Write {
        /// How many fields this slot holds.
        const WIDTH: usize;
        /// The borrowed fields.
        type Ref<'a>
        where
            Self: 'a;
        /// How many of the fields are written (a `None` optional field is skipped).
        fn count(r: &Self::Ref<'_>) -> usize;
        /// Writes field `i` (`fields` names this slot's own fields).
        fn write<St: SerializeStruct>(r: &Self::Ref<'_>, i: usize, st: &mut St, fields: &'static [&'static str]) -> Result<(), St::Error>;
    }

    /// A required and a defaulted field are always written.
    macro_rules! always_written {
        ($($slot:ident),*) => {$(
            impl<C: Enc<T>, T> Write for $slot<C, T> {
                const WIDTH: usize = 1;
                type Ref<'a>
                    = &'a T
                where
                    Self: 'a;
                fn count(_: &&T) -> usize {
                    1
                }
                fn write<St: SerializeStruct>(r: &&T, _: usize, st: &mut St, fields: &'static [&'static str]) -> Result<(), St::Error> {
                    st.serialize_field(fields[0], &Encoded::<C, T>(r, PhantomData))
                }
            }
        )*};
    }
    always_written!(Req, Def);

    /// As serde's `skip_serializing_if = "Option::is_none"`: `None` is not written.
    impl<C: Enc<Option<T>>, T> Write for Opt<C, Option<T>> {
        const WIDTH: usize = 1;
        type Ref<'a>
            = &'a Option<T>
        where
            Self: 'a;
        fn count(r: &&Option<T>) -> usize {
            usize::from(r.is_some())
        }
        fn write<St: SerializeStruct>(r: &&Option<T>, _: usize, st: &mut St, fields: &'static [&'static str]) -> Result<(), St::Error> {
            match r {
                None => st.skip_field(fields[0]),
                Some(_) => st.serialize_field(fields[0], &Encoded::<C, Option<T>>(r, PhantomData)),
            }
        }
    }

    /// Writes a struct whose fields are the slots `S` (borrowed in `r`) and are named by `fields`
    /// in slot order; `order` is the catalogue's order of the fields as slot indices, empty when
    /// it is the slot order. The same calls as serde's derive: `serialize_struct` with the number
    /// of written fields, `serialize_field` or `skip_field` per field, `end`.
    pub fn write<S: Write, Ser: Serializer>(s: Ser, name: &'static str, fields: &'static [&'static str], order: &'static [usize], r: S::Ref<'_>) -> Result<Ser::Ok, Ser::Error> {
        let mut st = s.serialize_struct(name, S::count(&r))?;
        if order.is_empty() {
            for i in 0..S::WIDTH {
                S::write(&r, i, &mut st, fields)?;
            }
        } else {
            for &i in order {
                S::write(&r, i, &mut st, fields)?;
            }
        }
        st.end()
    }

    /// Deserializes the struct `name` whose fields are the slots `S` (named by `fields`) and
    /// which `build` makes from their values: one visitor for every generated struct, instead of
    /// a visitor type and its impl per struct.
    pub fn deserialize<'de, S: Slot<'de>, T, D: Deserializer<'de>>(d: D, name: &'static str, fields: &'static [&'static str], build: fn(S::Out) -> T) -> Result<T, D::Error> {
        d.deserialize_struct(name, fields, Row::<S, S::Out, T> { name, fields, build, slots: PhantomData })
    }

    /// The visitor of [`deserialize`].
    struct Row<S, O, T> {
        name: &'static str,
        fields: &'static [&'static str],
        build: fn(O) -> T,
        slots: PhantomData<fn() -> S>,
    }
    impl<'de, S: Slot<'de, Out = O>, O, T> Visitor<'de> for Row<S, O, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "struct {}", self.name)
        }
        fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<T, A::Error> {
            read::<S, A>(m, self.fields).map(self.build)
        }
    }

    /// Reads an object into the slots `S`, whose fields are named by `fields` in order; unknown
    /// keys are skipped. One generic function for every struct: what the derive wrote per field
    /// (a match arm, a slot, a missing check) is here once.
    pub fn read<'de, S: Slot<'de>, A: MapAccess<'de>>(mut m: A, fields: &'static [&'static str]) -> Result<S::Out, A::Error> {
        let mut slots = S::empty();
        while let Some(k) = next_key(&mut m)? {
            let k = k.as_str();
            match fields.iter().position(|f| *f == k) {
                Some(i) => slots.put(i, &mut m, fields)?,
                None => skip(&mut m)?,
            }
        }
        slots.finish(fields)
    }

    /// Reads a fieldless enum named `name` whose variants' wire values are `wires` and whose
    /// values are `all` (both in variant order), with the calls serde's derive makes: the
    /// variant by name (or by index, for formats that write one), then a unit variant.
    pub fn unit_enum<'de, D: Deserializer<'de>, T: Copy + 'static>(d: D, name: &'static str, wires: &'static [&'static str], all: &'static [T]) -> Result<T, D::Error> {
        struct Enum<T: 'static> {
            name: &'static str,
            wires: &'static [&'static str],
            all: &'static [T],
        }
        impl<'de, T: Copy> Visitor<'de> for Enum<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "enum {}", self.name)
            }
            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
                let (i, variant) = data.variant_seed(VariantIndex(self.wires))?;
                variant.unit_variant()?;
                // `VariantIndex` gives only indices below `wires.len()`, which is `all.len()`.
                self.all.get(i).copied().ok_or_else(|| de::Error::custom("variant index out of range"))
            }
        }
        d.deserialize_enum(name, wires, Enum { name, wires, all })
    }

    /// A variant's index from its wire value (or its index), as the derive's field visitor.
    struct VariantIndex(&'static [&'static str]);
    impl<'de> DeserializeSeed<'de> for VariantIndex {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_identifier(self)
        }
    }
    impl<'de> Visitor<'de> for VariantIndex {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("variant identifier")
        }
        fn visit_u64<E: de::Error>(self, i: u64) -> Result<usize, E> {
            match usize::try_from(i) {
                Ok(i) if i < self.0.len() => Ok(i),
                _ => Err(E::invalid_value(Unexpected::Unsigned(i), &format!("variant index 0 <= i < {}", self.0.len()).as_str())),
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
            self.0.iter().position(|w| *w == v).ok_or_else(|| E::unknown_variant(v, self.0))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<usize, E> {
            match self.0.iter().position(|w| w.as_bytes() == v) {
                Some(i) => Ok(i),
                None => Err(E::unknown_variant(&String::from_utf8_lossy(v), self.0)),
            }
        }
    }

    /// The input of a missing field: `None` for an `Option`, `missing field` for the rest.
    struct Missing<E> {
        wire: &'static str,
        error: PhantomData<E>,
    }
    impl<'de, E: de::Error> Deserializer<'de> for Missing<E> {
        type Error = E;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
            Err(E::missing_field(self.wire))
        }
        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
            visitor.visit_none()
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }
}

#[cfg(test)]
mod tests {
    // The rows write constructors and setters that not every test calls; `Wide::new` takes 17.
    #![allow(dead_code, clippy::too_many_arguments)]
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

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
    crate::__fields!(Payload { id: String = "id", r#type: i64 = "type" } optional { with_note note: String = "note" }
        default { #[deprecated] with_size size: u32 = "size" from ten });

    #[derive(Debug, PartialEq)]
    struct Empty {
        note: Option<String>,
    }
    crate::__fields!(Empty {} optional { with_note note: String = "note" });

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

    // The same shape twice: `Row` parsed by the row's `Deserialize`, `Derived` by serde's derive
    // with the attributes the generator wrote before. Both must agree on every input.
    #[derive(Debug, PartialEq, Clone)]
    struct Inner {
        count: i64,
    }
    crate::__fields!(Inner { count: i64 = "count" });

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct InnerDerived {
        count: i64,
    }

    fn seven() -> i64 {
        7
    }

    #[derive(Debug, PartialEq)]
    struct Row {
        user_id: String,
        maybe: Option<String>,
        big: i64,
        bigs: Vec<i64>,
        items: Vec<Inner>,
        note: Option<String>,
        gone: Option<Option<String>>,
        big_gone: Option<Option<i64>>,
        limit: i64,
        big_limit: i64,
        tags: Option<BTreeMap<String, i64>>,
    }
    fn big_seven() -> i64 {
        7
    }
    crate::__fields!(Row { user_id: String = "userId", maybe: Option<String> = "maybe", big: i64 = "big" as I64s,
            bigs: Vec<i64> = "bigs" as I64s, items: Vec<Inner> = "items" }
        optional { with_note note: String = "note", with_gone gone: Option<String> = "gone" as Nullable,
            with_big_gone big_gone: Option<i64> = "bigGone" as I64sNullable, with_tags tags: BTreeMap<String, i64> = "tags" as I64s }
        default { with_limit limit: i64 = "limit" from seven, with_big_limit big_limit: i64 = "bigLimit" as I64s from big_seven }
        order [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 8]
        );

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Derived {
        user_id: String,
        maybe: Option<String>,
        #[serde(with = "crate::wire::int64_string")]
        big: i64,
        #[serde(with = "crate::wire::int64_string")]
        bigs: Vec<i64>,
        items: Vec<InnerDerived>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::wire::double_option")]
        gone: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::wire::int64_string::double_option")]
        big_gone: Option<Option<i64>>,
        #[serde(default = "seven")]
        limit: i64,
        #[serde(default = "big_seven", with = "crate::wire::int64_string")]
        big_limit: i64,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::wire::int64_string")]
        tags: Option<BTreeMap<String, i64>>,
    }

    /// What writing a parsed value gives, as text and as a `Value` (the two serializers the
    /// server uses); `None` when `json` does not parse.
    fn written<T: for<'de> Deserialize<'de> + Serialize>(json: &str) -> Option<(String, serde_json::Value)> {
        let v: T = serde_json::from_str(json).ok()?;
        Some((serde_json::to_string(&v).unwrap(), serde_json::to_value(&v).unwrap()))
    }

    /// What a parse gave, in a form both types share: the value as debug text with the type
    /// names made equal, or the error's path and message as the server reports them.
    fn outcome<T: for<'de> Deserialize<'de> + std::fmt::Debug>(json: &str) -> Result<String, (String, String)> {
        let mut de = serde_json::Deserializer::from_str(json);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => Ok(format!("{v:?}").replace("InnerDerived", "Inner").replace("Derived", "Row")),
            Err(e) => Err((e.path().to_string(), e.into_inner().to_string().replace("Derived", "Row"))),
        }
    }

    fn outcome_value<T: for<'de> Deserialize<'de> + std::fmt::Debug>(json: &str) -> Result<String, (String, String)> {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(v) => Ok(format!("{v:?}").replace("InnerDerived", "Inner").replace("Derived", "Row")),
            Err(e) => Err((e.path().to_string(), e.into_inner().to_string().replace("Derived", "Row"))),
        }
    }

    #[test]
    fn the_row_parses_as_serdes_derive_did() {
        let cases = [
            r#"{"userId":"u","maybe":null,"big":"12","bigs":["1","-2"],"items":[{"count":1}]}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[],"note":"n","gone":null,"bigGone":"5","limit":3,"bigLimit":"9","tags":{"a":"1"}}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[],"gone":"x","bigGone":null,"note":null,"tags":null}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[],"unknown":{"deep":[1,2,{"x":null}]},"other":3}"#,
            r#"{"big":"12","bigs":[],"items":[]}"#,
            r#"{"userId":"u","bigs":[],"items":[]}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[{"count":"no"}]}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[{}]}"#,
            r#"{"userId":"u","big":"x12","bigs":[],"items":[]}"#,
            r#"{"userId":"u","big":12,"bigs":[],"items":[]}"#,
            r#"{"userId":"u","big":"12","bigs":["1","b"],"items":[]}"#,
            r#"{"userId":7,"big":"12","bigs":[],"items":[]}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[],"limit":null}"#,
            r#"{"userId":"u","big":"12","bigs":[],"items":[],"tags":{"a":"z"}}"#,
            r#"{"user\u0049d":"u","big":"12","bigs":[],"items":[]}"#,
            r#"null"#,
            r#""text""#,
            r#"{}"#,
        ];
        let mut written_cases = 0;
        for json in cases {
            assert_eq!(outcome::<Row>(json), outcome::<Derived>(json), "from text: {json}");
            assert_eq!(outcome_value::<Row>(json), outcome_value::<Derived>(json), "from a Value: {json}");
            // Writing: the same text, keys in the same order, the same fields skipped.
            assert_eq!(written::<Row>(json), written::<Derived>(json), "written: {json}");
            written_cases += usize::from(written::<Row>(json).is_some());
        }
        assert!(written_cases >= 4, "values were written: {written_cases}");
        // A key given twice (only text can hold one).
        let twice = r#"{"userId":"u","userId":"v","big":"12","bigs":[],"items":[]}"#;
        assert_eq!(outcome::<Row>(twice), outcome::<Derived>(twice));
        assert!(outcome::<Row>(twice).is_err());
    }

    #[test]
    fn the_row_reads_every_field_shape() {
        let json = r#"{"userId":"u","big":"12","bigs":["3"],"items":[{"count":2}],"gone":null,"bigGone":"5","tags":{"k":"4"}}"#;
        let row: Row = serde_json::from_str(json).unwrap();
        assert_eq!(row.maybe, None);
        assert_eq!((row.big, row.bigs.as_slice(), row.items[0].count), (12, &[3][..], 2));
        assert_eq!((row.note, row.gone, row.big_gone), (None, Some(None), Some(Some(5))));
        assert_eq!((row.limit, row.big_limit), (7, 7));
        assert_eq!(row.tags.unwrap()["k"], 4);
    }

    // More fields than one tuple of slots holds: the generator splits each section into groups
    // of at most `GROUP` with `;`.
    #[derive(Debug, PartialEq)]
    struct Wide { r0: i64, r1: i64, r2: i64, r3: i64, r4: i64, r5: i64, r6: i64, r7: i64, r8: i64, r9: i64, r10: i64, r11: i64, r12: i64, r13: i64, r14: i64, r15: i64, r16: i64, o0: Option<i64>, o1: Option<i64>, o2: Option<i64>, o3: Option<i64>, o4: Option<i64>, o5: Option<i64>, o6: Option<i64>, o7: Option<i64>, o8: Option<i64>, o9: Option<i64>, o10: Option<i64>, o11: Option<i64>, o12: Option<i64>, o13: Option<i64>, o14: Option<i64>, o15: Option<i64>, o16: Option<i64>, d: i64, }
    crate::__fields!(Wide { r0: i64 = "r0", r1: i64 = "r1", r2: i64 = "r2", r3: i64 = "r3", r4: i64 = "r4", r5: i64 = "r5", r6: i64 = "r6", r7: i64 = "r7", r8: i64 = "r8", r9: i64 = "r9", r10: i64 = "r10", r11: i64 = "r11", r12: i64 = "r12", r13: i64 = "r13", r14: i64 = "r14", r15: i64 = "r15"; r16: i64 = "r16" } optional { with_o0 o0: i64 = "o0", with_o1 o1: i64 = "o1", with_o2 o2: i64 = "o2", with_o3 o3: i64 = "o3", with_o4 o4: i64 = "o4", with_o5 o5: i64 = "o5", with_o6 o6: i64 = "o6", with_o7 o7: i64 = "o7", with_o8 o8: i64 = "o8", with_o9 o9: i64 = "o9", with_o10 o10: i64 = "o10", with_o11 o11: i64 = "o11", with_o12 o12: i64 = "o12", with_o13 o13: i64 = "o13", with_o14 o14: i64 = "o14", with_o15 o15: i64 = "o15"; with_o16 o16: i64 = "o16" } default { with_d d: i64 = "d" from seven });

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct WideDerived { r0: i64, r1: i64, r2: i64, r3: i64, r4: i64, r5: i64, r6: i64, r7: i64, r8: i64, r9: i64, r10: i64, r11: i64, r12: i64, r13: i64, r14: i64, r15: i64, r16: i64, #[serde(default, skip_serializing_if = "Option::is_none")] o0: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o1: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o2: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o3: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o4: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o5: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o6: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o7: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o8: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o9: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o10: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o11: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o12: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o13: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o14: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o15: Option<i64>, #[serde(default, skip_serializing_if = "Option::is_none")] o16: Option<i64>, #[serde(default = "seven")] d: i64, }

    #[test]
    fn groups_of_slots_parse_as_one_struct() {
        let all: Vec<String> = (0..17).map(|i| format!("\"r{i}\":{i}")).collect();
        let all = all.join(",");
        let cases = [
            format!("{{{all}}}"),
            format!("{{{all},\"o16\":5,\"o0\":1,\"d\":2,\"x\":[1]}}"),
            format!("{{{all},\"o16\":\"no\"}}"),
            format!("{{{all},\"r16\":1}}"),
            format!("{{{all},\"o15\":1,\"o15\":2}}"),
            "{\"r0\":0}".to_string(),
            format!("{{{}}}", all.replace("\"r3\":3,", "").replace(",\"r16\":16", "")),
        ];
        for json in &cases {
            // `outcome` names the derived type `WideRow`.
            let derived = outcome::<WideDerived>(json).map(|v| v.replace("WideRow", "Wide")).map_err(|e| (e.0, e.1.replace("WideRow", "Wide")));
            assert_eq!(outcome::<Wide>(json), derived, "{json}");
            assert_eq!(written::<Wide>(json), written::<WideDerived>(json), "written: {json}");
        }
        let wide: Wide = serde_json::from_str(&cases[1]).unwrap();
        assert_eq!((wide.r16, wide.o0, wide.o16, wide.d), (16, Some(1), Some(5), 2));
        assert!(outcome::<Wide>(&cases[3]).unwrap_err().1.contains("duplicate field `r16`"));
        assert!(outcome::<Wide>(&cases[6]).unwrap_err().1.contains("missing field `r3`"));
    }

    // An enum as a row and as serde's derive with the attributes the generator wrote before.
    #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Ord)]
    enum Status {
        Failed,
        InReview,
        Odd,
    }
    crate::__enum!(Status { Failed = "failed", InReview = "in_review", Odd = "ODD-one" });

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
    #[serde(rename_all = "snake_case")]
    enum StatusDerived {
        Failed,
        InReview,
        #[serde(rename = "ODD-one")]
        Odd,
    }

    #[test]
    fn the_enum_row_parses_and_writes_as_serdes_derive_did() {
        let same = |s: String| s.replace("StatusDerived", "Status");
        let cases = [
            r#""failed""#, r#""in_review""#, r#""ODD-one""#, r#""Failed""#, r#""""#, r#""in_revie""#, "0", "2", "3",
            "-1", "1.5", "null", "true", "[]", r#"["failed"]"#, "{}", r#"{"failed":null}"#, r#"{"failed":1}"#,
            r#"{"odd":null}"#, r#"{"failed":null,"odd":null}"#,
            // As map keys and in a list: the same calls through serde_json's key and seq access.
            r#"{"failed":1,"ODD-one":2}"#, r#"{"nope":1}"#,
        ];
        for json in cases {
            assert_eq!(outcome::<Status>(json).map(same), outcome::<StatusDerived>(json).map(same).map_err(|e| (e.0, same(e.1))), "from text: {json}");
            assert_eq!(outcome_value::<Status>(json).map(same), outcome_value::<StatusDerived>(json).map(same).map_err(|e| (e.0, same(e.1))), "from a Value: {json}");
            let list = format!("[{json}]");
            assert_eq!(outcome::<Vec<Status>>(&list).map(same), outcome::<Vec<StatusDerived>>(&list).map(same).map_err(|e| (e.0, same(e.1))), "in a list: {list}");
            assert_eq!(outcome::<BTreeMap<Status, i64>>(json).map(same), outcome::<BTreeMap<StatusDerived, i64>>(json).map(same).map_err(|e| (e.0, same(e.1))), "as keys: {json}");
            assert_eq!(written::<Status>(json), written::<StatusDerived>(json), "written: {json}");
            assert_eq!(written::<BTreeMap<Status, i64>>(json), written::<BTreeMap<StatusDerived, i64>>(json), "written keys: {json}");
        }
        assert!(outcome::<Status>(r#""Failed""#).unwrap_err().1.starts_with("unknown variant `Failed`, expected one of `failed`, `in_review`, `ODD-one`"));
        assert_eq!(serde_json::to_string(&Status::ALL).unwrap(), r#"["failed","in_review","ODD-one"]"#);
        assert_eq!((Status::Odd.as_str(), Status::InReview.to_string()), ("ODD-one", "in_review".to_string()));
        // Formats that name variants by index, or give another type (serde's value deserializers).
        use serde::de::{value, IntoDeserializer};
        let index = |i: u32| (format!("{:?}", Status::deserialize(i.into_deserializer()) as Result<_, value::Error>), format!("{:?}", StatusDerived::deserialize(i.into_deserializer()) as Result<_, value::Error>).replace("StatusDerived", "Status"));
        for i in [0, 2, 3, 9] {
            let (row, derived) = index(i);
            assert_eq!(row, derived, "index {i}");
        }
        let other: Result<Status, value::Error> = Status::deserialize(5i32.into_deserializer());
        let other_derived: Result<StatusDerived, value::Error> = StatusDerived::deserialize(5i32.into_deserializer());
        assert_eq!(format!("{other:?}"), format!("{other_derived:?}").replace("StatusDerived", "Status"));
        assert!(format!("{other:?}").contains("expected enum Status"), "{other:?}");
    }

    #[test]
    fn an_array_is_not_a_struct() {
        let err = outcome::<Inner>("[1]").unwrap_err();
        assert_eq!(err.1, "invalid type: sequence, expected struct Inner at line 1 column 1");
    }
}
