# SPDX-License-Identifier: MIT
"""The regression gate: make gate (run) and make baseline (baseline).

usage: python3 -m ringcp_tools.gate run      [options]    compare with results/baseline.json
       python3 -m ringcp_tools.gate baseline [options]    measure and write a new baseline

A change that makes ringcp do more work, go slower or lose its safety
verdict does not pass.  Three parts, each a list of figures:

counters   fixed datasets (DATASETS in figures.py, generated from SEED by
           the bench's datasets module into a scratch filesystem), copied
           with `ringcp -a --json` under an LD_PRELOAD allocation counter
           (scripts/gate/malloc_count.c) and again under `strace -c -f`,
           RUNS times each; the median of each figure against the
           baseline's, higher is worse.  Bytes written and files created
           must match exactly, and every copy must equal its source.
timings    the engine built at the baseline's commit (a temporary git
           worktree, cached in build/gate/base-COMMIT/) and the current
           ringcp timed in alternating pairs (A B, B A, ...) on the warm
           datasets, with `cp -a` in the same rounds; the figure is the
           median of the per-pair ratios.  A figure over its threshold is
           measured again (a confirming rerun) and fails only if it is over
           again.
safety     build/safety.json, the quick safety check make check ran (run
           here only if missing): verdict pass, no violation, every mutant
           caught, every state covered.

Prints one line per figure (name, baseline, current, threshold, verdict)
and writes the record to build/gate.json; exits 1 on any FAIL, 2 when the
gate itself cannot run.

Options:
  --ringcp PATH       the ringcp under test (default build/gcc/ringcp)
  --baseline FILE     (default results/baseline.json)
  --out FILE          (run: build/gate.json; baseline: results/baseline.json)
  --only PART         counters | timings | safety (repeatable)
  --runs N            counter runs per dataset (run 5, baseline 9)
  --pairs N           timing rounds per dataset and attempt (default 16)
  --sets N            baseline: A/A timing sets for the noise band (3)
  --extra-args ARGS   added to the current ringcp's command lines (not the
                      baseline's): a degraded build, e.g. "-Q 1 -B 4K"
  --degrade-syscall N one extra system call per N allocations (preload)
  --scratch DIR       use (and keep) DIR for the datasets instead of a
                      fresh loop-mounted ext4 image

Modules: figures (what is measured, the thresholds), workspace (the
datasets), counters, timings, safety, verdicts (the printed lines), run
(the two modes, step by step), __main__ (the command line).
"""
