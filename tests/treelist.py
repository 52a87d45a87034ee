#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Description: print a tree's metadata, one line per entry, sorted, for
# diffing two copies of a tree: relative path, type, mode, uid, gid, size,
# mtime in ns, symlink target, device numbers, hard-link group, xattrs,
# ACLs and sha256 of regular files.  Walks with directory fds (os.fwalk),
# never a full path, so trees deeper than PATH_MAX list fine; never opens
# anything but regular files and directories (a FIFO cannot block it).
#
#   treelist.py [--holes] [--no-root] [--no-mtime] [--no-dir-mtime] [--no-owner]
#               [--no-xattr] [--no-hash] DIR
#
# --holes        add each regular file's data extents (SEEK_DATA/SEEK_HOLE)
#                and whether it is sparse (allocated < size)
# --no-root      leave out the line for DIR itself
# --no-mtime     leave out mtimes
# --no-dir-mtime leave out directories' mtimes
# --no-owner     leave out uid and gid
# --no-xattr     leave out xattrs and ACLs
# --no-hash      leave out the sha256 of regular files
#
# Paths are printed as Python bytes literals (every byte visible, a newline
# in a name cannot split a line).  The hard-link group of an entry is the
# smallest path among the entries of the walk with the same inode, or '-'
# if it has no other name in the tree: comparable between two trees even
# though inode numbers differ.  ACLs are the raw system.posix_acl_* xattrs.
import hashlib
import os
import stat
import sys

TYPES = [
    (stat.S_ISREG, "f"), (stat.S_ISDIR, "d"), (stat.S_ISLNK, "l"),
    (stat.S_ISFIFO, "p"), (stat.S_ISSOCK, "s"), (stat.S_ISCHR, "c"),
    (stat.S_ISBLK, "b"),
]


def ftype(mode):
    for test, name in TYPES:
        if test(mode):
            return name
    return "?"


def sha256_of(fd):
    h = hashlib.sha256()
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return h.hexdigest()
        h.update(b)


def extents(fd, size):
    """data extents [(start, end)] by SEEK_DATA/SEEK_HOLE"""
    out = []
    off = 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole from off to the end
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        out.append("%d-%d" % (start, end))
        off = end
    return ",".join(out) or "none"


def xattrs(dirfd, name):
    """(user/trusted/security xattrs, ACL xattrs), each sorted name=hex"""
    # no fd-relative l*xattr in Python: go through the dir fd's magic link
    # (a short path whatever the depth); the last component is not followed
    follow = name == "."
    path = b"/proc/self/fd/%d" % dirfd
    if not follow:
        path += b"/" + name
    try:
        names = sorted(os.listxattr(path, follow_symlinks=follow))
    except OSError as e:
        return "xattr-error:%s" % e.strerror, ""
    plain, acls = [], []
    for n in names:
        try:
            v = os.getxattr(path, n, follow_symlinks=follow).hex()
        except OSError as e:
            v = "error:" + e.strerror
        (acls if n.startswith("system.posix_acl") else plain).append(
            "%s=%s" % (n, v))
    return ";".join(plain) or "-", ";".join(acls) or "-"


def entry(opts, rel, dirfd, name):
    st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    t = ftype(st.st_mode)
    f = {"path": repr(rel), "type": t,
         "mode": "%05o" % stat.S_IMODE(st.st_mode)}
    if "owner" in opts:
        f["uid"], f["gid"] = str(st.st_uid), str(st.st_gid)
    if t != "d":
        f["size"] = str(st.st_size) if t in "fl" else "-"
    if "mtime" in opts and (t != "d" or "dir-mtime" in opts):
        f["mtime"] = str(st.st_mtime_ns)
    if t == "l":
        f["target"] = repr(os.readlink(name, dir_fd=dirfd))
    if t in "cb":
        f["rdev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    if "xattr" in opts and t != "l":
        f["xattr"], f["acl"] = xattrs(dirfd, name)
    if t == "f" and ("hash" in opts or "holes" in opts):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK,
                     dir_fd=dirfd)
        try:
            if "holes" in opts:
                f["data"] = extents(fd, st.st_size)
                f["sparse"] = "yes" if st.st_blocks * 512 < st.st_size \
                    else "no"
            if "hash" in opts:
                os.lseek(fd, 0, os.SEEK_SET)
                f["sha256"] = sha256_of(fd)
        finally:
            os.close(fd)
    return (st.st_dev, st.st_ino), t, f


def main(argv):
    # os.fwalk recurses once per level: let a runaway deep tree list too
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    opts = {"root", "mtime", "dir-mtime", "owner", "xattr", "hash"}
    args = []
    for a in argv[1:]:
        if a == "--holes":
            opts.add("holes")
        elif a.startswith("--no-") and a[5:] in opts:
            opts.discard(a[5:])
        elif a.startswith("-"):
            sys.exit("treelist.py: unknown option %s" % a)
        else:
            args.append(a)
    if len(args) != 1:
        sys.exit("usage: treelist.py [options] DIR")
    top = os.fsencode(args[0])
    rows = []   # (rel, inode key, type, fields)
    for dirpath, dirnames, filenames, dirfd in os.fwalk(top):
        rel_dir = os.path.relpath(dirpath, top)
        if rel_dir == b"." and "root" in opts:
            k, t, f = entry(opts, b".", dirfd, ".")
            rows.append((b".", k, t, f))
        # fwalk lists symlinks to dirs among dirnames: it does not follow
        for n in sorted(dirnames + filenames):
            rel = n if rel_dir == b"." else os.path.join(rel_dir, n)
            k, t, f = entry(opts, rel, dirfd, n)
            rows.append((rel, k, t, f))
    names = {}
    for rel, k, t, f in rows:
        if t != "d":
            names.setdefault(k, []).append(rel)
    out = []
    for rel, k, t, f in rows:
        if t != "d":
            g = names[k]
            f["link"] = repr(min(g)) if len(g) > 1 else "-"
        out.append((rel, " ".join("%s=%s" % kv for kv in f.items())))
    out.sort()
    w = sys.stdout.buffer
    for _, line in out:
        w.write(line.encode() + b"\n")


if __name__ == "__main__":
    main(sys.argv)
