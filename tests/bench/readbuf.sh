#!/usr/bin/env bash
# The 1 KiB WebSocket read buffer's effect on latency (issue 17): bench-server (Runtime::serve)
# with --ws-read-buffer 4096 and 1024, interleaved, 3 rounds, 2,000 sockets, scenarios ack_rtt,
# ingest and ingest_max. Prints one Markdown row per run: round, buffer, ack round trip p50/p99
# (us), ingest delivery latency p50/p99 (us), ingest expected/received/dropped, ingest_max rate
# (msg/s) and drops, load average. ORDER="1024 4096" swaps the order within a round. Build first (tests/bench/server.sh or memory.sh builds it).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
echo "| round | read buffer | ack rtt p50/p99 us | ingest p50/p99 us | ingest exp/recv/dropped | ingest_max msg/s | ingest_max drops | load avg |"
echo "|---|---:|---|---|---|---:|---:|---:|"
export BENCH_JWT_SECRET=lat-$$
for round in 1 2 3; do for rb in ${ORDER:-4096 1024}; do
  out=${TMPDIR:-/tmp}/readbuf-srv-$$.out; : > $out
  taskset -c 1 $BIN/bench-server --worker-threads 1 --accept runtime --ws-read-buffer $rb > $out 2>/dev/null &
  SP=$!
  for i in $(seq 1 100); do grep -q pid $out && break; sleep 0.05; done
  PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' $out)
  timeout 200 taskset -c 0 $BIN/bench-loadgen --server 127.0.0.1:$PORT --pid $SP --target rb$rb --round $round --conns 2000 --secs 2 --only ack_rtt,ingest,ingest_max 2>/dev/null > ${TMPDIR:-/tmp}/readbuf-$$-$round-$rb.jsonl
  L=$(cut -d' ' -f1 /proc/loadavg)
  kill -TERM $SP; wait $SP 2>/dev/null
  python3 - ${TMPDIR:-/tmp}/readbuf-$$-$round-$rb.jsonl $round $rb $L <<'PY'
import json,sys
rows={}
for l in open(sys.argv[1]):
    d=json.loads(l); rows[d["scenario"]]=d
def lat(d,k):
    l=d.get("latency") or {}
    return "{}/{}".format(l.get("p50_us"), l.get("p99_us"))
a=rows.get("ack_rtt",{}); i=rows.get("ingest",{}); m=rows.get("ingest_max",{})
print(f"| {sys.argv[2]} | {sys.argv[3]} | {lat(a,'')} | {lat(i,'')} | {i.get('expected')}/{i.get('received')}/{i.get('dropped')} | {m.get('rate_per_s')} | {m.get('deliveries_dropped')} | {sys.argv[4]} |")
PY
done; done
rm -f ${TMPDIR:-/tmp}/readbuf-$$-*.jsonl ${TMPDIR:-/tmp}/readbuf-srv-$$.out
