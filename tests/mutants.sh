#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the harness shows its teeth.  scenarios/protocol_tour on the
# correct engine ends with no violation; built on each mutant of
# engine/mutant.h it must end with at least one, in every run, and the
# detector that saw it is named.  Under ASan the borrowed-buffer mutant is
# caught by ASan's poisoning instead (the process stops at the report).
# The correct engine runs the tour with every buffer strategy; each
# strategy's own mutants run with that strategy (mutant:strategy).
#
#   RINGCP=build/<variant>/ringcp bash tests/mutants.sh
set -u
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$RINGCP")
MUTANTS="borrowed_buffer:heap user_free:heap free_on_cancel:heap
cancel_trusted:heap close_then_free:heap stale_cqe:heap halt_leak:heap
pool_put_in_flight:pool fixed_unregister:fixed fixed_update:fixed
ring_halt_leak:ring ring_early_recycle:ring"
STRATEGIES="heap pool fixed ring"
RUNS=${MUTANT_RUNS:-2}

# detectors_of OUT: the detectors named in a tour's output
detectors_of()
{
	local d
	d=$(grep -o 'VIOLATION \[[a-z-]*\]' "$1" | sort -u | tr -d '[]' |
		sed 's/VIOLATION //' | paste -sd, -)
	grep -q 'ERROR: AddressSanitizer' "$1" && d="${d:+$d,}asan"
	grep -q 'ERROR: LeakSanitizer' "$1" && d="${d:+$d,}lsan"
	echo "${d:-none}"
}

test_correct_engine()
{
	local b=$1 i
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/scenarios/protocol_tour" --seed=$i \
			--buffers="$b" --json="$PWD/tour.json"
		assert_status 0
		assert_contains "proof line" "$RC_OUT" ", 0 violations"
		grep -q '"violations": 0' "$PWD/tour.json" ||
			fail "the JSON record does not say 0 violations"
	done
}

test_mutant()
{
	local m=$1 b=$2 i det
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/mutants/$m/protocol_tour" --seed=$i \
			--buffers="$b"
		cat "$RC_ERR" >>"$RC_OUT"
		det=$(detectors_of "$RC_OUT")
		diag "$m ($b) run $i: exit $RC_STATUS, caught by: $det"
		[ "$RC_STATUS" -ne 0 ] || fail "mutant $m survived run $i (exit 0)"
		[ "$det" != none ] || fail "mutant $m: no detector named in run $i"
	done
}

main()
{
	local m b
	t_init
	for b in $STRATEGIES; do
		t_add "correct engine, $b buffers: protocol tour has no violation" \
			test_correct_engine "$b"
	done
	for m in $MUTANTS; do
		t_add "mutant ${m%%:*} (${m##*:} buffers) is caught in every run" \
			test_mutant "${m%%:*}" "${m##*:}"
	done
	t_run_all
}

main "$@"
