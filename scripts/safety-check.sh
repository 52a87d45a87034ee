#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make safety-check [FULL=1]: every scenario under clang's ASan/UBSan (with
# LeakSanitizer), for every buffer strategy (heap, pool, fixed, ring), every
# mutant (each must be caught), then a representative
# set under valgrind memcheck (plus one mutant valgrind must catch).  Writes
# the per-run records to build/safety/ and the verdict to SAFETY_JSON
# (default results/safety.json); exits non-zero on any violation, sanitizer
# or valgrind report, surviving mutant, or uncovered state.
#
#   quick (default): >= 100,000 random cancellations, every state covered
#   FULL=1:          >= 1,000,000, every state >= 1,000 hits per direction
set -u
cd "$(dirname "$0")/.."

MODE=quick
[ "${FULL:-0}" = 1 ] && MODE=full
OUT=build/safety
SAFETY_JSON=${SAFETY_JSON:-results/safety.json}
SEED=${SEED:-$(date +%s)}
PY=/usr/bin/python3
SCALE=1
[ $MODE = full ] && SCALE=10

# scenario:ops (quick); full multiplies by SCALE
SCENARIOS="cancel_poll_armed:40000 cancel_before_submit:20000
cancel_completed:15000 cancel_reaped:15000 cancel_block_layer:4000
cancel_io_wq:4000 teardown_in_flight:1500 link_timeout:6000 chain_cancel:6000
copy_chaos:100 stress_threads:200 cancel_fd_any:6000 tree_chaos:12
drain_timeout:1"
# every scenario runs once per buffer strategy (--buffers), quick mode
# with the ops above divided by QUICK_DIV for the strategies after heap
STRATEGIES=${STRATEGIES:-"heap pool fixed ring"}
QUICK_DIV=${QUICK_DIV:-2}
# the mutants, each with its strategy, scenario and arguments
MUTANT_LIST=scenarios/mutants.list
VALGRIND_SET="protocol_tour: cancel_poll_armed:2000 cancel_completed:2000
cancel_block_layer:200 link_timeout:500 chain_cancel:500 teardown_in_flight:100"

export ASAN_OPTIONS=detect_leaks=1:exitcode=86
export LSAN_OPTIONS=exitcode=87
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=88

echo "safety-check: $MODE mode, seed $SEED"
make -s --no-print-directory variant VARIANT=asan >/dev/null || exit 2
make -s --no-print-directory variant VARIANT=gcc >/dev/null || exit 2
rm -rf "$OUT"
mkdir -p "$OUT"

t0=$SECONDS
for b in $STRATEGIES; do
	for entry in $SCENARIOS protocol_tour:0; do
		name=${entry%%:*}
		ops=$(( ${entry##*:} * SCALE ))
		if [ $MODE = quick ] && [ "$b" != heap ]; then
			ops=$(( (ops + QUICK_DIV - 1) / QUICK_DIV ))
		fi
		printf 'safety-check: asan  %-5s %-22s --ops=%-7s ' "$b" "$name" \
			"$ops"
		s=$SECONDS
		if [ "$name" = protocol_tour ]; then
			set -- --seed="$SEED"	# one deterministic visit
		else
			set -- --seed="$SEED" --ops="$ops"
		fi
		build/asan/scenarios/$name "$@" --buffers="$b" \
			--json="$OUT/asan-$b-$name.json" \
			>"$OUT/asan-$b-$name.log" 2>&1
		rc=$?
		echo "$rc" >"$OUT/asan-$b-$name.rc"
		echo "exit $rc  $((SECONDS - s))s"
	done
done

while read -r m b needs sc args; do
	case "$m" in ''|'#'*) continue ;; esac
	label=mutant-$m-$sc-$b
	printf 'safety-check: mutant %-22s %-5s %-14s ' "$m" "$b" "$sc"
	# shellcheck disable=SC2086
	timeout 600 build/asan/mutants/$m/$sc --seed="$SEED" --buffers="$b" \
		$args >"$OUT/$label.log" 2>&1 </dev/null
	echo "$?" >"$OUT/$label.rc"
	echo "$b" >"$OUT/$label.buffers"
	echo "$m" >"$OUT/$label.mutant"
	echo "$sc" >"$OUT/$label.scenario"
	echo "$needs" >"$OUT/$label.needs"
	echo "exit $(cat "$OUT/$label.rc")"
done <"$MUTANT_LIST"

vg() {	# label, command...
	local label=$1
	shift
	printf 'safety-check: valgrind %-20s ' "$label"
	valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite "$@" \
		>"$OUT/valgrind-$label.log" 2>&1
	echo "$?" >"$OUT/valgrind-$label.rc"
	echo "exit $(cat "$OUT/valgrind-$label.rc")"
}
if command -v valgrind >/dev/null; then
	for entry in $VALGRIND_SET; do
		name=${entry%%:*}
		ops=${entry##*:}
		vg "$name" build/gcc/scenarios/$name --seed="$SEED" \
			${ops:+--ops=$ops}
	done
	# the strategies that lend memory differently: registered, provided
	for b in fixed ring; do
		vg "protocol_tour-$b" build/gcc/scenarios/protocol_tour \
			--seed="$SEED" --buffers=$b
		vg "cancel_completed-$b" build/gcc/scenarios/cancel_completed \
			--seed="$SEED" --ops=1000 --buffers=$b
	done
	# valgrind's own teeth: the borrowed buffer touches a lent buffer
	vg mutant-borrowed_buffer \
		build/gcc/mutants/borrowed_buffer/protocol_tour --step=copy
fi
# the lifecycle fuzzer (docs/fuzz.md): FUZZ_S seconds from the corpus; a
# crash fails the check and leaves its input in build/fuzz/crashes/
fuzz_rc=0
if [ "${FUZZ_S:-60}" != 0 ]; then
	printf 'safety-check: lifecycle fuzzer %ss ' "${FUZZ_S:-60}"
	make -s --no-print-directory fuzz-ci FUZZ_S="${FUZZ_S:-60}" \
		>"$OUT/fuzz.log" 2>&1
	fuzz_rc=$?
	echo "exit $fuzz_rc"
	[ $fuzz_rc -eq 0 ] || sed 's/^/    | /' "$OUT/fuzz.log" | tail -20
fi
echo "safety-check: ran in $((SECONDS - t0))s"

PYTHONPATH=scripts "$PY" -m ringcp_tools.safety_report "$OUT" "$MODE" "$SEED" \
	"$SAFETY_JSON" "$((SECONDS - t0))"
rc=$?
if [ $fuzz_rc -ne 0 ]; then
	echo "safety-check: FAIL: the lifecycle fuzzer crashed (exit $fuzz_rc;" \
		"reproducer in build/fuzz/crashes/, log build/fuzz/run.log)"
	exit 1
fi
exit $rc
