# SPDX-License-Identifier: MIT
"""Scratch filesystems for the measurements: a journaled ext4 (mkfs.ext4's
defaults) on a sparse image file, loop-mounted.

Why: this machine's root ext4 has no journal, and there ext4 skips inodes
freed in the last seconds when it allocates new ones: right after an
`rm -rf` of a copied tree every tool's next copy crawls (cp -a of
/usr/include measured 2 s and 36 s).  The bench and the gate remove the
destination before each run, so on such a filesystem they would measure
that scan, not the tools.

The gate's: Scratch(keep_dir=None), a fresh image in /var/tmp, mounted
-o loop, removed at the end (close()).  make bench makes its own
filesystems, several kinds, fresh every run: ringcp_tools.fsmatrix.
"""
import os
import shutil
import subprocess
import tempfile

from .common import GiB, out_of

GATE_IMAGE_BYTES = 1 * GiB


def mkfs_image(img, size_bytes, label=None):
    """A sparse file of SIZE_BYTES at IMG holding a fresh ext4."""
    with open(img, "wb") as f:
        f.truncate(size_bytes)
    subprocess.run(["mkfs.ext4", "-q", "-F"] + (["-L", label] if label else [])
                   + [img], check=True)


class Scratch:
    """The gate's scratch: a fresh ext4 on a sparse loop image in /var/tmp
    when root, so timings never follow a big deletion on the shared root
    filesystem; else a directory in /var/tmp; or KEEP_DIR, used and kept.
    .path is where to work, .desc what the record says of it."""

    def __init__(self, keep_dir=None):
        self.base = None
        self.mnt = None
        if keep_dir:
            os.makedirs(keep_dir, exist_ok=True)
            self.path = os.path.abspath(keep_dir)
            self.desc = {"kind": "directory given with --scratch",
                         "path": self.path}
        elif os.geteuid() == 0 and shutil.which("mkfs.ext4"):
            self.base = tempfile.mkdtemp(prefix="ringcp-gate.", dir="/var/tmp")
            img = os.path.join(self.base, "fs.img")
            self.mnt = os.path.join(self.base, "mnt")
            os.mkdir(self.mnt)
            mkfs_image(img, GATE_IMAGE_BYTES)
            subprocess.run(["mount", "-o", "loop", img, self.mnt], check=True)
            self.path = self.mnt
            self.desc = {"kind": "sparse image, mkfs.ext4 (journaled), "
                                 "mounted -o loop, removed at the end",
                         "image": img, "image_bytes": GATE_IMAGE_BYTES,
                         "why": "the root filesystem's ext4 has no journal: "
                                "after a deletion of many files its inode "
                                "allocations scan past them for ~30 s, "
                                "which would land on timed runs"}
        else:
            self.base = tempfile.mkdtemp(prefix="ringcp-gate.", dir="/var/tmp")
            self.path = self.base
            self.desc = {"kind": "directory in /var/tmp (not root: no loop "
                                 "mount)", "path": self.path}
        self.desc["fs"] = out_of(["findmnt", "-no", "FSTYPE,OPTIONS", "-T",
                                  self.path])

    def close(self):
        if self.mnt:
            if subprocess.run(["umount", self.mnt]).returncode:
                subprocess.run(["umount", "-l", self.mnt])
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
