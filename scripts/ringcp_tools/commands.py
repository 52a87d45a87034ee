# SPDX-License-Identifier: MIT
"""The command lines the bench times and probes: every tool on every
dataset, what runs untimed before each run, and what the ringcp binary
can do (read from its --help).  Used by timing and probes; runs nothing
but `ringcp --help` and, in warm_source, a read of the source.
"""
import os
import subprocess

from .common import q

# The peers ringcp is compared with, and the limits shown beside them.
PEERS = ("cp", "rsync", "tar")


def capabilities(ringcp):
    """Options of the ringcp binary the bench needs, read from --help."""
    try:
        text = subprocess.run([ringcp, "--help"], capture_output=True,
                              text=True).stdout
    except OSError as e:
        return {"help_error": str(e)}
    return {
        "archive": "--archive" in text,
        "files_in_flight": "--files-in-flight" in text,
        "buffers": "--buffers" in text,
        "json": "--json" in text,
    }


def lacks(caps, *names):
    """'' when ringcp has every capability named, else why not."""
    opt = {"archive": "--archive (tree copy)",
           "files_in_flight": "--files-in-flight",
           "buffers": "--buffers"}
    missing = [opt[n] for n in names if not caps.get(n)]
    return "ringcp lacks " + ", ".join(missing) if missing else ""


def tools(ds, src, dst, ringcp, caps):
    """[(name, kind, command or None, reason)] for one dataset.
    kind: peer, ringcp or limit.  src and dst are directories; dst exists
    and is empty when a command starts."""
    S, D, R = q(src), q(dst), q(ringcp)
    if ds["kind"] == "file":
        f = "big.bin"
        sf, df = q(os.path.join(src, f)), q(os.path.join(dst, f))
        return [
            ("cp", "peer", f"cp -a {sf} {df}", ""),
            ("rsync", "peer", f"rsync -a {sf} {df}", ""),
            ("tar", "peer", f"tar -C {S} -cf - {f} | tar -C {D} -xf -", ""),
            ("ringcp", "ringcp", f"{R} {sf} {df}", ""),
            ("cp-reflink-never", "limit", f"cp --reflink=never {sf} {df}", ""),
        ]
    why = lacks(caps, "archive")
    return [
        ("cp", "peer", f"cp -a {S}/. {D}", ""),
        ("rsync", "peer", f"rsync -a {S}/ {D}/", ""),
        ("tar", "peer", f"tar -C {S} -cf - . | tar -C {D} -xf -", ""),
        ("ringcp", "ringcp", None if why else f"{R} -a {S}/ {D}/", why),
    ]


def prepare(dst, regime):
    """The untimed command run before every timed run: the last copy
    deleted and synced away, so that no run pays for writing back the one
    before it.  Cold: the page cache, dentries and inodes dropped as well."""
    p = f"rm -rf {q(dst)} && mkdir -p {q(dst)} && sync"
    if regime == "cold":
        p += " && echo 3 > /proc/sys/vm/drop_caches"
    return p


def timed(cmd, dst, regime):
    """The timed command: durable adds a sync of the destination's
    filesystem inside the timing, for every tool alike."""
    if regime == "durable":
        return f"{cmd} && sync -f {q(dst)}"
    return cmd


def warm_source(path):
    """Read every file under path once, so the page cache holds it."""
    subprocess.run(["sh", "-c", "find \"$1\" -type f -exec cat {} + >/dev/null",
                    "sh", path], check=False)
