#!/usr/bin/python3
"""Single-file mode before and after issue 16, measured side by side.

Issue 16 moved `ringcp SRC DST` from the synchronous path (rc_copy_file)
onto the tree engine with cp's rules.  This compares, on ext4 and tmpfs:

  * new files of 4 KiB, 1 MiB and 64 MiB, and a 64 MiB sparse file:
    BEFORE (the command built from a given commit, default main) against
    AFTER (build/gcc/ringcp);
  * the two ways AFTER overwrites a file: replaced (a file with one name:
    copy, give it the old owner and mode, rename over) against written in
    place (a file with two names: O_TRUNC and write), 64 MiB.

Each pair is one hyperfine invocation per round (-N, --warmup 2, the
destination removed or recreated by --prepare), ROUNDS rounds with the
order of the two commands alternating; the runs are pooled and the medians
and their ratio reported.  Writes results/single-file-cp/single-file-cp.json
with the environment record (ringcp_tools.env); hyperfine's exports go
beside it.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.single_file_cp \
      [--before-commit main]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

from . import env
from .common import scrub_file

OUTDIR = "results/single-file-cp"
ROOTS = {"ext4": "/var/tmp/sfcp", "tmpfs": "/dev/shm/sfcp"}
MIB = 1 << 20
ROUNDS = 4
RUNS = {"f4k": 20, "f1m": 20, "f64m": 8, "sparse64m": 8, "over64m": 8}


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          **kw)


def build_before(commit, dest):
    """the ringcp of COMMIT, built in a scratch copy of its tree"""
    tmp = tempfile.mkdtemp(prefix="sfcp-build-")
    try:
        tar = subprocess.run(["git", "archive", commit], check=True,
                             capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=tar, check=True)
        sh(["make", "-C", tmp, "-j2", "build/gcc/ringcp"])
        shutil.copy(os.path.join(tmp, "build/gcc/ringcp"), dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def datasets(root):
    src = os.path.join(root, "src")
    os.makedirs(src, exist_ok=True)
    for name, size in (("f4k", 4096), ("f1m", MIB), ("f64m", 64 * MIB)):
        p = os.path.join(src, name)
        if not os.path.exists(p) or os.path.getsize(p) != size:
            with open(p, "wb") as f:
                f.write(os.urandom(size))
    p = os.path.join(src, "sparse64m")
    if not os.path.exists(p):
        sh(["truncate", "-s", "64M", p])
        sh(["dd", "if=/dev/urandom", "of=" + p, "bs=1M", "count=1",
            "seek=32", "conv=notrunc", "status=none"])


def hyperfine(root, name, cmds, prepare, runs, rnd):
    """one round: cmds {label: command}, in the given order"""
    fs = [k for k, v in ROOTS.items() if v == root][0]
    out = os.path.join(os.path.abspath(OUTDIR), "hf-%s-%s-r%d.json" % (
        fs, name, rnd))
    args = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs),
            "--export-json", out]
    for label, cmd in cmds:
        args += ["--prepare", prepare, "-n", label, cmd]
    sh(args, cwd=root)
    scrub_file(out)  # hyperfine's own file: no path of this machine
    with open(out) as f:
        return {r["command"]: r["times"] for r in json.load(f)["results"]}


def pair(root, name, a, b, prepare):
    """ROUNDS rounds of a against b, order alternating; pooled times"""
    times = {a[0]: [], b[0]: []}
    for rnd in range(ROUNDS):
        order = [a, b] if rnd % 2 == 0 else [b, a]
        for label, t in hyperfine(root, name, order, prepare, RUNS[name],
                                  rnd).items():
            times[label] += t
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"median_s": med, "runs": {k: len(v) for k, v in times.items()},
            "ratio_%s_over_%s" % (b[0], a[0]): med[b[0]] / med[a[0]]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before-commit", default="main")
    opt = ap.parse_args()
    os.makedirs(OUTDIR, exist_ok=True)
    before = os.path.abspath(os.path.join(OUTDIR, "ringcp-before"))
    after = os.path.abspath(os.path.join(OUTDIR, "ringcp-after"))
    build_before(opt.before_commit, before)
    shutil.copy("build/gcc/ringcp", after)
    result = {"what": __doc__.split("\n\n")[1].strip(),
              "before_commit": sh(["git", "rev-parse",
                                   opt.before_commit]).stdout.strip(),
              "env": env.record(), "rounds": ROUNDS, "cells": {}}
    for fs, root in ROOTS.items():
        datasets(root)
        for name in ("f4k", "f1m", "f64m", "sparse64m"):
            result["cells"]["%s/%s" % (fs, name)] = pair(
                root, name, ("before", "%s src/%s dst" % (before, name)),
                ("after", "%s src/%s dst" % (after, name)), "rm -f dst")
        # overwrite: replaced (one name) or in place (a second name)
        result["cells"]["%s/over64m" % fs] = pair(
            root, "over64m",
            ("replaced", "%s src/f64m dst" % after),
            ("in_place", "%s src/f64m dst2" % after),
            "sh -c 'rm -f dst dst2 dst2.link; cp src/f1m dst; "
            "cp src/f1m dst2; ln dst2 dst2.link'")
        shutil.rmtree(root, ignore_errors=True)
    os.unlink(before)
    os.unlink(after)
    result["loadavg_end"] = " ".join(env.loadavg())
    with open(os.path.join(OUTDIR, "single-file-cp.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    for cell, r in result["cells"].items():
        print(cell, {k: round(v * 1000, 3) for k, v in r["median_s"].items()},
              "ms; ratio", round([v for k, v in r.items()
                                  if k.startswith("ratio")][0], 3))


if __name__ == "__main__":
    main()
