//! The synthetic benchmark catalogue (tests/src/synth.rs) is valid and deterministic.

use switchboard::emit::EmitOptions;
use switchboard_tests::synth;

fn generate_from_disk(events: usize, seed: u64) -> (switchboard::Generation, String) {
    let dir = std::env::temp_dir().join(format!("switchboard-synth-{}-{events}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_synth_catalogue"))
        .args(["--events", &events.to_string(), "--seed", &seed.to_string(), "--out"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run synth_catalogue");
    assert!(status.success(), "synth_catalogue failed");
    let files = switchboard::output::load_catalogue(&dir).expect("load the synthetic catalogue");
    let text: String = files.iter().map(|f| format!("{}\n{}", f.name, f.text)).collect();
    let _ = std::fs::remove_dir_all(&dir);
    let g = switchboard::generate(&files, &EmitOptions::default()).unwrap_or_else(|e| panic!("{events} events, seed {seed}:\n{e}"));
    (g, text)
}

#[test]
fn fifty_and_five_hundred_events_validate() {
    for events in [50, 500] {
        let (g, _) = generate_from_disk(events, 42);
        assert_eq!(g.catalogue.events.len(), events);
        assert!(g.warnings.is_empty(), "warnings for {events} events: {:?}", g.warnings);
        assert!(g.catalogue.events.iter().any(|e| e.to_server.as_ref().is_some_and(|s| s.ack.is_some())));
        assert!(g.catalogue.events.iter().any(|e| e.to_server.as_ref().is_some_and(|s| s.room_action.is_some())));
        // The Rust target lowers too (the build.rs benchmark compiles it).
        let rust = switchboard::emit::rust::emit(&g.catalogue, &EmitOptions::default());
        assert!(rust.contents.len() > events * 100);
    }
}

#[test]
fn deterministic_for_a_seed() {
    let (a, text_a) = generate_from_disk(50, 7);
    let (b, text_b) = generate_from_disk(50, 7);
    assert_eq!(text_a, text_b, "same seed, same YAML");
    assert_eq!(a.files, b.files, "same seed, same output");
    let (_, text_c) = generate_from_disk(50, 8);
    assert_ne!(text_a, text_c, "another seed, another catalogue");
    // In memory and on disk agree.
    let mem: String = synth::catalogue(50, 7).iter().map(|f| format!("{}\n{}", f.name, f.text)).collect();
    assert_eq!(mem, text_a);
}

#[test]
fn several_seeds_validate() {
    for seed in 0..20 {
        let files = synth::source_files(150, seed);
        if let Err(e) = switchboard::generate(&files, &EmitOptions::default()) {
            panic!("seed {seed}:\n{e}");
        }
    }
}


/// Above 512 types the `types` module keeps its types in private groups of 64, each re-exported;
/// every type keeps its `types::Name` path. The grouped output of these 250 synthetic events is
/// compiled into this crate (tests/build.rs, `fixtures::synth_grouped`), so the types below are
/// reached through the paths an app uses.
#[test]
fn a_grouped_types_module_keeps_every_path() {
    use switchboard_runtime::validate::Validate;
    use switchboard_tests::fixtures::synth_grouped::types;
    let g = switchboard::generate(&synth::source_files(250, 42), &EmitOptions::default()).unwrap();
    let rust = switchboard::emit::rust::emit(&g.catalogue, &EmitOptions::default()).contents;
    let groups = rust.matches("\n    mod __t").count();
    assert_eq!(groups, 11, "about 650 types in groups of 64");
    assert_eq!(rust.matches("\n    pub use self::__t").count(), groups, "every group is re-exported");
    // From the first group and from the last, by their `types` paths.
    assert!(!types::Dom000Status::ALL.is_empty());
    let q = types::Dom004Ev041PayloadQuantity::new(3, 1.5, true);
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json, serde_json::json!({"count": 3, "value": 1.5, "at": true}));
    assert_eq!(serde_json::from_value::<types::Dom004Ev041PayloadQuantity>(json).unwrap(), q);
    assert!(q.validate().is_ok());
}

/// The widest objects lowering accepts compile and parse by wire name: 256 required fields (16
/// full groups of slots), and 225 required, 17 optional and 14 defaulted (18 groups, the most
/// 256 fields can take); a missing field is named, the first in field order.
#[test]
fn the_widest_objects_parse_by_wire_name() {
    use switchboard_tests::fixtures::wide::types::{Mixed, Widest};
    let all: Vec<String> = (0..256).map(|i| format!("\"f{i}\":{i}")).collect();
    let widest: Widest = serde_json::from_str(&format!("{{{}}}", all.join(","))).expect("all 256 fields");
    assert_eq!((widest.f0, widest.f15, widest.f16, widest.f255), (0, 15, 16, 255));
    let err = serde_json::from_str::<Widest>(&format!("{{{}}}", all[..255].join(","))).unwrap_err();
    assert!(err.to_string().starts_with("missing field `f255`"), "{err}");
    let err = serde_json::from_str::<Widest>(&format!("{{{}}}", all[17..].join(","))).unwrap_err();
    assert!(err.to_string().starts_with("missing field `f0`"), "{err}");

    let required: Vec<String> = (0..225).map(|i| format!("\"r{i}\":\"{i}\"")).collect();
    let json = format!("{{{},\"o16\":7,\"o0\":1,\"d13\":70,\"unknown\":[1]}}", required.join(","));
    let mixed: Mixed = serde_json::from_str(&json).expect("mixed");
    assert_eq!((mixed.r0.as_str(), mixed.r224.as_str()), ("0", "224"));
    assert_eq!((mixed.o0, mixed.o1, mixed.o16), (Some(1), None, Some(7)));
    assert_eq!((mixed.d0, mixed.d12, mixed.d13), (0, 12, 70));
    let err = serde_json::from_str::<Mixed>(&format!("{{{},\"o16\":1,\"o16\":2}}", required.join(","))).unwrap_err();
    assert!(err.to_string().starts_with("duplicate field `o16`"), "{err}");
    let err = serde_json::from_str::<Mixed>(&format!("{{{}}}", required[..224].join(","))).unwrap_err();
    assert!(err.to_string().starts_with("missing field `r224`"), "{err}");
    // Round trip: what the server sends is what a client parses.
    assert_eq!(serde_json::from_value::<Mixed>(serde_json::to_value(&mixed).unwrap()).unwrap(), mixed);
}
