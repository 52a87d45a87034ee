# SPDX-License-Identifier: MIT
"""The data budget (--memory) against the per-file buffers it replaced:
peak memory and wall time of `ringcp -a`, side by side.

Rows: "before", a ringcp built from the commit before the budget (every
file in flight took queue depth x block size of buffers), with its
defaults; and the ringcp with the budget at each candidate --memory
(the default is one of them, marked).  Datasets (the bench's generators,
ringcp_tools.datasets, quick specs): one file of 256 MiB, N files of
1 MiB, mixed small files (512 B to 64 KiB), tiny files (0 to 4 KiB).
Filesystems: a fresh journaled ext4 on a sparse loop image
(ringcp_tools.scratch.mkfs_image) and a fresh tmpfs mount.

Protocol: every run copies into a fresh destination name (never an
rm -rf right before a timed run); before every run sync, the caches
dropped, the source read back in (warm); on ext4 the copies are removed,
then sync and a pause, only when they pass a share of the image, outside
any timing; on tmpfs each run's copy is removed after its run.  Rounds:
every row once per round, the order rotated and reversed from round to
round (ringcp_tools.timing.rounds_order); medians of the runs, and the
median of the per-round ratios to "before".  Each run under
/usr/bin/time -f %M (peak RSS, KiB, as ringcp_tools.probes.time_run);
its wall time by perf_counter around it.

Writes results/datapath/NAME.json (--name, default memory_budget; --quick:
NAME-quick.json;
results/bench/ is wiped by every make bench)
with the environment record and the commit of each binary; no absolute
path of the machine.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.memory_budget \\
      --before /var/tmp/ringcp-before --budgets 8M,16M,24M,32M
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from . import env
from .commands import drop_caches, warm_source
from .common import GiB, MiB, dump, log, q
from .datasets import DATASETS, count, generate
from .probes import time_run
from .scratch import mkfs_image
from .timing import rounds_order

TAG = "memory_budget"
IMAGE_BYTES = 8 * GiB
EXT4_KEEP_BYTES = 3 * GiB	# copies kept on ext4 before they are removed
TMPFS_BYTES = 4 * GiB
SEED = 20261205


def datasets(nmib, quick):
    """{name: (kind, spec)} of the bench's quick specs, mib at NMIB files."""
    out = {}
    for name, _label, kind, _full, spec in DATASETS:
        if kind == "real":
            continue
        if name == "mib":
            spec = dict(spec, files=nmib)
        if quick and kind == "tree":
            spec = dict(spec, files=max(spec["files"] // 4, 10))
        out[name] = (kind, spec)
    return out


def mount_fs(fs, base):
    """A fresh FS (ext4 on a loop image, or tmpfs) under BASE; its mount
    point and its description."""
    mnt = os.path.join(base, fs)
    os.makedirs(mnt)
    if fs == "ext4":
        img = os.path.join(base, "ext4.img")
        mkfs_image(img, IMAGE_BYTES)
        subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
        desc = {"kind": "sparse image, mkfs.ext4 defaults (journaled), "
                        "mounted -o loop, fresh for this run",
                "image_bytes": IMAGE_BYTES}
    else:
        subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%d" % TMPFS_BYTES, "tmpfs", mnt], check=True)
        desc = {"kind": "tmpfs, fresh mount", "size_bytes": TMPFS_BYTES}
    desc.update({k: v for k, v in env.record(mnt, "SCRATCH", tools=()).items()
                 if k.startswith("fs_")})
    return mnt, desc


def umount(mnt):
    if subprocess.run(["umount", mnt]).returncode:
        subprocess.run(["umount", "-l", mnt])


def du_bytes(path):
    p = subprocess.run(["du", "-sb", path], capture_output=True, text=True)
    return int(p.stdout.split()[0]) if p.returncode == 0 else 0


def one_run(fs, mnt, ds, label, argv, n):
    """Time one copy of dataset DS with ARGV into a fresh name; returns
    {"wall_s", "max_rss_kib", ...}."""
    out = os.path.join(mnt, "out")
    if fs == "ext4" and du_bytes(out) > EXT4_KEEP_BYTES:
        shutil.rmtree(out)		# outside the timing
        os.makedirs(out)
        os.sync()
        time.sleep(5)
    dst = os.path.join(out, "%s-%s-%d" % (ds, label, n))
    src = os.path.join(mnt, "src", ds)
    drop_caches()
    warm_source(src)
    cmd = " ".join(q(a) for a in argv) + " -a %s/ %s" % (q(src), q(dst))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = time_run(cmd, tmp)
        r["wall_s"] = time.perf_counter() - t0
    if fs != "ext4":
        shutil.rmtree(dst)
    return r


def figures(runs, base):
    """Medians per row, the per-round ratios of wall time to BASE."""
    doc = {}
    for label, rs in runs.items():
        walls = [r["wall_s"] for r in rs]
        rss = [r["max_rss_kib"] for r in rs]
        doc[label] = {"runs": len(rs), "wall_s": walls,
                      "max_rss_kib": rss,
                      "median_wall_s": statistics.median(walls),
                      "median_max_rss_kib": statistics.median(rss),
                      "max_max_rss_kib": max(rss)}
    for label, rs in runs.items():
        ratios = [a["wall_s"] / b["wall_s"]
                  for a, b in zip(rs, runs[base])]
        doc[label]["wall_ratio_to_" + base] = {
            "median": statistics.median(ratios), "per_round": ratios}
    return doc


def report(doc):
    """REPORT.md's table (report_paths.generic): per filesystem and
    dataset, each row's median wall time, its median ratio to before, and
    its peak memory (the largest of its runs)."""
    rows = []
    for cell, res in doc["results"].items():
        for label, r in res.items():
            mark = " (default)" if label == doc["default_row"] else ""
            rows.append([cell, label + mark,
                         "%.3f" % r["median_wall_s"],
                         "%.2f" % r["wall_ratio_to_before"]["median"],
                         "%.1f" % (r["max_max_rss_kib"] / 1024.0)])
    return {"title": "Data budget (--memory): peak memory and time of "
                     "ringcp -a, before and after",
            "text": "Before: every file in flight took queue depth x block "
                    "size of buffers (commit %s). After: one budget for "
                    "all files, at each candidate --memory. Median wall "
                    "time of %d rounds, the median per-round ratio to "
                    "before, the peak RSS (/usr/bin/time %%M) of the "
                    "worst run. Target: at most 32 MiB with defaults." % (
                        (doc.get("before_commit") or "?")[:12],
                        doc["rounds"]),
            "tables": [{"head": ["filesystem/dataset", "ringcp",
                                 "median s", "ratio to before",
                                 "peak MiB"], "rows": rows}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True,
                    help="ringcp built from the commit before the budget")
    ap.add_argument("--before-commit", default="",
                    help="that commit (recorded)")
    ap.add_argument("--after", default="build/gcc/ringcp")
    ap.add_argument("--budgets", default="8M,16M,24M,32M")
    ap.add_argument("--fs", default="ext4,tmpfs")
    ap.add_argument("--mib-files", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--datasets", default="",
                    help="comma list: only these (default: all)")
    ap.add_argument("--name", default="memory_budget",
                    help="results/datapath/NAME.json")
    opt = ap.parse_args()
    after = os.path.abspath(opt.after)
    before = os.path.abspath(opt.before)
    budgets = opt.budgets.split(",")
    rows = {"before": [before]}
    for b in budgets:
        rows["memory=" + b] = [after, "--memory=" + b]
    help_text = subprocess.run([after, "--help"], capture_output=True,
                               text=True).stdout
    default = [b for b in budgets if "(default %s;" % b in help_text]
    sets = datasets(opt.mib_files, opt.quick)
    if opt.datasets:
        sets = {k: v for k, v in sets.items()
                if k in opt.datasets.split(",")}
    doc = {"what": __doc__.split("\n\n")[1].strip(),
           "protocol": __doc__.split("\n\n")[2].strip(),
           "quick": opt.quick, "rounds": opt.rounds, "seed": SEED,
           "datasets": {k: {"kind": v[0], "spec": v[1]}
                        for k, v in sets.items()},
           "rows": {k: [os.path.basename(v[0])] + v[1:]
                    for k, v in rows.items()},
           "default_row": "memory=" + default[0] if default else None,
           "before_commit": opt.before_commit,
           "before_ringcp": {k: v for k, v in env.record(
               ringcp=before, tools=()).items() if k.startswith("ringcp")},
           "git_commit": env.git_commit(env.TOP, (".", ":!results",
                                                  ":!REPORT.md")),
           "env": env.record(ringcp=after, tools=()),
           "filesystems": {}, "results": {}}
    base = tempfile.mkdtemp(prefix="ringcp-membudget.", dir="/var/tmp")
    try:
        for fs in opt.fs.split(","):
            mnt, desc = mount_fs(fs, base)
            doc["filesystems"][fs] = desc
            try:
                for name, (kind, spec) in sets.items():
                    log("%s: dataset %s" % (fs, name))
                    path = os.path.join(mnt, "src", name)
                    generate(name, kind, spec, SEED, path)
                    doc["datasets"][name].update(count(path))
                os.makedirs(os.path.join(mnt, "out"))
                for name in sets:
                    runs = {k: [] for k in rows}
                    for rnd in range(opt.rounds):
                        for label in rounds_order(list(rows), rnd):
                            runs[label].append(one_run(
                                fs, mnt, name, label.replace("=", ""),
                                rows[label], rnd))
                    doc["results"]["%s/%s" % (fs, name)] = figures(
                        runs, "before")
                    log("%s/%s: %s" % (fs, name, {
                        k: (round(v["median_wall_s"], 3),
                            v["max_max_rss_kib"])
                        for k, v in doc["results"]["%s/%s" % (
                            fs, name)].items()}))
            finally:
                umount(mnt)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    doc["loadavg_end"] = " ".join(env.loadavg())
    doc["report"] = report(doc)
    name = opt.name + ("-quick.json" if opt.quick else ".json")
    dump(doc, os.path.join("results", "datapath", name))


if __name__ == "__main__":
    main()
