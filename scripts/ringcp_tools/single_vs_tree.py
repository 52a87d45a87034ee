#!/usr/bin/python3
"""Single-file mode vs a one-operand tree copy, measured (issue 13: is the
synchronous temp-and-rename path of single-file mode faster?).

Runs (unless --analyze-only) on two filesystems (ext4 at /var/tmp/sfm, tmpfs
at /dev/shm/sfm), for four datasets:
  * equivalence check of both paths (cmp, stat '%a %s %b'),
  * hyperfine 1.15 (-N, --warmup 3, --prepare 'rm -f DST') in ROUNDS rounds per
    dataset, each round one hyperfine invocation with both commands, the order
    of the two commands alternating AB BA BA AB BA AB AB BA; per-run times
    are pooled,
  * strace -f -c (REPS runs per command; median of the counts),
  * /usr/bin/time -v peak RSS (REPS runs per command; median and max),
  * the exit-time wait for the io_uring teardown (strace -f -T of the final
    poll on a pipe registered in the ring, TEARDOWN_REPS runs per command),
then writes results/single-vs-tree/single-vs-tree.json.  hyperfine's own
exports are kept beside it as hf-<fs>-<dataset>-r<round>.json.

The binary (build/gcc/ringcp, or $RINGCP) is copied into the results folder
for the run and called as "ringcp" with that folder first on PATH and the
working directory the filesystem's root (src/, dst/ relative), so that no
path of the machine other than the two roots ends up in the record.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.single_vs_tree
  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.single_vs_tree --analyze-only
"""
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import hashlib

import numpy as np
import scipy
from scipy import stats

from .common import scrub_file

OUTDIR = os.environ.get("OUTDIR", "results/single-vs-tree")
BIN = os.path.join(OUTDIR, "ringcp")
SRC_BIN = os.environ.get("RINGCP", "build/gcc/ringcp")
OUT_JSON = os.path.join(OUTDIR, "single-vs-tree.json")
ROOTS = {"ext4": "/var/tmp/sfm", "tmpfs": "/dev/shm/sfm"}
MIB = 1 << 20
DATASETS = {
    # name: (description, runs per hyperfine round)
    "small4k": ("4 KiB random file (startup-dominated)", 30),
    "f1m": ("1 MiB random file", 30),
    "big256m": ("256 MiB random file, page cache warmed (cat > /dev/null) "
                "before each round", 10),
    "sparse64m": ("64 MiB sparse file, 1 MiB random data at offset 32 MiB "
                  "(truncate -s 64M; dd bs=1M seek=32 count=1 conv=notrunc)",
                  10),
}
ROUNDS = 8
ORDERS = ["AB", "BA", "BA", "AB", "BA", "AB", "AB", "BA"]
WARMUP = 3
REPS = 5          # strace and /usr/bin/time repetitions per command
TEARDOWN_REPS = 15
N_BOOT = 10000
SEED = 13
CMDS = {
    "single": "ringcp src/{ds} dst/{ds}",
    "tree": "ringcp --files-in-flight=64 src/{ds} dst/{ds}",
}

ENV = dict(os.environ)
ENV["PATH"] = OUTDIR + ":" + ENV.get("PATH", "/usr/bin:/bin")
ENV["LC_ALL"] = "C"


def sh(args, cwd=None, check=True, **kw):
    return subprocess.run(args, cwd=cwd, env=ENV, check=check,
                          capture_output=True, text=True, **kw)


def make_datasets():
    for root in ROOTS.values():
        os.makedirs(os.path.join(root, "src"), exist_ok=True)
        os.makedirs(os.path.join(root, "dst"), exist_ok=True)
        src = os.path.join(root, "src")
        want = {"small4k": 4096, "f1m": MIB, "big256m": 256 * MIB}
        for name, size in want.items():
            p = os.path.join(src, name)
            if not (os.path.exists(p) and os.path.getsize(p) == size):
                with open(p, "wb") as f:
                    left = size
                    while left:
                        n = min(left, 16 * MIB)
                        f.write(os.urandom(n))
                        left -= n
        p = os.path.join(src, "sparse64m")
        st = os.stat(p) if os.path.exists(p) else None
        if not (st and st.st_size == 64 * MIB and st.st_blocks * 512 <= 2 * MIB):
            if os.path.exists(p):
                os.unlink(p)
            sh(["truncate", "-s", "64M", p])
            sh(["dd", "if=/dev/urandom", "of=" + p, "bs=1M", "count=1",
                "seek=32", "conv=notrunc", "status=none"])
        for name in DATASETS:
            os.chmod(os.path.join(src, name), 0o644)


def stat_line(path):
    return sh(["stat", "-c", "%a %s %b", path]).stdout.strip()


def equivalence():
    out = {}
    for fs, root in ROOTS.items():
        chk = os.path.join(root, "chk")
        shutil.rmtree(chk, ignore_errors=True)
        os.makedirs(chk)
        res = {}
        for ds in DATASETS:
            r = {"src_stat_a_s_b": stat_line(os.path.join(root, "src", ds))}
            for c in CMDS:
                dst = "chk/%s.%s" % (ds, c)
                args = CMDS[c].format(ds=ds).split()[:-1] + [dst]
                p = sh(args, cwd=root, check=False)
                same = subprocess.run(["cmp", "-s", "src/" + ds, dst],
                                      cwd=root).returncode == 0
                r[c] = {"exit": p.returncode, "bytes_identical": same,
                        "stat_a_s_b": stat_line(os.path.join(root, dst))}
            res[ds] = r
        # overwrite of an existing destination, and a mode with set-user-ID
        odd = os.path.join(chk, "odd")
        shutil.copyfile(os.path.join(root, "src", "small4k"), odd)
        os.chmod(odd, 0o4751)
        r = {"src_stat_a_s_b": stat_line(odd)}
        for c in CMDS:
            dst = "chk/odd.%s" % c
            args = CMDS[c].format(ds="x").split()[:-2] + ["chk/odd", dst]
            p1 = sh(args, cwd=root, check=False)
            p2 = sh(args, cwd=root, check=False)   # over an existing DST
            r[c] = {"exit_new": p1.returncode, "exit_over_existing": p2.returncode,
                    "stat_a_s_b": stat_line(os.path.join(root, dst))}
        res["mode_4751_and_overwrite"] = r
        # engine counters of the single-file path on the sparse file
        p = sh(["ringcp", "-v", "src/sparse64m", "chk/sparse.v"], cwd=root)
        res["single_verbose_sparse64m"] = [
            l for l in p.stderr.splitlines() if "ops submitted" in l]
        shutil.rmtree(chk)
        out[fs] = res
    return out


def warm(root, ds):
    with open(os.path.join(root, "src", ds), "rb") as f:
        while f.read(8 * MIB):
            pass


def run_hyperfine():
    for fs, root in ROOTS.items():
        for ds, (_, runs) in DATASETS.items():
            for k in range(ROUNDS):
                warm(root, ds)
                out = os.path.join(OUTDIR, "hf-%s-%s-r%d.json" % (fs, ds, k))
                args = ["hyperfine", "-N", "--style", "basic",
                        "--warmup", str(WARMUP), "--runs", str(runs),
                        "--prepare", "rm -f dst/" + ds,
                        "--export-json", out]
                for o in ORDERS[k]:
                    c = "single" if o == "A" else "tree"
                    args += ["--command-name", c, CMDS[c].format(ds=ds)]
                print("==", fs, ds, "round", k, ORDERS[k], flush=True)
                p = sh(args, cwd=root)
                scrub_file(out)  # hyperfine's: no path of this machine
                print(p.stdout, flush=True)
                os.unlink(os.path.join(root, "dst", ds))


def parse_strace(text):
    calls = {}
    total = None
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 5 and re.match(r"^[0-9.]+$", f[0]) and f[-1] != "total":
            name = f[-1]
            # columns: %time seconds usecs/call calls [errors] syscall
            calls[name] = int(f[3])
        elif f and f[-1] == "total":
            total = int(f[3])
    return total, calls


def run_strace():
    if not shutil.which("strace"):
        return None
    res = {}
    for fs, root in ROOTS.items():
        res[fs] = {}
        for ds in DATASETS:
            warm(root, ds)
            res[fs][ds] = {}
            for c in CMDS:
                totals, per = [], []
                for _ in range(REPS):
                    sh(["rm", "-f", "dst/" + ds], cwd=root)
                    with tempfile.NamedTemporaryFile("r", dir=OUTDIR) as t:
                        sh(["strace", "-f", "-c", "-o", t.name] +
                           CMDS[c].format(ds=ds).split(), cwd=root)
                        tot, calls = parse_strace(t.read())
                    totals.append(tot)
                    per.append(calls)
                names = sorted(set().union(*per))
                res[fs][ds][c] = {
                    "runs": REPS,
                    "median_total_syscalls": statistics.median(totals),
                    "totals": totals,
                    "median_per_syscall": {
                        n: statistics.median([p.get(n, 0) for p in per])
                        for n in names},
                }
                sh(["rm", "-f", "dst/" + ds], cwd=root)
    return res


def run_rss():
    res = {}
    for fs, root in ROOTS.items():
        res[fs] = {}
        for ds in DATASETS:
            warm(root, ds)
            res[fs][ds] = {}
            for c in CMDS:
                kb = []
                for _ in range(REPS):
                    sh(["rm", "-f", "dst/" + ds], cwd=root)
                    p = sh(["/usr/bin/time", "-v"] +
                           CMDS[c].format(ds=ds).split(), cwd=root)
                    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                                  p.stderr)
                    kb.append(int(m.group(1)))
                res[fs][ds][c] = {"runs": REPS, "median_peak_rss_kib":
                                  statistics.median(kb),
                                  "max_peak_rss_kib": max(kb), "all_kib": kb}
                sh(["rm", "-f", "dst/" + ds], cwd=root)
    return res


def run_teardown():
    """Milliseconds ringcp spends at exit in poll()+restart_syscall(), which
    is where it waits for the kernel to finish tearing the ring down."""
    if not shutil.which("strace"):
        return None
    res = {}
    for fs, root in ROOTS.items():
        res[fs] = {}
        for ds in ("small4k", "f1m", "big256m"):
            warm(root, ds)
            res[fs][ds] = {}
            for c in CMDS:
                ms = []
                for _ in range(TEARDOWN_REPS):
                    sh(["rm", "-f", "dst/" + ds], cwd=root)
                    p = sh(["strace", "-f", "-T", "-e",
                            "trace=poll,restart_syscall"] +
                           CMDS[c].format(ds=ds).split(), cwd=root)
                    ms.append(1000 * sum(float(x) for x in
                                         re.findall(r"<([0-9.]+)>", p.stderr)))
                res[fs][ds][c] = {"runs": TEARDOWN_REPS,
                                  "median_ms": statistics.median(ms),
                                  "min_ms": min(ms), "max_ms": max(ms)}
                sh(["rm", "-f", "dst/" + ds], cwd=root)
    return res


def mount_of(path):
    best = None
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, typ, opts = line.split()[:4]
            if path == mnt or path.startswith(mnt.rstrip("/") + "/"):
                if best is None or len(mnt) >= len(best[1]):
                    best = (dev, mnt, typ, opts)
    return {"mount_point": best[1], "fstype": best[2], "options": best[3]}


def environment():
    cpu = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fss = {}
    for fs, root in ROOTS.items():
        d = {"root": root}
        d.update(mount_of(root))
        fss[fs] = d
    jbd2 = sorted(os.listdir("/proc/fs/jbd2")) if os.path.isdir("/proc/fs/jbd2") else []
    fss["ext4"]["journal"] = (
        "none: no /proc/fs/jbd2 entry for the root device (entries: %s); "
        "a copy right after a deletion may pay for that deletion here "
        "(block freeing, 'discard' mount option), equally for both commands "
        "since each timed run follows 'rm -f DST'" % (", ".join(jbd2) or "none"))
    with open(BIN, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    def rd(p):
        with open(p) as f:
            return f.read().strip()
    return {
        "kernel": platform.release(),
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "filesystems": fss,
        "hyperfine_version": sh(["hyperfine", "--version"]).stdout.strip(),
        "strace_version": (sh(["strace", "-V"]).stdout.splitlines()[0]
                           if shutil.which("strace") else None),
        "python": platform.python_version(),
        "scipy": scipy.__version__,
        "ringcp_version": sh(["ringcp", "-V"]).stdout.strip(),
        "ringcp_sha256": sha,
        "umask": "0022",
        "vm_dirty_background_ratio": rd("/proc/sys/vm/dirty_background_ratio"),
        "vm_dirty_ratio": rd("/proc/sys/vm/dirty_ratio"),
        "loadavg_at_analysis": rd("/proc/loadavg"),
        "note": "shared, noisy 2-core machine; other work ran concurrently",
    }


def describe(t):
    t = np.asarray(t)
    return {"runs": int(t.size),
            "median_s": float(np.median(t)), "min_s": float(t.min()),
            "max_s": float(t.max()), "mean_s": float(t.mean()),
            "stddev_s": float(t.std(ddof=1))}


def ratio_ci(tree, single):
    def stat(a, b, axis=-1):
        return np.median(a, axis=axis) / np.median(b, axis=axis)
    r = stats.bootstrap((np.asarray(tree), np.asarray(single)), stat,
                        paired=False, vectorized=True, n_resamples=N_BOOT,
                        confidence_level=0.95, method="percentile",
                        random_state=np.random.default_rng(SEED))
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


def analyze():
    results = {}
    for fs in ROOTS:
        results[fs] = {}
        for ds, (desc, runs) in DATASETS.items():
            times = {"single": [], "tree": []}
            user = {"single": [], "tree": []}
            system = {"single": [], "tree": []}
            per_round = []
            files = []
            for k in range(ROUNDS):
                fn = "hf-%s-%s-r%d.json" % (fs, ds, k)
                files.append(fn)
                with open(os.path.join(OUTDIR, fn)) as f:
                    hf = json.load(f)["results"]
                rr = {"order": ORDERS[k]}
                for r in hf:
                    c = r["command"]
                    if any(x != 0 for x in r.get("exit_codes", [0])):
                        raise SystemExit("nonzero exit in " + fn)
                    times[c] += r["times"]
                    user[c].append(r["user"])
                    system[c].append(r["system"])
                    rr[c + "_median_s"] = r["median"]
                rr["ratio_tree_over_single"] = rr["tree_median_s"] / rr["single_median_s"]
                per_round.append(rr)
            single = describe(times["single"])
            tree = describe(times["tree"])
            single["mean_user_s"] = float(np.mean(user["single"]))
            single["mean_system_s"] = float(np.mean(system["single"]))
            tree["mean_user_s"] = float(np.mean(user["tree"]))
            tree["mean_system_s"] = float(np.mean(system["tree"]))
            ratio = tree["median_s"] / single["median_s"]
            lo, hi = ratio_ci(times["tree"], times["single"])
            if lo <= 1.0 <= hi:
                verdict = "no measurable difference"
            elif hi < 1.0:
                verdict = "tree mode measurably faster"
            else:
                verdict = "single-file mode measurably faster"
            # round-level check: the rounds are the independent units of the
            # noise (load from other users drifts between invocations)
            lr = np.log([x["ratio_tree_over_single"] for x in per_round])
            half = stats.t.ppf(0.975, len(lr) - 1) * lr.std(ddof=1) / np.sqrt(len(lr))
            round_level = {
                "geomean_ratio": float(np.exp(lr.mean())),
                "ci95": [float(np.exp(lr.mean() - half)),
                         float(np.exp(lr.mean() + half))],
                "rounds_tree_slower": int((lr > 0).sum()),
                "method": "t interval on log of the %d per-round ratios of "
                          "medians" % len(lr)}
            results[fs][ds] = {
                "dataset": desc,
                "commands": {c: CMDS[c].format(ds=ds) for c in CMDS},
                "prepare": "rm -f dst/" + ds,
                "runs_per_round": runs, "rounds": ROUNDS,
                "single": single, "tree": tree,
                "ratio_tree_over_single_median": ratio,
                "ratio_ci95": [lo, hi],
                "ratio_ci_method": "scipy.stats.bootstrap percentile, "
                                   "%d resamples, unpaired, pooled runs of all "
                                   "rounds, seed %d" % (N_BOOT, SEED),
                "verdict": verdict,
                "round_level": round_level,
                "per_round": per_round,
                "hyperfine_exports": files,
            }
    return results


def differences(eq):
    out = []
    for fs, res in eq.items():
        for ds, r in res.items():
            if not isinstance(r, dict) or "single" not in r:
                continue
            a, b = r["single"], r["tree"]
            if not (a.get("bytes_identical", True) and b.get("bytes_identical", True)):
                out.append("%s %s: bytes differ from the source" % (fs, ds))
            if a["stat_a_s_b"] != b["stat_a_s_b"]:
                out.append("%s %s: stat '%%a %%s %%b' single %s, tree %s, source %s"
                           % (fs, ds, a["stat_a_s_b"], b["stat_a_s_b"],
                              r["src_stat_a_s_b"]))
    if any("sparse64m" in x for x in out):
        out.append("single-file mode reads and writes the whole file (hole "
                   "zeros included, fully allocated); tree mode keeps the holes "
                   "(only the 1 MiB of data is written)")
    return out


def main():
    analyze_only = "--analyze-only" in sys.argv
    side = os.path.join(OUTDIR, "side-measurements.json")
    if not analyze_only:
        os.makedirs(OUTDIR, exist_ok=True)
        shutil.copy2(SRC_BIN, BIN)
        make_datasets()
        side_data = {"equivalence": equivalence()}
        run_hyperfine()
        side_data["strace_c_f"] = run_strace()
        side_data["peak_rss_time_v"] = run_rss()
        side_data["exit_ring_teardown_wait"] = run_teardown()
        with open(side, "w") as f:
            json.dump(side_data, f, indent=1)
        os.unlink(BIN)
    with open(side) as f:
        side_data = json.load(f)
    rec = {
        "question": "ringcp issue 13: is single-file mode (sync open/fstat, "
                    "O_TMPFILE, fallocate, io_uring data pump, linkat/renameat) "
                    "measurably faster than a one-operand tree copy "
                    "(--files-in-flight=64)?",
        "method": "hyperfine -N --warmup %d --runs N --prepare 'rm -f dst/DS' "
                  "with both commands in one invocation; %d invocations per "
                  "dataset and filesystem, command order %s; per-run times "
                  "pooled; cwd = filesystem root; ringcp = the frozen binary "
                  "(sha256 in environment) first on PATH" %
                  (WARMUP, ROUNDS, " ".join(ORDERS)),
        "environment": environment() if not analyze_only else
                       json.load(open(OUT_JSON))["environment"],
        "results": analyze(),
        "equivalence": side_data["equivalence"],
        "produced_file_differences": differences(side_data["equivalence"]),
        "strace_c_f": side_data["strace_c_f"],
        "peak_rss_time_v": side_data["peak_rss_time_v"],
        "exit_ring_teardown_wait": side_data["exit_ring_teardown_wait"],
        "exit_ring_teardown_wait_note":
            "both paths end by registering a pipe's write end in the ring, "
            "closing the ring and poll()ing the read end (timeout 30 s) until "
            "the kernel's deferred ring teardown drops it; measured under "
            "strace -T, so indicative only",
    }
    with open(OUT_JSON, "w") as f:
        json.dump(rec, f, indent=1)
    print("wrote", OUT_JSON)


if __name__ == "__main__":
    main()
