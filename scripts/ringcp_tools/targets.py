# SPDX-License-Identifier: MIT
"""The targets of issue 7 (targets.json beside this file), checked against
the bench's results: one verdict per target ("met", "not met" or "not
measured") and the figures it rests on.  Pure: reads the documents it is
given, writes nothing.
"""
import os
import statistics

REGIMES = ("warm", "cold", "durable")
# the targets the bench copies into results/bench/targets.json
TARGETS_JSON = os.path.join(os.path.dirname(__file__), "targets.json")


def ringcp_over(doc, peer):
    """Median over rounds of ringcp's time over PEER's, or None."""
    rows = {c["name"]: c for c in doc["commands"] if c["status"] == "run"}
    if "ringcp" not in rows or peer not in rows:
        return None
    r = [a / b for a, b in zip(rows["ringcp"]["round_medians_s"],
                               rows[peer]["round_medians_s"])]
    return statistics.median(r)


def verdict(checks):
    measured = [c for c in checks if c.get("ok") is not None]
    if not measured:
        return "not measured"
    return "met" if all(c["ok"] for c in measured) else "not met"


def many_files(groups, datasets, want, regimes):
    """Many-files datasets: ringcp at least WANT x faster than the fastest
    peer, in each of REGIMES."""
    checks = []
    for ds in datasets:
        if ds.get("kind") not in ("tree", "real") or "not_run" in ds:
            continue
        for reg in regimes:
            g = groups.get((ds["name"], reg))
            c = {"dataset": ds["name"], "regime": reg}
            row = g and next((x for x in g["commands"] if x["name"] == "ringcp"), None)
            if not g:
                c["not_measured"] = "regime not run in this mode"
            elif g.get("status") != "run":
                c["not_measured"] = g.get("error") or "group not run"
            elif row["status"] != "run":
                c["not_measured"] = row["reason"]
            else:
                c["speedup"] = row["speedup_over_fastest_peer"]
                c["fastest_peer"] = g["fastest_peer"]
                c["ok"] = c["speedup"] >= want
            checks.append(c)
    return checks


def big_file(groups, want):
    """The big file: ringcp's time at most WANT times cp's, every regime."""
    checks = []
    for reg in REGIMES:
        g = groups.get(("big", reg))
        if not g or g.get("status") != "run":
            continue
        r = ringcp_over(g, "cp")
        c = {"dataset": "big", "regime": reg}
        if r is None:
            c["not_measured"] = "ringcp or cp not run"
        else:
            c["ratio_ringcp_over_cp"] = r
            c["ok"] = r <= want
        checks.append(c)
    return checks


def durable(groups, fio, want):
    """The durable big-file copy at least WANT of fio's write ceiling."""
    g = groups.get(("big", "durable"))
    c = {"dataset": "big", "regime": "durable"}
    row = g and next((x for x in g["commands"]
                      if x["name"] == "ringcp" and x["status"] == "run"), None)
    if not fio:
        c["not_measured"] = "no fio ceiling"
    elif not row:
        c["not_measured"] = "ringcp durable on the big file not run"
    else:
        c["ringcp_mib_per_s"] = row["mib_per_s"]
        c["write_ceiling_mib_per_s"] = fio["write"]["mib_per_s"]
        c["fraction"] = row["mib_per_s"] / fio["write"]["mib_per_s"]
        c["ok"] = c["fraction"] >= want
    return [c]


def syscalls(probes, want, names):
    """At most WANT system calls per file on the small-file datasets NAMES."""
    checks = []
    for e in (probes or {}).get("datasets", []):
        if e["dataset"] not in names:
            continue
        t = next((t for t in e["tools"] if t["name"] == "ringcp"), None)
        c = {"dataset": e["dataset"]}
        if not t or t["status"] != "run":
            c["not_measured"] = (t or {}).get("reason") or (t or {}).get("error") \
                or "not run"
        else:
            c["syscalls_per_file"] = t["syscalls_per_file"]
            c["ok"] = t["syscalls_per_file"] <= want
        checks.append(c)
    return checks


def check_targets(groups, datasets, probes, fio, targets):
    """[{"id", "target", "checks", "verdict"}] for the four targets.
    groups: {(dataset, regime): time-*.json}; datasets: datasets.json's
    list; probes, fio: their JSON or None; targets: targets.json."""
    t = targets
    parts = [
        ("many_files", t["many_files_min_speedup"],
         many_files(groups, datasets, t["many_files_min_speedup"],
                    t["many_files_regimes"])),
        ("big_file", t["big_file_max_ratio_to_cp"],
         big_file(groups, t["big_file_max_ratio_to_cp"])),
        ("durable", t["durable_min_fraction_of_write_ceiling"],
         durable(groups, fio, t["durable_min_fraction_of_write_ceiling"])),
        ("syscalls", t["small_file_max_syscalls"],
         syscalls(probes, t["small_file_max_syscalls"],
                  t["small_file_datasets"])),
    ]
    return [{"id": i, "target": want, "checks": checks,
             "verdict": verdict(checks)} for i, want, checks in parts]
