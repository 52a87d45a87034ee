#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What the harness costs: the production ringcp (trace points compiled out)
# against scenarios/traced_copy (the same rc_copy_file, every trace point
# hooked: ledger, quarantine buffers, SQE checks; no read-back checksum)
# and against the same traced_copy built on the free-on-cancel mutant,
# copying the same warm file, in rotating triples (A B C, C B A, ...).
# Writes results/harness/trace-cost.json and prints the median ratios.
#
#   scripts/measure-trace-cost.sh [PAIRS]      (default 8; WORKDIR to move)
# Two block sizes: 256K (the default, few ops per GiB) and 4K (262144 reads
# and as many writes per GiB, where a per-op cost would show).
# SRC: copy this file instead of WORKDIR's 1 GiB one (make bench does);
# OUT: write the JSON there instead.
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${1:-8}
WORKDIR=${WORKDIR:-/var/tmp/ringcp-measure}
SRC=${SRC:-$WORKDIR/src-1GiB.bin}
DST=$WORKDIR/trace-cost.dst
OUT=${OUT:-results/harness/trace-cost.json}
PY=/usr/bin/python3

make -s variant VARIANT=gcc >/dev/null
mkdir -p "$WORKDIR" "$(dirname "$OUT")"
if [ "$SRC" = "$WORKDIR/src-1GiB.bin" ] &&
	[ "$(stat -c %s "$SRC" 2>/dev/null || echo 0)" != 1073741824 ]; then
	echo "trace-cost: generating $SRC"
	head -c 1G /dev/urandom >"$SRC"
fi
cat "$SRC" >/dev/null	# warm


time_ns() {	# run the command, print its wall time in ns
	local t0 t1
	rm -f "$DST"
	sync
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

rows=()
for bs in 262144 4096; do
prod=(build/gcc/ringcp -Q 8 -B $bs "$SRC" "$DST")
traced=(build/gcc/scenarios/traced_copy --no-checksum -Q 8 -B $bs "$SRC" "$DST")
mutant=(build/gcc/mutants/free_on_cancel/traced_copy --no-checksum -Q 8 -B $bs "$SRC" "$DST")
for ((i = 1; i <= PAIRS; i++)); do
	if ((i % 2)); then
		p=$(time_ns "${prod[@]}"); t=$(time_ns "${traced[@]}"); m=$(time_ns "${mutant[@]}")
	else
		m=$(time_ns "${mutant[@]}"); t=$(time_ns "${traced[@]}"); p=$(time_ns "${prod[@]}")
	fi
	echo "trace-cost: bs $bs round $i/$PAIRS: production $((p / 1000000)) ms, harness $((t / 1000000)) ms, free-on-cancel mutant $((m / 1000000)) ms"
	rows+=("$bs $p $t $m")
done
done
cmp "$SRC" "$DST"
rm -f "$DST"

printf '%s\n' "${rows[@]}" | "$PY" -c '
import json, os, platform, statistics, subprocess, sys, time
rows = [tuple(int(x) for x in l.split()) for l in sys.stdin if l.strip()]
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return ""
by_bs = {}
for bs, p, t, m in rows:
    by_bs.setdefault(bs, []).append((p, t, m))
def summary(pairs):
    ratios = [t / p for p, t, _ in pairs]
    mratios = [m / p for p, _, m in pairs]
    return {"pairs": [{"production_ns": p, "harness_ns": t, "mutant_free_on_cancel_ns": m}
                      for p, t, m in pairs],
            "production_median_ns": statistics.median(p for p, _, _ in pairs),
            "harness_median_ns": statistics.median(t for _, t, _ in pairs),
            "mutant_free_on_cancel_median_ns": statistics.median(m for _, _, m in pairs),
            "ratio_harness_over_production_median": round(statistics.median(ratios), 4),
            "ratio_min": round(min(ratios), 4), "ratio_max": round(max(ratios), 4),
            "ratio_mutant_over_production_median": round(statistics.median(mratios), 4),
            "ratio_mutant_min": round(min(mratios), 4),
            "ratio_mutant_max": round(max(mratios), 4)}
out = {
  "what": "production ringcp vs harness traced_copy (no read-back) vs traced_copy on the free-on-cancel mutant, same warm file, qd 8, rotating triples, per block size",
  "src_bytes": int(sys.argv[3]),
  "command": "scripts/measure-trace-cost.sh " + sys.argv[2],
  "env": {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "hostname": platform.node(), "kernel": platform.release(),
          "nproc": os.cpu_count(), "gcc": sh("gcc --version | head -1"),
          "liburing": sh("dpkg-query -W -f=\"\\${Version}\" liburing-dev"),
          "git_commit": sh("git rev-parse HEAD") + ("-dirty" if sh("git status --porcelain --untracked-files=no") else "")},
  "block_size_bytes": {str(bs): summary(p) for bs, p in by_bs.items()},
}
json.dump(out, open(sys.argv[1], "w"), indent=2)
for bs, s in out["block_size_bytes"].items():
    print("trace-cost: bs %s: median harness/production ratio %.3f (min %.3f, max %.3f), mutant/production %.3f, over %d rounds"
          % (bs, s["ratio_harness_over_production_median"], s["ratio_min"], s["ratio_max"],
             s["ratio_mutant_over_production_median"], len(s["pairs"])))
print("trace-cost: written to", sys.argv[1])
' "$OUT" "$PAIRS" "$(stat -c %s "$SRC")"
