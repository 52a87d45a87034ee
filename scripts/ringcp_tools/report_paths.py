# SPDX-License-Identifier: MIT
"""REPORT.md's section on the data paths measured on their own (issue 15,
item 4): clone (--reflink), splice (--data=), and any other study that
results/datapath/ holds.  `make bench` times the tools on the matrix;
these studies choose between ringcp's own paths and defaults, each by a
script of its own (named in its section), so they live apart from
results/bench/ (which a bench run replaces).

A study the report does not know by name is shown from its own "report"
entry: {"title", "text", "tables": [{"head": [...], "rows": [[...]]}]},
written by the script that measured it, so every figure still comes from
the JSON file.
"""
import glob
import os

from .common import load
from .report_matrix import commit_of, f2

KNOWN = ("reflink.json", "reflink-ext4.json", "splice-quick.json", "splice.json")


def short(c):
    return c[:12] if c else "not recorded"


def study_commit(doc):
    """The commit a study ran on: its own field, else its env's, else the
    first filesystem's env."""
    c, _ = commit_of(doc)
    if not c:
        for v in (doc.get("filesystems") or {}).values():
            if isinstance(v, dict):
                c, _ = commit_of(v if "env" in v else {"env": v})
                if c:
                    break
    return short(c)


def reflink(d, doc, name):
    """Cells of bench_reflink.py: per filesystem and dataset, every
    command's median and its time over ringcp -a's."""
    d.p(f"**Clone (`--reflink`)**: `results/datapath/{name}` (commit "
        f"{study_commit(doc)}; {doc.get('rounds')} rounds x "
        f"{doc.get('runs_per_round')} runs, rotated; written by "
        "`PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.bench_reflink`).")
    rows = []
    for fs, v in (doc.get("filesystems") or {}).items():
        for cell in (v.get("cells") or {}).values():
            for cmd, med in cell.get("median_s", {}).items():
                rows.append([fs, cell.get("dataset", "?"), f"`{cmd}`",
                             "%.3f" % med,
                             f2(cell.get("ratio_to_ringcp", {}).get(cmd, 0))])
    d.table(["filesystem", "dataset", "command", "median s",
             "time / ringcp -a's"], rows)


def splice(d, doc, name):
    """splice_bench.py: pairs in flight, the paths against cp, and single
    files of a few sizes."""
    module = "splice_matrix" if name.startswith("splice-matrix") else \
        "splice_bench"
    d.p(f"**Splice (`--data=`)**: `results/datapath/{name}` (commit "
        f"{study_commit(doc)}; {doc.get('rounds')} rounds, rotated; written by "
        f"`PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.{module}"
        f"{' --quick' if doc.get('quick') else ''}`; the source warm).")
    pairs = doc.get("pairs") or {}
    if pairs:
        ps = sorted({p for v in pairs.values() for p in v.get("median_s", {})},
                    key=lambda p: int(p[1:]))
        d.p("Splice pairs in flight (`--splice-pairs`), median seconds:")
        d.table(["where"] + [p[1:] for p in ps],
                [[k] + ["%.3f" % v["median_s"][p] if p in v.get("median_s", {})
                        else "-" for p in ps] for k, v in pairs.items()])
    comp = doc.get("compare") or {}
    if comp:
        paths = []
        for v in comp.values():
            for p in v.get("median_s", {}):
                if p not in paths:
                    paths.append(p)
        d.p("Each path's time over read/write's (and cp's time over it):")
        d.table(["where"] + paths,
                [[k] + [f2(v["ratio_to_readwrite"][p])
                        if p in v.get("ratio_to_readwrite", {}) else "-"
                        for p in paths] for k, v in comp.items()])
    sizes = doc.get("sizes") or {}
    if sizes:
        d.p("One file of N MiB (row sN): splice's time over read/write's:")
        d.table(["where", "splice / readwrite"],
                [[k, f2(v["ratio_to_readwrite"]["splice"])]
                 for k, v in sizes.items()
                 if "splice" in v.get("ratio_to_readwrite", {})])


def generic(d, doc, name):
    """A study that brings its own tables."""
    rep = doc.get("report") or {}
    d.p(f"**{rep.get('title', name)}**: `results/datapath/{name}` (commit "
        f"{study_commit(doc)}). " + rep.get("text", ""))
    for t in rep.get("tables", []):
        if t.get("caption"):
            d.p(t["caption"])
        d.table(t["head"], t["rows"])


def section(d, results):
    """The section, from RESULTS/datapath/*.json (nothing if none)."""
    files = sorted(glob.glob(os.path.join(results, "datapath", "*.json")))
    if not files:
        return
    d.p("## Data paths, measured on their own")
    d.p("Studies that chose ringcp's data paths and their defaults, each"
        " side by side in rotated rounds with a fresh destination per run"
        " (their own protocols are in each file's `what` and `protocol`). The"
        " bench above times the defaults these chose.")
    for path in files:
        name = os.path.basename(path)
        doc = load(path)
        if not doc:
            continue
        if name.startswith("reflink"):
            reflink(d, doc, name)
        elif name.startswith("splice"):
            splice(d, doc, name)
        elif doc.get("report"):
            generic(d, doc, name)
        else:
            d.p(f"`results/datapath/{name}` (commit {study_commit(doc)}) has no"
                " table the report knows how to draw.")
