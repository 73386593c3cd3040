#!/usr/bin/env bash
# Server CPU of two (or more) builds of the bench server side by side: the same bench-server
# (`--accept runtime`, 1 worker thread, pinned) built per variant, the same load generator
# sequence (server.sh's settings), rounds interleaved. Variants: `runtime` (this tree),
# `patched` / `patched-upto<N>` (engineioxide with our patches, engineioxide_patch.sh), and
# `rev-<commit>` (the bench server of an earlier commit). It answers "does the patch that shrinks
# idle memory cost CPU per delivery?", and "what did this runtime change save?" (`rev-<before>`
# against `runtime`). Prints the median server CPU us per unit, user and kernel apart, each
# variant's ratio to the first, and drops.
#
#   ROUNDS=3 tests/bench/patched_cpu.sh
#   VARIANTS="rev-HEAD~1 runtime" ONLY=fanout ROUNDS=6 tests/bench/patched_cpu.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-10000}
SECS=${SECS:-2}
ONLY=${ONLY:-ack_rtt,fanout,ingest,ingest_max}
read -r -a VARS <<<"${VARIANTS:-runtime patched}"
[ "${#VARS[@]}" -ge 2 ] || { echo "VARIANTS needs two or more variants" >&2; exit 2; }
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_NAME=patched-cpu
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"

build_bench "${VARS[@]}"
: >"$OUT"

for variant in "${VARS[@]}"; do
    bench_bin "$variant" >/dev/null || { log "unknown variant $variant (runtime, patched, patched-upto<N>, rev-<commit>)"; exit 2; }
done

for round in $(seq 1 "$ROUNDS"); do
    for variant in "${VARS[@]}"; do
        bin=$(bench_bin "$variant")
        start_server taskset -c 1 "$bin/bench-server" --worker-threads 1 --accept runtime
        log "round $round: $variant (pid $SPID)"
        timeout 400 taskset -c 0 "$BIN/bench-loadgen" --server "127.0.0.1:$PORT" --pid "$SPID" --target "$variant" \
            --round "$round" --conns "$CONNS" --secs "$SECS" --fanout-rate 20000 --ingest-rate 5000 \
            --ingest-senders 1000 --only "$ONLY" >>"$OUT" 2>"$WORK/lg.err" || log "load generator failed: $(tail -2 "$WORK/lg.err")"
        stop_server
    done
done

log "raw: $OUT (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" "${VARS[@]}" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
rows = [r for r in rows if "per_msg_us" in r and r.get("scenario") != "connect"]
variants = sys.argv[2:]
labels = list(dict.fromkeys(r["label"] for r in rows))
def med(label, target, f):
    vals = [f(r) for r in rows if r["label"] == label and r["target"] == target and f(r) is not None]
    return statistics.median(vals) if vals else None
def fmt(v): return "–" if v is None else f"{v:.2f}"
sched = lambda r: r.get("per_msg_sched_us")
def paired(label, target):
    # Each round's ratio to the first variant's run of the same round, then the median: the
    # VM's speed drifts between rounds, less within one.
    base = {r["round"]: sched(r) for r in rows if r["label"] == label and r["target"] == variants[0] and sched(r)}
    ratios = [sched(r) / base[r["round"]] for r in rows if r["label"] == label and r["target"] == target and sched(r) and r["round"] in base]
    return (statistics.median(ratios), min(ratios), max(ratios)) if ratios else None
first = variants[0]
print("Server CPU per unit, us: scheduler time (ns precision), then user / kernel (clock ticks, coarse).")
print(f"Ratio: the median over rounds of each round's ratio to {first} (min-max).\n")
head = ["scenario", "unit"] + [f"{v}: sched (user / kernel)" for v in variants] + [f"{v}/{first}" for v in variants[1:]] + ["dropped " + "; ".join(variants)]
print("| " + " | ".join(head) + " |")
print("|---|---|" + "---:|" * (len(head) - 2))
for label in labels:
    unit = next(r["unit"] for r in rows if r["label"] == label)
    cells = []
    for t in variants:
        usr = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_user_us"))
        sys_ = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_sys_us"))
        cells.append(f"{fmt(med(label, t, sched))} ({fmt(usr)} / {fmt(sys_)})")
    ratios = []
    for t in variants[1:]:
        p = paired(label, t)
        ratios.append("–" if p is None else f"{p[0]:.2f} ({p[1]:.2f}-{p[2]:.2f})")
    drops = "; ".join(str(sum(r.get("dropped", 0) for r in rows if r["label"] == label and r["target"] == t)) for t in variants)
    print("| " + " | ".join([label, unit] + cells + ratios + [drops]) + " |")
EOF
