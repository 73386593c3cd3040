//! The Rust type of a catalogue `datetime`: an instant, checked when it is deserialized.
//!
//! It wraps `jiff::Timestamp` rather than chrono's `DateTime<Utc>`: both are small without
//! their default features, but jiff's `Timestamp` is exactly an instant, and jiff refuses a leap
//! second's `:60` in civil times where chrono keeps it and writes it back (JavaScript's `Date`
//! cannot read that). What chrono has that jiff lacks here is range: jiff stops at
//! 9999-12-30T22:00Z, so the rule refuses the last 26 hours of year 9999 (see
//! [`crate::validate::parse_datetime`]).

use crate::validate::{DATETIME_MESSAGE, parse_datetime};
use std::fmt;
use std::str::FromStr;

/// A catalogue `datetime`: an instant with millisecond precision, like a JavaScript `Date`.
///
/// It deserializes from the strings [`crate::validate::parse_datetime`] accepts (so a typed
/// field and the validator cannot disagree) and serializes the way `Date.prototype.toJSON`
/// writes, in UTC with three fractional digits (`2026-12-03T04:15:00.000Z`), which is what the
/// Node backend sends and the app reads. Digits past the millisecond are dropped (truncated
/// towards the past, as JavaScript's `Date` parses them) and an offset becomes the same instant
/// in UTC: `2026-12-03T05:15:00+01:00` comes back as `2026-12-03T04:15:00.000Z`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

/// A string that is not a date-time the catalogue accepts, or an instant out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimestampError(&'static str);

impl Timestamp {
    /// Now, to the millisecond.
    pub fn now() -> Self {
        Self::millis(jiff::Timestamp::now())
    }

    /// The instant `ms` milliseconds after 1970-01-01T00:00:00Z (what `Date.now()` gives).
    pub fn from_unix_millis(ms: i64) -> Result<Self, TimestampError> {
        jiff::Timestamp::from_millisecond(ms).map_err(|_| OUT_OF_RANGE).and_then(Self::try_from)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn as_unix_millis(self) -> i64 {
        self.0.as_millisecond()
    }

    /// The instant as jiff's type, for arithmetic, zones and formatting.
    pub fn as_jiff(self) -> jiff::Timestamp {
        self.0
    }

    /// Drops what is past the millisecond, towards the past.
    fn millis(t: jiff::Timestamp) -> Self {
        let nanos_past = i64::from(t.subsec_nanosecond().rem_euclid(1_000_000));
        Self(t.checked_sub(jiff::SignedDuration::from_nanos(nanos_past)).unwrap_or(t))
    }
}

const OUT_OF_RANGE: TimestampError = TimestampError("must be an instant between 0000-01-01T00:00:00Z and 9999-12-30T22:00:00Z");

impl TryFrom<jiff::Timestamp> for Timestamp {
    type Error = TimestampError;

    /// Truncates to the millisecond; refuses an instant the wire form cannot carry.
    fn try_from(t: jiff::Timestamp) -> Result<Self, TimestampError> {
        let t = Self::millis(t);
        // The rule decides the range: the instant's own wire form must pass it.
        if parse_datetime(&t.to_string()).is_some() { Ok(t) } else { Err(OUT_OF_RANGE) }
    }
}

impl From<Timestamp> for jiff::Timestamp {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, TimestampError> {
        parse_datetime(s).map(Self::millis).ok_or(TimestampError(DATETIME_MESSAGE))
    }
}

/// `2026-12-03T04:15:00.000Z`: UTC, milliseconds, as `Date.prototype.toJSON`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = jiff::tz::Offset::UTC.to_datetime(self.0);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.subsec_nanosecond() / 1_000_000
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 date-time string")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
#[path = "timestamp_tests.rs"]
mod tests;
