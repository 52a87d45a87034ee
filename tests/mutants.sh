#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the harness shows its teeth.  scenarios/protocol_tour on the
# correct engine ends with no violation, with every buffer strategy; each
# mutant of engine/mutant.h, run as scenarios/mutants.list says (its
# scenario, buffer strategy and arguments), must end with at least one
# violation in every run, and the detector that saw it is named.  Under
# ASan the borrowed-buffer mutant is caught by ASan's poisoning instead
# (the process stops at the report).
#
#   RINGCP=build/<variant>/ringcp bash tests/mutants.sh
set -u
. "$(dirname "$0")/lib.sh"

LIST=$(cd "$(dirname "$0")/.." && pwd)/scenarios/mutants.list
STRATEGIES="heap pool fixed ring"
RUNS=${MUTANT_RUNS:-2}

# detectors_of OUT: the detectors named in a run's output
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
	shift
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/scenarios/protocol_tour" --seed=$i \
			--buffers="$b" --json="$PWD/tour.json" "$@"
		assert_status 0
		assert_contains "proof line" "$RC_OUT" ", 0 violations"
		grep -q '"violations": 0' "$PWD/tour.json" ||
			fail "the JSON record does not say 0 violations"
	done
}

# test_mutant MUTANT BUFFERS NEEDS SCENARIO [ARGS...]
test_mutant()
{
	local m=$1 b=$2 needs=$3 sc=$4 i det
	shift 4
	case "$needs" in
	asan) [[ $BUILD == *asan ]] ||
		t_skip "a use after free: AddressSanitizer's to see (asan build)" ;;
	esac
	for ((i = 1; i <= RUNS; i++)); do
		rc_run_cmd "$BUILD/mutants/$m/$sc" --seed=$i --buffers="$b" "$@"
		cat "$RC_ERR" >>"$RC_OUT"
		if [ "$needs" = loopfs ] && grep -q ': skip: ' "$RC_OUT"; then
			t_skip "$(grep -o ': skip: .*' "$RC_OUT" | head -n 1 |
				cut -c9-)"
		fi
		if [ "$needs" = witness ] && grep -q 'witness: skip' "$RC_OUT"; then
			t_skip "only the kernel's witness sees it: $(grep -o \
				'witness: skip.*' "$RC_OUT" | head -n 1)"
		fi
		det=$(detectors_of "$RC_OUT")
		diag "$m ($b, $sc) run $i: exit $RC_STATUS, caught by: $det"
		[ "$RC_STATUS" -ne 0 ] || fail "mutant $m survived run $i (exit 0)"
		[ "$det" != none ] || fail "mutant $m: no detector named in run $i"
		[ "$RC_STATUS" -ne 124 ] || fail "mutant $m: the run hung"
	done
}

main()
{
	local b m rest
	t_init
	BUILD=$(dirname "$RINGCP")
	for b in $STRATEGIES; do
		t_add "correct engine, $b buffers: protocol tour has no violation" \
			test_correct_engine "$b"
	done
	t_add "correct engine: the splice-cut step has no violation" \
		test_correct_engine heap --step=splice-cut
	while read -r m rest; do
		case "$m" in ''|'#'*) continue ;; esac
		set -- $rest
		t_add "mutant $m ($1 buffers) on $3 is caught in every run" \
			test_mutant "$m" "$@"
	done <"$LIST"
	t_run_all
}

main "$@"
