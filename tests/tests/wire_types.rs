//! Generated Rust types on the wire, beyond what the snapshots show: `int64` with
//! `encoding: string` is a decimal string wherever it appears (field, option, null, list, list
//! of lists, map), as the TypeScript types and JSON Schemas say.
//! Types from `codegen/tests/fixtures/valid/kitchen_sink` (event `shape:changed`).

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
