# Shared by the benchmark scripts that start servers: release binaries in $BIN, raw results in
# $OUT (tests/bench/results/<name>-<date>.jsonl), a scratch dir $WORK; processes started by the
# script are stopped by pid and $WORK removed on any exit. Source after setting BENCH_NAME,
# ROOT and CARGO_TARGET_DIR.
BIN=$CARGO_TARGET_DIR/release
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS_DIR:-$ROOT/tests/bench/results}
OUT=$RESULTS/$BENCH_NAME-$STAMP.jsonl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-$BENCH_NAME.XXXXXX")
LOG_TAG=$BENCH_NAME
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
