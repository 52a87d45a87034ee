# SPDX-License-Identifier: MIT
"""Draw the bench plots (PNG, matplotlib Agg) from the JSON in results/.

usage: python3 -m ringcp_tools.plots RESULTS_DIR
Reads RESULTS_DIR/bench/*.json and RESULTS_DIR/safety.json; writes into
RESULTS_DIR/bench/:
  headline.png         ringcp's speedup over the fastest peer per dataset and
                       filesystem, a panel per regime, 95% intervals, target 1.5
  time-DATASET.png     median time per tool, min-max bars, a panel per
                       (filesystem, regime), one y scale
  sweep-[FS-]NAME.png  ringcp throughput over each sweep that ran, error bars,
                       the default starred
  syscalls.png         system calls per file, per dataset and tool
  safety-coverage.png  cancellations per state and direction, a panel per
                       buffer strategy (safety.json)
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


def load_groups(bench):
    """{dataset: {(fs, regime): time-*.json}} of the groups that ran."""
    groups = {}
    for p in sorted(glob.glob(os.path.join(bench, "time-*.json"))):
        d = load(p)
        if d and d.get("status") == "run":
            groups.setdefault(d["dataset"], {})[(d.get("fs", "scratch"),
                                                 d["regime"])] = d
    return groups


def fs_order(bench, keys=()):
    """The filesystems in the order measured (filesystems.json), then any
    other named in KEYS."""
    doc = load(os.path.join(bench, "filesystems.json")) or {}
    order = [r["name"] for r in doc.get("filesystems", [])]
    return order + sorted({k for k in keys if k not in order})


def headline_plot(bench):
    """ringcp's speedup over the fastest peer, per dataset (x) and
    filesystem (bars from 1, a tie), one panel per regime, one y scale
    (logarithmic: a 2x loss as far below 1 as a 2x win above; one wide
    interval does not flatten the rest); the 95% bootstrap intervals as
    error bars; the target line at 1.5."""
    from .report_matrix import headline
    groups = {}
    for by in load_groups(bench).values():
        for (fs, reg), d in by.items():
            groups[(fs, d["dataset"], reg)] = d
    order = fs_order(bench, [k[0] for k in groups])
    rows = headline(groups, order)
    if not rows:
        return
    regs = [r for r in REGIMES if any(e["regime"] == r for e in rows)]
    fss = [f for f in order if any(e["fs"] == f for e in rows)]
    fig, axes = plt.subplots(1, len(regs), figsize=(max(4.5, (1.6 + 0.35 * len(fss))
                                                       * len(regs)), 4.2),
                             squeeze=False, sharey=True)
    w = 0.8 / len(fss)
    for ax, reg in zip(axes[0], regs):
        dsets = []
        for e in rows:
            if e["regime"] == reg and e["dataset"] not in dsets:
                dsets.append(e["dataset"])
        for i, fs in enumerate(fss):
            xs, ys, lo, hi = [], [], [], []
            for j, ds in enumerate(dsets):
                e = next((e for e in rows if (e["fs"], e["dataset"], e["regime"])
                          == (fs, ds, reg)), None)
                if not e:
                    continue
                xs.append(j + (i - (len(fss) - 1) / 2) * w)
                ys.append(e["speedup"])
                ci = e.get("speedup_ci95") or [e["speedup"]] * 2
                lo.append(max(0, e["speedup"] - ci[0]))
                hi.append(max(0, ci[1] - e["speedup"]))
            # bars from 1 (a tie): up for a win, down for a loss
            ax.bar(xs, [y - 1 for y in ys], w, bottom=1, label=fs)
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt="none", ecolor="black",
                        elinewidth=0.8, capsize=2)
        ax.set_yscale("log", base=2)
        ticks = [0.125, 0.25, 0.5, 1, 1.5, 2, 4, 8, 16, 32]
        ax.set_yticks(ticks)
        ax.set_yticklabels([f"{t:g}x" for t in ticks])
        ax.axhline(1.5, color="tab:red", linestyle="--", linewidth=1)
        ax.axhline(1.0, color="black", linewidth=0.6)
        ax.set_xticks(range(len(dsets)))
        ax.set_xticklabels(dsets, rotation=30, fontsize=8)
        ax.set_title(reg)
    axes[0][0].set_ylabel("ringcp's speed / fastest peer's\n(target 1.5, dashed)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("ringcp against the fastest peer (median of rounds, 95% interval)",
                 fontsize=9)
    save(fig, os.path.join(bench, "headline.png"))


def time_plots(bench):
    """One figure per dataset: a panel per (filesystem, regime), one y
    scale for all (logarithmic: fpsync's second of start-up next to
    copies of milliseconds), bars the median, error bars min-max."""
    for ds, by in load_groups(bench).items():
        order = fs_order(bench, [k[0] for k in by])
        keys = sorted(by, key=lambda k: (order.index(k[0]), REGIMES.index(k[1])
                                         if k[1] in REGIMES else 9))
        ncol = min(len(keys), 4)
        nrow = (len(keys) + ncol - 1) // ncol
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.4 * nrow),
                                 squeeze=False, sharey=True)
        for ax in axes.flat[len(keys):]:
            ax.set_visible(False)
        for ax, key in zip(axes.flat, keys):
            g = by[key]
            rows = [c for c in g["commands"] if c["status"] == "run"]
            names = [c["name"] for c in rows]
            med = [c["median_s"] for c in rows]
            lo = [c["median_s"] - c["min_s"] for c in rows]
            hi = [c["max_s"] - c["median_s"] for c in rows]
            ax.bar(names, med, yerr=[lo, hi], capsize=3,
                   color=[COLORS.get(c["kind"], "tab:olive") for c in rows])
            ax.set_title(f"{key[0]}, {key[1]}", fontsize=9)
            ax.set_yscale("log")
            ax.tick_params(axis="x", rotation=45, labelsize=7)
            skipped = [c["name"] for c in g["commands"] if c["status"] != "run"]
            if skipped:
                ax.text(0.02, 0.97, "not run: " + ", ".join(skipped),
                        transform=ax.transAxes, va="top", fontsize=6)
        low = min(c["min_s"] for g in by.values() for c in g["commands"]
                  if c["status"] == "run")
        axes[0][0].set_ylim(bottom=low / 2)	# shared: every bar shows
        for r in range(nrow):
            axes[r][0].set_ylabel("seconds (median, min-max; log)")
        fig.suptitle(by[keys[0]]["dataset_label"] + " (one y scale)")
        save(fig, os.path.join(bench, f"time-{ds}.png"))


def sweep_plots(bench):
    """Throughput over each sweep, error bars from the fastest to the
    slowest run, the default (ringcp --help) marked with a star."""
    for p in sorted(glob.glob(os.path.join(bench, "sweep-*.json"))):
        d = load(p)
        if not d or d.get("status") != "run":
            continue
        keys = list(d["parameters"])
        fig, ax = plt.subplots(figsize=(5.5, 3.6))

        def draw(pts, xs, label=None):
            ys = [x["mib_per_s"] for x in pts]
            lo = [x["mib_per_s"] - x.get("mib_per_s_min", x["mib_per_s"]) for x in pts]
            hi = [x.get("mib_per_s_max", x["mib_per_s"]) - x["mib_per_s"] for x in pts]
            ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=label)
            for x, y, pt in zip(xs, ys, pts):
                if pt.get("default"):
                    ax.plot([x], [y], marker="*", markersize=14, color="tab:red",
                            linestyle="none", label="default")
        if len(keys) == 2:	# qd x bs: one line per block size
            k1, k2 = keys
            for v2 in d["parameters"][k2]:
                pts = [x for x in d["points"] if x[k2] == v2]
                pts.sort(key=lambda x: int(x[k1]))
                draw(pts, [int(x[k1]) for x in pts], f"{k2} {v2}")
            ax.set_xscale("log", base=2)
            ticks = sorted({int(x[k1]) for x in d["points"]})
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(t) for t in ticks])
            ax.set_xlabel(k1)
        else:
            k = keys[0]
            order = d["parameters"][k]
            pts = sorted(d["points"], key=lambda x: order.index(x[k]))
            draw(pts, [x[k] for x in pts])
            ax.set_xlabel(k)
        h, lab = ax.get_legend_handles_labels()
        keep = {}
        for hh, ll in zip(h, lab):
            keep.setdefault(ll, hh)
        if keep:
            ax.legend(keep.values(), keep.keys(), fontsize=7)
        ax.set_ylabel("MiB/s (median; bars: slowest-fastest run)")
        ax.set_title(f"ringcp: {d['what']}" + (f" ({d['fs']})" if d.get("fs") else ""),
                     fontsize=9)
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
    """Cancellations hit per state and direction, one panel per buffer
    strategy, one x scale: the table of the report, drawn."""
    d = load(os.path.join(results, "safety.json"))
    if not d or not d.get("coverage"):
        return
    states = sorted({c["state"] for c in d["coverage"]})
    strategies = []
    for c in d["coverage"]:
        if c.get("buffers", "all") not in strategies:
            strategies.append(c.get("buffers", "all"))
    fig, axes = plt.subplots(1, len(strategies), figsize=(3.2 * len(strategies) + 1.5,
                                                          0.3 * len(states) + 1.4),
                             squeeze=False, sharex=True, sharey=True)
    for ax, strat in zip(axes[0], strategies):
        for dr, off in (("read", -0.2), ("write", 0.2)):
            hits = [next((c["hits"] for c in d["coverage"]
                          if c["state"] == s and c["dir"] == dr
                          and c.get("buffers", "all") == strat), 0) for s in states]
            ax.barh([i + off for i in range(len(states))], hits, 0.4, label=dr)
        ax.set_title(f"buffers: {strat}", fontsize=9)
        ax.set_xscale("log")
    axes[0][0].set_yticks(range(len(states)))
    axes[0][0].set_yticklabels(states, fontsize=7)
    axes[0][-1].legend(fontsize=7)
    fig.supxlabel("cancellations hit (make safety-check, %s)" % d["mode"], fontsize=9)
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
    headline_plot(bench)
    time_plots(bench)
    sweep_plots(bench)
    syscall_plot(bench)
    coverage_plot(results, bench)
    cost_plot(bench)


if __name__ == "__main__":
    main()
