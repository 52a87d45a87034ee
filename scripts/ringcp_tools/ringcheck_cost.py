# SPDX-License-Identifier: MIT
"""What ringcheck costs: each workload run plain, under ringcheck
--no-witness (the checks alone), under ringcheck (as root: the kernel's
witness recording too, about 0.25 s per run to set up and read) and under
ringcheck --no-witness --trap-enters, side by side in
rotated rounds (round i starts with variant i mod 4), each run timed by hyperfine (-N, one run,
a prepare step that removes the destination).  The data lives on tmpfs
(/dev/shm): no disk, no inode reuse of the unjournalled root ext4.
Workloads: ringcp copying one large file, ringcp -a copying a tree of
many small files, fio's io_uring engine (random 4 KiB reads).  Writes
results/ringcheck/cost.json: every time, medians, and the median of the
per-round ratios to the plain run.

usage: PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.ringcheck_cost
           [ROUNDS] (default 5; $RK_COST_LARGE_MIB, default 256;
           $RK_COST_FILES, default 2000)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from . import env as envmod
from .common import MiB, TOP, die, dump

TAG = "ringcheck-cost"
BUILD = os.path.join(TOP, "build", "gcc")
RINGCP = os.path.join(BUILD, "ringcp")
RK = os.path.join(BUILD, "ringcheck", "ringcheck")
VARIANTS = [("plain", []),
            ("ringcheck --no-witness", [RK, "-q", "--no-witness"]),
            ("ringcheck", [RK, "-q"]),
            ("ringcheck --no-witness --trap-enters",
             [RK, "-q", "--no-witness", "--trap-enters"])]


def make_data(tmp, large_mib, nfiles):
    """The large file, the tree of small files, fio's file."""
    with open(os.path.join(tmp, "large"), "wb") as f:
        for _ in range(large_mib):
            f.write(os.urandom(MiB))
    tree = os.path.join(tmp, "tree")
    for i in range(nfiles):
        d = os.path.join(tree, f"d{i // 100:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
            f.write(os.urandom(4096))
    with open(os.path.join(tmp, "fio.dat"), "wb") as f:
        for _ in range(64):
            f.write(os.urandom(MiB))


def workloads(tmp):
    """name -> (command, destination to remove before each run)."""
    fio = ["fio", "--name=rk", "--ioengine=io_uring", "--rw=randread",
           "--bs=4k", "--iodepth=16", "--size=64M", "--loops=2",
           "--filename=" + os.path.join(tmp, "fio.dat"),
           "--output=/dev/null"]
    return {
        "ringcp large file": ([RINGCP, os.path.join(tmp, "large"),
                               os.path.join(tmp, "large.out")],
                              os.path.join(tmp, "large.out")),
        "ringcp -a many small files": ([RINGCP, "-a",
                                        os.path.join(tmp, "tree") + "/",
                                        os.path.join(tmp, "tree.out") + "/"],
                                       os.path.join(tmp, "tree.out")),
        "fio io_uring randread": (fio, None),
    }


def round_times(cmds, dst, order, tmp):
    """One hyperfine run of each variant in ORDER: name -> seconds."""
    out = os.path.join(tmp, "hf.json")
    argv = ["hyperfine", "-N", "--runs", "1", "--export-json", out,
            "--style", "none", "--time-unit", "millisecond"]
    if dst:
        argv += ["--prepare", f"rm -rf {dst}"]
    names = [VARIANTS[i][0] for i in order]
    for i in order:
        argv += ["-n", VARIANTS[i][0],
                 " ".join(VARIANTS[i][1] + cmds)]
    p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode:
        die(TAG, f"hyperfine failed: {p.stderr[-400:]}")
    with open(out) as f:
        res = json.load(f)["results"]
    for r in res:
        if any(r["exit_codes"]):
            die(TAG, f"{r['command']} exited {r['exit_codes']}")
    return {n: r["times"][0] for n, r in zip(names, res)}


def measure(name, cmds, dst, rounds, tmp):
    times = {v[0]: [] for v in VARIANTS}
    round_times(cmds, dst, [0], tmp)     # warm-up, not kept (page cache)
    for i in range(rounds):
        order = [(i + k) % len(VARIANTS) for k in range(len(VARIANTS))]
        for n, t in round_times(cmds, dst, order, tmp).items():
            times[n].append(t)
        print(f"{TAG}: {name} round {i + 1}/{rounds}: " + ", ".join(
            f"{n} {times[n][-1] * 1e3:.0f} ms" for n in times), flush=True)
    plain = times["plain"]
    row = {"workload": name, "rounds": rounds,
           "command": " ".join(envmod.portable(c, os.path.basename(c))
                               if os.path.isabs(c) else c for c in cmds),
           "times_s": times,
           "median_s": {n: statistics.median(t) for n, t in times.items()},
           "median_ratio": {n: statistics.median(a / b for a, b in
                                                 zip(t, plain))
                            for n, t in times.items() if n != "plain"}}
    return row


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    large = int(os.environ.get("RK_COST_LARGE_MIB", "256"))
    nfiles = int(os.environ.get("RK_COST_FILES", "2000"))
    for p in (RINGCP, RK):
        if not os.access(p, os.X_OK):
            die(TAG, f"no {os.path.relpath(p, TOP)}: run make")
    for t in ("hyperfine", "fio"):
        if not shutil.which(t):
            die(TAG, f"no {t}")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        make_data(tmp, large, nfiles)
        env = envmod.record(tmp, "SHM", RINGCP)
        rows = [measure(n, c, d, rounds, tmp)
                for n, (c, d) in workloads(tmp).items()]
    out = os.path.join(TOP, "results", "ringcheck", "cost.json")
    dump({"what": "wall time under ringcheck over plain, side by side in "
                  "rotated rounds (hyperfine -N, one run each per round)",
          "large_mib": large, "small_files": nfiles, "small_file_bytes": 4096,
          "git_commit": envmod.git_commit(TOP, (".", ":!results",
                                                ":!REPORT.md")),
          "env": env, "runs": rows}, out)
    for r in rows:
        print(f"{TAG}: {r['workload']}: plain {r['median_s']['plain']:.3f} s; "
              + "; ".join(f"{n} x{v:.2f}" for n, v in
                          r["median_ratio"].items()))


if __name__ == "__main__":
    main()
