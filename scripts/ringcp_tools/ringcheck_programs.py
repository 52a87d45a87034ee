# SPDX-License-Identifier: MIT
"""The programs ringcheck was pointed at, and what it said: each test
program of tests/ringcheck/ in its bug form and done right ("fixed"),
liburing's io_uring-cp and link-cp (built from Debian's liburing-dev
examples) copying 8 MiB, fio's io_uring engine (with and without
--trap-enters), and ringcp copying a file and a tree.  For each: exit status, the summary's counts, the first
report's headline.  Writes results/ringcheck/programs.json (tests/
ringcheck.sh is the test; this is the record REPORT.md's table is made
from).  Needs root for cancel_free (a FUSE hold).

usage: PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.ringcheck_programs
"""
import os
import re
import subprocess
import tempfile

from . import env as envmod
from .common import MiB, TOP, die, dump

TAG = "ringcheck-programs"
BUILD = os.path.join(TOP, "build", "gcc")
RK = os.path.join(BUILD, "ringcheck", "ringcheck")
PROGS = os.path.join(BUILD, "ringcheck", "tests")
EXAMPLES = "/usr/share/doc/liburing-dev/examples"
SUMMARY = re.compile(r"ringcheck: .*: (\d+) rings?, (\d+) requests? \((\d+) "
                     r"completions? seen\), (\d+) releases? checked, (\d+) "
                     r"reports?(.*)$", re.M)


def run(name, argv, cwd, expect, opts=()):
    p = subprocess.run([RK, *opts, *argv], cwd=cwd, capture_output=True, text=True,
                       timeout=300)
    m = SUMMARY.search(p.stderr)
    first = re.search(r"ringcheck: ERROR: (.*)$", p.stderr, re.M)
    req = re.search(r"^  request: (.*?)(, ring fd|$)", p.stderr, re.M)
    limit = re.search(r"ringcheck: limit: (ring fd \d+:? )?(.*?)[:;(]",
                      p.stderr, re.M)
    row = {"program": name, "expect": expect, "exit": p.returncode,
           "rings": int(m.group(1)) if m else None,
           "requests": int(m.group(2)) if m else None,
           "completions": int(m.group(3)) if m else None,
           "releases": int(m.group(4)) if m else None,
           "reports": int(m.group(5)) if m else None,
           "not_checked": m.group(6).strip("; ") if m else "",
           "first_report": first.group(1) if first else "",
           "request": req.group(1) if req else "",
           "limit": limit.group(2) if limit else ""}
    row["as_expected"] = (row["reports"] or 0) > 0 if expect == "caught" \
        else p.returncode == 0 and row["reports"] == 0
    print(f"{TAG}: {name}: exit {p.returncode}, {row['reports']} reports "
          f"({'as expected' if row['as_expected'] else 'NOT as expected'})",
          flush=True)
    return row


def main():
    if not os.access(RK, os.X_OK):
        die(TAG, "no build/gcc/ringcheck/ringcheck: run make")
    rows = []
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        for prog in sorted(os.listdir(PROGS)):
            rows.append(run(f"tests/ringcheck/{prog}.c",
                            [os.path.join(PROGS, prog)], tmp, "caught"))
            rows.append(run(f"tests/ringcheck/{prog}.c fixed",
                            [os.path.join(PROGS, prog), "fixed"], tmp,
                            "clean"))
        with open(os.path.join(tmp, "src"), "wb") as f:
            f.write(os.urandom(8 * MiB + 123))
        for ex in ("io_uring-cp", "link-cp"):
            src = os.path.join(EXAMPLES, ex + ".c")
            if not os.path.exists(src):
                continue
            subprocess.run(["cc", "-O2", "-D_GNU_SOURCE", "-o",
                            os.path.join(tmp, ex), src, "-luring"],
                           check=True)
            rows.append(run(f"liburing {ex} (Debian liburing-dev example)",
                            ["./" + ex, "src", ex + ".out"], tmp, "clean"))
        fio = ["fio", "--name=rk", "--ioengine=io_uring", "--rw=randrw",
               "--bs=4k", "--iodepth=16", "--size=16M",
               "--filename=fio.dat", "--output=/dev/null"]
        rows.append(run("fio --ioengine=io_uring (randrw 4k, 16 deep)", fio,
                        tmp, "clean"))
        rows.append(run("the same fio, ringcheck --trap-enters", fio, tmp,
                        "clean", ["--trap-enters"]))
        rows.append(run("tests/ringcheck/raw_free.c inline enters, "
                        "--trap-enters", [os.path.join(PROGS, "raw_free"),
                                          "bug", "inline"], tmp, "caught",
                        ["--trap-enters"]))
        os.makedirs(os.path.join(tmp, "tree"))
        for i in range(500):
            with open(os.path.join(tmp, "tree", f"f{i}"), "wb") as f:
                f.write(os.urandom(4096))
        rows.append(run("ringcp (production) one file", [
            os.path.join(BUILD, "ringcp"), "src", "src.out"], tmp, "clean"))
        rows.append(run("ringcp (production) -a 500 files", [
            os.path.join(BUILD, "ringcp"), "-a", "tree/", "tree.out/"], tmp,
            "clean"))
        env = envmod.record(tmp, "SHM", os.path.join(BUILD, "ringcp"))
    dump({"what": "programs run under ringcheck: its exit status, summary "
                  "and first report", "env": env,
          "git_commit": envmod.git_commit(TOP, (".", ":!results",
                                                ":!REPORT.md")),
          "programs": rows}, os.path.join(TOP, "results", "ringcheck",
                                          "programs.json"))
    bad = [r["program"] for r in rows if not r["as_expected"]]
    if bad:
        die(TAG, "not as expected: " + ", ".join(bad))


if __name__ == "__main__":
    main()
