#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make safety-check [FULL=1]: every scenario under clang's ASan/UBSan (with
# LeakSanitizer), for every buffer strategy (heap, pool, fixed, ring), every
# mutant (each must be caught), then a representative
# set under valgrind memcheck (plus one mutant valgrind must catch).  Then
# the protocol model (model/check.py: every property proven within its
# bounds; skipped when the model did not change since it last passed), and
# trace conformance: every scenario and strategy again, at 1/CONFORM_DIV of
# its ops, with the engine's events logged (the splice set's too), each log
# replayed against the model (model/conform.py), and every mutant's log,
# which must be rejected.
# MODEL=0 leaves the model check and the conformance pass out (make check's
# tests/safety_quick.sh: CI runs the model check's smoke test instead).
# Writes the per-run records to build/safety/ and the verdict to SAFETY_JSON
# (default results/safety.json); exits non-zero on any violation, sanitizer
# or valgrind report, surviving mutant, uncovered state, property the model
# check does not prove, or trace the model does not allow.
#
#   quick (default): >= 100,000 random cancellations, every state covered
#   FULL=1:          >= 1,000,000, every state >= 1,000 hits per direction,
#                    but drain-timeout and abort-timeout >= 50: each hit
#                    waits out a 200 ms drain limit and leaks a ring (and
#                    a tree's jobs) on purpose, so their scenario runs 50
#                    iterations per strategy (MIN_HITS_BY_STATE in
#                    scripts/ringcp_tools/safety_report.py)
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

# scenario:ops (quick); full multiplies by SCALE, or takes the third field
# (scenario:quick:full) where one is given.  scenario@fs runs the scenario
# with --fs=fs (its files on a fresh loop image of that filesystem:
# tree_chaos@xfs drives the clone path, --reflink)
SCENARIOS="cancel_poll_armed:40000 cancel_before_submit:20000
cancel_completed:15000 cancel_reaped:15000 cancel_block_layer:4000
cancel_io_wq:4000 teardown_in_flight:1500 link_timeout:6000 chain_cancel:6000
copy_chaos:100 stress_threads:200 cancel_fd_any:6000 tree_chaos:12
tree_chaos@xfs:6 drain_timeout:1:50"
# every scenario runs once per buffer strategy (--buffers), quick mode
# with the ops above divided by QUICK_DIV for the strategies after heap
STRATEGIES=${STRATEGIES:-"heap pool fixed ring"}
QUICK_DIV=${QUICK_DIV:-2}
# the mutants, each with its strategy, scenario and arguments
MUTANT_LIST=scenarios/mutants.list
CONFORM_DIV=${CONFORM_DIV:-20}
MODEL=${MODEL:-1}
# the splice data path (--data=splice): the copy scenarios again, pairs
# through pipes instead of buffers (no buffer strategy applies: heap only)
SPLICE_SET="copy_chaos:30 tree_chaos:6"
# direct I/O (--direct=always: O_DIRECT writes, the tails buffered): the
# copy scenarios again in every buffer strategy, on /var/tmp (the root
# ext4, which takes O_DIRECT); the ops are not divided (tree_chaos needs
# 6 to both abort runs and finish one), and quick mode runs tree_chaos's
# direct set in the default strategies only (heap, pool), to keep make
# check's time
DIRECT_SET="copy_chaos:10 tree_chaos:6"
DIRECT_QUICK_SKIP="tree_chaos:fixed tree_chaos:ring"
# the data budget (--memory) that small that pumps wait for one another's
# blocks: the copy scenarios again, once per buffer strategy
MEMORY_SET="copy_chaos:10 tree_chaos:4"
MEMORY_TINY=65536
VALGRIND_SET="protocol_tour: cancel_poll_armed:2000 cancel_completed:2000
cancel_block_layer:200 link_timeout:500 chain_cancel:500 teardown_in_flight:100"

export ASAN_OPTIONS=detect_leaks=1:exitcode=86
export LSAN_OPTIONS=exitcode=87
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=88

# ops_for ENTRY: the ops of a SCENARIOS entry in this mode
ops_for() {
	local rest=${1#*:} q
	q=${rest%%:*}
	if [ $MODE = full ] && [ "$rest" != "$q" ]; then
		echo "${rest#*:}"
	elif [ $MODE = full ]; then
		echo $(( q * SCALE ))
	else
		echo "$q"
	fi
}

# held filesystems (FUSE) of scenarios that died: their mounts stay,
# dead, until unmounted; and the tree part's destinations
reap_held() {
	local m
	for m in $(awk '$3 == "fuse" && $2 ~ "^/var/tmp/rc-(drain|iowq)-" \
			{ print $2 }' /proc/mounts); do
		umount -l "$m" && rmdir "$m"
	done
	rm -rf /var/tmp/rc-drain-dst-*
}

echo "safety-check: $MODE mode, seed $SEED"
make -s --no-print-directory variant VARIANT=asan >/dev/null || exit 2
make -s --no-print-directory variant VARIANT=gcc >/dev/null || exit 2
rm -rf "$OUT"
mkdir -p "$OUT"
reap_held

t0=$SECONDS
# the protocol model (model/check.py), on the core the scenarios leave idle;
# waited for before the conformance pass, which needs its relation
if [ "$MODEL" = 1 ]; then
	"$PY" model/check.py --jobs 1 --json "$OUT/model.json" \
		>"$OUT/model.log" 2>&1 &
	model_pid=$!
	trap 'kill "$model_pid" 2>/dev/null' INT TERM
else
	echo "MODEL=0" >"$OUT/model.skipped"
fi

for b in $STRATEGIES; do
	for entry in $SCENARIOS protocol_tour:0; do
		name=${entry%%:*}
		ops=$(ops_for "$entry")
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
		case $name in *@*) set -- "$@" --fs="${name#*@}" ;; esac
		build/asan/scenarios/${name%@*} "$@" --buffers="$b" \
			--json="$OUT/asan-$b-$name.json" \
			>"$OUT/asan-$b-$name.log" 2>&1
		rc=$?
		echo "$rc" >"$OUT/asan-$b-$name.rc"
		echo "exit $rc  $((SECONDS - s))s"
	done
done

for entry in $SPLICE_SET; do
	name=${entry%%:*}
	ops=$(( ${entry##*:} * SCALE ))
	label=asan-heap-${name}_splice
	printf 'safety-check: asan  %-5s %-22s --ops=%-7s ' splice "$name" "$ops"
	s=$SECONDS
	build/asan/scenarios/$name --seed="$SEED" --ops="$ops" --buffers=heap \
		--data=splice --json="$OUT/$label.json" >"$OUT/$label.log" 2>&1
	rc=$?
	echo "$rc" >"$OUT/$label.rc"
	echo "exit $rc  $((SECONDS - s))s"
done

# run_set B SUFFIX SET ARGS...: each scenario:ops of SET once in buffer
# strategy B with ARGS (labelled NAME_SUFFIX), its exit code recorded
run_set() {
	local b=$1 suffix=$2 set=$3 entry name ops label s rc
	shift 3
	for entry in $set; do
		name=${entry%%:*}
		ops=$(( ${entry##*:} * SCALE ))
		if [ "$suffix" = direct ] && [ $MODE = quick ]; then
			case " $DIRECT_QUICK_SKIP " in *" $name:$b "*) continue ;; esac
		fi
		label=asan-$b-${name}_$suffix
		printf 'safety-check: asan  %-5s %-22s --ops=%-7s ' "$b" \
			"${name}_$suffix" "$ops"
		s=$SECONDS
		build/asan/scenarios/$name --seed="$SEED" --ops="$ops" \
			--buffers="$b" "$@" --json="$OUT/$label.json" \
			>"$OUT/$label.log" 2>&1
		rc=$?
		echo "$rc" >"$OUT/$label.rc"
		echo "exit $rc  $((SECONDS - s))s"
	done
}

for b in $STRATEGIES; do
	run_set "$b" direct "$DIRECT_SET" --direct=always
	run_set "$b" memory "$MEMORY_SET" --memory=$MEMORY_TINY
done

while read -r m b needs sc args; do
	case "$m" in ''|'#'*) continue ;; esac
	label=mutant-$m-$sc-$b
	printf 'safety-check: mutant %-22s %-5s %-14s ' "$m" "$b" "$sc"
	# shellcheck disable=SC2086
	RH_EVENTS="$OUT/$label.ev" \
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
	echo "$fuzz_rc" >"$OUT/fuzz.rc"
	echo "exit $fuzz_rc"
	[ $fuzz_rc -eq 0 ] || sed 's/^/    | /' "$OUT/fuzz.log" | tail -20
fi
if [ "$MODEL" = 1 ]; then
	# the protocol model, proven within its bounds; its transition relation
	printf 'safety-check: model check (model/check.py, since the start) '
	s=$SECONDS
	wait "$model_pid"
	echo "$?" >"$OUT/model.rc"
	echo "exit $(cat "$OUT/model.rc")  waited $((SECONDS - s))s"

	# trace conformance: every scenario and strategy, its events logged
	s=$SECONDS
	for b in $STRATEGIES; do
		for entry in $SCENARIOS protocol_tour:0; do
			name=${entry%%:*}
			ops=$(( ($(ops_for "$entry") + CONFORM_DIV - 1) / CONFORM_DIV ))
			if [ "$name" = protocol_tour ]; then
				set -- --seed="$SEED"
			else
				[ "$ops" -ge 2 ] || ops=2
				set -- --seed="$SEED" --ops="$ops"
			fi
			case $name in *@*) set -- "$@" --fs="${name#*@}" ;; esac
			RH_EVENTS="$OUT/conform-$b-$name.ev" \
				build/asan/scenarios/${name%@*} "$@" --buffers="$b" \
				>"$OUT/conform-$b-$name.log" 2>&1
		done
	done
	# the splice data path: pairs through the pool's pipes (the model's
	# SPLICE configuration; heap only, no buffer strategy applies)
	for entry in $SPLICE_SET; do
		name=${entry%%:*}
		ops=$(( (${entry##*:} * SCALE + CONFORM_DIV - 1) / CONFORM_DIV ))
		[ "$ops" -ge 2 ] || ops=2
		RH_EVENTS="$OUT/conform-splice-$name.ev" \
			build/asan/scenarios/$name --seed="$SEED" --ops="$ops" \
			--buffers=heap --data=splice \
			>"$OUT/conform-splice-$name.log" 2>&1
	done
	# ... and protocol_tour's pairs cut in flight (the splice mutants' run)
	RH_EVENTS="$OUT/conform-splice-protocol_tour.ev" \
		build/asan/scenarios/protocol_tour --seed="$SEED" \
		--step=splice-cut --buffers=heap \
		>"$OUT/conform-splice-protocol_tour.log" 2>&1
	# the synchronous fallback engine: the same protocol without a kernel ring
	RH_EVENTS="$OUT/conform-heap-tree_chaos_fallback.ev" \
		build/asan/scenarios/tree_chaos --seed="$SEED" --ops=2 --fallback \
		>"$OUT/conform-heap-tree_chaos_fallback.log" 2>&1
	echo "safety-check: conformance runs (1/$CONFORM_DIV of the ops) $((SECONDS - s))s"
	s=$SECONDS
	"$PY" model/conform.py --edges build/model/edges.txt --jobs 2 \
		--json "$OUT/conformance.json" "$OUT"/conform-*.ev \
		>"$OUT/conformance.log" 2>&1
	"$PY" model/conform.py --edges build/model/edges.txt --expect reject \
		--json "$OUT/conformance-mutants.json" "$OUT"/mutant-*.ev \
		>>"$OUT/conformance.log" 2>&1
	grep '^conform:' "$OUT/conformance.log" | sed 's/^/safety-check: /'
	echo "safety-check: conformance checked in $((SECONDS - s))s"
fi
echo "safety-check: ran in $((SECONDS - t0))s"

reap_held
PYTHONPATH=scripts "$PY" -m ringcp_tools.safety_report "$OUT" "$MODE" "$SEED" \
	"$SAFETY_JSON" "$((SECONDS - t0))"
exit $?	# the verdict counts the fuzzer (fuzz.rc) with the rest
