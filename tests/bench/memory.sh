#!/usr/bin/env bash
# Idle memory per WebSocket socket, server variants side by side in one run: the allocator's
# view (bench-server's counting allocator, `heap_live_bytes` in /stats) and the process's RSS,
# at 1k, 10k and up to 19k idle sockets. Memory does not depend on CPU load, so this is
# meaningful on a busy machine too (CPU figures are not taken here).
#
#   tests/bench/memory.sh                      # every variant, node too when tests/js is set up
#   VARIANTS="axum runtime" tests/bench/memory.sh
#
# Variants (bench-server flags): axum = axum::serve, socketioxide's 4 KiB WebSocket read buffer
# (the setup of the first round); compact = the same with the app wrapped in the runtime's
# CompactRequest; compact-1k = that and a 1 KiB read buffer; runtime = Runtime::serve with the
# runtime's defaults (what a generated server gets; a 1 KiB read buffer since 2026-12-05); patched =
# the same against engineioxide with our upstream-style patch (engineioxide_patch.sh; not in the
# product's build, not in the default list); patched-upto<N> = the same with only the first N
# patches of the series (what each one gives); rev-<commit> = the runtime variant of an earlier
# commit (lib.sh's build_rev); node = Node socket.io 4.8.4 (RSS only).
# One server process can hold fewer than 20k sockets under a 20,000 open-file limit, so the last
# step is LAST sockets (default 19,000), opened by a second load generator (each has its own
# 20,000 limit). Output: tests/bench/results/memory-<date>.jsonl and a Markdown table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
VARIANTS=${VARIANTS:-axum compact compact-1k runtime node}
FIRST=${FIRST:-10000}   # sockets of the first load generator (steps of FIRST/10)
LAST=${LAST:-19000}     # sockets in all after the second one
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
JS=$ROOT/tests/js
BENCH_NAME=memory
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"

NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((LAST + 100)) ]; then
    LAST=$(( (NOFILE - 100) / 1000 * 1000 ))
    log "open-file limit is $NOFILE: last step scaled to $LAST sockets"
fi
# shellcheck disable=SC2086 # one word per variant
build_bench $VARIANTS
if [[ " $VARIANTS " == *" node "* ]] && ! build_node_bench; then
    log "node variant skipped"
    VARIANTS=${VARIANTS/node/}
fi
: >"$OUT"

# Runs a load generator with --only connect until it reports idle; $1 = label, $2 = sockets.
loadgen() {
    # Files per variant: a file left by the previous variant must never be read as this one's.
    local err=$WORK/lg-$VARIANT-$1.err
    : >"$err"
    "$BIN/bench-loadgen" --server "127.0.0.1:$PORT" --pid "$SPID" --target "$VARIANT" --round "$1" \
        --conns "$2" --only connect >"$WORK/lg-$VARIANT-$1.out" 2>>"$err" &
    PIDS+=("$!")
    local i
    for i in $(seq 1 600); do
        grep -q 'connected; idle' "$err" && return 0
        sleep 0.5
    done
    log "load generator $1 did not finish connecting: $(tail -3 "$err")"
    return 1
}

for VARIANT in $VARIANTS; do
    case $VARIANT in
        axum) start_server "$BIN/bench-server" --worker-threads 1 --count-heap --accept axum --ws-read-buffer 4096 ;;
        compact) start_server "$BIN/bench-server" --worker-threads 1 --count-heap --accept compact --ws-read-buffer 4096 ;;
        compact-1k) start_server "$BIN/bench-server" --worker-threads 1 --count-heap --accept compact --ws-read-buffer 1024 ;;
        runtime | patched* | rev-*)
            bin=$(bench_bin "$VARIANT") || { log "unknown variant $VARIANT"; exit 2; }
            start_server "$bin/bench-server" --worker-threads 1 --count-heap --accept runtime ;;
        node) start_server node "$JS/bench/dist/server.js" ;;
        *) log "unknown variant $VARIANT"; exit 2 ;;
    esac
    log "$VARIANT: pid $SPID, $FIRST then $LAST sockets"
    loadgen 1 "$FIRST" && loadgen 2 $((LAST - FIRST)) || true
    sleep 1
    # The last point, read here (the second generator's steps are relative to its own start).
    LAST_RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SPID/status")
    LAST_HEAP=$(curl -s --max-time 3 "http://127.0.0.1:$PORT/stats" | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("heap_live_bytes") or "null")
except Exception: print("null")' || echo null)
    grep '"idle_memory"' "$WORK/lg-$VARIANT-1.out" | python3 -c 'import json,sys
d=json.loads(sys.stdin.readline()); d["variant"]=sys.argv[1]; d["last_sockets"]=int(sys.argv[2]); d["last_rss_kib"]=int(sys.argv[3])
d["last_heap_live_bytes"]=None if sys.argv[4]=="null" else int(sys.argv[4]); print(json.dumps(d))' "$VARIANT" "$LAST" "$LAST_RSS" "$LAST_HEAP" >>"$OUT"
    stop_server
done

log "raw: $OUT (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def per(full, empty, n):
    return "–" if full is None or empty is None else f"{(full - empty) / n:,.0f}"
print("| variant | heap B/socket at 1k / 10k / last | RSS B/socket at 1k / 10k / last | heap slope, RSS slope (1k..10k) | last |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    steps = {s["sockets"]: s for s in r["steps"]}
    first = min(steps); full = max(steps)
    he, re_ = r.get("heap_live_bytes_empty"), r["rss_kib_empty"] * 1024
    heap = [per(steps[first].get("heap_live_bytes"), he, first), per(steps[full].get("heap_live_bytes"), he, full),
            per(r.get("last_heap_live_bytes"), he, r["last_sockets"])]
    rss = [per(steps[first]["rss_kib"] * 1024, re_, first), per(steps[full]["rss_kib"] * 1024, re_, full),
           per(r["last_rss_kib"] * 1024, re_, r["last_sockets"])]
    hs = r.get("heap_bytes_per_socket")
    print(f"| {r['variant']} | {' / '.join(heap)} | {' / '.join(rss)} | {'–' if hs is None else f'{hs:,.0f}'}, {r['bytes_per_socket']:,.0f} | {r['last_sockets']:,} |")
EOF
