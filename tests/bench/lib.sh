# Shared by the benchmark scripts that start servers: release binaries in $BIN, raw results in
# $OUT (tests/bench/results/<name>-<date>.jsonl), a scratch dir $WORK; processes started by the
# script are stopped by pid and $WORK removed on any exit; the open-file limit raised to the hard
# limit (a load generator holds up to 20,000 sockets). Source after setting BENCH_NAME, ROOT and
# CARGO_TARGET_DIR.
BIN=$CARGO_TARGET_DIR/release
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS_DIR:-$ROOT/tests/bench/results}
mkdir -p "$RESULTS"
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
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Starts a bench server ($@) with its output in $WORK/srv.out and waits for the line that
# names its port; sets SPID and PORT. It is stopped on exit unless stop_server stopped it first.
start_server() {
    : >"$WORK/srv.out"
    "$@" >"$WORK/srv.out" 2>"$WORK/srv.err" &
    SPID=$!
    PIDS+=("$SPID")
    local i
    for i in $(seq 1 200); do
        if grep -q '"pid"' "$WORK/srv.out"; then
            PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/srv.out" | head -1)
            return 0
        fi
        sleep 0.05
    done
    log "server did not start: $(cat "$WORK/srv.err")"
    return 1
}

# Stops what start_server started, and every other process the script started since.
stop_server() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}

# Compiles the Node bench server (tests/js/bench, against the generated TS types) afresh; returns 1,
# with a message, when tests/js has no node_modules (npm ci there first).
build_node_bench() {
    local js=$ROOT/tests/js
    if [ ! -x "$js/node_modules/.bin/tsc" ] || [ ! -d "$js/node_modules/socket.io" ]; then
        log "tests/js/node_modules is missing: run npm ci in tests/js"
        return 1
    fi
    rm -rf "$js/bench/dist"
    timeout 300 "$js/node_modules/.bin/tsc" -p "$js/bench/tsconfig.json"
}

# Builds the bench binaries (release) and, when a variant in $* starts with `patched`, the same
# against engineioxide with tests/bench/patches applied (engineioxide_patch.sh): PATCHED_BIN; a
# variant `patched-upto<N>` gets the first N patches of the series only: PATCHED_BINS[variant].
# A variant `rev-<commit>` is the bench server of that commit (our runtime as it was), built
# from `git archive` in a target dir of its own: REV_BINS[variant]. Returns 1 for an unknown commit.
build_bench() {
    timeout 1500 cargo build -q --release --manifest-path "$ROOT/tests/bench/rust/Cargo.toml"
    declare -gA PATCHED_BINS=() REV_BINS=()
    local v
    for v in "$@"; do
        case $v in
            patched-upto[1-9]*)
                PATCHED_BINS[$v]=$(PATCH_UPTO=${v#patched-upto} bash "$ROOT/tests/bench/engineioxide_patch.sh" build) ;;
            patched*)
                [ -n "${PATCHED_BIN:-}" ] || PATCHED_BIN=$(bash "$ROOT/tests/bench/engineioxide_patch.sh" build) ;;
            rev-*)
                REV_BINS[$v]=$(build_rev "${v#rev-}") || return 1 ;;
        esac
    done
}

# bench_bin VARIANT: the release dir of a variant's bench-server, once build_bench built it:
# `runtime` (this tree), `patched`, `patched-upto<N>`, `rev-<commit>`; returns 1 for any other.
bench_bin() {
    case $1 in
        runtime) echo "$BIN" ;;
        patched-upto[1-9]*) [ -n "${PATCHED_BINS[$1]:-}" ] && echo "${PATCHED_BINS[$1]}" ;;
        patched) [ -n "${PATCHED_BIN:-}" ] && echo "$PATCHED_BIN" ;;
        rev-*) [ -n "${REV_BINS[$1]:-}" ] && echo "${REV_BINS[$1]}" ;;
        *) return 1 ;;
    esac
}

# build_rev COMMIT: builds the bench crate of COMMIT in $CARGO_TARGET_DIR/bench-rev/<sha> (kept,
# so a second run reuses it) and prints its release dir.
build_rev() {
    local sha
    sha=$(git -C "$ROOT" rev-parse --verify -q "$1^{commit}") || { log "no commit $1"; return 1; }
    local dir=$CARGO_TARGET_DIR/bench-rev/$sha
    if [ ! -d "$dir/src" ]; then
        mkdir -p "$dir/src.tmp"
        git -C "$ROOT" archive "$sha" | tar -x -C "$dir/src.tmp"
        mv "$dir/src.tmp" "$dir/src"
    fi
    log "building the bench server of $sha"
    CARGO_TARGET_DIR=$dir/target timeout 1500 cargo build -q --release --manifest-path "$dir/src/tests/bench/rust/Cargo.toml" >&2
    echo "$dir/target/release"
}
