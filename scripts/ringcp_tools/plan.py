# SPDX-License-Identifier: MIT
"""What a `make bench` mode runs and how long it should take, computed
from the mode's configuration without measuring anything: filesystems x
datasets x regimes x commands x rounds, the sweeps, and an estimate of
the time of each run.

    python3 -m ringcp_tools.timing plan MODE     (or ringcp_tools.plan MODE)

The estimate is a model, not a measurement: per run, the untimed
preparation (sync, which writes back the previous copy; the cache drop;
the source read back in) plus the copy (per file and per byte, on a disk
image or in memory).  The constants are rounded up from measurements on
the machines this project runs on: the committed FULL run of the bench
before the matrix (results/bench at commit 4c3243c, one ext4 image on a
direct-I/O loop device: fio 646 MiB/s write and 486 MiB/s read; the
tools' mean 1.1 s per GiB warm, +1.4 s per GiB made durable, 63 us per
tiny file, 77 us per mixed small file) and the matrix's smoke run
(fpsync's 2.5 s start; each group's wall time within 30% of the
model's); the fixed steps (mkfs, dataset generation, fio, probes, cost
of safety) likewise.  bench.sh
prints it at the start, and each run records its measured wall time
(bench_wall_s) to compare with.
"""
import sys

from . import datasets as dsmod
from . import fsmatrix
from .commands import tools, noop_tools
from .common import MiB

# seconds: per file, per MiB, per run (see the module's text)
EST = {
    "spawn_s": 0.01,		# sh -c and the tool's start
    "prep_s": 0.15,		# sync + drop_caches + find/cat spawn
    "copy_file_s": 80e-6,	# per file, a tool's average (rsync, fpsync slower)
    "copy_mib_s": 1 / 800,	# per MiB into the page cache
    "disk_write_mib_s": 1 / 2500,	# writeback (sync, durable) to the loop image
    "disk_read_mib_s": 1 / 3000,	# reading the source back after the drop
    "warm_file_s": 30e-6,	# per file, reading the source back in
    "fpsync_s": 2.5,		# fpsync's own start: a 1 s sleep, 0.2 s polls (smoke)
    "delete_file_s": 15e-6,	# rm -rf, per file
    "gen_mib_s": 1 / 120,	# dataset generation (random bytes, written, synced)
    "gen_file_s": 100e-6,
    "mkfs_s": 3.0,		# mkfs + losetup + mount + clone probe + teardown
    "fio_s": 12.0,		# quick's fio (1 GiB write + read, 1 round)
    "probe_factor": 4.0,	# probes: time + strace (slower) + diff, per run
    "safety_s": 30.0,		# quick's cost of safety (2 pairs x 2 block sizes)
}


# the filesystems of the matrix where cp clones (fsmatrix probes it)
CLONES = ("xfs", "btrfs")


class Run:
    """What timing.skip_why reads of a run, for a plan."""

    def __init__(self, mode, fs):
        self.env = {"mode": mode}
        self.fs = fs


def est_dataset(row, mode):
    """(files, bytes) of DATASETS row ROW in MODE (real trees: a guess of
    /usr/share/doc and /usr/include as on Debian 12)."""
    name, label, kind, full, quick = row
    spec = full if mode == "full" else quick
    if mode == "smoke":
        spec = dsmod.smoke(kind, spec)
    if kind == "file":
        return 1, spec["bytes"]
    if kind == "real":
        return {"usr-share-doc": (5500, 146 * MiB),
                "usr-include": (30000, 294 * MiB)}.get(name, (10000, 100 * MiB))
    mean = (spec["min"] + spec["max"]) / 2 if spec["min"] == spec["max"] else \
        (spec["max"] - max(spec["min"], 1)) / max(1e-9, __import__("math").log(
            spec["max"] / max(spec["min"], 1)))
    return spec["files"], int(spec["files"] * mean)


def run_s(files, nbytes, regime, memory, kind_fpsync=False):
    """Estimated seconds of one timed run with its preparation."""
    mib = nbytes / MiB
    e = EST
    disk = 0 if memory else 1
    prep = e["prep_s"] + disk * mib * e["disk_write_mib_s"]	# sync of the last copy
    if regime != "cold":
        prep += files * e["warm_file_s"] + disk * mib * e["disk_read_mib_s"]
    copy = e["spawn_s"] + files * e["copy_file_s"] + mib * e["copy_mib_s"]
    if regime == "cold":
        copy += disk * mib * e["disk_read_mib_s"]
    if regime == "durable":
        copy += disk * mib * e["disk_write_mib_s"]
    if regime == "noop":
        copy = e["spawn_s"] + files * e["copy_file_s"] / 4
    if regime == "rotate":
        prep += files * e["delete_file_s"]
    if kind_fpsync:
        copy += e["fpsync_s"]
    return prep + copy


def plan(mode):
    """{"rows": [...], "total_s", "counts"} for MODE."""
    from .timing import config, regimes_for, skip_why, sweeps_for, sweep_points_of
    cfg = config(mode)
    caps = {"archive": True, "files_in_flight": True, "buffers": True, "hax": True,
            "reflink": True, "data_path": True}
    rows, total, runs = [], 0.0, 0
    fss = [f for f in fsmatrix.FILESYSTEMS if f[0] in fsmatrix.names(mode)]
    dsets = []
    for row in dsmod.wanted(mode):
        files, nbytes = est_dataset(row, mode)
        dsets.append({"name": row[0], "label": row[1], "kind": row[2],
                      "files": files, "bytes": nbytes, "path": "SRC"})
    for i, f in enumerate(fss):
        fsrec = {"name": f[0], "fstype": f[1], "clone_possible": f[0] in CLONES}
        memory = f[1] == "tmpfs"
        fixed = EST["mkfs_s"] + sum(d["bytes"] / MiB * EST["gen_mib_s"] +
                                    d["files"] * EST["gen_file_s"]
                                    for d in dsets if d["kind"] != "real")
        if not memory:
            fixed += EST["fio_s"] * (2 if mode == "full" else 1)
        rows.append((f[0], "setup", "mkfs, datasets, fio", "", "", fixed))
        total += fixed
        for d in dsets:
            for reg in regimes_for(cfg, d, fsrec):
                cmds = noop_tools(d, "S", "D", "R", caps) if reg == "noop" else \
                    tools(d, "S", "D", "R", caps, "/bin/true")
                runf = Run(mode, fsrec)
                cmds = [c for c in cmds if not skip_why(runf, c[0], reg)]
                n = len(cmds)
                s = cfg["rounds"] * sum(
                    run_s(d["files"], d["bytes"], reg, memory, c[0] == "fpsync")
                    for c in cmds)
                s += n * cfg["rounds"] * d["files"] * EST["delete_file_s"]
                if f[4] and d["files"] >= 200:
                    s += f[4]		# the settle after the group's deletion
                rows.append((f[0], d["name"], reg, n, cfg["rounds"], s))
                total += s
                runs += n * cfg["rounds"]
        by = {d["name"]: d for d in dsets}
        caps.update(reflink_values=["never", "auto", "always"],
                    data_path_values=["readwrite", "splice", "auto"])
        lead = fsmatrix.leads(mode, f[0], i)
        for sw in sweeps_for(cfg, by, caps, tuning=lead,
                             clones=fsrec["clone_possible"]):
            pts = len(sweep_points_of(sw[3]))
            d = sw[1]
            s = cfg["sweep_rounds"] * pts * run_s(d["files"], d["bytes"], "warm", memory)
            rows.append((f[0], d["name"], "sweep " + sw[0], pts, cfg["sweep_rounds"], s))
            total += s
            runs += pts * cfg["sweep_rounds"]
        if lead:
            from .probes import QUICK_TOOLS
            probe = EST["probe_factor"] * sum(
                len([t for t in tools(d, "S", "D", "R", caps, "/bin/true")
                     if mode == "full" or t[0] in QUICK_TOOLS]) *
                run_s(d["files"], d["bytes"], "warm", memory) for d in dsets)
            safety = EST["safety_s"] * (4 if mode == "full" else 1)
            rows.append((f[0], "all", "probes (strace, time)", "", 1, probe))
            rows.append((f[0], "big", "cost of safety", "", "", safety))
            total += probe + safety
    return {"mode": mode, "filesystems": [f[0] for f in fss],
            "datasets": [(d["name"], d["files"], d["bytes"]) for d in dsets],
            "rows": rows, "timed_runs": runs, "total_s": total}


def print_plan(mode, out=sys.stderr):
    p = plan(mode)
    print(f"== plan of {mode} mode: filesystems {', '.join(p['filesystems'])}; "
          "datasets " + ", ".join(f"{n} ({f} files, {b / MiB:.0f} MiB)"
                                  for n, f, b in p["datasets"]), file=out)
    print("   %-15s %-14s %-28s %8s %7s %9s" % ("filesystem", "dataset", "what",
                                              "commands", "rounds", "est. s"),
          file=out)
    for fs, ds, what, n, r, s in p["rows"]:
        print("   %-15s %-14s %-28s %8s %7s %9.0f" % (fs, ds, what, n, r, s), file=out)
    print(f"== plan: {p['timed_runs']} timed runs, estimated "
          f"{p['total_s']:.0f} s ({p['total_s'] / 60:.1f} min) of measurement",
          file=out)
    return p


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("quick", "full", "smoke"):
        print("usage: plan quick|full|smoke", file=sys.stderr)
        sys.exit(1)
    print_plan(sys.argv[1], sys.stdout)


if __name__ == "__main__":
    main()
