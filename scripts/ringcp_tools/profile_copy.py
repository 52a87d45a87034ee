# SPDX-License-Identifier: MIT
"""Where a ringcp copy's work goes, for the targets it misses (issue 15:
"a target not met says by how much and why (profile: perf or the
io_uring tracepoints, e.g. how many writes went to io-wq)").

For each filesystem and dataset, `ringcp -a` with its defaults copies
the dataset (warm source, fresh destination name) three times, each run
watched one way:
  * io_uring's own tracepoints (a tracefs instance of its own):
    io_uring_submit_req and io_uring_queue_async_work, counted by
    opcode: how many requests of each kind were submitted and how many of
    those the kernel handed to an io-wq worker (a thread woken per
    request) instead of completing them inline;
  * strace -f -c: the system calls the process made itself, per file;
  * /usr/bin/time: page faults, user and system CPU, CPU share of 2 cores.
Counts do not depend on the machine's load; the CPU figures do.
Datasets: the bench's quick specs (ringcp_tools.datasets); filesystems:
a fresh journaled ext4 image and a fresh tmpfs
(ringcp_tools.memory_budget.mount_fs).

Writes results/datapath/profile.json with the environment record, the
commit and a "report" entry (REPORT.md, "Data paths").

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.profile_copy
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import tempfile

from . import env
from .commands import drop_caches, warm_source
from .common import dump, log, q
from .datasets import count, generate
from .memory_budget import SEED, datasets, mount_fs, umount

TRACE = "/sys/kernel/tracing"
EVENTS = ("io_uring_submit_req", "io_uring_queue_async_work")
OPCODE = re.compile(r"(io_uring_submit_req|io_uring_queue_async_work):.*?"
                    r"opcode ([A-Z_]+)")


def tracing_on():
    """A tracefs instance with the two events on; its directory."""
    if not os.path.isdir(os.path.join(TRACE, "instances")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACE], check=True)
    inst = os.path.join(TRACE, "instances", "ringcp-profile")
    if not os.path.isdir(inst):
        os.mkdir(inst)

    def put(rel, val):
        with open(os.path.join(inst, rel), "w") as f:
            f.write(val)
    put("tracing_on", "0")
    put("trace", "")
    put("buffer_size_kb", "131072")
    for ev in EVENTS:
        put(f"events/io_uring/{ev}/enable", "1")
    put("tracing_on", "1")
    return inst


def tracing_off(inst):
    """Counts {event: {opcode: n}} and the events lost; removes INST."""
    with open(os.path.join(inst, "tracing_on"), "w") as f:
        f.write("0")
    counts = {ev: collections.Counter() for ev in EVENTS}
    with open(os.path.join(inst, "trace")) as f:
        for line in f:
            m = OPCODE.search(line)
            if m:
                counts[m.group(1)][m.group(2)] += 1
    lost = 0
    for cpu in os.listdir(os.path.join(inst, "per_cpu")):
        with open(os.path.join(inst, "per_cpu", cpu, "stats")) as f:
            for line in f:
                if line.startswith("overrun:"):
                    lost += int(line.split()[1])
    for ev in EVENTS:
        with open(os.path.join(inst, f"events/io_uring/{ev}/enable"), "w") as f:
            f.write("0")
    os.rmdir(inst)
    return {k: dict(v) for k, v in counts.items()}, lost


def strace_counts(cmd, tmp):
    """{syscall: calls} of CMD and its threads (strace -f -c)."""
    out = os.path.join(tmp, "strace.txt")
    subprocess.run(["strace", "-f", "-c", "-o", out, "sh", "-c", cmd],
                   check=True, capture_output=True)
    calls = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                calls[parts[-1]] = int(parts[3])
    return calls


def time_counts(cmd, tmp):
    """/usr/bin/time's minor faults, user and system CPU of CMD."""
    out = os.path.join(tmp, "time.txt")
    subprocess.run(["/usr/bin/time", "-f", "%R %U %S", "-o", out, "sh", "-c",
                    cmd], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        flt, us, sy = f.read().split()[-3:]
    return {"minor_faults": int(flt), "user_s": float(us), "system_s": float(sy)}


def profile_cell(ringcp, mnt, name, extra):
    """The three watched runs of one dataset; the cell's record."""
    src = os.path.join(mnt, "src", name)
    files = count(src)["files"]
    base = " ".join(q(a) for a in [ringcp, "-a"] + extra)
    rec = {"files": files, "args": ["-a"] + extra}
    with tempfile.TemporaryDirectory() as tmp:
        for how in ("trace", "strace", "time"):
            dst = os.path.join(mnt, "out", f"{name}-{'_'.join(extra) or 'default'}-{how}")
            drop_caches()
            warm_source(src)
            cmd = f"{base} {q(src)}/ {q(dst)}"
            if how == "trace":
                inst = tracing_on()
                try:
                    subprocess.run(["sh", "-c", cmd], check=True)
                finally:
                    c, lost = tracing_off(inst)
                rec["submitted"] = c["io_uring_submit_req"]
                rec["to_io_wq"] = c["io_uring_queue_async_work"]
                rec["events_lost"] = lost
            elif how == "strace":
                rec["syscalls"] = strace_counts(cmd, tmp)
            else:
                rec["time"] = time_counts(cmd, tmp)
            shutil.rmtree(dst, ignore_errors=True)
    return rec


def report(doc):
    """REPORT.md's tables: io-wq hand-offs per opcode, and the calls the
    process made itself per file."""
    rows, calls = [], []
    for cell, r in doc["results"].items():
        ops = sorted(r["submitted"], key=lambda o: -r["submitted"][o])
        rows.append([cell, " ".join(r["args"]), str(r["files"]),
                     ", ".join(f"{o} {r['submitted'][o]}/{r['to_io_wq'].get(o, 0)}"
                               for o in ops),
                     str(r["events_lost"])])
        sc = r["syscalls"]
        top = sorted(sc, key=lambda s: -sc[s])[:4]
        t = r["time"]
        calls.append([cell, " ".join(r["args"]),
                      ", ".join(f"{s} {sc[s] / r['files']:.2f}" for s in top),
                      "%d" % t["minor_faults"],
                      "%.2f / %.2f" % (t["user_s"], t["system_s"])])
    return {"title": "Where ringcp's work goes (profile)",
            "text": "One `ringcp -a` per cell, watched by io_uring's tracepoints"
                    " (requests submitted / handed to an io-wq worker, per"
                    " opcode), by strace -f -c (the calls the process made"
                    " itself, per file, the four most frequent) and by"
                    " /usr/bin/time (minor page faults; user and system CPU"
                    " seconds). Written by `PYTHONPATH=scripts /usr/bin/python3"
                    " -m ringcp_tools.profile_copy`.",
            "tables": [{"head": ["filesystem/dataset", "ringcp", "files",
                                 "submitted/to io-wq per opcode", "events lost"],
                        "rows": rows},
                       {"head": ["filesystem/dataset", "ringcp",
                                 "system calls per file", "minor faults",
                                 "user / system s"], "rows": calls}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringcp", default="build/gcc/ringcp")
    ap.add_argument("--fs", default="ext4,tmpfs")
    ap.add_argument("--datasets", default="big,mib,mixed,tiny")
    ap.add_argument("--out", default=os.path.join("results", "datapath",
                                                  "profile.json"))
    opt = ap.parse_args()
    ringcp = os.path.abspath(opt.ringcp)
    sets = {k: v for k, v in datasets(200, False).items()
            if k in opt.datasets.split(",")}
    # the 1 MiB files again by splice: where the time of read/write goes
    variants = [(name, []) for name in sets]
    if "mib" in sets:
        variants.append(("mib", ["--data=auto"]))
    doc = {"what": __doc__.split("\n\n")[1].strip(),
           "protocol": __doc__.split("\n\n")[2].strip(),
           "seed": SEED, "datasets": {k: {"kind": v[0], "spec": v[1]}
                                      for k, v in sets.items()},
           "git_commit": env.git_commit(env.TOP, (".", ":!results",
                                                  ":!REPORT.md")),
           "env": env.record(ringcp=ringcp, tools=("strace",)),
           "filesystems": {}, "results": {}}
    base = tempfile.mkdtemp(prefix="ringcp-profile.", dir="/var/tmp")
    try:
        for fs in opt.fs.split(","):
            mnt, desc = mount_fs(fs, base)
            doc["filesystems"][fs] = desc
            try:
                for name, (kind, spec) in sets.items():
                    generate(name, kind, spec, SEED, os.path.join(mnt, "src", name))
                os.makedirs(os.path.join(mnt, "out"))
                for name, extra in variants:
                    log(f"profile: {fs}/{name} {' '.join(extra)}")
                    key = f"{fs}/{name}" + (f" {' '.join(extra)}" if extra else "")
                    doc["results"][key] = profile_cell(ringcp, mnt, name, extra)
            finally:
                umount(mnt)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    doc["loadavg_end"] = " ".join(env.loadavg())
    doc["report"] = report(doc)
    dump(doc, opt.out)


if __name__ == "__main__":
    main()
