#!/usr/bin/env bash
# Drops at the maximum ingest rate (issue 17): the full load generator sequence (every scenario,
# ingest_max last) against bench-server with the default Engine.IO heartbeat (25 s: every socket
# connected in the storm is pinged within the same few seconds) and with a heartbeat too long to
# fire during the run, interleaved. Reports, per run, ingest_max's deliveries dropped, its rate,
# the pings the load generator got during ingest_max, and the load average. Counts, not CPU
# figures: meaningful on a busy machine only as "drops happen / do not happen, and when".
#
#   ROUNDS=2 CONNS=10000 tests/bench/drops.sh
#   VARIANTS="buf256 buf1024" tests/bench/drops.sh   # the per-socket buffer (packets), 25 s heartbeat
#   VARIANTS="ping25s patched" tests/bench/drops.sh  # with our engineioxide patches (engineioxide_patch.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-10000}
SECS=${SECS:-2}
VARIANTS=${VARIANTS:-"ping25s ping600s"}
export BENCH_JWT_SECRET=${BENCH_JWT_SECRET:-bench-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_NAME=drops
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"
# shellcheck disable=SC2086 # one word per variant
build_bench $VARIANTS
echo "| round | heartbeat | ingest_max rate/s | deliveries expected/received/dropped | emit_drops (server) | pings during ingest_max | load avg (1 min) |"
echo "|---|---|---:|---|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
    for v in $VARIANTS; do
        extra=()
        case $v in
            ping25s) ping=25000 ;;
            ping600s) ping=600000 ;;
            buf[0-9]*) ping=25000; extra=(--max-buffer "${v#buf}") ;;
            patched) ping=25000 ;;   # the defaults, against engineioxide with tests/bench/patches applied
            patched-ping600s) ping=600000 ;;
            *) echo "unknown variant $v" >&2; exit 2 ;;
        esac
        bin=$BIN
        [[ $v == patched* ]] && bin=$PATCHED_BIN
        start_server taskset -c 1 "$bin/bench-server" --worker-threads 1 --ping-interval-ms "$ping" "${extra[@]}"
        timeout 400 taskset -c 0 "$BIN/bench-loadgen" --server "127.0.0.1:$PORT" --pid "$SPID" --target "$v" --round "$round" \
            --conns "$CONNS" --secs "$SECS" >"$WORK/lg.out" 2>"$WORK/lg.err" || echo "load generator failed: $(tail -2 "$WORK/lg.err")" >&2
        load=$(cut -d' ' -f1 /proc/loadavg)
        stop_server
        grep '"ingest_max"' "$WORK/lg.out" | python3 -c 'import json,sys
d=json.loads(sys.stdin.readline()); s=d.get("server_stats") or {}
cells=[sys.argv[1], sys.argv[2], format(d["rate_per_s"], ",.0f"),
       "{}/{}/{}".format(d["deliveries_expected"], d["deliveries_received"], d["deliveries_dropped"]),
       str(s.get("emit_drops", "-")), str(d.get("pings_during")), sys.argv[3]]
print("| " + " | ".join(cells) + " |")' "$round" "$v" "$load" || echo "| $round | $v | no ingest_max result | | | | $load |"
    done
done
