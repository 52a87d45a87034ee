# SPDX-License-Identifier: MIT
"""Write REPORT.md from the JSON in results/ and nothing else.

usage: python3 -m ringcp_tools.report RESULTS_DIR OUT_MD
       (scripts/report.py RESULTS_DIR OUT_MD is the same)

Reads RESULTS_DIR/bench/*.json (written by make bench),
RESULTS_DIR/buffers.json (scripts/measure-buffers.sh) and
RESULTS_DIR/safety.json (make safety-check).  The targets of issue 7 are
checked here (targets.py); the figures and verdicts of that check are
written to RESULTS_DIR/bench/summary.json first, so that every number in
the report is one found in a JSON file under RESULTS_DIR
(tests/report_gen.sh checks this).  Numbers are only rounded for printing,
never typed in.  Each section of the report is one function below, in the
order of the report.
"""
import glob
import os
import sys

from . import fsmatrix
from . import report_paths
from . import report_matrix as rm
from .common import MiB, dump, load_or_none as load
from .targets import REGIMES, check_targets, fs_order


# ---- number formatting (rounding only) --------------------------------------

def f2(x):
    return "%.2f" % x


def f1(x):
    return "%.1f" % x


def n0(x):
    return "{:,}".format(int(round(x)))


def secs(x):
    return "%.3f" % x


def mib(x):
    return "%.1f" % (x / MiB)


def commit(doc):
    """The commit a results document names, as printed."""
    c, _ = rm.commit_of(doc)
    return (c or "not recorded")[:12]


# ---- the document ----------------------------------------------------------------

class Doc:
    """Markdown lines: paragraphs, tables and images of results/bench/."""

    def __init__(self, results, out_md):
        self.lines = []
        self.results = results
        # results/bench as the report links it (relative to the report)
        self.bench_rel = os.path.relpath(os.path.join(results, "bench"),
                                         os.path.dirname(os.path.abspath(out_md)))

    def p(self, *text):
        self.lines.append(" ".join(text))
        self.lines.append("")

    def table(self, head, rows):
        self.lines.append("| " + " | ".join(head) + " |")
        self.lines.append("|" + "---|" * len(head))
        for r in rows:
            self.lines.append("| " + " | ".join(str(x) for x in r) + " |")
        self.lines.append("")

    def img(self, name, alt):
        """The plot NAME of results/bench/, or a line saying it is missing."""
        if os.path.exists(os.path.join(self.results, "bench", name)):
            self.p(f"![{alt}]({self.bench_rel}/{name})")
        else:
            self.p(f"(plot {name} not drawn: its data is missing)")


class Results:
    """Every JSON document the report reads (None where missing)."""

    def __init__(self, results):
        bench = os.path.join(results, "bench")
        self.dir = results
        self.env = load(os.path.join(bench, "env.json"))
        self.dsets = (load(os.path.join(bench, "datasets.json")) or {}).get(
            "datasets", [])
        # the filesystems of the matrix, in the order measured (none in
        # results made before it: one scratch filesystem, named "scratch")
        self.fss = {r["name"]: r for r in (load(os.path.join(
            bench, "filesystems.json")) or {}).get("filesystems", [])}
        self.fios = {}
        for p in sorted(glob.glob(os.path.join(bench, "fio-*.json"))):
            self.fios[os.path.basename(p)[4:-5]] = load(p)
        legacy = load(os.path.join(bench, "fio.json"))
        if legacy and not self.fios:
            self.fios["scratch"] = legacy
        self.fio = next(iter(self.fios.values()), None)
        self.probes = load(os.path.join(bench, "probes.json"))
        self.cost = load(os.path.join(bench, "safety-cost.json"))
        self.safety = load(os.path.join(results, "safety.json"))
        self.model = load(os.path.join(results, "model.json"))
        self.safety_full = load(os.path.join(results, "safety-full.json"))
        self.witness_cost = load(os.path.join(results, "harness",
                                              "witness-cost.json"))
        self.buffers = load(os.path.join(results, "buffers.json"))
        self.rk_programs = load(os.path.join(results, "ringcheck",
                                             "programs.json"))
        self.rk_cost = load(os.path.join(results, "ringcheck", "cost.json"))
        self.fuzz = load(os.path.join(results, "fuzz.json"))
        self.fuzz_mutants = load(os.path.join(results, "fuzz-mutants.json"))
        self.targets = load(os.path.join(bench, "targets.json"))
        self.groups = {}
        for p in glob.glob(os.path.join(bench, "time-*.json")):
            g = load(p)
            self.groups[(g.get("fs", "scratch"), g["dataset"], g["regime"])] = g
        self.fs_order = fs_order(self.groups, self.fss)
        self.sweeps = [load(p) for p in
                       sorted(glob.glob(os.path.join(bench, "sweep-*.json")))]
        self.headline = rm.headline(self.groups, self.fs_order)


# ---- sections ------------------------------------------------------------------

def header(d, env, out_md):
    d.p("# ringcp: benchmark report")
    rel = os.path.relpath(d.results, os.path.dirname(os.path.abspath(out_md)))
    d.p(f"Generated by `scripts/report.py` from `{rel}/`"
        " (the JSON that `make bench` and `make safety-check` write); do not edit"
        " by hand, run `make report` (or `make bench`) again.")
    unmeasured = not_measured_yet(env, d.results)
    if unmeasured:
        d.p(f"**This {env['mode']} run is not complete.** Filesystems of its"
            f" matrix not measured yet: {', '.join(unmeasured)} (a run in pieces,"
            " `BENCH_APPEND=1`); the tables below hold those measured.")
    if env["mode"] != "full":
        d.p(f"**This is a {env['mode']} run** (`{env['command']}`): the datasets are"
            " smaller than the published ones and only some datasets get the cold"
            " and durable regimes (see Datasets and Method). `make bench FULL=1`"
            " gives the published numbers.")


def not_measured_yet(env, results):
    """The filesystems of ENV's mode a matrix run (filesystems.json) has
    not measured; none for a directory measured as found."""
    got = [r["name"] for r in (load(os.path.join(results, "bench",
           "filesystems.json")) or {}).get("filesystems", [])]
    if not got or any(n.startswith("dir-") for n in got):
        return []
    return [n for n in fsmatrix.mode_names(env["mode"]) if n not in got]


def filesystem(env):
    """The filesystem row: type, device, work dir, journal, loop backing."""
    fs = f"{env['fs_type_mount']} on {env['fs_source']} ({env['workdir']})"
    if env.get("fs_journal"):
        fs += f", journal: {env['fs_journal']}"
    if env.get("fs_loop_backing"):
        back = env["fs_loop_backing"].split()
        fs += (f", a loop device over {back[0]}"
               f" (direct I/O: {'on' if back[-1] == '1' else 'off'})")
    return fs


def machine(d, env, groups):
    d.p("## Machine and versions")
    caps = env.get("caps", {})
    d.table(["what", "value"], [
        ["date (UTC)", env["date_utc"]], ["host", env["hostname"]],
        ["kernel", env["kernel"]], ["CPU", f"{env['cpu_model']}, {env['nproc']} CPUs"],
        ["memory", f"{mib(env['mem_total_bytes'])} MiB"],
        ["filesystem", filesystem(env) + " (the matrix's filesystems: see"
         " Filesystems)"],
        ["ringcp", f"{env['ringcp_version']} (sha256 {env['ringcp_sha256'][:12]})"],
        ["ringcp options seen in --help", ", ".join(k for k, v in caps.items() if v is True)
         or "none of the tree/buffer options"],
        ["git commit (the code measured)", commits(env)],
        ["ringcp binary in the timings", binaries(groups)],
        ["gcc", env["gcc"]], ["liburing", env["liburing_dev"]],
        ["coreutils", env["coreutils"]], ["rsync", env["rsync"]], ["tar", env["tar"]],
        ["hyperfine", env["hyperfine"]], ["fio", env["fio"]], ["strace", env["strace"]],
        ["mode, seed", f"{env['mode']}, {env['seed']}"],
        ["measurement wall time", f"{env.get('bench_wall_s', 0)} s"],
        ["load average at start, end",
         f"{env['loadavg_start']}; {env.get('loadavg_end', 'not recorded')}"],
    ])
    pieces = env.get("pieces", [])
    if len(pieces) > 1:
        d.p("The run was made in pieces (`BENCH_APPEND=1`, a filesystem or"
            " more at a time, the sweeps and probes with the first"
            " filesystem's piece):")
        d.table(["filesystems", "date (UTC)", "git commit", "wall time",
                 "load average at start; end"],
                [[", ".join(p["filesystems"]), p["date_utc"], p["git_commit"][:12],
                  f"{p['wall_s']} s", f"{p['loadavg_start']}; {p['loadavg_end']}"]
                 for p in pieces])


def binaries(groups):
    """The ringcp binary row: the sha256 every timing file's env names,
    one when all agree (pieces on different commits then measured the
    same engine), else each with its filesystems."""
    by = {}
    for (fs, _, _), g in sorted(groups.items()):
        sha = (g.get("env") or {}).get("ringcp_sha256") or "not recorded"
        by.setdefault(sha[:12], set()).add(fs)
    if len(by) == 1:
        return f"sha256 {next(iter(by))}, the same in every timing file"
    return "differs: " + "; ".join(f"sha256 {s} on {', '.join(sorted(f))}"
                                   for s, f in sorted(by.items()))


def commits(env):
    """The git commit row: the run's, or each piece's when they differ."""
    got = sorted({p["git_commit"] for p in env.get("pieces", [])} or
                 {env["git_commit"]})
    if len(got) == 1:
        return got[0]
    return "the pieces differ: " + ", ".join(got)


def method(d):
    d.p("## Method")
    d.p("Every copy goes from a source tree to a destination directory on the"
        " same filesystem, made fresh for that one run (a name no run used)."
        " The copies are deleted outside the timing: when the filesystem runs"
        " short of space and at the end of each group, followed by `sync` and,"
        " on an ext4 without a journal, a wait past the window in which it"
        " skips freed inodes (each group's JSON lists these `reclaims`)."
        " Before every timed run: `sync`, the page cache, dentries and inodes"
        " dropped (root), then, for every regime but cold, the source read"
        " back in: every run starts from the same cache state and none pays"
        " to reclaim pages an earlier copy left. Regimes: **warm**, **cold**"
        " (the source not read back), **durable** (`TOOL ... && sync -f DST`"
        " timed, for every tool alike), **rotate** (the previous copy deleted"
        " right before the run, as a backup rotation does) and **noop** (a"
        " rerun onto an up-to-date copy). docs/bench.md has the protocol.")
    d.p("Each group is timed in rounds; a round runs every command once, in"
        " an order rotated (a different command leads each round) and the"
        " rest reversed every other round, so that a noisy"
        " minute of a shared machine lands on every tool alike. The runs are"
        " pooled for medians and min-max; the ratio to the fastest peer (the"
        " peer with the lowest pooled median) is taken within each round, and"
        " its median and a 95% bootstrap confidence interval"
        " (`scipy.stats.bootstrap`, median, percentile method) are reported."
        " Absolute times are for this machine only; compare ratios.")
    d.p("Peers: `cp -a`, `rsync -a`, `tar -C SRC -cf - . | tar -C DST -xf -`,"
        " and `fpsync -n 2` (Debian fpart: rsync jobs over partitions of the"
        " tree, in parallel, on the 2 cores). Beside them: `ringcp -aHAX`"
        " (like for like with `cp -a`, which copies xattrs, ACLs and hard"
        " links), `cp --reflink=never` (the no-clone reference, where cp"
        " could clone), `tools/floor` (the kernel work alone: copy_file_range, and `--rw`"
        " through user space) and fio's"
        " O_DIRECT write and read ceilings on each disk filesystem. System"
        " calls (strace -c -f) and peak memory (GNU time's %M) come from one"
        " extra untimed run of each tool on the first filesystem, each copy"
        " compared with its source (diff -r, or cmp).")


def datasets(d, dsets):
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


def group_verdict(d, g, probes):
    """The sentence under a group's table: who wins, and why if known."""
    rc = next((c for c in g["commands"] if c["name"] == "ringcp"), None)
    if not (rc and rc["status"] == "run" and "ratio_to_fastest_peer_median" in rc):
        return
    r = rc["ratio_to_fastest_peer_median"]
    peer = g["fastest_peer"]
    ci = rc.get("ratio_to_fastest_peer_ci95")
    if ci and ci[0] <= 1 <= ci[1]:
        d.p(f"No clear winner between ringcp and {peer}: the median ratio is"
            f" {f2(r)}, and its 95% bootstrap interval, {f2(ci[0])} to"
            f" {f2(ci[1])}, holds 1.")
    elif not ci and rc["ratio_to_fastest_peer_min"] < 1 < rc["ratio_to_fastest_peer_max"]:
        d.p(f"No clear winner between ringcp and {peer}: the median ratio is"
            f" {f2(r)}, but the rounds range from"
            f" {f2(rc['ratio_to_fastest_peer_min'])} to"
            f" {f2(rc['ratio_to_fastest_peer_max'])} (too few rounds for an interval).")
    elif r > 1:
        why = why_peer_wins(peer, g["dataset"], probes)
        d.p(f"{peer} wins here: ringcp takes {f2(r)} times its time."
            + (f" Why: {why}." if why else
               " These measurements do not show why."))
    else:
        d.p(f"ringcp is the fastest: {f2(1 / r)} times as fast as {peer}, "
            f"the fastest peer.")


def write_group(d, g, probes):
    """One regime of one dataset: the table of tools, then the verdict."""
    d.p(f"**{g['regime']}** ({g['rounds']} rounds x {g['runs_per_round']} runs "
        f"per command; fastest peer: {g.get('fastest_peer', 'none')})")
    rows = []
    for c in g["commands"]:
        if c["status"] != "run":
            rows.append([c["name"], ("not run: " + c["reason"]) if "reason" in c
                         else "failed: " + c.get("error", "?"), "", "", "", "", ""])
            continue
        ci = c.get("ratio_to_fastest_peer_ci95")
        rows.append([c["name"], secs(c["median_s"]),
                     f"{secs(c['min_s'])} - {secs(c['max_s'])}",
                     f"{f2(c['ratio_to_fastest_peer_median'])} "
                     + (f"[{f2(ci[0])} - {f2(ci[1])}]" if ci else
                        f"(rounds {f2(c['ratio_to_fastest_peer_min'])} - "
                        f"{f2(c['ratio_to_fastest_peer_max'])})")
                     if "ratio_to_fastest_peer_median" in c else "",
                     "%.0f" % c["mib_per_s"], n0(c["files_per_s"]),
                     f"{secs(c['user_mean_s'])} / {secs(c['system_mean_s'])}"])
    d.table(["tool", "median s", "min - max s",
             "time / fastest peer's (median of rounds [95% bootstrap interval])",
             "MiB/s", "files/s", "user / system s"], rows)
    group_verdict(d, g, probes)


def per_dataset(d, R):
    d.p("## Results per filesystem and dataset")
    d.p(f"(commit {rm.group_commit(R.groups)}.)")
    for ds in R.dsets:
        for fs in R.fs_order:
            regs = [r for r in REGIMES if (fs, ds["name"], r) in R.groups]
            if regs:
                per_fs_dataset(d, R, fs, ds, regs)
        d.img(f"time-{ds['name']}.png", f"time per tool, {ds['name']}")


def per_fs_dataset(d, R, fs, ds, regs):
    """One dataset on one filesystem: a table per regime."""
    if True:
        d.p(f"### {ds['name']} on {fs}: {ds['label']}")
        for r in regs:
            g = R.groups[(fs, ds["name"], r)]
            if g.get("status") == "failed":
                d.p(f"**{r}**: failed: {g['error']}")
                continue
            if g.get("status") != "run":
                d.p(f"**{r}**: not run: " + "; ".join(
                    f"{c['name']}: {c['reason']}" for c in g["commands"]))
                continue
            write_group(d, g, R.probes)


def sweeps(d, sweep_docs):
    d.p("## ringcp sweeps")
    for s in sweep_docs:
        d.p(f"### {s['what']}" + (f" ({s['fs']})" if s.get("fs") else ""))
        if s.get("status") != "run":
            d.p(f"Not run: {s.get('reason') or s.get('error')}.")
            continue
        keys = list(s["parameters"])
        c, _ = rm.commit_of(s)
        d.p(f"`{s['command']}`, warm source, {s['rounds']} rounds x "
            f"{s['runs_per_round']} runs per point (commit {(c or '?')[:12]}); best: "
            + ", ".join(f"{k} {s['best'][k]}" for k in keys) + "; the default"
            " (ringcp --help) is marked *.")
        pts = sorted(s["points"], key=lambda p: p["median_s"])
        d.table(keys + ["median s", "min - max s", "MiB/s", "time / best's"],
                [[f"{p[k]}{' *' if p.get('default') else ''}" for k in keys]
                 + [secs(p["median_s"]),
                    f"{secs(p['min_s'])} - {secs(p['max_s'])}" if "min_s" in p else "",
                    "%.0f" % p["mib_per_s"], f2(p["ratio_to_best_median"])]
                 for p in pts])
        name = f"sweep-{s['fs']}-{s['sweep']}" if s.get("fs") else f"sweep-{s['sweep']}"
        d.img(f"{name}.png", s["what"])


def default_strategy(d, bufs, dflt):
    """Why the default buffer strategy (ringcp --help's) is the default."""
    many = bufs["datasets"].get("many", {})
    if not (dflt and dflt in many):
        return
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


def buffers(d, bufs, env):
    d.p("### buffer strategies: allocations and memory (results/buffers.json)")
    if not bufs:
        d.p("Not measured: run `scripts/measure-buffers.sh`.")
        return
    prm = bufs["params"]
    d.p(f"{bufs['what']} (`scripts/measure-buffers.sh`, {bufs['date_utc']},"
        f" commit {commit(bufs)},"
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
    default_strategy(d, bufs, env.get("ringcp_default_buffers"))


def limits(d, fios, probes):
    d.p("## Limits: the device and the in-kernel copy")
    for fs, fio in fios.items():
        d.p(f"fio on {fs} (`{fio['command']}`, median of {fio['rounds']} rounds,"
            f" commit {commit(fio)}):"
            f" write {'%.0f' % fio['write']['mib_per_s']} MiB/s, read"
            f" {'%.0f' % fio['read']['mib_per_s']} MiB/s.")
    if not fios:
        d.p("fio was not run.")
    if not probes:
        return
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


def syscalls(d, probes):
    d.p("## System calls and memory")
    if not probes:
        d.p("Not measured in this run.")
        return
    d.p(f"(commit {commit(probes)}.) One run of each tool under `{probes['strace']}` and one under"
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
    d.img("syscalls.png", "system calls per file")


def safety_cost(d, cost):
    d.p("## The cost of safety")
    if not cost:
        d.p("Not measured in this run.")
        return
    d.p(f"{cost['what']} (commit {commit(cost)}; "
        f"{n0(len(next(iter(cost['block_size_bytes'].values()))['pairs']))}"
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
    d.img("safety-cost.png", "cost of safety")


def run_of(s):
    """When and on what a safety run ran: its date and commit."""
    commit = (s.get("versions") or {}).get("git_commit", "")[:10] or "?"
    return f"{s['mode']} mode, {s['date_utc']}, commit {commit}"


def safety_runs(d, quick, full):
    """The safety runs in results/: each one's date, commit and verdict."""
    rows = []
    for name, s in (("results/safety.json", quick),
                    ("results/safety-full.json", full)):
        if s:
            w = s.get("witness") or {}
            rows.append([name, s["mode"], s["date_utc"],
                         (s.get("versions") or {}).get("git_commit",
                                                       "")[:10] or "?",
                         s["verdict"], n0(s["totals"]["cancellations"]),
                         n0(w.get("events", 0)) if w.get("runs_on")
                         else "off"])
    if rows:
        d.table(["record", "mode", "date (UTC)", "commit", "verdict",
                 "cancellations", "witness events"], rows)
        if len({r[3] for r in rows}) > 1:
            d.p("The two runs come from different commits (the table says "
                "which); each section below names the run it shows.")
    for name, s in (("results/safety.json", quick),
                    ("results/safety-full.json", full)):
        if s and s["verdict"] != "pass":
            d.p(f"Why {name} says {s['verdict']} "
                f"({n0(s['totals']['violations'])} violations): "
                + "; ".join(s["failures"]) + ".")


def witness_section(d, s, cost):
    """The kernel as witness: what it recorded and what it cost."""
    w = (s or {}).get("witness")
    d.p("### The kernel as witness")
    if not w:
        d.p("No witness figures in results/safety.json.")
        return
    if w["runs_on"]:
        d.p(f"In the {run_of(s)} run the witness recorded "
            f"{n0(w['events'])} io_uring and close events of "
            f"{n0(w['requests'])} requests in {w['runs_on']} scenario runs "
            f"({n0(w['events_per_s'])} events per second of scenario), lost "
            f"{n0(w['lost'])}, and read and checked them in "
            f"{secs(w['read_ns'] / 1e9)} and {secs(w['check_ns'] / 1e9)}; "
            f"its detectors reported {n0(w['by_detector'])} violations.")
    if w["runs_skipped"]:
        d.p(f"It did not run in {w['runs_skipped']} scenario runs: "
            + "; ".join(str(x) for x in w["skip_reasons"]) + ".")
    if cost:
        d.table(["scenario", "with witness s", "without s", "ratio",
                 "kernel events", "events/s"],
                [[r["scenario"] + " " + " ".join(r["args"]),
                  secs(r["median_wall_ns_on"] / 1e9),
                  secs(r["median_wall_ns_off"] / 1e9),
                  f2(r["median_ratio_on_off"]),
                  n0(r["witness"]["events_all"]),
                  n0(r["witness"]["events_per_s"])] for r in cost["runs"]])
        d.p(f"(results/harness/witness-cost.json: medians of "
            f"{cost['runs'][0]['pairs']} alternating pairs, whole process "
            f"wall time, gcc build.)")


def coverage_per_strategy(d, s):
    """Cancellations hit per state, direction and buffer strategy: one
    column per strategy (the plot draws the same, one panel each)."""
    strategies = []
    cov = {}
    for c in s["coverage"]:
        b = c.get("buffers", "all")
        if b not in strategies:
            strategies.append(b)
        cov.setdefault((c["state"], c["dir"]), {})[b] = \
            "n/a: " + c["unreachable"] if c["unreachable"] and not c["hits"] \
            else n0(c["hits"])
    d.p("Cancellations that hit each state, per direction and buffer strategy"
        f" ({', '.join(strategies)}; the plot shows the same, one panel per"
        " strategy):")
    d.table(["cancel state", "dir"] + strategies,
            [[st, dr] + [v.get(b, "-") for b in strategies]
             for (st, dr), v in sorted(cov.items())])
    d.img("safety-coverage.png", "safety coverage per buffer strategy")


def safety(d, safety_doc, full=None, cost=None):
    d.p("## Safety verdict (results/safety.json)")
    s = safety_doc
    if not s:
        d.p("No results/safety.json: run `make safety-check`.")
        return
    safety_runs(d, s, full)
    tot = s["totals"]
    d.p(f"`make safety-check` ({run_of(s)}, seed {s['seed']}):"
        f" **{s['verdict']}**."
        f" {n0(tot['cancellations'])} cancellations, {n0(tot['submits'])} submits,"
        f" {n0(tot['cqes'])} CQEs, {n0(tot['violations'])} violations,"
        f" {n0(tot['unexpected_answers'])} unexpected cancel answers.")
    for f in s["failures"]:
        d.p(f"Failure: {f}")
    coverage_per_strategy(d, s)
    d.table(["mutant", "scenario", "buffers", "caught", "by"],
            [[m["mutant"], m.get("scenario", "protocol_tour"), m["buffers"],
              "yes" if m["caught"] else
              "skipped (needs the witness)" if m.get("skipped") else
              "NO (survived)", ", ".join(m["detectors"])]
             for m in s["mutants"]])
    for v in s.get("valgrind", []):
        if v["run"].startswith("mutant-"):
            d.p(f"valgrind on {v['run']}: {'caught' if v.get('caught') else 'not caught'}"
                f" ({n0(v['errors'])} errors).")
    witness_section(d, s, cost)


def ringcheck_section(d, progs, cost):
    """ringcheck: the programs it was pointed at, what it costs, what it
    cannot see (docs/ringcheck.md)."""
    d.p("## ringcheck: other programs' io_uring lifetimes")
    if not progs:
        d.p("No results/ringcheck/programs.json: run "
            "`python3 -m ringcp_tools.ringcheck_programs`.")
    else:
        d.p(f"`ringcheck PROGRAM` ({progs['env']['date_utc']}, commit "
            f"{progs['git_commit'][:12]}; results/ringcheck/programs.json):"
            f" each program as it is, no source change.")
        d.table(["program", "expected", "exit", "requests (CQEs seen)",
                 "releases checked", "reports", "first report / limit said"],
                [[r["program"], r["expect"], r["exit"],
                  f"{n0(r['requests'])} ({n0(r['completions'])})",
                  n0(r["releases"]), n0(r["reports"]),
                  (r["first_report"] + ": " + r["request"])
                  if r["first_report"] else r["limit"]]
                 for r in progs["programs"]])
    if cost:
        vs = [v for v in cost["runs"][0]["median_ratio"]]
        d.table(["workload", "plain s"] + [v.replace("ringcheck ", "")
                                           for v in vs],
                [[r["workload"], secs(r["median_s"]["plain"])]
                 + ["x" + f2(r["median_ratio"][v]) for v in vs]
                 for r in cost["runs"]])
        d.p(f"(results/ringcheck/cost.json: medians of the per-round ratios "
            f"over {cost['runs'][0]['rounds']} rotated rounds, hyperfine, "
            f"data on tmpfs, a {cost['large_mib']} MiB file and "
            f"{cost['small_files']} files of 4 KiB; load average at the "
            f"start {cost['env']['loadavg_start']} on a shared 2-core "
            f"machine.  As root, plain ringcheck also records the kernel's "
            f"witness, about 0.25 s per run whatever the program does, "
            f"which dominates short runs.  fio's enters are its own system "
            f"call instructions, which ringcheck sees only with "
            f"--trap-enters: its other figures are the cost of looking, not "
            f"of checking.)")
    d.p("What ringcheck cannot see (docs/ringcheck.md): stack memory popped "
        "by a function's return (a longjmp and a thread's end are seen); memory reused without a release (pools, provided "
        "buffer rings, a buffer written while lent); memory freed before "
        "any SQE names it (a use after free at submission: ASan's); "
        "registered files and buffer slot updates; rings set up by a statically "
        "linked liburing, and static programs (refused); enters made by "
        "the program's own system call instructions (fio) unless run "
        "with --trap-enters; requests with IOSQE_CQE_SKIP_SUCCESS; and, "
        "without root, whether the kernel had finished a request of a "
        "ring torn down before its CQE (reported as unknown; as root the "
        "kernel's witness withdraws or confirms the report).")


def fuzz(d, run, mutants):
    """Lifecycle fuzzing (docs/fuzz.md): a run's figures, coverage, and
    the detection power against the mutants."""
    d.p("## Lifecycle fuzzing (results/fuzz.json, results/fuzz-mutants.json)")
    if not run and not mutants:
        d.p("No fuzzing results: run `make fuzz` and `make fuzz-mutants`.")
        return
    if run:
        d.p(f"`{run['command']}` (commit {run['commit'][:12]}): "
            f"{n0(run['executions'])} executions in "
            f"{f1(run['wall_seconds'])} s "
            f"({f1(run['executions_per_second'])} per second), "
            f"{n0(run['edges_covered'])} edges, "
            f"{n0(run['crashes'])} crashes; the corpus holds "
            f"{n0(run['corpus_inputs'])} inputs "
            f"({n0(run['corpus_merged_new'])} new from this run).")
        cov = (run.get("coverage") or {}).get("scopes", {})
        if cov:
            d.table(["code", "lines", "regions", "functions", "branches"],
                    [[scope] + [f"{f1(v[k]['percent'])} % "
                                f"({n0(v[k]['covered'])} of "
                                f"{n0(v[k]['count'])})"
                                for k in ("lines", "regions", "functions",
                                          "branches")]
                     for scope, v in sorted(cov.items())])
            d.p("(llvm-cov of a coverage build replaying the corpus; "
                "engine/ is every layer, engine/tree the tree copy the "
                "decoder's tree step drives.)")
    if mutants:
        reach = [m for m in mutants["mutants"] if not m.get("out_of_reach")]
        d.p(f"Detection power (`{mutants['command']}`): each mutant's fuzz "
            f"target from the committed corpus, one at a time, a budget of "
            f"{f1(mutants['budget_s'])} s each: "
            f"{n0(sum(1 for m in reach if m['found']))} of "
            f"{n0(len(reach))} mutants in the decoder's reach found.")
        d.table(["mutant", "seconds", "executions", "caught by"],
                [[m["mutant"],
                  f1(m["seconds"]) if m.get("seconds") is not None else "-",
                  n0(m["executions"]) if m.get("executions") is not None
                  else "-",
                  (m.get("by", "") + (
                      f" (process killed by signal {m['killed_by_signal']} "
                      "before libFuzzer kept the input)"
                      if m.get("killed_by_signal") else ""))
                  if m["found"] else
                  ("out of reach: " if m.get("out_of_reach") else
                   "NOT found: ") + m.get("reason", "")]
                 for m in mutants["mutants"]])


def model_bounds(c):
    """A configuration's bounds, as the report states them."""
    b = c["bounds"]
    parts = [f"{b.get('NOPS')} records", f"SQ {b.get('SQ_ENTRIES')}",
             f"{b.get('NK')} kernel requests", f"{b.get('GETS')} lives",
             f"{b.get('SUBS')} submissions/life"]
    if b.get("CHAIN"):
        parts.append("chains of 2 (+ link timeout)")
    if b.get("NRB"):
        parts.append(f"{b['NRB']} ring buffers")
    return ", ".join(parts)


def short_reason(reason):
    """The checker's reason without the event's own line and the run's
    paths: what the model does not allow."""
    if not reason:
        return "-"
    if "the run died" in reason:
        return "ASan stopped the run (no protocol step broken)"
    r = reason.split("): ", 1)[-1]
    return r.split(" in ", 1)[0][:110]


def model_check(d, m, safety_doc):
    """What the model check proved, within which bounds; the mutants; the
    conformance of the engine's real traces."""
    d.p("## Model check of the op protocol (results/model.json)")
    if not m:
        d.p("No results/model.json: run `make model-check`.")
        return
    cpu = (f" ({m['cpu_s']} s of CPU, on a machine whose load average "
           f"was {m['loadavg_1min'][0]} at the start)"
           if m.get("cpu_s") is not None else "")
    d.p(f"`make model-check` ({m['date_utc']}, commit {commit(m)}, {m['versions']['spin']}): "
        f"**{m['verdict']}** in {m['wall_s']} s{cpu}. The Promela model "
        "(model/, docs/model.md) describes the engine's functions, the "
        "kernel (issue, io-wq, block layer, poll, link timers, task work, "
        "ASYNC_CANCEL, the ring's exit work) and a program; every property "
        "below is checked in every state of an exhaustive search (no "
        "bitstate, no compression), within the bounds of each "
        "configuration.")
    for f in m["failures"]:
        d.p(f"Failure: {f}")
    d.table(["property", "statement", "checked as"],
            [[f"{p['id']} {p['name']}", p["statement"],
              "LTL, weak fairness" if p["kind"] == "ltl" else "assertion"]
             for p in m["properties"]])
    rows = []
    for c in m["configs"]:
        s, l = c["runs"]["safety"], c["runs"]["liveness"]
        rows.append([c["name"], model_bounds(c), n0(s["states_stored"]),
                     n0(s["depth"]), n0(s["state_vector_bytes"]),
                     f"{s['seconds']}", n0(l["states_stored"]),
                     n0(l["depth"]), f"{l['seconds']}"])
    d.table(["configuration", "bounds", "P1-3,5,6 states", "depth",
             "vector (bytes)", "s", "P4 states", "depth", "s"], rows)
    rel = m["relation"]
    d.p(f"The safety searches also wrote the model's observable transition "
        f"relation: {n0(rel['op_edges'])} steps of an op record, "
        f"{n0(rel['buffer_edges'])} of a buffer, {n0(rel['ring_edges'])} of "
        "the ring; the conformance checker replays the engine's real event "
        "logs against it.")
    # the engine mutants' runs (scenarios/mutants.list), by mutant,
    # scenario and strategy
    conf = {}
    for mm in (safety_doc or {}).get("mutants", []):
        conf[(mm["mutant"], mm.get("scenario", "protocol_tour"),
              mm["buffers"])] = mm.get("conformance")
    rows = []
    for mu in m["mutants"]:
        e = mu["engine"]
        c = conf.get((e["mutant"], e["scenario"], e["buffers"])) if e \
            else None
        rows.append([mu["name"], mu["config"],
                     f"{mu['violated'] or 'none'}"
                     f"{'' if mu['caught'] else ' (expected ' + mu['expect'] + ')'}",
                     f"{mu['trail']} ({mu['trail_steps']} lines)",
                     n0(mu["states_stored"]), n0(mu["depth"]),
                     "-" if not e else
                     ("not run" if not c else
                      (f"rejected at event {n0(c['at_event'])}"
                       f"{' (ASan stopped it)' if c.get('how') == 'died' else ''}"
                       if c["rejected"] else "NOT rejected"))])
    d.table(["model mutant", "config", "property violated", "trail",
             "states", "depth", "engine mutant's trace"], rows)
    c = (safety_doc or {}).get("conformance")
    if c:
        runs = c["runs"]
        d.p(f"Trace conformance (`make safety-check`, {safety_doc['mode']} "
            f"mode): {n0(c['events'])} engine events in {len(runs)} runs "
            f"(every scenario, every buffer strategy), "
            f"{sum(r['conforms'] for r in runs)} conform.")
        per = {}
        for r in runs:
            strat, name = r["run"].split("-", 1)
            per.setdefault(name, {})[strat] = r
        strategies = ["heap", "pool", "fixed", "ring"]
        d.table(["scenario"] + [f"{s} events" for s in strategies],
                [[name] + [(n0(v[s]["events"]) +
                            ("" if v[s]["conforms"] else " REJECTED"))
                           if s in v else "-" for s in strategies]
                 for name, v in sorted(per.items())])
        muts = [mm for mm in safety_doc.get("mutants", [])
                if mm.get("conformance")]
        d.p(f"Every engine mutant's run of scenarios/mutants.list, its "
            f"events replayed the same way: {c.get('mutants_rejected', 0)} "
            f"of {c.get('mutant_logs', 0)} traces rejected, "
            f"{c.get('mutants_rejected_by_step', 0)} by a step or property "
            "the model does not allow, the others only because ASan "
            "stopped the run (a rule that is no engine event).")
        d.table(["engine mutant", "scenario", "buffers", "events",
                 "rejected", "why"],
                [[mm["mutant"], mm.get("scenario", "protocol_tour"),
                  mm["buffers"], n0(mm["conformance"]["events"]),
                  (f"at event {n0(mm['conformance']['at_event'])}"
                   if mm["conformance"]["rejected"] else "NO"),
                  short_reason(mm["conformance"]["reason"])]
                 for mm in muts])
    else:
        d.p("No conformance figures in results/safety.json: run `make "
            "safety-check`.")


def sources(R):
    """[(section, results file, document)] for the provenance table."""
    return [("timing, sweeps, targets, floor", "results/bench/env.json", R.env),
            ("system calls and memory", "results/bench/probes.json", R.probes),
            ("the cost of safety", "results/bench/safety-cost.json", R.cost),
            ("buffer strategies", "results/buffers.json", R.buffers),
            ("safety verdict", "results/safety.json", R.safety),
            ("safety verdict (full)", "results/safety-full.json", R.safety_full),
            ("ringcheck programs", "results/ringcheck/programs.json", R.rk_programs),
            ("ringcheck cost", "results/ringcheck/cost.json", R.rk_cost),
            ("lifecycle fuzzing", "results/fuzz.json", R.fuzz),
            ("fuzzing mutants", "results/fuzz-mutants.json", R.fuzz_mutants),
            ("model check", "results/model.json", R.model)]


def write_report(R, out_md, checks):
    """REPORT.md at OUT_MD from the loaded results R and target checks."""
    d = Doc(R.dir, out_md)
    header(d, R.env, out_md)
    rm.headline_section(d, R.headline, R.fs_order, rm.group_commit(R.groups))
    rm.provenance(d, sources(R))
    machine(d, R.env, R.groups)
    rm.filesystems(d, R.fss, R.env)
    method(d)
    datasets(d, R.dsets)
    rm.targets_section(d, checks, R.fs_order, rm.group_commit(R.groups))
    rm.floor_section(d, R.headline, R.fs_order, rm.group_commit(R.groups))
    rm.special_rows(d, R.groups, R.fs_order)
    per_dataset(d, R)
    sweeps(d, R.sweeps)
    buffers(d, R.buffers, R.env)
    report_paths.section(d, R.dir)
    limits(d, R.fios, R.probes)
    syscalls(d, R.probes)
    safety_cost(d, R.cost)
    safety(d, R.safety, R.safety_full, R.witness_cost)
    ringcheck_section(d, R.rk_programs, R.rk_cost)
    fuzz(d, R.fuzz, R.fuzz_mutants)
    model_check(d, R.model, R.safety)
    with open(out_md, "w") as f:
        f.write("\n".join(d.lines).rstrip() + "\n")


def main():
    if len(sys.argv) != 3:
        print("usage: report.py RESULTS_DIR OUT_MD", file=sys.stderr)
        sys.exit(1)
    results, out_md = sys.argv[1:]
    R = Results(results)
    if not R.env:
        print(f"report: no {os.path.join(results, 'bench')}/env.json: run make "
              "bench first", file=sys.stderr)
        sys.exit(1)
    checks = check_targets(R.groups, R.dsets, R.probes, R.fios, R.fss,
                           R.targets) if R.targets and "mib_regimes" in R.targets \
        else []
    dump({"targets": checks, "headline": R.headline},
         os.path.join(results, "bench", "summary.json"))
    write_report(R, out_md, checks)
    print(f"report: wrote {out_md}", file=sys.stderr)


if __name__ == "__main__":
    main()
