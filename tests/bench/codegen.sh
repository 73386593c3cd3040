#!/usr/bin/env bash
# Codegen benchmark (design: shared reference benchmarks.md, "Codegen", K1-K5).
#
#   tests/bench/codegen.sh                      # full run (about 10-12 min on 2 idle cores)
#   QUICK=1 tests/bench/codegen.sh              # try the harness: sizes 50/500, fewer runs
#
# K1  generation time per size: in process per target (criterion, tests/benches/codegen.rs)
#     and as a whole CLI run (`switchboard generate`, median of CLI_RUNS, peak RSS); the
#     exponent of log(time) against log(events).
# K2  first build of a crate whose build.rs uses switchboard::Builder, per size.
# K3  no-op `cargo build`: the build script must be reported Fresh; compared with a crate
#     without build.rs (runs interleaved).
# K4  a catalogue file touched, bytes unchanged.  K5  one event renamed.
#
# Prints figures; never fails on speed. Fails only when something cannot be built or run.
# Outputs: tests/bench/results/codegen-<UTC stamp>.json (raw samples, versions, machine facts)
# and tests/bench/results/codegen.md (tables for the README's Performance section).
#
# Knobs (environment):
#   SIZES=50,500,5000     catalogue sizes for K1          SEED=42
#   BUILD_SIZES=50,500    K2/K3 sizes. 5000 is opt-in: its generated crate (~940k lines) took
#                         more than 14 min of CPU and ~10 GB RSS in rustc without finishing
#   EDIT_SIZES=50,500     K4/K5 sizes                     EDIT_RUNS=2
#   CLI_RUNS=5  NOOP_RUNS=7
#   CLI_OUT               where the CLI writes (default /dev/shm/..., tmpfs; see K1 below)
#   BUILD_TIMEOUT=480     seconds per cargo build of a scratch crate
#   BUDGET=1140           seconds for this script: a step whose estimate does not fit in what is
#                         left is skipped, and the skip is recorded in the JSON and the table
#   CARGO_TARGET_DIR      shared with the workspace (default: <repo>/target) so deps are reused
#
# The scratch crates live in ${TMPDIR:-/tmp}/switchboard-bench-codegen (never in the repo);
# their artifacts in the target dir are removed with `cargo clean -p` before and after.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

if [ -n "${QUICK:-}" ]; then
    SIZES=${SIZES:-50,500}; BUILD_SIZES=${BUILD_SIZES:-50}; EDIT_SIZES=${EDIT_SIZES:-50}
    CLI_RUNS=${CLI_RUNS:-3}; NOOP_RUNS=${NOOP_RUNS:-3}; EDIT_RUNS=${EDIT_RUNS:-1}
fi
SIZES=${SIZES:-50,500,5000}
BUILD_SIZES=${BUILD_SIZES:-50,500}
EDIT_SIZES=${EDIT_SIZES:-50,500}
SEED=${SEED:-42}
CLI_RUNS=${CLI_RUNS:-5}
NOOP_RUNS=${NOOP_RUNS:-7}
EDIT_RUNS=${EDIT_RUNS:-2}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-480}
BUDGET=${BUDGET:-1140}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TERM_COLOR=never

START=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$ROOT/tests/bench/results
SCRATCH=${TMPDIR:-/tmp}/switchboard-bench-codegen
RAW=$SCRATCH/raw.jsonl
BIN=$CARGO_TARGET_DIR/release
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a BUILD_LIST <<<"$BUILD_SIZES"
IFS=, read -r -a EDIT_LIST <<<"$EDIT_SIZES"

log() { printf '[codegen %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }
elapsed() { echo $(($(date +%s) - START)); }
# fits SECONDS: true when a step estimated to take SECONDS still fits in the budget.
fits() { [ $(($(elapsed) + $1)) -le "$BUDGET" ]; }
skip() { # skip WHAT REASON
    log "skipped: $1 ($2)"
    jq -cn --arg what "$1" --arg reason "$2" '{phase: "skipped", what: $what, reason: $reason}' >>"$RAW"
}
median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# shellcheck source=scratch.sh
. "$ROOT/tests/bench/scratch.sh"
take_scratch codegen.sh jq python3 /usr/bin/time cargo

CRATES=()   # scratch crates whose artifacts get cleaned at exit
cleanup() {
    local c
    if [ -n "${CLI_OUT_OWNED:-}" ]; then rm -rf "$CLI_OUT"; fi
    for c in "${CRATES[@]}"; do
        timeout 120 cargo clean -q --offline --manifest-path "$SCRATCH/$c/Cargo.toml" -p "$c" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure PHASE SIZE RUN EXTRA_JSON -- CMD...: runs CMD (stdout/stderr to $SCRATCH/last.*),
# appends {phase,size,run,wall_s,user_s,sys_s,max_rss_kb,rc} + EXTRA_JSON to $RAW, returns CMD's
# status. max_rss_kb is the largest single process of the tree (GNU time, getrusage children).
measure() {
    local phase=$1 size=$2 run=$3 extra=$4; shift 5
    local t0 t1 rc=0 user sys rss
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$SCRATCH/last.time" "$@" >"$SCRATCH/last.out" 2>"$SCRATCH/last.err" || rc=$?
    t1=$(date +%s%N)
    read -r user sys rss < <(tail -n 1 "$SCRATCH/last.time")
    jq -cn --arg phase "$phase" --argjson size "$size" --argjson run "$run" --argjson extra "$extra" \
        --argjson wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}')" \
        --argjson user "$user" --argjson sys "$sys" --argjson rss "$rss" --argjson rc "$rc" \
        '{phase: $phase, size: $size, run: $run, wall_s: $wall, user_s: $user, sys_s: $sys, max_rss_kb: $rss, rc: $rc} + $extra' >>"$RAW"
    LAST_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    return "$rc"
}

# --- facts ----------------------------------------------------------------------------------
log "machine facts"
GIT_REV=$(git rev-parse HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$([ -n "$(git status --porcelain 2>/dev/null)" ] && echo true || echo false)
jq -n \
    --arg stamp "$STAMP" --arg rustc "$(rustc -V)" --arg cargo "$(cargo -V)" \
    --argjson nproc "$(nproc)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    --argjson mem_kb "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" --arg kernel "$(uname -sr)" \
    --arg git_rev "$GIT_REV" --argjson git_dirty "$GIT_DIRTY" --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --arg criterion "$(awk '/^name = "criterion"$/ {getline; print $3}' Cargo.lock | tr -d '"')" \
    --arg switchboard "$(awk '/^name = "switchboard"$/ {getline; print $3}' Cargo.lock | tr -d '"')" \
    --arg time_version "$(/usr/bin/time --version 2>&1 | head -n1)" --arg python "$(python3 -V 2>&1)" \
    --arg seed "$SEED" --arg sizes "$SIZES" --arg build_sizes "$BUILD_SIZES" --arg edit_sizes "$EDIT_SIZES" \
    --argjson cli_runs "$CLI_RUNS" --argjson noop_runs "$NOOP_RUNS" --argjson edit_runs "$EDIT_RUNS" \
    --argjson budget "$BUDGET" --argjson build_timeout "$BUILD_TIMEOUT" --arg note "${BENCH_NOTE:-}" \
    '{stamp: $stamp, note: $note,
      versions: {rustc: $rustc, cargo: $cargo, switchboard: $switchboard, criterion: $criterion, gnu_time: $time_version, python: $python},
      machine: {nproc: $nproc, cpu_model: $cpu, mem_total_kb: $mem_kb, kernel: $kernel, loadavg_start: $loadavg},
      git: {rev: $git_rev, dirty: $git_dirty},
      config: {seed: ($seed | tonumber), sizes: $sizes, build_sizes: $build_sizes, edit_sizes: $edit_sizes,
               cli_runs: $cli_runs, noop_runs: $noop_runs, edit_runs: $edit_runs, budget_s: $budget,
               build_timeout_s: $build_timeout, profile_scratch_builds: "dev", profile_cli_and_criterion: "release"}}' \
    >"$SCRATCH/facts.json"

# --- release binaries and the criterion bench, built once ----------------------------------
log "building release binaries and the criterion bench"
measure build_release 0 0 '{}' -- timeout 1500 cargo build --release --offline -p switchboard --bin switchboard -p switchboard-tests --bin synth_catalogue \
    || { cat "$SCRATCH/last.err" >&2; exit 1; }
measure build_bench 0 0 '{}' -- timeout 1500 cargo bench --offline -p switchboard-tests --bench codegen --no-run \
    || { cat "$SCRATCH/last.err" >&2; exit 1; }

# --- synthetic catalogues ----------------------------------------------------------------
mkdir -p "$SCRATCH/cat"
ALL_SIZES=$(printf '%s\n' "${SIZE_LIST[@]}" "${BUILD_LIST[@]}" "${EDIT_LIST[@]}" | sort -un)
for n in $ALL_SIZES; do
    "$BIN/synth_catalogue" --events "$n" --seed "$SEED" --out "$SCRATCH/cat/$n" >/dev/null
    jq -cn --argjson size "$n" --argjson files "$(find "$SCRATCH/cat/$n" -name '*.yaml' | wc -l)" \
        --argjson bytes "$(cat "$SCRATCH/cat/$n"/*.yaml | wc -c)" --argjson lines "$(cat "$SCRATCH/cat/$n"/*.yaml | wc -l)" \
        '{phase: "catalogue", size: $size, yaml_files: $files, yaml_bytes: $bytes, yaml_lines: $lines}' >>"$RAW"
done
log "catalogues: $(echo $ALL_SIZES) events (seed $SEED)"

# --- K1: whole CLI -----------------------------------------------------------------------
if [ -z "${CLI_OUT:-}" ]; then
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then CLI_OUT=/dev/shm/switchboard-bench-codegen-$$; else CLI_OUT=$SCRATCH/cli; fi
    CLI_OUT_OWNED=1
fi
mkdir -p "$CLI_OUT"
CLI_OUT_FS=$(stat -f -c %T "$CLI_OUT")
jq --arg dir "$CLI_OUT" --arg fs "$CLI_OUT_FS" '.config.cli_out = $dir | .config.cli_out_fs = $fs' "$SCRATCH/facts.json" >"$SCRATCH/facts.tmp" && mv "$SCRATCH/facts.tmp" "$SCRATCH/facts.json"
# The CLI writes into CLI_OUT (default: a folder on /dev/shm, tmpfs) so the figures are the
# generator's own cost: on this machine's ext4 (mounted with `discard`), file creation right after
# large deletions (the previous run's, or `rm -rf` of the last run's ~6,000 files) cost up to
# 5 s of system time per 5,000-event run instead of ~0.4 s. Set CLI_OUT to a disk folder to
# include the disk. Each run writes into a folder never used before; folders are deleted
# between sizes, outside the timings.
for n in "${SIZE_LIST[@]}"; do
    # One unrecorded warm-up run (page cache), then CLI_RUNS recorded runs.
    "$BIN/switchboard" generate --schema "$SCRATCH/cat/$n" --out "$CLI_OUT/gen-$n-0" >/dev/null
    files=$(find "$CLI_OUT/gen-$n-0" -type f | wc -l); bytes=$(find "$CLI_OUT/gen-$n-0" -type f -exec cat {} + | wc -c)
    walls=()
    for r in $(seq 1 "$CLI_RUNS"); do
        measure cli "$n" "$r" "$(jq -cn --argjson f "$files" --argjson b "$bytes" '{output_files: $f, output_bytes: $b}')" \
            -- "$BIN/switchboard" generate --schema "$SCRATCH/cat/$n" --out "$CLI_OUT/gen-$n-$r" \
            || { cat "$SCRATCH/last.err" >&2; exit 1; }
        walls+=("$LAST_WALL")
    done
    log "CLI generate, $n events: median $(echo "${walls[*]}" | median) s over $CLI_RUNS runs ($files files, $bytes bytes)"
    rm -rf "$CLI_OUT"/gen-*
done
rmdir "$CLI_OUT" 2>/dev/null || true

# --- K1: in process (criterion) --------------------------------------------------------
log "criterion (sizes $SIZES)"
export CRITERION_HOME=$SCRATCH/criterion
measure criterion_run 0 0 '{}' -- env SWITCHBOARD_BENCH_SIZES="$SIZES" SWITCHBOARD_BENCH_SEED="$SEED" \
    timeout 900 cargo bench --offline -p switchboard-tests --bench codegen \
    || { tail -n 40 "$SCRATCH/last.err" >&2; exit 1; }
cp "$SCRATCH/last.out" "$SCRATCH/criterion.log"
grep -E '^[a-z_]+/[0-9]+ +time:' "$SCRATCH/criterion.log" | sed 's/^/  /' >&2 || true

# --- K2-K5: build.rs ---------------------------------------------------------------------
# new_crate NAME KIND [SIZE]: a scratch crate depending on switchboard-runtime. KIND builder: build.rs
# runs switchboard::Builder on a copy of the SIZE catalogue (and writes how long that took to
# OUT_DIR/bench-build-script-seconds); empty: an empty build.rs with the same build-dependency;
# plain: no build.rs. empty and plain include src/generated.rs (copied in by the caller).
new_crate() {
    local name=$1 kind=$2 size=${3:-} dir=$SCRATCH/$1
    mkdir -p "$dir/src"
    cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"   # same versions as the workspace: deps are reused
    {
        printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n' "$name"
        printf '[dependencies]\nswitchboard-runtime = { path = "%s/runtime" }\n\n' "$ROOT"
        if [ "$kind" != plain ]; then printf '[build-dependencies]\nswitchboard = { path = "%s/codegen" }\n\n' "$ROOT"; fi
        printf '[workspace]\n'
    } >"$dir/Cargo.toml"
    case $kind in
        builder)
            mkdir -p "$dir/catalogue" && cp "$SCRATCH/cat/$size"/*.yaml "$dir/catalogue/"
            cat >"$dir/build.rs" <<'RS'
fn main() {
    let started = std::time::Instant::now();
    switchboard::Builder::new().catalogue("catalogue").build_or_exit();
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("bench-build-script-seconds"), format!("{:.6}", started.elapsed().as_secs_f64())).expect("write timing");
}
RS
            printf '#![allow(dead_code, deprecated)]\ninclude!(concat!(env!("OUT_DIR"), "/switchboard.rs"));\n' >"$dir/src/lib.rs"
            ;;
        empty)
            printf 'fn main() {}\n' >"$dir/build.rs"
            printf '#![allow(dead_code, deprecated)]\ninclude!("generated.rs");\n' >"$dir/src/lib.rs"
            ;;
        plain)
            printf '#![allow(dead_code, deprecated)]\ninclude!("generated.rs");\n' >"$dir/src/lib.rs"
            ;;
    esac
    CRATES+=("$name")
    timeout 120 cargo clean -q --offline --manifest-path "$dir/Cargo.toml" -p "$name" 2>/dev/null || true
}

# build PHASE SIZE RUN CRATE: `cargo build -v --message-format=json` of a scratch crate, recorded
# with what cargo did: did the build script run, was the library compiled, was all Fresh, did
# cargo wait for the target-dir lock (another build was running), did switchboard.rs change.
build() {
    local phase=$1 size=$2 run=$3 name=$4 dir=$SCRATCH/$4 rc=0 before after
    before=$(stat -c %y "$SCRATCH/out-$name/switchboard.rs" 2>/dev/null || echo none)
    measure "$phase" "$size" "$run" "{\"crate\": \"$name\"}" -- \
        timeout "$BUILD_TIMEOUT" cargo build -v --offline --message-format=json --manifest-path "$dir/Cargo.toml" || rc=$?
    local err=$SCRATCH/last.err script_ran=false lib_compiled=false fresh=false lock_wait=false out_dir changed=false script_s=null
    grep -q "Running \`.*/build/$name-[0-9a-f]*/build-script-build\`" "$err" && script_ran=true
    grep -q "Running \`.*rustc --crate-name $name " "$err" && lib_compiled=true
    grep -q "Fresh $name v" "$err" && ! $script_ran && ! $lib_compiled && fresh=true
    grep -q 'Blocking waiting for file lock' "$err" && lock_wait=true
    LAST_LOCK_WAIT=$lock_wait
    LAST_WRITTEN=false
    out_dir=$(jq -r --arg n "$name" 'select(.reason == "build-script-executed" and (.package_id | contains($n))) | .out_dir' "$SCRATCH/last.out" 2>/dev/null | tail -n1)
    if [ -n "$out_dir" ] && [ -f "$out_dir/switchboard.rs" ]; then
        ln -sfn "$out_dir" "$SCRATCH/out-$name"
        after=$(stat -c %y "$out_dir/switchboard.rs")
        if [ "$before" != "$after" ]; then changed=true; LAST_WRITTEN=true; fi
        if $script_ran && [ -f "$out_dir/bench-build-script-seconds" ]; then script_s=$(cat "$out_dir/bench-build-script-seconds"); fi
    fi
    # Merge the findings into the sample just written.
    local last; last=$(tail -n 1 "$RAW"); sed -i '$d' "$RAW"
    jq -c --argjson s "$script_ran" --argjson l "$lib_compiled" --argjson f "$fresh" --argjson w "$lock_wait" --argjson c "$changed" --argjson ss "$script_s" \
        '. + {build_script_ran: $s, lib_compiled: $l, all_fresh: $f, waited_for_lock: $w, switchboard_rs_written: $c, build_script_run_s: $ss}' <<<"$last" >>"$RAW"
    if [ "$rc" -ne 0 ]; then
        if [ "$rc" -eq 124 ]; then log "$phase $name: timed out after ${BUILD_TIMEOUT}s"; else tail -n 30 "$err" >&2; fi
        return "$rc"
    fi
    log "$phase $name: ${LAST_WALL}s (build script ran: $script_ran, lib compiled: $lib_compiled, fresh: $fresh$($lock_wait && echo ', waited for lock'))"
}

# A warm-up crate builds the dependencies (switchboard for the host, switchboard-runtime) once;
# its catalogue is the smallest, and it is not recorded as a first build.
SMALLEST=$(printf '%s\n' "${BUILD_LIST[@]}" | sort -n | head -n1)
new_crate sb_bench_warm builder "$SMALLEST"
log "warm-up build of the dependencies"
build warmup "$SMALLEST" 0 sb_bench_warm || { log "warm-up build failed"; exit 1; }

BUILT=()
for n in "${BUILD_LIST[@]}"; do
    est=$(( n / 5 + 15 ))   # ~0.2 s per event in debug on 2 cores (measured: 500 events ~100 s)
    if ! fits "$est"; then skip "first build, $n events" "budget: ~${est}s estimated, $(( BUDGET - $(elapsed) ))s left"; continue; fi
    new_crate "sb_bench_n$n" builder "$n"
    if build first_build "$n" 1 "sb_bench_n$n"; then
        BUILT+=("$n")
        f=$SCRATCH/out-sb_bench_n$n/switchboard.rs
        jq -cn --argjson size "$n" --argjson lines "$(wc -l <"$f")" --argjson bytes "$(wc -c <"$f")" \
            '{phase: "generated_rust", size: $size, lines: $lines, bytes: $bytes}' >>"$RAW"
    fi
done

# K3: no-op builds, interleaved with two crates holding the same generated code (of the smallest
# size): one without build.rs, one with an empty build.rs and the same build-dependency. The
# three together split the no-op cost between the build-dependency graph and Builder's
# rerun-if-changed checks.
if [ "${#BUILT[@]}" -gt 0 ]; then
    for kind in plain empty; do
        new_crate "sb_bench_$kind" "$kind"
        cp "$SCRATCH/out-sb_bench_n${BUILT[0]}/switchboard.rs" "$SCRATCH/sb_bench_$kind/src/generated.rs"
        build "first_build_$kind" "${BUILT[0]}" 1 "sb_bench_$kind" || true
    done
    # noop_sample PHASE SIZE RUN CRATE: a no-op sample; one that waited for the target-dir lock
    # (another build was running) is kept but flagged, and taken again (twice at most).
    noop_sample() {
        local try
        for try in 1 2 3; do
            build "$@" || true
            $LAST_LOCK_WAIT || break
        done
    }
    for r in $(seq 1 "$NOOP_RUNS"); do
        noop_sample noop_plain "${BUILT[0]}" "$r" sb_bench_plain
        noop_sample noop_empty_buildrs "${BUILT[0]}" "$r" sb_bench_empty
        for n in "${BUILT[@]}"; do noop_sample noop "$n" "$r" "sb_bench_n$n"; done
    done
fi

# K4 (touch, same bytes) and K5 (one event renamed), alternating the rename back and forth.
for n in "${EDIT_LIST[@]}"; do
    if [[ " ${BUILT[*]} " != *" $n "* ]]; then skip "touch/rename, $n events" "no first build at this size"; continue; fi
    name=sb_bench_n$n; file=$SCRATCH/$name/catalogue/dom000.yaml
    first=$(jq -s --argjson n "$n" 'map(select(.phase == "first_build" and .size == $n)) | .[0].wall_s | floor' "$RAW")
    for r in $(seq 1 "$EDIT_RUNS"); do
        if ! fits "$first"; then skip "touch, $n events, run $r" "budget: ~${first}s estimated, $(( BUDGET - $(elapsed) ))s left"; break; fi
        touch "$file"
        build touch "$n" "$r" "$name" || true
        if ! fits "$first"; then skip "rename, $n events, run $r" "budget: ~${first}s estimated, $(( BUDGET - $(elapsed) ))s left"; break; fi
        # Event 1 of dom000 is renamed (dom000:ev001_<verb> <-> dom000:ev001x_<verb>) everywhere it
        # is named in its file (key, and a migration or deprecation that mentions it).
        if grep -q 'dom000:ev001_' "$file"; then sed -i 's/dom000:ev001_/dom000:ev001x_/g' "$file"; else sed -i 's/dom000:ev001x_/dom000:ev001_/g' "$file"; fi
        build rename "$n" "$r" "$name" || true
        if ! $LAST_WRITTEN; then log "warning: the rename did not change switchboard.rs"; fi
    done
    # Back to no-op: the build script must be Fresh again.
    build noop_after_edits "$n" 1 "$name" || true
done

# --- report ----------------------------------------------------------------------------
jq --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson total "$(elapsed)" \
    '.machine.loadavg_end = $loadavg | .total_runtime_s = $total' "$SCRATCH/facts.json" >"$SCRATCH/facts.tmp" && mv "$SCRATCH/facts.tmp" "$SCRATCH/facts.json"
mkdir -p "$RESULTS"
python3 "$ROOT/tests/bench/codegen_report.py" --facts "$SCRATCH/facts.json" --raw "$RAW" --criterion "$CRITERION_HOME" \
    --json "$RESULTS/codegen-$STAMP.json" --markdown "$RESULTS/codegen.md"
log "done in $(elapsed)s: tests/bench/results/codegen-$STAMP.json, tests/bench/results/codegen.md"
