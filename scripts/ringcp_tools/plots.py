# SPDX-License-Identifier: MIT
"""Draw the bench plots (PNG, matplotlib Agg) from the JSON in results/.

usage: python3 -m ringcp_tools.plots RESULTS_DIR
Reads RESULTS_DIR/bench/*.json and RESULTS_DIR/safety.json; writes into
RESULTS_DIR/bench/:
  time-DATASET.png     median time per tool, min-max bars, one panel a regime
  sweep-NAME.png       ringcp throughput over each sweep that ran
  syscalls.png         system calls per file, per dataset and tool
  safety-coverage.png  cancellations per state and direction (safety.json)
  safety-cost.png      production vs harness vs free-on-cancel mutant
A plot whose data is missing is not drawn (the report says so).
"""
import glob
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .common import load_or_none as load  # noqa: E402
from .targets import REGIMES  # noqa: E402

COLORS = {"peer": "tab:gray", "ringcp": "tab:blue", "limit": "tab:green"}


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"plots: wrote {path}", file=sys.stderr)


def time_plots(bench):
    groups = {}
    for p in sorted(glob.glob(os.path.join(bench, "time-*.json"))):
        d = load(p)
        if d and d.get("status") == "run":
            groups.setdefault(d["dataset"], {})[d["regime"]] = d
    for ds, by in groups.items():
        regs = [r for r in REGIMES if r in by]
        fig, axes = plt.subplots(1, len(regs), figsize=(4.2 * len(regs), 3.6),
                                 squeeze=False)
        for ax, reg in zip(axes[0], regs):
            rows = [c for c in by[reg]["commands"] if c["status"] == "run"]
            names = [c["name"] for c in rows]
            med = [c["median_s"] for c in rows]
            lo = [c["median_s"] - c["min_s"] for c in rows]
            hi = [c["max_s"] - c["median_s"] for c in rows]
            ax.bar(names, med, yerr=[lo, hi], capsize=4,
                   color=[COLORS[c["kind"]] for c in rows])
            ax.set_title(f"{reg}")
            ax.set_ylabel("seconds (median, min-max)")
            ax.tick_params(axis="x", rotation=30)
            skipped = [c["name"] for c in by[reg]["commands"] if c["status"] != "run"]
            if skipped:
                ax.text(0.02, 0.97, "not run: " + ", ".join(skipped),
                        transform=ax.transAxes, va="top", fontsize=7)
        fig.suptitle(by[regs[0]]["dataset_label"])
        save(fig, os.path.join(bench, f"time-{ds}.png"))


def sweep_plots(bench):
    for p in sorted(glob.glob(os.path.join(bench, "sweep-*.json"))):
        d = load(p)
        if not d or d.get("status") != "run":
            continue
        keys = list(d["parameters"])
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        if len(keys) == 2:	# qd x bs: one line per block size
            k1, k2 = keys
            for v2 in d["parameters"][k2]:
                pts = [x for x in d["points"] if x[k2] == v2]
                pts.sort(key=lambda x: int(x[k1]))
                ax.plot([int(x[k1]) for x in pts], [x["mib_per_s"] for x in pts],
                        marker="o", label=f"{k2} {v2}")
            ax.set_xscale("log", base=2)
            ticks = sorted({int(x[k1]) for x in d["points"]})
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(t) for t in ticks])
            ax.set_xlabel(k1)
            ax.legend(fontsize=8)
        else:
            k = keys[0]
            order = d["parameters"][k]
            pts = sorted(d["points"], key=lambda x: order.index(x[k]))
            ax.plot([x[k] for x in pts], [x["mib_per_s"] for x in pts], marker="o")
            ax.set_xlabel(k)
        ax.set_ylabel("MiB/s (median)")
        ax.set_title(f"ringcp: {d['what']}", fontsize=9)
        ax.set_ylim(bottom=0)
        save(fig, p[:-5] + ".png")


def syscall_plot(bench):
    d = load(os.path.join(bench, "probes.json"))
    if not d:
        return
    dsets = [e for e in d["datasets"] if e["files"] > 1]
    if not dsets:
        return
    names = []
    for e in dsets:
        for t in e["tools"]:
            if t["name"] not in names:
                names.append(t["name"])
    fig, ax = plt.subplots(figsize=(7, 3.8))
    w = 0.8 / len(names)
    for i, n in enumerate(names):
        ys = []
        for e in dsets:
            t = next((t for t in e["tools"] if t["name"] == n), None)
            ys.append(t["syscalls_per_file"] if t and t.get("status") == "run" else 0)
        ax.bar([j + i * w for j in range(len(dsets))], ys, w, label=n)
    ax.set_xticks([j + w * (len(names) - 1) / 2 for j in range(len(dsets))])
    ax.set_xticklabels([e["dataset"] for e in dsets])
    ax.set_yscale("log")
    ax.set_ylabel("system calls per file (strace -c -f)")
    ax.legend(fontsize=8)
    save(fig, os.path.join(bench, "syscalls.png"))


def coverage_plot(results, bench):
    d = load(os.path.join(results, "safety.json"))
    if not d or not d.get("coverage"):
        return
    states = sorted({c["state"] for c in d["coverage"]})
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(states) + 1.2))
    for k, (dr, off) in enumerate((("read", -0.2), ("write", 0.2))):
        hits = [next((c["hits"] for c in d["coverage"]
                      if c["state"] == s and c["dir"] == dr), 0) for s in states]
        ax.barh([i + off for i in range(len(states))], hits, 0.4, label=dr)
    ax.set_yticks(range(len(states)))
    ax.set_yticklabels(states, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("cancellations hit (make safety-check, %s)" % d["mode"])
    ax.legend(fontsize=8)
    save(fig, os.path.join(bench, "safety-coverage.png"))


def cost_plot(bench):
    d = load(os.path.join(bench, "safety-cost.json"))
    if not d:
        return
    bss = list(d["block_size_bytes"])
    kinds = (("production_median_ns", "production ringcp"),
             ("harness_median_ns", "harness (traced_copy)"),
             ("mutant_free_on_cancel_median_ns", "free-on-cancel mutant"))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (k, label) in enumerate(kinds):
        ax.bar([j + i * 0.27 for j in range(len(bss))],
               [d["block_size_bytes"][b][k] / 1e6 for b in bss], 0.27, label=label)
    ax.set_xticks([j + 0.27 for j in range(len(bss))])
    ax.set_xticklabels([f"{int(b) // 1024}K blocks" for b in bss])
    ax.set_ylabel("ms (median)")
    ax.legend(fontsize=8)
    save(fig, os.path.join(bench, "safety-cost.png"))


def main():
    if len(sys.argv) != 2:
        print("usage: plots RESULTS_DIR", file=sys.stderr)
        sys.exit(1)
    results = sys.argv[1]
    bench = os.path.join(results, "bench")
    time_plots(bench)
    sweep_plots(bench)
    syscall_plot(bench)
    coverage_plot(results, bench)
    cost_plot(bench)


if __name__ == "__main__":
    main()
