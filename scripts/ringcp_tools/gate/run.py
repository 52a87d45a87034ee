# SPDX-License-Identifier: MIT
"""The gate's two modes, step by step: run (make gate) measures and checks
against the baseline, baseline (make baseline) measures and records the
figures with their thresholds."""
import os
import time

from .. import env
from ..common import TOP, dump, load, log
from ..scratch import Scratch
from .counters import (baseline_counters, check_counters, counters_over,
                       measure_counters)
from .figures import SEED, die
from .safety import safety_verdict
from .timings import check_timings, noise_band
from .verdicts import Report
from .workspace import make_datasets

# the tools the gate runs beside ringcp, whose versions it records
GATE_TOOLS = ("coreutils", "strace")


# what decides the ringcp a baseline names: the engine, its public headers
# and the command (include/ and cmd/ in the layered tree) and the Makefile
RINGCP_SOURCES = ("engine", "include", "cmd", "Makefile")


def git_commit():
    """The commit, "-dirty" when a file of RINGCP_SOURCES differs from it."""
    return env.git_commit(TOP, RINGCP_SOURCES)


def describe(args, scratch, record):
    """What the scratch filesystem is, the environment, and the datasets
    made on it, into the record."""
    record["scratch"] = scratch.desc
    record["env"] = env.record(scratch.path, "scratch", args.ringcp,
                               GATE_TOOLS)
    record["datasets"] = make_datasets(scratch.path)


def counters_part(rep, args, base, dsets, scratch, record):
    """Measure the counters (again, to confirm, if any is over), record
    them and check them into REP."""
    figs, runs, problems = measure_counters(args, args.ringcp, dsets, scratch)
    record["counters"] = figs
    record["counter_runs"] = runs
    first = None
    over = counters_over(base, figs)
    if over:
        log("counters: over a threshold: " + ", ".join(over) +
            "; confirming rerun")
        first = {k: figs[k] for k in over}
        figs, runs, more = measure_counters(args, args.ringcp, dsets, scratch)
        problems += more
        record["counters_first_run"] = first
        record["counters"] = figs
        record["counter_runs_confirming"] = runs
    print(f"gate: counters, median of {args.runs} runs, higher is "
          "worse" + (", a confirming rerun" if first else ""))
    check_counters(rep, base, figs, first)
    rep.add("copies.identical", "yes", "no" if problems else "yes",
            "exact", not problems, "; ".join(problems))


def safety_part(rep, record):
    s = safety_verdict()
    print(f"gate: safety, from {s['path']}")
    for name, b, c, thr, ok in s.pop("figures"):
        rep.add(name, b, c, thr, ok)
    record["safety"] = s


def verdict(rep, record, out, t0):
    """Write the record with its verdict; 1 on any FAIL, else 0."""
    record["figures"] = rep.rows
    record["failed"] = [r["figure"] for r in rep.failed()]
    record["verdict"] = "fail" if record["failed"] else "pass"
    record["wall_s"] = round(time.time() - t0, 1)
    dump(record, out)
    if record["failed"]:
        print(f"gate: FAIL: {', '.join(record['failed'])} "
              f"({record['wall_s']}s; record in {out})")
        return 1
    print(f"gate: PASS, {len(rep.rows)} figures ({record['wall_s']}s; "
          f"record in {out})")
    return 0


def run(args):
    """make gate: every part asked for, against args.baseline."""
    try:
        base = load(args.baseline)
    except (OSError, ValueError) as e:
        die(f"cannot read the baseline {args.baseline}: {e} (make baseline)")
    parts = args.only or ["counters", "timings", "safety"]
    t0 = time.time()
    rep = Report()
    record = {"mode": "run", "parts": parts, "baseline_file": args.baseline,
              "baseline_commit": base["commit"], "commit": git_commit(),
              "ringcp": args.ringcp, "extra_args": args.extra_args,
              "degrade_syscall": args.degrade_syscall, "seed": SEED}
    scratch = None
    try:
        if "counters" in parts or "timings" in parts:
            scratch = Scratch(args.scratch)
            describe(args, scratch, record)
        if "counters" in parts:
            counters_part(rep, args, base, record["datasets"], scratch.path,
                          record)
        if "timings" in parts:
            print(f"gate: timings, median of per-round ratios, {args.pairs} "
                  "rounds, a confirming rerun before any FAIL")
            check_timings(rep, args, base, record["datasets"], scratch.path,
                          record)
    finally:
        if scratch:
            scratch.close()
    if "safety" in parts:
        safety_part(rep, record)
    return verdict(rep, record, args.out, t0)


def baseline(args):
    """make baseline: the counters and the timings' noise bands of the
    committed HEAD, written to args.out."""
    commit = git_commit()
    if commit.endswith("-dirty") and not os.environ.get("GATE_ALLOW_DIRTY"):
        die(f"{', '.join(RINGCP_SOURCES)}: uncommitted changes: a baseline must "
            "name a commit that builds the same ringcp (commit first; "
            "GATE_ALLOW_DIRTY=1 to record anyway, e.g. in tests)")
    parts = args.only or ["counters", "timings"]
    t0 = time.time()
    rec = {"what": "the regression gate's baseline (make baseline; "
                   "python3 -m ringcp_tools.gate)",
           "commit": commit, "ringcp": args.ringcp, "seed": SEED,
           "counter_runs": args.runs, "counters": {}, "timings": {}}
    scratch = Scratch(args.scratch)
    try:
        describe(args, scratch, rec)
        dsets = rec["datasets"]
        if "counters" in parts:
            figs, _, problems = measure_counters(args, args.ringcp, dsets,
                                                 scratch.path)
            if problems:
                die("; ".join(problems))
            rec["counters"] = baseline_counters(figs)
        if "timings" in parts:
            dst = os.path.join(scratch.path, "dst")
            for name, ds in dsets.items():
                rec["timings"][name] = noise_band(args, name, ds, dst)
    finally:
        scratch.close()
    rec["wall_s"] = round(time.time() - t0, 1)
    dump(rec, args.out)
    print(f"gate: baseline of {commit[:12]} written to {args.out} "
          f"({rec['wall_s']}s)")
    return 0
