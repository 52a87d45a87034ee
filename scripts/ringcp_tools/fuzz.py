# SPDX-License-Identifier: MIT
"""The lifecycle fuzzer's driver (docs/fuzz.md): the seed corpus, a run,
coverage, and the detection power against the engine's mutants.

    python3 -m ringcp_tools.fuzz seed [--corpus fuzz/corpus]
        write the seed programs (the scenarios' plans) into the corpus
    python3 -m ringcp_tools.fuzz run --seconds N --json OUT [--merge]
        fuzz build/fuzz/lifecycle from fuzz/corpus for N seconds; with
        --merge the new inputs that add coverage join fuzz/corpus; the
        coverage of the corpus from build/fuzz-cov/lifecycle (llvm-cov);
        exit 1 on a crash (its reproducer stays in build/fuzz/crashes/)
    python3 -m ringcp_tools.fuzz mutants --seconds N --json OUT [--only M,..]
        each mutant's fuzz target from the committed corpus, one at a
        time: seconds and executions to the first crash, and what caught it
    python3 -m ringcp_tools.fuzz print INPUT
        the program an input decodes to (FZ_VERBOSE replay)
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from . import env as envmod
from .common import TOP, die, dump, log

FUZZ = os.path.join(TOP, "build", "fuzz")
TARGET = os.path.join(FUZZ, "lifecycle")
COV_TARGET = os.path.join(TOP, "build", "fuzz-cov", "lifecycle")
CORPUS = os.path.join(TOP, "fuzz", "corpus")
DICT = os.path.join(TOP, "fuzz", "lifecycle.dict")
MUTANT_LIST = os.path.join(TOP, "scenarios", "mutants.list")
MAX_LEN = 256

# the decoder's steps (fuzz/lifecycle.c, enum fz_step), and their arguments
STEPS = ["new_ring", "read", "write", "openat", "statx", "close", "linkat",
         "nop", "submit", "flush", "cancel", "cancel_fd", "cancel_all",
         "reap", "wait_posted", "release", "fill", "destroy", "put",
         "stale", "stall", "drain", "copy", "pump", "pump_abort", "tree",
         "splice"]
ARGS = {"new_ring": 2, "read": 4, "write": 4, "openat": 3, "statx": 3,
        "close": 3, "linkat": 2, "nop": 2, "submit": 1, "cancel": 1,
        "cancel_fd": 2, "reap": 2, "release": 2, "fill": 1, "put": 1,
        "stale": 1, "stall": 1, "copy": 3, "pump": 2, "tree": 4,
        "splice": 3}
# argument values
HEAP, POOL, FIXED, RING, SYNC_HEAP, SYNC_POOL = range(6)
E4, E8, E32 = 0, 1, 3
DATA, HOLD, OPENED, BAD = 0, 1, 2, 3
LINK, HARDLINK, ASYNC, LT_1US, LT_1MS, DRAIN = 1, 2, 4, 8, 8 | 16, 0x40
SEL = 0x10
ANY, SYNC = 2, 1
# tree: files in flight - 1 (3 bits) | destination layout << 3 (absent, an
# empty dir, sub/ made, sub/ and an old f1); depth - 1 (3 bits) | block
# (4096 << n) << 3; the turn to abort at (0: never); how
T_ABSENT, T_EMPTY, T_SUB, T_OLD = 0, 8, 16, 24
T_STOP, T_HARDLINKS, T_OWN_RING, T_64 = 1, 2, 4, 8
T_SPLICE, T_AUTO, T_ONE_PIPE = 16, 32, 48	# the tree's data path
# splice: depth - 1 (2 bits) | pairs - 1 << 2 | two pumps sharing a pool;
# chunk 64K (1) | auto (2); the turn to cancel (abort the first pump) at
S_TWO, S_64K, S_AUTO = 0x10, 1, 2

# The seed programs: the scenarios' plans, one step a tuple.
SEEDS = {
    "cancel_before_submit": [("read", 0, DATA, 1, 0), ("submit", 0),
                             ("cancel", 0), ("flush",), ("reap", 7, 0)],
    "cancel_poll_armed": [("read", 0, HOLD, 1, 0), ("submit", 0),
                          ("write", 1, HOLD, 1, 0), ("submit", 1),
                          ("flush",), ("cancel", 0), ("cancel", 1),
                          ("reap", 7, 1), ("reap", 7, 1)],
    "cancel_io_wq": [("stall", 0), ("cancel", 0), ("reap", 1, 1),
                     ("release", 2, 0), ("reap", 7, 1)],
    "cancel_completed": [("read", 0, DATA, 1, 0), ("submit", 0),
                         ("write", 1, DATA, 1, 0), ("submit", 1),
                         ("flush",), ("wait_posted",), ("cancel", 0),
                         ("cancel", 1), ("drain",)],
    "cancel_reaped": [("read", 0, DATA, 1, 0), ("submit", 0), ("flush",),
                      ("wait_posted",), ("reap", 0, 1), ("cancel", 0),
                      ("reap", 7, 1)],
    "chain_cancel_head": [("read", 0, DATA, 1, LINK),
                          ("write", 1, DATA, 1, 0), ("submit", 0),
                          ("submit", 1), ("flush",), ("cancel", 0),
                          ("reap", 7, 1), ("reap", 7, 1)],
    "chain_cancel_tail": [("read", 0, HOLD, 1, LINK),
                          ("write", 1, DATA, 1, 0), ("submit", 0),
                          ("submit", 1), ("flush",), ("cancel", 1),
                          ("release", 0, 8), ("reap", 7, 1), ("reap", 7, 1)],
    "chain_cancel_queued_middle": [("read", 0, DATA, 1, LINK),
                                   ("read", 1, HOLD, 1, LINK),
                                   ("nop", 2, 0), ("submit", 0),
                                   ("submit", 1), ("submit", 2),
                                   ("cancel_fd", HOLD, 0), ("flush",),
                                   ("reap", 7, 1), ("reap", 7, 1)],
    "link_timeout": [("read", 0, HOLD, 1, LT_1US), ("submit", 0),
                     ("flush",), ("reap", 7, 1), ("reap", 7, 1)],
    "cancel_fd_any": [("fill", 3), ("cancel_fd", HOLD, 0),
                      ("reap", 7, 1), ("fill", 2),
                      ("cancel_fd", HOLD, ANY), ("reap", 7, 1)],
    "sync_cancel": [("fill", 4), ("cancel_fd", HOLD, SYNC),
                    ("reap", 7, 1), ("fill", 2),
                    ("cancel_fd", HOLD, SYNC | ANY), ("drain",)],
    "teardown_in_flight": [("fill", 4), ("read", 5, DATA, 1, 0),
                           ("submit", 5), ("destroy",)],
    "drain_timeout": [("stall", 0), ("destroy",), ("release", 2, 0)],
    "stale_cqe": [("nop", 0, 0), ("submit", 0), ("flush",), ("reap", 1, 1),
                  ("read", 0, HOLD, 1, 0), ("submit", 0), ("flush",),
                  ("stale", 0), ("reap", 7, 1), ("release", 0, 4),
                  ("reap", 7, 1)],
    "completed_openat": [("openat", 0, 0, 0), ("submit", 0), ("flush",),
                         ("wait_posted",), ("cancel", 0), ("drain",)],
    "openat_then_read": [("openat", 0, 2, 0), ("submit", 0),
                         ("reap", 1, 1), ("write", 1, OPENED, 1, 0),
                         ("submit", 1), ("reap", 1, 1)],
    "statx_behind_held_read": [("read", 0, HOLD, 1, LINK),
                               ("statx", 1, 0, 0), ("submit", 0),
                               ("submit", 1), ("flush",), ("cancel", 1),
                               ("release", 0, 4), ("reap", 7, 1)],
    "statx_io_wq": [("statx", 0, 1, ASYNC), ("submit", 0), ("flush",),
                    ("cancel", 0), ("reap", 7, 1)],
    "close_behind_held_read": [("read", 0, HOLD, 1, LINK),
                               ("close", 1, DATA, 0), ("submit", 0),
                               ("submit", 1), ("flush",), ("cancel", 0),
                               ("reap", 7, 1), ("reap", 7, 1)],
    "close_cancelled_queued": [("close", 0, DATA, 0), ("submit", 0),
                               ("cancel", 0), ("flush",)],
    "linkat": [("linkat", 0, 0), ("submit", 0), ("flush",), ("reap", 1, 1),
               ("linkat", 0, ASYNC), ("submit", 0), ("cancel", 0),
               ("drain",)],
    "sq_full": [("new_ring", HEAP, E4), ("fill", 8), ("cancel_all",),
                ("drain",), ("fill", 8), ("destroy",)],
    "pool_reuse": [("new_ring", POOL, E8), ("read", 0, DATA, 1, 0),
                   ("submit", 0), ("flush",), ("cancel", 0),
                   ("read", 1, DATA, 1, 0), ("submit", 1), ("drain",),
                   ("reap", 7, 0)],
    "fixed_table_full": [("new_ring", FIXED, E32), ("fill", 6),
                         ("read", 6, DATA, 1, 0), ("submit", 6),
                         ("flush",), ("cancel_all",), ("drain",)],
    "fixed_teardown": [("new_ring", FIXED, E8), ("fill", 2), ("destroy",)],
    "ring_completed_read": [("new_ring", RING, E8),
                            ("read", 0, DATA, 1 | SEL, 0), ("submit", 0),
                            ("read", 1, DATA, 1 | SEL, 0), ("submit", 1),
                            ("flush",), ("wait_posted",), ("cancel", 0),
                            ("reap", 7, 1), ("drain",)],
    "ring_select_held": [("new_ring", RING, E8),
                         ("read", 0, HOLD, 1 | SEL, 0), ("submit", 0),
                         ("flush",), ("release", 0, 2), ("reap", 7, 1),
                         ("write", 0, DATA, 1, 0), ("submit", 0),
                         ("reap", 7, 1)],
    "fallback": [("new_ring", SYNC_HEAP, E8), ("read", 0, DATA, 1, 0),
                 ("submit", 0), ("statx", 1, 0, 0), ("submit", 1),
                 ("cancel_fd", DATA, 0), ("flush",), ("reap", 7, 0),
                 ("new_ring", SYNC_POOL, E8), ("write", 0, DATA, 1, 0),
                 ("submit", 0), ("reap", 7, 0)],
    "switch_strategies": [("new_ring", POOL, E8), ("fill", 2),
                          ("new_ring", RING, E8), ("fill", 2),
                          ("new_ring", FIXED, E8), ("fill", 2)],
    "copy": [("copy", 1, 0, 0)],
    "copy_pool_deep": [("new_ring", POOL, E8), ("copy", 3, 1, 0)],
    "copy_chaos": [("copy", 3, 0, 3), ("copy", 2, 1, 1)],
    "copy_ring": [("new_ring", RING, E8), ("copy", 3, 0, 0)],
    "copy_fallback": [("new_ring", SYNC_POOL, E8), ("copy", 2, 0, 0)],
    "pump_reaped": [("pump", 1, 1)] + [("reap", 7, 1)] * 20,
    "pump_pool": [("new_ring", POOL, E8), ("pump", 3, 1)]
                 + [("reap", 7, 1)] * 8,
    "pump_cancel_all": [("pump", 2, 0), ("reap", 7, 1), ("cancel_all",),
                        ("drain",)],
    "pump_abort": [("pump", 3, 0), ("reap", 2, 1), ("pump_abort",),
                   ("drain",)],
    "pump_beside_held_reads": [("pump", 2, 2), ("fill", 2), ("reap", 7, 1),
                               ("reap", 7, 1), ("destroy",)],
    "drain_flagged_held_read": [("read", 0, HOLD, 1, LINK | DRAIN),
                                ("submit", 0), ("flush",), ("reap", 7, 1),
                                ("reap", 7, 1)],
    "fixed_held_reads_torn_down": [("new_ring", FIXED, E4),
                                   ("read", 1, HOLD, 3 | SEL,
                                    HARDLINK | ASYNC),
                                   ("submit", 1), ("fill", 7)],
    "cancel_twice": [("read", 0, HOLD, 1, 0), ("submit", 0), ("flush",),
                     ("cancel", 0), ("cancel_all",), ("cancel_fd", 0, ANY),
                     ("drain",)],
    # tree_chaos's and drain_timeout's plans: a tree copy that goes
    # through, and aborts (chaos, or the stop flag) at early and later turns
    "tree_whole": [("tree", 3, 1 | 8, 0, 0)],
    "tree_abort_early": [("tree", 3, 1 | 8, 3, 0)],
    "tree_abort_mid": [("tree", 7 | T_SUB, 2, 8, 0)],
    "tree_abort_late": [("tree", 1 | T_EMPTY, 3 | 16, 14, T_HARDLINKS)],
    "tree_stop": [("tree", 3 | T_OLD, 1 | 16, 5, T_STOP | T_HARDLINKS)],
    "tree_pool_ring": [("new_ring", POOL, E32), ("tree", 7 | T_OLD, 3, 8, 0)],
    "tree_buffer_ring": [("new_ring", RING, E32), ("tree", 5, 1 | 8, 6, 0)],
    "tree_fixed": [("new_ring", FIXED, E32),
                   ("tree", 3 | T_SUB, 1 | 8, 0, T_HARDLINKS)],
    "tree_fallback": [("new_ring", SYNC_HEAP, E32),
                      ("tree", 3, 3, 4, T_HARDLINKS)],
    "tree_beside_held_reads": [("fill", 2), ("tree", 3, 1 | 8, 4, T_64),
                               ("cancel_all",), ("drain",)],
    # splice pairs (fuzz/splice.c): a copy through a pool, one cut in
    # flight; two pumps sharing one pipe, the first aborted; trees by
    # splice, auto, and through one pipe (files wait for it)
    "splice_copy": [("splice", 3 | 4, 0, 0)],
    "splice_cut": [("splice", 3, 0, 3), ("splice", 1 | 4, S_AUTO, 2)],
    "splice_shared_pool": [("splice", 1 | S_TWO, S_64K, 0)],
    "splice_shared_abort": [("splice", 0 | S_TWO, 0, 2),
                            ("splice", 3 | 4 | S_TWO, S_64K, 5)],
    "splice_fallback": [("new_ring", SYNC_HEAP, E8), ("splice", 1, 0, 1)],
    "tree_splice": [("tree", 3, 1 | 8, 0, T_SPLICE)],
    "tree_splice_abort": [("tree", 7, 2, 6, T_SPLICE | T_HARDLINKS)],
    "tree_auto_stop": [("tree", 3 | T_OLD, 1 | 16, 5, T_AUTO | T_STOP)],
    "tree_one_pipe": [("tree", 7, 3, 0, T_ONE_PIPE)],
    "tree_one_pipe_abort": [("tree", 7, 3, 9, T_ONE_PIPE)],
}


def assemble(program):
    """The bytes of a program of (step, args...) tuples."""
    out = bytearray()
    for st in program:
        name, args = st[0], list(st[1:])
        args += [0] * (ARGS.get(name, 0) - len(args))
        out.append(STEPS.index(name))
        out.extend(a & 0xff for a in args)
    return bytes(out)


def seed(corpus):
    os.makedirs(corpus, exist_ok=True)
    for name, prog in SEEDS.items():
        with open(os.path.join(corpus, "seed-" + name), "wb") as f:
            f.write(assemble(prog))
    log(f"fuzz: {len(SEEDS)} seed programs in {os.path.relpath(corpus, TOP)}")


def write_dict(path):
    """libFuzzer's dictionary: each step with typical arguments."""
    lines = ["# the lifecycle decoder's steps (ringcp_tools.fuzz writes it)"]
    for name, prog in sorted(SEEDS.items()):
        for st in prog:
            tok = assemble([st])
            lines.append('%s="%s"' % (st[0], "".join("\\x%02x" % b
                                                      for b in tok)))
    with open(path, "w") as f:
        f.write("\n".join(dict.fromkeys(lines)) + "\n")


STAT_RE = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
STATUS_RE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)", re.M)


def remove_stale_dirs():
    """The work directories (/tmp/rc-fuzz-PID-*, the tree's on
    /dev/shm) of fuzz processes that died by a sanitizer's report (no exit
    handler ran)."""
    for d in glob.glob("/tmp/rc-fuzz-*-*") + glob.glob("/dev/shm/rc-fuzz-*-*"):
        m = re.match(r"/(?:tmp|dev/shm)/rc-fuzz-(\d+)-", d)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            shutil.rmtree(d, ignore_errors=True)


def libfuzzer(binary, corpora, seconds, artifacts, extra=(), log_path=None):
    """Run libFuzzer; returns (exit code, wall seconds, output text)."""
    os.makedirs(artifacts, exist_ok=True)
    cmd = [binary, f"-max_total_time={seconds}", f"-max_len={MAX_LEN}",
           "-print_final_stats=1", "-timeout=30", "-rss_limit_mb=4096",
           f"-artifact_prefix={artifacts}/"]
    if os.path.exists(DICT):
        cmd.append(f"-dict={DICT}")
    cmd += list(extra) + list(corpora)
    envv = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=envv, timeout=seconds + 600)
    wall = time.monotonic() - t0
    remove_stale_dirs()
    text = p.stdout.decode(errors="replace")
    if log_path:
        with open(log_path, "w") as f:
            f.write(text)
    return p.returncode, wall, text


def stats_of(text):
    st = {k: int(v) for k, v in STAT_RE.findall(text)}
    status = STATUS_RE.findall(text)
    if status and "number_of_executed_units" not in st:
        st["number_of_executed_units"] = int(status[-1][0])
    if status:
        st["cov"] = int(status[-1][1])
        st["ft"] = int(status[-1][2])
    return st


def finding_of(text):
    """What caught the crash: the detector and its first line."""
    for pat, kind in ((r"VIOLATION \[([\w-]+)\] (.*)", "harness"),
                      (r"FUZZ VIOLATION: (.*)", "decoder"),
                      (r"ERROR: AddressSanitizer: ([\w-]+.*)", "asan"),
                      (r"ERROR: LeakSanitizer: (.*)", "lsan"),
                      (r"runtime error: (.*)", "ubsan"),
                      (r"ERROR: libFuzzer: (.*)", "libfuzzer")):
        m = re.search(pat, text)
        if m:
            if kind == "harness":
                return {"by": "harness:" + m.group(1),
                        "what": m.group(2)[:200]}
            return {"by": kind, "what": m.group(1)[:200]}
    return None


def coverage(corpus, workdir):
    """Line, region, function and branch coverage of engine/core,
    engine/copy, engine/tree (and the engine) from replaying the corpus in
    the coverage build."""
    if not os.path.exists(COV_TARGET):
        return None
    for f in glob.glob(os.path.join(workdir, "*.profraw")):
        os.unlink(f)
    envv = dict(os.environ,
                LLVM_PROFILE_FILE=os.path.join(workdir, "%p.profraw"))
    subprocess.run([COV_TARGET, "-runs=0", f"-max_len={MAX_LEN}", corpus],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=envv, timeout=1800)
    raws = glob.glob(os.path.join(workdir, "*.profraw"))
    if not raws:
        return None
    prof = os.path.join(workdir, "corpus.profdata")
    subprocess.run(["llvm-profdata-14", "merge", "-sparse", "-o", prof] + raws,
                   check=True)
    out = subprocess.run(["llvm-cov-14", "export", "-summary-only",
                          "-instr-profile=" + prof, COV_TARGET],
                         stdout=subprocess.PIPE, check=True).stdout
    doc = json.loads(out)
    sums = {}
    for f in doc["data"][0]["files"]:
        rel = os.path.relpath(f["filename"], TOP)
        for scope in ("engine/core/", "engine/copy/", "engine/tree/",
                      "engine/"):
            if rel.startswith(scope):
                s = sums.setdefault(scope.rstrip("/"), {})
                for k in ("lines", "regions", "functions", "branches"):
                    a = s.setdefault(k, {"covered": 0, "count": 0})
                    a["covered"] += f["summary"][k]["covered"]
                    a["count"] += f["summary"][k]["count"]
    for s in sums.values():
        for a in s.values():
            a["percent"] = round(100.0 * a["covered"] / a["count"], 1) \
                if a["count"] else 0.0
    per_file = {"engine/core/": {}, "engine/tree/": {}}
    for f in doc["data"][0]["files"]:
        rel = os.path.relpath(f["filename"], TOP)
        for scope, files in per_file.items():
            if rel.startswith(scope):
                files[rel] = round(f["summary"]["lines"]["percent"], 1)
    return {"tool": "llvm-cov-14 export -summary-only",
            "corpus_inputs": len(os.listdir(corpus)),
            "scopes": sums,
            "engine_core_lines_percent_by_file":
                dict(sorted(per_file["engine/core/"].items())),
            "engine_tree_lines_percent_by_file":
                dict(sorted(per_file["engine/tree/"].items()))}


def crashes_in(artifacts):
    return sorted(os.path.relpath(p, TOP) for p in
                  glob.glob(os.path.join(artifacts, "crash-*")) +
                  glob.glob(os.path.join(artifacts, "leak-*")) +
                  glob.glob(os.path.join(artifacts, "timeout-*")) +
                  glob.glob(os.path.join(artifacts, "oom-*")))


def cmd_run(a):
    target = a.binary or TARGET
    if not os.path.exists(target):
        die("fuzz", f"{os.path.relpath(target, TOP)} is not built "
            "(make fuzz-build)", 2)
    if not os.listdir(CORPUS):
        seed(CORPUS)
    work = os.path.join(FUZZ, "work-corpus")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(CORPUS, work)
    artifacts = os.path.join(FUZZ, "crashes")
    before = set(crashes_in(artifacts))
    log(f"fuzz: {a.seconds} s from {len(os.listdir(CORPUS))} inputs")
    rc, wall, text = libfuzzer(target, [work], a.seconds, artifacts,
                               log_path=os.path.join(FUZZ, "run.log"))
    st = stats_of(text)
    new_crashes = sorted(set(crashes_in(artifacts)) - before)
    merged = 0
    if a.merge and not new_crashes:
        n0 = len(os.listdir(CORPUS))
        subprocess.run([TARGET, "-merge=1", f"-max_len={MAX_LEN}",
                        CORPUS, work], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=1800)
        merged = len(os.listdir(CORPUS)) - n0
        log(f"fuzz: {merged} new input(s) merged into fuzz/corpus")
    covdir = os.path.join(TOP, "build", "fuzz-cov", "prof")
    os.makedirs(covdir, exist_ok=True)
    cov = None if a.no_coverage else coverage(CORPUS if a.merge else work,
                                               covdir)
    execs = st.get("number_of_executed_units", 0)
    doc = {
        "what": "lifecycle fuzzing (fuzz/, docs/fuzz.md)",
        "command": f"make fuzz FUZZ_S={a.seconds}" if a.merge else
                   f"make fuzz-ci FUZZ_S={a.seconds}",
        "commit": envmod.git_commit(),
        "seconds": a.seconds,
        "wall_seconds": round(wall, 1),
        "executions": execs,
        "executions_per_second": round(execs / wall, 1) if wall else 0,
        "libfuzzer_exec_per_s": st.get("average_exec_per_sec"),
        "edges_covered": st.get("cov"),
        "features": st.get("ft"),
        "new_units": st.get("new_units_added"),
        "peak_rss_mb": st.get("peak_rss_mb"),
        "corpus_merged_new": merged,
        "corpus_inputs": len(os.listdir(CORPUS)),
        "crashes": len(new_crashes),
        "crash_files": new_crashes,
        "finding": finding_of(text) if rc else None,
        "coverage": cov,
        "env": envmod.record(tools=()),
    }
    dump(doc, a.json)
    log(f"fuzz: {execs} executions ({doc['executions_per_second']}/s), "
        f"{len(new_crashes)} crash(es); {os.path.relpath(a.json, TOP)}")
    for scope in ("engine/core", "engine/tree") if cov else ():
        s = cov["scopes"].get(scope, {})
        log("fuzz: %s coverage: lines %s%%, branches %s%%" % (
            scope, s.get("lines", {}).get("percent"),
            s.get("branches", {}).get("percent")))
    if rc or new_crashes:
        print(f"fuzz: CRASH (exit {rc}); reproducer(s): "
              f"{' '.join(new_crashes) or '(none written)'}; log: "
              "build/fuzz/run.log; replay: python3 -m ringcp_tools.fuzz "
              "print FILE", file=sys.stderr)
        return 1
    return 0


def mutant_names():
    names = []
    with open(MUTANT_LIST) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                m = line.split()[0]
                if m not in names:
                    names.append(m)
    return names


# Mutants the decoder cannot reach, and why (its tree step drives
# engine/tree, where fd_close_early and job_free_early live).
OUT_OF_REACH = {
    "pipe_close_early": "the decoder has no splice step: its copies and "
                        "pumps take the read/write data path",
    "pipe_reuse_dirty": "the decoder has no splice step: its copies and "
                        "pumps take the read/write data path",
    "clone_under_pump": "the clone path needs files on a filesystem that "
                        "clones (XFS, btrfs); the fuzzer's are not "
                        "(tree_chaos --fs=xfs drives it)",
}


def cmd_mutants(a):
    only = a.only.split(",") if a.only else None
    rows = []
    for m in mutant_names():
        if only and m not in only:
            continue
        binary = os.path.join(FUZZ, "mutants", m, "lifecycle")
        row = {"mutant": m, "budget_s": a.seconds}
        if m in OUT_OF_REACH:
            row.update(found=False, out_of_reach=True,
                       reason=OUT_OF_REACH[m])
            rows.append(row)
            log(f"fuzz: {m}: skipped: {OUT_OF_REACH[m]}")
            continue
        if not os.path.exists(binary):
            die("fuzz", f"{os.path.relpath(binary, TOP)} is not built "
                "(make fuzz-mutants)", 2)
        work = tempfile.mkdtemp(prefix="fz-corpus-", dir=FUZZ)
        artifacts = os.path.join(FUZZ, "mutants", m, "crashes")
        shutil.rmtree(artifacts, ignore_errors=True)
        rc, wall, text = libfuzzer(binary, [work, CORPUS], a.seconds,
                                   artifacts, log_path=os.path.join(
                                       FUZZ, "mutants", m, "run.log"))
        shutil.rmtree(work, ignore_errors=True)
        st = stats_of(text)
        # a process the kernel killed (a fault whose signal could not be
        # delivered) keeps no input, but what the oracle printed first
        # (a harness violation) is the finding
        killed = rc < 0 and finding_of(text) is not None
        found = rc != 0 and (bool(crashes_in(artifacts)) or killed)
        row.update(found=found, seconds=round(wall, 1),
                   executions=st.get("number_of_executed_units"))
        if found:
            row.update(finding_of(text) or {})
            if crashes_in(artifacts):
                row["reproducer"] = crashes_in(artifacts)[0]
            else:
                row["killed_by_signal"] = -rc
                row["reproducer"] = None
        else:
            row["reason"] = a.reasons.get(m, "not found within the budget")
        rows.append(row)
        log(f"fuzz: {m}: {'found' if found else 'NOT found'} in "
            f"{row['seconds']} s, {row['executions']} executions"
            + (f" ({row.get('by')})" if found else ""))
    doc = {"what": "detection power: each engine mutant's fuzz target "
                   "from the committed corpus (fuzz/corpus), one at a time",
           "command": f"make fuzz-mutants FUZZ_S={a.seconds}",
           "commit": envmod.git_commit(),
           "budget_s": a.seconds,
           "corpus_inputs": len(os.listdir(CORPUS)),
           "mutants": rows,
           "found": sum(1 for r in rows if r["found"]),
           "total": len(rows),
           "env": envmod.record(tools=())}
    if only and os.path.exists(a.json):
        # a partial run updates its rows of the record
        old = json.load(open(a.json))
        keep = [r for r in old.get("mutants", []) if r["mutant"] not in only]
        order = mutant_names()
        doc["mutants"] = sorted(keep + rows,
                                key=lambda r: order.index(r["mutant"]))
        doc["found"] = sum(1 for r in doc["mutants"] if r["found"])
        doc["total"] = len(doc["mutants"])
    dump(doc, a.json)
    log(f"fuzz: {doc['found']} of {doc['total']} mutants found; "
        f"{os.path.relpath(a.json, TOP)}")
    return 0


def cmd_print(a):
    envv = dict(os.environ, FZ_VERBOSE="1")
    p = subprocess.run([TARGET, a.input], env=envv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.startswith("fz: ") or "VIOLATION" in line:
            print(line)
    return 0


def main():
    ap = argparse.ArgumentParser(prog="ringcp_tools.fuzz",
                                 description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--corpus", default=CORPUS)
    s.add_argument("--dict", default=DICT)
    r = sub.add_parser("run")
    r.add_argument("--seconds", type=int, default=60)
    r.add_argument("--json", required=True)
    r.add_argument("--merge", action="store_true")
    r.add_argument("--no-coverage", action="store_true")
    r.add_argument("--binary", default="",
                   help="another fuzz target (a mutant's), for checking "
                        "that a crash fails the run")
    m = sub.add_parser("mutants")
    m.add_argument("--seconds", type=int, default=120)
    m.add_argument("--json", required=True)
    m.add_argument("--only", default="")
    p = sub.add_parser("print")
    p.add_argument("input")
    a = ap.parse_args()
    if a.cmd == "seed":
        seed(a.corpus)
        write_dict(a.dict)
        return 0
    if a.cmd == "run":
        return cmd_run(a)
    if a.cmd == "mutants":
        a.reasons = {}
        return cmd_mutants(a)
    return cmd_print(a)


if __name__ == "__main__":
    sys.exit(main())
