# SPDX-License-Identifier: MIT
"""The data path's default, chosen by measurement on fresh filesystems.

`ringcp -a --data=readwrite|auto|splice` and `cp -a` side by side on each
filesystem of the bench matrix (ringcp_tools.fsmatrix: ext4 with a
journal, XFS and btrfs on fresh loop images with direct I/O, and a tmpfs;
BENCH_FILESYSTEMS or --fs narrows it), on the quick datasets of `make
bench` (ringcp_tools.datasets, made on the filesystem measured): 200
files of 1 MiB, 2,000 mixed small files (512 B to 64 KiB), one 256 MiB
file.  Clones are off on both sides (`--reflink=never`): where a clone
is possible no data path runs at all, and what is chosen here is the path
the data takes when it must be copied.

The fair protocol of the bench (docs/bench.md): every run writes to a
fresh destination name; before each, `sync`, clean caches dropped and
the source read back in (the warm regime: no run pays to reclaim what an
earlier copy left); the destinations of a round are removed, and synced,
after the round, outside any timing.  Rounds rotate the order of the
tools (timing.rounds_order).  Per filesystem and dataset: the medians,
the ratio of medians to read/write and to cp, and the median of the
per-round ratios.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.splice_matrix \\
      [--rounds 5] [--fs ext4-journal,xfs,btrfs,tmpfs] [--sets mib,mixed,big]
      [--tools readwrite,auto,splice,cp] [--json FILE]
  (--tools readwrite,readwrite-again,auto: an A/A pair beside auto)

Writes results/datapath/splice-matrix.json (the commit, the environment
and every filesystem's mkfs and mount record; no absolute path); its
"compare" cells are drawn in REPORT.md by report_paths.py like
splice_bench's.  --rewrite FILE adds what a newer version of this script
derives (the "compare" cells) to a file an older one wrote.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

from . import env
from .commands import drop_caches, warm_source
from .common import dump, load, log
from .datasets import DATASETS, generate
from .fsmatrix import Matrix
from .timing import rounds_order

TOOLS = {
    "readwrite": "{R} -a --reflink=never --data=readwrite {S}/ {D}",
    # the same command again (--tools with readwrite-again): an A/A pair,
    # the noise of a cell measured beside it
    "readwrite-again": "{R} -a --reflink=never --data=readwrite {S}/ {D}",
    "auto": "{R} -a --reflink=never --data=auto {S}/ {D}",
    "splice": "{R} -a --reflink=never --data=splice {S}/ {D}",
    "cp": "cp -a --reflink=never {S} {D}",
}
SETS = ("mib", "mixed", "big")
SEED = 20261205


def make_data(top, sets):
    """The quick datasets SETS under TOP/src: {name: path}."""
    out = {}
    for name, _label, kind, _full, quick in DATASETS:
        if name not in sets:
            continue
        path = os.path.join(top, "src", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        generate(name, kind, quick, SEED, path)
        out[name] = path
    return out


def time_one(cmd):
    """Wall seconds of CMD (sh -c); raises RuntimeError if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{cmd}: exit {p.returncode}: {p.stderr[-400:]}")
    return wall


def measure(top, src, ringcp, rounds, tools):
    """{tool: [seconds per round]} for the dataset at SRC."""
    times = {t: [] for t in tools}
    n = 0
    for rnd in range(rounds):
        made = []
        for tool in rounds_order(list(tools), rnd):
            dst = os.path.join(top, "dst", f"{os.path.basename(src)}-{n}")
            n += 1
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            drop_caches()
            warm_source(src)
            times[tool].append(time_one(TOOLS[tool].format(
                R=ringcp, S=src, D=dst)))
            made.append(dst)
        for d in made:		# outside any timing
            shutil.rmtree(d)
        os.sync()
    return times


def figures(times):
    med = {t: statistics.median(v) for t, v in times.items()}
    per_round = {t: [v[i] / times["readwrite"][i] for i in range(len(v))]
                 for t, v in times.items()}
    return {
        "median_s": med,
        "runs_s": times,
        "ratio_to_readwrite": {t: v / med["readwrite"] for t, v in med.items()},
        "ratio_to_cp": {t: v / med["cp"] for t, v in med.items()}
        if "cp" in med else {},
        "per_round_ratio_to_readwrite_median": {
            t: statistics.median(v) for t, v in per_round.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--fs", default="ext4-journal,xfs,btrfs,tmpfs")
    ap.add_argument("--ringcp", default="build/gcc/ringcp")
    ap.add_argument("--root", default="/var/tmp/ringcp-splice-matrix")
    ap.add_argument("--json", default="results/datapath/splice-matrix.json")
    ap.add_argument("--rewrite", metavar="FILE")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--tools", default="readwrite,auto,splice,cp")
    a = ap.parse_args()
    if a.rewrite:
        doc = load(a.rewrite)
        doc["compare"] = doc["cells"]
        dump(doc, a.rewrite)
        return
    os.environ["BENCH_FILESYSTEMS"] = a.fs
    ringcp = os.path.abspath(a.ringcp)
    tools = a.tools.split(",")
    sets = a.sets.split(",")
    doc = {"what": __doc__.split("\n\n")[0].strip(),
           "protocol": __doc__.split("\n\n")[2].strip(),
           "commands": {t: TOOLS[t].format(R="ringcp", S="SRC", D="DST")
                        for t in tools},
           "rounds": a.rounds, "seed": SEED,
           "git_commit": env.git_commit(env.TOP, (".", ":!results",
                                                  ":!REPORT.md")),
           "env": env.record(ringcp=ringcp, tools=("coreutils",)),
           "filesystems": {}, "cells": {}}
    with Matrix(a.root, "quick") as m:
        for fs in m.filesystems():
            top = m.mount(fs)
            doc["filesystems"][fs.name] = fs.record
            log(f"{fs.name}: datasets")
            data = make_data(top, sets)
            for ds in sets:
                log(f"{fs.name}/{ds}: {', '.join(tools)} x {a.rounds}")
                f = figures(measure(top, data[ds], ringcp, a.rounds, tools))
                doc["cells"][f"{fs.name}/{ds}"] = f
                log(f"  medians " + ", ".join(
                    f"{t} {v * 1000:.0f} ms" for t, v in
                    f["median_s"].items()) + "; to readwrite " + ", ".join(
                    f"{t} {v:.2f}" for t, v in
                    f["ratio_to_readwrite"].items()))
            m.unmount(fs)
    doc["loadavg_end"] = " ".join(env.loadavg())
    doc["compare"] = doc["cells"]	# report_paths.py's splice table
    dump(doc, a.json)
    log(f"wrote {a.json}")


if __name__ == "__main__":
    main()
