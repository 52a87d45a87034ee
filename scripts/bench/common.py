# SPDX-License-Identifier: MIT
"""What the bench scripts share: the run's context (env.json, datasets.json),
what the ringcp binary can do, and the command line of every tool on every
dataset.  Imported by timing.py and probes.py; runs nothing itself.
"""
import json
import os
import shlex
import statistics
import subprocess
import sys

MiB, GiB = 1 << 20, 1 << 30

# The peers ringcp is compared with, and the limits shown beside them.
PEERS = ("cp", "rsync", "tar")


def die(tag, msg):
    print(f"{tag}: {msg}", file=sys.stderr)
    sys.exit(1)


def load(path):
    with open(path) as f:
        return json.load(f)


def dump(obj, path):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


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


def q(s):
    return shlex.quote(s)


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


def stats(times):
    return {
        "runs": len(times),
        "median_s": statistics.median(times),
        "mean_s": statistics.mean(times),
        "min_s": min(times),
        "max_s": max(times),
        "stddev_s": statistics.stdev(times) if len(times) > 1 else 0.0,
    }


def parse_strace_c(path):
    """{syscall: {"calls": n, "errors": n}} from strace -c's table."""
    calls = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) < 5 or not t[0][0].isdigit() or t[-1] == "total":
                continue
            name = t[-1]
            n = int(t[3])
            err = int(t[4]) if len(t) == 6 else 0
            calls[name] = {"calls": n, "errors": err}
    return calls
