# SPDX-License-Identifier: MIT
"""What the harness costs: the production ringcp (trace points compiled
out) against scenarios/traced_copy (the same rc_copy_file, every trace
point hooked: ledger, quarantine buffers, SQE checks; no read-back
checksum) and against the same traced_copy built on the free-on-cancel
mutant, copying the same warm file, in rotating triples (A B C, C B A, ...).
Writes results/harness/trace-cost.json and prints the median ratios.

usage: scripts/measure-trace-cost.sh [PAIRS]   (default 8; or
       python3 -m ringcp_tools.trace_cost [PAIRS])
Two block sizes: 256K (the default, few ops per GiB) and 4K (262144 reads
and as many writes per GiB, where a per-op cost would show).
Environment: WORKDIR [/var/tmp/ringcp-measure] holds the 1 GiB source
and the copy; SRC: copy this file instead (make bench does); OUT: write
the JSON there instead.
"""
import os
import statistics
import subprocess
import sys

from . import env as envmod
from .common import MiB, TOP, die, dump, wall_ns

TAG = "trace-cost"
BLOCK_SIZES = (262144, 4096)
SRC_SIZE = 1 << 30


def commands(bs, src, dst):
    """The three copies compared, at block size BS, queue depth 8."""
    b = os.path.join(TOP, "build", "gcc")
    args = ["-Q", "8", "-B", str(bs), src, dst]
    return {"production": [os.path.join(b, "ringcp"), *args],
            "harness": [os.path.join(b, "scenarios", "traced_copy"),
                        "--no-checksum", *args],
            "mutant": [os.path.join(b, "mutants", "free_on_cancel",
                                    "traced_copy"), "--no-checksum", *args]}


def rounds(n, src, dst):
    """[(bs, production ns, harness ns, mutant ns)], N rounds per block
    size, odd rounds in that order, even rounds reversed."""
    rows = []
    for bs in BLOCK_SIZES:
        cmds = commands(bs, src, dst)
        for i in range(1, n + 1):
            order = ["production", "harness", "mutant"]
            t = {k: wall_ns(cmds[k], dst) for k in (order if i % 2 else order[::-1])}
            print(f"trace-cost: bs {bs} round {i}/{n}: production "
                  f"{t['production'] // 1000000} ms, harness "
                  f"{t['harness'] // 1000000} ms, free-on-cancel mutant "
                  f"{t['mutant'] // 1000000} ms", flush=True)
            rows.append((bs, t["production"], t["harness"], t["mutant"]))
    return rows


def summary(pairs):
    """The medians and the ratios to production of one block size."""
    ratios = [t / p for p, t, _ in pairs]
    mratios = [m / p for p, _, m in pairs]
    return {"pairs": [{"production_ns": p, "harness_ns": t,
                       "mutant_free_on_cancel_ns": m} for p, t, m in pairs],
            "production_median_ns": statistics.median(p for p, _, _ in pairs),
            "harness_median_ns": statistics.median(t for _, t, _ in pairs),
            "mutant_free_on_cancel_median_ns": statistics.median(m for _, _, m in pairs),
            "ratio_harness_over_production_median": round(statistics.median(ratios), 4),
            "ratio_min": round(min(ratios), 4), "ratio_max": round(max(ratios), 4),
            "ratio_mutant_over_production_median": round(statistics.median(mratios), 4),
            "ratio_mutant_min": round(min(mratios), 4),
            "ratio_mutant_max": round(max(mratios), 4)}


def make_source(src):
    """WORKDIR's default source: 1 GiB of random bytes, made once."""
    if os.path.exists(src) and os.stat(src).st_size == SRC_SIZE:
        return
    print(f"trace-cost: generating {src}")
    with open(src, "wb") as f:
        for _ in range(SRC_SIZE // (16 * MiB)):
            f.write(os.urandom(16 * MiB))


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    work = os.environ.get("WORKDIR", "/var/tmp/ringcp-measure")
    default_src = os.path.join(work, "src-1GiB.bin")
    src = os.environ.get("SRC", default_src)
    dst = os.path.join(work, "trace-cost.dst")
    out = os.environ.get("OUT", os.path.join(TOP, "results", "harness",
                                             "trace-cost.json"))
    if subprocess.run(["make", "-s", "-C", TOP, "variant", "VARIANT=gcc"],
                      stdout=subprocess.DEVNULL).returncode:
        die(TAG, "build failed")
    os.makedirs(work, exist_ok=True)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    if src == default_src:
        make_source(src)
    subprocess.run(["cat", src], stdout=subprocess.DEVNULL)	# warm
    rows = rounds(pairs, src, dst)
    if subprocess.run(["cmp", src, dst]).returncode:
        die(TAG, "the last copy differs from the source")
    os.unlink(dst)
    by_bs = {}
    for bs, p, t, m in rows:
        by_bs.setdefault(bs, []).append((p, t, m))
    env = envmod.record(work, "WORKDIR", os.path.join(TOP, "build", "gcc",
                                                      "ringcp"), tools=())
    env["git_commit"] = envmod.git_commit(TOP)
    doc = {"what": "production ringcp vs harness traced_copy (no read-back) vs "
                   "traced_copy on the free-on-cancel mutant, same warm file, "
                   "qd 8, rotating triples, per block size",
           "src_bytes": os.stat(src).st_size,
           "command": f"scripts/measure-trace-cost.sh {pairs}",
           "env": env,
           "block_size_bytes": {str(bs): summary(p) for bs, p in by_bs.items()}}
    dump(doc, out, indent=2)
    for bs, s in doc["block_size_bytes"].items():
        print("trace-cost: bs %s: median harness/production ratio %.3f (min %.3f, "
              "max %.3f), mutant/production %.3f, over %d rounds"
              % (bs, s["ratio_harness_over_production_median"], s["ratio_min"],
                 s["ratio_max"], s["ratio_mutant_over_production_median"],
                 len(s["pairs"])))
    print("trace-cost: written to", out)


if __name__ == "__main__":
    main()
