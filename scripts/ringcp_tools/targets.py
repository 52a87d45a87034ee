# SPDX-License-Identifier: MIT
"""The targets of issue 15 (targets.json beside this file), checked per
filesystem against the bench's results: one verdict per target and
filesystem ("met", "not met" or "not measured"), the figures it rests
on, and for a check not met by how much (short_by: how many times faster,
or smaller, ringcp must get).  Pure: reads the documents it is given,
writes nothing.

groups: {(fs, dataset, regime): time-*.json}; fss: {fs: its record}
(clone_possible says which large-file target applies); fios: {fs:
fio-FS.json}; probes: probes.json (peak memory, system calls; made on
the first filesystem).
"""
import os
import statistics

from .timing import ratio_ci

REGIMES = ("warm", "cold", "durable", "rotate", "noop")
# the targets the bench copies into results/bench/targets.json
TARGETS_JSON = os.path.join(os.path.dirname(__file__), "targets.json")
MANY_FILES = ("mixed", "tiny", "usr-include", "usr-share-doc")


def row_of(g, name):
    return next((c for c in g["commands"] if c["name"] == name
                 and c["status"] == "run"), None) if g else None


def round_ratios(doc, peer, who="ringcp"):
    """WHO's (ringcp's) time over PEER's in each round, or None."""
    a, b = row_of(doc, who), row_of(doc, peer)
    if not a or not b:
        return None
    return [x / y for x, y in zip(a["round_medians_s"], b["round_medians_s"])]


def ringcp_over(doc, peer, who="ringcp"):
    """Median over rounds of WHO's (ringcp's) time over PEER's, or None."""
    r = round_ratios(doc, peer, who)
    return statistics.median(r) if r else None


def interval(c, ratios, invert, want):
    """Record in check C the 95% bootstrap interval of the median of
    RATIOS (of 1/ratio when INVERT: a speedup, at least WANT; else a time
    ratio, at most WANT), and, for a check not met, whether the interval
    still reaches WANT (within_spread: these rounds cannot tell a miss
    from a pass)."""
    ci = ratio_ci(ratios) if ratios else None
    if not ci:
        return
    c["ci95"] = sorted(1 / x for x in ci) if invert else ci
    if c.get("ok") is False:
        lo, hi = c["ci95"]
        c["within_spread"] = hi >= want if invert else lo <= want


def verdict(checks):
    """"met", "not met", "not measured", or "not met, within the rounds'
    spread" when every miss has an interval that reaches the target."""
    measured = [c for c in checks if c.get("ok") is not None]
    if not measured:
        return "not measured"
    missed = [c for c in measured if not c["ok"]]
    if not missed:
        return "met"
    if all(c.get("within_spread") for c in missed):
        return "not met, within the rounds' spread"
    return "not met"


def _missing(g, reg):
    if not g:
        return "regime not run in this mode or on this filesystem"
    if g.get("status") != "run":
        return g.get("error") or "group not run"
    rc = next((c for c in g["commands"] if c["name"] == "ringcp"), None)
    if not rc or rc["status"] != "run":
        return (rc or {}).get("reason") or (rc or {}).get("error") or "ringcp not run"
    return None


def speedup_checks(groups, fs, names, regimes, want, peer=None):
    """ringcp at least WANT times as fast as PEER (None: the fastest peer)
    on datasets NAMES in REGIMES, on FS."""
    checks = []
    for ds in names:
        for reg in regimes:
            g = groups.get((fs, ds, reg))
            if not g and reg not in ("warm",):
                continue
            c = {"fs": fs, "dataset": ds, "regime": reg}
            why = _missing(g, reg)
            if why:
                c["not_measured"] = why
            elif peer:
                r = ringcp_over(g, peer)
                if r is None:
                    c["not_measured"] = f"{peer} not run"
                else:
                    c.update(speedup=1 / r, against=peer)
            else:
                rc = row_of(g, "ringcp")
                c.update(speedup=rc["speedup_over_fastest_peer"],
                         against=g["fastest_peer"])
            if "speedup" in c:
                c["ok"] = c["speedup"] >= want
                c["want"] = want
                interval(c, round_ratios(g, c["against"]), True, want)
                if not c["ok"]:
                    c["short_by"] = want / c["speedup"]
                    # how fast the kernel work alone is against the same
                    # peer: below WANT, no copy doing that work gets there
                    f = ringcp_over(g, c["against"], "floor")
                    if f:
                        c["floor_speedup"] = 1 / f
            checks.append(c)
    return checks


def big_file(groups, fs, clone, want_no_clone, want_clone):
    """The big file: ringcp's time at most WANT times cp's (the clone
    target where cp can clone on FS), every regime but durable."""
    want = want_clone if clone else want_no_clone
    checks = []
    for reg in ("warm", "cold"):
        g = groups.get((fs, "big", reg))
        if not g:
            continue
        c = {"fs": fs, "dataset": "big", "regime": reg, "clone_possible": clone,
             "max_ratio": want}
        why = _missing(g, reg)
        r = None if why else ringcp_over(g, "cp")
        if why or r is None:
            c["not_measured"] = why or "cp not run"
        else:
            c["ratio_ringcp_over_cp"] = r
            c["ok"] = r <= want
            c["want"] = want
            interval(c, round_ratios(g, "cp"), False, want)
            if not c["ok"]:
                c["short_by"] = r / want
        checks.append(c)
    return checks


def durable(groups, fs, fio, want, clone=False, want_clone=1.0):
    """The durable big-file copy at least WANT of fio's write ceiling.
    Where CLONE (cp, and ringcp's default --reflink=auto, clone on FS) the
    copy writes no data, so a write ceiling does not bound it: the check
    is then the clone target, ringcp's time at most WANT_CLONE times cp's."""
    g = groups.get((fs, "big", "durable"))
    if clone and g:
        # big_file's check on the durable group alone (big_file reads the
        # warm and cold keys; the group is handed in as the warm one and
        # its regime set back to durable)
        return [dict(c, regime="durable", durable_by_clone=True)
                for c in big_file({(fs, "big", "warm"): g}, fs, True,
                                  want_clone, want_clone)]
    if not g and not fio:
        return []
    c = {"fs": fs, "dataset": "big", "regime": "durable"}
    row = row_of(g, "ringcp")
    if not fio:
        c["not_measured"] = "no fio ceiling on this filesystem"
    elif not g:
        c["not_measured"] = "durable regime not run in this mode"
    elif not row:
        c["not_measured"] = "ringcp durable on the big file not run"
    else:
        c["ringcp_mib_per_s"] = row["mib_per_s"]
        c["write_ceiling_mib_per_s"] = fio["write"]["mib_per_s"]
        c["fraction"] = row["mib_per_s"] / fio["write"]["mib_per_s"]
        c["ok"] = c["fraction"] >= want
        if not c["ok"]:
            c["short_by"] = want / c["fraction"]
    return [c]


def memory(probes, fs, want_mib):
    """ringcp's peak memory (GNU time's %M) at most WANT_MIB per dataset."""
    checks = []
    for e in (probes or {}).get("datasets", []):
        t = next((t for t in e["tools"] if t["name"] == "ringcp"), None)
        c = {"fs": fs, "dataset": e["dataset"]}
        if not t or t.get("status") != "run":
            c["not_measured"] = (t or {}).get("reason") or (t or {}).get("error") \
                or "not run"
        else:
            c["max_rss_kib"] = t["max_rss_kib"]
            c["ok"] = t["max_rss_kib"] <= want_mib * 1024
            if not c["ok"]:
                c["short_by"] = t["max_rss_kib"] / (want_mib * 1024)
        checks.append(c)
    return checks


def syscalls(probes, fs, want, names):
    """At most WANT system calls per file on the small-file datasets NAMES."""
    checks = []
    for e in (probes or {}).get("datasets", []):
        if e["dataset"] not in names:
            continue
        t = next((t for t in e["tools"] if t["name"] == "ringcp"), None)
        c = {"fs": fs, "dataset": e["dataset"]}
        if not t or t["status"] != "run":
            c["not_measured"] = (t or {}).get("reason") or (t or {}).get("error") \
                or "not run"
        else:
            c["syscalls_per_file"] = t["syscalls_per_file"]
            c["ok"] = t["syscalls_per_file"] <= want
            if not c["ok"]:
                c["short_by"] = t["syscalls_per_file"] / want
        checks.append(c)
    return checks


def fs_order(groups, fss):
    """The filesystems in the order they were measured."""
    order = list(fss)
    for fs, _, _ in groups:
        if fs not in order:
            order.append(fs)
    return order


def check_targets(groups, datasets, probes, fios, fss, targets):
    """[{"id", "target", "fs", "checks", "verdict"}]: each target on each
    filesystem (memory and system calls on the one the probes ran on)."""
    t = targets
    have = {d["name"] for d in datasets if "not_run" not in d}
    many = [n for n in MANY_FILES if n in have]
    out = []
    order = fs_order(groups, fss)
    for fs in order:
        clone = bool((fss.get(fs) or {}).get("clone_possible"))
        parts = [
            ("many_files", t["many_files_min_speedup"],
             speedup_checks(groups, fs, many, t["many_files_regimes"],
                            t["many_files_min_speedup"])),
            ("mib", t["mib_min_speedup_over_cp"],
             speedup_checks(groups, fs, ["mib"] if "mib" in have else [],
                            t["mib_regimes"], t["mib_min_speedup_over_cp"], "cp")),
            ("big_file", t["big_file_max_ratio_to_cp_clone"] if clone
             else t["big_file_max_ratio_to_cp_no_clone"],
             big_file(groups, fs, clone, t["big_file_max_ratio_to_cp_no_clone"],
                      t["big_file_max_ratio_to_cp_clone"])),
            ("durable", t["durable_min_fraction_of_write_ceiling"],
             durable(groups, fs, fios.get(fs),
                     t["durable_min_fraction_of_write_ceiling"], clone,
                     t["big_file_max_ratio_to_cp_clone"])),
            ("rotate", t["rotate_min_speedup"],
             speedup_checks(groups, fs, [n for n in ("mixed", "tiny", "mib") if
                                         (fs, n, "rotate") in groups], ["rotate"],
                            t["rotate_min_speedup"])),
        ]
        if fs == order[0]:
            parts += [
                ("memory", t["peak_memory_max_mib"],
                 memory(probes, fs, t["peak_memory_max_mib"])),
                ("syscalls", t["small_file_max_syscalls"],
                 syscalls(probes, fs, t["small_file_max_syscalls"],
                          t["small_file_datasets"])),
            ]
        for i, want, checks in parts:
            out.append({"id": i, "target": want, "fs": fs, "checks": checks,
                        "verdict": verdict(checks)})
    return out
