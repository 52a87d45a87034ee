# SPDX-License-Identifier: MIT
"""The filesystems `make bench` measures on, each made fresh for the run
and torn down at its end: ext4 with and without a journal, XFS (reflink on,
mkfs.xfs's default), btrfs, each on its own sparse image behind a loop
device with direct I/O (so that a sync reaches the disk, not the image
file's page cache), and a tmpfs.

    with Matrix(root, mode) as m:          root: e.g. /var/tmp/ringcp-matrix
        for fs in m.filesystems():         the mode's subset (FILESYSTEMS)
            path = m.mount(fs)             made, mounted, recorded (fs.record)
            ...
            m.unmount(fs)                  unmounted, loop detached, image gone

Every mount and loop device made under ROOT is undone when the block ends,
on an exception, SIGINT or SIGTERM (and `python3 -m ringcp_tools.fsmatrix
cleanup ROOT`, which bench.sh's trap runs, undoes what a killed run left).

    python3 -m ringcp_tools.fsmatrix list MODE      the mode's filesystems
    python3 -m ringcp_tools.fsmatrix cleanup ROOT   unmount, detach, remove
"""
import os
import shutil
import signal
import subprocess
import sys

from .common import GiB, die, log, out_of

TAG = "fsmatrix"

# name: (fstype, mkfs argv before the device, mount options, settle_s, what)
# settle_s: seconds to wait after deleting many files before a timed run:
# an ext4 without a journal skips inodes freed in the last
# dirty_expire_centisecs/100 (+5 if the inode table block is dirty)
# seconds when it allocates new ones (fs/ext4/ialloc.c recently_deleted()),
# so a copy made inside that window measures the scan.  The other
# filesystems have no such window once a sync has run (XFS's deferred
# inode inactivation is flushed by syncfs; btrfs commits its transaction).
FILESYSTEMS = [
    ("ext4-journal", "ext4", ["mkfs.ext4", "-q", "-F"], "", 0,
     "ext4, mkfs.ext4 defaults (journal on)"),
    ("ext4-nojournal", "ext4", ["mkfs.ext4", "-q", "-F", "-O", "^has_journal"],
     "", 40, "ext4 without a journal (as the machine's root filesystem)"),
    ("xfs", "xfs", ["mkfs.xfs", "-q", "-f"], "", 0,
     "XFS, mkfs.xfs defaults (reflink on)"),
    ("btrfs", "btrfs", ["mkfs.btrfs", "-q", "-f"], "", 0,
     "btrfs, mkfs.btrfs defaults"),
    ("tmpfs", "tmpfs", None, "", 0, "tmpfs (memory; no device)"),
]
# quick mode's subset: one disk filesystem with a journal (what the bench
# measured until now) and the memory one, so that quick stays ~10 minutes
QUICK = ("ext4-journal", "tmpfs")
SMOKE = ("ext4-journal", "tmpfs")
IMAGE_GIB = {"smoke": 2, "quick": 8, "full": 24}
TMPFS_GIB = {"smoke": 1, "quick": 4, "full": 8}


class Fs:
    """One filesystem of the matrix: its spec, and once mounted its path
    and the record the results carry."""

    def __init__(self, row):
        (self.name, self.fstype, self.mkfs, self.opts, self.settle_s,
         self.what) = row
        self.path = None
        self.dev = None
        self.img = None
        self.record = None


def mode_names(mode):
    """Every filesystem name MODE measures, in order (BENCH_FILESYSTEMS
    not applied: the first is where a whole run, or a run in pieces, puts
    the sweeps and probes)."""
    return list({"full": [r[0] for r in FILESYSTEMS], "quick": QUICK,
                 "smoke": SMOKE}[mode])


def leads(mode, name, index):
    """Whether filesystem NAME, the INDEXth measured by this run of MODE,
    gets the sweeps, probes and cost of safety: the first measured, or in
    a run in pieces (BENCH_APPEND=1) the mode's first, whichever piece
    measures it, so that a later piece neither repeats them nor replaces
    them with another filesystem's."""
    if os.environ.get("BENCH_APPEND") == "1":
        return name == mode_names(mode)[0]
    return index == 0


def names(mode):
    """The filesystem names MODE measures, less those BENCH_FILESYSTEMS (a
    comma list) leaves out."""
    pick = mode_names(mode)
    only = os.environ.get("BENCH_FILESYSTEMS", "")
    if only:
        unknown = set(only.split(",")) - {r[0] for r in FILESYSTEMS}
        if unknown:
            die(TAG, f"BENCH_FILESYSTEMS names no filesystem: {','.join(sorted(unknown))}")
        pick = [n for n in (r[0] for r in FILESYSTEMS) if n in only.split(",")]
    return list(pick)


def _mounts_under(root):
    """Mount points under ROOT, deepest first."""
    got = []
    with open("/proc/self/mounts") as f:
        for line in f:
            mp = line.split()[1].replace("\\040", " ")
            if mp == root or mp.startswith(root + "/"):
                got.append(mp)
    return sorted(got, key=len, reverse=True)


def cleanup(root):
    """Unmount everything under ROOT, detach the loop devices whose image
    lies under it, remove ROOT: what a killed run may have left."""
    root = os.path.abspath(root)
    for mp in _mounts_under(root):
        if subprocess.run(["umount", mp], stderr=subprocess.DEVNULL).returncode:
            subprocess.run(["umount", "-l", mp])
    for line in out_of(["losetup", "-nO", "NAME,BACK-FILE"]).splitlines():
        t = line.split(None, 1)
        if len(t) == 2 and t[1].strip().startswith(root + "/"):
            subprocess.run(["losetup", "-d", t[0]])
    shutil.rmtree(root, ignore_errors=True)


def clone_possible(path):
    """True when a file on PATH can be cloned (FICLONE, as cp's default
    --reflink=auto does): cp --reflink=always of a small file succeeds."""
    a, b = os.path.join(path, ".clone-probe"), os.path.join(path, ".clone-probe.2")
    with open(a, "wb") as f:
        f.write(b"x" * 65536)
    ok = subprocess.run(["cp", "--reflink=always", a, b], stderr=subprocess.DEVNULL
                        ).returncode == 0
    for p in (a, b):
        if os.path.exists(p):
            os.unlink(p)
    return ok


def journal(dev):
    feats = out_of(f"dumpe2fs -h {dev} 2>/dev/null")
    return "yes" if "has_journal" in feats else "no"


class Matrix:
    """Makes and tears down the filesystems of one bench run under ROOT."""

    def __init__(self, root, mode):
        self.root = os.path.abspath(root)
        self.mode = mode
        self.mounted = []
        self._old = {}

    def __enter__(self):
        if os.geteuid() != 0:
            die(TAG, "the filesystem matrix needs root (losetup, mount)")
        cleanup(self.root)
        os.makedirs(self.root)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old[sig] = signal.signal(sig, self._signalled)
        return self

    def _signalled(self, sig, frame):
        raise SystemExit(128 + sig)

    def __exit__(self, *exc):
        for fs in list(self.mounted):
            self.unmount(fs)
        cleanup(self.root)
        for sig, h in self._old.items():
            signal.signal(sig, h)
        return False

    def filesystems(self):
        want = names(self.mode)
        return [Fs(r) for r in FILESYSTEMS if r[0] in want]

    def mount(self, fs):
        """Make FS fresh, mount it at ROOT/NAME, fill fs.record; the path."""
        mnt = os.path.join(self.root, fs.name)
        os.makedirs(mnt)
        if fs.fstype == "tmpfs":
            size = f"{TMPFS_GIB[self.mode]}g"
            mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "ringcp-bench", mnt]
            subprocess.run(mount, check=True)
            mkfs = None
        else:
            fs.img = os.path.join(self.root, fs.name + ".img")
            with open(fs.img, "wb") as f:
                f.truncate(IMAGE_GIB[self.mode] * GiB)
            subprocess.run(fs.mkfs + [fs.img], check=True,
                           stdout=subprocess.DEVNULL)
            fs.dev = out_of(["losetup", "--find", "--show", "--direct-io=on", fs.img])
            if not fs.dev:
                die(TAG, f"no loop device for {fs.name}")
            mount = ["mount"] + (["-o", fs.opts] if fs.opts else []) + [fs.dev, mnt]
            subprocess.run(mount, check=True)
            mkfs = " ".join(fs.mkfs + ["IMAGE"])
        fs.path = mnt
        self.mounted.append(fs)
        dio = out_of(["losetup", "-nO", "DIO", fs.dev]) if fs.dev else ""
        fs.record = {
            "name": fs.name, "what": fs.what, "fstype": fs.fstype,
            "mkfs": mkfs,
            "image_bytes": IMAGE_GIB[self.mode] * GiB if fs.img else None,
            "loop_direct_io": dio == "1" if fs.dev else None,
            "mount": " ".join(mount[:-2] + ["DEV", "MNT"]) if fs.dev
            else " ".join(mount[:-1] + ["MNT"]),
            "mount_options": out_of(["findmnt", "-no", "OPTIONS", mnt]),
            "journal": journal(fs.dev) if fs.fstype == "ext4" else None,
            "clone_possible": clone_possible(mnt),
            "settle_after_delete_s": fs.settle_s,
            "made_by": "ringcp_tools.fsmatrix: made fresh for the run, "
                       "removed at its end",
        }
        if fs.fstype == "xfs":
            info = out_of(["xfs_info", mnt])
            fs.record["xfs_reflink"] = "reflink=1" in info
        log(f"filesystem {fs.name}: {fs.record['mkfs'] or 'tmpfs'}, "
            f"mounted with {fs.record['mount_options']}, clone "
            f"{'possible' if fs.record['clone_possible'] else 'not possible'}")
        return mnt

    def unmount(self, fs):
        """Unmount FS, detach its loop device, remove its image."""
        if fs.path and subprocess.run(["umount", fs.path]).returncode:
            subprocess.run(["umount", "-l", fs.path])
        if fs.dev:
            subprocess.run(["losetup", "-d", fs.dev])
        if fs.img and os.path.exists(fs.img):
            os.unlink(fs.img)
        if fs.path:
            shutil.rmtree(fs.path, ignore_errors=True)
        fs.path = fs.dev = fs.img = None
        if fs in self.mounted:
            self.mounted.remove(fs)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "list":
        print(" ".join(names(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "cleanup":
        cleanup(sys.argv[2])
    else:
        die(TAG, "usage: fsmatrix list MODE | fsmatrix cleanup ROOT")


if __name__ == "__main__":
    main()
