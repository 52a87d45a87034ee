#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The regression gate: make gate (run) and make baseline (baseline).

usage: gate.py run      [options]    compare with results/baseline.json
       gate.py baseline [options]    measure and write a new baseline

A change that makes ringcp do more work, go slower or lose its safety
verdict does not pass.  Three parts, each a list of figures:

counters   fixed datasets (DATASETS below, generated from SEED by the
           bench's datasets.py into a scratch filesystem), copied with
           `ringcp -a --json` under an LD_PRELOAD allocation counter
           (scripts/gate/malloc_count.c) and again under `strace -c -f`,
           RUNS times each; the median of each figure against the
           baseline's, higher is worse.  Bytes written and files created
           must match exactly, and every copy must equal its source.
timings    the engine built at the baseline's commit (a temporary git
           worktree, cached in build/gate/base-COMMIT/) and the current
           ringcp timed in alternating pairs (A B, B A, ...) on the warm
           datasets, with `cp -a` in the same rounds; the figure is the
           median of the per-pair ratios.  A figure over its threshold is
           measured again (a confirming rerun) and fails only if it is over
           again.
safety     build/safety.json, the quick safety check make check ran (run
           here only if missing): verdict pass, no violation, every mutant
           caught, every state covered.

Prints one line per figure (name, baseline, current, threshold, verdict)
and writes the record to build/gate.json; exits 1 on any FAIL, 2 when the
gate itself cannot run.

Options:
  --ringcp PATH       the ringcp under test (default build/gcc/ringcp)
  --baseline FILE     (default results/baseline.json)
  --out FILE          (run: build/gate.json; baseline: results/baseline.json)
  --only PART         counters | timings | safety (repeatable)
  --runs N            counter runs per dataset (run 5, baseline 9)
  --pairs N           timing rounds per dataset and attempt (default 16)
  --sets N            baseline: A/A timing sets for the noise band (3)
  --extra-args ARGS   added to the current ringcp's command lines (not the
                      baseline's): a degraded build, e.g. "-Q 1 -B 4K"
  --degrade-syscall N one extra system call per N allocations (preload)
  --scratch DIR       use (and keep) DIR for the datasets instead of a
                      fresh loop-mounted ext4 image
"""
import argparse
import itertools
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "scripts", "bench"))
import datasets  # noqa: E402  (the bench's seeded generator)
from common import dump, load, parse_strace_c  # noqa: E402

TAG = "gate"
SEED = 20261126
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# name: (kind, spec for datasets.generate); small enough for minutes
DATASETS = {
    "small": ("tree", {"files": 3000, "dirs": 10, "min": 0, "max": 4 * KiB}),
    "big": ("file", {"bytes": 64 * MiB}),
}
IMAGE_BYTES = 1 * GiB
PRELOAD = os.path.join(TOP, "build", "gate", "malloc_count.so")

# Counter figures: (name, dataset, unit, floor of the threshold), the
# median of the runs, higher is worse.  The threshold is max(floor, 2 x the
# noise of that median): its largest relative distance from the baseline's
# median of all runs over every subset of RUN_RUNS of the baseline's runs.
# None: must match exactly.  io_uring_enter counts depend on when
# completions arrive (how many CQEs each wait reaps), so on the machine's
# load: the same binary gave medians of 5 from 1,520 to 3,296 calls per GiB
# and from 0.195 to 0.468 per file in one hour, single runs 0.35 to 1.09
# per file within one minute.  So they only guard batching: a floor of
# +200% (3x), which still catches files in flight 64 -> 4 (11x per file)
# and queue depth 1 with 4 KiB blocks (200x per GiB).
COUNTERS = [
    ("small.syscalls_per_file", "small", "calls/file", 0.03),
    ("small.io_uring_enter_per_file", "small", "calls/file", 2.00),
    ("small.sqes_per_file", "small", "SQEs/file", 0.02),
    ("small.allocations_per_op", "small", "allocs/SQE", 0.02),
    ("small.bytes_written", "small", "bytes", None),
    ("small.files_created", "small", "files", None),
    ("big.io_uring_enter_per_gib", "big", "calls/GiB", 2.00),
    ("big.sqes_per_gib", "big", "SQEs/GiB", 0.02),
    ("big.allocations_per_op", "big", "allocs/SQE", 0.05),
    ("big.bytes_written", "big", "bytes", None),
    ("big.files_created", "big", "files", None),
]
RUN_RUNS, BASELINE_RUNS = 5, 9
# Timing figures, each the median over the rounds of a per-round ratio,
# with the floor of its threshold; the threshold is max(floor, 3 x the
# noise band make baseline measured: the largest distance from 1 of that
# median when the current ringcp is timed against itself).  Wall time is
# what a user waits; CPU time (user + system of ringcp and its io-wq
# workers) depends less on what else the machine runs (A/A within 4% on a
# quiet minute, +14% in one set beside a clang build: floor 15%).  Wall
# time: A/A sets within ±2.3% at load 2.5, up to ±21% at load 7; the ratio
# to cp -a: up to ±17% (cp's own time swings too).
TIMINGS = [("time_vs_baseline", 0.25), ("cpu_vs_baseline", 0.15),
           ("current_vs_cp", 0.35)]


def subset_noise(vals, k):
    """Largest relative distance of the median of k of vals from the
    median of all of them."""
    med = statistics.median(vals)
    if not med or len(vals) <= k:
        return 0.0
    return max(abs(statistics.median(c) / med - 1)
               for c in itertools.combinations(vals, k))


def round_up(x):
    return math.ceil(x * 100 - 1e-9) / 100


def log(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def die(msg, code=2):
    print(f"{TAG}: {msg}", file=sys.stderr)
    sys.exit(code)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), **kw)


def out_of(cmd):
    return sh(cmd, capture_output=True, text=True).stdout.strip()


def git_commit(path=TOP):
    c = out_of(["git", "-C", path, "rev-parse", "HEAD"]) or "unknown"
    dirty = out_of(["git", "-C", path, "status", "--porcelain",
                    "--untracked-files=no", "--", "engine", "Makefile"])
    return c + ("-dirty" if dirty else "")


def env_record(scratch, ringcp):
    """The machine: lib.sh's env_record, as a dict."""
    text = out_of(["bash", "-c", '. scripts/bench/lib.sh; env_record "$1" "$2"',
                   "env", scratch, ringcp])
    env = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k not in ("hyperfine", "fio", "rsync", "tar"):
            env[k] = v
    return env


# ---- scratch filesystem and datasets ----------------------------------------

class Scratch:
    """A fresh ext4 (journaled, the mkfs default) on a sparse loop image in
    /var/tmp when root, so timings never follow a big deletion on the
    shared root filesystem; else a directory in /var/tmp."""

    def __init__(self, keep_dir=None):
        self.base = None
        self.mnt = None
        if keep_dir:
            os.makedirs(keep_dir, exist_ok=True)
            self.path = os.path.abspath(keep_dir)
            self.desc = {"kind": "directory given with --scratch",
                         "path": self.path}
        elif os.geteuid() == 0 and shutil.which("mkfs.ext4"):
            self.base = tempfile.mkdtemp(prefix="ringcp-gate.", dir="/var/tmp")
            img = os.path.join(self.base, "fs.img")
            self.mnt = os.path.join(self.base, "mnt")
            os.mkdir(self.mnt)
            with open(img, "wb") as f:
                f.truncate(IMAGE_BYTES)
            sh(["mkfs.ext4", "-q", "-F", img], check=True)
            sh(["mount", "-o", "loop", img, self.mnt], check=True)
            self.path = self.mnt
            self.desc = {"kind": "sparse image, mkfs.ext4 (journaled), "
                                 "mounted -o loop, removed at the end",
                         "image": img, "image_bytes": IMAGE_BYTES,
                         "why": "the root filesystem's ext4 has no journal: "
                                "after a deletion of many files its inode "
                                "allocations scan past them for ~30 s, "
                                "which would land on timed runs"}
        else:
            self.base = tempfile.mkdtemp(prefix="ringcp-gate.", dir="/var/tmp")
            self.path = self.base
            self.desc = {"kind": "directory in /var/tmp (not root: no loop "
                                 "mount)", "path": self.path}
        self.desc["fs"] = out_of(["findmnt", "-no", "FSTYPE,OPTIONS", "-T",
                                  self.path])

    def close(self):
        if self.mnt:
            if sh(["umount", self.mnt]).returncode:
                sh(["umount", "-l", self.mnt])
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)


def make_datasets(scratch):
    out = {}
    for name, (kind, spec) in DATASETS.items():
        path = os.path.join(scratch, "src-" + name)
        stamp = path + ".stamp.json"
        want = {"kind": kind, "spec": spec, "seed": SEED}
        try:
            fresh = load(stamp) == want
        except (OSError, ValueError):
            fresh = False
        if not fresh:
            log(f"dataset {name}: generating (seed {SEED})")
            datasets.generate(name, kind, spec, SEED, path)
            dump(want, stamp)
        n = datasets.count(path)
        out[name] = dict(want, path=path, files=n["files"], bytes=n["bytes"],
                         dirs=n["dirs"])
    return out


def warm(path):
    sh(["sh", "-c", 'find "$1" -type f -exec cat {} + >/dev/null', "sh", path])


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.mkdir(path)


# ---- counters ---------------------------------------------------------------

def same_copy(src, dst):
    return sh(["diff", "-r", "--no-dereference", "-q", src, dst],
              stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL).returncode == 0


def preload_env(args, out_file):
    env = dict(os.environ, LD_PRELOAD=PRELOAD, RC_GATE_ALLOC_OUT=out_file)
    if args.degrade_syscall:
        env["RC_GATE_DEGRADE_SYSCALL"] = str(args.degrade_syscall)
    return env


def counter_run(args, ringcp, ds, dst, tmp, check):
    """One --json run under the allocation counter and one under strace."""
    extra = shlex.split(args.extra_args)
    cmd = [ringcp, "-a", *extra, ds["path"] + "/", dst + "/"]
    alloc = os.path.join(tmp, "allocs.txt")
    fresh_dir(dst)
    if os.path.exists(alloc):
        os.unlink(alloc)
    p = sh([cmd[0], "--json", *cmd[1:]], capture_output=True, text=True,
           env=preload_env(args, alloc))
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
    fresh_dir(dst)
    st = os.path.join(tmp, "strace.txt")
    p = sh(["strace", "-c", "-f", "-o", st, *cmd], capture_output=True,
           text=True, env=preload_env(args, os.path.join(tmp, "allocs2.txt")))
    if p.returncode:
        die(f"strace {' '.join(cmd)}: exit {p.returncode}: {p.stderr[-400:]}")
    calls = {k: v["calls"] for k, v in parse_strace_c(st).items()}
    r["syscalls_total"] = sum(calls.values())
    r["io_uring_enter"] = calls.get("io_uring_enter", 0)
    return r


def counter_figures(ds, r):
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


def measure_counters(args, ringcp, dsets, scratch):
    tmp = tempfile.mkdtemp(prefix="gate-", dir=scratch)
    dst = os.path.join(scratch, "dst")
    runs, problems = {}, []
    for name, ds in dsets.items():
        ds = dict(ds, name=name)
        for i in range(args.runs):
            log(f"counters: {name} run {i + 1}/{args.runs}")
            r = counter_run(args, ringcp, ds, dst, tmp, check=(i == 0))
            if r.get("copy_identical") is False:
                problems.append(f"{name}: the copy differs from its source")
            if (r["bytes_json"], r["files_json"]) != (r["dst_bytes"],
                                                      r["dst_files"]):
                problems.append(f"{name}: --json says {r['files_json']} files "
                                f"{r['bytes_json']} bytes, the destination "
                                f"holds {r['dst_files']} and {r['dst_bytes']}")
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


# ---- timings ------------------------------------------------------------------

def build_baseline_ringcp(commit):
    """ringcp built at COMMIT in a temporary worktree, cached by commit."""
    cache = os.path.join(TOP, "build", "gate", "base-" + commit)
    binary = os.path.join(cache, "ringcp")
    if os.access(binary, os.X_OK):
        return binary
    if sh(["git", "-C", TOP, "cat-file", "-e", commit + "^{commit}"],
          stderr=subprocess.DEVNULL).returncode:
        die(f"the baseline's commit {commit} is not in this repository "
            "(fetch it, or record a new baseline: make baseline)")
    wt = tempfile.mkdtemp(prefix="ringcp-gate-base.", dir="/var/tmp")
    os.rmdir(wt)
    log(f"timings: building ringcp at the baseline's commit {commit[:12]} in {wt}")
    try:
        sh(["git", "-C", TOP, "worktree", "add", "--detach", "-q", wt, commit],
           check=True)
        p = sh(["make", "-s", "-C", wt, "VARIANT=gcc", "build/gcc/ringcp"],
               capture_output=True, text=True)
        if p.returncode:
            die(f"building the baseline at {commit}: {p.stderr[-600:]}")
        os.makedirs(cache, exist_ok=True)
        shutil.copy2(os.path.join(wt, "build", "gcc", "ringcp"), binary + ".tmp")
        os.replace(binary + ".tmp", binary)
    finally:
        sh(["git", "-C", TOP, "worktree", "remove", "--force", wt],
           stderr=subprocess.DEVNULL)
        shutil.rmtree(wt, ignore_errors=True)
        sh(["git", "-C", TOP, "worktree", "prune"])
    return binary


def _nice():
    try:
        os.setpriority(os.PRIO_PROCESS, 0, int(os.environ.get("GATE_NICE", "-20")))
    except OSError:
        pass


# Timed runs at nice -20 when root: on a shared machine the other users'
# processes then take less of the timed run's CPU (less noise); every
# command timed (baseline, current, cp -a) runs at the same priority.
NICE = _nice if os.geteuid() == 0 else None


def time_one(cmd, dst):
    """Wall time of one run (and its CPU time, user + system, of the
    process and its threads, io-wq workers included)."""
    fresh_dir(dst)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=NICE)
    _, status, ru = os.wait4(p.pid, 0)
    t = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        die(f"{' '.join(cmd)}: exit {p.returncode}")
    return t, ru.ru_utime + ru.ru_stime


def time_pairs(ds, base, cur, extra, pairs, dst):
    """Pairs of (baseline, current, cp -a) times, order rotated per pair;
    extra: arguments for the current ringcp only (a degraded build)."""
    src = ds["path"]
    cmds = {"base": [base, "-a", src + "/", dst + "/"],
            "cur": [cur, "-a", *extra, src + "/", dst + "/"],
            "cp": ["cp", "-a", src + "/.", dst]}
    orders = [("base", "cur", "cp"), ("cur", "base", "cp"),
              ("cp", "cur", "base"), ("cp", "base", "cur")]
    warm(src)
    for k in cmds:		# one untimed run each: caches, page tables
        time_one(cmds[k], dst)
    out = []
    for i in range(pairs):
        t = {}
        for k in orders[i % len(orders)]:
            t[k], t[k + "_cpu"] = time_one(cmds[k], dst)
        out.append(t)
    shutil.rmtree(dst, ignore_errors=True)
    return out


def ref(k, r):
    """What a timing figure is compared with: 1 for the ratios to the
    baseline ringcp, the baseline's own ratio to cp -a for current_vs_cp."""
    return r["baseline_vs_cp"] if k == "current_vs_cp" else 1.0


def ratios(pairs):
    vs_base = [p["cur"] / p["base"] for p in pairs]
    cur_cp = [p["cur"] / p["cp"] for p in pairs]
    base_cp = [p["base"] / p["cp"] for p in pairs]
    return {"time_vs_baseline": statistics.median(vs_base),
            "current_vs_cp": statistics.median(cur_cp),
            "baseline_vs_cp": statistics.median(base_cp),
            "current_median_s": statistics.median(p["cur"] for p in pairs),
            "baseline_median_s": statistics.median(p["base"] for p in pairs),
            "cp_median_s": statistics.median(p["cp"] for p in pairs),
            "pair_ratio_min": min(vs_base), "pair_ratio_max": max(vs_base),
            "cpu_vs_baseline": statistics.median(p["cur_cpu"] / p["base_cpu"]
                                                 for p in pairs)}


# ---- safety ---------------------------------------------------------------

def safety_verdict():
    path = os.path.join(TOP, "build", "safety.json")
    ran = False
    if not os.path.exists(path):
        log("safety: build/safety.json missing, running the quick safety check")
        sh(["scripts/safety-check.sh"], cwd=TOP,
           env=dict(os.environ, SAFETY_JSON=path), stdout=subprocess.DEVNULL)
        ran = True
    try:
        s = load(path)
    except (OSError, ValueError) as e:
        return {"path": path, "ran_here": ran, "figures": [
            ("safety.verdict", "pass", f"unreadable: {e}", "equal", False)]}
    tot = s.get("totals", {})
    muts = s.get("mutants", [])
    uncovered = [f"{c['state']}/{c['dir']}" for c in s.get("coverage", [])
                 if not c.get("hits") and not c.get("unreachable")]
    missed = [m["mutant"] for m in muts if not m.get("caught")]
    figs = [
        ("safety.verdict", "pass", s.get("verdict"), "equal",
         s.get("verdict") == "pass"),
        ("safety.violations", 0, tot.get("violations"), "equal",
         tot.get("violations") == 0),
        ("safety.mutants_caught", f"{len(muts)}/{len(muts)}",
         f"{len(muts) - len(missed)}/{len(muts)}", "all",
         bool(muts) and not missed),
        ("safety.states_uncovered", 0, len(uncovered), "equal", not uncovered),
    ]
    return {"path": path, "ran_here": ran, "date_utc": s.get("date_utc"),
            "mode": s.get("mode"), "seed": s.get("seed"),
            "cancellations": tot.get("cancellations"),
            "missed_mutants": missed, "uncovered": uncovered, "figures": figs}


# ---- output ---------------------------------------------------------------

def fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class Report:
    def __init__(self):
        self.rows = []

    def add(self, name, base, cur, threshold, ok, note=""):
        row = {"figure": name, "baseline": base, "current": cur,
               "threshold": threshold, "verdict": "PASS" if ok else "FAIL"}
        if note:
            row["note"] = note
        self.rows.append(row)
        print(f"{name:34} baseline {fmt(base):>10}  current {fmt(cur):>10}  "
              f"threshold {threshold:>14}  {row['verdict']}"
              + (f"  ({note})" if note else ""), flush=True)

    def failed(self):
        return [r for r in self.rows if r["verdict"] == "FAIL"]


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
    """first: the figures of a first measurement that a confirming rerun
    (figs) followed; a figure fails only if over in both."""
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
        noise = b.get("noise_median_of_%d" % RUN_RUNS, b["spread"])
        if not (first and fname in first):
            rel_s = f"{rel:+.1%}"
        note = rel_s + ("" if ok else
                                f", over +{thr:.0%} = max(floor, 2 x the "
                                f"baseline's noise ±{noise:.1%})")
        rep.add(fname, b["median"], cur, f"+{thr:.0%}", ok, note)


def check_timings(rep, args, base, dsets, scratch, record):
    commit = base["commit"].removesuffix("-dirty")
    base_bin = build_baseline_ringcp(commit)
    record["baseline_ringcp"] = base_bin
    extra = shlex.split(args.extra_args)
    dst = os.path.join(scratch, "dst")
    record["timings"] = {}
    for name, ds in dsets.items():
        noise = base["timings"][name]
        attempts = []
        for attempt in (1, 2):
            log(f"timings: {name}, {args.pairs} rounds of baseline / current "
                f"/ cp -a{' (confirming rerun)' if attempt == 2 else ''}")
            pairs = time_pairs(ds, base_bin, args.ringcp, extra, args.pairs, dst)
            r = ratios(pairs)
            r["pairs"] = pairs
            attempts.append(r)
            over = [k for k, _ in TIMINGS
                    if r[k] / ref(k, r) - 1 > noise[k]["threshold"]]
            if not over:
                break
        record["timings"][name] = attempts
        last = attempts[-1]
        for k, _ in TIMINGS:
            b = ref(k, last)
            thr = noise[k]["threshold"]
            rel = [a[k] / ref(k, a) - 1 for a in attempts]
            ok = not (len(rel) == 2 and all(x > thr for x in rel))
            note = (f"{rel[-1]:+.1%}; noise band ±{noise[k]['band']:.1%}"
                    + (f"; first run {rel[0]:+.1%}, confirming rerun "
                       f"{rel[1]:+.1%}" if len(rel) == 2 else ""))
            if not ok:
                note = (f"slower by {rel[1]:.1%} (first run {rel[0]:+.1%}), "
                        f"over +{thr:.0%} = max(floor, 3 x the noise band "
                        f"±{noise[k]['band']:.1%})")
            label = ("the baseline's ratio to cp -a" if k == "current_vs_cp"
                     else "the baseline ringcp")
            rep.add(f"{name}.{k}", round(b, 4), round(last[k], 4),
                    f"+{thr:.0%}", ok, note if ok else note + f" vs {label}")


def run(args):
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
            record["scratch"] = scratch.desc
            record["env"] = env_record(scratch.path, args.ringcp)
            dsets = make_datasets(scratch.path)
            record["datasets"] = dsets
        if "counters" in parts:
            figs, runs, problems = measure_counters(args, args.ringcp, dsets,
                                                    scratch.path)
            record["counters"] = figs
            record["counter_runs"] = runs
            first = None
            if counters_over(base, figs):
                log("counters: over a threshold: " + ", ".join(
                    counters_over(base, figs)) + "; confirming rerun")
                first = {k: figs[k] for k in counters_over(base, figs)}
                figs, runs, more = measure_counters(args, args.ringcp, dsets,
                                                    scratch.path)
                problems += more
                record["counters_first_run"] = first
                record["counters"] = figs
                record["counter_runs_confirming"] = runs
            print(f"gate: counters, median of {args.runs} runs, higher is "
                  "worse" + (", a confirming rerun" if first else ""))
            check_counters(rep, base, figs, first)
            rep.add("copies.identical", "yes", "no" if problems else "yes",
                    "exact", not problems, "; ".join(problems))
        if "timings" in parts:
            print(f"gate: timings, median of per-round ratios, {args.pairs} "
                  "rounds, a confirming rerun before any FAIL")
            check_timings(rep, args, base, dsets, scratch.path, record)
    finally:
        if scratch:
            scratch.close()
    if "safety" in parts:
        s = safety_verdict()
        print(f"gate: safety, from {s['path']}")
        for name, b, c, thr, ok in s.pop("figures"):
            rep.add(name, b, c, thr, ok)
        record["safety"] = s
    record["figures"] = rep.rows
    record["failed"] = [r["figure"] for r in rep.failed()]
    record["verdict"] = "fail" if record["failed"] else "pass"
    record["wall_s"] = round(time.time() - t0, 1)
    dump(record, args.out)
    if record["failed"]:
        print(f"gate: FAIL: {', '.join(record['failed'])} "
              f"({record['wall_s']}s; record in {args.out})")
        return 1
    print(f"gate: PASS, {len(rep.rows)} figures ({record['wall_s']}s; "
          f"record in {args.out})")
    return 0


def baseline(args):
    commit = git_commit()
    if commit.endswith("-dirty") and not os.environ.get("GATE_ALLOW_DIRTY"):
        die("engine/ or the Makefile has uncommitted changes: a baseline must "
            "name a commit that builds the same ringcp (commit first; "
            "GATE_ALLOW_DIRTY=1 to record anyway, e.g. in tests)")
    parts = args.only or ["counters", "timings"]
    t0 = time.time()
    rec = {"what": "the regression gate's baseline (make baseline; "
                   "scripts/gate/gate.py)",
           "commit": commit, "ringcp": args.ringcp, "seed": SEED,
           "counter_runs": args.runs, "counters": {}, "timings": {}}
    scratch = Scratch(args.scratch)
    try:
        rec["scratch"] = scratch.desc
        rec["env"] = env_record(scratch.path, args.ringcp)
        dsets = make_datasets(scratch.path)
        rec["datasets"] = dsets
        if "counters" in parts:
            figs, runs, problems = measure_counters(args, args.ringcp, dsets,
                                                    scratch.path)
            if problems:
                die("; ".join(problems))
            for fname, _, unit, floor in COUNTERS:
                f = figs[fname]
                f["noise_median_of_%d" % RUN_RUNS] = noise = subset_noise(
                    f["runs"], RUN_RUNS)
                f["threshold"] = (None if floor is None else
                                  round_up(max(floor, 2 * noise)))
                rec["counters"][fname] = f
                print(f"{fname:34} median {fmt(f['median']):>10}  runs spread "
                      f"{f['spread']:6.1%}  median-of-{RUN_RUNS} noise "
                      f"{noise:6.1%}  threshold "
                      f"{'exact' if floor is None else '+%.0f%%' % (100 * f['threshold'])}")
        if "timings" in parts:
            # A/A: the current ringcp against itself, SETS times: how far the
            # median of ratios strays from 1 when nothing changed
            extra = shlex.split(args.extra_args)
            dst = os.path.join(scratch.path, "dst")
            for name, ds in dsets.items():
                sets = []
                for i in range(args.sets):
                    log(f"timings: {name}, noise set {i + 1}/{args.sets} "
                        f"(current against itself, {args.pairs} rounds)")
                    r = ratios(time_pairs(ds, args.ringcp, args.ringcp, extra,
                                          args.pairs, dst))
                    sets.append(r)
                t = {"sets": sets, "pairs": args.pairs}
                for k, floor in TIMINGS:
                    # A/A: the figure against its reference (1, or the
                    # other side's ratio to cp -a in the same set)
                    dev = [s[k] / ref(k, s) - 1 for s in sets]
                    band = max(abs(x) for x in dev)
                    t[k] = {"band": band, "set_deviations": dev,
                            "threshold": round_up(max(floor, 3 * band))}
                    if k == "current_vs_cp":
                        t[k]["value"] = statistics.median(s[k] for s in sets)
                    print(f"{name + '.' + k:34} A/A "
                          f"{', '.join('%+.1f%%' % (100 * x) for x in dev)}  "
                          f"band ±{band:.1%}  threshold "
                          f"+{t[k]['threshold']:.0%}")
                rec["timings"][name] = t
    finally:
        scratch.close()
    rec["wall_s"] = round(time.time() - t0, 1)
    dump(rec, args.out)
    print(f"gate: baseline of {commit[:12]} written to {args.out} "
          f"({rec['wall_s']}s)")
    return 0


def main():
    ap = argparse.ArgumentParser(
        prog="gate.py", description=__doc__.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("run", "baseline"))
    ap.add_argument("--ringcp", default=os.path.join(TOP, "build", "gcc", "ringcp"))
    ap.add_argument("--baseline", default=os.path.join(TOP, "results", "baseline.json"))
    ap.add_argument("--out")
    ap.add_argument("--only", action="append",
                    choices=("counters", "timings", "safety"))
    ap.add_argument("--runs", type=int)
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--sets", type=int, default=3)
    ap.add_argument("--extra-args", default="")
    ap.add_argument("--degrade-syscall", type=int, default=0)
    ap.add_argument("--scratch")
    args = ap.parse_args()
    args.ringcp = os.path.abspath(args.ringcp)
    if args.runs is None:
        args.runs = RUN_RUNS if args.mode == "run" else BASELINE_RUNS
    if args.out is None:
        args.out = (os.path.join(TOP, "build", "gate.json") if args.mode == "run"
                    else args.baseline)
    os.chdir(TOP)
    # a timeout's SIGTERM unwinds like an error: the loop mount, the scratch
    # image and the baseline's worktree are removed on the way out
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))
    for tool in ("strace", "diff", "cp", "git"):
        if not shutil.which(tool):
            die(f"{tool} is missing (make deps)")
    if not os.access(PRELOAD, os.R_OK):
        die(f"{PRELOAD} is missing (make gate builds it)")
    if not os.access(args.ringcp, os.X_OK):
        die(f"{args.ringcp} is not an executable")
    return run(args) if args.mode == "run" else baseline(args)


if __name__ == "__main__":
    sys.exit(main())
