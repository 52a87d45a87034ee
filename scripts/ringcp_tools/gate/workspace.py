# SPDX-License-Identifier: MIT
"""The gate's datasets on its scratch filesystem (ringcp_tools.scratch):
generated from SEED by the bench's generator, reused while their stamp
matches."""
import os
import shutil

from .. import datasets
from ..common import log
from .figures import DATASETS, SEED


def make_datasets(scratch):
    """{name: {"kind", "spec", "seed", "path", "files", "bytes", "dirs"}}
    for every gate dataset, under the directory SCRATCH."""
    out = {}
    for name, (kind, spec) in DATASETS.items():
        path = os.path.join(scratch, "src-" + name)
        want = {"kind": kind, "spec": spec, "seed": SEED}
        if not datasets.fresh(path, want):
            log(f"dataset {name}: generating (seed {SEED})")
            datasets.make(name, kind, spec, SEED, path, want)
        n = datasets.count(path)
        out[name] = dict(want, path=path, files=n["files"], bytes=n["bytes"],
                         dirs=n["dirs"])
    return out


def fresh_dir(path):
    """PATH as a new empty directory (whatever was there removed)."""
    shutil.rmtree(path, ignore_errors=True)
    os.mkdir(path)
