# SPDX-License-Identifier: MIT
"""The measuring half of `make bench`: for each filesystem of the mode's
matrix (fsmatrix), made fresh: the datasets generated on it, fio's
ceilings (disk filesystems), every timing group (timing), and on the
first filesystem only ringcp's tuning sweeps, the probes (system calls,
peak memory) and the cost of safety; then the filesystem torn down.

usage: python3 -m ringcp_tools.matrix ENV_JSON OUT_DIR ROOT RINGCP FLOOR
  ROOT  where the images and mounts go (removed at the end), or with
        BENCH_FS=dir / not root: a plain directory measured as it is
Environment: BENCH_SKIP (fio,timing,probes,safety), BENCH_SEED,
BENCH_FILESYSTEMS, BENCH_SAFETY_PAIRS, BENCH_APPEND (keep the records of
the filesystems not measured now), and timing's and datasets' knobs.

Writes OUT_DIR/filesystems.json (every filesystem's record: mkfs, mount
options, journal, whether a clone is possible), datasets-FS.json,
fio-FS.json, the timing files, probes.json and safety-cost.json, and
datasets.json (the first filesystem's: what every dataset held).
"""
import os
import shutil
import subprocess
import sys
import time

from . import fsmatrix
from .datasets import local_paths
from .common import TOP, die, dump, load, load_or_none, log, out_of

TAG = "matrix"


def tool(module, *args, env=None):
    """python3 -m ringcp_tools.MODULE ARGS...; raises when it fails."""
    subprocess.run([sys.executable, "-m", "ringcp_tools." + module, *args],
                   check=True, env=env)


def dir_fs(path):
    """The record of a plain directory measured as it is (no matrix)."""
    os.makedirs(path, exist_ok=True)
    fstype = out_of(["findmnt", "-no", "FSTYPE", "-T", path]) or "unknown"
    src = out_of(["findmnt", "-no", "SOURCE", "-T", path])
    journal = fsmatrix.journal(src) if fstype == "ext4" else None
    return {"name": "dir-" + fstype, "what": "a plain directory (BENCH_FS=dir or "
            "not root): the filesystem as found", "fstype": fstype, "mkfs": None,
            "mount_options": out_of(["findmnt", "-no", "OPTIONS", "-T", path]),
            "journal": journal, "clone_possible": fsmatrix.clone_possible(path),
            "settle_after_delete_s": 40 if journal == "no" else 0,
            "made_by": "not made: found"}


class Phases:
    """The wall time of each phase of one filesystem's work, logged as it
    ends and kept in its record (phase_wall_s) for the plan's constants
    (plan.py) to be checked against."""

    def __init__(self, fs):
        self.fs, self.t = fs, time.monotonic()
        fs["phase_wall_s"] = {}

    def end(self, phase):
        now = time.monotonic()
        self.fs["phase_wall_s"][phase] = round(now - self.t, 1)
        log(f"[{self.fs['name']}] {phase} took {now - self.t:.0f} s")
        self.t = now


def one_fs(a, fs, path, first):
    """Everything measured on one filesystem mounted at PATH; its record
    is written again at the end with each phase's wall time."""
    skip = "," + os.environ.get("BENCH_SKIP", "") + ","
    out, name = a["out"], fs["name"]
    fs_json = os.path.join(out, f"fs-{name}.json")
    ph = Phases(fs)
    dump(fs, fs_json)
    ds_json = os.path.join(out, f"datasets-{name}.json")
    tool("datasets", a["mode"], a["seed"], os.path.join(path, "data"), ds_json)
    ph.end("datasets")
    if first:
        shutil.copyfile(ds_json, os.path.join(out, "datasets.json"))
    if ",fio," not in skip and fs["fstype"] != "tmpfs":
        rounds, size = ("3", "2G") if a["mode"] == "full" else \
            ("1", "1G") if a["mode"] == "quick" else ("1", "64M")
        try:
            tool("fio", a["env"], path, os.path.join(out, f"fio-{name}.json"),
                 rounds, size)
        except subprocess.CalledProcessError as e:
            log(f"fio on {name} failed ({e}); its ceiling is not measured")
        ph.end("fio")
    if ",timing," not in skip:
        tool("timing", a["env"], fs_json, ds_json, out, path, a["ringcp"],
             a["floor"], *(["sweeps"] if first else []))
        ph.end("timing and sweeps")
    if first and ",probes," not in skip:
        tool("probes", a["env"], ds_json, os.path.join(out, "probes.json"),
             path, a["ringcp"], a["floor"])
        ph.end("probes")
    if first and ",safety," not in skip:
        big = [d for d in local_paths(load(ds_json), os.path.join(path, "data"))
               if d["name"] == "big"]
        if big:
            pairs = os.environ.get("BENCH_SAFETY_PAIRS") or \
                ("8" if a["mode"] == "full" else "2")
            env = dict(os.environ, SRC=os.path.join(big[0]["path"], "big.bin"),
                       OUT=os.path.join(out, "safety-cost.json"), WORKDIR=path)
            try:
                tool("trace_cost", pairs, env=env)
            except subprocess.CalledProcessError as e:
                log(f"the cost of safety was not measured ({e}): the report "
                    "says so")
            ph.end("cost of safety")
    dump(fs, fs_json)


def main():
    if len(sys.argv) != 6:
        die(TAG, "usage: matrix ENV_JSON OUT_DIR ROOT RINGCP FLOOR")
    env_json, out, root, ringcp, floor = sys.argv[1:]
    env = load(env_json)
    a = {"env": env_json, "out": out, "mode": env["mode"],
         "seed": str(env["seed"]), "ringcp": ringcp, "floor": floor}
    records = []
    if os.environ.get("BENCH_APPEND") == "1":	# the other pieces' records
        old = load_or_none(os.path.join(out, "filesystems.json")) or {}
        mine = fsmatrix.names(env["mode"])
        records = [r for r in old.get("filesystems", []) if r["name"] not in mine]
    if os.environ.get("BENCH_FS") == "dir" or os.geteuid() != 0:
        fs = dir_fs(root)
        records.append(fs)
        dump({"filesystems": records}, os.path.join(out, "filesystems.json"))
        one_fs(a, fs, root, True)
        return
    with fsmatrix.Matrix(root, env["mode"]) as m:
        os.environ["BENCH_TMP"] = m.root	# fpsync's work files: removed with it
        for i, fs in enumerate(m.filesystems()):
            path = m.mount(fs)
            records.append(fs.record)
            dump({"filesystems": records}, os.path.join(out, "filesystems.json"))
            try:
                one_fs(a, fs.record, path, fsmatrix.leads(env["mode"], fs.name, i))
            finally:
                m.unmount(fs)
    log(f"filesystems measured and torn down: {', '.join(r['name'] for r in records)}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(TOP, "scripts"))
    main()
