#!/usr/bin/env bash
# Builds the fuzz targets and runs each for at most SECONDS (default 30: the CI smoke step).
# Seeds are read from corpus/<target> (committed, never written); what libFuzzer finds goes to
# target/corpus/<target> (git-ignored), a crash to artifacts/<target>/ and a non-zero exit.
# Usage: bash tests/fuzz/run.sh [SECONDS] [TARGET...]; FUZZ_RUNS=N also stops after N executions;
# FUZZ_BUILD_ARGS (e.g. "--dev -s none", what CI uses: a 4-minute build instead of ~30 with ASan
# in release) is passed to both `cargo fuzz build` and `cargo fuzz run`.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(catalogue payloads client_codec server_inbound)
# cargo fuzz has no --locked: check first that Cargo.lock needs no change.
cargo metadata --locked --format-version 1 >/dev/null
read -r -a build_args <<< "${FUZZ_BUILD_ARGS:-}"
cargo +nightly fuzz build "${build_args[@]}" --fuzz-dir .
for t in "${targets[@]}"; do
    mkdir -p "target/corpus/$t"
    # -timeout: one input running 10 s is a hang; the catalogue seeds go up to 72 KB.
    cargo +nightly fuzz run "${build_args[@]}" --fuzz-dir . "$t" "target/corpus/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -timeout=10 -max_len=131072 -print_final_stats=1
done
