#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write REPORT.md from the JSON in results/ and nothing else.

usage: report.py RESULTS_DIR OUT_MD

Reads RESULTS_DIR/bench/*.json (written by make bench) and
RESULTS_DIR/safety.json (make safety-check).  The targets of issue 7 are
checked here; the figures and verdicts of that check are written to
RESULTS_DIR/bench/summary.json first, so that every number in the report
is one found in a JSON file under RESULTS_DIR (tests/report_gen.sh checks
this).  Numbers are only rounded for printing, never typed in.
"""
import glob
import json
import os
import statistics
import sys

MiB, GiB = 1 << 20, 1 << 30
REGIMES = ("warm", "cold", "durable")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ---- number formatting (rounding only) --------------------------------------

def f2(x):
    return "%.2f" % x


def f3(x):
    return "%.3f" % x


def n0(x):
    return "{:,}".format(int(round(x)))


def secs(x):
    return "%.3f" % x


def mib(x):
    return "%.1f" % (x / MiB)


# ---- the targets -------------------------------------------------------------

def ringcp_over(doc, peer):
    """Median over rounds of ringcp's time over PEER's, or None."""
    rows = {c["name"]: c for c in doc["commands"] if c["status"] == "run"}
    if "ringcp" not in rows or peer not in rows:
        return None
    r = [a / b for a, b in zip(rows["ringcp"]["round_medians_s"],
                               rows[peer]["round_medians_s"])]
    return statistics.median(r)


def check_targets(groups, datasets, probes, fio, targets):
    out = []

    def verdict(checks):
        measured = [c for c in checks if c.get("ok") is not None]
        if not measured:
            return "not measured"
        return "met" if all(c["ok"] for c in measured) else "not met"

    # 1. many-files datasets: ringcp at least N x faster than the fastest peer
    want = targets["many_files_min_speedup"]
    checks = []
    for ds in datasets:
        if ds.get("kind") not in ("tree", "real") or "not_run" in ds:
            continue
        for reg in targets["many_files_regimes"]:
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
    out.append({"id": "many_files", "target": want, "checks": checks,
                "verdict": verdict(checks)})

    # 2. the big file: ringcp no slower than cp
    want = targets["big_file_max_ratio_to_cp"]
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
    out.append({"id": "big_file", "target": want, "checks": checks,
                "verdict": verdict(checks)})

    # 3. durable big file within a fraction of the device write ceiling
    want = targets["durable_min_fraction_of_write_ceiling"]
    checks = []
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
    checks.append(c)
    out.append({"id": "durable", "target": want, "checks": checks,
                "verdict": verdict(checks)})

    # 4. system calls per small file
    want = targets["small_file_max_syscalls"]
    checks = []
    for e in (probes or {}).get("datasets", []):
        if e["dataset"] not in targets["small_file_datasets"]:
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
    out.append({"id": "syscalls", "target": want, "checks": checks,
                "verdict": verdict(checks)})
    return out


# ---- the report ----------------------------------------------------------------

class Doc:
    def __init__(self):
        self.lines = []

    def p(self, *text):
        self.lines.append(" ".join(text))
        self.lines.append("")

    def table(self, head, rows):
        self.lines.append("| " + " | ".join(head) + " |")
        self.lines.append("|" + "---|" * len(head))
        for r in rows:
            self.lines.append("| " + " | ".join(str(x) for x in r) + " |")
        self.lines.append("")

    def img(self, results, bench_rel, name, alt):
        path = os.path.join(results, "bench", name)
        if os.path.exists(path):
            self.p(f"![{alt}]({bench_rel}/{name})")
        else:
            self.p(f"(plot {name} not drawn: its data is missing)")


def why_peer_wins(peer, ds_name, probes):
    """A reason for a peer's win that the measurements show, or None."""
    e = next((e for e in (probes or {}).get("datasets", [])
              if e["dataset"] == ds_name), None)
    if not e:
        return None
    t = {t["name"]: t for t in e["tools"] if t.get("status") == "run"}
    if peer not in t:
        return None
    cfr = t[peer]["syscalls"].get("copy_file_range", {}).get("calls", 0)
    if cfr:
        return (f"{peer} copies inside the kernel with copy_file_range "
                f"({n0(cfr)} calls under strace), so the data never passes "
                f"through user space; ringcp reads it into user buffers and "
                f"writes it back out")
    if "ringcp" not in t:
        return None
    mine, theirs = t["ringcp"]["syscalls_per_file"], t[peer]["syscalls_per_file"]
    if theirs < mine:
        return (f"{peer} makes fewer system calls per file "
                f"({f2(theirs)} against ringcp's {f2(mine)})")
    return (f"not the system calls: ringcp makes fewer per file ({f2(mine)} "
            f"against {peer}'s {f2(theirs)}), so the time goes into the work "
            f"each call or io_uring operation does; these measurements do not "
            f"say which")


def write_group(d, g, probes):
    d.p(f"**{g['regime']}** ({g['rounds']} rounds x {g['runs_per_round']} runs "
        f"per command; fastest peer: {g.get('fastest_peer', 'none')})")
    rows = []
    for c in g["commands"]:
        if c["status"] != "run":
            rows.append([c["name"], "not run: " + c["reason"], "", "", "", "", ""])
            continue
        rows.append([c["name"], secs(c["median_s"]),
                     f"{secs(c['min_s'])} - {secs(c['max_s'])}",
                     f"{f2(c['ratio_to_fastest_peer_median'])} "
                     f"({f2(c['ratio_to_fastest_peer_min'])} - "
                     f"{f2(c['ratio_to_fastest_peer_max'])})"
                     if "ratio_to_fastest_peer_median" in c else "",
                     "%.0f" % c["mib_per_s"], n0(c["files_per_s"]),
                     f"{secs(c['user_mean_s'])} / {secs(c['system_mean_s'])}"])
    d.table(["tool", "median s", "min - max s",
             "time / fastest peer's (median of rounds, min - max)",
             "MiB/s", "files/s", "user / system s"], rows)
    rc = next((c for c in g["commands"] if c["name"] == "ringcp"), None)
    if rc and rc["status"] == "run" and "ratio_to_fastest_peer_median" in rc:
        r = rc["ratio_to_fastest_peer_median"]
        peer = g["fastest_peer"]
        lo, hi = rc["ratio_to_fastest_peer_min"], rc["ratio_to_fastest_peer_max"]
        if lo < 1 < hi:
            d.p(f"No clear winner between ringcp and {peer}: the median ratio is"
                f" {f2(r)}, but the rounds range from {f2(lo)} to {f2(hi)}.")
        elif r > 1:
            why = why_peer_wins(peer, g["dataset"], probes)
            d.p(f"{peer} wins here: ringcp takes {f2(r)} times its time."
                + (f" Why: {why}." if why else
                   " These measurements do not show why."))
        else:
            d.p(f"ringcp is the fastest: {f2(1 / r)} times as fast as {peer}, "
                f"the fastest peer.")


def main():
    if len(sys.argv) != 3:
        print("usage: report.py RESULTS_DIR OUT_MD", file=sys.stderr)
        sys.exit(1)
    results, out_md = sys.argv[1:]
    bench = os.path.join(results, "bench")
    env = load(os.path.join(bench, "env.json"))
    if not env:
        print(f"report: no {bench}/env.json: run make bench first", file=sys.stderr)
        sys.exit(1)
    dsets = (load(os.path.join(bench, "datasets.json")) or {}).get("datasets", [])
    fio = load(os.path.join(bench, "fio.json"))
    probes = load(os.path.join(bench, "probes.json"))
    cost = load(os.path.join(bench, "safety-cost.json"))
    safety = load(os.path.join(results, "safety.json"))
    targets = load(os.path.join(bench, "targets.json"))
    groups = {}
    for p in glob.glob(os.path.join(bench, "time-*.json")):
        g = load(p)
        groups[(g["dataset"], g["regime"])] = g
    sweeps = [load(p) for p in sorted(glob.glob(os.path.join(bench, "sweep-*.json")))]
    checks = check_targets(groups, dsets, probes, fio, targets) if targets else []
    with open(os.path.join(bench, "summary.json"), "w") as f:
        json.dump({"targets": checks}, f, indent=1)
        f.write("\n")
    bench_rel = os.path.relpath(bench, os.path.dirname(os.path.abspath(out_md)))

    d = Doc()
    d.p("# ringcp: benchmark report")
    d.p(f"Generated by `scripts/report.py` from `{os.path.relpath(results, os.path.dirname(os.path.abspath(out_md)))}/`"
        " (the JSON that `make bench` and `make safety-check` write); do not edit"
        " by hand, run `make report` (or `make bench`) again.")
    if env["mode"] != "full":
        d.p(f"**This is a {env['mode']} run** (`{env['command']}`): the datasets are"
            " smaller than the published ones and only some datasets get the cold"
            " and durable regimes (see Datasets and Method). `make bench FULL=1`"
            " gives the published numbers.")

    d.p("## Machine and versions")
    caps = env.get("caps", {})
    d.table(["what", "value"], [
        ["date (UTC)", env["date_utc"]], ["host", env["hostname"]],
        ["kernel", env["kernel"]], ["CPU", f"{env['cpu_model']}, {env['nproc']} CPUs"],
        ["memory", f"{mib(env['mem_total_bytes'])} MiB"],
        ["filesystem", f"{env['fs_type_mount']} on {env['fs_source']} ({env['workdir']})"
         + (f", journal: {env['fs_journal']}" if env.get('fs_journal') else "")
         + (f", a loop device over {env['fs_loop_backing'].split()[0]}"
            f" (direct I/O: {'on' if env['fs_loop_backing'].split()[-1] == '1' else 'off'})"
            if env.get('fs_loop_backing') else "")],
        ["ringcp", f"{env['ringcp_version']} (sha256 {env['ringcp_sha256'][:12]})"],
        ["ringcp options seen in --help", ", ".join(k for k, v in caps.items() if v) or "none of the tree/buffer options"],
        ["git commit", env["git_commit"]],
        ["gcc", env["gcc"]], ["liburing", env["liburing_dev"]],
        ["coreutils", env["coreutils"]], ["rsync", env["rsync"]], ["tar", env["tar"]],
        ["hyperfine", env["hyperfine"]], ["fio", env["fio"]], ["strace", env["strace"]],
        ["mode, seed", f"{env['mode']}, {env['seed']}"],
        ["measurement wall time", f"{env.get('bench_wall_s', 0)} s"],
        ["load average at start, end", f"{env['loadavg_start']}; {env.get('loadavg_end', 'not recorded')}"],
    ])

    d.p("## Method")
    d.p("Every copy goes from a source tree to an empty destination directory on"
        " the same filesystem. Before every timed run hyperfine's `--prepare`"
        " removes and recreates the destination and runs `sync`, and for the"
        " cold regime drops the page cache (each group's JSON holds its"
        " `prepare`). Regimes: **warm** (source"
        " read into the page cache first), **cold** (caches dropped before every"
        " run, root only), **durable** (the timed command is `TOOL ... && sync -f"
        " DST`, for every tool alike).")
    d.p("Hyperfine runs one command's runs back to back, so on a shared machine a"
        " noisy minute would land on one tool. Each group is therefore timed in"
        " rounds, one hyperfine call each with the commands' order rotated and"
        " reversed from round to round; the runs are pooled for medians and"
        " min-max, and the ratio to the fastest peer (the peer with the lowest"
        " pooled median) is taken within each round and its median over the"
        " rounds reported. Absolute times are for this machine only; compare"
        " ratios.")
    d.p("Peers: `cp -a`, `rsync -a`, `tar -C SRC -cf - . | tar -C DST -xf -`."
        " Limits: `cp --reflink=never` on the large file, and fio's sequential"
        " O_DIRECT write and read ceilings on the same filesystem. System calls"
        " (strace -c -f) and peak memory (GNU time's %M) come from one extra"
        " untimed run of each tool on the warm source, and each of those copies"
        " is compared with the source (diff -r, or cmp).")

    d.p("## Datasets")
    rows = []
    for ds in dsets:
        if "not_run" in ds:
            rows.append([ds["name"], ds["label"], "not run: " + ds["not_run"], "", "", ""])
            continue
        src = f"generated, seed {ds['seed']}" if ds["seed"] is not None \
            else f"real tree {ds['path']}"
        rows.append([ds["name"], ds["label"], n0(ds["files"]), n0(ds["dirs"]),
                     mib(ds["bytes"]), src])
    d.table(["name", "what", "files", "dirs", "MiB", "source"], rows)

    d.p("## Targets (issue 7)")
    rows = []
    for t in checks:
        figs = []
        for c in t["checks"]:
            where = c["dataset"] + (f" {c['regime']}" if "regime" in c else "")
            if "not_measured" in c:
                figs.append(f"{where}: not measured ({c['not_measured']})")
            elif t["id"] == "many_files":
                figs.append(f"{where}: {f2(c['speedup'])}x as fast as "
                            f"{c['fastest_peer']}")
            elif t["id"] == "big_file":
                figs.append(f"{where}: ringcp/cp {f2(c['ratio_ringcp_over_cp'])}")
            elif t["id"] == "durable":
                figs.append(f"{where}: {'%.0f' % c['ringcp_mib_per_s']} of "
                            f"{'%.0f' % c['write_ceiling_mib_per_s']} MiB/s, "
                            f"{f2(c['fraction'])} of the ceiling")
            else:
                figs.append(f"{where}: {f2(c['syscalls_per_file'])} calls per file")
        what = {
            "many_files": f"ringcp at least {t['target']}x as fast as the fastest"
                          " peer on every many-files dataset, warm and cold",
            "big_file": f"ringcp's time on the large file at most {t['target']}"
                        " times cp's",
            "durable": f"durable large-file copy at least {t['target']} of the"
                       " device write ceiling",
            "syscalls": f"at most {t['target']} system calls per small file",
        }[t["id"]]
        rows.append([what, t["verdict"], "; ".join(figs)])
    d.table(["target", "verdict", "figures"], rows)

    d.p("## Results per dataset")
    for ds in dsets:
        regs = [r for r in REGIMES if (ds["name"], r) in groups]
        if not regs:
            continue
        d.p(f"### {ds['name']}: {ds['label']}")
        for r in regs:
            g = groups[(ds["name"], r)]
            if g.get("status") == "failed":
                d.p(f"**{r}**: failed: {g['error']}")
                continue
            if g.get("status") != "run":
                d.p(f"**{r}**: not run: " + "; ".join(
                    f"{c['name']}: {c['reason']}" for c in g["commands"]))
                continue
            write_group(d, g, probes)
        d.img(results, bench_rel, f"time-{ds['name']}.png",
              f"time per tool, {ds['name']}")

    d.p("## ringcp sweeps")
    for s in sweeps:
        d.p(f"### {s['what']}")
        if s.get("status") != "run":
            d.p(f"Not run: {s.get('reason') or s.get('error')}.")
            continue
        keys = list(s["parameters"])
        d.p(f"`{s['command']}`, warm source, {s['rounds']} rounds x "
            f"{s['runs_per_round']} runs per point; best: "
            + ", ".join(f"{k} {s['best'][k]}" for k in keys) + ".")
        pts = sorted(s["points"], key=lambda p: p["median_s"])
        d.table(keys + ["median s", "MiB/s", "time / best's"],
                [[p[k] for k in keys] + [secs(p["median_s"]), "%.0f" % p["mib_per_s"],
                                         f2(p["ratio_to_best_median"])] for p in pts])
        d.img(results, bench_rel, f"sweep-{s['sweep']}.png", s["what"])

    bufs = load(os.path.join(results, "buffers.json"))
    d.p("### buffer strategies: allocations and memory (results/buffers.json)")
    if bufs:
        prm = bufs["params"]
        d.p(f"{bufs['what']} (`scripts/measure-buffers.sh`, {bufs['date_utc']},"
            f" {prm['rounds']} rounds, queue depth {prm['queue_depth']} x"
            f" {n0(prm['block_size_bytes'] / 1024)} KiB blocks, destination on"
            f" {prm['dst_filesystem']}, load average at the end"
            f" {' '.join(prm['loadavg_at_end'])}).")
        rows = []
        for ds, per in bufs["datasets"].items():
            for name, r in per.items():
                rows.append([ds, name, secs(r["process_wall_s_median"]),
                             "%.0f" % (r["bw_bytes_median"] / 2**20),
                             "%.4f" % r["buffers_allocated_per_op"],
                             "%.4f" % r["records_allocated_per_op"],
                             mib(r["max_rss_kib_median"] * 1024)])
        d.table(["dataset", "strategy", "median s", "MiB/s",
                 "buffer allocations per op", "record allocations per op",
                 "peak RSS MiB"], rows)
        dflt = env.get("ringcp_default_buffers")
        many = bufs["datasets"].get("many", {})
        if dflt and dflt in many:
            r = many[dflt]
            least_alloc = r["buffers_allocated_per_op"] <= 2 * min(
                x["buffers_allocated_per_op"] for x in many.values())
            least_rss = r["max_rss_kib_median"] == min(
                x["max_rss_kib_median"] for x in many.values())
            d.p(f"The default strategy is `{dflt}` (ringcp --help). On many"
                f" files it makes {'%.4f' % r['buffers_allocated_per_op']} buffer"
                " allocations per op"
                + (" (as few as any strategy)" if least_alloc else "")
                + f" and peaks at {mib(r['max_rss_kib_median'] * 1024)} MiB"
                + (" (the least of all)" if least_rss else "")
                + "; it registers nothing with the kernel and pins no memory."
                " Where its times differ from the others' by less than the"
                " sweeps' round-to-round spread, that is the reason it is the"
                " default, not speed.")
    else:
        d.p("Not measured: run `scripts/measure-buffers.sh`.")

    d.p("## Limits: the device and the in-kernel copy")
    if fio:
        d.p(f"fio (`{fio['command']}`, median of {fio['rounds']} rounds):"
            f" write {'%.0f' % fio['write']['mib_per_s']} MiB/s, read"
            f" {'%.0f' % fio['read']['mib_per_s']} MiB/s.")
    else:
        d.p("fio was not run.")
    if probes:
        for e in probes["datasets"]:
            if e["dataset"] != "big":
                continue
            for t in e["tools"]:
                if t.get("status") != "run" or not t["name"].startswith("cp"):
                    continue
                cfr = t["syscalls"].get("copy_file_range", {}).get("calls", 0)
                rd = t["syscalls"].get("read", {}).get("calls", 0)
                d.p(f"`{t['name']}` on the large file made {n0(cfr)} copy_file_range"
                    f" and {n0(rd)} read calls under strace"
                    + (": it copies inside the kernel." if cfr else
                       ": it copies through user space, not with copy_file_range."))

    d.p("## System calls and memory")
    if probes:
        d.p(f"One run of each tool under `{probes['strace']}` and one under"
            f" `{probes['time']}`. Calls per file subtract the"
            f" {n0(probes['startup_calls'])} calls of `{probes['startup_command']}`"
            " (starting a command) from the total.")
        rows = []
        for e in probes["datasets"]:
            for t in e["tools"]:
                if t.get("status") != "run":
                    rows.append([e["dataset"], t["name"], "not run: " +
                                 (t.get("reason") or t.get("error", "")), "", "", "", ""])
                    continue
                rows.append([e["dataset"], t["name"], n0(t["syscalls_total"]),
                             f2(t["syscalls_per_file"]),
                             n0(t["io_uring_enter_per_gib"])
                             if t["io_uring_enter_per_gib"] is not None else "",
                             mib(t["max_rss_kib"] * 1024),
                             "yes" if t["copy_identical"] else "NO"])
        d.table(["dataset", "tool", "system calls", "per file",
                 "io_uring_enter per GiB", "peak RSS MiB", "copy identical"], rows)
        d.img(results, bench_rel, "syscalls.png", "system calls per file")
    else:
        d.p("Not measured in this run.")

    d.p("## The cost of safety")
    if cost:
        d.p(f"{cost['what']} ({n0(len(next(iter(cost['block_size_bytes'].values()))['pairs']))}"
            f" rounds; `{cost['command']}` on the {mib(cost['src_bytes'])} MiB file):")
        rows = []
        for bs, s in cost["block_size_bytes"].items():
            rows.append([f"{n0(int(bs) / 1024)} KiB",
                         secs(s["production_median_ns"] / 1e9),
                         secs(s["harness_median_ns"] / 1e9),
                         secs(s["mutant_free_on_cancel_median_ns"] / 1e9),
                         f"{f2(s['ratio_harness_over_production_median'])} "
                         f"({f2(s['ratio_min'])} - {f2(s['ratio_max'])})",
                         f"{f2(s['ratio_mutant_over_production_median'])} "
                         f"({f2(s['ratio_mutant_min'])} - {f2(s['ratio_mutant_max'])})"])
        d.table(["block size", "production s", "harness s", "mutant s",
                 "harness / production", "mutant / production"], rows)
        d.img(results, bench_rel, "safety-cost.png", "cost of safety")
    else:
        d.p("Not measured in this run.")

    d.p("## Safety verdict (results/safety.json)")
    if safety:
        tot = safety["totals"]
        d.p(f"`make safety-check` ({safety['mode']} mode, seed {safety['seed']},"
            f" {safety['date_utc']}): **{safety['verdict']}**."
            f" {n0(tot['cancellations'])} cancellations, {n0(tot['submits'])} submits,"
            f" {n0(tot['cqes'])} CQEs, {n0(tot['violations'])} violations,"
            f" {n0(tot['unexpected_answers'])} unexpected cancel answers.")
        for f in safety["failures"]:
            d.p(f"Failure: {f}")
        cov = {}
        for c in safety["coverage"]:
            cov.setdefault(c["state"], {})[c["dir"]] = \
                "n/a: " + c["unreachable"] if c["unreachable"] and not c["hits"] \
                else n0(c["hits"])
        d.table(["cancel state", "read", "write"],
                [[s, v.get("read", "-"), v.get("write", "-")] for s, v in sorted(cov.items())])
        d.img(results, bench_rel, "safety-coverage.png", "safety coverage")
        d.table(["mutant", "caught", "by"],
                [[m["mutant"], "yes" if m["caught"] else "NO (survived)",
                  ", ".join(m["detectors"])] for m in safety["mutants"]])
        vg = [v for v in safety.get("valgrind", []) if v["run"].startswith("mutant-")]
        for v in vg:
            d.p(f"valgrind on {v['run']}: {'caught' if v.get('caught') else 'not caught'}"
                f" ({n0(v['errors'])} errors).")
    else:
        d.p("No results/safety.json: run `make safety-check`.")

    with open(out_md, "w") as f:
        f.write("\n".join(d.lines).rstrip() + "\n")
    print(f"report: wrote {out_md}", file=sys.stderr)


if __name__ == "__main__":
    main()
