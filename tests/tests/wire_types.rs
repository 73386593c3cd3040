//! Generated Rust types on the wire, beyond what the snapshots show: `int64` with
//! `encoding: string` is a decimal string wherever it appears (field, option, null, list, list
//! of lists, map), as the TypeScript types and JSON Schemas say.
//! Types from `codegen/tests/fixtures/valid/kitchen_sink` (event `shape:changed`). And field and
//! enum names: the `__fields!` and `__enum!` rows name every wire name, so keys and values made
//! of keywords, digits, dashes and underscores are checked on the wire here.

use serde_json::{Value, json};
use switchboard_tests::fixtures::kitchen_sink::types::ShapeChanged;

fn payload() -> Value {
    json!({
        "boardId": "b1",
        "price": "12345678901234567",
        "total": 5,
        "tags": ["blue"],
        "color": null,
        "points": [],
        "meta": {},
        "counts": {},
        "anything": null,
        "nested": { "level": 3, "label": "x" },
        "matrix": [],
        "inlineEnum": "a",
        "anonymousEnum": "q",
        "prices": ["1", "-9223372036854775808"],
        "priceByKey": { "k": "9223372036854775807" },
        "priceGrid": [["1"], []],
        "maybePrice": null,
        "wideCount": "42"
    })
}

#[test]
fn int64_strings_round_trip_in_every_shape() {
    let v: ShapeChanged = serde_json::from_value(payload()).expect("the payload parses");
    assert_eq!((v.price, v.total), (12345678901234567, Some(5)));
    assert_eq!(v.prices, vec![1, i64::MIN]);
    assert_eq!(v.price_by_key.get("k"), Some(&i64::MAX));
    assert_eq!(v.price_grid, vec![vec![1], vec![]]);
    assert_eq!(v.maybe_price, Some(None), "null is kept apart from absent");
    assert_eq!(v.wide_count, Some(42));
    // Written back, every int64 is a string again ("total" has `encoding: number`).
    assert_eq!(serde_json::to_value(&v).unwrap(), payload());

    let mut p = payload();
    p["maybePrice"] = json!("7");
    let v: ShapeChanged = serde_json::from_value(p.clone()).unwrap();
    assert_eq!(v.maybe_price, Some(Some(7)));
    assert_eq!(serde_json::to_value(&v).unwrap(), p);

    let mut p = payload();
    p.as_object_mut().unwrap().remove("maybePrice");
    p.as_object_mut().unwrap().remove("wideCount");
    let v: ShapeChanged = serde_json::from_value(p.clone()).unwrap();
    assert_eq!((v.maybe_price, v.wide_count), (None, None), "absent is None");
    assert_eq!(serde_json::to_value(&v).unwrap(), p, "absent stays absent");
}

#[test]
fn int64_strings_refuse_numbers_and_junk() {
    for (field, bad) in [
        ("prices", json!([1])),
        ("prices", json!(["1.5"])),
        ("priceByKey", json!({ "k": 1 })),
        ("priceGrid", json!([["x"]])),
        ("maybePrice", json!(3)),
        ("wideCount", json!("9223372036854775808")),
        ("price", json!(12)),
    ] {
        let mut p = payload();
        p[field] = bad.clone();
        let r = serde_json::from_value::<ShapeChanged>(p);
        assert!(r.is_err(), "{field}: {bad} must be refused");
    }
}

#[test]
fn cursed_field_names_are_their_wire_names() {
    use switchboard_tests::fixtures::cursed_names::types::{E1stPayload, Kind, SelfRequest, TypePayload, UserJoinRequest};
    // `rename_all = "camelCase"`: `r#type`, `self_`, `_1st`, `r#fn` and an optional `default`.
    let p = TypePayload::new(Kind::Self_, "s", "e", 1, true);
    let want = json!({ "type": "self", "self": "s", "enum": "e", "1st": 1, "fn": true });
    assert_eq!(serde_json::to_value(&p).unwrap(), want);
    assert_eq!(serde_json::from_value::<TypePayload>(want).unwrap(), p);
    let p = p.with_default("d");
    assert_eq!(serde_json::to_value(&p).unwrap()["default"], "d");

    let p = SelfRequest::new("a", "b", "c").with_type("t");
    let want = json!({ "self": "a", "type": "t", "super": "b", "crate": "c" });
    assert_eq!(serde_json::to_value(&p).unwrap(), want);
    assert_eq!(serde_json::from_value::<SelfRequest>(want).unwrap(), p);

    // No rule fits `user-id` beside `user_name`: one explicit rename, one field as it is.
    let p = UserJoinRequest::new("u", "n");
    let want = json!({ "user-id": "u", "user_name": "n" });
    assert_eq!(serde_json::to_value(&p).unwrap(), want);
    assert_eq!(serde_json::from_value::<UserJoinRequest>(want).unwrap(), p);

    let p = E1stPayload::new("x", "y");
    assert_eq!(serde_json::to_value(&p).unwrap(), json!({ "async": "x", "await": "y" }));
}

/// Every value of an enum is its `as_str()` on the wire, both ways.
fn enum_on_the_wire<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + Copy + PartialEq + std::fmt::Debug,
{
    for &v in all {
        assert_eq!(serde_json::to_value(v).unwrap(), json!(as_str(v)), "{v:?}");
        assert_eq!(serde_json::from_value::<T>(json!(as_str(v))).unwrap(), v);
    }
}

#[test]
// kitchen_sink's `Color` is deprecated on purpose (renamed `Colour`).
#[allow(deprecated)]
fn enum_values_are_their_wire_names() {
    use rez_realtime::types as rez;
    use switchboard_tests::fixtures::{cursed_names, kitchen_sink, value_payloads};
    // Explicit renames (no rule fits), kebab-case, lowercase.
    enum_on_the_wire(cursed_names::types::Kind::ALL, cursed_names::types::Kind::as_str);
    enum_on_the_wire(kitchen_sink::types::Color::ALL, kitchen_sink::types::Color::as_str);
    enum_on_the_wire(value_payloads::types::Level::ALL, value_payloads::types::Level::as_str);
    // Rez: SCREAMING_SNAKE_CASE, snake_case, kebab-case, lowercase.
    enum_on_the_wire(rez::StockStatus::ALL, rez::StockStatus::as_str);
    enum_on_the_wire(rez::GroupUpdateType::ALL, rez::GroupUpdateType::as_str);
    enum_on_the_wire(rez::LeaderboardPeriod::ALL, rez::LeaderboardPeriod::as_str);
    enum_on_the_wire(rez::CartReleaseReason::ALL, rez::CartReleaseReason::as_str);
}

/// The traits generated types keep now that `Eq` is written by hand instead of derived: a struct
/// without floats and every enum are `Eq`; enums also `Hash` and `Ord` (catalogue order), so
/// they are set elements and map keys.
#[test]
#[allow(deprecated)]
fn generated_types_are_eq_hash_and_ordered_where_they_should_be() {
    use std::collections::{BTreeSet, HashSet};
    use switchboard_tests::fixtures::kitchen_sink::types::{Color, ShapeChangedNested};
    fn total_eq<T: Eq>(a: &T, b: &T) -> bool {
        a == b
    }
    let a = ShapeChangedNested::new().with_label("x");
    assert!(total_eq(&a, &a.clone()) && !total_eq(&a, &ShapeChangedNested::new().with_label("y")));
    let colors: HashSet<Color> = Color::ALL.iter().chain(Color::ALL).copied().collect();
    assert_eq!(colors.len(), Color::ALL.len());
    let ordered: Vec<Color> = Color::ALL.iter().rev().copied().collect::<BTreeSet<_>>().into_iter().collect();
    assert_eq!(ordered, Color::ALL, "enums order by catalogue order");
}
