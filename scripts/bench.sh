#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh: what `make bench` runs, start to end.  Installs what is
# missing, builds, generates the datasets, times every tool (hyperfine),
# measures the device ceilings (fio), system calls and peak memory, the
# cost of safety, then draws the plots and writes REPORT.md.  Results go
# to results/bench/ (one JSON per measurement, each with the run's env).
# Every step is a module of scripts/ringcp_tools/; this script only
# orders them.
#
#   scripts/bench.sh            quick (under 10 minutes on 2 cores)
#   FULL=1 scripts/bench.sh     the published numbers
# Environment knobs (defaults in brackets):
#   BENCH_DIR   scratch dir for datasets and copies, on the filesystem to
#               measure; never a tmpfs [as root: a journaled ext4 image
#               mounted at /var/tmp/ringcp-bench-fs (ringcp_tools.scratch);
#               else /var/tmp/ringcp-bench]
#   BENCH_FS    dir: use /var/tmp/ringcp-bench even as root [loop]
#   BENCH_SEED  seed of the generated datasets [20261126]
#   BENCH_RESULTS  the results dir: JSON and plots go to its bench/, its
#               safety.json is reported [<repo>/results]
#   BENCH_REPORT   the report written [<repo>/REPORT.md]
#   BENCH_DATASETS  comma list to run only some (big,mib,mixed,tiny,
#               usr-include,usr-share-doc) [all of the mode's]
#   BENCH_ROUNDS, BENCH_RUNS, BENCH_SWEEP_ROUNDS, BENCH_SWEEP_RUNS,
#   BENCH_SAFETY_PAIRS  repetitions (ringcp_tools/timing.py and
#               trace_cost.py; rounds x runs quick 5x1, full 8x1)
#   BENCH_SKIP  comma list of steps to leave out: fio,timing,probes,safety
set -euo pipefail
export LC_ALL=C
repo=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH=$repo/scripts
PY=/usr/bin/python3	# the python3 first on PATH may lack matplotlib

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
now_ns() { local t=$EPOCHREALTIME; echo "${t/[.,]/}000"; }
tool() {	# tool MODULE ARGS...: python3 -m ringcp_tools.MODULE ARGS...
	local m=$1
	shift
	"$PY" -m "ringcp_tools.$m" "$@"
}

mode=quick
[ "${FULL:-0}" = 1 ] && mode=full
# smoke: tiny datasets, to try the scripts out (results are not published)
[ "${BENCH_MODE:-}" = smoke ] && mode=smoke
# default scratch: a journaled ext4 image (ringcp_tools/scratch.py says
# why), or a plain directory when not root or BENCH_FS=dir
if [ -z "${BENCH_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && [ "${BENCH_FS:-loop}" = loop ]; then
	BENCH_DIR=$(tool scratch /var/tmp/ringcp-bench.img \
		/var/tmp/ringcp-bench-fs 24) || die "cannot mount the scratch filesystem"
fi
BENCH_DIR=${BENCH_DIR:-/var/tmp/ringcp-bench}
BENCH_SEED=${BENCH_SEED:-20261126}
RESULTS=${BENCH_RESULTS:-$repo/results}
OUT=$RESULTS/bench
REPORT=${BENCH_REPORT:-$repo/REPORT.md}
skip=",${BENCH_SKIP:-},"
t_start=$(now_ns)

step=0
steps=9
t_step=$t_start
say() {
	local now
	now=$(now_ns)
	[ "$step" -eq 0 ] || log "step $step took $(( (now - t_step) / 1000000000 ))s"
	t_step=$now
	step=$((step + 1))
	log "step $step/$steps: $*"
}

say "dependencies"
"$repo/scripts/deps.sh" --quiet ||
	die "missing packages; install them as shown above, then rerun make bench"
for t in hyperfine fio strace rsync tar /usr/bin/time findmnt; do
	command -v "$t" >/dev/null || die "'$t' not found (scripts/deps.sh installs it)"
done
"$PY" -c 'import matplotlib' 2>/dev/null ||
	die "$PY lacks matplotlib (apt-get install python3-matplotlib)"

say "build"
make -C "$repo" --no-print-directory >&2
RINGCP=$repo/build/gcc/ringcp
[ -x "$RINGCP" ] || die "no ringcp at $RINGCP after make"

mkdir -p "$BENCH_DIR" "$OUT"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd -P)
case "$(stat -f -c %T "$BENCH_DIR")" in
tmpfs|ramfs) die "BENCH_DIR=$BENCH_DIR is on a $(stat -f -c %T "$BENCH_DIR"):" \
	"a copy there measures memory, not a filesystem; use a directory on disk" ;;
esac
case $mode in full) need_gib=8 ;; quick) need_gib=3 ;; *) need_gib=1 ;; esac
avail=$(df -B1 --output=avail "$BENCH_DIR" | tail -1 | tr -d ' ')
have=$(du -sb "$BENCH_DIR/data" 2>/dev/null | cut -f1 || echo 0)
[ $((avail + ${have:-0})) -ge $((need_gib << 30)) ] ||
	die "BENCH_DIR=$BENCH_DIR has $((avail >> 20)) MiB free; $mode mode needs about $need_gib GiB"
exec 9>"$BENCH_DIR/.lock"
flock -n 9 || die "another bench is running in $BENCH_DIR"
rm -rf "$BENCH_DIR/dst" "$BENCH_DIR/hyperfine.log"
rm -f "$OUT"/*.json "$OUT"/*.png "$OUT"/hyperfine/*.json

say "environment ($mode mode, BENCH_DIR=$BENCH_DIR)"
cmd="make bench"
[ "$mode" = full ] && cmd="make bench FULL=1"
[ "$mode" = smoke ] && cmd="BENCH_MODE=smoke make bench"
tool env bench "$OUT/env.json" "$mode" "$BENCH_SEED" "$BENCH_DIR" "$RINGCP" "$cmd"
cp "$repo/scripts/ringcp_tools/targets.json" "$OUT/targets.json"

say "datasets"
tool datasets "$mode" "$BENCH_SEED" "$BENCH_DIR/data" "$OUT/datasets.json"

say "device ceilings (fio)"
if [[ $skip != *,fio,* ]]; then
	if [ "$mode" = full ]; then rounds=3 size=2G; else rounds=1 size=1G; fi
	tool fio "$OUT/env.json" "$BENCH_DIR" "$OUT/fio.json" "$rounds" "$size"
fi

say "timing (hyperfine)"
[[ $skip == *,timing,* ]] ||
	tool timing "$OUT/env.json" "$OUT/datasets.json" "$OUT" "$BENCH_DIR" "$RINGCP"

say "system calls and peak memory (strace, time)"
[[ $skip == *,probes,* ]] ||
	tool probes "$OUT/env.json" "$OUT/datasets.json" "$OUT/probes.json" \
		"$BENCH_DIR" "$RINGCP"

say "cost of safety (scripts/measure-trace-cost.sh)"
big=$(tool datasets big-file "$OUT/datasets.json")
if [[ $skip != *,safety,* ]] && [ -n "$big" ]; then
	if [ "$mode" = full ]; then pairs=8; else pairs=2; fi
	SRC=$big OUT=$OUT/safety-cost.json WORKDIR=$BENCH_DIR \
		tool trace_cost "${BENCH_SAFETY_PAIRS:-$pairs}" >&2
fi
rm -rf "$BENCH_DIR/dst"

elapsed=$(( ($(now_ns) - t_start) / 1000000000 ))
tool env finish "$OUT/env.json" "$elapsed"

say "plots and REPORT.md"
[ -f "$RESULTS/safety.json" ] || cp "$repo/results/safety.json" "$RESULTS/" 2>/dev/null || true
tool plots "$RESULTS"
tool report "$RESULTS" "$REPORT"
log "done in ${elapsed}s of measurement; results in $OUT, report in $REPORT"
