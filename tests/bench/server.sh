#!/usr/bin/env bash
# Server benchmark: the Switchboard-generated Rust server (socketioxide) against a Node
# socket.io 4.8.4 server written against the generated TS types, same catalogue
# (tests/bench/catalogue), same settings; a bare tokio-tungstenite echo server as the ceiling.
#
#   tests/bench/server.sh                 # full run: ~8 min on 2 cores (6 rounds), at most
#                                         # SERVER_BUDGET=600 s: rounds are cut to fit (>= 2)
#   ROUNDS=2 CONNS=2000 SECS=1 tests/bench/server.sh   # quick look (figures not comparable)
#
# Scale: 10k sockets (fan-out rooms of 10, 100, 1k, 10k; idle memory over 1k..10k); the connect
# storm stops at 10k (open-file limit 20k here; sockets come from 127.0.0.2-17, so ephemeral
# ports never run out). Fan-out is offered at a fixed 20k deliveries/s (1->10k: 2 messages/s),
# ingest at 5k messages/s from 1k sockets.
#
# Prints figures; never fails on speed. Fails only when something cannot be built or started.
# Outputs: tests/bench/results/server-<date>.json (raw samples, versions, machine facts) and
# tests/bench/results/server.md (Node median, Rust median, ratio, spread per scenario).
#
# Pinning: the server on core 1, the load generator on core 0. Rounds are interleaved
# Node, Rust, echo; round 0 is a warm-up and is dropped from the medians.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-6}             # including the warm-up round (dropped)
CONNS=${CONNS:-10000}           # sockets (fan-out room sizes 10, 100, 1k, CONNS)
SECS=${SECS:-2}                 # seconds of offered load per scenario
FANOUT_RATE=${FANOUT_RATE:-20000}   # deliveries per second offered in every fan-out scenario
INGEST_RATE=${INGEST_RATE:-5000}    # messages per second offered in ingest
INGEST_SENDERS=${INGEST_SENDERS:-1000}
SERVER_BUDGET=${SERVER_BUDGET:-600}  # seconds for the whole script (build included); fewer rounds if needed
# The first round of issue 17 (2026-11-26): its Rust/Node ratios are printed next to this run's.
BASELINE=${BASELINE:-$ROOT/tests/bench/results/server-20261126T122839Z.json}
SERVER_CORE=${SERVER_CORE:-1}
CLIENT_CORE=${CLIENT_CORE:-0}
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

START=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS_DIR:-$ROOT/tests/bench/results}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")
RAW=$WORK/raw.jsonl
BIN=$CARGO_TARGET_DIR/release
JS=$ROOT/tests/js
SERVER_PID=         # the running server, if any (cleared once it is stopped: never kill a reused pid)

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        sleep 0.2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }

# --- limits -------------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((CONNS + 1000)) ]; then
    NEW=$(( (NOFILE - 1000) / 1000 * 1000 ))
    log "open-file limit is $NOFILE: scaling sockets down from $CONNS to $NEW"
    CONNS=$NEW
fi
if [ "$(nproc)" -lt 2 ]; then
    log "fewer than 2 cores: server and load generator will share a core"
    SERVER_CORE=0
fi

# --- build ----------------------------------------------------------------------------------
log "building the benchmark crate (release) and generating the TS types"
# The build script also writes the TS types (tests/js/bench/generated/) from the same catalogue.
timeout 1500 cargo build -q --release --manifest-path tests/bench/rust/Cargo.toml
if [ ! -x "$JS/node_modules/.bin/tsc" ] || [ ! -d "$JS/node_modules/socket.io" ]; then
    echo "error: tests/js/node_modules is missing; run \`npm ci\` in tests/js first" >&2
    exit 1
fi
rm -rf "$JS/bench/dist"
timeout 300 "$JS/node_modules/.bin/tsc" -p "$JS/bench/tsconfig.json"

# --- one server, one load generator run ------------------------------------------------------
start_server() { # $1 = node|rust|echo ; sets PORT and PID
    local out=$WORK/server-$1.out
    : >"$out"
    case $1 in
        node) timeout 900 taskset -c "$SERVER_CORE" node "$JS/bench/dist/server.js" >"$out" 2>"$WORK/server-$1.err" & ;;
        # `--accept runtime`: the product's accept loop (`Runtime::serve`, which frees hyper's
        # read buffer; memory.md), not `axum::serve`.
        rust) timeout 900 taskset -c "$SERVER_CORE" "$BIN/bench-server" --worker-threads 1 --accept runtime >"$out" 2>"$WORK/server-$1.err" & ;;
        echo) timeout 900 taskset -c "$SERVER_CORE" "$BIN/bench-ws-echo" --worker-threads 1 >"$out" 2>"$WORK/server-$1.err" & ;;
    esac
    local i
    for i in $(seq 1 200); do
        if grep -q '"pid"' "$out"; then
            PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$out" | head -1)
            PID=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$out" | head -1)
            SERVER_PID=$PID
            return 0
        fi
        sleep 0.05
    done
    echo "error: the $1 server did not start:" >&2
    cat "$WORK/server-$1.err" >&2
    return 1
}

stop_server() { # $1 = pid
    kill -TERM "$1" 2>/dev/null || true
    local i
    for i in $(seq 1 60); do
        if ! kill -0 "$1" 2>/dev/null; then
            SERVER_PID=
            wait 2>/dev/null || true
            return 0
        fi
        sleep 0.05
    done
    kill -KILL "$1" 2>/dev/null || true
    SERVER_PID=
    wait 2>/dev/null || true
}

run() { # $1 = target, $2 = round
    local port pid extra=()
    start_server "$1" || exit 1
    port=$PORT pid=$PID
    [ "$1" = echo ] && extra=(--echo)
    log "round $2: $1 (pid $pid, port $port)"
    if ! timeout 400 taskset -c "$CLIENT_CORE" "$BIN/bench-loadgen" --server "127.0.0.1:$port" --pid "$pid" --target "$1" --round "$2" \
        --conns "$CONNS" --secs "$SECS" --fanout-rate "$FANOUT_RATE" --ingest-rate "$INGEST_RATE" --ingest-senders "$INGEST_SENDERS" \
        "${extra[@]}" >>"$RAW" 2>"$WORK/loadgen.err"; then
        log "load generator failed or timed out against $1 (round $2):"
        tail -5 "$WORK/loadgen.err" >&2
    fi
    grep -E 'warning|error' "$WORK/loadgen.err" >&2 || true
    stop_server "$pid"
}

ROUNDS_START=$(date +%s)
DONE_ROUNDS=0
for round in $(seq 0 $((ROUNDS - 1))); do
    run node "$round"
    run rust "$round"
    run echo "$round"
    DONE_ROUNDS=$((round + 1))
    # Stay inside the time budget: stop when one more round (at the average pace) would not fit.
    NOW=$(date +%s)
    PER_ROUND=$(( (NOW - ROUNDS_START) / DONE_ROUNDS ))
    if [ "$DONE_ROUNDS" -ge 2 ] && [ "$DONE_ROUNDS" -lt "$ROUNDS" ] && [ $((NOW - START + PER_ROUND + 20)) -gt "$SERVER_BUDGET" ]; then
        log "stopping after $DONE_ROUNDS rounds: another ${PER_ROUND}s round would exceed SERVER_BUDGET=${SERVER_BUDGET}s"
        break
    fi
done

# --- report ---------------------------------------------------------------------------------
END=$(date +%s)
mkdir -p "$RESULTS"
JSON=$RESULTS/server-$STAMP.json
"$BIN/bench-report" --raw "$RAW" --json "$JSON" --md "$RESULTS/server.md" --drop-rounds 1 \
    --meta "date=$STAMP" --meta "json_name=$(basename "$JSON")" --meta "wall_s=$((END - START))" \
    --meta "rustc=$(rustc --version | cut -d' ' -f2)" --meta "node=$(node --version)" \
    --meta "socket_io=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$JS/node_modules/socket.io/package.json" | head -1)" \
    --meta "typescript=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$JS/node_modules/typescript/package.json" | head -1)" \
    --meta "cargo_lock=tests/bench/rust/Cargo.lock" \
    --meta "git_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --meta "conns=$CONNS" --meta "secs=$SECS" --meta "rounds=$DONE_ROUNDS" --meta "rounds_requested=$ROUNDS" --meta "server_budget_s=$SERVER_BUDGET" --meta "fanout_rate=$FANOUT_RATE" \
    --meta "ingest_rate=$INGEST_RATE" --meta "ingest_senders=$INGEST_SENDERS" \
    --meta "loadavg_at_start=$LOADAVG_START" --meta "loadavg_at_end=$(cut -d' ' -f1-3 /proc/loadavg)" \
    --baseline "$BASELINE" \
    ${BENCH_NOTES:+--meta "note_run=$BENCH_NOTES"}
log "done in $((END - START)) s: $JSON, $RESULTS/server.md"
cat "$RESULTS/server.md"
