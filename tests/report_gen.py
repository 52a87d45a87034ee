#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Python half of tests/report_gen.sh.

usage: report_gen.py fixture DIR TARGETS_JSON
           a results dir in the shape make bench writes, with odd seeded
           numbers and one ringcp row "not run"
       report_gen.py numbers RESULTS_DIR REPORT_MD
           prints (one line) every number of REPORT_MD that is not a
           number of RESULTS_DIR's JSON files (or a number inside a JSON
           string or key, or a list's length), rounded as printed,
           possibly scaled by a unit: ns to s, bytes or KiB to MiB, bytes
           to KiB; on stderr how many it checked
"""
import glob
import json
import os
import random
import re
import sys


class Fixture:
    """Writes the fixture's JSON files under OUT; every odd number comes
    from one random.Random(7), in a fixed order."""

    def __init__(self, out):
        self.out = out
        self.rng = random.Random(7)
        os.makedirs(os.path.join(out, "bench"), exist_ok=True)

    def odd(self, lo, hi):
        return self.rng.uniform(lo, hi)

    def dump(self, name, obj):
        with open(os.path.join(self.out, name), "w") as f:
            json.dump(obj, f, indent=1)


ENV = {"date_utc": "2031-02-03T04:05:06Z", "hostname": "fixture", "kernel": "9.9.9-x",
       "machine": "x86_64", "nproc": 7, "cpu_model": "Test CPU", "mem_total_bytes": 123456789,
       "workdir": "/nowhere", "fs_type_mount": "ext4", "fs_source": "/dev/x",
       "gcc": "gcc 99.1", "liburing_dev": "2.3-3", "coreutils": "cp 9.1", "rsync": "rsync 3.5.0",
       "tar": "tar 1.34", "hyperfine": "hyperfine 1.15.0", "fio": "fio-3.33",
       "strace": "strace 6.1", "ringcp_version": "ringcp 0.1.0", "ringcp_sha256": "ab" * 32,
       "loadavg_start": "0.11 0.22 0.33", "mode": "quick", "seed": 4242, "bench_dir": "/nowhere",
       "ringcp": "/bin/ringcp", "git_commit": "c0ffee", "command": "make bench", "root": True,
       "caps": {"archive": False, "files_in_flight": False, "buffers": False, "json": False},
       "bench_wall_s": 321}
DATASETS = [
    {"name": "big", "label": "one large file", "kind": "file", "seed": 4242, "path": "/d/big",
     "files": 1, "dirs": 1, "bytes": 268435456},
    {"name": "mixed", "label": "mixed small files", "kind": "tree", "seed": 4242, "path": "/d/m",
     "files": 1987, "dirs": 21, "bytes": 26718497},
    {"name": "usr-include", "label": "real", "kind": "real", "not_run": "absent here"}]


def command_row(fx, d, name, kind):
    """One tool's row of a timing group: 3 round medians, 6 runs."""
    rm = [fx.odd(0.1, 2.0) for _ in range(3)]
    t = sorted(rm + [fx.odd(0.1, 2.0) for _ in range(3)])
    return {"name": name, "kind": kind, "command": name + " SRC DST", "status": "run",
            "runs": 6, "median_s": t[2], "mean_s": sum(t) / 6, "min_s": t[0],
            "max_s": t[-1], "stddev_s": 0.0, "times_s": t, "round_medians_s": rm,
            "user_mean_s": fx.odd(0, 1), "system_mean_s": fx.odd(0, 1),
            "mib_per_s": d["bytes"] / 2**20 / t[2], "files_per_s": d["files"] / t[2]}


def group(fx, d, regime, tools):
    """time-DATASET-REGIME.json with TOOLS [(name, kind, runs?)]."""
    rows = []
    for name, kind, run in tools:
        if not run:
            rows.append({"name": name, "kind": kind, "command": None,
                         "status": "not run", "reason": "ringcp lacks --archive (tree copy)"})
            continue
        rows.append(command_row(fx, d, name, kind))
    peers = [r for r in rows if r["kind"] == "peer"]
    best = min(peers, key=lambda r: r["median_s"])
    for r in rows:
        if r["status"] != "run":
            continue
        ratios = sorted(a / b for a, b in zip(r["round_medians_s"], best["round_medians_s"]))
        r.update(ratio_to_fastest_peer_median=ratios[1], ratio_to_fastest_peer_min=ratios[0],
                 ratio_to_fastest_peer_max=ratios[2], speedup_over_fastest_peer=1 / ratios[1])
    fx.dump(f"bench/time-{d['name']}-{regime}.json",
            {"env": ENV, "dataset": d["name"], "dataset_label": d["label"], "files": d["files"],
             "bytes": d["bytes"], "regime": regime, "rounds": 3, "runs_per_round": 2,
             "prepare": "rm -rf DST", "status": "run", "fastest_peer": best["name"],
             "commands": rows})


def sweeps(fx):
    pts = [{"qd": q, "bs": s, "median_s": fx.odd(0.2, 1), "mib_per_s": fx.odd(100, 900)}
           for q in ("1", "8") for s in ("64K", "1M")]
    for p in pts:
        p["ratio_to_best_median"] = p["median_s"] / min(x["median_s"] for x in pts)
    fx.dump("bench/sweep-qd-bs.json", {
        "env": ENV, "sweep": "qd-bs", "what": "queue depth x block size",
        "dataset": "big", "status": "run", "rounds": 2, "runs_per_round": 2,
        "command": "ringcp -Q {qd} -B {bs} SRC DST",
        "parameters": {"qd": ["1", "8"], "bs": ["64K", "1M"]},
        "points": pts, "best": {"qd": "8", "bs": "1M"}})
    fx.dump("bench/sweep-files-in-flight.json", {
        "env": ENV, "sweep": "files-in-flight", "what": "files in flight",
        "dataset": "mixed", "status": "not run",
        "reason": "ringcp lacks --archive (tree copy), --files-in-flight"})


def probe_tool(fx, name, cfr):
    calls = {"read": {"calls": fx.rng.randint(10, 999), "errors": 0},
             "copy_file_range": {"calls": cfr, "errors": 0}}
    tot = sum(c["calls"] for c in calls.values())
    return {"name": name, "kind": "peer", "status": "run", "syscalls": calls,
            "syscalls_total": tot, "syscalls_per_file": fx.odd(5, 50), "io_uring_enter_calls": 0,
            "io_uring_enter_per_gib": 0.0, "max_rss_kib": fx.rng.randint(1000, 9000),
            "copy_identical": True}


def probes(fx):
    fx.dump("bench/probes.json", {
        "env": ENV, "startup_calls": 83, "startup_command": "sh -c /bin/true",
        "strace": "strace -c -f", "time": "/usr/bin/time", "datasets": [
            {"dataset": "big", "files": 1, "bytes": 268435456,
             "tools": [probe_tool(fx, "cp", 3), probe_tool(fx, "cp-reflink-never", 0)]},
            {"dataset": "mixed", "files": 1987, "bytes": 26718497,
             "tools": [probe_tool(fx, "tar", 0),
                       {"name": "ringcp", "status": "not run",
                        "reason": "ringcp lacks --archive (tree copy)"}]}]})


def safety(fx):
    pairs = [{"production_ns": 37000000, "harness_ns": 41000000,
              "mutant_free_on_cancel_ns": 43000000}]
    fx.dump("bench/safety-cost.json", {
        "what": "production vs harness vs mutant", "command": "x",
        "src_bytes": 268435456, "block_size_bytes": {"262144": {
            "pairs": pairs, "production_median_ns": 37000000,
            "harness_median_ns": 41000000,
            "mutant_free_on_cancel_median_ns": 43000000,
            "ratio_harness_over_production_median": 1.1081,
            "ratio_min": 1.1081, "ratio_max": 1.1081,
            "ratio_mutant_over_production_median": 1.1622,
            "ratio_mutant_min": 1.1622, "ratio_mutant_max": 1.1622}}})
    fx.dump("safety.json", {
        "mode": "quick", "seed": 9871, "date_utc": "2031-01-01T00:00:00Z",
        "verdict": "pass", "failures": [], "totals": {
            "cancellations": 123457, "submits": 271828, "cqes": 271828,
            "violations": 0, "unexpected_answers": 0},
        "coverage": [{"state": "io-wq", "dir": "read", "hits": 2011, "unreachable": None},
                     {"state": "io-wq", "dir": "write", "hits": 0,
                      "unreachable": "needs root"}],
        "mutants": [{"mutant": "free_on_cancel", "scenario": "protocol_tour",
                     "buffers": "heap", "caught": True, "detectors": ["ledger"]}],
        "valgrind": [{"run": "mutant-borrowed_buffer", "exit": 99, "errors": 126,
                      "caught": True}]})


def fixture(out, targets):
    fx = Fixture(out)
    fx.dump("bench/env.json", ENV)
    with open(targets) as f:
        fx.dump("bench/targets.json", json.load(f))
    fx.dump("bench/datasets.json", {"mode": "quick", "seed": 4242, "datasets": DATASETS})
    peers = [("cp", "peer", True), ("rsync", "peer", True), ("tar", "peer", True)]
    for reg in ("warm", "durable"):
        group(fx, DATASETS[0], reg, peers + [("ringcp", "ringcp", True),
                                             ("cp-reflink-never", "limit", True)])
    group(fx, DATASETS[1], "warm", peers + [("ringcp", "ringcp", False)])
    sweeps(fx)
    fx.dump("bench/fio.json", {
        "env": ENV, "rounds": 1, "size": "1G", "command": "fio ...",
        "write": {"bw_bytes": 463210987, "mib_per_s": 463210987 / 2**20},
        "read": {"bw_bytes": 487654321, "mib_per_s": 487654321 / 2**20}})
    probes(fx)
    safety(fx)


NUM = re.compile(r"(?<![\w.\-/])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?=x\b|[^\w.]|\.(?!\d)|$)")
SCALES = (1, 1e-9, 1 / 1024, 1 / 2**20, 1 / 2**30)


def json_numbers(results):
    """Every number of every JSON file under RESULTS (with the numbers in
    strings and keys, and the lengths of lists)."""
    vals = set()

    def walk(x):
        if isinstance(x, bool):
            return
        if isinstance(x, (int, float)):
            vals.add(float(x))
        elif isinstance(x, str):
            for m in NUM.finditer(x):
                vals.add(float((m.group(1) + (m.group(2) or "")).replace(",", "")))
        elif isinstance(x, list):
            vals.add(float(len(x)))
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for k, y in x.items():
                walk(k)
                walk(y)
    for p in glob.glob(os.path.join(results, "**", "*.json"), recursive=True):
        with open(p) as f:
            walk(json.load(f))
    return vals


def numbers(results, report):
    vals = json_numbers(results)
    bad = []
    with open(report) as f:
        text = f.read()
    for m in NUM.finditer(text):
        tok = m.group(1) + (m.group(2) or "")
        dec = len(m.group(2)) - 1 if m.group(2) else 0
        want = tok.replace(",", "")
        if not any(float("%.*f" % (dec, v * s)) == float(want) for v in vals for s in SCALES):
            bad.append(tok)
    print(" ".join(bad))
    print("checked", len(NUM.findall(text)), "numbers", file=sys.stderr)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "fixture":
        fixture(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "numbers":
        numbers(*sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
