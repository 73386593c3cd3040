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
[ ${#targets[@]} -gt 0 ] || targets=(catalogue emit payloads client_codec server_inbound)
# cargo fuzz has no --locked: check first that Cargo.lock needs no change.
cargo metadata --locked --format-version 1 >/dev/null
read -r -a build_args <<< "${FUZZ_BUILD_ARGS:-}"
cargo +nightly fuzz build "${build_args[@]}" --fuzz-dir .
for t in "${targets[@]}"; do
    # Largest input per target: the limit the target checks plus a margin, since longer inputs
    # only slow every execution (README.md, "Input sizes"). -timeout: one input running 10 s is a hang.
    case "$t" in
        # Small catalogues reach every lowering rule; the big Rez seeds are read truncated.
        catalogue | emit) max_len=8192 seeds=corpus/catalogue ;;
        # The longest string limit (4,000 characters) in 4-byte UTF-8, plus the JSON around it.
        payloads) max_len=16384 seeds=corpus/payloads ;;
        # The target checks the size limit at 16 bytes (DEFAULT_MAX_FRAME, 1 MiB, is out of reach).
        client_codec) max_len=4096 seeds=corpus/client_codec ;;
        # The server's 64 KiB payload limit (max_bytes) plus 4 KiB.
        server_inbound) max_len=69632 seeds=corpus/server_inbound ;;
        *) echo "run.sh: unknown target $t" >&2; exit 2 ;;
    esac
    mkdir -p "target/corpus/$t"
    cargo +nightly fuzz run "${build_args[@]}" --fuzz-dir . "$t" "target/corpus/$t" "$seeds" -- \
        -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -timeout=10 -max_len="$max_len" -print_final_stats=1
done
