# SPDX-License-Identifier: MIT
"""Time the copies on one filesystem of the matrix: every tool on every
dataset and regime, the backup-rotation and up-to-date-rerun rows, and
ringcp's sweeps; one JSON per group in OUT_DIR.

usage: python3 -m ringcp_tools.timing ENV_JSON FS_JSON DATASETS_JSON \
           OUT_DIR BENCH_DIR RINGCP FLOOR [SWEEPS]
       python3 -m ringcp_tools.timing plan MODE
  FS_JSON   the filesystem's record (fsmatrix): its name goes into every
            file name and document, its settle time into the protocol
  SWEEPS    "sweeps" to run ringcp's parameter sweeps on this filesystem
            (make bench runs them on the first one only)
  plan      prints what MODE runs (groups x commands x rounds) and how
            long it is estimated to take, without measuring anything

The protocol (docs/bench.md "A fair protocol"): every timed run copies
into a fresh directory (Dest.fresh); the copies are deleted only when the
filesystem runs short of space or at the end of a group (Dest.reclaim),
followed by sync and, where the filesystem has a window for freed inodes
(ext4 without a journal), a wait past it; before every run: sync, the
caches dropped, the source read back in (not in the cold regime).  So no
run follows a large deletion inside that window and none pays to reclaim
pages an earlier copy left.  Regimes: warm, cold, durable (`&& sync -f
DST` inside the timing), rotate (backup rotation: the previous run's copy
is deleted right before the run, on purpose), noop (a rerun onto an
up-to-date copy).

Rounds: each round times every command once, in an order rotated and
reversed from round to round, so a noisy minute of a shared machine
lands on every tool alike.  Runs are pooled for medians; the ratio of
each tool to the fastest peer is taken within each round, and its median
and a 95% bootstrap confidence interval (scipy.stats.bootstrap, the
median statistic, percentile method, seeded) are reported.  Each run is
timed here (a process spawned through sh -c, wall time with
perf_counter, user/system time and peak memory from wait4's rusage):
hyperfine's --prepare cannot give each run a destination of its own.

Writes OUT_DIR/time-FS-DATASET-REGIME.json and OUT_DIR/sweep-FS-NAME.json.
A row that cannot run (ringcp lacks the option, cold regime without root)
is written with "status": "not run" and the reason; a command that fails
is marked "failed" with its error, and the others go on.
Environment: BENCH_ROUNDS, BENCH_SWEEP_ROUNDS.
"""
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from .commands import (drop_caches, lacks, noop_tools, prepare, timed, tools,
                       warm_metadata, warm_source)
from .datasets import local_paths
from .common import MiB, die, dump, load, log, q, stats

TAG = "timing"
ALL_REGIMES = ("warm", "cold", "durable", "rotate", "noop")
# rounds of each group; regimes by dataset (default_regimes for the rest);
# sweeps' points and rounds.  Quick keeps `make bench` ~10 minutes on 2
# cores: `python3 -m ringcp_tools.timing plan quick` prints its plan.
QUICK = {"rounds": 5, "sweep_rounds": 2,
         "regimes": {"big": ["warm", "durable"],
                     "mixed": ["warm", "cold", "rotate", "noop"]},
         "default_regimes": ["warm"],
         "qd": "1,8,32", "bs": "256K,1M",
         "fif": "1,8,64,256", "buffers": "heap,pool,fixed,ring"}
# FULL: every filesystem, datasets 5-10x quick's, planned for about 3 h on
# 2 cores (docs/bench.md, "How long it takes"), so that it can be run in
# one piece per filesystem (BENCH_FILESYSTEMS=..., BENCH_APPEND=1)
FULL = {"rounds": 5, "sweep_rounds": 2,
        "regimes": {"big": ["warm", "cold", "durable"],
                    "mib": ["warm", "cold", "durable"],
                    "mixed": ["warm", "cold", "durable", "rotate", "noop"],
                    "tiny": ["warm", "cold", "rotate", "noop"]},
        "default_regimes": ["warm", "cold"],
        "qd": "1,4,8,16,32", "bs": "128K,256K,1M",
        "fif": "1,8,32,64,256", "buffers": "heap,pool,fixed,ring"}
SMOKE = {"rounds": 2, "sweep_rounds": 1,
         "regimes": {"mixed": ["warm", "cold", "rotate", "noop"]},
         "default_regimes": ["warm"],
         "qd": "1,8", "bs": "256K", "fif": "1,64", "buffers": "heap,pool"}
# regimes that mean nothing on a filesystem in memory: the caches cannot
# be dropped (tmpfs pages are the data) and a sync writes nothing
MEMORY_FS_SKIPS = {"cold": "tmpfs: the page cache is the filesystem, "
                           "nothing to drop", "durable": "tmpfs: nothing to sync"}
# deleting at least this many files on a filesystem with a settle time
# waits it out before the next timed run
SETTLE_MIN_FILES = 200


class Dest:
    """The destinations of one filesystem: a fresh directory per run,
    deleted outside the timing (reclaim)."""

    def __init__(self, bench_dir, fs):
        self.base = os.path.join(bench_dir, "dst")
        self.fs = fs
        self.seq = 0
        self.live = []		# [(path, files)] not yet deleted
        self.events = []	# what reclaim did, for the group's record
        os.makedirs(self.base, exist_ok=True)

    def fresh(self, files):
        """A new empty directory (made now, untimed), counted as holding
        FILES files once the run is done."""
        self.seq += 1
        p = os.path.join(self.base, "c%05d" % self.seq)
        os.mkdir(p)
        self.live.append((p, files))
        return p

    def room(self, ds):
        """True when one more copy of DS fits: its bytes rounded up to
        4 KiB blocks per file, its inodes, a fifth and 64 MiB to spare."""
        st = os.statvfs(self.base)
        nbytes = (ds["bytes"] + ds["files"] * 4096) * 1.2 + 64 * MiB
        inodes = (ds["files"] + ds.get("dirs", 1)) * 1.2 + 1000
        return st.f_bavail * st.f_frsize >= nbytes and \
            (st.f_files == 0 or st.f_favail >= inodes)

    def delete(self, path):
        """Delete one copy now (the rotate regime's deletion)."""
        subprocess.run(["rm", "-rf", path], check=False)
        self.live = [x for x in self.live if x[0] != path]

    def reclaim(self, ds, why, keep=()):
        """When one more copy of DS would not fit (DS None: always), delete
        every copy but KEEP, sync, and wait out the filesystem's window
        for freed inodes if many were freed."""
        if ds is not None and self.room(ds):
            return
        gone = [x for x in self.live if x[0] not in keep]
        if not gone:
            return
        t0 = time.monotonic()
        subprocess.run(["rm", "-rf"] + [p for p, _ in gone], check=False)
        self.live = [x for x in self.live if x[0] in keep]
        os.sync()
        files = sum(n for _, n in gone)
        settle = self.fs.get("settle_after_delete_s", 0) \
            if files >= SETTLE_MIN_FILES else 0
        if settle:
            log(f"{self.fs['name']}: {files} files deleted; waiting {settle} s "
                "past the window for freed inodes")
            time.sleep(settle)
        self.events.append({"why": why, "copies": len(gone), "files": files,
                            "delete_sync_s": round(time.monotonic() - t0 - settle, 3),
                            "settle_s": settle})


class Runner:
    """The run's context: env, filesystem, where to work, the binaries."""

    def __init__(self, env, fs, out_dir, bench_dir, ringcp, floor):
        self.env = env
        self.fs = fs
        self.out = out_dir
        self.bench_dir = bench_dir
        self.dest = Dest(bench_dir, fs)
        self.ringcp = ringcp
        self.floor = floor
        # fpsync's work files, outside the filesystem measured: under the
        # matrix's root (removed whatever ends the run) or /tmp
        self.fpsync_tmp = tempfile.mkdtemp(prefix="fpsync.",
                                           dir=os.environ.get("BENCH_TMP", "/tmp"))
        self.errlog = os.path.join(self.fpsync_tmp, "stderr")
        self.n = 0
        self.m = 0

    def progress(self, what):
        log(f"[{self.fs['name']} {self.n}/{self.m}] {what}")

    def write(self, doc, name):
        dump(doc, os.path.join(self.out, name + ".json"))

    def close(self):
        shutil.rmtree(self.fpsync_tmp, ignore_errors=True)


def run_state(run, ds, regime, dst_check=None):
    """Bring the machine to the state every run starts from: sync, the
    caches dropped, the source read back in (not cold), the up-to-date
    destination's metadata read (noop)."""
    dropped = drop_caches()
    if regime == "cold" and not dropped:
        raise RuntimeError("cannot drop the caches (cold regime needs root)")
    if regime != "cold":
        warm_source(ds["path"])
    if dst_check:
        warm_metadata(dst_check)


def time_one(run, cmd):
    """Run CMD (sh -c) once; {"wall_s", "user_s", "system_s"}; raises RuntimeError with its stderr when it fails."""
    with open(run.errlog, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.DEVNULL,
                             stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(run.errlog) as f:
            raise RuntimeError(f"exit {p.returncode}: {f.read()[-400:]}")
    # (no peak memory here: a child forked from this Python keeps its
    # parent's peak in ru_maxrss; probes measure it under /usr/bin/time)
    return {"wall_s": wall, "user_s": ru.ru_utime, "system_s": ru.ru_stime}


def rounds_order(items, rnd):
    """Round RND's order: rotated so that items[RND % n] leads (every item
    leads once in n rounds), the rest reversed every other round (so each
    item follows each neighbour in turn).  Reversing the whole rotation
    instead made the same items lead twice and some never."""
    k = rnd % len(items)
    r = items[k:] + items[:k]
    return [r[0]] + r[1:][::-1] if rnd % 2 else r


def regimes_for(cfg, ds, fs):
    """The regimes DATASET gets on FS (rotate and noop only on trees)."""
    regs = cfg["regimes"].get(ds["name"], cfg["default_regimes"])
    if ds["kind"] == "file":
        regs = [r for r in regs if r not in ("rotate", "noop")]
    if fs.get("fstype") == "tmpfs":
        regs = [r for r in regs if r not in MEMORY_FS_SKIPS]
    return regs


def skip_why(run, tname, regime):
    """Why a row is left out on this filesystem or in this mode ("" if not):
    cp --reflink=never is cp -a's very copy where no clone is possible;
    quick mode times fpsync (whose own start takes over a second: it
    sleeps 1 s so that its last partition's mtime differs) in the warm
    regime only."""
    if tname == "cp-reflink-never" and not run.fs.get("clone_possible"):
        return (f"{run.fs['name']} cannot clone: cp -a makes the same copy "
                "(the cp row)")
    if tname == "fpsync" and regime != "warm" and run.env["mode"] != "full":
        return "quick mode times fpsync in the warm regime only (FULL=1: every regime)"
    if tname == "floor-rw" and run.env["mode"] != "full":
        return "the read/write floor is timed with FULL=1 only"
    return ""


def group_rows(run, ds, regime):
    """The command rows of one group (each "run" or "not run" with the
    reason), and the runnable ones among them.  The commands name DST as
    {D}: each run gets its own."""
    cold_why = "" if run.env["root"] else \
        "cold regime needs root (writes /proc/sys/vm/drop_caches)"
    D = "@DST@"
    if regime == "noop":
        cand = noop_tools(ds, ds["path"], D, run.ringcp, run.env["caps"],
                          run.fpsync_tmp)
    else:
        cand = tools(ds, ds["path"], D, run.ringcp, run.env["caps"],
                     run.floor, run.fpsync_tmp)
    rows, runnable = [], []
    for tname, kind, cmd, why in cand:
        why = why or (cold_why if regime == "cold" else "") or \
            skip_why(run, tname, regime)
        row = {"name": tname, "kind": kind,
               "command": timed(cmd, D, regime).replace(D, "DST") if cmd else None}
        if why:
            row.update(status="not run", reason=why)
        else:
            row["status"] = "run"
            row["_cmd"] = timed(cmd, D, regime)
            runnable.append(row)
        rows.append(row)
    return rows, runnable


def one_run(run, ds, regime, row, state):
    """One timed run of ROW in REGIME, after the untimed preparation."""
    if regime == "noop":
        dst = state["noop_dst"]
    else:
        run.dest.reclaim(ds, "space", keep=[state.get("prev")] if state.get("prev") else ())
        dst = run.dest.fresh(ds["files"])
    run_state(run, ds, regime, dst if regime == "noop" else None)
    if regime == "rotate" and state.get("prev"):
        run.dest.delete(state["prev"])	# right before the run, on purpose
    r = time_one(run, row["_cmd"].replace("@DST@", q(dst)))
    if regime == "rotate":
        state["prev"] = dst
    return r


def group_rounds(run, cfg, ds, regime, runnable):
    """Time RUNNABLE in cfg["rounds"] rounds: per round {tool: run}."""
    state = {}
    if regime == "noop":	# the up-to-date copy every rerun goes onto
        state["noop_dst"] = run.dest.fresh(ds["files"])
        subprocess.run(["rsync", "-a", ds["path"] + "/", state["noop_dst"] + "/"],
                       check=True)
    if regime == "rotate":	# the copy the first run's rotation deletes
        state["prev"] = run.dest.fresh(ds["files"])
        subprocess.run(["cp", "-a", ds["path"] + "/.", state["prev"]], check=True)
    per_round = []
    for rnd in range(cfg["rounds"]):
        run.progress(f"{ds['name']} {regime}: round {rnd + 1}/{cfg['rounds']}"
                     f" ({len(runnable)} commands)")
        got = {}
        for row in rounds_order(runnable, rnd):
            if row["status"] != "run":
                continue
            try:
                got[row["name"]] = one_run(run, ds, regime, row, state)
            except RuntimeError as e:
                row.update(status="failed", error=str(e))
                print(f"{TAG}: {row['name']} on {ds['name']} {regime} failed: {e}",
                      file=sys.stderr)
        per_round.append(got)
    return per_round


def ratio_ci(ratios, level=0.95):
    """[low, high] of a bootstrap confidence interval of the median of
    RATIOS (scipy.stats.bootstrap, percentile, seeded); None with fewer
    than 3 ratios or without scipy."""
    if len(ratios) < 3:
        return None
    if len(set(ratios)) == 1:
        return [ratios[0], ratios[0]]
    try:
        import numpy as np
        from scipy.stats import bootstrap
    except ImportError:
        return None
    res = bootstrap((np.array(ratios),), np.median, confidence_level=level,
                    n_resamples=2000, method="percentile",
                    random_state=np.random.default_rng(15))
    return [float(res.confidence_interval.low), float(res.confidence_interval.high)]


def group_figures(doc, ds, rows, per_round):
    """Pool each tool's runs into its row; ratios to the fastest peer and
    to the floor, round by round."""
    done = [r for r in rows if r["status"] == "run"]
    for row in done:
        runs = [g[row["name"]] for g in per_round if row["name"] in g]
        t = [x["wall_s"] for x in runs]
        row.update(stats(t))
        row["times_s"] = t
        row["round_medians_s"] = t	# one run per round
        row["user_mean_s"] = statistics.mean(x["user_s"] for x in runs)
        row["system_mean_s"] = statistics.mean(x["system_s"] for x in runs)
        row["mib_per_s"] = ds["bytes"] / MiB / row["median_s"]
        row["files_per_s"] = ds["files"] / row["median_s"]
    peers = [r for r in done if r["kind"] == "peer"]
    if not peers:
        return
    best = min(peers, key=lambda r: r["median_s"])
    doc["fastest_peer"] = best["name"]
    floor = next((r for r in done if r["name"] == "floor"), None)
    for row in done:
        ratios = [a / b for a, b in zip(row["round_medians_s"],
                                        best["round_medians_s"])]
        row["ratio_to_fastest_peer_median"] = statistics.median(ratios)
        row["ratio_to_fastest_peer_min"] = min(ratios)
        row["ratio_to_fastest_peer_max"] = max(ratios)
        row["ratio_to_fastest_peer_ci95"] = ratio_ci(ratios)
        row["speedup_over_fastest_peer"] = 1 / statistics.median(ratios)
        if floor:
            fr = [a / b for a, b in zip(row["round_medians_s"],
                                        floor["round_medians_s"])]
            row["ratio_to_floor_median"] = statistics.median(fr)
            row["ratio_to_floor_ci95"] = ratio_ci(fr)


def group_doc(run, cfg, ds, regime, rows):
    return {"env": run.env, "fs": run.fs["name"], "fs_record": run.fs,
            "dataset": ds["name"], "dataset_label": ds["label"],
            "files": ds["files"], "bytes": ds["bytes"], "regime": regime,
            "rounds": cfg["rounds"], "runs_per_round": 1,
            "order": "rotated by the round number, reversed every other round",
            "prepare": prepare("DST", regime), "commands": rows}


def run_group(run, cfg, ds, regime):
    """time-FS-DATASET-REGIME.json: every tool on DS in REGIME."""
    name = f"time-{run.fs['name']}-{ds['name']}-{regime}"
    rows, runnable = group_rows(run, ds, regime)
    doc = group_doc(run, cfg, ds, regime, rows)
    if not runnable:
        run.progress(f"{ds['name']} {regime}: not run: {rows[0].get('reason')}")
        doc["status"] = "not run"
    else:
        t0 = time.monotonic()
        per_round = group_rounds(run, cfg, ds, regime, runnable)
        doc["status"] = "run"
        doc["wall_s"] = time.monotonic() - t0
        group_figures(doc, ds, rows, per_round)
        # the group's copies go now, outside any timing, and the next group
        # waits out the filesystem's window if it has one
        run.dest.reclaim(None, "end of group")
    doc["reclaims"] = run.dest.events
    run.dest.events = []
    for r in rows:
        r.pop("_cmd", None)
    run.write(doc, name)


def sweep_points_of(params):
    """Every combination of PARAMS [(name, comma list)], as dicts."""
    keys = [k for k, _ in params]
    return [dict(zip(keys, v)) for v in
            itertools.product(*[v.split(",") for _, v in params])]


def sweep(run, cfg, name, ds, template, params, needs, what):
    """sweep-FS-NAME.json: one ringcp sweep over PARAMS (warm source), each
    point a command, the points' order reversed every other round."""
    why = lacks(run.env["caps"], *needs)
    defaults = run.env["caps"].get("defaults", {})
    doc = {"env": run.env, "fs": run.fs["name"], "sweep": name, "what": what,
           "dataset": ds["name"], "dataset_label": ds["label"],
           "files": ds["files"], "bytes": ds["bytes"], "regime": "warm",
           "rounds": cfg["sweep_rounds"], "runs_per_round": 1,
           "parameters": {k: v.split(",") for k, v in params},
           "defaults": {k: defaults[k] for k, _ in params if k in defaults},
           "prepare": prepare("DST", "warm")}
    src = ds["path"]
    doc["command"] = template.format(R="ringcp", S="SRC", D="DST", SF="SRC/big.bin",
                                     DF="DST/big.bin")
    out = f"sweep-{run.fs['name']}-{name}"
    if why:
        run.progress(f"sweep {name}: not run: {why}")
        doc.update(status="not run", reason=why)
        run.write(doc, out)
        return
    pts = sweep_points_of(params)
    pool = {i: [] for i in range(len(pts))}
    t0 = time.monotonic()
    try:
        for rnd in range(cfg["sweep_rounds"]):
            run.progress(f"sweep {name} on {ds['name']}: round {rnd + 1}/"
                         f"{cfg['sweep_rounds']} ({len(pts)} points)")
            order = list(range(len(pts)))
            for i in (order[::-1] if rnd % 2 else order):
                run.dest.reclaim(ds, "space")
                dst = run.dest.fresh(ds["files"])
                run_state(run, ds, "warm")
                cmd = template.format(
                    R=q(run.ringcp), S=q(src), D=q(dst),
                    SF=q(os.path.join(src, "big.bin")),
                    DF=q(os.path.join(dst, "big.bin"))).format(**pts[i])
                pool[i].append(time_one(run, cmd))
    except RuntimeError as e:
        doc.update(status="failed", error=str(e))
        run.write(doc, out)
        print(f"{TAG}: sweep {name} failed: {e}", file=sys.stderr)
        return
    run.dest.reclaim(None, "end of sweep")
    points = []
    for i, p in enumerate(pts):
        t = [x["wall_s"] for x in pool[i]]
        p = dict(p)
        p.update(stats(t))
        p["times_s"] = t
        p["mib_per_s"] = ds["bytes"] / MiB / p["median_s"]
        p["files_per_s"] = ds["files"] / p["median_s"]
        p["mib_per_s_min"] = ds["bytes"] / MiB / p["max_s"]
        p["mib_per_s_max"] = ds["bytes"] / MiB / p["min_s"]
        p["default"] = all(defaults.get(k) == p[k] for k, _ in params)
        points.append(p)
    best = min(points, key=lambda p: p["median_s"])
    for p in points:
        p["ratio_to_best_median"] = p["median_s"] / best["median_s"]
    doc.update(status="run", points=points, best={k: best[k] for k, _ in params},
               wall_s=time.monotonic() - t0, reclaims=run.dest.events)
    run.dest.events = []
    run.write(doc, out)


def sweeps_for(cfg, by, caps, tuning=True, clones=False):
    """The sweeps the datasets at hand allow: (name, dataset, command
    template, parameters, capabilities needed, what).  TUNING: the
    queue-depth, files-in-flight and buffer sweeps (first filesystem).
    CLONES: the filesystem can clone (--reflink=always is swept)."""
    sweeps = []
    if tuning and "big" in by:
        sweeps.append(("qd-bs", by["big"], "{R} -Q {{qd}} -B {{bs}} {SF} {DF}",
                       [("qd", cfg["qd"]), ("bs", cfg["bs"])], (),
                       "queue depth x block size, one large file"))
        sweeps.append(("buffers-big", by["big"], "{R} --buffers={{buffers}} {SF} {DF}",
                       [("buffers", cfg["buffers"])], ("buffers",),
                       "buffer strategy, one large file"))
    if tuning and "mixed" in by:
        sweeps.append(("files-in-flight", by["mixed"],
                       "{R} -a --files-in-flight={{fif}} {S}/ {D}/",
                       [("fif", cfg["fif"])], ("archive", "files_in_flight"),
                       "files in flight, mixed small files"))
        sweeps.append(("buffers-mixed", by["mixed"],
                       "{R} -a --buffers={{buffers}} {S}/ {D}/",
                       [("buffers", cfg["buffers"])], ("archive", "buffers"),
                       "buffer strategy, mixed small files"))
    # ---- ENGINE OPTION SWEEPS (issue 15) ---------------------------------
    # --reflink=never|auto|always and --data=readwrite|splice|auto, swept
    # on EVERY filesystem of the matrix, on the large file and on the
    # 1 MiB files, where the choice of data path matters.  --reflink=always
    # only where the filesystem can clone (elsewhere it fails by design).
    # A ringcp whose --help lacks one gets a "not run: ringcp lacks ..."
    # record.
    for opt, key in (("reflink", "reflink"), ("data", "data_path")):
        vals = [v for v in caps.get(key + "_values") or []
                if not (key == "reflink" and v == "always" and not clones)]
        for dname in ("big", "mib"):
            if dname not in by:
                continue
            if by[dname]["kind"] == "file":
                tpl = "{R} --%s={{%s}} {SF} {DF}" % (opt, key)
            else:
                tpl = "{R} -a --%s={{%s}} {S}/ {D}/" % (opt, key)
            sweeps.append((f"{key.replace('_', '-')}-{dname}", by[dname], tpl,
                           [(key, ",".join(vals) or "default")],
                           ("archive", key) if dname != "big" else (key,),
                           f"--{opt}, {by[dname]['label']}"))
    return sweeps


def config(mode):
    """The mode's repetitions, with the BENCH_* overrides."""
    cfg = dict({"full": FULL, "quick": QUICK, "smoke": SMOKE}[mode])
    for k in ("rounds", "sweep_rounds"):
        v = os.environ.get("BENCH_" + k.upper())
        if v:
            cfg[k] = int(v)
    if cfg["rounds"] < 5 and mode != "smoke":
        die(TAG, "BENCH_ROUNDS must be at least 5 (the per-round ratios need them)")
    return cfg


def measure(argv):
    env_json, fs_json, ds_json, out, bench_dir, ringcp, floor = argv[:7]
    tuning = len(argv) > 7 and argv[7] == "sweeps"
    env = load(env_json)
    fs = load(fs_json)
    dsets = local_paths(load(ds_json), os.path.join(bench_dir, "data"))
    cfg = config(env["mode"])
    run = Runner(env, fs, out, bench_dir, ringcp, floor)
    try:
        groups = [(d, r) for d in dsets for r in regimes_for(cfg, d, fs)]
        sweeps = sweeps_for(cfg, {d["name"]: d for d in dsets}, env["caps"], tuning,
                            bool(fs.get("clone_possible")))
        run.m = len(groups) + len(sweeps)
        for ds, regime in groups:
            run.n += 1
            run_group(run, cfg, ds, regime)
        for s in sweeps:
            run.n += 1
            sweep(run, cfg, *s)
    finally:
        run.close()
        shutil.rmtree(run.dest.base, ignore_errors=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "plan":
        from .plan import print_plan
        print_plan(sys.argv[2])
        return
    if len(sys.argv) not in (8, 9):
        die(TAG, "usage: timing ENV_JSON FS_JSON DATASETS_JSON OUT_DIR BENCH_DIR "
                 "RINGCP FLOOR [sweeps] | timing plan MODE")
    measure(sys.argv[1:])


if __name__ == "__main__":
    main()
