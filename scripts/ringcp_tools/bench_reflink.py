# SPDX-License-Identifier: MIT
"""The clone data path (--reflink) measured side by side: on a fresh XFS and
a fresh btrfs loop image (reflink on: both mkfs's defaults), ringcp -a
(which clones: --reflink=auto is its default) against cp -a (cp 9.x clones
by default too), cp -a --reflink=never (the no-clone reference) and ringcp
-a --reflink=never (ringcp's pump); and on a fresh ext4 image, where
nothing can clone, ringcp -a against ringcp -a --reflink=never: what trying
the clone costs where it fails (one FICLONE per pair of filesystems).

Datasets: one file of 256 MiB, and 200 files of 1 MiB (on ext4 also 2,000
files of 4 KiB in 20 directories), random bytes, warm in the page cache.

Protocol: ROUNDS rounds; each round is one hyperfine invocation (-N,
--warmup 1, --runs RUNS) of every command, the order rotated by one per
round.  Every run writes to a fresh destination name: the previous run's
destination is renamed aside by hyperfine's --prepare (not timed; then
`sync`, so that no run pays for an earlier run's dirty pages), and the
renamed copies are deleted between rounds, outside any timing.  The
runs of a command are pooled over the rounds; the medians and the ratio
of each command's median to ringcp -a's are reported.

Writes results/datapath/reflink.json (the environment record of
ringcp_tools.env, with each image's filesystem); takes about 4 minutes.
Root only (mkfs, mount).

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.bench_reflink \\
      [--rounds N] [--runs N] [--fs xfs,btrfs,ext4] [--out FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from . import env
from .common import MiB, TOP, die, dump, log

TAG = "bench-reflink"
OUT = os.path.join(TOP, "results", "datapath", "reflink.json")
# the image holds the sources and one round's copies that do not clone
IMAGE_BYTES = 6 << 30
MKFS = {"xfs": ["mkfs.xfs", "-q", "-f"], "btrfs": ["mkfs.btrfs", "-q", "-f"],
        "ext4": ["mkfs.ext4", "-q", "-F"]}
DATASETS = {"big": "one file of 256 MiB", "mib": "200 files of 1 MiB",
            "small": "2,000 files of 4 KiB in 20 directories (ext4 only)"}


def commands(ringcp, fs, ds):
    """(label, command) of one dataset: SRC is src/DS, DST is dst."""
    src = "src/big" if ds == "big" else f"src/{ds}"
    rsrc = src if ds == "big" else src + "/"
    cmds = [("ringcp -a", f"{ringcp} -a {rsrc} dst"),
            ("ringcp -a --reflink=never", f"{ringcp} -a --reflink=never "
             f"{rsrc} dst")]
    if fs != "ext4":
        cmds += [("cp -a", f"cp -a {src} dst"),
                 ("cp -a --reflink=never", f"cp -a --reflink=never {src} dst")]
    return cmds


def make_sources(root, fs):
    src = os.path.join(root, "src")
    os.makedirs(os.path.join(src, "mib"))
    with open(os.path.join(src, "big"), "wb") as f:
        for _ in range(16):
            f.write(os.urandom(16 * MiB))
    for i in range(200):
        with open(os.path.join(src, "mib", f"f{i:03d}"), "wb") as f:
            f.write(os.urandom(MiB))
    if fs == "ext4":
        for d in range(20):
            os.makedirs(os.path.join(src, "small", f"d{d:02d}"))
            for i in range(100):
                with open(os.path.join(src, "small", f"d{d:02d}",
                                       f"f{i:03d}"), "wb") as f:
                    f.write(os.urandom(4096))
    subprocess.run(["sync"], check=True)
    # warm: every source page in the cache
    subprocess.run(["sh", "-c", "find src -type f -exec cat {} + >/dev/null"],
                   cwd=root, check=True)


def round_of(root, fs, ds, cmds, runs, rnd, tmp):
    """One hyperfine invocation, the commands rotated by RND: {label:
    [seconds...]}, each run's copy checked against its source."""
    order = cmds[rnd % len(cmds):] + cmds[:rnd % len(cmds)]
    out = os.path.join(tmp, f"hf-{fs}-{ds}-r{rnd}.json")
    prepare = ("sh -c 'test ! -e dst || mv dst old/$$; sync'")
    args = ["hyperfine", "-N", "--warmup", "1", "--runs", str(runs),
            "--export-json", out, "--style", "none"]
    for label, cmd in order:
        args += ["--prepare", prepare, "-n", label, cmd]
    subprocess.run(args, cwd=root, check=True, stdout=subprocess.DEVNULL)
    src = "src/big" if ds == "big" else f"src/{ds}"
    if subprocess.run(["diff", "-r", "-q", src, "dst"], cwd=root).returncode:
        die(TAG, f"{fs}/{ds}: the last copy differs from its source")
    with open(out) as f:
        return {r["command"]: r["times"] for r in json.load(f)["results"]}


def clean_old(root):
    """The copies renamed aside, deleted outside the timing."""
    shutil.rmtree(os.path.join(root, "old"), ignore_errors=True)
    if os.path.lexists(os.path.join(root, "dst")):
        subprocess.run(["rm", "-rf", os.path.join(root, "dst")], check=True)
    os.mkdir(os.path.join(root, "old"))
    subprocess.run(["sync"], check=True)


def shared_extents(root, fs, ringcp):
    """Whether a file ringcp -a copies on this image shares its extents
    (filefrag), as a check that the measured path is the clone."""
    subprocess.run([ringcp, "-a", "src/mib/f000", "probe"], cwd=root,
                   check=True)
    ff = subprocess.run(["filefrag", "-v", "probe"], cwd=root,
                        capture_output=True, text=True).stdout
    os.unlink(os.path.join(root, "probe"))
    return "shared" in ff


def bench_fs(fs, ringcp, a, tmp):
    """Every dataset on a fresh FS image: its cells and its env record."""
    base = tempfile.mkdtemp(prefix=f"ringcp-reflink-{fs}.", dir="/var/tmp")
    img, mnt = os.path.join(base, "img"), os.path.join(base, "mnt")
    os.mkdir(mnt)
    dev, mounted = "", False
    try:
        with open(img, "wb") as f:
            f.truncate(IMAGE_BYTES)
        subprocess.run(MKFS[fs] + [img], check=True,
                       stdout=subprocess.DEVNULL)
        # direct I/O: a sync reaches the disk, not the image file's page
        # cache (as make bench's scratch image)
        dev = subprocess.run(["losetup", "--find", "--show",
                              "--direct-io=on", img], check=True,
                             capture_output=True, text=True).stdout.strip()
        subprocess.run(["mount", "-t", fs, dev, mnt], check=True)
        mounted = True
        log(f"{fs}: sources")
        make_sources(mnt, fs)
        rec = env.record(workdir=mnt, label=f"{fs} loop image",
                         ringcp=ringcp, tools=("hyperfine", "coreutils"))
        rec["mkfs"] = (" ".join(MKFS[fs]) + " (defaults) on a sparse "
                       f"{IMAGE_BYTES >> 30} GiB image, losetup "
                       "--direct-io=on, mount (defaults)")
        cells = {}
        shared = shared_extents(mnt, fs, ringcp)
        for ds in ("big", "mib") + (("small",) if fs == "ext4" else ()):
            cmds = commands(ringcp, fs, ds)
            times = {label: [] for label, _ in cmds}
            for rnd in range(a.rounds):
                clean_old(mnt)
                log(f"{fs}/{ds}: round {rnd + 1} of {a.rounds}")
                for label, t in round_of(mnt, fs, ds, cmds, a.runs, rnd,
                                         tmp).items():
                    times[label] += t
            clean_old(mnt)
            med = {k: statistics.median(v) for k, v in times.items()}
            cells[ds] = {
                "dataset": DATASETS[ds], "runs": {k: len(v) for k, v in
                                                  times.items()},
                "median_s": med,
                "ratio_to_ringcp": {k: v / med["ringcp -a"]
                                    for k, v in med.items()},
                "times_s": times}
        return {"env": rec, "ringcp_clones_here": shared, "cells": cells}
    finally:
        if mounted and subprocess.run(["umount", mnt]).returncode:
            subprocess.run(["umount", "-l", mnt])
        if dev:
            subprocess.run(["losetup", "-d", dev])
        shutil.rmtree(base, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fs", default="xfs,btrfs,ext4")
    ap.add_argument("--ringcp", default=os.path.join(TOP, "build", "gcc",
                                                     "ringcp"))
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    if os.geteuid():
        die(TAG, "needs root (mkfs, mount)")
    for tool in ("hyperfine", "filefrag", *[MKFS[f][0] for f in
                                           a.fs.split(",")]):
        if not shutil.which(tool):
            die(TAG, f"'{tool}' not found (scripts/deps.sh installs it)")
    ringcp = os.path.abspath(a.ringcp)
    result = {"what": __doc__.split("\n\n")[0].strip(),
              "protocol": __doc__.split("\n\n")[2].strip(),
              "commit": env.git_commit(), "rounds": a.rounds,
              "runs_per_round": a.runs, "warmup_per_round": 1,
              "filesystems": {}}
    tmp = tempfile.mkdtemp(prefix="ringcp-reflink-hf.")
    try:
        for fs in a.fs.split(","):
            result["filesystems"][fs] = bench_fs(fs, ringcp, a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_end"] = " ".join(env.loadavg())
    dump(result, a.out)
    for fs, r in result["filesystems"].items():
        for ds, c in r["cells"].items():
            print(f"{fs:5} {ds:5} " + "  ".join(
                f"{k}: {v * 1000:.1f} ms ({c['ratio_to_ringcp'][k]:.2f}x)"
                for k, v in c["median_s"].items()))
    print(f"{TAG}: wrote {os.path.relpath(a.out, TOP)}", file=sys.stderr)


if __name__ == "__main__":
    main()
