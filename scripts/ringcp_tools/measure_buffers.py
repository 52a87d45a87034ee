# SPDX-License-Identifier: MIT
"""The four buffer strategies (heap, pool, fixed, ring) side by side in one
run, on the same machine, in alternating order.

usage: scripts/measure-buffers.sh   (or python3 -m ringcp_tools.measure_buffers)

Datasets (made once in WORKDIR, page-cached before the runs):
  big   one file of BIG_SIZE bytes [1 GiB] of random data;
  many  MANY_FILES files [2000], sizes spread over 1 B .. 256 KiB
        (pseudo-random, seeded, mean about 128 KiB).
Both are copied with single-file copies: the driver tools/bufcopy
(build/gcc/tools/bufcopy) copies each file exactly as `ringcp SRC DST`
does (rc_copy_file: temporary name, rename), all on one ring in one
process, with --buffers=STRATEGY, ringcp's default queue depth and block
size, and the strategy sized as ringcp sizes it (queue-depth buffers of
block-size bytes).  No fsync: the copies run from and into the page cache,
which is where the strategies differ.  DST_PARENT [WORKDIR] is where the
copies go: /dev/shm (tmpfs) takes the disk's writeback of the previous
runs' dirty pages out of the timings.  On a machine others use at the same
time, look at the per-run times in OUT before trusting a ratio: medians of
few runs do not outvote load.

Per run: wall time (in-process, ring setup to teardown, and the whole
process with /usr/bin/time), peak RSS (/usr/bin/time %M), and the
engine's counters: buffers_allocated (allocator calls: malloc, or one
region for fixed/ring), records_allocated, ops submitted.  ROUNDS rounds
[5]; each round runs every strategy once, the order rotated every round
and reversed every other one, so no strategy always follows another.
Medians per strategy and dataset, ratios to heap.  Writes OUT
[<repo>/results/buffers.json] with the environment record.

    scripts/measure-buffers.sh          (root not needed; ~4 GiB free)
    BIG_SIZE=$((256<<20)) MANY_FILES=500 ROUNDS=3 scripts/measure-buffers.sh
Other knobs: STRATEGIES ["heap pool fixed ring"], BUFCOPY (the driver),
BUILD=0 (do not run make when BUFCOPY exists).
"""
import glob
import json
import os
import random
import shutil
import statistics as st
import subprocess
import tempfile
import time

from . import env as envmod
from .common import MiB, TOP, die, dump, load, loadavg, lock, log, out_of
from .timing import rounds_order

TAG = "measure-buffers"
MANY_MAX = 256 * 1024


def knobs():
    e = os.environ.get
    return {"workdir": e("WORKDIR", "/var/tmp/ringcp-buffers"),
            "out": e("OUT", os.path.join(TOP, "results", "buffers.json")),
            "big_size": int(e("BIG_SIZE", str(1 << 30))),
            "many_files": int(e("MANY_FILES", "2000")),
            "rounds": int(e("ROUNDS", "5")),
            "strategies": e("STRATEGIES", "heap pool fixed ring").split(),
            "bufcopy": e("BUFCOPY", os.path.join(TOP, "build", "gcc", "tools",
                                                 "bufcopy")),
            "build": e("BUILD", "1") == "1", "dst_parent": e("DST_PARENT", "")}


def make_big(path, size):
    if os.path.isfile(path) and os.stat(path).st_size == size:
        return
    log(f"making the big file ({size} bytes)")
    with open(path + ".tmp", "wb") as f:
        left = size
        while left:
            n = min(left, 16 * MiB)
            f.write(os.urandom(n))
            left -= n
    os.rename(path + ".tmp", path)


def make_many(d, n):
    """N files f000000.. of 1 B to 256 KiB (sizes from a fixed seed, bytes
    random), and .done once complete."""
    if os.path.isfile(os.path.join(d, ".done")):
        return
    log(f"making {n} files")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rng = random.Random(20261126)
    blob = os.urandom(MANY_MAX)
    for i in range(n):
        with open(os.path.join(d, f"f{i:06d}"), "wb") as f:
            f.write(blob[:rng.randint(1, MANY_MAX)])
    open(os.path.join(d, ".done"), "w").close()


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(16 * MiB):
                pass


def run_one(k, files, strategy, dst_dir, tmp):
    """One bufcopy run of FILES with STRATEGY into a fresh directory: its
    JSON counters and /usr/bin/time's wall_s and max_rss_kib."""
    dst = os.path.join(dst_dir, "dst")
    shutil.rmtree(dst, ignore_errors=True)
    os.mkdir(dst)
    tfile = os.path.join(tmp, "time.json")
    p = subprocess.run(["/usr/bin/time", "-f", '{"wall_s": %e, "max_rss_kib": %M}',
                        "-o", tfile, k["bufcopy"], f"--buffers={strategy}", dst,
                        *files], stdout=subprocess.PIPE, text=True)
    shutil.rmtree(dst, ignore_errors=True)
    if p.returncode:
        return None
    rec = json.loads(p.stdout)
    rec.update(load(tfile))
    return rec


def strategy_figures(runs):
    """The medians of one strategy's runs on one dataset, and the first
    run's counters per op."""
    r0 = runs[0]
    med_ns = st.median(x["elapsed_ns"] for x in runs)
    ops = r0["ops"]
    return {
        "elapsed_ns_median": int(med_ns),
        "process_wall_s_median": st.median(x["wall_s"] for x in runs),
        "bw_bytes_median": r0["bytes"] / (med_ns / 1e9),
        "max_rss_kib_median": st.median(x["max_rss_kib"] for x in runs),
        "bytes": r0["bytes"], "files": r0["files"], "ops": ops,
        "buffers_allocated": r0["buffers_allocated"],
        "records_allocated": r0["records_allocated"],
        "buffers_allocated_per_op": r0["buffers_allocated"] / ops,
        "records_allocated_per_op": r0["records_allocated"] / ops,
        "buf_gets": r0["buf_gets"], "reads_fixed": r0["reads_fixed"],
        "writes_fixed": r0["writes_fixed"], "reads_selected": r0["reads_selected"],
        "reads_nobufs": r0["reads_nobufs"], "runs": runs,
    }


def document(k, work, dst_dir, runs):
    """buffers.json: the environment, the parameters and per dataset and
    strategy the figures, with ratios to heap."""
    env = envmod.record(work, "WORKDIR", tools=())
    env["git_commit"] = envmod.git_commit(TOP)
    doc = {
        "what": "buffer strategies side by side: single-file copies "
                "(rc_copy_file, as ringcp SRC DST) of one big file and of "
                "many files, one ring per process, page cache warm, no fsync",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "env": env,
        "params": {"rounds": k["rounds"], "big_size_bytes": k["big_size"],
                   "dst_filesystem": out_of(["findmnt", "-n", "-o", "FSTYPE",
                                             "--target", dst_dir]),
                   "loadavg_at_end": loadavg(),
                   "many_files": k["many_files"],
                   "queue_depth": 8, "block_size_bytes": 256 * 1024,
                   "order": "rotated every round, reversed every other round"},
        "datasets": {},
    }
    for dataset in ("big", "many"):
        res = {b: strategy_figures(runs[(dataset, b)]) for b in k["strategies"]}
        base = res.get("heap", next(iter(res.values())))
        for v in res.values():
            v["time_ratio_to_heap"] = v["elapsed_ns_median"] / base["elapsed_ns_median"]
            v["rss_ratio_to_heap"] = v["max_rss_kib_median"] / base["max_rss_kib_median"]
        doc["datasets"][dataset] = res
    return doc


def print_summary(doc, out):
    for dataset, res in doc["datasets"].items():
        v0 = next(iter(res.values()))
        print(f"{dataset}: {v0['files']} file(s), {v0['bytes']} bytes, "
              f"{doc['params']['rounds']} rounds")
        print(f"  {'strategy':8} {'median s':>9} {'MB/s':>8} {'x heap':>7} "
              f"{'allocs/op':>10} {'peak RSS KiB':>13}")
        for b, v in res.items():
            print(f"  {b:8} {v['elapsed_ns_median'] / 1e9:9.3f} "
                  f"{v['bw_bytes_median'] / 1e6:8.0f} "
                  f"{v['time_ratio_to_heap']:7.2f} "
                  f"{v['buffers_allocated_per_op']:10.4f} "
                  f"{v['max_rss_kib_median']:13.0f}")
    print(f"written to {out}")


def measure(k, work, tmp, dst_dir):
    """Make and warm the datasets, then ROUNDS rounds of every strategy on
    each: {(dataset, strategy): [runs]}."""
    big = os.path.join(work, f"big-{k['big_size']}.bin")
    many = os.path.join(work, f"many-{k['many_files']}")
    make_big(big, k["big_size"])
    make_many(many, k["many_files"])
    sets = {"big": [big], "many": sorted(glob.glob(os.path.join(many, "f*")))}
    warm(sets["big"] + sets["many"])
    runs = {}
    for r in range(k["rounds"]):
        order = rounds_order(k["strategies"], r)
        log(f"round {r + 1}/{k['rounds']}: {' '.join(order)}")
        for dataset in ("big", "many"):
            for b in order:
                rec = run_one(k, sets[dataset], b, dst_dir, tmp)
                if rec is None:
                    die(TAG, f"{dataset} copy with {b} failed")
                runs.setdefault((dataset, b), []).append(rec)
    # the runs of each strategy in round order
    return runs


def main():
    k = knobs()
    if not os.access("/usr/bin/time", os.X_OK):
        die(TAG, "/usr/bin/time not found (scripts/deps.sh installs 'time')")
    if not os.access(k["bufcopy"], os.X_OK) or k["build"]:
        if subprocess.run(["make", "-s", "-C", TOP, "--no-print-directory",
                           "variant", "VARIANT=gcc"],
                          stdout=subprocess.DEVNULL).returncode:
            die(TAG, "build failed")
    os.makedirs(k["workdir"], exist_ok=True)
    os.makedirs(os.path.dirname(k["out"]) or ".", exist_ok=True)
    work = os.path.realpath(k["workdir"])
    lock(os.path.join(work, ".lock"), TAG)
    tmp = tempfile.mkdtemp(prefix="run.", dir=work)
    dst_dir = tempfile.mkdtemp(prefix="dst.", dir=k["dst_parent"] or work)
    try:
        runs = measure(k, work, tmp, dst_dir)
        doc = document(k, work, dst_dir, runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(dst_dir, ignore_errors=True)
    dump(doc, k["out"])
    print_summary(doc, k["out"])


if __name__ == "__main__":
    main()
