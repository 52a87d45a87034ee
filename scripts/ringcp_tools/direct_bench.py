# SPDX-License-Identifier: MIT
"""Direct I/O (--direct) measured side by side: one large file copied by
cp --reflink=never, ringcp --direct=never and ringcp --direct=always (both
--reflink=never: no clone on XFS and btrfs), warm, cold and durable, on
fresh filesystems of the bench's matrix (ringcp_tools.fsmatrix: ext4 with
a journal, XFS, btrfs, each on its own image behind a loop device with
direct I/O, and tmpfs); with fio's sequential O_DIRECT write ceiling of
the same size on each (ringcp_tools.fio), the limit the durable copy is
held to.

Protocol (the bench's, ringcp_tools.timing): ROUNDS rounds, each timing
every command once in an order rotated and reversed from round to round;
before every run: sync, the caches dropped, the source read back in (not
in the cold regime); every run writes a fresh destination name, deleted
(then sync) after the run, outside the timing.  Durable is the bench's:
`TOOL ... && sync -f DST` inside the timing, for every tool alike (in
that regime also `ringcp --fsync`, which auto makes direct for large
files).  Medians of the runs, and each command's ratio to cp within each
round (median of the rounds' ratios).

Writes results/datapath/direct.json with the environment record, the
commit and the tables REPORT.md shows ("report", ringcp_tools.report_paths);
no absolute path of the machine.  Root only (mkfs, mount).  --report FILE
only (re)writes FILE's "report" entry from its figures.

  PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.direct_bench \\
      [--size-mib 1024] [--rounds 3] [--fs ext4-journal,xfs,btrfs,tmpfs]
"""
import argparse
import ctypes
import os
import shutil
import statistics
import struct
import subprocess
import tempfile

from . import env, fio, fsmatrix
from .commands import drop_caches, warm_source
from .common import MiB, TOP, die, dump, load, log, q
from .timing import rounds_order, time_one

TAG = "direct-bench"
OUT = os.path.join(TOP, "results", "datapath", "direct.json")
REGIMES = ("warm", "cold", "durable")


def commands(ringcp, regime, extra=()):
    """(label, command template with {src} and {dst}); EXTRA: more
    ringcp option sets, one row each."""
    R = q(ringcp)
    cmds = [("cp", "cp --reflink=never {src} {dst}"),
            ("ringcp --direct=never",
             f"{R} --reflink=never --direct=never {{src}} {{dst}}"),
            ("ringcp --direct=always",
             f"{R} --reflink=never --direct=always {{src}} {{dst}}")]
    if regime == "durable":
        cmds += [("ringcp --fsync --direct=never",
                  f"{R} --reflink=never --fsync --direct=never {{src}} {{dst}}"),
                 ("ringcp --fsync --direct=auto",
                  f"{R} --reflink=never --fsync --direct=auto {{src}} {{dst}}")]
    for opts in extra:
        cmds.append((f"ringcp {opts}",
                     f"{R} --reflink=never {opts} {{src}} {{dst}}"))
    return cmds


class _Errlog:
    """What time_one needs of a runner: where a failed command's stderr
    goes."""

    def __init__(self, d):
        self.errlog = os.path.join(d, "stderr")


def one_group(root, src, size, regime, ringcp, rounds, errs, extra=()):
    """Every command of REGIME, ROUNDS rotated rounds: the group's doc."""
    cmds = commands(ringcp, regime, extra)
    times = {label: [] for label, _ in cmds}
    per_round = []
    seq = 0
    for rnd in range(rounds):
        got = {}
        for label, tmpl in rounds_order(cmds, rnd):
            seq += 1
            dst = os.path.join(root, f"dst-{seq:04d}")
            drop_caches()
            if regime != "cold":
                warm_source(src)
            cmd = tmpl.format(src=q(src), dst=q(dst))
            if regime == "durable":
                cmd += f" && sync -f {q(dst)}"
            t = time_one(errs, cmd)["wall_s"]
            if os.path.getsize(dst) != size:
                die(TAG, f"{label}: the copy has {os.path.getsize(dst)} "
                    f"bytes, not {size}")
            if rnd == 0 and subprocess.run(["cmp", "-s", src, dst]).returncode:
                die(TAG, f"{label}: the copy differs from its source")
            os.unlink(dst)
            os.sync()
            times[label].append(t)
            got[label] = t
        per_round.append(got)
        log(f"  {regime} round {rnd + 1}/{rounds}: " +
            ", ".join(f"{k} {v:.3f}s" for k, v in got.items()))
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = {k: statistics.median(r[k] / r["cp"] for r in per_round)
             for k in times}
    return {"regime": regime,
            "commands": {label: tmpl.replace(q(ringcp), "ringcp")
                         for label, tmpl in cmds},
            "median_s": med,
            "mib_per_s": {k: size / MiB / v for k, v in med.items()},
            "ratio_to_cp_median_of_rounds": ratio,
            "times_s": times}


def bench_fs(m, fs, a, ringcp, errs):
    """One filesystem: made, measured, torn down; its doc."""
    root = m.mount(fs)
    try:
        src = os.path.join(root, "big.bin")
        with open(src, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(MiB))
        os.sync()
        doc = {"filesystem": fs.record,
               "env": env.record(workdir=root, label=fs.name,
                                 ringcp=ringcp,
                                 tools=("fio", "coreutils"))}
        doc["direct_io_alignment"] = dio_align(root)
        if a.fio_rounds and (fs.fstype != "tmpfs" or a.fio_tmpfs):
            log(f"{fs.name}: fio write ceiling, {a.size_mib} MiB")
            runs = fio.rounds(root, a.fio_rounds, f"{a.size_mib}M")
            bws = [d["jobs"][0]["write"]["bw_bytes"] for d in runs["write"]]
            doc["fio_write"] = {"command": "fio --rw=write --bs=1M "
                                "--iodepth=32 --ioengine=io_uring --direct=1 "
                                f"--size={a.size_mib}M",
                                "mib_per_s": statistics.median(bws) / MiB,
                                "mib_per_s_rounds": [b / MiB for b in bws]}
        doc["groups"] = {}
        for regime in a.regimes.split(","):
            if fs.fstype == "tmpfs" and regime != "warm":
                doc["groups"][regime] = {"status": "not run", "reason":
                                         "tmpfs: nothing to drop or sync"}
                continue
            log(f"{fs.name}: {regime}")
            doc["groups"][regime] = one_group(root, src, a.size_mib * MiB,
                                              regime, ringcp, a.rounds, errs,
                                              a.extra)
        g = doc["groups"].get("durable", {})
        if "fio_write" in doc and "mib_per_s" in g:
            doc["durable_fraction_of_fio_write"] = {
                k: v / doc["fio_write"]["mib_per_s"]
                for k, v in g["mib_per_s"].items()}
        return doc
    finally:
        m.unmount(fs)


def dio_align(path):
    """statx's direct I/O alignment (STATX_DIOALIGN) of a file on PATH:
    {"mem_align", "offset_align"}, or None where the filesystem says
    nothing."""
    probe = os.path.join(path, ".dio-probe")
    open(probe, "wb").close()
    try:
        buf = ctypes.create_string_buffer(256)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.statx(-100, probe.encode(), 0, 0x2000, buf):
            return None
        mask, = struct.unpack_from("I", buf, 0)
        if not mask & 0x2000:
            return None
        mem, off = struct.unpack_from("II", buf, 152)
        return {"mem_align": mem, "offset_align": off}
    finally:
        os.unlink(probe)


def report_of(doc):
    """REPORT.md's tables of a run: per regime, each command's median and
    its ratio to cp on each filesystem; fio's fraction in durable."""
    fss = doc["filesystems"]
    tables = []
    for regime in REGIMES:
        rows = []
        for name, f in fss.items():
            g = f.get("groups", {}).get(regime) or {}
            for k, v in (g.get("median_s") or {}).items():
                frac = (f.get("durable_fraction_of_fio_write") or {}).get(k) \
                    if regime == "durable" else None
                rows.append([name, k, f"{v:.3f}",
                             f"{g['ratio_to_cp_median_of_rounds'][k]:.2f}",
                             f"{frac:.2f}" if frac is not None else ""])
        if rows:
            tables.append({"caption": f"{regime}:",
                           "head": ["filesystem", "command", "median s",
                                    "/ cp (rounds' median)",
                                    "of fio's write ceiling"],
                           "rows": rows})
    tuning = "--extra" in doc.get("command", "")
    return {"title": "Direct I/O (`--direct`)" +
            (": block size, queue depth, preallocation" if tuning else ""),
            "text": (f"One file of {doc['size_bytes'] >> 20} MiB, "
                     f"{doc['rounds']} rotated rounds; `{doc['command']}`. "
                     "Direct writes were slower than buffered ones "
                     "everywhere measured, so the default is never."),
            "tables": tables}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fio-rounds", type=int, default=3)
    ap.add_argument("--fio-tmpfs", action="store_true")
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--extra", action="append", default=[],
                    help="more ringcp options, one row each (repeat)")
    ap.add_argument("--fs", default="ext4-journal,xfs,btrfs,tmpfs")
    ap.add_argument("--root", default="/var/tmp/ringcp-direct-bench")
    ap.add_argument("--ringcp", default=os.path.join(TOP, "build", "gcc",
                                                     "ringcp"))
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--report", metavar="FILE")
    a = ap.parse_args()
    if a.report:
        doc = load(a.report)
        doc["report"] = report_of(doc)
        dump(doc, a.report)
        return
    if os.geteuid():
        die(TAG, "needs root (mkfs, mount, drop_caches)")
    ringcp = os.path.abspath(a.ringcp)
    os.environ["BENCH_FILESYSTEMS"] = a.fs
    doc = {"what": __doc__.split("\n\n")[0].strip(),
           "protocol": __doc__.split("\n\n")[1].strip(),
           "commit": env.git_commit(), "size_bytes": a.size_mib * MiB,
           "rounds": a.rounds,
           "command": "PYTHONPATH=scripts /usr/bin/python3 -m "
                      f"ringcp_tools.direct_bench --size-mib {a.size_mib} "
                      f"--rounds {a.rounds} --fs {a.fs} --regimes {a.regimes}"
                      + "".join(f" --extra='{e}'" for e in a.extra),
           "filesystems": {}}
    tmp = tempfile.mkdtemp(prefix="ringcp-direct-bench.")
    try:
        with fsmatrix.Matrix(a.root, "quick") as m:
            for fs in m.filesystems():
                doc["filesystems"][fs.name] = bench_fs(m, fs, a, ringcp,
                                                       _Errlog(tmp))
                dump(doc, a.out)	# what is done so far
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    doc["report"] = report_of(doc)
    dump(doc, a.out)
    log(f"wrote {os.path.relpath(a.out, TOP)}")


if __name__ == "__main__":
    main()
