# SPDX-License-Identifier: MIT
"""REPORT.md's sections about the filesystem matrix (issue 15): where each
section's results come from (commits), the filesystems, the headline
(ringcp against the fastest peer, per dataset and filesystem), the
targets per filesystem, the floor, and the backup-rotation and rerun
rows.  The figures they print are computed by headline() and written to
summary.json by report.py before the report is written, so that every
number in REPORT.md is one of a JSON file.
"""
import statistics

from .targets import REGIMES


def f2(x):
    return "%.2f" % x


def ratio_ci(ratios):
    """timing.ratio_ci (imported late: it needs scipy)."""
    from .timing import ratio_ci as ci
    return ci(ratios)


def headline(groups, fs_order):
    """One entry per (fs, dataset, regime) where ringcp and a peer ran:
    ringcp's speedup over the fastest peer (median of the per-round
    ratios), its 95% bootstrap interval, and ringcp's time over the
    floor's."""
    rows = []
    for (fs, ds, reg), g in sorted(groups.items(), key=lambda kv: (
            fs_order.index(kv[0][0]) if kv[0][0] in fs_order else 99,
            kv[0][1], REGIMES.index(kv[0][2]) if kv[0][2] in REGIMES else 9)):
        rc = next((c for c in g.get("commands", []) if c["name"] == "ringcp"
                   and c["status"] == "run"), None)
        if g.get("status") != "run" or not rc or "fastest_peer" not in g:
            continue
        ci = rc.get("ratio_to_fastest_peer_ci95")
        if ci is None and "ratio_to_fastest_peer_median" in rc:
            peer = next(c for c in g["commands"] if c["name"] == g["fastest_peer"])
            ci = ratio_ci([a / b for a, b in zip(rc["round_medians_s"],
                                                 peer["round_medians_s"])])
        e = {"fs": fs, "dataset": ds, "regime": reg,
             "fastest_peer": g["fastest_peer"],
             "speedup": rc["speedup_over_fastest_peer"],
             "speedup_ci95": [1 / ci[1], 1 / ci[0]] if ci else None,
             "rounds": g["rounds"]}
        if "ratio_to_floor_median" in rc:
            e["times_floor"] = rc["ratio_to_floor_median"]
            fci = rc.get("ratio_to_floor_ci95")
            e["times_floor_ci95"] = fci
        rows.append(e)
    return rows


def commit_of(doc):
    """(commit, date) a results document names, or (None, None)."""
    if not doc:
        return None, None
    for where in (doc, doc.get("versions") or {}, doc.get("env") or {}):
        c = where.get("git_commit") or where.get("commit")
        if isinstance(c, str) and c:
            d = doc.get("date_utc") or (doc.get("env") or {}).get("date_utc")
            return c, d
    return None, doc.get("date_utc")


def provenance(d, sources):
    """The table of where each section's results come from, and a
    sentence when they come from different commits.  SOURCES: [(section,
    file, doc)]."""
    d.p("## Where these results come from")
    rows, commits = [], set()
    for section, path, doc in sources:
        if not doc:
            continue
        c, date = commit_of(doc)
        rows.append([section, f"`{path}`", (c or "not recorded")[:12],
                     date or "not recorded"])
        if c:
            commits.add(c.replace("-dirty", "")[:12])
    d.table(["section", "results", "commit", "date (UTC)"], rows)
    if len(commits) > 1:
        d.p(f"**The sections come from {len(commits)} different commits** (the"
            " table says which): a figure of one section was not measured on"
            " the code of another. Each section below names its commit too.")
    else:
        d.p("Every section's results come from the same commit.")


def filesystems(d, fss, env):
    d.p("## Filesystems")
    d.p(f"(the run of commit {(env.get('git_commit') or 'not recorded')[:12]}.)")
    if not fss:
        d.p("These results predate the filesystem matrix: one scratch"
            f" filesystem, {env.get('fs_type_mount', '?')} (see Machine).")
        return
    d.p("Each made fresh for the run (`ringcp_tools.fsmatrix`): a sparse"
        " image behind a loop device with direct I/O, or a tmpfs mount;"
        " removed at the end of the run.")
    d.table(["filesystem", "what", "mkfs", "mount", "mount options", "journal",
             "clone possible", "wait after deleting many files"],
            [[r["name"], r["what"], f"`{r['mkfs']}`" if r.get("mkfs") else "-",
              f"`{r.get('mount', '-')}`", r.get("mount_options", "-"),
              r.get("journal") or "-",
              "yes" if r.get("clone_possible") else "no",
              f"{r.get('settle_after_delete_s', 0)} s"]
             for r in fss.values()])


def cell(e):
    """A headline cell: speedup [interval] (fastest peer)."""
    ci = e.get("speedup_ci95")
    return (f"**{f2(e['speedup'])}x**" + (f" [{f2(ci[0])}-{f2(ci[1])}]" if ci else "")
            + f" vs {e['fastest_peer']}")


def headline_section(d, rows, fs_order, commit):
    d.p("## Headline: ringcp against the fastest peer, per dataset and filesystem")
    if not rows:
        d.p("No timing results with ringcp and a peer in this run.")
        return
    d.img("headline.png", "ringcp's speed over the fastest peer's, per dataset"
          " and filesystem")
    fss = [f for f in fs_order if any(e["fs"] == f for e in rows)]
    keys = []
    for e in rows:
        if (e["dataset"], e["regime"]) not in keys:
            keys.append((e["dataset"], e["regime"]))
    by = {(e["fs"], e["dataset"], e["regime"]): e for e in rows}
    d.table(["dataset", "regime"] + fss,
            [[ds, reg] + [cell(by[(f, ds, reg)]) if (f, ds, reg) in by else "-"
                          for f in fss] for ds, reg in keys])
    d.p(f"(commit {commit}.) Each cell: how many times as fast as the fastest"
        " peer ringcp is (the median over rounds of the peer's time over"
        " ringcp's, taken within each round), the 95% bootstrap confidence"
        " interval of that median in brackets, and which peer was fastest."
        " Above 1 ringcp wins; the issue's target for many files is 1.5. An"
        " interval that holds 1 means these rounds cannot tell the two apart.")


def target_text(tid, t):
    return {
        "many_files": f"many files: ringcp at least {t}x as fast as the fastest peer, warm and cold",
        "mib": f"1 MiB files: ringcp at least {t}x as fast as cp",
        "big_file": f"one large file: ringcp's time at most {t} times cp's "
                    "(0.9 where no clone is possible, 1.0 where cp clones)",
        "durable": f"durable large copy at least {t} of fio's write ceiling"
                   " (where cp clones: the clone target)",
        "rotate": f"copy right after deleting the previous copy: at least {t}x "
                  "the fastest peer",
        "memory": f"peak memory at most {t} MiB with defaults",
        "syscalls": f"at most {t} system calls per small file",
    }[tid]


def check_text(tid, c):
    where = c["dataset"] + (f" {c['regime']}" if "regime" in c else "")
    if "not_measured" in c:
        return f"{where}: not measured ({c['not_measured']})"
    short = f" (short by {f2(c['short_by'])}x)" if "short_by" in c else ""
    if "floor_speedup" in c:
        short = short[:-1] + f"; the floor: {f2(c['floor_speedup'])}x)"
    if c.get("within_spread"):
        short = short[:-1] + "; the interval reaches the target)"
    ci = f" [{f2(c['ci95'][0])}-{f2(c['ci95'][1])}]" if "ci95" in c else ""
    if tid in ("many_files", "mib", "rotate"):
        return f"{where}: {f2(c['speedup'])}x{ci} {c['against']}{short}"
    if tid in ("big_file", "durable") and "ratio_ringcp_over_cp" in c:
        clone = (", both clone: no data is written, so the clone target"
                 " applies, not fio's ceiling" if c.get("durable_by_clone") else "")
        return (f"{where}: ringcp/cp {f2(c['ratio_ringcp_over_cp'])}{ci}"
                f"{clone}{short}")
    if tid == "durable":
        return (f"{where}: {'%.0f' % c['ringcp_mib_per_s']} of "
                f"{'%.0f' % c['write_ceiling_mib_per_s']} MiB/s, "
                f"{f2(c['fraction'])} of the ceiling{short}")
    if tid == "memory":
        return f"{where}: {'%.1f' % (c['max_rss_kib'] / 1024)} MiB{short}"
    return f"{where}: {f2(c['syscalls_per_file'])} calls per file{short}"


def targets_section(d, checks, fs_order, commit="not recorded"):
    d.p("## Targets (issue 15), per filesystem")
    d.p(f"(timing results of commit {commit}; targets.json beside them.)")
    if not checks:
        d.p("Not checked: this run's results/bench/targets.json is not issue"
            " 15's (it predates the filesystem matrix); `make bench` again.")
        return
    rows = []
    for t in checks:
        rows.append([target_text(t["id"], t["target"]), t["fs"], t["verdict"],
                     "; ".join(check_text(t["id"], c) for c in t["checks"])
                     or "nothing measured"])
    d.table(["target", "filesystem", "verdict", "figures (short by: how many"
             " times faster, or smaller, ringcp must get)"], rows)
    d.p("Peak memory and system calls come from the probes, run on the first"
        " filesystem only. A target not met says by how much, and for a speed"
        " target how fast `tools/floor` (the same files and bytes, the kernel"
        " work alone) was against the same peer in the same rounds: where the"
        " floor itself is below the target, no copy that does that kernel work"
        " can meet it, and the gap left is ringcp's time over the floor's"
        " (\"How far from the floor\"). The brackets hold the 95% bootstrap"
        " interval of the median over rounds; a verdict \"not met, within the"
        " rounds' spread\" means every miss has an interval that reaches the"
        " target, so these rounds cannot tell the miss from a pass. Why"
        " ringcp misses is in docs/bench.md, \"Targets missed\".")


def floor_section(d, rows, fs_order, commit="not recorded"):
    d.p("## How far from the floor")
    d.p(f"(commit {commit}.)")
    got = [e for e in rows if "times_floor" in e]
    if not got:
        d.p("No floor in these results (`tools/floor` was not run).")
        return
    d.p("`tools/floor` makes the same files and writes the same bytes with the"
        " fewest calls a copy can make, on both cores (one thread walks, two"
        " copy, one copy_file_range per file: a clone where the filesystem"
        " clones), no metadata, no checks: the kernel work alone. ringcp's time"
        " as a multiple of the floor's (median over rounds, taken within each"
        " round; 95% bootstrap interval):")
    fss = [f for f in fs_order if any(e["fs"] == f for e in got)]
    keys = []
    for e in got:
        if (e["dataset"], e["regime"]) not in keys:
            keys.append((e["dataset"], e["regime"]))
    by = {(e["fs"], e["dataset"], e["regime"]): e for e in got}

    def c(e):
        ci = e.get("times_floor_ci95")
        return f"{f2(e['times_floor'])}x" + (f" [{f2(ci[0])}-{f2(ci[1])}]" if ci else "")
    d.table(["dataset", "regime"] + fss,
            [[ds, reg] + [c(by[(f, ds, reg)]) if (f, ds, reg) in by else "-"
                          for f in fss] for ds, reg in keys])


def special_rows(d, groups, fs_order):
    """Backup rotation and the rerun onto an up-to-date tree, per
    filesystem: their own rows, never dropped."""
    d.p("## Backup rotation and reruns")
    d.p(f"(commit {group_commit(groups)}.)")
    d.p("**rotate**: the copy made right after `rm -rf` of the previous copy"
        " (the deletion untimed but immediately before, as a user's backup"
        " rotation does). **noop**: the same command run again onto an"
        " up-to-date copy (rsync's and ringcp's quick check; fpsync's rsyncs).")
    rows = []
    for (fs, ds, reg), g in sorted(groups.items(), key=lambda kv: (
            fs_order.index(kv[0][0]) if kv[0][0] in fs_order else 99, kv[0][1])):
        if reg not in ("rotate", "noop") or g.get("status") != "run":
            continue
        for c in g["commands"]:
            if c["status"] != "run":
                continue
            rows.append([fs, ds, reg, c["name"], "%.3f" % c["median_s"],
                         f2(c["ratio_to_fastest_peer_median"])
                         if "ratio_to_fastest_peer_median" in c else "-"])
    if rows:
        d.table(["filesystem", "dataset", "row", "tool", "median s",
                 "time / fastest peer's"], rows)
    else:
        d.p("Not run in these results.")


def group_commit(groups):
    """The commit of the timing results (their env), as printed: each
    one when a run in pieces measured them on several."""
    got = sorted({c[:12] for c in (commit_of(g)[0] for g in groups.values()) if c})
    return ", ".join(got) or "not recorded"


def median_or_none(xs):
    return statistics.median(xs) if xs else None
