#!/usr/bin/env bash
# Server CPU with and without our engineioxide patch (engineioxide_patch.sh), side by side: the
# same bench-server (`--accept runtime`, 1 worker thread, pinned) built twice, the same load
# generator sequence (server.sh's settings), rounds interleaved. It answers "does the patch that
# shrinks idle memory cost CPU per delivery?" (one boxed item per queued packet; the writer task's
# new shape). Prints the median server CPU us per unit, user and kernel apart, and drops.
#
#   ROUNDS=3 tests/bench/patched_cpu.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-10000}
SECS=${SECS:-2}
ONLY=${ONLY:-ack_rtt,fanout,ingest,ingest_max}
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_NAME=patched-cpu
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"

build_bench patched
: >"$OUT"

for round in $(seq 1 "$ROUNDS"); do
    for variant in runtime patched; do
        bin=$BIN
        [ "$variant" = patched ] && bin=$PATCHED_BIN
        start_server taskset -c 1 "$bin/bench-server" --worker-threads 1 --accept runtime
        log "round $round: $variant (pid $SPID)"
        timeout 400 taskset -c 0 "$BIN/bench-loadgen" --server "127.0.0.1:$PORT" --pid "$SPID" --target "$variant" \
            --round "$round" --conns "$CONNS" --secs "$SECS" --fanout-rate 20000 --ingest-rate 5000 \
            --ingest-senders 1000 --only "$ONLY" >>"$OUT" 2>"$WORK/lg.err" || log "load generator failed: $(tail -2 "$WORK/lg.err")"
        stop_server
    done
done

log "raw: $OUT (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
rows = [r for r in rows if "per_msg_us" in r and r.get("scenario") != "connect"]
labels = list(dict.fromkeys(r["label"] for r in rows))
def med(label, target, f):
    vals = [f(r) for r in rows if r["label"] == label and r["target"] == target and f(r) is not None]
    return statistics.median(vals) if vals else None
def fmt(v): return "–" if v is None else f"{v:.2f}"
print("| scenario | unit | runtime us/unit (user / kernel) | patched us/unit (user / kernel) | patched/runtime | dropped runtime; patched |")
print("|---|---|---:|---:|---:|---:|")
for label in labels:
    unit = next(r["unit"] for r in rows if r["label"] == label)
    cells = []
    for t in ("runtime", "patched"):
        tot = med(label, t, lambda r: r["per_msg_us"])
        usr = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_user_us"))
        sys_ = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_sys_us"))
        cells.append((tot, f"{fmt(tot)} ({fmt(usr)} / {fmt(sys_)})"))
    ratio = "–" if not cells[0][0] or cells[1][0] is None else f"{cells[1][0] / cells[0][0]:.2f}"
    drops = "; ".join(str(sum(r.get("dropped", 0) for r in rows if r["label"] == label and r["target"] == t)) for t in ("runtime", "patched"))
    print(f"| {label} | {unit} | {cells[0][1]} | {cells[1][1]} | {ratio} | {drops} |")
EOF
