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
