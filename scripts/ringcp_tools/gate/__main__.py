# SPDX-License-Identifier: MIT
"""The gate's command line (the package docstring is its --help)."""
import argparse
import os
import shutil
import signal
import sys

from . import __doc__ as USAGE
from ..common import TOP
from .figures import BASELINE_RUNS, PRELOAD, RUN_RUNS, die
from .run import baseline, run


def parse_args():
    ap = argparse.ArgumentParser(
        prog="python3 -m ringcp_tools.gate",
        description=USAGE.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("run", "baseline"))
    ap.add_argument("--ringcp", default=os.path.join(TOP, "build", "gcc", "ringcp"))
    ap.add_argument("--baseline", default=os.path.join(TOP, "results", "baseline.json"))
    ap.add_argument("--out")
    ap.add_argument("--only", action="append",
                    choices=("counters", "timings", "safety"))
    ap.add_argument("--runs", type=int)
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--sets", type=int, default=3)
    ap.add_argument("--extra-args", default="")
    ap.add_argument("--degrade-syscall", type=int, default=0)
    ap.add_argument("--scratch")
    args = ap.parse_args()
    args.ringcp = os.path.abspath(args.ringcp)
    if args.runs is None:
        args.runs = RUN_RUNS if args.mode == "run" else BASELINE_RUNS
    if args.out is None:
        args.out = (os.path.join(TOP, "build", "gate.json") if args.mode == "run"
                    else args.baseline)
    return args


def main():
    args = parse_args()
    os.chdir(TOP)
    # a timeout's SIGTERM unwinds like an error: the loop mount, the scratch
    # image and the baseline's worktree are removed on the way out
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))
    for tool in ("strace", "diff", "cp", "git"):
        if not shutil.which(tool):
            die(f"{tool} is missing (make deps)")
    if not os.access(PRELOAD, os.R_OK):
        die(f"{PRELOAD} is missing (make gate builds it)")
    if not os.access(args.ringcp, os.X_OK):
        die(f"{args.ringcp} is not an executable")
    return run(args) if args.mode == "run" else baseline(args)


if __name__ == "__main__":
    sys.exit(main())
