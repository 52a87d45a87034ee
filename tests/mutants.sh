#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the harness shows its teeth.  scenarios/protocol_tour on the
# correct engine ends with no violation; built on each mutant of
# engine/rc_mutant.h it must end with at least one, in every run, and the
# detector that saw it is named.  Under ASan the borrowed-buffer mutant is
# caught by ASan's poisoning instead (the process stops at the report).
#
#   RINGCP=build/<variant>/ringcp bash tests/mutants.sh
set -u
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$RINGCP")
MUTANTS="borrowed_buffer user_free free_on_cancel cancel_trusted close_then_free stale_cqe halt_leak"
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
	local i
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/scenarios/protocol_tour" --seed=$i \
			--json="$PWD/tour.json"
		assert_status 0
		assert_contains "proof line" "$RC_OUT" ", 0 violations"
		grep -q '"violations": 0' "$PWD/tour.json" ||
			fail "the JSON record does not say 0 violations"
	done
}

test_mutant()
{
	local m=$1 i det
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/mutants/$m/protocol_tour" --seed=$i
		cat "$RC_ERR" >>"$RC_OUT"
		det=$(detectors_of "$RC_OUT")
		diag "$m run $i: exit $RC_STATUS, caught by: $det"
		[ "$RC_STATUS" -ne 0 ] || fail "mutant $m survived run $i (exit 0)"
		[ "$det" != none ] || fail "mutant $m: no detector named in run $i"
	done
}

main()
{
	local m
	t_init
	t_add "correct engine: protocol tour has no violation" test_correct_engine
	for m in $MUTANTS; do
		t_add "mutant $m is caught in every run" test_mutant "$m"
	done
	t_run_all
}

main "$@"
