# SPDX-License-Identifier: MIT
"""The environment record: the one writer of the "env" block that every
result JSON carries (make bench's env.json, the gate's record and baseline,
the measurement drivers, results/safety.json).

    record(workdir=None, label="WORKDIR", ringcp=None, tools=BENCH_TOOLS)

returns, in this order: date_utc, hostname, kernel, machine, nproc,
cpu_model, mem_total_bytes; with a WORKDIR the filesystem under it
(workdir, fs_type_statf, fs_type_mount, fs_source, fs_options, fs_journal,
fs_loop_backing); the compilers and liburing (gcc, clang, liburing2,
liburing_dev); the version line of each of TOOLS (hyperfine, fio,
coreutils, rsync, tar, strace); with a RINGCP binary its ringcp_sha256,
ringcp_version and ringcp_default_buffers; last loadavg_start.

No absolute path of the machine is recorded: a path inside the repository
is written relative to it, any other (the scratch filesystem, a loop
device's image) as the LABEL that named it or as its last component.

make bench's env.json is this record and the run's context (bench_env):

    python3 -m ringcp_tools.env print [--workdir DIR] [--label NAME]
                                      [--ringcp PATH] [--tools a,b,...]
        the record as JSON on stdout
    python3 -m ringcp_tools.env bench OUT_JSON MODE SEED BENCH_DIR RINGCP COMMAND
        make bench's env.json at the start of the run
    python3 -m ringcp_tools.env finish OUT_JSON WALL_SECONDS
        adds bench_wall_s and loadavg_end to it at the end
"""
import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time

from .commands import capabilities
from .common import TOP, die, dump, first_line, load, load_or_none, loadavg, out_of

# the version line of each tool the bench runs: name -> command
TOOL_VERSION = {
    "hyperfine": ["hyperfine", "--version"],
    "fio": ["fio", "--version"],
    "coreutils": ["cp", "--version"],
    "rsync": ["rsync", "--version"],
    "tar": ["tar", "--version"],
    "strace": ["strace", "-V"],
}
BENCH_TOOLS = tuple(TOOL_VERSION)


def portable(path, label):
    """PATH relative to the repository when it lies inside it, else LABEL:
    what a record may say of a path without naming the machine's."""
    real, top = os.path.realpath(path), os.path.realpath(TOP)
    if real == top or real.startswith(top + os.sep):
        return os.path.relpath(real, top)
    return label


def git_commit(repo=TOP, pathspec=()):
    """HEAD's commit of REPO ("unknown" outside git), with "-dirty" when a
    tracked file under PATHSPEC (git pathspecs; () is the whole tree)
    differs from it."""
    c = out_of(["git", "-C", repo, "rev-parse", "HEAD"]) or "unknown"
    dirty = out_of(["git", "-C", repo, "status", "--porcelain",
                    "--untracked-files=no", "--", *pathspec])
    return c + ("-dirty" if dirty else "")


def code_commit(repo=TOP):
    """The last commit of REPO that changed anything but results/ and
    REPORT.md (the code a measurement ran), with "-dirty" when such a file
    differs from HEAD: a commit of results alone, as between the pieces
    of a bench run, does not change it."""
    spec = (".", ":!results", ":!REPORT.md")
    c = out_of(["git", "-C", repo, "log", "-1", "--format=%H", "--", *spec]) \
        or "unknown"
    dirty = out_of(["git", "-C", repo, "status", "--porcelain",
                    "--untracked-files=no", "--", *spec])
    return c + ("-dirty" if dirty else "")


def dpkg_version(pkg):
    """The installed version of a Debian package, or "missing"."""
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                       capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else "missing"


def _machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:"))
    u = os.uname()
    return {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "hostname": socket.gethostname(), "kernel": u.release,
            "machine": u.machine, "nproc": len(os.sched_getaffinity(0)),
            "cpu_model": cpu, "mem_total_bytes": mem * 1024}


def _filesystem(workdir, label):
    """The filesystem holding WORKDIR: type (statfs's name and the
    mount's), device, mount options, whether an ext4 has a journal ("" if
    not ext4) and a loop device's backing file and direct-I/O flag."""
    def mnt(col):
        return out_of(["findmnt", "-no", col, "-T", workdir])
    src, fstype = mnt("SOURCE"), mnt("FSTYPE")
    journal = ""
    if fstype == "ext4":
        feats = out_of(f"dumpe2fs -h {src} 2>/dev/null")
        journal = "yes" if re.search(r"^Filesystem features:.*has_journal",
                                     feats, re.M) else "no"
    loop = ""
    if src.startswith("/dev/loop"):
        back = out_of(["losetup", "-nO", "BACK-FILE,DIO", src]).split()
        if back:
            loop = " ".join([os.path.basename(back[0])] + back[1:])
    return {"workdir": portable(workdir, label),
            "fs_type_statf": out_of(["stat", "-f", "-c", "%T", workdir]),
            "fs_type_mount": fstype, "fs_source": src,
            "fs_options": mnt("OPTIONS"), "fs_journal": journal,
            "fs_loop_backing": loop}


def _ringcp(ringcp):
    with open(ringcp, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    help_text = out_of([ringcp, "--help"])
    m = re.search(r"^ *\(default ([a-z]*)\)$", help_text, re.M) or \
        re.search(r"--buffers=[a-z|]+ \(default ([a-z]+)\)", help_text)
    return {"ringcp_sha256": sha,
            "ringcp_version": first_line([ringcp, "--version"]),
            "ringcp_default_buffers": m.group(1) if m else ""}


def record(workdir=None, label="WORKDIR", ringcp=None, tools=BENCH_TOOLS):
    """The environment record as a dict (keys in the module's order).
    workdir: a directory on the filesystem measured (None: no fs_* keys);
    label: what to write for it when it lies outside the repository;
    ringcp: the binary measured (None: no ringcp_* keys); tools: the
    names of TOOL_VERSION to record."""
    env = _machine()
    if workdir:
        env.update(_filesystem(workdir, label))
    env.update(gcc=first_line(["gcc", "--version"]),
               clang=first_line(["clang", "--version"]),
               liburing2=dpkg_version("liburing2"),
               liburing_dev=dpkg_version("liburing-dev"))
    for t in tools:
        env[t] = first_line(TOOL_VERSION[t])
    if ringcp:
        env.update(_ringcp(ringcp))
    env["loadavg_start"] = " ".join(loadavg())
    return env


def bench_env(bench_dir, ringcp, mode, seed, command):
    """make bench's env.json: the record of BENCH_DIR's filesystem and the
    RINGCP measured, with the run's mode, seed, command, the commit (dirty
    when tracked files other than the results differ), root or not, and
    what ringcp can do (caps)."""
    env = record(bench_dir, "BENCH_DIR", ringcp)
    env.update(mode=mode, seed=int(seed),
               bench_dir=portable(bench_dir, "BENCH_DIR"),
               ringcp=portable(ringcp, "RINGCP"),
               git_commit=code_commit(TOP),
               command=command, root=os.geteuid() == 0,
               caps=capabilities(ringcp))
    return env


def earlier_pieces(out, mode, seed):
    """With BENCH_APPEND=1 (a bench run in pieces), the pieces OUT's
    env.json recorded, less the filesystems this run measures again (a
    piece left with none is dropped; one left with some keeps its whole
    wall time); otherwise none.  Exits 1 when OUT holds a run of another
    mode or seed: its results would be mixed with this run's.  A piece:
    {filesystems, git_commit, ringcp_sha256, date_utc, wall_s,
    loadavg_start, loadavg_end}."""
    old = load_or_none(out) if os.environ.get("BENCH_APPEND") == "1" else None
    if not old:
        return []
    if (old.get("mode"), old.get("seed")) != (mode, int(seed)):
        die("env", f"BENCH_APPEND=1, but {out} holds a {old.get('mode')} run "
            f"(seed {old.get('seed')}), not {mode} (seed {seed}): its results "
            "would be mixed with this run's; run the first piece without "
            "BENCH_APPEND")
    now = set(measured_filesystems(mode))
    kept = []
    for p in old.get("pieces", []):
        left = [f for f in p["filesystems"] if f not in now]
        if left:
            kept.append(dict(p, filesystems=left))
    return kept


def measured_filesystems(mode):
    """The filesystem names a bench run of MODE measures now: the matrix's
    (BENCH_FILESYSTEMS applied), or "dir" for a directory as found."""
    if os.environ.get("BENCH_FS") == "dir" or os.geteuid() != 0:
        return ["dir"]
    from .fsmatrix import names
    return names(mode)


def piece(env, wall_s):
    """This run's piece of ENV (see earlier_pieces)."""
    return {"filesystems": measured_filesystems(env["mode"]),
            "git_commit": env["git_commit"],
            "ringcp_sha256": env.get("ringcp_sha256", ""),
            "date_utc": env["date_utc"], "wall_s": wall_s,
            "loadavg_start": env["loadavg_start"],
            "loadavg_end": " ".join(loadavg())}


def main():
    ap = argparse.ArgumentParser(prog="ringcp_tools.env",
                                 description="The environment record.")
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("print", help="the record as JSON on stdout")
    p.add_argument("--workdir")
    p.add_argument("--label", default="WORKDIR")
    p.add_argument("--ringcp")
    p.add_argument("--tools", default=",".join(BENCH_TOOLS))
    p = sub.add_parser("bench", help="make bench's env.json")
    for a in ("out", "mode", "seed", "bench_dir", "ringcp", "command"):
        p.add_argument(a)
    p = sub.add_parser("finish", help="the bench's closing figures")
    p.add_argument("out")
    p.add_argument("wall_s", type=int)
    a = ap.parse_args()
    if a.what == "print":
        tools = [t for t in a.tools.split(",") if t]
        json.dump(record(a.workdir, a.label, a.ringcp, tools), sys.stdout,
                  indent=1)
        print()
    elif a.what == "bench":
        env = bench_env(a.bench_dir, a.ringcp, a.mode, a.seed, a.command)
        env["pieces"] = earlier_pieces(a.out, env["mode"], a.seed)
        dump(env, a.out)
    else:
        env = load(a.out)
        env.setdefault("pieces", []).append(piece(env, a.wall_s))
        env["bench_wall_s"] = sum(p["wall_s"] for p in env["pieces"])
        env["loadavg_end"] = " ".join(loadavg())
        dump(env, a.out)


if __name__ == "__main__":
    main()
