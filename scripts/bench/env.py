#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the context of one bench run as JSON: the key=value lines of
lib.sh's env_record on stdin, plus what ringcp can do, the mode and paths.

usage: env_record ... | env.py OUT_JSON MODE SEED BENCH_DIR RINGCP GIT_COMMIT COMMAND
"""
import os
import sys

from common import capabilities, die, dump

INTS = ("nproc", "mem_total_bytes")


def main():
    if len(sys.argv) != 8:
        die("env", "usage: env.py OUT_JSON MODE SEED BENCH_DIR RINGCP GIT_COMMIT COMMAND")
    out, mode, seed, bench_dir, ringcp, commit, command = sys.argv[1:]
    env = {}
    for line in sys.stdin:
        k, sep, v = line.rstrip("\n").partition("=")
        if sep:
            env[k] = int(v) if k in INTS else v
    env.update(mode=mode, seed=int(seed), bench_dir=bench_dir, ringcp=ringcp,
               git_commit=commit, command=command, root=os.geteuid() == 0,
               caps=capabilities(ringcp))
    dump(env, out)


if __name__ == "__main__":
    main()
