# SPDX-License-Identifier: MIT
"""How fast ringcp copies one 1 GiB file, durably, on this machine, and
which queue depth / block size it should default to.

usage: scripts/measure-single-file.sh   (or python3 -m ringcp_tools.measure_single_file)

What it measures (all copies are of a warm, page-cached 1 GiB random
file to a destination on the same filesystem, destination fsync'd):
  1. the environment (ringcp_tools.env, plus the defaults and how the
     binary was built);
  2. the device's ceilings with fio: sequential O_DIRECT write and read,
     1 MiB blocks, iodepth 32, io_uring engine, 2 GiB file;
  3. a sweep of ringcp --fsync over queue depth x block size (hyperfine
     -L), the data the defaults RC_COPY_DEFAULT_QD / RC_COPY_DEFAULT_BS
     (DEFAULTS_HEADERS) are chosen from.  Hyperfine runs a combination's
     runs back to back, so a noisy minute on a shared machine lands on a
     few neighbouring combinations: the sweep is done in SWEEP_ROUNDS
     rounds, every other one walking the grid backwards, and the runs
     are pooled.  Then the current defaults against the sweep's fastest
     combination in strictly alternating pairs;
  4. ringcp --fsync (defaults) against `cp --reflink=never && sync DST`
     in strictly alternating pairs (A B, B A, ...), per-pair ratios.
  Pair ratios are also split by which ran first: on the reference VM a
  copy's cost depends on the copy before it, and the split shows it.
Everything goes into one JSON object (sections env, fio, sweep, pairs;
times in *_ns, sizes in *_bytes, throughput in bw_bytes = bytes/s, like
fio) and a short summary is printed.

Run as root (sync and fio need it only for the page cache and O_DIRECT;
root avoids surprises).  Environment knobs (defaults in brackets):
  WORKDIR      scratch dir, must be on the filesystem to measure
               [/var/tmp/ringcp-measure]; needs ~4.5 GiB free
  OUT          JSON output [<repo>/results/engine-core/single-file.json]
  BUILD_FROM   head: build ringcp from `git archive HEAD` in a temporary
               dir, immune to edits in progress; worktree: build the
               working tree (`make variant VARIANT=gcc`) [head]
  RINGCP       measure this binary instead of building one
  QDS, BSS     sweep grid [1,2,4,8,16,32] x [64K,128K,256K,512K,1M]
  SWEEP_ROUNDS passes over the grid [3]
  SWEEP_RUNS   hyperfine --runs per combination per round [3] (plus 1
               warmup); medians are over ROUNDS x RUNS pooled runs
  CONFIRM_PAIRS  defaults-vs-best alternating pairs [10]
  PAIRS        ringcp-vs-cp alternating pairs [12] (at least 8; kept
               even so that each order, A B and B A, occurs equally)
  FIO_ROUNDS   fio write+read rounds, median reported [3]
The 1 GiB source ($WORKDIR/src-1GiB.bin) is created once and reused;
it is kept afterwards only when WORKDIR is under /var/tmp.  Everything
else written in WORKDIR, but an empty .lock, is removed on exit.
Takes about 9 minutes (sweep about 7) on a 2-core VM with a virtio disk.
"""
import ast
import glob
import operator
import os
import re
import shutil
import statistics as st
import subprocess
import sys
import tempfile
import time

from . import env as envmod
from . import fio
from .common import (MiB, TOP, die, dump, first_line, load, loadavg, lock,
                     log, out_of, q, wall_ns)

TAG = "measure-single-file"
SRC_SIZE = 1 << 30
DEFAULT_WORKDIR = "/var/tmp/ringcp-measure"
# where the engine's copy defaults are #defined (relative to the sources):
# the first that exists; engine/rc_copy.h before the layered tree, so that
# an older commit can still be measured
DEFAULTS_HEADERS = ("include/ringcp/config.h", "engine/rc_copy.h")


def knobs():
    """The environment knobs, with their defaults, checked."""
    e = os.environ.get
    k = {"workdir": e("WORKDIR", DEFAULT_WORKDIR),
         "out": e("OUT", os.path.join(TOP, "results", "engine-core",
                                      "single-file.json")),
         "build_from": e("BUILD_FROM", "head"), "ringcp": e("RINGCP", ""),
         "qds": e("QDS", "1,2,4,8,16,32"), "bss": e("BSS", "64K,128K,256K,512K,1M"),
         "sweep_rounds": int(e("SWEEP_ROUNDS", "3")),
         "sweep_runs": int(e("SWEEP_RUNS", "3")),
         "confirm_pairs": int(e("CONFIRM_PAIRS", "10")),
         "pairs": int(e("PAIRS", "12")), "fio_rounds": int(e("FIO_ROUNDS", "3"))}
    for t in ("hyperfine", "fio", "git", "stat", "findmnt", "fincore"):
        if not shutil.which(t):
            die(TAG, f"'{t}' not found (scripts/deps.sh installs it)")
    if k["pairs"] < 8 or k["pairs"] % 2:
        die(TAG, "PAIRS must be even and at least 8")
    if k["confirm_pairs"] % 2:
        die(TAG, "CONFIRM_PAIRS must be even")
    return k


def bytes_of(s):
    """A size with an optional K, M or G suffix (powers of 1024) in bytes."""
    mult = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult else int(s)


def c_int(expr):
    """The value of a C integer constant expression such as
    (256u * 1024u): numbers, + - * / << >> and parentheses."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub,
           ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
           ast.Div: operator.floordiv, ast.LShift: operator.lshift,
           ast.RShift: operator.rshift}

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.BinOp) and type(n.op) in ops:
            return ops[type(n.op)](ev(n.left), ev(n.right))
        raise ValueError(f"not a constant expression: {expr}")
    return ev(ast.parse(re.sub(r"(\d+)[uUlL]+", r"\1", expr), mode="eval").body)


def build(k, tmp):
    """The binary to measure, and (git_commit, how it was built, the
    directory of the sources it was built from)."""
    commit = out_of(["git", "-C", TOP, "rev-parse", "HEAD"])
    dirty = "-dirty" if out_of(["git", "-C", TOP, "status", "--porcelain",
                                "--untracked-files=no"]) else ""
    if k["ringcp"]:
        return k["ringcp"], commit + dirty, "given by RINGCP", TOP
    if k["build_from"] == "head":
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        subprocess.run(f"git -C {q(TOP)} archive HEAD | tar -x -C {q(src)}",
                       shell=True, check=True)
        log(f"building ringcp from a clean export of HEAD ({commit})")
        subprocess.run(["make", "-C", src, "--no-print-directory", "VARIANT=gcc",
                        "build/gcc/ringcp"], stdout=sys.stderr, check=True)
        return (os.path.join(src, "build", "gcc", "ringcp"), commit,
                "git archive HEAD, make VARIANT=gcc", src)
    log("building build/gcc/ringcp from the working tree")
    subprocess.run(["make", "-C", TOP, "--no-print-directory", "variant",
                    "VARIANT=gcc"], stdout=sys.stderr, check=True)
    return (os.path.join(TOP, "build", "gcc", "ringcp"), commit + dirty,
            "working tree, make variant VARIANT=gcc", TOP)


def defaults(srcdir, ringcp):
    """(queue depth, block size in bytes) #defined in DEFAULTS_HEADERS,
    checked against what the binary's --help shows."""
    hdr = next((h for h in DEFAULTS_HEADERS
                if os.path.exists(os.path.join(srcdir, h))), None)
    if not hdr:
        die(TAG, f"none of {', '.join(DEFAULTS_HEADERS)} in {srcdir}")
    with open(os.path.join(srcdir, hdr)) as f:
        text = f.read()

    def define(name):
        m = re.search(rf"^#define\s*{name}\s*(.*)$", text, re.M)
        return c_int(m.group(1)) if m else die(TAG, f"no {name} in {hdr}")
    qd, bs = define("RC_COPY_DEFAULT_QD"), define("RC_COPY_DEFAULT_BS")
    help_text = out_of([ringcp, "--help"])
    if f"default {qd}," not in help_text or f"default {bs // 1024}K" not in help_text:
        die(TAG, f"{ringcp} --help does not show the defaults in "
            f"{hdr} (stale build?)")
    return qd, bs


def source(src):
    """SRC as SRC_SIZE random bytes (made once, then reused), warm."""
    if not os.path.exists(src) or os.stat(src).st_size != SRC_SIZE:
        log(f"creating {src} (1 GiB from /dev/urandom)")
        if os.path.exists(src):
            os.unlink(src)
        with open(src + ".part", "wb") as f:
            for _ in range(SRC_SIZE // (16 * MiB)):
                f.write(os.urandom(16 * MiB))
            os.fsync(f.fileno())
        os.rename(src + ".part", src)
    else:
        log(f"reusing {src}")
    warm(src)


def warm(path):
    with open(path, "rb") as f:
        while f.read(16 * MiB):
            pass


def check_copy(src, dst, what):
    if subprocess.run(["cmp", src, dst]).returncode:
        die(TAG, f"{what}: the copy differs from the source")


def sweep_runs(k, ringcp, src, dst, tmp):
    """The hyperfine sweep, SWEEP_ROUNDS times (even rounds with both lists
    reversed); (the exports, wall time in ns)."""
    ncombo = len(k["qds"].split(",")) * len(k["bss"].split(","))
    t0 = time.monotonic_ns()
    for r in range(1, k["sweep_rounds"] + 1):
        qds, bss = k["qds"], k["bss"]
        if r % 2 == 0:
            qds, bss = (",".join(x.split(",")[::-1]) for x in (qds, bss))
        log(f"sweep round {r}/{k['sweep_rounds']}: {ncombo} combinations x "
            f"({k['sweep_runs']} runs + 1 warmup), ringcp --fsync")
        warm(src)
        subprocess.run(["hyperfine", "--style", "basic", "--warmup", "1",
                        "--runs", str(k["sweep_runs"]),
                        "--prepare", f"rm -f {q(dst)}; sync",
                        "-L", "qd", qds, "-L", "bs", bss,
                        "--export-json", os.path.join(tmp, f"sweep-{r}.json"),
                        f"{q(ringcp)} --fsync -Q {{qd}} -B {{bs}} {q(src)} {q(dst)}"],
                       stdout=sys.stderr, check=True)
        check_copy(src, dst, "sweep")
    exports = [load(os.path.join(tmp, f"sweep-{r}.json"))
               for r in range(1, k["sweep_rounds"] + 1)]
    return exports, time.monotonic_ns() - t0


def run_pairs(n, a, b, src, dst):
    """N strictly alternating pairs of timed runs of A and B ((label, shell
    command), run as `bash -c CMD`), odd pairs A first; each after
    `rm -f DST; sync` and checked with cmp afterwards (untimed).
    [{"pair": i, label: ns, ...}]."""
    rows = []
    for i in range(1, n + 1):
        row = {"pair": i}
        for label, cmd in ((a, b) if i % 2 else (b, a)):
            try:
                row[label] = wall_ns(["bash", "-c", cmd], dst)
            except subprocess.CalledProcessError as e:
                die(TAG, f"pair {i}: {label} failed: {e}")
            check_copy(src, dst, f"pair {i}: {label}")
        rows.append(row)
    return rows


# ---- the JSON document ------------------------------------------------------

def ns(x):
    return int(round(x * 1e9))


def fio_section(runs, n):
    doc = {"command": "fio --name=ceiling --filename=$WORKDIR/fio.tmp --size=2G "
           "--rw={write,read} --bs=1M --iodepth=32 --ioengine=io_uring "
           "--direct=1 --output-format=json", "rounds": n}
    for rw in ("write", "read"):
        jobs = [d["jobs"][0] for d in runs[rw]]
        bws = [j[rw]["bw_bytes"] for j in jobs]
        doc[rw] = {"bw_bytes": int(st.median(bws)), "bw_bytes_rounds": bws,
                   "fio_version": runs[rw][-1].get("fio version"), "jobs": jobs}
    return doc


def combos_of(exports):
    """Each combination's runs pooled over the rounds (hyperfine's user
    and system are means per round, each over the same number of runs)."""
    pool = {}
    for exp in exports:
        for r in exp["results"]:
            key = (int(r["parameters"]["qd"]), r["parameters"]["bs"])
            e = pool.setdefault(key, {"times": [], "round_medians": [],
                                      "user": [], "system": []})
            e["times"] += r["times"]
            e["round_medians"].append(r["median"])
            e["user"].append(r["user"])
            e["system"].append(r["system"])
    combos = []
    for (qd, bs), e in sorted(pool.items(), key=lambda kv: (kv[0][0], bytes_of(kv[0][1]))):
        t = e["times"]
        combos.append({
            "qd": qd, "bs": bs, "bs_bytes": bytes_of(bs), "runs": len(t),
            "median_ns": ns(st.median(t)), "mean_ns": ns(st.mean(t)),
            "stddev_ns": ns(st.stdev(t) if len(t) > 1 else 0.0),
            "min_ns": ns(min(t)), "max_ns": ns(max(t)),
            "round_medians_ns": [ns(m) for m in e["round_medians"]],
            "user_mean_ns": ns(st.mean(e["user"])),
            "system_mean_ns": ns(st.mean(e["system"])),
            "times_ns": [ns(x) for x in t],
            "bw_bytes": int(SRC_SIZE / st.median(t)),
        })
    return combos


def summarize(pairs, a, b):
    """Medians of A's and B's times over the pairs, and of the per-pair
    ratio A/B, split by which ran first."""
    ratios = [p[a] / p[b] for p in pairs]
    return {
        "count": len(pairs),
        f"{a}_median_ns": int(st.median(p[a] for p in pairs)),
        f"{b}_median_ns": int(st.median(p[b] for p in pairs)),
        f"ratio_{a}_over_{b}_median": round(st.median(ratios), 4),
        f"ratio_{a}_over_{b}_min": round(min(ratios), 4),
        f"ratio_{a}_over_{b}_max": round(max(ratios), 4),
        # The same, split by order: carry-over from the previous copy
        # (where ext4 puts the next file, what the disk does with the
        # blocks just freed) shows up here, and alternation balances it.
        f"ratio_{a}_over_{b}_median_{a}_first": round(st.median(ratios[0::2]), 4),
        f"ratio_{a}_over_{b}_median_{b}_first": round(st.median(ratios[1::2]), 4),
        "order": "odd pairs run %s first, even pairs %s first" % (a, b),
        "runs": [dict(p, ratio=round(p[a] / p[b], 4)) for p in pairs],
    }


def sweep_section(k, combos, env, wall, confirm_rows):
    """The sweep: every combination, the best, the default's rank, the
    near-best ones and the confirmation pairs."""
    ranked = sorted(combos, key=lambda c: c["median_ns"])
    best = ranked[0]
    # None when the grid (QDS x BSS) leaves the default out.
    dflt = next((c for c in combos if c["qd"] == env["default_qd"]
                 and c["bs_bytes"] == env["default_bs_bytes"]), None)
    near = [c for c in ranked if c["median_ns"] <= best["median_ns"] * 1.05]
    # Among combinations within 5% of the best, the one pinning least memory.
    frugal = min(near, key=lambda c: (c["qd"] * c["bs_bytes"], c["median_ns"]))
    confirm = ({"best_qd": best["qd"], "best_bs": best["bs"],
                **summarize(confirm_rows, "defaults", "best")}
               if confirm_rows else {"note": "the sweep's fastest is the default"})
    return {
        "command": "hyperfine --warmup 1 --runs %d --prepare 'rm -f DST; sync' "
                   "-L qd %s -L bs %s '%s'" % (k["sweep_runs"], k["qds"], k["bss"],
                                                "ringcp --fsync -Q {qd} -B {bs} SRC DST"),
        "rounds": k["sweep_rounds"],
        "rounds_note": "the command run %d times, even rounds with both lists "
                       "reversed; statistics over the pooled runs" % k["sweep_rounds"],
        "runs_per_combo": k["sweep_rounds"] * k["sweep_runs"], "warmup_per_round": 1,
        "source": "warm (page cache)",
        "destination": "same filesystem, fsync'd (ringcp --fsync)",
        "wall_ns": wall,
        "default": dflt and {"qd": dflt["qd"], "bs": dflt["bs"],
                             "median_ns": dflt["median_ns"]},
        "best": {"qd": best["qd"], "bs": best["bs"], "median_ns": best["median_ns"]},
        "ratio_default_over_best_median":
            dflt and round(dflt["median_ns"] / best["median_ns"], 4),
        "default_rank": dflt and ranked.index(dflt) + 1,
        "fastest": [{"qd": c["qd"], "bs": c["bs"], "median_ns": c["median_ns"],
                     "ratio_over_best": round(c["median_ns"] / best["median_ns"], 4)}
                    for c in ranked[:5]],
        "within_5pct_of_best": [f'{c["qd"]}x{c["bs"]}' for c in near],
        "least_memory_within_5pct": {"qd": frugal["qd"], "bs": frugal["bs"],
                                     "median_ns": frugal["median_ns"]},
        "confirm_defaults_vs_best": confirm,
        "combos": combos,
    }


# ---- the summary ----------------------------------------------------------------

def s3(n):
    return "%.3f" % (n / 1e9)


def sweep_table(sw, key, title, k):
    combos = sw["combos"]
    dflt = sw["default"]
    print(f"\nsweep: {title} seconds of {k['sweep_rounds']}x{k['sweep_runs']} runs, "
          f"ringcp --fsync, 1 GiB warm source ({sw['wall_ns'] / 60e9:.1f} min)")
    blist = sorted({c["bs_bytes"] for c in combos})
    bname = {c["bs_bytes"]: c["bs"] for c in combos}
    cell = {(c["qd"], c["bs_bytes"]): c for c in combos}
    print("  qd \\ bs " + "".join("%9s" % bname[b] for b in blist))
    for qd in sorted({c["qd"] for c in combos}):
        row = ""
        for b in blist:
            c = cell.get((qd, b))
            is_dflt = c and dflt and (c["qd"], c["bs"]) == (dflt["qd"], dflt["bs"])
            row += ("%9s" % (s3(c[key]) + ("*" if is_dflt else " ")) if c
                    else "%9s" % "-")
        print("  %7d " % qd + row)
    print("  (* = current default)")


def print_summary(doc, k, out, cmd_line):
    env, fio_doc, sw, p = doc["env"], doc["fio"], doc["sweep"], doc["pairs"]
    print(f"\nringcp single-file measurement, {env['date_utc']}, {env['hostname']}, "
          f"kernel {env['kernel']}, {env['nproc']} CPUs, {env['fs_type_mount']} on "
          f"{env['fs_source']}, commit {env['git_commit'][:12]}")
    print("fio ceilings (O_DIRECT, 1M, iodepth 32, median of %d): write %.0f MiB/s, "
          "read %.0f MiB/s" % (k["fio_rounds"], fio_doc["write"]["bw_bytes"] / MiB,
                               fio_doc["read"]["bw_bytes"] / MiB))
    sweep_table(sw, "median_ns", "median", k)
    sweep_table(sw, "min_ns", "fastest (min)", k)
    print("fastest: " + ", ".join(f'Q{c["qd"]} B{c["bs"]} {s3(c["median_ns"])}s'
                                  for c in sw["fastest"]))
    if sw["default"]:
        print(f'default Q{sw["default"]["qd"]} B{sw["default"]["bs"]}: rank '
              f'{sw["default_rank"]}/{len(sw["combos"])}, '
              f'{sw["ratio_default_over_best_median"]:.3f}x the best median')
    else:
        print("default not in the grid")
    fr = sw["least_memory_within_5pct"]
    print(f'within 5% of best: {", ".join(sw["within_5pct_of_best"])}; least memory '
          f'among them: Q{fr["qd"]} B{fr["bs"]}')
    c = sw["confirm_defaults_vs_best"]
    if "count" in c:
        r = "ratio_defaults_over_best"
        print(f'confirm, {c["count"]} alternating pairs: defaults/best'
              f'(Q{c["best_qd"]} B{c["best_bs"]}) median ratio {c[r + "_median"]:.3f} '
              f'(min {c[r + "_min"]:.3f}, max {c[r + "_max"]:.3f}; '
              f'{c[r + "_median_defaults_first"]:.3f} when defaults ran first, '
              f'{c[r + "_median_best_first"]:.3f} when best did)')
    r = "ratio_ringcp_over_cp"
    print(f'\nringcp vs cp, {p["count"]} alternating pairs: ringcp median '
          f'{s3(p["ringcp_median_ns"])}s, cp median {s3(p["cp_median_ns"])}s, '
          f'ratio ringcp/cp median {p[r + "_median"]:.3f} '
          f'(min {p[r + "_min"]:.3f}, max {p[r + "_max"]:.3f}; '
          f'{p[r + "_median_ringcp_first"]:.3f} when ringcp ran first, '
          f'{p[r + "_median_cp_first"]:.3f} when cp did)')
    print(f"\nwrote {out}\nreproduce: {cmd_line}")


# ---- the run ------------------------------------------------------------------

def measure(k, work, tmp):
    """Steps 1 to 4; the JSON document (without its summary)."""
    src, dst = os.path.join(work, "src-1GiB.bin"), os.path.join(work, "dst.bin")
    ringcp, commit, built_from, srcdir = build(k, tmp)
    if not os.access(ringcp, os.X_OK):
        die(TAG, f"no ringcp binary at '{ringcp}'")
    sv = os.statvfs(work)
    need = 4 * SRC_SIZE + SRC_SIZE // 2 - (SRC_SIZE if os.path.exists(src) else 0)
    if sv.f_bavail * sv.f_frsize < need:
        die(TAG, f"{work} has {sv.f_bavail * sv.f_frsize} bytes free, needs {need}")
    log("recording the environment")
    qd, bs = defaults(srcdir, ringcp)
    env = envmod.record(work, "WORKDIR", ringcp)
    env.update(git_commit=commit, ringcp_built_from=built_from,
               default_qd=qd, default_bs_bytes=bs)
    source(src)
    fio_doc = fio_section(fio.rounds(tmp, k["fio_rounds"], "2G", "fio.tmp"),
                          k["fio_rounds"])
    exports, sweep_wall = sweep_runs(k, ringcp, src, dst, tmp)
    combos = combos_of(exports)
    best = min(combos, key=lambda c: c["median_ns"])
    if best["qd"] == qd and best["bs_bytes"] == bs:
        log("confirm: the sweep's fastest is the default, nothing to confirm")
        confirm = []
    else:
        log(f"confirm: defaults vs sweep-best (-Q {best['qd']} -B {best['bs']}), "
            f"{k['confirm_pairs']} alternating pairs")
        warm(src)
        confirm = run_pairs(
            k["confirm_pairs"],
            ("defaults", f"{q(ringcp)} --fsync {q(src)} {q(dst)}"),
            ("best", f"{q(ringcp)} --fsync -Q {best['qd']} -B {best['bs']} "
                     f"{q(src)} {q(dst)}"), src, dst)
    log(f"ringcp vs cp: {k['pairs']} alternating pairs, destination fsync'd")
    warm(src)
    pairs = run_pairs(k["pairs"],
                      ("ringcp", f"{q(ringcp)} --fsync {q(src)} {q(dst)}"),
                      ("cp", f"cp --reflink=never {q(src)} {q(dst)} && sync {q(dst)}"),
                      src, dst)
    env["loadavg_end"] = " ".join(loadavg())
    # the source must have stayed in the page cache throughout
    env["src_cached_bytes_end"] = int(first_line(["fincore", "-b", "-n", "-o",
                                                  "RES", src]))
    return {"env": env, "fio": fio_doc,
            "sweep": sweep_section(k, combos, env, sweep_wall, confirm),
            "pairs": {"ringcp_command": "ringcp --fsync SRC DST",
                      "cp_command": "cp --reflink=never SRC DST && sync DST",
                      "untimed_before_each_run": "rm -f DST; sync",
                      "timer": "time.perf_counter_ns around `bash -c CMD` "
                               "(ringcp_tools.common.wall_ns)",
                      **summarize(pairs, "ringcp", "cp")}}


def cleanup(work, tmp):
    for p in [os.path.join(work, "dst.bin")] + glob.glob(os.path.join(work, ".dst.bin.*")):
        if os.path.lexists(p):
            os.unlink(p)
    shutil.rmtree(tmp, ignore_errors=True)
    if not (work + "/").startswith("/var/tmp/"):
        src = os.path.join(work, "src-1GiB.bin")
        if os.path.exists(src):
            os.unlink(src)


def main():
    k = knobs()
    os.makedirs(k["workdir"], exist_ok=True)
    os.makedirs(os.path.dirname(k["out"]) or ".", exist_ok=True)
    work = os.path.realpath(k["workdir"])
    lock(os.path.join(work, ".lock"), TAG)
    tmp = tempfile.mkdtemp(prefix="run.", dir=work)
    try:
        doc = measure(k, work, tmp)
    finally:
        cleanup(work, tmp)
    cmd_line = "scripts/measure-single-file.sh"
    if work != DEFAULT_WORKDIR:
        cmd_line = "WORKDIR=DIR " + cmd_line
    doc["env"].update(command=cmd_line, src_size_bytes=SRC_SIZE,
                      git_dirty_means="binary built from a working tree whose "
                                      "tracked files differ from HEAD")
    dump(doc, k["out"])
    print_summary(doc, k, k["out"], cmd_line)


if __name__ == "__main__":
    main()
