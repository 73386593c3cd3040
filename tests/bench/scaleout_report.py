#!/usr/bin/env python3
"""Markdown tables from a scaleout-<date>.jsonl (tests/bench/scaleout.sh): medians over the
measured rounds (round 0 is a warm-up and dropped when there are 3 or more rounds), spreads
((max - min) / median), and the sums of expected/received/dropped over every round shown."""
import json
import statistics
import sys


def load(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    machine = next((r for r in rows if r.get("kind") == "machine"), {})
    rounds = 1 + max((r.get("round", 0) for r in rows if "round" in r), default=0)
    keep = [r for r in rows if r.get("kind") != "machine" and (rounds < 3 or r.get("round", 0) > 0)]
    # RSS growth is only meaningful the first time a process holds sockets (round 0): freed
    # memory stays mapped afterwards.
    first = [r for r in rows if r.get("kind") == "connect" and r.get("round") == 0]
    return machine, rounds, keep, first


def group(rows, kind, key):
    """Rows of one kind, by key(row), in a dict of lists."""
    out = {}
    for r in rows:
        if r["kind"] == kind:
            out.setdefault(key(r), []).append(r)
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    m = med(xs)
    return None if not xs or not m else (max(xs) - min(xs)) / m


def cpu(r, name):
    """(user, system) microseconds from /proc/PID/stat (10 ms steps)."""
    c = r["cpu"].get(name, {})
    return c.get("user_us", 0), c.get("sys_us", 0)


def run_us(r, name):
    """On-CPU microseconds from schedstat (nanosecond resolution): the totals use this."""
    return r["cpu"].get(name, {}).get("sched_us", 0)


def share(rs, name):
    """User/system split of the stat ticks, in percent, over all rounds shown."""
    u = sum(cpu(r, name)[0] for r in rs)
    s = sum(cpu(r, name)[1] for r in rs)
    return "–" if u + s == 0 else f"{100 * u / (u + s):.0f}/{100 * s / (u + s):.0f}"


def fmt(x, d=1):
    return "–" if x is None else f"{x:,.{d}f}"


def loads(rs):
    vals = [float(r[k].split()[0]) for r in rs for k in ("loadavg_before", "loadavg_after") if r.get(k)]
    return f"{min(vals):.1f}-{max(vals):.1f}" if vals else "–"


def fanout(rows):
    print("| setup | 1->N | step | deliveries/s (spread) | p50 / p99 ms | expected/received/dropped | "
          "gateway CPU µs per delivery: total (user/sys share) | Redis CPU µs/delivery | Redis commands per delivery / per emit | load generator CPU % | load |")
    print("|---|---:|---|---:|---:|---|---|---:|---:|---:|---|")
    groups = group(rows, "fanout", lambda r: (r["setup"], r["n"], r["mode"]))
    for (setup, n, mode), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        dps = [r["deliveries_per_s"] for r in rs]
        p50 = med([r["latency_ms"]["p50"] for r in rs])
        p99 = med([r["latency_ms"]["p99"] for r in rs])
        exp, rec, drop = (sum(r[k] for r in rs) for k in ("expected", "received", "dropped"))
        nodes = rs[0]["members_on"] if rs[0]["emitter"] in rs[0]["members_on"] else rs[0]["members_on"] + [rs[0]["emitter"]]
        per_node = []
        for name in nodes:
            us = [run_us(r, name) / max(r["received"], 1) for r in rs]
            per_node.append(f"{name} {fmt(med(us), 2)} ({share(rs, name)})")
        redis_cpu = med([run_us(r, "redis") / max(r["received"], 1) for r in rs])
        cpd = med([r["redis_commands_per_delivery"] for r in rs])
        lg = med([100 * run_us(r, "loadgen") / 1e6 / r["secs"] if r["secs"] else None for r in rs])
        cpe = med([r["redis_commands_per_emit"] for r in rs])
        offered = rs[0].get("offered_deliveries_per_s")
        step = f"paced {offered:,.0f}/s" if offered else "burst"
        print(f"| {setup} | {n:,} | {step} | {fmt(med(dps), 0)} ({fmt((spread(dps) or 0) * 100, 0)} %) | {fmt(p50, 2)} / {fmt(p99, 2)} | "
              f"{exp}/{rec}/{drop} | {'; '.join(per_node)} | {fmt(redis_cpu, 2)} | {fmt(cpd, 4)} / {fmt(cpe, 2)} | {fmt(lg, 0)} | {loads(rs)} |")


def commands(rows):
    by = {}
    for r in rows:
        if r["kind"] == "fanout" and r["setup"] == "two-nodes":
            for name, c in r["redis_commands"]["by_command"].items():
                by.setdefault((r["n"], r["mode"]), {}).setdefault(name, []).append(c["calls"] / max(r["emits"], 1))
    if by:
        print("\nRedis commands per emit, two nodes (median over rounds):\n")
        print("| 1->N | step | commands per emit |")
        print("|---:|---|---|")
        for (n, mode), cs in sorted(by.items()):
            print(f"| {n:,} | {mode} | {', '.join(f'{k} {med(v):.2f}' for k, v in sorted(cs.items()))} |")
        print("\nRound trips from the emitting node per emit: `eval` (the history append script) and `publish`; "
              "`time`, `set`, `hsetnx`, `hincrby`, `hget`, `hset`, `pexpire` (2) and `xadd` run inside that script "
              "(Redis counts them too); `ping` is each node's heartbeat (4/s per node, whatever the load).")


def ratios(rows):
    groups = group(rows, "fanout", lambda r: (r["n"], r["mode"], r["setup"]))
    print("\n| 1->N | step | deliveries/s two nodes / one | CPU µs per delivery, all gateways + Redis: one node | two nodes | two / one |")
    print("|---:|---|---:|---:|---:|---:|")
    for (n, mode) in sorted({(k[0], k[1]) for k in groups}):
        one, two = groups.get((n, mode, "single")), groups.get((n, mode, "two-nodes"))
        if not one or not two:
            continue
        def total(rs):
            return med([sum(v.get("sched_us", 0) for k, v in r["cpu"].items() if k != "loadgen") / max(r["received"], 1) for r in rs])
        d1, d2 = med([r["deliveries_per_s"] for r in one]), med([r["deliveries_per_s"] for r in two])
        c1, c2 = total(one), total(two)
        print(f"| {n:,} | {mode} | {fmt(d2 / d1 if d1 else None, 2)} | {fmt(c1, 2)} | {fmt(c2, 2)} | {fmt(c2 / c1 if c1 else None, 2)} |")


def recovery(rows):
    print("\n| history | K missed | clients | replayed / expected | `_recover` answer, median ms | "
          "serving node CPU µs per replayed event (user/sys share) | Redis CPU µs per replayed event | Redis commands per recovery | problems | load |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---|---|")
    groups = group(rows, "recover", lambda r: (r["history"], r["k"]))
    for (hist, k), rs in sorted(groups.items()):
        node = rs[0]["served_by"]
        ev = lambda r: max(r["replayed"], 1)
        tot = med([run_us(r, node) / ev(r) for r in rs])
        red = med([run_us(r, "redis") / ev(r) for r in rs])
        cmds = med([(r["redis_commands"] or {}).get("total", 0) / max(r["clients"], 1) for r in rs])
        probs = sum(len(r["problems"]) for r in rs)
        exp = sum(r["k"] * r["clients"] for r in rs)
        print(f"| {hist} | {k:,} | {rs[0]['clients']} x {len(rs)} | {sum(r['replayed'] for r in rs)} / {exp} | "
              f"{fmt(med([r['recover_us_median'] / 1000 for r in rs]), 2)} | {fmt(tot, 2)} ({share(rs, node)}) | {fmt(red, 2)} | {fmt(cmds, 1)} | {probs} | {loads(rs)} |")


def connect(rows, first):
    print("\n| setup | members per node | connect, s | RSS per node after connect, MiB | RSS growth per socket in round 0, KB | idle CPU (2 s), ms per node | load |")
    print("|---|---|---:|---|---:|---|---|")
    groups = group(rows, "connect", lambda r: r["setup"])
    for setup, rs in sorted(groups.items()):
        on = rs[0]["members_on"]
        per = rs[0]["members"] // len(on)
        rss = {n: med([r["rss_kib_after"][n] / 1024 for r in rs]) for n in on}
        grow = med([sum(r["rss_kib_after"][n] - r["rss_kib_before"][n] for n in on) * 1024 / r["members"] / 1000 for r in first if r["setup"] == setup])
        idle = {n: med([run_us(r["idle_2s"], n) / 1000 for r in rs]) for n in on + ["redis"]}
        print(f"| {setup} | {', '.join(f'{n} {per:,}' for n in on)} | {fmt(med([r['connect_s'] for r in rs]), 1)} | "
              f"{', '.join(f'{n} {fmt(v, 0)}' for n, v in rss.items())} | {fmt(grow, 1)} | {', '.join(f'{n} {fmt(v, 0)}' for n, v in idle.items())} | {loads(rs)} |")


def main():
    machine, rounds, rows, first = load(sys.argv[1])
    print(f"Run `{machine.get('stamp')}` at `{machine.get('commit')}`: {machine.get('cpu')}, {machine.get('cores')} cores, "
          f"{machine.get('mem_gib')} GiB, kernel {machine.get('kernel')}, {machine.get('redis')}; {machine.get('members')} members, "
          f"{rounds} rounds ({'round 0 dropped' if rounds >= 3 else 'all rounds shown'}); load average at the start "
          f"{' '.join(machine.get('loadavg_start', []))}.\n")
    fanout(rows)
    ratios(rows)
    commands(rows)
    recovery(rows)
    connect(rows, first)


if __name__ == "__main__":
    main()
