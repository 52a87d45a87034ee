#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Description: a wide and deep tree of seeded random files under DIR:
# 3,000 files in one directory (wide/), 40 sibling directories of 25
# files (sib/) and a 30-level chain with a file at each level (deep/).
#
#   wide_tree.py DIR
import os, random, sys
root = sys.argv[1]
rnd = random.Random(20261126)
def put(path, n):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rnd.randbytes(n))
for i in range(3000):
    put(f"{root}/wide/f{i:04d}", rnd.randrange(0, 3000))
for d in range(40):
    for i in range(25):
        put(f"{root}/sib/d{d:02d}/f{i:02d}", rnd.randrange(0, 9000))
p = f"{root}/deep"
for lvl in range(30):
    p += f"/l{lvl:02d}"
    put(f"{p}/f", rnd.randrange(0, 5000))
