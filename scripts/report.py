#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""REPORT.md from results/: the command REPORT.md names as its generator.
The code is scripts/ringcp_tools/report.py (python3 -m ringcp_tools.report
with PYTHONPATH=scripts is the same).

usage: scripts/report.py RESULTS_DIR OUT_MD
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringcp_tools.report import main  # noqa: E402

main()
