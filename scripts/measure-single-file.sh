#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# measure-single-file.sh: how fast ringcp copies one 1 GiB file, durably,
# and which queue depth / block size it should default to.  The driver is
# scripts/ringcp_tools/measure_single_file.py; its docstring says what it
# measures, the knobs (environment variables) and where the JSON goes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH=$here exec /usr/bin/python3 -m ringcp_tools.measure_single_file "$@"
