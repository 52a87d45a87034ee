# SPDX-License-Identifier: MIT
"""ringcp's measurement and reporting tools, one module per job.  Run any
of them as `PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.NAME`
(the system Python: it has matplotlib); each module's docstring gives its
usage and contract.  The make targets and scripts/*.sh call them.

Shared pieces
  common        repository root, messages, JSON files, statistics
  env           the environment record (the one writer of every "env")
  scratch       loop-mounted ext4 scratch filesystems (bench and gate)

make bench (scripts/bench.sh orders the steps)
  datasets      the seeded datasets
  commands      every tool's command line on every dataset
  fio           the device's ceilings
  timing        hyperfine timings and the ringcp sweeps
  probes        system calls (strace) and peak memory (time)
  trace_cost    what the harness costs (scripts/measure-trace-cost.sh)

make report
  targets       issue 7's targets (targets.json) checked against results
  report        REPORT.md (scripts/report.py is the same)
  plots         the PNGs in results/bench/

make gate, make baseline
  gate          the regression gate (a package: see gate/__init__.py)

make safety-check (scripts/safety-check.sh runs the scenarios)
  safety_report the verdict, results/safety.json

make check, make layers
  layers        the C code's layering: includes, calls, circles

Measurements run by hand (scripts/measure-*.sh)
  measure_single_file  one 1 GiB file: fio, defaults sweep, ringcp vs cp
  measure_buffers      the buffer strategies side by side
  single_vs_tree       single-file mode against a one-operand tree copy
"""
