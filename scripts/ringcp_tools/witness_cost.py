# SPDX-License-Identifier: MIT
"""What the kernel's witness costs: each scenario below run with the
witness (RH_WITNESS=1) and without it (RH_WITNESS=0), same seed and
operations, in alternating pairs (on off, off on, ...), from the gcc
build.  Wall time is measured around the whole process (the witness's
set-up, recording, reading and checking included); the witness's own
figures (events, events per second, read and check time) come from the
scenario's record.  Writes results/harness/witness-cost.json.

usage: PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.witness_cost [PAIRS]
       (default 5 pairs; needs root, as the witness does)
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

from . import env as envmod
from .common import TOP, die, dump, load

TAG = "witness-cost"
# scenario, arguments: a small-op scenario, a copy, a tree copy
RUNS = [("cancel_completed", ["--ops=10000"]),
        ("copy_chaos", ["--ops=40"]),
        ("tree_chaos", ["--ops=4"])]


def run(scenario, args, witness, rec):
    """Wall ns of one run (exit status must be 0), its record read."""
    cmd = [os.path.join(TOP, "build", "gcc", "scenarios", scenario),
           "--seed=7", *args, "--json=" + rec]
    e = dict(os.environ, RH_WITNESS="1" if witness else "0")
    t0 = time.perf_counter_ns()
    p = subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    ns = time.perf_counter_ns() - t0
    if p.returncode:
        die(TAG, f"{scenario} {'with' if witness else 'without'} the "
                 f"witness exited {p.returncode}: {p.stderr[-500:]}")
    return ns


def measure(scenario, args, pairs, tmp):
    """The pairs of one scenario, and the witness's own figures."""
    on, off, last = [], [], None
    rec = os.path.join(tmp, scenario + ".json")
    for i in range(pairs):
        order = (True, False) if i % 2 == 0 else (False, True)
        for w in order:
            ns = run(scenario, args, w, rec)
            (on if w else off).append(ns)
            if w:
                last = load(rec)["witness"]
        print(f"witness-cost: {scenario} pair {i + 1}/{pairs}: on "
              f"{on[-1] / 1e6:.0f} ms, off {off[-1] / 1e6:.0f} ms",
              flush=True)
    ratios = [a / b for a, b in zip(on, off)]
    return {"scenario": scenario, "args": args, "pairs": pairs,
            "wall_ns_on": on, "wall_ns_off": off,
            "median_wall_ns_on": statistics.median(on),
            "median_wall_ns_off": statistics.median(off),
            "median_ratio_on_off": statistics.median(ratios),
            "witness": last}


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if os.geteuid() != 0:
        die(TAG, "the witness needs root")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(s, a, pairs, tmp) for s, a in RUNS]
    out = os.path.join(TOP, "results", "harness", "witness-cost.json")
    dump({"what": "scenario wall time with the kernel's witness over "
                  "without it (same seed and ops), alternating pairs",
          "env": envmod.record(), "runs": rows}, out)
    for r in rows:
        w = r["witness"]
        print(f"witness-cost: {r['scenario']}: median on/off "
              f"{r['median_ratio_on_off']:.3f}, {w['events_all']} kernel "
              f"events, {w['events_per_s']:.0f}/s, read "
              f"{w['read_ns'] / 1e6:.0f} ms, check {w['check_ns'] / 1e6:.0f} ms")


if __name__ == "__main__":
    main()
