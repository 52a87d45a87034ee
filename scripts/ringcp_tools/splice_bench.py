#!/usr/bin/python3
"""The splice data path against read/write and cp, side by side.

Datasets: N files of 1 MiB (1,000; --quick: 200) copied as a tree
(`ringcp -a`, `cp -r`), and one 256 MiB file (`ringcp SRC DST`, `cp`), on
the root ext4 and on tmpfs, the source warm in the page cache.  Every run
writes to a fresh destination name (`sh -c '... out/$$'`); on ext4 nothing
is deleted until the filesystem's last measurement is done (its freed
inodes would be what is measured) and each run is prepared by `sync` (no
run pays for an earlier one's writeback), except that when the copies
made so far pass 12 GiB (the disk is shared) they are removed, then
`sync` and a 10 s pause, all before the next run's timing starts; on
tmpfs the destinations are removed before each run (tmpfs holds them in
memory).

Two parts, each in rotated rounds (hyperfine -N, the order of the
commands rotated and reversed every other round, the runs pooled):
  * pairs: `--data=splice --splice-pairs=P`, P in 1 2 4 8 16 32: the
    bound on splices in flight, all files together;
  * compare: ringcp --data=splice (default pairs), --data=readwrite,
    --data=auto, and cp: medians and the ratios to read/write and to cp;
  * sizes: single files of 4, 16 and 64 MiB, splice against read/write
    (where auto's upper bound lies).

Writes results/datapath/splice.json (quick: splice-quick.json) with the
environment record; no absolute path of the machine.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.splice_bench [--quick]
"""
import argparse
import os
import shutil
import statistics
import subprocess

from . import env
from .common import dump, load, log, scrub_file
from .timing import rounds_order

ROOTS = {"ext4": "/var/tmp/i15-splice-bench",
         "tmpfs": "/dev/shm/i15-splice-bench"}
MIB = 1 << 20
PAIRS = (1, 2, 4, 8, 16, 32)
SIZES_MIB = (4, 16, 64)		# single files between the two datasets
EXT4_KEEP_MB = 12 * 1024	# copies kept on ext4 before they are removed


def sh(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode:
        raise SystemExit("splice_bench: %s failed (exit %d):\n%s%s" % (
            args[0], p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def make_datasets(root, nfiles):
    src = os.path.join(root, "src")
    os.makedirs(os.path.join(src, "mib"), exist_ok=True)
    os.makedirs(os.path.join(root, "out"), exist_ok=True)
    for i in range(nfiles):
        with open(os.path.join(src, "mib", "f%04d" % i), "wb") as f:
            f.write(os.urandom(MIB))
    with open(os.path.join(src, "big"), "wb") as f:
        for _ in range(256):
            f.write(os.urandom(MIB))
    for mib in SIZES_MIB:
        with open(os.path.join(src, "s%d" % mib), "wb") as f:
            f.write(os.urandom(mib * MIB))
    sh(["sync"])
    # warm: read the sources back into the page cache
    sh(["sh", "-c", "cat src/big src/s* src/mib/* >/dev/null"], cwd=root)


def commands(ringcp, ds, tools):
    """{label: command line}: each run to a fresh name under out/."""
    out = {}
    for label in tools:
        src = "-a src/mib/" if ds == "mib" else "src/" + ds
        if label == "cp":
            cmd = "cp -r src/mib" if ds == "mib" else "cp src/" + ds
        else:
            cmd = "%s %s %s" % (ringcp, tools[label], src)
        out[label] = "sh -c 'exec %s out/%s-$$'" % (cmd, label)
    return out


def rounds(root, fs, name, cmds, runs, nrounds, outdir):
    """nrounds hyperfine calls, the commands' order rotated; pooled
    times per label."""
    prepare = ("sh -c 'if [ $(du -sm out | cut -f1) -gt %d ]; then "
               "rm -rf out; mkdir out; sync; sleep 10; fi; sync'" % EXT4_KEEP_MB
               if fs == "ext4" else "sh -c 'rm -rf out/*'")
    times = {k: [] for k in cmds}
    labels = list(cmds)
    for rnd in range(nrounds):
        path = os.path.join(outdir, "hf-splice-%s-%s-r%d.json" % (
            fs, name, rnd))
        args = ["hyperfine", "-N", "--warmup", "1", "--runs", str(runs),
                "--export-json", path]
        for label in rounds_order(labels, rnd):
            args += ["--prepare", prepare, "-n", label, cmds[label]]
        sh(args, cwd=root)
        scrub_file(path)
        for r in load(path)["results"]:
            times[r["command"]] += r["times"]
        os.unlink(path)
    return times


def figures(times, base):
    med = {k: statistics.median(v) for k, v in times.items()}
    doc = {"median_s": med, "runs": {k: len(v) for k, v in times.items()}}
    for b in base:
        if b in med:
            doc["ratio_to_" + b] = {k: v / med[b] for k, v in med.items()}
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ringcp", default="build/gcc/ringcp")
    ap.add_argument("--fs", default="ext4,tmpfs")
    opt = ap.parse_args()
    nfiles = 200 if opt.quick else 1000
    nrounds = 2 if opt.quick else 4
    runs = {"mib": 3 if opt.quick else 5, "big": 3 if opt.quick else 5}
    outdir = os.path.abspath("results/datapath")
    ringcp = os.path.abspath(opt.ringcp)
    doc = {"what": __doc__.split("\n\n")[1].strip(), "quick": opt.quick,
           "files_of_1mib": nfiles, "big_bytes": 256 * MIB,
           "rounds": nrounds, "runs_per_round": runs,
           "ext4_removed_after_mib": EXT4_KEEP_MB,
           "env": env.record(ringcp=ringcp, tools=("coreutils",)),
           "pairs": {}, "compare": {}, "sizes": {}, "filesystems": {}}
    for fs in opt.fs.split(","):
        root = ROOTS[fs]
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        log("%s: datasets" % fs)
        make_datasets(root, nfiles)
        doc["filesystems"][fs] = env.record(root, "SCRATCH")
        for ds in ("mib", "big"):
            tools = {"p%d" % p: "--data=splice --splice-pairs=%d" % p
                     for p in PAIRS}
            log("%s/%s: splice pairs %s" % (fs, ds, PAIRS))
            t = rounds(root, fs, "pairs-" + ds,
                       commands(ringcp, ds, tools), runs[ds], nrounds,
                       outdir)
            doc["pairs"]["%s/%s" % (fs, ds)] = figures(t, ())
            tools = {"splice": "--data=splice", "readwrite":
                     "--data=readwrite", "auto": "--data=auto", "cp": None}
            log("%s/%s: splice, readwrite, auto, cp" % (fs, ds))
            t = rounds(root, fs, "cmp-" + ds, commands(ringcp, ds, tools),
                       runs[ds], nrounds, outdir)
            doc["compare"]["%s/%s" % (fs, ds)] = figures(
                t, ("readwrite", "cp"))
        for mib in SIZES_MIB:
            ds = "s%d" % mib
            log("%s/%s: splice, readwrite" % (fs, ds))
            t = rounds(root, fs, "size-" + ds, commands(
                ringcp, ds, {"splice": "--data=splice",
                             "readwrite": "--data=readwrite"}),
                runs["big"], nrounds, outdir)
            doc["sizes"]["%s/%s" % (fs, ds)] = figures(t, ("readwrite",))
        shutil.rmtree(root, ignore_errors=True)	# after its last run
    doc["loadavg_end"] = " ".join(env.loadavg())
    name = "splice-quick.json" if opt.quick else "splice.json"
    dump(doc, os.path.join(outdir, name))
    for cell, r in doc["pairs"].items():
        print("pairs", cell, {k: round(v * 1000, 1)
                              for k, v in r["median_s"].items()}, "ms")
    for cell, r in doc["sizes"].items():
        print("sizes", cell, {k: round(v, 2)
                              for k, v in r["ratio_to_readwrite"].items()})
    for cell, r in doc["compare"].items():
        print("compare", cell, {k: round(v * 1000, 1)
                                for k, v in r["median_s"].items()}, "ms",
              "to cp", {k: round(v, 2) for k, v in r["ratio_to_cp"].items()})


if __name__ == "__main__":
    main()
