# SPDX-License-Identifier: MIT
"""What the gate measures and how far a figure may move: the datasets, the
counter and timing figures with the floors of their thresholds, and how
the baseline's noise turns into a threshold."""
import itertools
import math
import os
import statistics
import sys

from ..common import TOP, KiB, MiB

TAG = "gate"
SEED = 20261126
# name: (kind, spec for datasets.generate); small enough for minutes
DATASETS = {
    "small": ("tree", {"files": 3000, "dirs": 10, "min": 0, "max": 4 * KiB}),
    "big": ("file", {"bytes": 64 * MiB}),
}
PRELOAD = os.path.join(TOP, "build", "gate", "malloc_count.so")

# Counter figures: (name, dataset, unit, floor of the threshold), the
# median of the runs, higher is worse.  The threshold is max(floor, 2 x the
# noise of that median): its largest relative distance from the baseline's
# median of all runs over every subset of RUN_RUNS of the baseline's runs.
# None: must match exactly.  io_uring_enter counts depend on when
# completions arrive (how many CQEs each wait reaps), so on the machine's
# load: the same binary gave medians of 5 from 1,520 to 3,296 calls per GiB
# and from 0.195 to 0.468 per file in one hour, single runs 0.35 to 1.09
# per file within one minute.  So they only guard batching: a floor of
# +200% (3x), which still catches files in flight 64 -> 4 (11x per file)
# and queue depth 1 with 4 KiB blocks (200x per GiB).
COUNTERS = [
    ("small.syscalls_per_file", "small", "calls/file", 0.03),
    ("small.io_uring_enter_per_file", "small", "calls/file", 2.00),
    ("small.sqes_per_file", "small", "SQEs/file", 0.02),
    ("small.allocations_per_op", "small", "allocs/SQE", 0.02),
    ("small.bytes_written", "small", "bytes", None),
    ("small.files_created", "small", "files", None),
    ("big.io_uring_enter_per_gib", "big", "calls/GiB", 2.00),
    ("big.sqes_per_gib", "big", "SQEs/GiB", 0.02),
    ("big.allocations_per_op", "big", "allocs/SQE", 0.05),
    ("big.bytes_written", "big", "bytes", None),
    ("big.files_created", "big", "files", None),
]
RUN_RUNS, BASELINE_RUNS = 5, 9
# Timing figures, each the median over the rounds of a per-round ratio,
# with the floor of its threshold; the threshold is max(floor, 3 x the
# noise band make baseline measured: the largest distance from 1 of that
# median when the current ringcp is timed against itself).  Wall time is
# what a user waits; CPU time (user + system of ringcp and its io-wq
# workers) depends less on what else the machine runs (A/A within 4% on a
# quiet minute, +14% in one set beside a clang build: floor 15%).  Wall
# time: A/A sets within ±2.3% at load 2.5, up to ±21% at load 7; the ratio
# to cp -a: up to ±17% (cp's own time swings too).
TIMINGS = [("time_vs_baseline", 0.25), ("cpu_vs_baseline", 0.15),
           ("current_vs_cp", 0.35)]


def subset_noise(vals, k):
    """Largest relative distance of the median of k of vals from the
    median of all of them."""
    med = statistics.median(vals)
    if not med or len(vals) <= k:
        return 0.0
    return max(abs(statistics.median(c) / med - 1)
               for c in itertools.combinations(vals, k))


def round_up(x):
    """X rounded up to the next hundredth (a threshold never rounds down)."""
    return math.ceil(x * 100 - 1e-9) / 100


def die(msg, code=2):
    """The gate cannot run: say why, exit 2."""
    print(f"{TAG}: {msg}", file=sys.stderr)
    sys.exit(code)
