//! In-process codegen timings on synthetic catalogues (tests/src/synth.rs): lowering alone, then
//! each emitter on a pre-lowered catalogue, at 50, 500 and 5,000 events.
//!
//! ```sh
//! cargo bench -p switchboard-tests --bench codegen            # all sizes
//! SWITCHBOARD_BENCH_SIZES=50,500 cargo bench -p switchboard-tests --bench codegen
//! ```
//! Prints figures and never fails on speed. `tests/bench/codegen.sh` runs it with `CRITERION_HOME`
//! in a scratch folder and collects `*/new/estimates.json` into the results JSON. Measurement is
//! kept short (10 samples, 3 s) so the whole benchmark run stays within its 20-minute budget on
//! 2 cores; the largest size uses flat sampling (the same iteration count per sample).

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use switchboard::emit::{EmitOptions, json_schema, markdown, rust, typescript};
use switchboard::schema::lower::lower;
use switchboard_tests::synth;

fn sizes() -> Vec<usize> {
    std::env::var("SWITCHBOARD_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect::<Vec<usize>>())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![50, 500, 5000])
}

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_BENCH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(42)
}

fn codegen(c: &mut Criterion) {
    let opts = EmitOptions::default();
    let seed = seed();
    let inputs: Vec<(usize, Vec<_>)> = sizes().into_iter().map(|n| (n, synth::source_files(n, seed))).collect();
    let lowered: Vec<_> = inputs
        .iter()
        .map(|(n, files)| {
            let (cat, _) = lower(files).unwrap_or_else(|_| panic!("the synthetic catalogue of {n} events lowers"));
            (*n, cat)
        })
        .collect();

    let mut g = c.benchmark_group("lower");
    for (n, files) in &inputs {
        configure(&mut g, *n);
        g.bench_with_input(BenchmarkId::from_parameter(n), files, |b, files| b.iter(|| lower(black_box(files)).is_ok()));
    }
    g.finish();

    type Emit = fn(&switchboard::schema::ir::Catalogue, &EmitOptions) -> usize;
    let emitters: [(&str, Emit); 4] = [
        ("typescript", |c, o| typescript::emit(c, o).len()),
        ("markdown", |c, o| markdown::emit(c, o).len()),
        ("json_schema", |c, o| json_schema::emit(c, o).len()),
        ("rust", |c, o| rust::emit(c, o).contents.len()),
    ];
    for (name, emit) in emitters {
        let mut g = c.benchmark_group(name);
        for (n, cat) in &lowered {
            configure(&mut g, *n);
            g.bench_with_input(BenchmarkId::from_parameter(n), cat, |b, cat| b.iter(|| emit(black_box(cat), &opts)));
        }
        g.finish();
    }
}

fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, events: usize) {
    g.throughput(Throughput::Elements(events as u64));
    g.sampling_mode(if events >= 2000 { SamplingMode::Flat } else { SamplingMode::Auto });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = codegen
}
criterion_main!(benches);
