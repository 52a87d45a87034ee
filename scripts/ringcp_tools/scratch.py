# SPDX-License-Identifier: MIT
"""Scratch filesystems for the measurements: a journaled ext4 (mkfs.ext4's
defaults) on a sparse image file, loop-mounted.

Why: this machine's root ext4 has no journal, and there ext4 skips inodes
freed in the last seconds when it allocates new ones: right after an
`rm -rf` of a copied tree every tool's next copy crawls (cp -a of
/usr/include measured 2 s and 36 s).  The bench and the gate remove the
destination before each run, so on such a filesystem they would measure
that scan, not the tools.

Two kinds:
  bench_fs(IMAGE, MOUNTPOINT, SIZE_GIB)   make bench's: kept between runs
      (its datasets survive), mounted through a loop device with direct
      I/O (a sync reaches the disk, not the image file's page cache);
  Scratch(keep_dir=None)                  the gate's: a fresh image in
      /var/tmp, mounted -o loop, removed at the end (close()).

    python3 -m ringcp_tools.scratch IMAGE MOUNTPOINT SIZE_GIB
makes sure bench_fs is mounted and prints MOUNTPOINT (exit 1 if it cannot).
"""
import os
import shutil
import subprocess
import sys
import tempfile

from .common import GiB, die, out_of

GATE_IMAGE_BYTES = 1 * GiB


def mkfs_image(img, size_bytes, label=None):
    """A sparse file of SIZE_BYTES at IMG holding a fresh ext4."""
    with open(img, "wb") as f:
        f.truncate(size_bytes)
    subprocess.run(["mkfs.ext4", "-q", "-F"] + (["-L", label] if label else [])
                   + [img], check=True)


def bench_fs(img, mnt, gib):
    """Mount IMG (made, SIZE GiB, if missing) at MNT through a direct-I/O
    loop device, unless MNT is a mount point already; returns MNT."""
    if subprocess.run(["mountpoint", "-q", mnt]).returncode == 0:
        return mnt
    if os.geteuid() != 0:
        die("scratch-fs", "needs root (losetup, mount)")
    os.makedirs(mnt, exist_ok=True)
    if not os.path.isfile(img):
        mkfs_image(img, gib * GiB, label="ringcp-bench")
    dev = out_of(["losetup", "--find", "--show", "--direct-io=on", img])
    if not dev or subprocess.run(["mount", dev, mnt]).returncode:
        if dev:
            subprocess.run(["losetup", "-d", dev])
        die("scratch-fs", f"cannot mount {img} at {mnt}")
    return mnt


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


def main():
    if len(sys.argv) != 4:
        die("scratch-fs", "usage: scratch IMAGE MOUNTPOINT SIZE_GIB")
    print(bench_fs(sys.argv[1], sys.argv[2], int(sys.argv[3])))


if __name__ == "__main__":
    main()
