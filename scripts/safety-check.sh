#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make safety-check [FULL=1]: every scenario under clang's ASan/UBSan (with
# LeakSanitizer), every mutant (each must be caught), then a representative
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
copy_chaos:100 stress_threads:200 cancel_fd_any:6000 tree_chaos:12"
MUTANTS="borrowed_buffer user_free free_on_cancel cancel_trusted close_then_free stale_cqe halt_leak"
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
for entry in $SCENARIOS; do
	name=${entry%%:*}
	ops=$(( ${entry##*:} * SCALE ))
	printf 'safety-check: asan  %-22s --ops=%-7s ' "$name" "$ops"
	s=$SECONDS
	build/asan/scenarios/$name --seed="$SEED" --ops="$ops" \
		--json="$OUT/asan-$name.json" >"$OUT/asan-$name.log" 2>&1
	rc=$?
	echo "$rc" >"$OUT/asan-$name.rc"
	echo "exit $rc  $((SECONDS - s))s"
done

for m in $MUTANTS; do
	printf 'safety-check: mutant %-22s ' "$m"
	build/asan/mutants/$m/protocol_tour --seed="$SEED" \
		>"$OUT/mutant-$m.log" 2>&1
	echo "$?" >"$OUT/mutant-$m.rc"
	echo "exit $(cat "$OUT/mutant-$m.rc")"
done

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
	# valgrind's own teeth: the borrowed buffer touches a lent buffer
	vg mutant-borrowed_buffer \
		build/gcc/mutants/borrowed_buffer/protocol_tour --step=copy
fi
echo "safety-check: ran in $((SECONDS - t0))s"

"$PY" scripts/safety_report.py "$OUT" "$MODE" "$SEED" "$SAFETY_JSON" \
	"$((SECONDS - t0))"
