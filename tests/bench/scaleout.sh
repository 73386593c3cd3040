#!/usr/bin/env bash
# Scale-out benchmark: 1 -> N fan-out with N members split over two gateways on one Redis,
# against the same load on one gateway without Redis (same run, same machine), Redis commands
# per delivered message, and the recovery replay cost per event (memory vs Redis Streams history).
#
#   tests/bench/scaleout.sh                         # 3 rounds, 10k members: ~6-10 min on 2 cores
#   ROUNDS=1 MEMBERS=2000 tests/bench/scaleout.sh   # quick look (figures not comparable)
#
# Processes (all on loopback, ports from the OS): one redis-server (no persistence), gateway S
# (no Redis), gateways A and B (--redis), all `bench-gateway` (the Rez gateway's own start() and
# defaults, release build, plus a control port that emits `score-update` on demand), and the
# load generator `bench-scaleout` (one thread). Nothing is pinned: the machine is shared, so
# the load average is recorded before and after every step.
#
# Prints figures; never fails on speed. Fails when something cannot be built or started, or
# when the load generator stops with an error.
# Outputs: tests/bench/results/scaleout-<date>.jsonl (one line per step) and, via
# tests/bench/scaleout_report.py, the tables of tests/bench/results/scaleout.md on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}
MEMBERS=${MEMBERS:-10000}        # room sizes: 1,000 and MEMBERS
RATE=${RATE:-20000}              # deliveries/s offered in the paced steps
SECS=${SECS:-3}                  # seconds of each paced step
BURST=${BURST:-100000}           # deliveries per burst step (emits back to back)
KS=${KS:-100,1000}               # events missed per recovery step (the catalogue keeps 1,000 per room)
RECOVER_CLIENTS=${RECOVER_CLIENTS:-20}
BUDGET=${BUDGET:-1500}           # seconds for the load generator, at most
export SWITCHBOARD_JWT_SECRET=${SWITCHBOARD_JWT_SECRET:-scaleout-secret-$$}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export RUST_LOG=${RUST_LOG:-warn}
BENCH_NAME=scaleout
# shellcheck source=lib.sh
. "$ROOT/tests/bench/lib.sh"

command -v redis-server >/dev/null || { echo "error: redis-server is missing (apt-get install -y redis-server)" >&2; exit 1; }
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((MEMBERS + RECOVER_CLIENTS + 200)) ]; then
    MEMBERS=$(( (NOFILE - RECOVER_CLIENTS - 200) / 1000 * 1000 ))
    log "open-file limit is $NOFILE: members scaled down to $MEMBERS"
fi
timeout 1500 cargo build -q --release --manifest-path tests/bench/rust/Cargo.toml --bin bench-gateway --bin bench-scaleout

# A free loopback port: bound by the OS, then released (the kernel does not reuse it at once).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --protected-mode yes \
    --maxmemory-policy noeviction >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping | grep -q PONG || { log "redis-server did not start: $(cat "$WORK/redis.log")"; exit 1; }

# Starts a gateway; $1 = name, rest = flags. Sets NODE to "ADDR,CONTROL,PID".
gateway() {
    local name=$1
    shift
    "$BIN/bench-gateway" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local i
    for i in $(seq 1 200); do
        if grep -q '"pid"' "$WORK/$name.out"; then
            local port control
            port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/$name.out" | head -1)
            control=$(sed -n 's/.*"control":\([0-9]*\).*/\1/p' "$WORK/$name.out" | head -1)
            NODE="127.0.0.1:$port,$control,$pid"
            return 0
        fi
        sleep 0.05
    done
    log "gateway $name did not start: $(cat "$WORK/$name.err")"
    return 1
}
gateway single; SINGLE=$NODE
gateway node-a --redis "redis://127.0.0.1:$REDIS_PORT"; NODE_A=$NODE
gateway node-b --redis "redis://127.0.0.1:$REDIS_PORT"; NODE_B=$NODE
log "redis :$REDIS_PORT (pid $REDIS_PID); single $SINGLE; node-a $NODE_A; node-b $NODE_B"

# Machine facts and the load before the run.
python3 - "$OUT" "$STAMP" "$(git rev-parse --short HEAD)" "$(redis-server --version)" "$MEMBERS" "$ROUNDS" "$RATE" "$SECS" "$BURST" <<'EOF'
import json, os, sys, platform
out, stamp, commit, redis, members, rounds, rate, secs, burst = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
fact = {"kind": "machine", "stamp": stamp, "commit": commit, "cpu": cpu, "cores": os.cpu_count(),
        "mem_gib": round(mem / 2**20, 1), "kernel": platform.release(), "redis": redis,
        "members": int(members), "rounds": int(rounds), "rate": int(rate), "secs": float(secs), "burst": int(burst),
        "loadavg_start": open("/proc/loadavg").read().split()[:3]}
with open(out, "a") as f:
    f.write(json.dumps(fact) + "\n")
EOF

timeout "$BUDGET" "$BIN/bench-scaleout" --single "$SINGLE" --node-a "$NODE_A" --node-b "$NODE_B" \
    --redis-port "$REDIS_PORT" --redis-pid "$REDIS_PID" --members "$MEMBERS" --rounds "$ROUNDS" \
    --rate "$RATE" --secs "$SECS" --burst "$BURST" --ks "$KS" --recover-clients "$RECOVER_CLIENTS" --out "$OUT"

# Gateway logs: warnings (e.g. a failed emit) would explain odd figures.
for n in single node-a node-b; do
    if [ -s "$WORK/$n.err" ]; then log "$n stderr (last lines):"; tail -5 "$WORK/$n.err" >&2; fi
done
log "raw: $OUT (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 "$ROOT/tests/bench/scaleout_report.py" "$OUT"
