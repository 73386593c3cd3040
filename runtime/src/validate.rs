//! Validation of payloads against the catalogue's constraints. Generated `validate()` methods
//! call these checks; an error names the offending field by its wire path (`attachments[0].url`).

use std::fmt;

/// Why a payload was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Wire path of the field, e.g. `items[2].quantity` (empty for the payload itself).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() { f.write_str(&self.message) } else { write!(f, "`{}`: {}", self.field, self.message) }
    }
}

impl std::error::Error for ValidationError {}

/// Implemented by every generated payload type.
pub trait Validate {
    /// Checks the catalogue's constraints; `path` is the wire path of `self`.
    fn validate_at(&self, path: &str) -> Result<(), ValidationError>;

    /// Checks the catalogue's constraints.
    fn validate(&self) -> Result<(), ValidationError> {
        self.validate_at("")
    }
}

// Options, lists and maps walk their values as the `checks` walkers do (one home for the paths).
impl<T: Validate> Validate for Option<T> {
    fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        checks::Check::check(&checks::Present(checks::Nested), path, self)
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        checks::Check::check(&checks::Each(checks::Nested), path, self)
    }
}

impl<T: Validate> Validate for std::collections::BTreeMap<String, T> {
    fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        checks::Check::check(&checks::Values(checks::Nested), path, self)
    }
}

impl<T: Validate> Validate for Box<T> {
    fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        (**self).validate_at(path)
    }
}

/// Implements [`Validate`] with nothing to check, for generated types whose catalogue sets no
/// constraint on them: `::switchboard_runtime::__no_checks!(A, B);` is one line per type instead
/// of an empty `validate_at`.
#[doc(hidden)]
#[macro_export]
macro_rules! __no_checks {
    ($($ty:ty),+ $(,)?) => {
        $(impl $crate::validate::Validate for $ty {
            #[inline]
            fn validate_at(&self, _path: &str) -> ::core::result::Result<(), $crate::validate::ValidationError> {
                ::core::result::Result::Ok(())
            }
        })+
    };
}

/// Implements [`Validate`] from a table row: each constrained field with its wire name and its
/// check, a value of [`checks`] (the row's checks see that module's names).
///
/// `validate_at` is `#[inline]` here and in [`__no_checks!`]: the generated crate then does not
/// compile it for every type; the crate that mounts the router compiles it for the payloads
/// clients send, and a server-to-client payload's check is never compiled (issue 17: the
/// 1,000-event crate's first build took 5 % less memory).
///
/// ```text
/// __checks!(Name { field "wireName": Check, .. });   // a struct's fields
/// __checks!(Name: Check);                            // a newtype's value, at the payload's path
/// ```
///
/// One line per field instead of a block of calls per field (issue 17: generated code that is
/// parsed, printed and type-checked once per type); each check runs as the calls it replaces did,
/// with the same paths and messages.
#[doc(hidden)]
#[macro_export]
macro_rules! __checks {
    ($name:ident { $($field:tt $wire:literal: $check:expr),+ $(,)? }) => {
        impl $crate::validate::Validate for $name {
            #[inline]
            fn validate_at(&self, path: &str) -> ::core::result::Result<(), $crate::validate::ValidationError> {
                // One import for the row's checks (not one per field: each block with an import
                // is a scope rustc resolves names in).
                #[allow(unused_imports)]
                use $crate::validate::checks::*;
                // A plain call per field, no `?`: each `?` is a branch and two trait calls that
                // rustc checks per field of every type; `at` skips the rest after an error.
                let mut result = ::core::result::Result::Ok(());
                $($crate::validate::checks::at(&mut result, &self.$field, path, $wire, &$check);)+
                result
            }
        }
    };
    ($name:ident: $check:expr) => {
        impl $crate::validate::Validate for $name {
            #[inline]
            fn validate_at(&self, path: &str) -> ::core::result::Result<(), $crate::validate::ValidationError> {
                #[allow(unused_imports)]
                use $crate::validate::checks::*;
                $crate::validate::checks::Check::check(&$check, path, &self.0)
            }
        }
    };
}

/// The checks a [`__checks!`] row names: one type per catalogue constraint, and combinators that
/// walk options, lists and maps with the wire paths (`items[2]`, `map.key`).
pub mod checks {
    use super::{ValidationError, Validate};
    pub use super::Pattern;
    use std::collections::BTreeMap;

    /// A check of a value of type `T` at `path` (its wire path).
    pub trait Check<T: ?Sized> {
        /// `Ok` when `v` passes.
        fn check(&self, path: &str, v: &T) -> Result<(), ValidationError>;
    }

    /// Runs `check` on the field `wire` of the value at `path` unless `result` already holds an
    /// error (the first error is the one reported, as with `?`).
    pub fn at<T: ?Sized, C: Check<T>>(result: &mut Result<(), ValidationError>, v: &T, path: &str, wire: &str, check: &C) {
        if result.is_ok() {
            *result = check.check(&super::field(path, wire), v);
        }
    }

    /// Declares a check type over `$t` that calls `$f` with the value and the type's fields (a
    /// unit struct when it has none).
    macro_rules! leaf {
        ($(#[$doc:meta])* $name:ident($($arg:ident: $at:ty),+) on $t:ty => $f:ident) => {
            $(#[$doc])*
            pub struct $name($(pub $at),+);
            impl Check<$t> for $name {
                fn check(&self, path: &str, v: &$t) -> Result<(), ValidationError> {
                    let $name($($arg),+) = self;
                    super::$f(path, v, $(*$arg),+)
                }
            }
        };
        ($(#[$doc:meta])* $name:ident on $t:ty => $f:ident) => {
            $(#[$doc])*
            pub struct $name;
            impl Check<$t> for $name {
                fn check(&self, path: &str, v: &$t) -> Result<(), ValidationError> {
                    super::$f(path, v)
                }
            }
        };
    }
    leaf!(/// A string's length bounds (see [`super::len`]).
        Len(min: u64, max: u64) on String => len);
    leaf!(/// A number's bounds (see [`super::num`]).
        Num(min: f64, max: f64) on f64 => num);
    leaf!(/// A finite number (see [`super::finite`]).
        Finite on f64 => finite);
    leaf!(/// A JavaScript-safe integer within bounds (see [`super::int`]).
        Int(min: f64, max: f64) on i64 => int);
    leaf!(/// A JavaScript-safe integer (see [`super::safe_int`]).
        SafeInt on i64 => safe_int);
    leaf!(/// An `int64` within bounds (see [`super::int64`]).
        Int64(min: f64, max: f64) on i64 => int64);
    leaf!(/// A string of one of the URI schemes (see [`super::uri`]).
        Uri(schemes: &'static [&'static str]) on String => uri);

    /// A list's length bounds (see [`super::count`]).
    pub struct Count(pub u64, pub u64);
    impl<T> Check<Vec<T>> for Count {
        fn check(&self, path: &str, v: &Vec<T>) -> Result<(), ValidationError> {
            super::count(path, v, self.0, self.1)
        }
    }

    /// A string matching the catalogue's pattern (see [`super::matches`]).
    pub struct Matches(pub &'static Pattern);
    impl Check<String> for Matches {
        fn check(&self, path: &str, v: &String) -> Result<(), ValidationError> {
            super::matches(path, v, self.0)
        }
    }

    /// A payload type's own [`Validate`] (through `Option`, `Vec`, maps and `Box`).
    pub struct Nested;
    impl<T: Validate + ?Sized> Check<T> for Nested {
        fn check(&self, path: &str, v: &T) -> Result<(), ValidationError> {
            v.validate_at(path)
        }
    }

    /// The check of a value when it is present.
    pub struct Present<C>(pub C);
    impl<T, C: Check<T>> Check<Option<T>> for Present<C> {
        fn check(&self, path: &str, v: &Option<T>) -> Result<(), ValidationError> {
            v.as_ref().map_or(Ok(()), |v| self.0.check(path, v))
        }
    }

    /// The check of every element of a list, at `path[i]`.
    pub struct Each<C>(pub C);
    impl<T, C: Check<T>> Check<Vec<T>> for Each<C> {
        fn check(&self, path: &str, v: &Vec<T>) -> Result<(), ValidationError> {
            v.iter().enumerate().try_for_each(|(i, x)| self.0.check(&super::index(path, i), x))
        }
    }

    /// The check of every value of a map, at `path.key`.
    pub struct Values<C>(pub C);
    impl<T, C: Check<T>> Check<BTreeMap<String, T>> for Values<C> {
        fn check(&self, path: &str, v: &BTreeMap<String, T>) -> Result<(), ValidationError> {
            v.iter().try_for_each(|(k, x)| self.0.check(&super::field(path, k), x))
        }
    }

    /// Two or three checks of one value, in order.
    impl<T: ?Sized, A: Check<T>, B: Check<T>> Check<T> for (A, B) {
        fn check(&self, path: &str, v: &T) -> Result<(), ValidationError> {
            self.0.check(path, v)?;
            self.1.check(path, v)
        }
    }
    impl<T: ?Sized, A: Check<T>, B: Check<T>, C: Check<T>> Check<T> for (A, B, C) {
        fn check(&self, path: &str, v: &T) -> Result<(), ValidationError> {
            self.0.check(path, v)?;
            self.1.check(path, v)?;
            self.2.check(path, v)
        }
    }
}

/// Path of a field below `path`.
pub fn field(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// Path of a list element below `path`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn fail(path: &str, message: String) -> Result<(), ValidationError> {
    Err(ValidationError { field: path.to_string(), message })
}

/// Largest integer JavaScript represents exactly.
pub const JS_SAFE_INT: i64 = 9_007_199_254_740_991;

/// String length in characters within `[min, max]`.
pub fn length(path: &str, s: &str, min: Option<u64>, max: Option<u64>) -> Result<(), ValidationError> {
    let n = s.chars().count() as u64;
    if min.is_some_and(|m| n < m) {
        return fail(path, format!("must be at least {} characters long", min.unwrap_or(0)));
    }
    if max.is_some_and(|m| n > m) {
        return fail(path, format!("must be at most {} characters long", max.unwrap_or(0)));
    }
    Ok(())
}

/// The whole string matches `re` (compiled from the catalogue's pattern, anchored).
pub fn pattern(path: &str, s: &str, re: &regex::Regex, source: &str) -> Result<(), ValidationError> {
    if re.is_match(s) { Ok(()) } else { fail(path, format!("must match the pattern `{source}`")) }
}

/// `format: uri`: see [`is_uri`].
pub fn uri(path: &str, s: &str, schemes: &[&str]) -> Result<(), ValidationError> {
    if is_uri(s, schemes) { Ok(()) } else { fail(path, format!("must be an absolute URL with scheme {}", schemes.join(" or "))) }
}

/// The one URL rule, used by the server's validation and by the generator's check of catalogue
/// examples: an absolute URL as browsers parse it (WHATWG, the `url` crate) whose scheme is one
/// of `schemes`. Parsing as the app's WebView would is what keeps `javascript:` and look-alikes
/// (` javascript:`, `JavaScript:`, tabs inside the scheme) out: the parser normalises them first.
pub fn is_uri(s: &str, schemes: &[&str]) -> bool {
    url::Url::parse(s).is_ok_and(|u| schemes.contains(&u.scheme()))
}

/// A number within `[min, max]`.
pub fn range(path: &str, v: f64, min: Option<f64>, max: Option<f64>) -> Result<(), ValidationError> {
    if !v.is_finite() {
        return fail(path, "must be a finite number".into());
    }
    if min.is_some_and(|m| v < m) {
        return fail(path, format!("must be at least {}", min.unwrap_or(0.0)));
    }
    if max.is_some_and(|m| v > m) {
        return fail(path, format!("must be at most {}", max.unwrap_or(0.0)));
    }
    Ok(())
}

/// An integer JavaScript can represent exactly.
pub fn js_safe(path: &str, v: i64) -> Result<(), ValidationError> {
    if v.abs() > JS_SAFE_INT { fail(path, "must be within ±(2^53 - 1)".into()) } else { Ok(()) }
}

/// A list length within `[min, max]`.
pub fn items(path: &str, n: usize, min: Option<u64>, max: Option<u64>) -> Result<(), ValidationError> {
    let n = n as u64;
    if min.is_some_and(|m| n < m) {
        return fail(path, format!("must have at least {} items", min.unwrap_or(0)));
    }
    if max.is_some_and(|m| n > m) {
        return fail(path, format!("must have at most {} items", max.unwrap_or(0)));
    }
    Ok(())
}

/// What a refused date-time is told; also the message of [`crate::Timestamp`]'s deserializer.
pub const DATETIME_MESSAGE: &str = "must be an ISO-8601 date-time such as 2026-11-26T09:30:00.000Z";
// Compact forms the checks of `__checks!` rows call: a bound the
// catalogue does not set is passed as the widest value (0, `u64::MAX`, an infinity), which no
// value violates, so the checks and their messages are those of the functions above.

/// [`length`] with plain bounds (`0` and `u64::MAX` for none).
pub fn len(path: &str, s: &str, min: u64, max: u64) -> Result<(), ValidationError> {
    length(path, s, (min > 0).then_some(min), (max < u64::MAX).then_some(max))
}

/// [`items`] of a list, with plain bounds (`0` and `u64::MAX` for none).
pub fn count<T>(path: &str, list: &[T], min: u64, max: u64) -> Result<(), ValidationError> {
    items(path, list.len(), (min > 0).then_some(min), (max < u64::MAX).then_some(max))
}

/// [`range`] of a number (always finite), with plain bounds (infinities for none).
pub fn num(path: &str, v: &f64, min: f64, max: f64) -> Result<(), ValidationError> {
    range(path, *v, min.is_finite().then_some(min), max.is_finite().then_some(max))
}

/// An `integer`: [`js_safe`], then [`range`] (infinities for no bound).
pub fn int(path: &str, v: &i64, min: f64, max: f64) -> Result<(), ValidationError> {
    js_safe(path, *v)?;
    int64(path, v, min, max)
}

/// A `number` with no bound: [`num`] without bounds (finite), short enough for one generated line.
pub fn finite(path: &str, v: &f64) -> Result<(), ValidationError> {
    num(path, v, f64::NEG_INFINITY, f64::INFINITY)
}

/// An `integer` with no bound: [`int`] without bounds ([`js_safe`]), as [`finite`] is for numbers.
pub fn safe_int(path: &str, v: &i64) -> Result<(), ValidationError> {
    int(path, v, f64::NEG_INFINITY, f64::INFINITY)
}

/// An `int64` (any i64) within the bounds (infinities for none).
pub fn int64(path: &str, v: &i64, min: f64, max: f64) -> Result<(), ValidationError> {
    if min.is_finite() || max.is_finite() { range(path, *v as f64, min.is_finite().then_some(min), max.is_finite().then_some(max)) } else { Ok(()) }
}

/// A catalogue pattern, compiled (anchored to the whole string) on first use; generated code
/// keeps one in a `static` per constrained field.
pub struct Pattern {
    source: &'static str,
    re: std::sync::OnceLock<regex::Regex>,
}

impl Pattern {
    /// The pattern as the catalogue wrote it (switchboard checked that it compiles).
    pub const fn new(source: &'static str) -> Self {
        Self { source, re: std::sync::OnceLock::new() }
    }
}

/// The whole string matches the catalogue's pattern `p`: see [`pattern`].
pub fn matches(path: &str, s: &str, p: &Pattern) -> Result<(), ValidationError> {
    let re = p.re.get_or_init(|| regex::Regex::new(&format!("^(?:{})$", p.source)).expect("switchboard checked this pattern"));
    pattern(path, s, re, p.source)
}

/// An ISO-8601 / RFC 3339 date-time with a zone, as `Date.prototype.toISOString` writes it.
pub fn datetime(path: &str, s: &str) -> Result<(), ValidationError> {
    if is_datetime(s) { Ok(()) } else { fail(path, DATETIME_MESSAGE.into()) }
}

/// See [`parse_datetime`]: true when it gives an instant.
pub fn is_datetime(s: &str) -> bool {
    parse_datetime(s).is_some()
}

/// The one date-time rule, used by the server's validation, by [`crate::Timestamp`]'s
/// deserializer and by the generator's check of catalogue examples (codegen depends on this crate
/// for it): RFC 3339 / ISO-8601 with a zone (`Z`, `z` or `±HH:MM`), `T`, `t` or a space between
/// date and time, on a day that exists (no February 30, no February 29 outside leap years), and
/// an instant within years 0000..=9999 in UTC that the timestamp type can hold (the last 26 hours
/// of 9999 it cannot). A leap second (`:60`) counts as `:59`, as jiff's own parser does; digits
/// past nanoseconds are dropped. Because acceptance and conversion are one function, a field
/// typed `Timestamp` and this check cannot disagree.
pub fn parse_datetime(s: &str) -> Option<jiff::Timestamp> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(?:\.([0-9]+))?(?:[Zz]|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))$")
            .expect("valid regex")
    });
    let caps = re.captures(s)?;
    // Every group below matched ASCII digits only (`[0-9]`: `\d` would take any script's), of a
    // bounded width.
    let number = |i: usize| caps.get(i).map_or(Some(0), |m| m.as_str().parse::<i16>().ok());
    let (year, month, day) = (number(1)?, number(2)? as i8, number(3)? as i8);
    let (hour, minute, second) = (number(4)? as i8, number(5)? as i8, number(6)?.min(59) as i8);
    // Nine digits at most: nanoseconds, padded on the right.
    let nanos = caps.get(7).map_or(Some(0), |m| {
        let digits: String = m.as_str().chars().chain(std::iter::repeat('0')).take(9).collect();
        digits.parse::<i32>().ok()
    })?;
    let offset_seconds = match caps.get(8) {
        None => 0,
        Some(sign) => {
            let seconds = i32::from(number(9)?) * 3600 + i32::from(number(10)?) * 60;
            if sign.as_str() == "-" { -seconds } else { seconds }
        }
    };
    // `DateTime::new` refuses days that do not exist.
    let civil = jiff::civil::DateTime::new(year, month, day, hour, minute, second, nanos).ok()?;
    let instant = jiff::tz::Offset::from_seconds(offset_seconds).ok()?.to_timestamp(civil).ok()?;
    (instant >= earliest()).then_some(instant)
}

/// 0000-01-01T00:00:00Z: an earlier instant is written with a six-digit year in UTC, which the
/// rule refuses, so it could not be sent back.
fn earliest() -> jiff::Timestamp {
    jiff::Timestamp::from_second(-62_167_219_200).unwrap_or(jiff::Timestamp::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_field() {
        assert_eq!(length("a.b", "xy", Some(3), None).unwrap_err().field, "a.b");
        assert!(length("", "héllo", Some(5), Some(5)).is_ok());
        assert!(range("n", 5.0, Some(0.0), Some(4.0)).is_err());
        assert!(range("n", f64::NAN, None, None).is_err());
        assert!(js_safe("n", JS_SAFE_INT + 1).is_err());
        assert!(items("l", 3, None, Some(2)).is_err());
        assert!(datetime("t", "2026-11-26T09:30:00.123Z").is_ok());
        assert!(datetime("t", "26/11/2026").is_err());
        // Days that do not exist are refused at run time as the generator refuses them in examples.
        assert!(datetime("t", "2026-02-30T00:00:00Z").is_err());
        assert!(datetime("t", "2026-04-31T00:00:00Z").is_err());
        assert!(datetime("t", "2024-02-29T00:00:00Z").is_ok());
        assert!(datetime("t", "2100-02-29T00:00:00Z").is_err());
        assert_eq!(index(&field("", "items"), 2), "items[2]");
    }

    #[test]
    fn compact_forms_check_as_the_long_ones() {
        assert_eq!(len("a", "xy", 3, u64::MAX), length("a", "xy", Some(3), None));
        assert!(len("a", "", 0, u64::MAX).is_ok());
        assert_eq!(len("a", "xyz", 0, 2), length("a", "xyz", None, Some(2)));
        assert_eq!(count("l", &[1, 2, 3], 0, 2), items("l", 3, None, Some(2)));
        assert_eq!(num("n", &5.0, 0.0, 4.0), range("n", 5.0, Some(0.0), Some(4.0)));
        assert!(num("n", &f64::NAN, f64::NEG_INFINITY, f64::INFINITY).is_err(), "non-finite numbers are refused without bounds too");
        assert_eq!(int("n", &(JS_SAFE_INT + 1), f64::NEG_INFINITY, f64::INFINITY), js_safe("n", JS_SAFE_INT + 1));
        assert_eq!(int("n", &-1, 0.0, f64::INFINITY), range("n", -1.0, Some(0.0), None));
        assert!(int64("n", &i64::MAX, f64::NEG_INFINITY, f64::INFINITY).is_ok());
        assert_eq!(finite("n", &f64::INFINITY), range("n", f64::INFINITY, None, None));
        assert!(finite("n", &-1e300).is_ok());
        assert_eq!(safe_int("n", &-(JS_SAFE_INT + 1)), js_safe("n", -(JS_SAFE_INT + 1)));
        assert!(safe_int("n", &JS_SAFE_INT).is_ok());
        static P: Pattern = Pattern::new("[a-z]+");
        assert!(matches("p", "abc", &P).is_ok());
        assert_eq!(matches("p", "abc1", &P).unwrap_err().message, "must match the pattern `[a-z]+`", "anchored to the whole string");
    }

    // A row of every check shape, against the calls the generator wrote before for the same field.
    struct Inner {
        n: i64,
    }
    crate::__checks!(Inner { n "n": Int(0f64, 9f64) });
    struct Row {
        tags: Vec<String>,
        counts: BTreeMap<String, Option<i64>>,
        note: Option<Option<String>>,
        inner: Vec<Inner>,
        r#type: f64,
        link: String,
    }
    use std::collections::BTreeMap;
    crate::__checks!(Row {
        tags "tags": (Count(1u64, 3u64), Each((Len(1u64, 4u64), Matches({ static RE: Pattern = Pattern::new("[a-z]+"); &RE })))),
        counts "counts": Values(Present(SafeInt)),
        note "note": Present(Present(Len(0u64, 2u64))),
        inner "inner": Nested,
        r#type "type": Num(f64::NEG_INFINITY, 1f64),
        link "link": Uri(&["https"]),
    });
    struct Value(Vec<i64>);
    crate::__checks!(Value: (Count(0u64, 1u64), Each(SafeInt)));

    /// The old generated body of `Row::validate_at`.
    fn by_hand(r: &Row, path: &str) -> Result<(), ValidationError> {
        static RE0: Pattern = Pattern::new("[a-z]+");
        {
            let path = &field(path, "tags");
            count(path, &r.tags, 1, 3)?;
            for (i, item0) in r.tags.iter().enumerate() {
                let path = &index(path, i);
                len(path, item0, 1, 4)?;
                matches(path, item0, &RE0)?;
            }
        }
        for (key, item0) in r.counts.iter() {
            let path = &field(&field(path, "counts"), key);
            if let Some(item0) = item0 {
                safe_int(path, item0)?;
            }
        }
        if let Some(Some(v)) = &r.note {
            len(&field(path, "note"), v, 0, 2)?;
        }
        for (i, x) in r.inner.iter().enumerate() {
            int(&field(&index(&field(path, "inner"), i), "n"), &x.n, 0.0, 9.0)?;
        }
        num(&field(path, "type"), &r.r#type, f64::NEG_INFINITY, 1.0)?;
        uri(&field(path, "link"), &r.link, &["https"])
    }

    #[test]
    fn a_checks_row_checks_as_the_calls_it_replaced() {
        let ok = || Row {
            tags: vec!["ab".into()],
            counts: BTreeMap::from([("a".into(), Some(1)), ("b".into(), None)]),
            note: Some(None),
            inner: vec![Inner { n: 3 }],
            r#type: 0.5,
            link: "https://x.example/".into(),
        };
        type Change = Box<dyn Fn(&mut Row)>;
        let cases: Vec<(&str, Change)> = vec![
            ("valid", Box::new(|_| {})),
            ("no tags", Box::new(|r| r.tags.clear())),
            ("four tags", Box::new(|r| r.tags = vec!["a".into(); 4])),
            ("a long tag", Box::new(|r| r.tags.push("abcde".into()))),
            ("a tag off the pattern", Box::new(|r| r.tags.push("a1".into()))),
            ("an unsafe count", Box::new(|r| { r.counts.insert("z".into(), Some(i64::MAX)); })),
            ("a long note", Box::new(|r| r.note = Some(Some("abc".into())))),
            ("an inner value out of range", Box::new(|r| r.inner.push(Inner { n: 10 }))),
            ("a type over its bound", Box::new(|r| r.r#type = 2.0)),
            ("a type that is NaN", Box::new(|r| r.r#type = f64::NAN)),
            ("an http link", Box::new(|r| r.link = "http://x.example/".into())),
            // The first wrong field is the one reported; the later ones are not checked.
            ("a long note and an http link", Box::new(|r| { r.note = Some(Some("abc".into())); r.link = "ftp://x".into(); })),
        ];
        for (what, change) in cases {
            let mut r = ok();
            change(&mut r);
            for path in ["", "p[1]"] {
                assert_eq!(r.validate_at(path), by_hand(&r, path), "{what} at {path:?}");
            }
            assert_eq!(r.validate().is_ok(), what == "valid", "{what}: {:?}", r.validate());
        }
        assert_eq!(ok().validate_at("p").map_err(|e| e.field), Ok(()));
        let mut r = ok();
        r.inner.push(Inner { n: -1 });
        assert_eq!(r.validate_at("p").unwrap_err().field, "p.inner[1].n");
        assert_eq!(Value(vec![1, 2]).validate_at("v").unwrap_err().field, "v");
        assert_eq!(Value(vec![i64::MAX]).validate_at("v").unwrap_err().field, "v[0]");
        assert!(Value(vec![]).validate().is_ok());
    }

    #[test]
    fn uris_are_parsed_as_browsers_do_and_their_scheme_checked() {
        let web = ["https", "http"];
        assert!(is_uri("https://cdn.example.com/a.png", &web));
        assert!(is_uri("HTTP://EXAMPLE.com/x", &web), "schemes are case-insensitive");
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>", "vbscript:x", "//evil.example/x", "/relative/path", "", "https://", "http:// spaces .com", "file:///etc/passwd"] {
            let bad = bad.replace("\\t", "\t");
            assert!(!is_uri(&bad, &web), "{bad:?} must be refused");
        }
        assert!(is_uri("mailto:a@example.com", &["mailto"]));
        assert_eq!(uri("att.url", "javascript:alert(1)", &web).unwrap_err().to_string(), "`att.url`: must be an absolute URL with scheme https or http");
    }
}
