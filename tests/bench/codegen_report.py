#!/usr/bin/env python3
"""Collects the codegen benchmark (tests/bench/codegen.sh) into one JSON file and a Markdown table.

Inputs: the machine facts, the raw samples (JSON lines written by codegen.sh) and criterion's
folder (CRITERION_HOME: <target>/<size>/new/{sample,estimates}.json). Standard library only.
The scaling exponent is the least-squares slope of ln(time) against ln(events); with three
sizes it is also given for the last pair alone (500 -> 5,000), where fixed costs matter least.
"""

import argparse
import json
import math
import os
import statistics

TARGETS = ["lower", "typescript", "markdown", "json_schema", "rust"]


def slope(points):
    """Least-squares slope of ln(y) on ln(x); None with fewer than two sizes."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return round(sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx, 3)


def exponents(points):
    points = sorted(points)
    out = {"fit_all_sizes": slope(points)}
    if len(points) >= 3:
        out["last_pair"] = slope(points[-2:])
        out["last_pair_sizes"] = [points[-2][0], points[-1][0]]
    return out


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def load_criterion(home):
    rows = []
    if not home or not os.path.isdir(home):
        return rows
    for target in sorted(os.listdir(home)):
        tdir = os.path.join(home, target)
        if not os.path.isdir(tdir):
            continue
        for size in sorted(os.listdir(tdir), key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0)):
            new = os.path.join(tdir, size, "new")
            if not size.isdigit() or not os.path.isfile(os.path.join(new, "estimates.json")):
                continue
            with open(os.path.join(new, "estimates.json")) as f:
                est = json.load(f)
            with open(os.path.join(new, "sample.json")) as f:
                sample = json.load(f)
            per_iter = [t / i for t, i in zip(sample["times"], sample["iters"])]
            rows.append({
                "target": target,
                "size": int(size),
                "sampling_mode": sample.get("sampling_mode"),
                "iters": sample["iters"],
                "times_ns": sample["times"],
                "per_iteration_ns": per_iter,
                "median_ns": est["median"]["point_estimate"],
                "median_ci95_ns": [est["median"]["confidence_interval"]["lower_bound"], est["median"]["confidence_interval"]["upper_bound"]],
                "mean_ns": est["mean"]["point_estimate"],
                "mean_ci95_ns": [est["mean"]["confidence_interval"]["lower_bound"], est["mean"]["confidence_interval"]["upper_bound"]],
            })
    return rows


def summarize(raw, crit):
    s = {}
    # K1, in process.
    inproc = {}
    for t in TARGETS + sorted({r["target"] for r in crit} - set(TARGETS)):
        rows = sorted((r for r in crit if r["target"] == t), key=lambda r: r["size"])
        if rows:
            inproc[t] = {
                "per_size": [{"size": r["size"], "median_ms": r["median_ns"] / 1e6,
                              "median_ci95_ms": [v / 1e6 for v in r["median_ci95_ns"]],
                              "us_per_event": r["median_ns"] / 1e3 / r["size"]} for r in rows],
                "exponent": exponents([(r["size"], r["median_ns"]) for r in rows]),
            }
    s["in_process"] = inproc
    # K1, whole CLI.
    cli = {}
    for r in raw:
        if r.get("phase") == "cli" and r.get("rc") == 0:
            cli.setdefault(r["size"], []).append(r)
    cli_rows = []
    for n in sorted(cli):
        runs = cli[n]
        cli_rows.append({"size": n, "wall_s": spread([r["wall_s"] for r in runs]),
                         "user_s": spread([r["user_s"] for r in runs]), "sys_s": spread([r["sys_s"] for r in runs]),
                         "peak_rss_kb": spread([r["max_rss_kb"] for r in runs]),
                         "output_files": runs[0].get("output_files"), "output_bytes": runs[0].get("output_bytes")})
    s["cli"] = {"per_size": cli_rows, "exponent": exponents([(r["size"], r["wall_s"]["median"]) for r in cli_rows])}
    # K2-K5.
    def builds(phase):
        out = {}
        for r in raw:
            if r.get("phase") == phase:
                out.setdefault(r["size"], []).append(r)
        return out

    b = {}
    for phase in ["warmup", "first_build", "first_build_plain", "first_build_empty", "noop", "noop_plain", "noop_empty_buildrs", "touch", "rename", "noop_after_edits"]:
        rows = []
        for n, runs in sorted(builds(phase).items()):
            ok = [r for r in runs if r.get("rc") == 0]
            # A no-op that waited for the target-dir lock (another build) was taken again: keep
            # it in the samples, leave it out of the figures.
            locked = [r for r in ok if phase.startswith("noop") and r.get("waited_for_lock")]
            ok = [r for r in ok if r not in locked] or ok
            row = {"size": n, "runs": len(runs), "failed_or_timed_out": len(runs) - len(ok),
                   "timed_out": any(r.get("rc") == 124 for r in runs),
                   "build_script_ran": sorted({r.get("build_script_ran") for r in runs}),
                   "lib_compiled": sorted({r.get("lib_compiled") for r in runs}),
                   "all_fresh": all(r.get("all_fresh") for r in runs),
                   "switchboard_rs_written": sorted({r.get("switchboard_rs_written") for r in runs}),
                   "waited_for_lock": any(r.get("waited_for_lock") for r in ok),
                   "lock_waits_left_out": len(locked)}
            if ok:
                row["wall_s"] = spread([r["wall_s"] for r in ok])
                row["peak_rss_kb"] = max(r["max_rss_kb"] for r in ok)
                script = [r["build_script_run_s"] for r in ok if r.get("build_script_run_s") is not None]
                if script:
                    row["build_script_run_s"] = spread(script)
            else:
                row["wall_s_at_stop"] = max(r["wall_s"] for r in runs)
                row["peak_rss_kb_at_stop"] = max(r["max_rss_kb"] for r in runs)
            rows.append(row)
        if rows:
            b[phase] = rows
    gen = {r["size"]: {"lines": r["lines"], "bytes": r["bytes"]} for r in raw if r.get("phase") == "generated_rust"}
    b["generated_rust"] = [{"size": n, **v} for n, v in sorted(gen.items())]
    s["build_rs"] = b
    s["catalogues"] = [{k: v for k, v in r.items() if k != "phase"} for r in raw if r.get("phase") == "catalogue"]
    s["skipped"] = [{"what": r["what"], "reason": r["reason"]} for r in raw if r.get("phase") == "skipped"]
    s["harness"] = {r["phase"]: r["wall_s"] for r in raw if r.get("phase") in ("build_release", "build_bench", "criterion_run")}
    return s


def fmt_ms(ms):
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


def fmt_s(s):
    return fmt_ms(s * 1000)


def fmt_exp(e):
    return "n/a" if e is None else f"{e:.2f}"


def fmt_sizes(n):
    return f"{n:,}"


def yes_no(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return "?"
    if all(vals):
        return "yes"
    if not any(vals):
        return "no"
    return "mixed"


def markdown(doc):
    s = doc["summary"]
    m, v, cfg = doc["machine"], doc["versions"], doc["config"]
    out = []
    out.append("<!-- Generated by tests/bench/codegen.sh; do not edit by hand. -->")
    out.append("### Codegen benchmark")
    out.append("")
    load = f"load average {m.get('loadavg_start', '?')} at start, {m.get('loadavg_end', '?')} at end"
    out.append(f"{doc['stamp']}, git `{doc['git']['rev'][:12]}`{' (dirty tree)' if doc['git']['dirty'] else ''}; "
               f"{m['cpu_model']}, {m['nproc']} cores, {m['mem_total_kb'] / 1048576:.0f} GiB; {v['rustc']}; {load}. "
               f"Synthetic catalogues, seed {cfg['seed']} (`tests/src/synth.rs`); total run {doc.get('total_runtime_s', '?')} s.")
    if doc.get("note"):
        out.append("")
        out.append(f"**{doc['note']}**")
    out.append("")
    sizes = sorted({r["size"] for t in s["in_process"].values() for r in t["per_size"]} | {r["size"] for r in s["cli"]["per_size"]})
    if sizes:
        out.append("Generation time (K1): criterion median per run in process (release), and the whole CLI "
                   f"(`switchboard generate` into a new folder on {cfg.get('cli_out_fs', 'disk')}, median of {cfg['cli_runs']} runs). Exponent: slope of "
                   "ln(time) on ln(events) over all sizes, and over the last two sizes alone (should stay <= 1.1).")
        out.append("")
        head = "| step | " + " | ".join(f"{fmt_sizes(n)} events" for n in sizes) + " | exponent (all) | exponent (last pair) |"
        out.append(head)
        out.append("|" + "---|" * (len(sizes) + 3))
        for t, data in s["in_process"].items():
            by = {r["size"]: r for r in data["per_size"]}
            cells = [fmt_ms(by[n]["median_ms"]) if n in by else "-" for n in sizes]
            e = data["exponent"]
            out.append(f"| {t} (in process) | " + " | ".join(cells) + f" | {fmt_exp(e['fit_all_sizes'])} | {fmt_exp(e.get('last_pair'))} |")
        by = {r["size"]: r for r in s["cli"]["per_size"]}
        if by:
            e = s["cli"]["exponent"]
            out.append("| CLI `generate` (wall) | " + " | ".join(fmt_s(by[n]["wall_s"]["median"]) if n in by else "-" for n in sizes)
                       + f" | {fmt_exp(e['fit_all_sizes'])} | {fmt_exp(e.get('last_pair'))} |")
            out.append("| CLI CPU, user + system | " + " | ".join(f"{fmt_s(by[n]['user_s']['median'])} + {fmt_s(by[n]['sys_s']['median'])}" if n in by else "-" for n in sizes) + " | | |")
            out.append("| CLI peak RSS | " + " | ".join(f"{by[n]['peak_rss_kb']['max'] / 1024:.0f} MiB" if n in by else "-" for n in sizes) + " | | |")
            out.append("| CLI output files | " + " | ".join(f"{by[n]['output_files']:,}" if n in by else "-" for n in sizes) + " | | |")
        out.append("")
    b = s["build_rs"]
    bsizes = sorted({r["size"] for k in ("first_build", "noop", "touch", "rename") for r in b.get(k, [])})
    if bsizes:
        out.append("build.rs (K2-K5): a scratch crate whose build.rs runs `switchboard::Builder` and whose lib includes "
                   "the generated Rust; `cargo build` (dev profile) with the dependencies already built, target dir shared "
                   "with the workspace. Peak RSS is the largest single process (rustc).")
        out.append("")
        out.append("| build | " + " | ".join(f"{fmt_sizes(n)} events" for n in bsizes) + " |")
        out.append("|" + "---|" * (len(bsizes) + 1))

        def row(label, phase, show_rss=False, show_flags=False):
            by = {r["size"]: r for r in b.get(phase, [])}
            cells = []
            for n in bsizes:
                r = by.get(n)
                if r is None:
                    cells.append("-")
                    continue
                if "wall_s" in r:
                    c = fmt_s(r["wall_s"]["median"])
                    if r["wall_s"]["n"] > 1:
                        c += f" ({fmt_s(r['wall_s']['min'])}-{fmt_s(r['wall_s']['max'])}, n={r['wall_s']['n']})"
                    if show_rss:
                        c += f", {r['peak_rss_kb'] / 1048576:.1f} GiB"
                else:
                    c = f"stopped after {fmt_s(r['wall_s_at_stop'])}" + (" (timeout)" if r["timed_out"] else " (failed)")
                if show_flags:
                    c += f"; script reran: {yes_no(r['build_script_ran'])}, lib recompiled: {yes_no(r['lib_compiled'])}"
                    c += f", switchboard.rs rewritten: {yes_no(r['switchboard_rs_written'])}"
                if "build_script_run_s" in r:
                    c += f"; build script itself {fmt_s(r['build_script_run_s']['median'])}"
                if phase.startswith("noop"):
                    c += "; Fresh" if r["all_fresh"] else "; NOT fresh"
                if r["waited_for_lock"]:
                    c += " (waited for the target-dir lock)"
                cells.append(c)
            out.append(f"| {label} | " + " | ".join(cells) + " |")

        gen = {r["size"]: r for r in b.get("generated_rust", [])}
        out.append("| generated Rust | " + " | ".join(f"{gen[n]['lines']:,} lines, {gen[n]['bytes'] / 1048576:.1f} MiB" if n in gen else "-" for n in bsizes) + " |")
        row("K2 first build", "first_build", show_rss=True)
        row("K3 no-op, with build.rs", "noop")
        for phase, what in (("noop_empty_buildrs", "empty build.rs, same build-dependency"), ("noop_plain", "no build.rs")):
            for r in b.get(phase, []):
                c = (fmt_s(r["wall_s"]["median"]) + f" ({fmt_s(r['wall_s']['min'])}-{fmt_s(r['wall_s']['max'])}, n={r['wall_s']['n']})"
                     + ("; Fresh" if r["all_fresh"] else "; NOT fresh")) if "wall_s" in r else "failed"
                cells = [c if n == r["size"] else "" for n in bsizes]
                out.append(f"| K3 no-op, same code, {what} | " + " | ".join(cells) + " |")
        row("K4 catalogue touched, bytes unchanged", "touch", show_flags=True)
        row("K5 one event renamed", "rename", show_flags=True)
        row("no-op after the edits", "noop_after_edits")
        out.append("")
    if s["skipped"]:
        out.append("Not measured in this run: " + "; ".join(f"{x['what']} ({x['reason']})" for x in s["skipped"]) + ".")
        out.append("")
    out.append(f"Raw samples, versions and machine facts: `tests/bench/results/codegen-{doc['stamp']}.json`.")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--facts", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--criterion")
    ap.add_argument("--json", required=True)
    ap.add_argument("--markdown", required=True)
    a = ap.parse_args()
    with open(a.facts) as f:
        doc = json.load(f)
    with open(a.raw) as f:
        raw = [json.loads(line) for line in f if line.strip()]
    crit = load_criterion(a.criterion)
    doc["summary"] = summarize(raw, crit)
    doc["samples"] = raw
    doc["criterion"] = crit
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = markdown(doc)
    with open(a.markdown, "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
