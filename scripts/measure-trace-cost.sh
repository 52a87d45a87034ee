#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# measure-trace-cost.sh [PAIRS]: what the harness costs, production ringcp
# against traced_copy and the free-on-cancel mutant.  The driver is
# scripts/ringcp_tools/trace_cost.py; its docstring says what it measures,
# the knobs (environment variables) and where the JSON goes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH=$here exec /usr/bin/python3 -m ringcp_tools.trace_cost "$@"
