#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# measure-buffers.sh: the four buffer strategies (heap, pool, fixed, ring)
# side by side, in alternating order.  The driver is
# scripts/ringcp_tools/measure_buffers.py; its docstring says what it
# measures, the knobs (environment variables) and where the JSON goes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH=$here exec /usr/bin/python3 -m ringcp_tools.measure_buffers "$@"
