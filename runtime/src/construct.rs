//! The construction and parsing of generated payload structs, as one macro call per type (a
//! table row) instead of a block of `new` and setters and serde's derived `Deserialize` in every
//! generated file.
//!
//! Why `Deserialize` is not derived: serde's derive expands to about 220 lines per struct (a
//! field enum and its visitor, a sequence visitor, a map visitor), which rustc type- and
//! borrow-checks for every type; at 1,000 events that was 61 % of the expanded crate and most
//! of its first build (issue 17). The row below expands to one map loop with one line per
//! field, and the shared steps live once in [`de`].

/// `new` with the required fields (each `impl Into`), the optional ones starting unset or at
/// their default, a `with_` setter per optional field, `Default` when nothing is required, and
/// `Deserialize` from a JSON object (each field by its wire name, through its codec). Adding an
/// optional field to the catalogue keeps `new`'s signature, so code that builds a payload keeps
/// compiling.
///
/// ```text
/// __fields!(Name { field: Ty = "wireName" [as Codec], .. }
///        optional { #[attrs] with_x x: Ty = "wireName" [as Codec], .. }              // starts as None
///        default { #[attrs] with_y y: Ty = "wireName" [as Codec] from default_fn, .. }); // starts at default_fn()
/// ```
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
    (@impl $name:ident { $($req:ident: $rty:ty = $rwire:literal $(as $rc:ident)?),* }
        $(optional { $( $(#[$om:meta])* $opt_setter:ident $opt_field:ident: $oty:ty = $owire:literal $(as $oc:ident)? ),* })?
        $(default { $( $(#[$dm:meta])* $def_setter:ident $def_field:ident: $dty:ty = $dwire:literal $(as $dc:ident)? from $dfn:ident ),* })?
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

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<__D: $crate::__private::serde::Deserializer<'de>>(d: __D) -> ::core::result::Result<Self, __D::Error> {
                // Named with `__` so a catalogue type cannot be shadowed by it (items are not hygienic).
                struct __Visitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for __Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    fn visit_map<__A: $crate::__private::serde::de::MapAccess<'de>>(self, mut m: __A) -> ::core::result::Result<$name, __A::Error> {
                        // The locals are the field names: macro hygiene keeps them apart from `m` and `k`.
                        $(let mut $req: ::core::option::Option<$rty> = ::core::option::Option::None;)*
                        $($(let mut $opt_field: ::core::option::Option<::core::option::Option<$oty>> = ::core::option::Option::None;)*)?
                        $($(let mut $def_field: ::core::option::Option<$dty> = ::core::option::Option::None;)*)?
                        // One `?` per step, not per field: every early return drops every slot, so a
                        // `?` per field made the function's MIR (and its check) grow with fields squared.
                        while let ::core::option::Option::Some(k) = $crate::__de::next_key(&mut m)? {
                            match k.as_str() {
                                $($rwire => $crate::__de::put::<$crate::__codec!($($rc)?), _, _>(&mut $req, &mut m, $rwire),)*
                                $($($owire => $crate::__de::put::<$crate::__codec!($($oc)?), _, _>(&mut $opt_field, &mut m, $owire),)*)?
                                $($($dwire => $crate::__de::put::<$crate::__codec!($($dc)?), _, _>(&mut $def_field, &mut m, $dwire),)*)?
                                _ => $crate::__de::skip(&mut m),
                            }?;
                        }
                        match ($($crate::__de::required::<$crate::__codec!($($rc)?), _, _>($req, $rwire),)*) {
                            ($(::core::result::Result::Ok($req),)*) => ::core::result::Result::Ok($name {
                                $($req,)*
                                $($($opt_field: $opt_field.unwrap_or_default(),)*)?
                                $($($def_field: $def_field.unwrap_or_else($dfn),)*)?
                            }),
                            #[allow(unreachable_patterns)]
                            ($($req,)*) => ::core::result::Result::Err($crate::__de::first_error([$($req.err(),)*])),
                        }
                    }
                }
                const FIELDS: &[&str] = &[$($rwire,)* $($($owire,)*)? $($($dwire,)*)?];
                d.deserialize_struct(stringify!($name), FIELDS, __Visitor)
            }
        }
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

/// The codec type a field row names, `Plain` when it names none.
#[doc(hidden)]
#[macro_export]
macro_rules! __codec {
    () => { $crate::__de::Plain };
    ($c:ident) => { $crate::__de::$c };
}

/// The steps every generated `Deserialize` shares (see [`__fields!`]).
pub mod de {
    use crate::wire::int64_string::Int64Strings;
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde::Deserialize;
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

    /// An object key, borrowed from the input when it can be.
    pub enum Key<'de> {
        /// Borrowed from the input.
        Borrowed(&'de str),
        /// Copied (an escaped key, or a reader's buffer).
        Owned(String),
    }

    impl Key<'_> {
        /// The key's text.
        pub fn as_str(&self) -> &str {
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
    pub fn next_key<'de, A: MapAccess<'de>>(m: &mut A) -> Result<Option<Key<'de>>, A::Error> {
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
    pub fn put<'de, C: Codec<'de, T>, T, A: MapAccess<'de>>(slot: &mut Option<T>, m: &mut A, wire: &'static str) -> Result<(), A::Error> {
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

    /// A required field's value, or its codec's answer for a missing one.
    pub fn required<'de, C: Codec<'de, T>, T, E: de::Error>(slot: Option<T>, wire: &'static str) -> Result<T, E> {
        match slot {
            Some(v) => Ok(v),
            None => C::missing(wire),
        }
    }

    /// The first of the errors of a struct's required fields (at least one is an error).
    pub fn first_error<E: de::Error, const N: usize>(errors: [Option<E>; N]) -> E {
        errors.into_iter().flatten().next().unwrap_or_else(|| E::custom("a required field was refused"))
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
    // The rows write constructors and setters that not every test calls.
    #![allow(dead_code)]
    use serde::Deserialize;
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

    #[derive(Debug, PartialEq, Deserialize)]
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
        default { with_limit limit: i64 = "limit" from seven, with_big_limit big_limit: i64 = "bigLimit" as I64s from big_seven });

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Derived {
        user_id: String,
        maybe: Option<String>,
        #[serde(with = "crate::wire::int64_string")]
        big: i64,
        #[serde(with = "crate::wire::int64_string")]
        bigs: Vec<i64>,
        items: Vec<InnerDerived>,
        #[serde(default)]
        note: Option<String>,
        #[serde(default, with = "crate::wire::double_option")]
        gone: Option<Option<String>>,
        #[serde(default, with = "crate::wire::int64_string::double_option")]
        big_gone: Option<Option<i64>>,
        #[serde(default = "seven")]
        limit: i64,
        #[serde(default = "big_seven", with = "crate::wire::int64_string")]
        big_limit: i64,
        #[serde(default, with = "crate::wire::int64_string")]
        tags: Option<BTreeMap<String, i64>>,
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
        for json in cases {
            assert_eq!(outcome::<Row>(json), outcome::<Derived>(json), "from text: {json}");
            assert_eq!(outcome_value::<Row>(json), outcome_value::<Derived>(json), "from a Value: {json}");
        }
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

    #[test]
    fn an_array_is_not_a_struct() {
        let err = outcome::<Inner>("[1]").unwrap_err();
        assert_eq!(err.1, "invalid type: sequence, expected struct Inner at line 1 column 1");
    }
}
