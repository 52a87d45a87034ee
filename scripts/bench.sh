#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh: what `make bench` runs, start to end.  Installs what is
# missing, builds, prints the plan, then for each filesystem of the matrix
# (ext4 with and without a journal, XFS, btrfs, tmpfs; quick: ext4 with a
# journal and tmpfs), made fresh on a loop image or mount and torn down
# at the end: generates the datasets, measures fio's ceilings, times every
# tool (ringcp_tools.timing's own runner, a fresh destination per run),
# and on the first filesystem the sweeps, system calls, peak memory and
# the cost of safety; then draws the plots and writes REPORT.md.  Results
# go to results/bench/ (one JSON per measurement, each with the run's env).
# Every step is a module of scripts/ringcp_tools/; this script only
# orders them.  docs/bench.md says what is measured and how.
#
#   scripts/bench.sh            quick (~10 minutes on 2 cores)
#   FULL=1 scripts/bench.sh     the published numbers (every filesystem)
#   SMOKE=1 scripts/bench.sh    tiny datasets, 2 filesystems, 2 rounds: to
#                               try the scripts (a couple of minutes; the
#                               results go to results-smoke/, not published)
#   BENCH_PLAN=1 scripts/bench.sh  print the mode's plan and stop
# Environment knobs (defaults in brackets):
#   BENCH_FS    dir: measure BENCH_DIR as it is, no matrix (also when not
#               root) [matrix]
#   BENCH_DIR   with BENCH_FS=dir: the directory [/var/tmp/ringcp-bench]
#   BENCH_FILESYSTEMS  comma list, some of ext4-journal,ext4-nojournal,
#               xfs,btrfs,tmpfs [the mode's]
#   BENCH_SEED  seed of the generated datasets [20261126]
#   BENCH_RESULTS  the results dir: JSON and plots go to its bench/, its
#               safety.json is reported [<repo>/results]
#   BENCH_REPORT   the report written [<repo>/REPORT.md]
#   BENCH_DATASETS  comma list to run only some (big,mib,mixed,tiny,
#               usr-include,usr-share-doc) [all of the mode's]
#   BENCH_ROUNDS, BENCH_SWEEP_ROUNDS, BENCH_SAFETY_PAIRS  repetitions
#   BENCH_SKIP  comma list of steps to leave out: fio,timing,probes,safety
#   BENCH_APPEND  1: keep the results of filesystems not measured now (a
#               FULL run in pieces: BENCH_FILESYSTEMS=xfs BENCH_APPEND=1)
set -euo pipefail
export LC_ALL=C
repo=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH=$repo/scripts
PY=/usr/bin/python3	# the python3 first on PATH may lack matplotlib

die() { echo "bench: $*" >&2; exit 1; }
child=
# stop SIG CODE: pass SIG on to the measuring child (it unmounts what it
# made), wait for it, exit CODE (the EXIT trap then checks for leftovers)
stop() {
	if [ -n "$child" ]; then
		kill -"$1" "$child" 2>/dev/null
		# (wait in a trap may return at once: poll until it has gone)
		while kill -0 "$child" 2>/dev/null; do sleep 0.2; done
	fi
	exit "$2"
}
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
{ [ "${SMOKE:-0}" = 1 ] || [ "${BENCH_MODE:-}" = smoke ]; } && mode=smoke
if [ "$mode" = smoke ]; then
	: "${BENCH_RESULTS:=$repo/results-smoke}"
	: "${BENCH_REPORT:=$BENCH_RESULTS/REPORT.md}"
fi
MATRIX_ROOT=/var/tmp/ringcp-matrix
if [ "${BENCH_FS:-matrix}" = dir ] || [ "$(id -u)" -ne 0 ]; then
	BENCH_DIR=${BENCH_DIR:-/var/tmp/ringcp-bench}
	ROOT=$BENCH_DIR
else
	ROOT=$MATRIX_ROOT
	# whatever happens, leave no mount and no loop device behind
	trap '"$PY" -m ringcp_tools.fsmatrix cleanup "$MATRIX_ROOT"' EXIT
	trap 'stop TERM 130' INT	# a background child ignores SIGINT
	trap 'stop TERM 143' TERM
	trap 'stop TERM 129' HUP
fi
BENCH_SEED=${BENCH_SEED:-20261126}
RESULTS=${BENCH_RESULTS:-$repo/results}
OUT=$RESULTS/bench
REPORT=${BENCH_REPORT:-$repo/REPORT.md}
t_start=$(now_ns)

step=0
steps=5
t_step=$t_start
say() {
	local now
	now=$(now_ns)
	[ "$step" -eq 0 ] || log "step $step took $(( (now - t_step) / 1000000000 ))s"
	t_step=$now
	step=$((step + 1))
	log "step $step/$steps: $*"
}

tool plan "$mode" >&2
[ "${BENCH_PLAN:-0}" = 1 ] && exit 0

say "dependencies"
"$repo/scripts/deps.sh" --quiet ||
	die "missing packages; install them as shown above, then rerun make bench"
for t in fio strace rsync tar /usr/bin/time findmnt; do
	command -v "$t" >/dev/null || die "'$t' not found (scripts/deps.sh installs it)"
done
"$PY" -c 'import matplotlib' 2>/dev/null ||
	die "$PY lacks matplotlib (apt-get install python3-matplotlib)"
"$PY" -c 'import scipy' 2>/dev/null ||
	die "$PY lacks scipy (apt-get install python3-scipy)"
for t in fpsync mkfs.xfs mkfs.btrfs; do
	command -v "$t" >/dev/null || die "'$t' not found (scripts/deps.sh installs it)"
done

say "build"
make -C "$repo" --no-print-directory >&2
# the cost of safety's third copy (trace_cost.py): not in make's default set
make -C "$repo" --no-print-directory build/gcc/mutants/free_on_cancel/traced_copy >&2
RINGCP=$repo/build/gcc/ringcp
FLOOR=$repo/build/gcc/tools/floor
[ -x "$RINGCP" ] || die "no ringcp at $RINGCP after make"
[ -x "$FLOOR" ] || die "no floor at $FLOOR after make"

mkdir -p "$OUT" /var/tmp
exec 9>/var/tmp/ringcp-bench.lock
flock -n 9 || die "another make bench is running (/var/tmp/ringcp-bench.lock)"
if [ "$ROOT" = "${BENCH_DIR:-}" ]; then
	mkdir -p "$BENCH_DIR"
	case "$(stat -f -c %T "$BENCH_DIR")" in
	tmpfs|ramfs) die "BENCH_DIR=$BENCH_DIR is on a $(stat -f -c %T "$BENCH_DIR"):" \
		"a copy there measures memory; the matrix measures tmpfs on its own" ;;
	esac
	rm -rf "$BENCH_DIR/dst"
fi
if [ "${BENCH_APPEND:-0}" != 1 ]; then
	rm -f "$OUT"/*.json "$OUT"/*.png
	rm -rf "$OUT"/hyperfine
fi

say "environment ($mode mode)"
cmd="make bench"
[ "$mode" = full ] && cmd="make bench FULL=1"
[ "$mode" = smoke ] && cmd="make bench SMOKE=1"
# (with BENCH_APPEND, refuses results of another mode or seed, before
# anything of them is removed)
tool env bench "$OUT/env.json" "$mode" "$BENCH_SEED" "${BENCH_DIR:-/var/tmp}" "$RINGCP" "$cmd"
if [ "${BENCH_APPEND:-0}" = 1 ]; then
	# measure some filesystems now, the rest in another run: keep what
	# the other filesystems' runs left, replace these filesystems' files
	for fs in $(tool fsmatrix list "$mode"); do
		rm -f "$OUT"/*-"$fs"-*.json "$OUT"/*-"$fs".json
	done
fi
cp "$repo/scripts/ringcp_tools/targets.json" "$OUT/targets.json"

say "the filesystem matrix: datasets, fio, timing, probes, cost of safety"
# in the background and waited for, so that a signal reaches the trap
# (bash runs traps only between commands) and is passed on
# (python itself, not the tool function: $! must be its pid, not a subshell's)
"$PY" -m ringcp_tools.matrix "$OUT/env.json" "$OUT" "$ROOT" "$RINGCP" "$FLOOR" &
child=$!
wait "$child" || die "the measurement failed (exit $?)"
child=

elapsed=$(( ($(now_ns) - t_start) / 1000000000 ))
tool env finish "$OUT/env.json" "$elapsed"

say "plots and REPORT.md"
[ -f "$RESULTS/safety.json" ] || cp "$repo/results/safety.json" "$RESULTS/" 2>/dev/null || true
tool plots "$RESULTS"
tool report "$RESULTS" "$REPORT"
log "done in ${elapsed}s of measurement; results in $OUT, report in $REPORT"
