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

bin_of() {
    case $1 in
        runtime) echo "$BIN" ;;
        patched-upto[1-9]*) echo "${PATCHED_BINS[$1]}" ;;
        patched) echo "$PATCHED_BIN" ;;
        rev-*) echo "${REV_BINS[$1]}" ;;
        *) log "unknown variant $1 (runtime, patched, patched-upto<N>, rev-<commit>)"; return 1 ;;
    esac
}
for variant in "${VARS[@]}"; do bin_of "$variant" >/dev/null || exit 2; done

for round in $(seq 1 "$ROUNDS"); do
    for variant in "${VARS[@]}"; do
        bin=$(bin_of "$variant")
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
first = variants[0]
head = ["scenario", "unit"] + [f"{v} us/unit (user / kernel)" for v in variants] + [f"{v}/{first}" for v in variants[1:]] + ["dropped " + "; ".join(variants)]
print("| " + " | ".join(head) + " |")
print("|---|---|" + "---:|" * (len(head) - 2))
for label in labels:
    unit = next(r["unit"] for r in rows if r["label"] == label)
    totals, cells = [], []
    for t in variants:
        tot = med(label, t, lambda r: r["per_msg_us"])
        usr = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_user_us"))
        sys_ = med(label, t, lambda r: (r.get("cpu_split") or {}).get("per_msg_sys_us"))
        totals.append(tot)
        cells.append(f"{fmt(tot)} ({fmt(usr)} / {fmt(sys_)})")
    ratios = ["–" if not totals[0] or t is None else f"{t / totals[0]:.2f}" for t in totals[1:]]
    drops = "; ".join(str(sum(r.get("dropped", 0) for r in rows if r["label"] == label and r["target"] == t)) for t in variants)
    print("| " + " | ".join([label, unit] + cells + ratios + [drops]) + " |")
EOF
