# SPDX-License-Identifier: MIT
"""What every tool of the package shares: where the repository is, messages,
JSON files, running a program for one line of output, and the summary
statistics of a list of times.  Runs nothing itself.
"""
import fcntl
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# the repository's top directory (scripts/ringcp_tools/ is two below it)
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def die(tag, msg, code=1):
    """Print "TAG: MSG" on stderr and exit with CODE (1 unless told)."""
    print(f"{tag}: {msg}", file=sys.stderr)
    sys.exit(code)


def log(msg):
    """A progress line, "== MSG", on stderr."""
    print(f"== {msg}", file=sys.stderr, flush=True)


def load(path):
    """The JSON document in PATH; raises OSError or ValueError."""
    with open(path) as f:
        return json.load(f)


def load_or_none(path):
    """The JSON document in PATH, or None when it is missing or unreadable."""
    try:
        return load(path)
    except (OSError, ValueError):
        return None


# where a path of this machine starts: the checkout, and scratch space
_SCRATCH = re.compile(r"(?<![\w./$-])/(?:var/)?tmp(?=/|\b)")


def scrub(obj):
    """OBJ with no absolute path of this machine in its strings: the
    checkout becomes relative ("build/gcc/ringcp", "." alone), scratch
    space under /tmp or /var/tmp becomes $SCRATCH.  Results and records
    are read on other machines; where this one keeps things is no figure."""
    if isinstance(obj, dict):
        return {k: scrub(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    if isinstance(obj, str):
        obj = obj.replace(TOP + "/", "").replace(TOP, ".")
        return _SCRATCH.sub("$SCRATCH", obj)
    return obj


def scrub_file(path):
    """Rewrite the JSON file PATH (another program's, e.g. hyperfine's
    --export-json) through scrub()."""
    dump(load(path), path)


def dump(obj, path, indent=1):
    """Write OBJ to PATH as JSON (and a newline) through a temporary file
    renamed into place, so that a reader never sees half a file; its
    strings scrubbed of this machine's paths (scrub)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(scrub(obj), f, indent=indent)
        f.write("\n")
    os.replace(path + ".tmp", path)


def q(s):
    """S quoted for a shell command line."""
    return shlex.quote(s)


def out_of(cmd, **kw):
    """The stdout of CMD (a list, or a string for sh -c), stripped; "" when
    the program cannot be started."""
    try:
        return subprocess.run(cmd, shell=isinstance(cmd, str),
                              capture_output=True, text=True,
                              **kw).stdout.strip()
    except OSError:
        return ""


def first_line(cmd):
    """The first line CMD prints on stdout or stderr (as `CMD 2>&1 | head
    -1`), "" when it prints nothing or cannot be started."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           errors="replace")
    except OSError:
        return ""
    lines = p.stdout.splitlines()
    return lines[0] if lines else ""


def stats(times):
    """runs, median, mean, min, max and sample standard deviation of a
    list of times in seconds (keys end in _s)."""
    return {
        "runs": len(times),
        "median_s": statistics.median(times),
        "mean_s": statistics.mean(times),
        "min_s": min(times),
        "max_s": max(times),
        "stddev_s": statistics.stdev(times) if len(times) > 1 else 0.0,
    }


def loadavg():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg has them."""
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def wall_ns(argv, dst):
    """Remove DST, sync, then run ARGV (output discarded) and return its
    wall time in ns; raises CalledProcessError when it fails."""
    if os.path.lexists(dst):
        os.unlink(dst)
    os.sync()
    t0 = time.perf_counter_ns()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter_ns() - t0


def lock(path, tag):
    """Hold an exclusive lock on PATH (created) for the life of the
    process, or die saying another run holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        die(tag, f"another measurement is running in {os.path.dirname(path)}")
    return fd
