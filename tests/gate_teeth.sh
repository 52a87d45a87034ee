#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the regression gate has teeth.  Its counter part
# (python3 -m ringcp_tools.gate --only counters) passes the ringcp under test
# against a baseline recorded from that same ringcp, and fails, naming the
# figure, two deliberately degraded builds of it: queue depth 1 and 4 KiB
# blocks on the gate's command line (more SQEs and io_uring_enter calls
# per GiB), and one extra system call per ~file (the allocation counter's
# RC_GATE_DEGRADE_SYSCALL: a getppid every 10 allocations, ringcp making
# about 10 per file).  Runs once, for the gcc variant.
set -u
. "$(dirname "$0")/lib.sh"

TOP=

gate()	# args... : run the gate's counter part, output in gate.out
{
	timeout -k 5 300 env PYTHONPATH="$TOP/scripts" \
		/usr/bin/python3 -m ringcp_tools.gate "$@" --ringcp "$RINGCP" \
		>gate.out 2>gate.err
	RC_STATUS=$?
	sed -n '/^gate: counters/,$p' gate.out | sed 's/^/#   /'
}

# assert_figure_failed FIGURE : a FAIL line names FIGURE, and gate.json too
assert_figure_failed()
{
	grep -qE "^$1 .* FAIL" gate.out ||
		fail "expected a FAIL line naming $1"
	grep -q "\"$1\"" "$T_TMP/gate.json" ||
		fail "expected $1 in gate.json's failed figures"
}

test_passes_itself()
{
	GATE_ALLOW_DIRTY=1 gate baseline --only counters --runs 5 \
		--out "$T_TMP/base.json"
	assert_status 0 || { show_file "stderr" gate.err; return; }
	gate run --only counters --runs 3 --baseline "$T_TMP/base.json" \
		--out "$T_TMP/gate.json"
	assert_status 0 || show_file "stderr" gate.err
	assert_contains "gate output" gate.out "gate: PASS"
}

test_fails_degraded()	# figure... -- gate args...
{
	local figs=() f
	while [ "$1" != -- ]; do figs+=("$1"); shift; done
	shift
	[ -f "$T_TMP/base.json" ] || t_abort "no baseline (the first test failed)"
	gate run --only counters --runs 3 --baseline "$T_TMP/base.json" \
		--out "$T_TMP/gate.json" "$@"
	assert_status 1 || show_file "stderr" gate.err
	assert_contains "gate output" gate.out "gate: FAIL"
	for f in "${figs[@]}"; do
		assert_figure_failed "$f"
	done
}

main()
{
	t_init
	TOP=$(cd "$(dirname "$RINGCP")/../.." && pwd)
	if [ "$(basename "$(dirname "$RINGCP")")" = asan ]; then
		t_add "gate passes its own baseline" t_skip "runs once, with the gcc variant"
	elif ! command -v strace >/dev/null; then
		t_add "gate passes its own baseline" t_skip "strace is missing (make deps)"
	elif ! make -s -C "$TOP" build/gate/malloc_count.so >/dev/null; then
		t_add "gate passes its own baseline" t_abort "cannot build the allocation counter"
	else
		t_add "the undegraded build passes against a baseline recorded from itself" \
			test_passes_itself
		t_add "queue depth 1 and 4 KiB blocks fail on SQEs and enters per GiB" \
			test_fails_degraded big.sqes_per_gib big.io_uring_enter_per_gib \
			-- --extra-args "-Q 1 -B 4K"
		t_add "an extra system call per file fails on syscalls per file" \
			test_fails_degraded small.syscalls_per_file \
			-- --degrade-syscall 10
	fi
	t_run_all
}

main "$@"
