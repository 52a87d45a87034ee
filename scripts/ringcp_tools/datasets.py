# SPDX-License-Identifier: MIT
"""Generate the benchmark datasets, deterministically from a seed.

usage: python3 -m ringcp_tools.datasets MODE SEED DATA_DIR OUT_JSON
       python3 -m ringcp_tools.datasets big-file DATASETS_JSON
  MODE      quick | full (sizes below) | smoke (tiny, to try scripts)
  SEED      integer; the same seed gives the same names, sizes and bytes
  DATA_DIR  where the generated trees go (on the destination's filesystem)
  OUT_JSON  the description of every dataset (results/bench/datasets.json)
big-file prints the path of the big dataset's file, or "" when it was not
generated.

Each generated tree is filled with random bytes (never sparse) from a
random.Random seeded with "SEED:NAME", written under NAME.part and renamed
when complete, with a stamp file NAME.stamp.json beside it recording its
spec: a tree whose stamp matches is reused, anything else is regenerated.
The real trees (/usr/include, /usr/share/doc) are copied (cp -a) into
DATA_DIR, onto the filesystem measured, and counted.  BENCH_DATASETS (a comma list) keeps only those.
"""
import json
import os
import random
import shutil
import subprocess
import sys

from .common import GiB, KiB, MiB, die, dump, load

CHUNK = 8 * MiB
TAG = "datasets"

# name: (label, kind, full spec, quick spec); smoke mode (for trying the
# scripts out) shrinks the quick spec.  kind "file": one file of
# "bytes"; "tree": "files" files over "dirs" directories, sizes drawn
# log-uniformly from [min, max] bytes; "real": an existing tree.
DATASETS = [
    ("big", "one large file", "file",
     {"bytes": GiB}, {"bytes": 256 * MiB}),
    ("mib", "files of 1 MiB", "tree",
     {"files": 1000, "dirs": 1, "min": MiB, "max": MiB},
     {"files": 200, "dirs": 1, "min": MiB, "max": MiB}),
    ("mixed", "mixed small files (512 B to 64 KiB)", "tree",
     {"files": 10000, "dirs": 100, "min": 512, "max": 64 * KiB},
     {"files": 2000, "dirs": 20, "min": 512, "max": 64 * KiB}),
    ("tiny", "tiny files (0 to 4 KiB)", "tree",
     {"files": 30000, "dirs": 100, "min": 0, "max": 4 * KiB},
     {"files": 3000, "dirs": 10, "min": 0, "max": 4 * KiB}),
    ("usr-include", "/usr/include (real tree)", "real",
     {"path": "/usr/include"}, None),
    ("usr-share-doc", "/usr/share/doc (real tree)", "real",
     {"path": "/usr/share/doc"}, None),
]


def write_random(path, size, rng):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, CHUNK)
            f.write(rng.randbytes(n))
            left -= n


def draw_size(rng, lo, hi):
    """A size drawn log-uniformly from [lo, hi]; with lo 0, about 2% of
    the files are empty, as in real trees."""
    if lo == hi:
        return lo
    x = rng.uniform(0.0, 1.0)
    base = max(lo, 1)
    size = int(round(base * (hi / base) ** x))
    if lo == 0 and rng.random() < 0.02:
        size = 0
    return min(max(size, lo), hi)


def smoke(kind, spec):
    if kind == "file":
        return {"bytes": spec["bytes"] // 16}
    if kind == "tree":
        return dict(spec, files=spec["files"] // 20, dirs=max(spec["dirs"] // 4, 1))
    return spec


def generate(name, kind, spec, seed, path):
    """Write dataset NAME (kind file or tree, SPEC as in DATASETS) at PATH
    from SEED: built under PATH.part, synced, then renamed over PATH."""
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


def fresh(path, stamp):
    """True when the dataset at PATH was made from STAMP (the spec, seed
    and name in PATH.stamp.json), so it can be reused."""
    try:
        return load(path + ".stamp.json") == stamp
    except (OSError, ValueError):
        return False


def make(name, kind, spec, seed, path, stamp):
    """generate(), then write STAMP beside the dataset."""
    generate(name, kind, spec, seed, path)
    with open(path + ".stamp.json", "w") as f:
        json.dump(stamp, f)


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


def wanted(mode):
    """The DATASETS rows MODE runs, less those BENCH_DATASETS leaves out."""
    only = os.environ.get("BENCH_DATASETS", "")
    names = set(only.split(",")) if only else None
    return [d for d in DATASETS
            if (d[3] if mode == "full" else d[4]) is not None
            and not (mode == "smoke" and d[2] == "real")
            and (names is None or d[0] in names)]


def prepare_one(row, mode, seed, data_dir, progress):
    """The datasets.json entry of one DATASETS row: generated (or reused)
    and counted, or a real tree counted, or "not_run" when it is absent."""
    name, label, kind, full, quick = row
    spec = full if mode == "full" else quick
    if mode == "smoke":
        spec = smoke(kind, spec)
    entry = {"name": name, "label": label, "kind": kind, "spec": spec}
    if kind == "real":
        if not os.path.isdir(spec["path"]):
            entry["not_run"] = f"{spec['path']} does not exist on this machine"
            return entry
        # copied onto the filesystem measured, so that source and copies
        # share it as the generated trees do
        path = os.path.join(data_dir, f"{name}-{mode}")
        print(f"== dataset {progress} {name}: copying {spec['path']} to {path}",
              file=sys.stderr)
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["cp", "-a", spec["path"], path], check=True)
        os.sync()
        entry["seed"] = None
    else:
        path = os.path.join(data_dir, f"{name}-{mode}")
        stamp = {"name": name, "kind": kind, "spec": spec, "seed": seed}
        reuse = fresh(path, stamp)
        print(f"== dataset {progress} {name}: " +
              (f"reusing {path}" if reuse else
               f"generating {path} (seed {seed})"), file=sys.stderr)
        if not reuse:
            make(name, kind, spec, seed, path, stamp)
        entry["seed"] = seed
    entry["path"] = path
    entry["src_dev"] = os.stat(path).st_dev
    entry.update(count(path))
    return entry


def local_paths(doc, data_dir):
    """The datasets of DOC (a datasets.json) that ran, each with "path"
    where it lies on this machine: the JSON's paths are scrubbed of the
    machine's (common.scrub), so a generated tree is found again under
    DATA_DIR and a real tree at its spec's path."""
    got = []
    for d in doc["datasets"]:
        if "not_run" in d:
            continue
        d = dict(d)
        d["path"] = os.path.join(data_dir, f"{d['name']}-{doc['mode']}")
        got.append(d)
    return got


def big_file(datasets_json):
    """The big dataset's file, or "" when it was not generated."""
    d = [x for x in load(datasets_json)["datasets"]
         if x["name"] == "big" and "path" in x]
    return d[0]["path"] + "/big.bin" if d else ""


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "big-file":
        print(big_file(sys.argv[2]))
        return
    if len(sys.argv) != 5:
        die(TAG, "usage: datasets quick|full|smoke SEED DATA_DIR OUT_JSON")
    mode, seed, data_dir, out = sys.argv[1:]
    if mode not in ("quick", "full", "smoke"):
        die(TAG, f"mode must be quick, full or smoke, not '{mode}'")
    seed = int(seed)
    os.makedirs(data_dir, exist_ok=True)
    todo = wanted(mode)
    result = [prepare_one(row, mode, seed, data_dir, f"{i}/{len(todo)}")
              for i, row in enumerate(todo, 1)]
    dump({"mode": mode, "seed": seed, "datasets": result}, out)


if __name__ == "__main__":
    main()
