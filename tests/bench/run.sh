#!/usr/bin/env bash
# Runs every benchmark: the codegen benchmark (tests/bench/codegen.sh), then the server benchmark
# (tests/bench/server.sh) when it exists. The whole run is bounded: it is stopped after
# BENCH_TIMEOUT seconds (default 1200, i.e. 20 minutes), every process it started included.
#
#   tests/bench/run.sh
#
# Benchmarks print figures and never fail on speed; this exits non-zero only when a part could
# not build or run (or the bound was hit). Results: tests/bench/results/.
#
# Time split: codegen.sh gets CODEGEN_BUDGET seconds (default 600 when server.sh exists, else the
# whole bound less a margin) and takes each touch/rename sample once (EDIT_RUNS=1); its build.rs
# steps are skipped, and recorded as skipped, when they would not fit (on 2 cores the 500-event
# touch/rename samples usually are). The server part has the rest of the bound. Alone,
# tests/bench/codegen.sh measures everything in about 12 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1200}

if [ -z "${SWITCHBOARD_BENCH_BOUNDED:-}" ]; then
    # `timeout` puts the run in its own process group and signals the whole group when time is up.
    rc=0
    SWITCHBOARD_BENCH_BOUNDED=1 timeout --kill-after=30 "$BENCH_TIMEOUT" bash "${BASH_SOURCE[0]}" "$@" || rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "run.sh: stopped after ${BENCH_TIMEOUT}s (the bound); results written so far are in tests/bench/results/" >&2
    fi
    exit "$rc"
fi

cd "$ROOT"
START=$(date +%s)
status=0
if [ -f tests/bench/server.sh ]; then
    export BUDGET=${CODEGEN_BUDGET:-600}
    export EDIT_RUNS=${EDIT_RUNS:-1}
else
    export BUDGET=${CODEGEN_BUDGET:-$((BENCH_TIMEOUT - 60))}
fi

echo "== codegen (tests/bench/codegen.sh, budget ${BUDGET}s)" >&2
bash tests/bench/codegen.sh || { status=$?; echo "run.sh: codegen.sh failed (exit $status)" >&2; }
echo "== codegen took $(($(date +%s) - START))s" >&2

if [ -f tests/bench/server.sh ]; then
    echo "== server (tests/bench/server.sh, $((BENCH_TIMEOUT - ($(date +%s) - START)))s left of the bound)" >&2
    s=$(date +%s)
    bash tests/bench/server.sh || { rc=$?; status=$rc; echo "run.sh: server.sh failed (exit $rc)" >&2; }
    echo "== server took $(($(date +%s) - s))s" >&2
else
    echo "== server: tests/bench/server.sh not present, skipped" >&2
fi
echo "== all benchmarks took $(($(date +%s) - START))s" >&2
exit "$status"
