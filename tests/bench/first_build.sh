#!/usr/bin/env bash
# K2 at large sizes: the first `cargo build` (dev profile) of a crate whose build.rs runs
# switchboard::Builder on a synthetic catalogue, with the dependencies already built.
#
#   tests/bench/first_build.sh                     # SIZES=1000,2000,5000
#   SIZES=500,1000 tests/bench/first_build.sh
#
# Not part of run.sh: at 5,000 events this build alone takes longer than run.sh's 20-minute
# bound. codegen.sh measures K2 at 50 and 500 events inside the bound.
# Each build is bounded in time (BUILD_TIMEOUT, default 1800 s) and in memory: a watchdog samples
# the resident memory of the build's processes every second and stops the build when their sum
# passes MAX_RSS_MB (default 18432, leaving room on a 24 GiB machine). A stopped build is
# recorded as stopped, with how far it got; it is never reported as a time.
#
# Outputs: tests/bench/results/first-build-<UTC stamp>.json and tests/bench/results/first-build.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-1000,2000,5000}
SEED=${SEED:-42}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}
MAX_RSS_MB=${MAX_RSS_MB:-18432}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TERM_COLOR=never
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SCRATCH=${TMPDIR:-/tmp}/switchboard-bench-first-build
RAW=$SCRATCH/raw.jsonl
START=$(date +%s)
log() { printf '[first-build %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }

# shellcheck source=scratch.sh
. "$ROOT/tests/bench/scratch.sh"
take_scratch first_build.sh jq python3 /usr/bin/time cargo setsid

CRATES=()
cleanup() {
    local c
    for c in "${CRATES[@]}"; do
        timeout 120 cargo clean -q --offline --manifest-path "$SCRATCH/$c/Cargo.toml" -p "$c" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building synth_catalogue"
cargo build -q --release --offline -p switchboard-tests --bin synth_catalogue

# new_crate NAME SIZE: a crate like a user's, its build.rs running Builder on the SIZE catalogue.
new_crate() {
    local name=$1 size=$2 dir=$SCRATCH/$1
    mkdir -p "$dir/src" "$dir/catalogue"
    cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
    "$CARGO_TARGET_DIR/release/synth_catalogue" --events "$size" --seed "$SEED" --out "$dir/catalogue" >/dev/null
    {
        printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n' "$name"
        printf '[dependencies]\nswitchboard-runtime = { path = "%s/runtime" }\n\n' "$ROOT"
        printf '[build-dependencies]\nswitchboard = { path = "%s/codegen" }\n\n[workspace]\n' "$ROOT"
    } >"$dir/Cargo.toml"
    printf 'fn main() {\n    switchboard::Builder::new().catalogue("catalogue").build_or_exit();\n}\n' >"$dir/build.rs"
    printf '#![allow(dead_code, deprecated)]\ninclude!(concat!(env!("OUT_DIR"), "/switchboard.rs"));\n' >"$dir/src/lib.rs"
    CRATES+=("$name")
    timeout 120 cargo clean -q --offline --manifest-path "$dir/Cargo.toml" -p "$name" 2>/dev/null || true
}

# build NAME SIZE: one bounded, watched build; appends a JSON line to $RAW.
build() {
    local name=$1 size=$2 dir=$SCRATCH/$1 status=ok peak=0 rss t0 t1 pid rc=0
    t0=$(date +%s%N)
    setsid /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/$name.time" \
        cargo build --offline --manifest-path "$dir/Cargo.toml" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" &
    # The build runs in a session of its own (setsid execs in place: a background job of a
    # script is not a group leader), so its session id is $! and every process it starts is in it.
    pid=$!
    sleep 0.2
    if [ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$pid" ]; then kill "$pid"; echo "setsid did not start a session" >&2; exit 1; fi
    while kill -0 "$pid" 2>/dev/null; do
        rss=$( (ps -o rss= --sid "$pid" 2>/dev/null || true) | awk '{s += $1} END {print int(s / 1024)}')
        if [ "$rss" -gt "$peak" ]; then peak=$rss; fi
        if [ "$rss" -gt "$MAX_RSS_MB" ]; then status=stopped_memory; pkill -KILL -s "$pid" || true; break; fi
        if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt "$BUILD_TIMEOUT" ]; then status=stopped_time; pkill -KILL -s "$pid" || true; break; fi
        sleep 1
    done
    wait "$pid" || rc=$?
    t1=$(date +%s%N)
    if [ "$status" = ok ] && [ "$rc" -ne 0 ]; then status=failed; tail -n 30 "$SCRATCH/$name.err" >&2; fi
    local wall user=null sys=null maxrss=null lines=null bytes=null f
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    if [ "$status" = ok ]; then read -r _ user sys maxrss < <(tail -n 1 "$SCRATCH/$name.time"); fi
    f=$(find "$CARGO_TARGET_DIR/debug/build" -path "*/$name-*/out/switchboard.rs" -newer "$dir/Cargo.toml" 2>/dev/null | head -n1)
    if [ -n "$f" ]; then lines=$(wc -l <"$f"); bytes=$(wc -c <"$f"); fi
    jq -cn --arg name "$name" --argjson size "$size" --arg status "$status" --argjson wall "$wall" \
        --argjson user "$user" --argjson sys "$sys" --argjson maxrss "$maxrss" --argjson peak "$peak" \
        --argjson lines "$lines" --argjson bytes "$bytes" --argjson limit "$MAX_RSS_MB" --argjson timeout "$BUILD_TIMEOUT" \
        '{crate: $name, size: $size, status: $status, wall_s: $wall, user_s: $user, sys_s: $sys,
          max_rss_single_process_kb: $maxrss, peak_tree_rss_mb_sampled: $peak, generated_lines: $lines,
          generated_bytes: $bytes, rss_limit_mb: $limit, timeout_s: $timeout}' >>"$RAW"
    log "$name ($size events): $status after ${wall}s, peak sampled RSS ${peak} MB"
}

log "warm-up: the dependencies, built once"
new_crate sb_first_warm 50
build sb_first_warm 50

IFS=, read -r -a SIZE_LIST <<<"$SIZES"
for n in "${SIZE_LIST[@]}"; do
    new_crate "sb_first_n$n" "$n"
    log "first build, $n events"
    build "sb_first_n$n" "$n"
done

mkdir -p "$ROOT/tests/bench/results"
python3 - "$RAW" "$ROOT/tests/bench/results/first-build-$STAMP.json" "$ROOT/tests/bench/results/first-build.md" "$STAMP" <<'PY'
import json, math, platform, subprocess, sys
raw, out_json, out_md, stamp = sys.argv[1:5]
rows = [json.loads(l) for l in open(raw) if l.strip()]
def sh(*a):
    try: return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError: return "unknown"
facts = {"stamp": stamp, "rustc": sh("rustc", "-V"), "git_rev": sh("git", "rev-parse", "HEAD"),
         "git_dirty": bool(sh("git", "status", "--porcelain")), "nproc": int(sh("nproc") or 0),
         "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown"),
         "mem_total_kb": int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))),
         "loadavg_end": open("/proc/loadavg").read().split()[:3], "kernel": platform.release()}
json.dump({"facts": facts, "builds": rows}, open(out_json, "w"), indent=1)
measured = [r for r in rows if r["status"] == "ok" and not r["crate"].endswith("warm")]
lines = ["<!-- Generated by tests/bench/first_build.sh; do not edit by hand. -->", "### First build of the generated crate (K2, large sizes)", "",
         f"{stamp}, git `{facts['git_rev'][:12]}`{' (dirty tree)' if facts['git_dirty'] else ''}; {facts['cpu']}, {facts['nproc']} cores; {facts['rustc']}. "
         "`cargo build` (dev profile) of a crate whose build.rs runs `switchboard::Builder` on a synthetic catalogue (seed 42), dependencies already built; one sample per size. "
         f"Bounds: {rows[0]['timeout_s'] if rows else '?'} s and {rows[0]['rss_limit_mb'] if rows else '?'} MB of resident memory summed over the build's processes (sampled each second).", "",
         "| events | generated Rust | status | wall | CPU user + sys | peak RSS (largest process) | peak RSS (all build processes, sampled) |", "|---|---|---|---|---|---|---|"]
for r in rows:
    if r["crate"].endswith("warm"): continue
    gen = f"{r['generated_lines']:,} lines, {r['generated_bytes'] / 2**20:.1f} MiB" if r["generated_lines"] else "–"
    if r["status"] == "ok":
        lines.append(f"| {r['size']:,} | {gen} | finished | {r['wall_s']:.1f} s | {r['user_s']:.1f} s + {r['sys_s']:.1f} s | {r['max_rss_single_process_kb'] / 2**20:.1f} GiB | {r['peak_tree_rss_mb_sampled'] / 1024:.1f} GiB |")
    else:
        why = {"stopped_memory": "stopped: memory bound", "stopped_time": "stopped: time bound", "failed": "failed"}[r["status"]]
        lines.append(f"| {r['size']:,} | {gen} | {why} | {r['wall_s']:.1f} s (not a build time) | – | – | {r['peak_tree_rss_mb_sampled'] / 1024:.1f} GiB when stopped |")
if len(measured) >= 2:
    a, b = measured[0], measured[-1]
    e = math.log(b["wall_s"] / a["wall_s"]) / math.log(b["size"] / a["size"])
    m = math.log(b["max_rss_single_process_kb"] / a["max_rss_single_process_kb"]) / math.log(b["size"] / a["size"])
    lines += ["", f"Exponent {a['size']:,} -> {b['size']:,} events: wall {e:.2f}, peak RSS {m:.2f}."]
lines += ["", f"Raw samples and machine facts: `tests/bench/results/first-build-{stamp}.json`."]
open(out_md, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
log "done: tests/bench/results/first-build-$STAMP.json, tests/bench/results/first-build.md"
