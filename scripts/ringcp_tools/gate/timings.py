# SPDX-License-Identifier: MIT
"""The timing part of the gate: the baseline's ringcp (built at its
commit), the current one and `cp -a`, timed in rotating order on the warm
datasets; the figures are medians of per-round ratios."""
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time

from ..commands import warm_source
from ..common import TOP, log
from .figures import TIMINGS, die, round_up
from .workspace import fresh_dir


def build_baseline_ringcp(commit):
    """ringcp built at COMMIT in a temporary worktree, cached by commit."""
    cache = os.path.join(TOP, "build", "gate", "base-" + commit)
    binary = os.path.join(cache, "ringcp")
    if os.access(binary, os.X_OK):
        return binary
    if subprocess.run(["git", "-C", TOP, "cat-file", "-e", commit + "^{commit}"],
                      stderr=subprocess.DEVNULL).returncode:
        die(f"the baseline's commit {commit} is not in this repository "
            "(fetch it, or record a new baseline: make baseline)")
    wt = tempfile.mkdtemp(prefix="ringcp-gate-base.", dir="/var/tmp")
    os.rmdir(wt)
    log(f"timings: building ringcp at the baseline's commit {commit[:12]} in {wt}")
    try:
        subprocess.run(["git", "-C", TOP, "worktree", "add", "--detach", "-q",
                        wt, commit], check=True)
        p = subprocess.run(["make", "-s", "-C", wt, "VARIANT=gcc",
                            "build/gcc/ringcp"], capture_output=True, text=True)
        if p.returncode:
            die(f"building the baseline at {commit}: {p.stderr[-600:]}")
        os.makedirs(cache, exist_ok=True)
        shutil.copy2(os.path.join(wt, "build", "gcc", "ringcp"), binary + ".tmp")
        os.replace(binary + ".tmp", binary)
    finally:
        subprocess.run(["git", "-C", TOP, "worktree", "remove", "--force", wt],
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(wt, ignore_errors=True)
        subprocess.run(["git", "-C", TOP, "worktree", "prune"])
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
    warm_source(src)
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
    """The figures of a list of timed rounds: medians of per-round ratios
    and of the times."""
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


def timing_attempts(args, name, ds, base_bin, noise, dst):
    """The timed rounds of one dataset: a first attempt, and a confirming
    rerun when a figure is over its threshold; [ratios(...) with "pairs"]."""
    extra = shlex.split(args.extra_args)
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
    return attempts


def timing_verdicts(rep, name, attempts, noise):
    """One verdict line per timing figure of one dataset into REP: a FAIL
    only when the first run and the confirming rerun are both over."""
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


def check_timings(rep, args, base, dsets, scratch, record):
    """The timing part of make gate: record["baseline_ringcp"] and
    record["timings"] filled, one verdict line per figure into REP."""
    commit = base["commit"].removesuffix("-dirty")
    base_bin = build_baseline_ringcp(commit)
    record["baseline_ringcp"] = base_bin
    dst = os.path.join(scratch, "dst")
    record["timings"] = {}
    for name, ds in dsets.items():
        noise = base["timings"][name]
        attempts = timing_attempts(args, name, ds, base_bin, noise, dst)
        record["timings"][name] = attempts
        timing_verdicts(rep, name, attempts, noise)


def noise_band(args, name, ds, dst):
    """The baseline's timing entry of one dataset: args.sets A/A sets (the
    current ringcp against itself), and per figure how far from its
    reference the median strays when nothing changed (the band) and the
    threshold that makes; prints one line per figure."""
    extra = shlex.split(args.extra_args)
    sets = []
    for i in range(args.sets):
        log(f"timings: {name}, noise set {i + 1}/{args.sets} "
            f"(current against itself, {args.pairs} rounds)")
        sets.append(ratios(time_pairs(ds, args.ringcp, args.ringcp, extra,
                                      args.pairs, dst)))
    t = {"sets": sets, "pairs": args.pairs}
    for k, floor in TIMINGS:
        # the figure against its reference (1, or the other side's ratio
        # to cp -a in the same set)
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
    return t
