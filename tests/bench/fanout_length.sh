#!/usr/bin/env bash
# Is server.sh's fan-out long enough? (issue 17: "run 1 -> 10k for long enough that startup noise
# is below 5 %".) Runs only the fan-out scenarios (10,000 sockets, rooms of 10 .. 10k, 100 B and
# 1 KB) against the Rust and the Node server with SHORT seconds per scenario (server.sh's 2) and
# with LONG seconds, interleaved, and prints per scenario the median server CPU per delivery
# (the scheduler's nanosecond counter, /proc/PID/schedstat) of each length and long/short. If a
# short run carried a start-up cost, the long run's figure would be lower by about that share.
#
#   tests/bench/fanout_length.sh                      # ROUNDS=3 SHORT=2 LONG=10, ~12 min
#   ROUNDS=1 CONNS=2000 SHORT=1 LONG=2 tests/bench/fanout_length.sh   # smoke
#   REPORT_ONLY=tests/bench/results/fanout-length-<date>.jsonl tests/bench/fanout_length.sh  # the table again
#
# Needs tests/js set up (npm ci) for Node. Prints figures; never fails on speed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-10000}
SHORT=${SHORT:-2}
LONG=${LONG:-10}
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
JS=$ROOT/tests/js
BENCH_NAME=fanout-length
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"
if [ -n "${REPORT_ONLY:-}" ]; then
    OUT=$REPORT_ONLY   # print the table of an earlier run's raw file
else
build_bench
build_node_bench

for round in $(seq 1 "$ROUNDS"); do
    for target in node rust; do
        for secs in "$SHORT" "$LONG"; do
            case $target in
                node) start_server taskset -c 1 node "$JS/bench/dist/server.js" ;;
                rust) start_server taskset -c 1 "$BIN/bench-server" --worker-threads 1 --accept runtime ;;
            esac
            log "round $round: $target, $secs s per scenario"
            timeout 600 taskset -c 0 "$BIN/bench-loadgen" --server "127.0.0.1:$PORT" --pid "$SPID" --target "$target" \
                --round "$round" --conns "$CONNS" --secs "$secs" --only fanout 2>"$WORK/lg.err" |
                python3 -c 'import json,sys
for line in sys.stdin:
    d=json.loads(line)
    if d.get("scenario")=="fanout": d["secs"]=float(sys.argv[1]); print(json.dumps(d))' "$secs" >>"$OUT" ||
                log "load generator failed: $(tail -2 "$WORK/lg.err")"
            stop_server
        done
    done
done
fi

log "raw: $OUT"
python3 - "$OUT" "$SHORT" "$LONG" <<'EOF2'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
short, long_ = float(sys.argv[2]), float(sys.argv[3])
# Every ratio pairs runs of the same round (minutes apart at most): this VM's speed drifts by 20-30 %
# over ten minutes, more than the effect looked for, so medians of unpaired runs would mislead.
def runs(label, target, secs):
    return {r["round"]: r["per_msg_sched_us"] for r in rows if r["label"] == label and r["target"] == target and r["secs"] == secs}
def med(d):
    return statistics.median(d.values()) if d else None
def paired(a, b):
    v = [a[k] / b[k] for k in a if k in b]
    return statistics.median(v) if v else None
f = lambda x: "–" if x is None else f"{x:.2f}"
print(f"| scenario | Node {short:g} s | Node {long_:g} s | Node long/short | Rust {short:g} s | Rust {long_:g} s | Rust long/short | Rust/Node {short:g} s | Rust/Node {long_:g} s | dropped |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for label in dict.fromkeys(r["label"] for r in rows):
    ns, nl, rs, rl = runs(label, "node", short), runs(label, "node", long_), runs(label, "rust", short), runs(label, "rust", long_)
    dropped = sum(r.get("dropped", 0) for r in rows if r["label"] == label)
    print(f"| {label} | {f(med(ns))} | {f(med(nl))} | {f(paired(nl, ns))} | {f(med(rs))} | {f(med(rl))} | {f(paired(rl, rs))} | {f(paired(rs, ns))} | {f(paired(rl, nl))} | {dropped} |")
print(f"\nServer CPU µs per delivery (schedstat), medians over {max(r['round'] for r in rows)} round(s); ratios are medians of")
print("per-round ratios (runs of the same round).")
EOF2
