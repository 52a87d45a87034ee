# SPDX-License-Identifier: MIT
"""Time the copies with hyperfine: every tool on every dataset and regime,
and the ringcp sweeps; one JSON per group in OUT_DIR.

usage: python3 -m ringcp_tools.timing ENV_JSON DATASETS_JSON OUT_DIR \
           BENCH_DIR RINGCP

Quick mode: 5 rounds of 1 run per command (so each round is one A B C ...
pass and the per-round ratio compares runs made next to each other), a
warmup run per command in the first round; full mode: 8 rounds.

Hyperfine runs a command's runs back to back, so a noisy minute on a shared
machine would land on one tool.  Each group is therefore run in ROUNDS
rounds (one hyperfine call each, --runs RUNS per command), the order of the
commands rotated and reversed from round to round; the runs are pooled for
the medians, and ratios to the fastest peer are taken per round and their
median reported.  Before every run hyperfine's --prepare removes and
recreates the destination (see commands.prepare for when it syncs and drops
the page cache); for the durable regime the timed command ends with
`sync -f DST`.

Writes OUT_DIR/time-DATASET-REGIME.json, OUT_DIR/sweep-NAME.json and the
raw hyperfine exports in OUT_DIR/hyperfine/.  A row that cannot run (ringcp
lacks the option, cold regime without root) is written with "status":
"not run" and the reason; a group that fails is written with its error.
Environment: BENCH_ROUNDS, BENCH_RUNS, BENCH_SWEEP_ROUNDS, BENCH_SWEEP_RUNS.
"""
import os
import statistics
import subprocess
import sys
import time

from .commands import lacks, prepare, timed, tools, warm_source
from .common import MiB, die, dump, load, q, scrub_file, stats

TAG = "timing"
QUICK = {"rounds": 5, "runs": 1, "sweep_rounds": 2, "sweep_runs": 1,
         "regimes": {"big": ["warm", "durable"], "mixed": ["warm", "cold"]},
         "default_regimes": ["warm"],
         "qd": "1,4,8,32", "bs": "64K,256K,1M",
         "fif": "1,8,64,256", "buffers": "heap,pool,fixed,ring"}
FULL = {"rounds": 8, "runs": 1, "sweep_rounds": 3, "sweep_runs": 2,
        "regimes": {}, "default_regimes": ["warm", "cold", "durable"],
        "qd": "1,2,4,8,16,32", "bs": "64K,128K,256K,512K,1M",
        "fif": "1,2,4,8,16,32,64,128,256,512", "buffers": "heap,pool,fixed,ring"}


class Runner:
    """The run's context (env, where to work, the ringcp measured), the
    progress counter, and hyperfine."""

    def __init__(self, env, out_dir, bench_dir, ringcp):
        self.env = env
        self.out = out_dir
        self.dst = os.path.join(bench_dir, "dst")
        self.ringcp = ringcp
        self.raw = os.path.join(out_dir, "hyperfine")
        self.log = os.path.join(bench_dir, "hyperfine.log")
        os.makedirs(self.raw, exist_ok=True)
        self.n = 0
        self.m = 0

    def progress(self, what):
        print(f"== [{self.n}/{self.m}] {what}", file=sys.stderr, flush=True)

    def hyperfine(self, name, rnd, args):
        """Run hyperfine once; its export as a dict, or raise with the
        tail of its output."""
        path = os.path.join(self.raw, f"{name}-r{rnd}.json")
        cmd = ["hyperfine", "--style", "basic", "--export-json", path] + args
        with open(self.log, "a") as log:
            log.write("\n$ " + " ".join(q(a) for a in cmd) + "\n")
            log.flush()
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            with open(self.log) as log:
                tail = log.read()[-800:]
            raise RuntimeError(f"hyperfine exited {rc}: ...{tail}")
        scrub_file(path)  # hyperfine's own file: no path of this machine
        return load(path)

    def write(self, doc, name):
        dump(doc, os.path.join(self.out, name + ".json"))


def rounds_order(items, rnd):
    """Rotate by the round number, reverse every other round."""
    k = rnd % len(items)
    r = items[k:] + items[:k]
    return r[::-1] if rnd % 2 else r


def regimes_for(cfg, ds):
    return cfg["regimes"].get(ds["name"], cfg["default_regimes"])


def group_rows(run, ds, regime):
    """The command rows of one group (every tool, each "run" or "not run"
    with the reason), and the runnable ones among them."""
    cold_why = "" if run.env["root"] else \
        "cold regime needs root (writes /proc/sys/vm/drop_caches)"
    rows, runnable = [], []
    for tname, kind, cmd, why in tools(ds, ds["path"], run.dst, run.ringcp,
                                       run.env["caps"]):
        why = why or (cold_why if regime == "cold" else "")
        row = {"name": tname, "kind": kind,
               "command": timed(cmd, run.dst, regime) if cmd else None}
        if why:
            row.update(status="not run", reason=why)
        else:
            row["status"] = "run"
            runnable.append(row)
        rows.append(row)
    return rows, runnable


def group_rounds(run, cfg, ds, regime, name, runnable):
    """Time RUNNABLE in cfg["rounds"] hyperfine calls: per round {tool:
    [times]}, and per tool the user and system means of every round."""
    per_round = []
    extra = {r["name"]: {"user": [], "system": []} for r in runnable}
    for rnd in range(cfg["rounds"]):
        run.progress(f"{ds['name']} {regime}: round {rnd + 1}/{cfg['rounds']}"
                     f" ({len(runnable)} commands x {cfg['runs']} runs)")
        if regime != "cold":
            warm_source(ds["path"])
        args = ["--runs", str(cfg["runs"]),
                "--warmup", "1" if rnd == 0 and regime != "cold" else "0",
                "--prepare", prepare(run.dst, regime)]
        for row in rounds_order(runnable, rnd):
            args += ["-n", row["name"], row["command"]]
        res = run.hyperfine(name, rnd + 1, args)
        got = {}
        for r in res["results"]:
            got[r["command"]] = r["times"]
            extra[r["command"]]["user"].append(r["user"])
            extra[r["command"]]["system"].append(r["system"])
        per_round.append(got)
    return per_round, extra


def group_figures(doc, ds, runnable, per_round, extra):
    """Pool each tool's runs into its row, and the ratios to the fastest
    peer taken round by round."""
    for row in runnable:
        t = [x for g in per_round for x in g[row["name"]]]
        row.update(stats(t))
        row["times_s"] = t
        row["round_medians_s"] = [statistics.median(g[row["name"]]) for g in per_round]
        row["user_mean_s"] = statistics.mean(extra[row["name"]]["user"])
        row["system_mean_s"] = statistics.mean(extra[row["name"]]["system"])
        row["mib_per_s"] = ds["bytes"] / MiB / row["median_s"]
        row["files_per_s"] = ds["files"] / row["median_s"]
    peers = [r for r in runnable if r["kind"] == "peer"]
    if not peers:
        return
    best = min(peers, key=lambda r: r["median_s"])
    doc["fastest_peer"] = best["name"]
    for row in runnable:
        ratios = [a / b for a, b in zip(row["round_medians_s"],
                                        best["round_medians_s"])]
        row["ratio_to_fastest_peer_median"] = statistics.median(ratios)
        row["ratio_to_fastest_peer_min"] = min(ratios)
        row["ratio_to_fastest_peer_max"] = max(ratios)
        row["speedup_over_fastest_peer"] = 1 / statistics.median(ratios)


def run_group(run, cfg, ds, regime):
    """time-DATASET-REGIME.json: every tool on DS in REGIME."""
    name = f"time-{ds['name']}-{regime}"
    rows, runnable = group_rows(run, ds, regime)
    doc = {"env": run.env, "dataset": ds["name"], "dataset_label": ds["label"],
           "files": ds["files"], "bytes": ds["bytes"], "regime": regime,
           "rounds": cfg["rounds"], "runs_per_round": cfg["runs"],
           "warmup": "1 run per command in the first round" if regime != "cold"
           else "none (the caches are dropped before every run)",
           "prepare": prepare(run.dst, regime), "commands": rows}
    if not runnable:
        run.progress(f"{ds['name']} {regime}: not run: {rows[0].get('reason')}")
        doc["status"] = "not run"
        run.write(doc, name)
        return
    t0 = time.monotonic()
    try:
        per_round, extra = group_rounds(run, cfg, ds, regime, name, runnable)
    except RuntimeError as e:
        doc["status"] = "failed"
        doc["error"] = str(e)
        run.write(doc, name)
        print(f"{TAG}: {name} failed: {e}", file=sys.stderr)
        return
    doc["status"] = "run"
    doc["wall_s"] = time.monotonic() - t0
    group_figures(doc, ds, runnable, per_round, extra)
    run.write(doc, name)


def sweep_rounds(run, cfg, name, ds, cmd, params):
    """Run the sweep's hyperfine calls; {parameter values: {"times",
    "user", "system"}} pooled over the rounds."""
    pool = {}
    for rnd in range(cfg["sweep_rounds"]):
        run.progress(f"sweep {name} on {ds['name']}: round {rnd + 1}/"
                     f"{cfg['sweep_rounds']}")
        warm_source(ds["path"])
        args = ["--runs", str(cfg["sweep_runs"]), "--warmup", "0",
                "--prepare", prepare(run.dst, "warm")]
        for k, v in params:
            vals = v.split(",")
            args += ["-L", k, ",".join(vals[::-1] if rnd % 2 else vals)]
        res = run.hyperfine(f"sweep-{name}", rnd + 1, args + [cmd])
        for r in res["results"]:
            key = tuple(r["parameters"][k] for k, _ in params)
            e = pool.setdefault(key, {"times": [], "user": [], "system": []})
            e["times"] += r["times"]
            e["user"].append(r["user"])
            e["system"].append(r["system"])
    return pool


def sweep_points(ds, params, pool):
    """One point per parameter combination, with its ratio to the best."""
    points = []
    for key, e in pool.items():
        p = dict(zip([k for k, _ in params], key))
        p.update(stats(e["times"]))
        p["times_s"] = e["times"]
        p["user_mean_s"] = statistics.mean(e["user"])
        p["system_mean_s"] = statistics.mean(e["system"])
        p["mib_per_s"] = ds["bytes"] / MiB / p["median_s"]
        p["files_per_s"] = ds["files"] / p["median_s"]
        points.append(p)
    best = min(points, key=lambda p: p["median_s"])
    for p in points:
        p["ratio_to_best_median"] = p["median_s"] / best["median_s"]
    return points, best


def sweep(run, cfg, name, ds, template, params, needs, what):
    """sweep-NAME.json: one ringcp sweep over hyperfine -L parameters
    (PARAMS: [(name, comma list)]), warm source."""
    src = ds["path"]
    why = lacks(run.env["caps"], *needs)
    doc = {"env": run.env, "sweep": name, "what": what, "dataset": ds["name"],
           "dataset_label": ds["label"], "files": ds["files"], "bytes": ds["bytes"],
           "regime": "warm", "rounds": cfg["sweep_rounds"],
           "runs_per_round": cfg["sweep_runs"],
           "parameters": {k: v.split(",") for k, v in params},
           "prepare": prepare(run.dst, "warm")}
    S, D, R = q(src), q(run.dst), q(run.ringcp)
    cmd = template.format(R=R, S=S, D=D, SF=q(os.path.join(src, "big.bin")),
                          DF=q(os.path.join(run.dst, "big.bin")))
    doc["command"] = cmd
    if why:
        run.progress(f"sweep {name}: not run: {why}")
        doc.update(status="not run", reason=why)
        run.write(doc, f"sweep-{name}")
        return
    t0 = time.monotonic()
    try:
        pool = sweep_rounds(run, cfg, name, ds, cmd, params)
    except RuntimeError as e:
        doc.update(status="failed", error=str(e))
        run.write(doc, f"sweep-{name}")
        print(f"{TAG}: sweep {name} failed: {e}", file=sys.stderr)
        return
    points, best = sweep_points(ds, params, pool)
    doc.update(status="run", points=points, best={k: best[k] for k, _ in params},
               wall_s=time.monotonic() - t0)
    run.write(doc, f"sweep-{name}")


def sweeps_for(cfg, by):
    """The sweeps the datasets at hand allow: (name, dataset, command
    template, parameters, capabilities needed, what)."""
    sweeps = []
    if "big" in by:
        sweeps.append(("qd-bs", by["big"], "{R} -Q {{qd}} -B {{bs}} {SF} {DF}",
                       [("qd", cfg["qd"]), ("bs", cfg["bs"])], (),
                       "queue depth x block size, one large file"))
        sweeps.append(("buffers-big", by["big"], "{R} --buffers={{buf}} {SF} {DF}",
                       [("buf", cfg["buffers"])], ("buffers",),
                       "buffer strategy, one large file"))
    if "mixed" in by:
        sweeps.append(("files-in-flight", by["mixed"],
                       "{R} -a --files-in-flight={{fif}} {S}/ {D}/",
                       [("fif", cfg["fif"])], ("archive", "files_in_flight"),
                       "files in flight, mixed small files"))
        sweeps.append(("buffers-mixed", by["mixed"],
                       "{R} -a --buffers={{buf}} {S}/ {D}/",
                       [("buf", cfg["buffers"])], ("archive", "buffers"),
                       "buffer strategy, mixed small files"))
    return sweeps


def config(mode):
    """The mode's repetitions, with the BENCH_* overrides."""
    cfg = dict(FULL if mode == "full" else QUICK)
    for k in ("rounds", "runs", "sweep_rounds", "sweep_runs"):
        v = os.environ.get("BENCH_" + k.upper())
        if v:
            cfg[k] = int(v)
    if cfg["rounds"] * cfg["runs"] < 5:
        die(TAG, "ROUNDS x RUNS must be at least 5")
    return cfg


def main():
    if len(sys.argv) != 6:
        die(TAG, "usage: timing ENV_JSON DATASETS_JSON OUT_DIR BENCH_DIR RINGCP")
    env = load(sys.argv[1])
    dsets = [d for d in load(sys.argv[2])["datasets"] if "not_run" not in d]
    cfg = config(env["mode"])
    run = Runner(env, sys.argv[3], sys.argv[4], sys.argv[5])
    groups = [(d, r) for d in dsets for r in regimes_for(cfg, d)]
    sweeps = sweeps_for(cfg, {d["name"]: d for d in dsets})
    run.m = len(groups) + len(sweeps)
    for ds, regime in groups:
        run.n += 1
        run_group(run, cfg, ds, regime)
    for s in sweeps:
        run.n += 1
        sweep(run, cfg, *s)


if __name__ == "__main__":
    main()
