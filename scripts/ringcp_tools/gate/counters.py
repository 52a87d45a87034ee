# SPDX-License-Identifier: MIT
"""The counter part of the gate: how much work ringcp does per file, per
GiB and per operation, measured under the allocation counter
(scripts/gate/malloc_count.c, preloaded) and strace, and checked against
the baseline's medians."""
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile

from .. import datasets
from ..common import GiB, log
from ..probes import parse_strace_c
from .figures import COUNTERS, PRELOAD, RUN_RUNS, die, round_up, subset_noise
from .verdicts import fmt
from .workspace import fresh_dir


def same_copy(src, dst):
    return subprocess.run(["diff", "-r", "--no-dereference", "-q", src, dst],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def preload_env(args, out_file):
    """The environment of a counted run: the allocation counter preloaded,
    writing its count to OUT_FILE (and degrading, if asked)."""
    env = dict(os.environ, LD_PRELOAD=PRELOAD, RC_GATE_ALLOC_OUT=out_file)
    if args.degrade_syscall:
        env["RC_GATE_DEGRADE_SYSCALL"] = str(args.degrade_syscall)
    return env


def json_run(args, cmd, ds, dst, tmp, check):
    """`ringcp --json` under the allocation counter: its own counters, the
    allocations, what the destination holds, and (CHECK) whether it is
    the source's copy."""
    alloc = os.path.join(tmp, "allocs.txt")
    fresh_dir(dst)
    if os.path.exists(alloc):
        os.unlink(alloc)
    p = subprocess.run([cmd[0], "--json", *cmd[1:]], capture_output=True,
                       text=True, env=preload_env(args, alloc))
    if p.returncode:
        die(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-400:]}")
    js = json.loads(p.stdout.strip().splitlines()[-1])
    with open(alloc) as f:
        allocs = int(f.read().split()[1])
    n = datasets.count(dst)
    r = {"ops_submitted": js["ops_submitted"], "enter_calls_json":
         js["enter_calls"], "allocations": allocs, "bytes_json": js["bytes"],
         "files_json": js["files"], "dst_files": n["files"],
         "dst_bytes": n["bytes"]}
    if check:
        r["copy_identical"] = same_copy(ds["path"], dst)
    return r


def counter_run(args, ringcp, ds, dst, tmp, check):
    """One --json run under the allocation counter and one under strace."""
    extra = shlex.split(args.extra_args)
    cmd = [ringcp, "-a", *extra, ds["path"] + "/", dst + "/"]
    r = json_run(args, cmd, ds, dst, tmp, check)
    fresh_dir(dst)
    st = os.path.join(tmp, "strace.txt")
    p = subprocess.run(["strace", "-c", "-f", "-o", st, *cmd],
                       capture_output=True, text=True,
                       env=preload_env(args, os.path.join(tmp, "allocs2.txt")))
    if p.returncode:
        die(f"strace {' '.join(cmd)}: exit {p.returncode}: {p.stderr[-400:]}")
    calls = {k: v["calls"] for k, v in parse_strace_c(st).items()}
    r["syscalls_total"] = sum(calls.values())
    r["io_uring_enter"] = calls.get("io_uring_enter", 0)
    return r


def counter_figures(ds, r):
    """The figures of one run R on dataset DS, named DATASET.FIGURE."""
    f, b = max(ds["files"], 1), ds["bytes"]
    name = ds["name"]
    v = {
        "io_uring_enter_per_file": r["io_uring_enter"] / f,
        "io_uring_enter_per_gib": r["io_uring_enter"] / (b / GiB) if b else 0,
        "syscalls_per_file": (r["syscalls_total"] - r["io_uring_enter"]) / f,
        "sqes_per_file": r["ops_submitted"] / f,
        "sqes_per_gib": r["ops_submitted"] / (b / GiB) if b else 0,
        "allocations_per_op": r["allocations"] / max(r["ops_submitted"], 1),
        "bytes_written": r["dst_bytes"],
        "files_created": r["dst_files"],
    }
    return {f"{name}.{k}": x for k, x in v.items()}


def run_problems(name, r):
    """What is wrong with run R of dataset NAME beyond its figures: a copy
    that differs, or --json's counts not matching the destination."""
    out = []
    if r.get("copy_identical") is False:
        out.append(f"{name}: the copy differs from its source")
    if (r["bytes_json"], r["files_json"]) != (r["dst_bytes"], r["dst_files"]):
        out.append(f"{name}: --json says {r['files_json']} files "
                   f"{r['bytes_json']} bytes, the destination "
                   f"holds {r['dst_files']} and {r['dst_bytes']}")
    return out


def measure_counters(args, ringcp, dsets, scratch):
    """args.runs counted runs of RINGCP on every dataset: (figures {name:
    median, min, max, spread, unit, runs}, the runs, problems)."""
    tmp = tempfile.mkdtemp(prefix="gate-", dir=scratch)
    dst = os.path.join(scratch, "dst")
    runs, problems = {}, []
    for name, ds in dsets.items():
        ds = dict(ds, name=name)
        for i in range(args.runs):
            log(f"counters: {name} run {i + 1}/{args.runs}")
            r = counter_run(args, ringcp, ds, dst, tmp, check=(i == 0))
            problems += run_problems(name, r)
            runs.setdefault(name, []).append(dict(r, figures=counter_figures(ds, r)))
    shutil.rmtree(dst, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    figs = {}
    for fname, dname, unit, _ in COUNTERS:
        vals = [r["figures"][fname] for r in runs[dname]]
        med = statistics.median(vals)
        figs[fname] = {"median": med, "min": min(vals), "max": max(vals),
                       "spread": (max(vals) - min(vals)) / med if med else 0.0,
                       "unit": unit, "runs": vals}
    return figs, runs, problems


def counters_over(base, figs):
    """The figures with a tolerance that are over their threshold."""
    over = []
    for fname, _, _, floor in COUNTERS:
        b = base["counters"].get(fname)
        if b is None or floor is None or not b["median"]:
            continue
        if figs[fname]["median"] / b["median"] - 1 > b["threshold"]:
            over.append(fname)
    return over


def check_counters(rep, base, figs, first=None):
    """One verdict line per counter figure into REP.  first: the figures
    of a first measurement that a confirming rerun (figs) followed; a
    figure fails only if over in both."""
    for fname, _, unit, floor in COUNTERS:
        b = base["counters"].get(fname)
        cur = figs[fname]["median"]
        if b is None:
            rep.add(fname, "-", cur, "-", True, "not in the baseline")
            continue
        if floor is None:
            ok = cur == b["median"]
            diff = "" if ok else f"{cur - b['median']:+} {unit}"
            rep.add(fname, b["median"], cur, "exact", ok, diff)
            continue
        thr = b["threshold"]
        rel = cur / b["median"] - 1 if b["median"] else 0.0
        ok = rel <= thr
        if first and fname in first:
            rel0 = first[fname]["median"] / b["median"] - 1
            ok = ok or rel0 <= thr
            rel_s = f"first run {rel0:+.1%}, confirming rerun {rel:+.1%}"
        else:
            rel_s = f"{rel:+.1%}"
        noise = b.get("noise_median_of_%d" % RUN_RUNS, b["spread"])
        note = rel_s + ("" if ok else
                        f", over +{thr:.0%} = max(floor, 2 x the "
                        f"baseline's noise ±{noise:.1%})")
        rep.add(fname, b["median"], cur, f"+{thr:.0%}", ok, note)


def baseline_counters(figs):
    """The baseline's counter entries: each figure with the noise of a
    median of RUN_RUNS runs and its threshold; prints one line each."""
    out = {}
    for fname, _, _, floor in COUNTERS:
        f = figs[fname]
        f["noise_median_of_%d" % RUN_RUNS] = noise = subset_noise(
            f["runs"], RUN_RUNS)
        f["threshold"] = (None if floor is None else
                          round_up(max(floor, 2 * noise)))
        out[fname] = f
        print(f"{fname:34} median {fmt(f['median']):>10}  runs spread "
              f"{f['spread']:6.1%}  median-of-{RUN_RUNS} noise "
              f"{noise:6.1%}  threshold "
              f"{'exact' if floor is None else '+%.0f%%' % (100 * f['threshold'])}")
    return out
