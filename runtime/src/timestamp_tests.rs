use super::*;
use crate::validate::{datetime, is_datetime};
use proptest::prelude::*;

/// Strings the rule accepts, and what each is on the wire once sent back.
const ACCEPTED: &[(&str, &str)] = &[
    ("2026-12-03T04:15:00.000Z", "2026-12-03T04:15:00.000Z"),
    ("2026-12-03T04:15:00Z", "2026-12-03T04:15:00.000Z"),
    ("2026-12-03t04:15:00z", "2026-12-03T04:15:00.000Z"),
    ("2026-12-03 04:15:00Z", "2026-12-03T04:15:00.000Z"),
    // An offset keeps the instant, written in UTC.
    ("2026-12-03T05:15:00+01:00", "2026-12-03T04:15:00.000Z"),
    ("2026-12-02T23:15:00.5-05:00", "2026-12-03T04:15:00.500Z"),
    ("2026-01-01T00:30:00+23:59", "2025-12-31T00:31:00.000Z"),
    // Fractional digits: one to many; past the millisecond they are dropped, not rounded.
    ("2026-12-03T04:15:00.1Z", "2026-12-03T04:15:00.100Z"),
    ("2026-12-03T04:15:00.1239Z", "2026-12-03T04:15:00.123Z"),
    ("2026-12-03T04:15:00.999999999Z", "2026-12-03T04:15:00.999Z"),
    ("2026-12-03T04:15:00.1234567890123Z", "2026-12-03T04:15:00.123Z"),
    // A leap second counts as :59.
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.000Z"),
    ("2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.500Z"),
    ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
    ("2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000Z"),
    ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
    ("1969-12-31T23:59:59.9995Z", "1969-12-31T23:59:59.999Z"),
    ("9999-12-30T22:00:00.999Z", "9999-12-30T22:00:00.999Z"),
    ("9999-12-31T20:00:00+23:00", "9999-12-30T21:00:00.000Z"),
];

/// Strings the rule refuses.
const REFUSED: &[&str] = &[
    // Days that do not exist.
    "2026-02-30T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:61Z",
    // A zone is required, in RFC 3339's form.
    "2026-12-03T04:15:00",
    "2026-12-03T04:15:00.000",
    "2026-12-03T04:15:00+0100",
    "2026-12-03T04:15:00+01",
    "2026-12-03T04:15:00+24:00",
    "2026-12-03T04:15:00 Z",
    "2026-12-03T04:15:00UTC",
    // RFC 9557 annotations, Temporal's extras and other shapes.
    "2026-12-03T04:15:00Z[UTC]",
    "2026-12-03T04:15:00+01:00[Europe/Paris]",
    "2026-12-03T04:15:00,123Z",
    "2026-12-03T04:15:00.Z",
    "2026-12-03T04:15Z",
    "20261203T041500Z",
    "2026-12-03",
    "04:15:00Z",
    "2026-12-3T04:15:00Z",
    " 2026-12-03T04:15:00Z",
    "2026-12-03T04:15:00Z ",
    "2026-12-03T04:15:00Z\n",
    "2026-12-03_04:15:00Z",
    // Digits of other scripts (the rule before Timestamp accepted such a year, reading it as 0).
    "٢٠٢٦-12-03T04:15:00Z",
    "٢٠٢٦-١٢-٠٣T04:15:00Z",
    "2026-12-03T04:15:00.١٢٣Z",
    "",
    "now",
    "26/11/2026",
    // Years past four digits (JavaScript's expanded years), and instants the type cannot hold
    // or the wire form cannot carry.
    "+010000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-000001-01-01T00:00:00Z",
    "+002026-12-03T04:15:00Z",
    "9999-12-31T00:00:00Z",
    "9999-12-30T22:00:01Z",
    "0000-01-01T00:30:00+01:00",
];

fn typed(s: &str) -> Result<Timestamp, String> {
    serde_json::from_value::<Timestamp>(serde_json::Value::String(s.into())).map_err(|e| e.to_string())
}

#[test]
fn the_type_and_the_validator_agree_on_the_corpus() {
    for (s, wire) in ACCEPTED {
        assert!(datetime("t", s).is_ok(), "{s:?} must be valid");
        let t = typed(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(t.to_string(), *wire, "{s:?}");
        assert_eq!(serde_json::to_value(t).unwrap(), serde_json::json!(wire), "{s:?}");
        // What is sent is accepted back as the same value.
        assert_eq!(typed(wire), Ok(t), "{s:?}");
    }
    for s in REFUSED {
        assert!(!is_datetime(s), "{s:?} must be refused by the validator");
        assert_eq!(typed(s), Err(DATETIME_MESSAGE.to_string()), "{s:?} must be refused by the type");
    }
}

#[test]
fn refusals_say_what_is_expected() {
    assert_eq!(typed("2026-02-30T00:00:00Z").unwrap_err(), "must be an ISO-8601 date-time such as 2026-11-26T09:30:00.000Z");
    let e = serde_json::from_value::<Timestamp>(serde_json::json!(1_764_735_300_000_i64)).unwrap_err().to_string();
    assert_eq!(e, "invalid type: integer `1764735300000`, expected an ISO-8601 date-time string");
}

#[test]
fn conversions_keep_milliseconds_and_the_range() {
    let t: Timestamp = "2026-12-03T04:15:00.123Z".parse().unwrap();
    assert_eq!(t.as_unix_millis(), 1_796_271_300_123);
    assert_eq!(Timestamp::from_unix_millis(1_796_271_300_123), Ok(t));
    assert_eq!(Timestamp::from_unix_millis(-1).unwrap().to_string(), "1969-12-31T23:59:59.999Z");
    assert_eq!(Timestamp::from_unix_millis(-62_167_219_200_001), Err(OUT_OF_RANGE));
    let fine = jiff::Timestamp::new(1_796_271_300, 123_456_789).unwrap();
    assert_eq!(Timestamp::try_from(fine), Ok(t), "sub-millisecond digits are dropped");
    assert_eq!(jiff::Timestamp::from(t), jiff::Timestamp::new(1_796_271_300, 123_000_000).unwrap());
    let before = jiff::Timestamp::new(-1, 999_999_999).unwrap();
    assert_eq!(Timestamp::try_from(before).unwrap().to_string(), "1969-12-31T23:59:59.999Z", "truncated towards the past");
    assert_eq!(Timestamp::try_from(jiff::Timestamp::MAX).unwrap().to_string(), "9999-12-30T22:00:00.999Z");
    assert_eq!(Timestamp::try_from(jiff::Timestamp::MIN), Err(OUT_OF_RANGE));
    let now = Timestamp::now();
    assert_eq!(now.as_jiff().subsec_nanosecond() % 1_000_000, 0);
    assert_eq!(now.to_string().parse(), Ok(now));
    assert_eq!(format!("{t:?}"), "Timestamp(2026-12-03T04:15:00.123Z)");
}

/// One generated date-time string: any day number in any month (so impossible days come up),
/// a leap second now and then, 0 to 12 fractional digits, `Z`, `z` or an offset.
fn candidate() -> impl Strategy<Value = String> {
    (0u32..=9999, 1u32..=12, 1u32..=31, 0u32..=23, 0u32..=59, prop_oneof![0u32..=59, Just(60)], proptest::collection::vec(0u8..=9, 0..=12), prop_oneof![Just(None), (any::<bool>(), 0u32..=23, 0u32..=59).prop_map(Some)], any::<bool>())
        .prop_map(|(y, mo, d, h, mi, s, frac, offset, lower)| {
            let frac: String = if frac.is_empty() { String::new() } else { format!(".{}", frac.iter().map(|d| char::from(b'0' + d)).collect::<String>()) };
            let zone = match offset {
                None if lower => "z".to_string(),
                None => "Z".to_string(),
                Some((neg, oh, om)) => format!("{}{oh:02}:{om:02}", if neg { '-' } else { '+' }),
            };
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The typed field, the validator and jiff's own RFC 3339 parser agree; what is accepted
    /// goes back on the wire as a string that is accepted as the same instant.
    #[test]
    fn the_type_the_validator_and_jiff_agree(s in candidate()) {
        let ours = typed(&s).ok();
        prop_assert_eq!(ours.is_some(), is_datetime(&s));
        // jiff reads at most nine fractional digits; within that, it is an independent parser
        // of the same grammar (it clamps a leap second as the rule does).
        let digits = s.split_once('.').map_or(0, |(_, r)| r.bytes().take_while(u8::is_ascii_digit).count());
        if digits <= 9 {
            let theirs = s.parse::<jiff::Timestamp>().ok().and_then(|t| Timestamp::try_from(t).ok());
            prop_assert_eq!(ours, theirs, "{}", s);
        }
        if let Some(t) = ours {
            prop_assert_eq!(typed(&t.to_string()), Ok(t));
        }
    }
}
