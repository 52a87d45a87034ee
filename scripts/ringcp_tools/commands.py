# SPDX-License-Identifier: MIT
"""The command lines the bench times and probes: every tool on every
dataset, the state every timed run starts from, and what the ringcp
binary can do (read from its --help).  Used by timing and probes; runs
nothing but `ringcp --help` and, in the run_state helpers, sync, the
cache drop and reads of the source.

The protocol (docs/bench.md "A fair protocol"): every timed run copies
into a destination directory of its own that no earlier run used, made
before the run; copies are deleted outside the timing (timing.Dest), and
never right before a timed run on the same filesystem unless the
filesystem has no window for freed inodes (fsmatrix's settle_s says how
long one must wait); before every run: sync, the page cache, dentries and
inodes dropped, then for every regime but cold the source read back in.
"""
import os
import re
import subprocess

from .common import q

# The peers ringcp is compared with; "limit" rows are shown beside them
# but are no peer (cp --reflink=never: a copy that never clones; the
# floor: the kernel work alone, tools/floor.c).
PEERS = ("cp", "rsync", "tar", "fpsync")
# the cores fpsync's rsync jobs and the floor's threads use
JOBS = 2


def capabilities(ringcp):
    """Options of the ringcp binary the bench needs, read from --help, and
    the defaults it states ("defaults": {qd, bs, fif, buffers})."""
    try:
        text = subprocess.run([ringcp, "--help"], capture_output=True,
                              text=True).stdout
    except OSError as e:
        return {"help_error": str(e)}
    caps = {
        "archive": "--archive" in text or re.search(r"^ *-a\b", text, re.M) is not None,
        "files_in_flight": "--files-in-flight" in text,
        "buffers": "--buffers" in text,
        "json": "--json" in text,
        "hax": all(re.search(rf"(^|\s)-{f}(\s|$)", text, re.M) for f in "HAX"),
        # issue 15's engine options: when `ringcp --help` shows them the
        # bench sweeps them (timing.sweeps_for, "ENGINE OPTION SWEEPS")
        "reflink": "--reflink" in text,
        "data_path": "--data=" in text,
    }
    caps["reflink_values"] = _choices(text, "--reflink") or \
        (["never", "auto", "always"] if caps["reflink"] else [])
    caps["data_path_values"] = _choices(text, "--data")
    caps["defaults"] = _defaults(text)
    return caps


def _choices(text, opt):
    """The values OPT=a|b|c lists in --help, or []."""
    m = re.search(re.escape(opt) + r"[= ]\[?([a-z0-9_-]+(?:\|[a-z0-9_-]+)+)", text)
    return m.group(1).split("|") if m else []


def _defaults(text):
    """The defaults --help states for the swept options ({} where it states
    none)."""
    pats = {"qd": r"--queue-depth=N.*?\(default (\w+)\)",
            "bs": r"--block-size=SIZE.*?\(default (\w+)\)",
            "fif": r"--files-in-flight=N.*?\(default (\w+)",
            "buffers": r"--buffers=[a-z|]+ \(default (\w+)\)",
            "reflink": r"--reflink\[=WHEN\].*?(\w+) \(default\b",
            "data_path": r"--data=\S+.*?\(default (\w+)\)"}
    got = {}
    for k, p in pats.items():
        m = re.search(p, text, re.S)
        if m and "\n\n" not in text[m.start():m.end()]:
            got[k] = m.group(1)
    return got


def lacks(caps, *names):
    """'' when ringcp has every capability named, else why not."""
    opt = {"archive": "--archive (tree copy)",
           "files_in_flight": "--files-in-flight",
           "buffers": "--buffers", "hax": "-H, -A or -X",
           "reflink": "--reflink", "data_path": "--data"}
    missing = [opt[n] for n in names if not caps.get(n)]
    return "ringcp lacks " + ", ".join(missing) if missing else ""


def tools(ds, src, dst, ringcp, caps, floor=None, fpsync_tmp="/tmp"):
    """[(name, kind, command or None, reason)] for one dataset.  kind:
    peer, ringcp or limit.  src and dst are directories; dst exists and is
    empty when a command starts.  FLOOR: tools/floor's binary (None: the
    row says it was not built)."""
    S, D, R = q(src), q(dst), q(ringcp)
    no_floor = "" if floor and os.access(floor, os.X_OK) else \
        "tools/floor not built (make)"
    F = q(floor or "floor")
    if ds["kind"] == "file":
        f = "big.bin"
        sf, df = q(os.path.join(src, f)), q(os.path.join(dst, f))
        return [
            ("cp", "peer", f"cp -a {sf} {df}", ""),
            ("rsync", "peer", f"rsync -a {sf} {df}", ""),
            ("tar", "peer", f"tar -C {S} -cf - {f} | tar -C {D} -xf -", ""),
            ("ringcp", "ringcp", f"{R} {sf} {df}", ""),
            ("cp-reflink-never", "limit", f"cp --reflink=never {sf} {df}", ""),
            ("floor", "limit", f"{F} {S} {D}", no_floor),
            ("floor-rw", "limit", f"{F} --rw {S} {D}", no_floor),
        ]
    why = lacks(caps, "archive")
    why_hax = why or lacks(caps, "hax")
    return [
        ("cp", "peer", f"cp -a {S}/. {D}", ""),
        ("rsync", "peer", f"rsync -a {S}/ {D}/", ""),
        ("tar", "peer", f"tar -C {S} -cf - . | tar -C {D} -xf -", ""),
        ("fpsync", "peer", fpsync(S, D, fpsync_tmp), ""),
        ("ringcp", "ringcp", None if why else f"{R} -a {S}/ {D}/", why),
        ("ringcp-aHAX", "ringcp", None if why_hax else f"{R} -aHAX {S}/ {D}/",
         why_hax),
        ("cp-reflink-never", "limit", f"cp -a --reflink=never {S}/. {D}", ""),
        ("floor", "limit", f"{F} {S} {D}", no_floor),
        ("floor-rw", "limit", f"{F} --rw {S} {D}", no_floor),
    ]


def fpsync(S, D, tmp):
    """fpsync (Debian fpart): fpart splits the tree into partitions, JOBS
    rsync jobs copy them in parallel.  -o is fpsync's default rsync
    options less -v (rsync -a but -r: fpsync hands rsync file lists);
    its work files go to TMP, outside the filesystem measured."""
    return (f"fpsync -n {JOBS} -t {q(tmp)} -o '-lptgoD --numeric-ids' "
            f"{S}/ {D}/")


def noop_tools(ds, src, dst, ringcp, caps, fpsync_tmp="/tmp"):
    """The rerun onto an up-to-date tree: the tools that skip what is
    already there (rsync's quick check, fpsync's rsyncs, ringcp's rsync
    semantics)."""
    S, D, R = q(src), q(dst), q(ringcp)
    why = lacks(caps, "archive")
    return [
        ("rsync", "peer", f"rsync -a {S}/ {D}/", ""),
        ("fpsync", "peer", fpsync(S, D, fpsync_tmp), ""),
        ("ringcp", "ringcp", None if why else f"{R} -a {S}/ {D}/", why),
    ]


def prepare(dst, regime):
    """The untimed steps before every timed run, as a description (the
    run_state helpers do them; probes run it as a shell line)."""
    p = f"mkdir -p {q(dst)} (a name no run used) && sync"
    p += " && echo 3 > /proc/sys/vm/drop_caches (root only)"
    if regime != "cold":
        p += " && read the source back in"
    if regime == "noop":
        p += " and stat the up-to-date destination"
    if regime == "rotate":
        p += " && rm -rf the previous run's copy (right before the run)"
    return p


def timed(cmd, dst, regime):
    """The timed command: durable adds a sync of the destination's
    filesystem inside the timing, for every tool alike."""
    if regime == "durable":
        return f"{cmd} && sync -f {q(dst)}"
    return cmd


def drop_caches():
    """sync, then drop the page cache, dentries and inodes (root); False
    when it could not drop them."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def warm_source(path):
    """Read every file under path once, so the page cache holds it."""
    subprocess.run(["sh", "-c", "find \"$1\" -type f -exec cat {} + >/dev/null",
                    "sh", path], check=False)


def warm_metadata(path):
    """Stat every entry under PATH, so its inodes are cached."""
    subprocess.run(["du", "-s", path], stdout=subprocess.DEVNULL, check=False)
