# SPDX-License-Identifier: MIT
"""Rewrite JSON files so that no string holds an absolute path of this
machine (common.scrub: the checkout becomes relative, /tmp and /var/tmp
become $SCRATCH).  Every writer of the package scrubs what it writes; this
is for files written before it did, or by another program.  --check lists
the absolute paths in a tree's JSON files that are not the system's own
(/usr, /dev, /proc, ...) and exits 1 if there are any.

usage: PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.scrub FILE...
       PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.scrub --check DIR
"""
import glob
import os
import re
import sys

from .common import die, load, scrub_file

# an absolute path where a path starts in a string
_ABS = re.compile(r"(?:^|[\s\"'=:(,])(/[A-Za-z0-9_.+-]+)")
# what every machine has: a path under these names none of this one
SYSTEM = {"/usr", "/dev", "/proc", "/sys", "/etc", "/bin", "/lib", "/sbin",
          "/lib64", "/boot"}


def machine_paths(obj, found, where=""):
    """Add to FOUND (a set) every (WHERE, path) in OBJ's strings whose
    first component is not a system one."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            machine_paths(v, found, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            machine_paths(v, found, f"{where}[{i}]")
    elif isinstance(obj, str):
        for m in _ABS.finditer(obj):
            if m.group(1) not in SYSTEM:
                found.add((where, m.group(1)))


def check(top):
    """Exit 1 listing the machine paths in TOP's JSON files, else 0."""
    bad = 0
    for path in sorted(glob.glob(os.path.join(top, "**", "*.json"),
                                 recursive=True)):
        found = set()
        machine_paths(load(path), found)
        for where, p in sorted(found):
            print(f"{os.path.relpath(path, top)}: {where}: {p}...")
            bad += 1
    sys.exit(1 if bad else 0)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    if len(sys.argv) < 2:
        die("scrub", "usage: python3 -m ringcp_tools.scrub FILE... | "
                     "--check DIR", 2)
    for path in sys.argv[1:]:
        try:
            scrub_file(path)
        except (OSError, ValueError) as e:
            die("scrub", f"{path}: {e}")


if __name__ == "__main__":
    main()
