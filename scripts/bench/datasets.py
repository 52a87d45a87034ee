#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate the benchmark datasets, deterministically from a seed.

usage: datasets.py MODE SEED DATA_DIR OUT_JSON
  MODE      quick | full (sizes below) | smoke (tiny, to try scripts)
  SEED      integer; the same seed gives the same names, sizes and bytes
  DATA_DIR  where the generated trees go (on the destination's filesystem)
  OUT_JSON  the description of every dataset (results/bench/datasets.json)

Each generated tree is filled with random bytes (never sparse) from a
random.Random seeded with "SEED:NAME", written under NAME.part and renamed
when complete, with a stamp file NAME.stamp.json beside it recording its spec: a tree whose stamp
matches is reused, anything else is regenerated.  The real trees
(/usr/include, /usr/share/doc) are used where they are, read only, and
counted.
"""
import json
import os
import random
import shutil
import sys

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
CHUNK = 8 * MiB

# name: (label, kind, full spec, quick spec); smoke mode (for trying the
# scripts out) shrinks the quick spec.  kind "file": one file of
# "bytes"; "tree": "files" files over "dirs" directories, sizes drawn
# log-uniformly from [min, max] bytes; "real": an existing tree.
DATASETS = [
    ("big", "one large file", "file",
     {"bytes": GiB}, {"bytes": 256 * MiB}),
    ("mib", "files of 1 MiB", "tree",
     {"files": 2000, "dirs": 1, "min": MiB, "max": MiB},
     {"files": 200, "dirs": 1, "min": MiB, "max": MiB}),
    ("mixed", "mixed small files (512 B to 64 KiB)", "tree",
     {"files": 20000, "dirs": 100, "min": 512, "max": 64 * KiB},
     {"files": 2000, "dirs": 20, "min": 512, "max": 64 * KiB}),
    ("tiny", "tiny files (0 to 4 KiB)", "tree",
     {"files": 100000, "dirs": 100, "min": 0, "max": 4 * KiB},
     {"files": 3000, "dirs": 10, "min": 0, "max": 4 * KiB}),
    ("usr-include", "/usr/include (real tree)", "real",
     {"path": "/usr/include"}, None),
    ("usr-share-doc", "/usr/share/doc (real tree)", "real",
     {"path": "/usr/share/doc"}, {"path": "/usr/share/doc"}),
]


def die(msg):
    print(f"datasets: {msg}", file=sys.stderr)
    sys.exit(1)


def write_random(path, size, rng):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, CHUNK)
            f.write(rng.randbytes(n))
            left -= n


def draw_size(rng, lo, hi):
    if lo == hi:
        return lo
    # log-uniform over [lo, hi]; 0 allowed as the low end
    x = rng.uniform(0.0, 1.0)
    base = max(lo, 1)
    size = int(round(base * (hi / base) ** x))
    if lo == 0 and rng.random() < 0.02:
        size = 0	# some empty files, as real trees have
    return min(max(size, lo), hi)


def smoke(kind, spec):
    if kind == "file":
        return {"bytes": spec["bytes"] // 16}
    if kind == "tree":
        return dict(spec, files=spec["files"] // 20, dirs=max(spec["dirs"] // 4, 1))
    return spec


def generate(name, kind, spec, seed, path):
    rng = random.Random(f"{seed}:{name}")
    part = path + ".part"
    shutil.rmtree(part, ignore_errors=True)
    os.makedirs(part)
    if kind == "file":
        write_random(os.path.join(part, "big.bin"), spec["bytes"], rng)
    else:
        for i in range(spec["files"]):
            d = part if spec["dirs"] == 1 else os.path.join(
                part, "d%03d" % (i % spec["dirs"]))
            os.makedirs(d, exist_ok=True)
            size = draw_size(rng, spec["min"], spec["max"])
            write_random(os.path.join(d, "f%06d.dat" % i), size, rng)
    os.sync()
    shutil.rmtree(path, ignore_errors=True)
    os.rename(part, path)


def count(path):
    """files, dirs, symlinks, others and bytes of regular files under path"""
    n = {"files": 0, "dirs": 0, "symlinks": 0, "other": 0, "bytes": 0}
    for root, dirs, files in os.walk(path):
        n["dirs"] += 1
        for e in dirs + files:
            p = os.path.join(root, e)
            st = os.lstat(p)
            if os.path.islink(p):
                n["symlinks"] += 1
            elif e in files and os.path.isfile(p):
                n["files"] += 1
                n["bytes"] += st.st_size
            elif e in files:
                n["other"] += 1
    return n


def main():
    if len(sys.argv) != 5:
        die("usage: datasets.py quick|full SEED DATA_DIR OUT_JSON")
    mode, seed, data_dir, out = sys.argv[1:]
    if mode not in ("quick", "full", "smoke"):
        die(f"mode must be quick, full or smoke, not '{mode}'")
    seed = int(seed)
    os.makedirs(data_dir, exist_ok=True)
    only = os.environ.get("BENCH_DATASETS", "")
    wanted = set(only.split(",")) if only else None
    result = []
    todo = [d for d in DATASETS
            if (d[3] if mode == "full" else d[4]) is not None
            and not (mode == "smoke" and d[2] == "real")
            and (wanted is None or d[0] in wanted)]
    for i, (name, label, kind, full, quick) in enumerate(todo, 1):
        spec = full if mode == "full" else quick
        if mode == "smoke":
            spec = smoke(kind, spec)
        entry = {"name": name, "label": label, "kind": kind, "spec": spec}
        if kind == "real":
            path = spec["path"]
            if not os.path.isdir(path):
                entry["not_run"] = f"{path} does not exist on this machine"
                result.append(entry)
                continue
            entry["seed"] = None
        else:
            path = os.path.join(data_dir, f"{name}-{mode}")
            stamp = {"name": name, "kind": kind, "spec": spec, "seed": seed}
            try:
                with open(path + ".stamp.json") as f:
                    fresh = json.load(f) == stamp
            except (OSError, ValueError):
                fresh = False
            if fresh:
                print(f"== dataset {i}/{len(todo)} {name}: reusing {path}",
                      file=sys.stderr)
            else:
                print(f"== dataset {i}/{len(todo)} {name}: generating {path} "
                      f"(seed {seed})", file=sys.stderr)
                generate(name, kind, spec, seed, path)
                with open(path + ".stamp.json", "w") as f:
                    json.dump(stamp, f)
            entry["seed"] = seed
        entry["path"] = path
        entry["src_dev"] = os.stat(path).st_dev
        entry.update(count(path))
        result.append(entry)
    with open(out, "w") as f:
        json.dump({"mode": mode, "seed": seed, "datasets": result}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
