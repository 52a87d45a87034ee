# SPDX-License-Identifier: MIT
"""One untimed run of every tool on every dataset (warm source) under
/usr/bin/time (peak memory) and one under `strace -c -f` (system calls),
each checked afterwards against the source with `diff -r`.

usage: python3 -m ringcp_tools.probes ENV_JSON DATASETS_JSON OUT_JSON \
           BENCH_DIR RINGCP FLOOR
Quick mode probes cp, rsync, tar and ringcp; full mode every row.

Per tool and dataset: max_rss_kib (GNU time's %M: the largest resident
set of the processes it waited for, so of the larger tar in tar | tar),
syscalls by name, total, syscalls per file and io_uring_enter calls per
GiB.  The per-file figure subtracts what starting the command costs: the
calls of `sh -c /bin/true` under the same strace (recorded as
startup_calls), so it is the calls the copy itself made per file.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from .commands import drop_caches, timed, tools, warm_source
from .datasets import local_paths
from .common import GiB, die, dump, load

TAG = "probes"
# quick mode probes the peers and ringcp only (the extra rows of the
# matrix, fpsync, the floor, -aHAX and cp --reflink=never, in full mode)
QUICK_TOOLS = ("cp", "rsync", "tar", "ringcp")


def fresh_dst(dst):
    """DST removed and made again, synced, the caches dropped: probes are
    untimed, so the deletion right before does not matter here."""
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    drop_caches()


def parse_strace_c(path):
    """{syscall: {"calls": n, "errors": n}} from strace -c's table."""
    calls = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) < 5 or not t[0][0].isdigit() or t[-1] == "total":
                continue
            name = t[-1]
            n = int(t[3])
            err = int(t[4]) if len(t) == 6 else 0
            calls[name] = {"calls": n, "errors": err}
    return calls


def sh(cmd, **kw):
    return subprocess.run(["sh", "-c", cmd], **kw)


def strace_calls(cmd, tmp):
    out = os.path.join(tmp, "strace.txt")
    rc = subprocess.run(["strace", "-c", "-f", "-o", out, "sh", "-c", cmd],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        text=True)
    if rc.returncode != 0:
        raise RuntimeError(f"exit {rc.returncode}: {rc.stderr[-300:]}")
    return parse_strace_c(out)


def time_run(cmd, tmp):
    out = os.path.join(tmp, "time.txt")
    rc = subprocess.run(["/usr/bin/time", "-f", "%M %e %U %S", "-o", out,
                         "sh", "-c", cmd], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, text=True)
    if rc.returncode != 0:
        raise RuntimeError(f"exit {rc.returncode}: {rc.stderr[-300:]}")
    with open(out) as f:
        rss, el, us, sy = f.read().split()[-4:]
    return {"max_rss_kib": int(rss), "elapsed_s": float(el), "user_s": float(us),
            "system_s": float(sy)}


def same_tree(src, dst, ds):
    if ds["kind"] == "file":
        a, b = os.path.join(src, "big.bin"), os.path.join(dst, "big.bin")
        return sh(f"cmp -s '{a}' '{b}'").returncode == 0
    return subprocess.run(["diff", "-r", "--no-dereference", "-q", src, dst],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def probe(row, ds, cmd, dst, tmp, startup_total):
    """Fill ROW (one tool on dataset DS) with its time, copy check and
    system calls; status "run", or "failed" with the error."""
    try:
        fresh_dst(dst)
        warm_source(ds["path"])
        row.update(time_run(timed(cmd, dst, "warm"), tmp))
        row["copy_identical"] = same_tree(ds["path"], dst, ds)
        fresh_dst(dst)
        warm_source(ds["path"])
        calls = strace_calls(cmd, tmp)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        row.update(status="failed", error=str(e))
        return
    total = sum(c["calls"] for c in calls.values())
    enter = calls.get("io_uring_enter", {}).get("calls", 0)
    row.update(status="run", syscalls=calls, syscalls_total=total,
               syscalls_per_file=(total - startup_total) / max(ds["files"], 1),
               io_uring_enter_calls=enter,
               io_uring_enter_per_gib=enter / (ds["bytes"] / GiB)
               if ds["bytes"] else None)


def main():
    if len(sys.argv) != 7:
        die(TAG, "usage: probes ENV_JSON DATASETS_JSON OUT_JSON BENCH_DIR RINGCP FLOOR")
    env = load(sys.argv[1])
    bench_dir, ringcp, floor = sys.argv[4:7]
    dsets = local_paths(load(sys.argv[2]), os.path.join(bench_dir, "data"))
    dst = os.path.join(bench_dir, "dst")
    tmp = tempfile.mkdtemp(dir=bench_dir)
    startup = strace_calls("/bin/true", tmp)
    startup_total = sum(c["calls"] for c in startup.values())
    doc = {"env": env, "startup_command": "sh -c /bin/true",
           "startup_calls": startup_total, "regime": "warm",
           "strace": "strace -c -f -o FILE sh -c CMD",
           "time": "/usr/bin/time -f '%M %e %U %S' sh -c CMD",
           "check": "diff -r --no-dereference SRC DST (cmp for one file)",
           "datasets": []}
    fptmp = tempfile.mkdtemp(prefix="fpsync.", dir=os.environ.get("BENCH_TMP", "/tmp"))
    jobs = [(d, t) for d in dsets
            for t in tools(d, d["path"], dst, ringcp, env["caps"], floor, fptmp)
            if env["mode"] == "full" or t[0] in QUICK_TOOLS]
    for n, (ds, (name, kind, cmd, why)) in enumerate(jobs, 1):
        entry = next((e for e in doc["datasets"] if e["dataset"] == ds["name"]), None)
        if entry is None:
            entry = {"dataset": ds["name"], "files": ds["files"],
                     "bytes": ds["bytes"], "tools": []}
            doc["datasets"].append(entry)
        row = {"name": name, "kind": kind, "command": cmd}
        entry["tools"].append(row)
        what = f"== [{n}/{len(jobs)}] probes: {name} on {ds['name']}"
        if why:
            print(f"{what}: not run: {why}", file=sys.stderr, flush=True)
            row.update(status="not run", reason=why)
            continue
        print(f"{what} (time, strace)", file=sys.stderr, flush=True)
        probe(row, ds, cmd, dst, tmp, startup_total)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(fptmp, ignore_errors=True)
    dump(doc, sys.argv[3])


if __name__ == "__main__":
    main()
