#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the synchronous fallback engine (used where io_uring cannot
# be set up; forced here by RINGCP_NO_IO_URING=1 or --no-io-uring, and by a
# seccomp filter refusing io_uring_setup) copies with the same semantics:
# single files (sizes, holes, an overwrite keeping the destination's mode),
# a tree equal to rsync -aHAX's, ENOSPC reported with nothing partial left,
# SIGINT cancelling cleanly (exit 20, no temporary file), --buffers=fixed
# served by pool, --json naming the engine; tree_chaos runs on it under the
# harness with no violation, and its mutant (sync_early_put) is caught.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_fallback.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))

# fb ARGS... : ringcp forced onto the fallback
fb()
{
	RINGCP_NO_IO_URING=1 rc_run "$@"
}

test_files()
{
	local size

	for size in 0 1 4095 262145 $((3 * MiB + 5)); do
		random_file "src$size" "$size"
		fb "src$size" "dst$size"
		assert_status 0
		assert_empty "stderr" "$RC_ERR"
		assert_same_file "src$size" "dst$size"
	done
	truncate -s $((32 * MiB)) sparse && printf x >>sparse
	fb sparse sparse.copy
	assert_status 0
	assert_same_file sparse sparse.copy
	[ "$(stat -c %b sparse.copy)" -le 64 ] ||
		fail "holes filled: $(stat -c %b sparse.copy) blocks"
	random_file private 100 && chmod 0600 private && chmod 0644 src1
	fb src1 private
	assert_mode private 0600
	assert_same_file src1 private
	assert_no_temp .
}

test_tree()
{
	need_python
	command -v rsync >/dev/null || t_skip "no rsync"
	mkdir -p src/a/b src/empty
	seeded_files fb 100000:src/a/f 0:src/zero 5000:src/a/b/g ||
		t_abort "seed"
	ln src/a/f src/a/b/hard && ln -s a/f src/lnk && mkfifo src/fifo &&
		truncate -s $((8 * MiB)) src/sparse &&
		setfattr -n user.x -v y src/zero 2>/dev/null
	touch -h -d '2001-01-01 00:00:00.5' src/lnk src/fifo src/zero src/sparse \
		src/a/b/g src/a/f src/a/b src/a src/empty src
	fb -aHAX src/ dst/
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	rsync --modify-window=-1 -aHAX src/ ref/ || t_abort "rsync"
	assert_same_tree "fallback -aHAX against rsync -aHAX" ref dst
	assert_same_tree "fallback: holes kept" src dst --holes
	assert_no_temp_tree dst
}

test_enospc()
{
	need_root "to mount a tmpfs"
	need_python
	mkdir -p src small
	seeded_files nospace $((4 * MiB)):src/big 1000:src/small1 ||
		t_abort "seed"
	t_mount -t tmpfs -o size=2m tmpfs small || t_skip "cannot mount tmpfs"
	fb -a src/ small/dst
	assert_status 23
	assert_err_line "'small/dst/big': No space left on device$"
	assert_absent small/dst/big
	assert_same_file src/small1 small/dst/small1
	assert_final_complete src small/dst
	assert_no_temp_tree small/dst
	fb src/big small/one
	assert_status 1
	assert_absent small/one
}

test_sigint()
{
	local pid i

	random_file src $((256 * MiB))
	RINGCP_NO_IO_URING=1 "$RINGCP" -Q 1 -B 4K --fsync src dst \
		>"$RC_OUT" 2>"$RC_ERR" &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		writing_temp "$pid" . && break
		sleep 0.01
	done
	sleep 0.2
	kill -s INT "$pid" 2>/dev/null || t_skip "the copy ended first"
	await_exit "$pid" INT
	assert_status 20
	assert_stderr_eq "ringcp: interrupted copying 'src'"
	assert_absent dst
	assert_no_temp .
}

test_fixed_buffers()
{
	random_file src $((MiB + 7))
	rc_run --no-io-uring --buffers=fixed src dst
	assert_status 0
	assert_same_file src dst
	rc_run --no-io-uring --buffers=ring -a src d2
	assert_status 0
	assert_same_file src d2
}

# test_json ENGINE ARGS... : --json's "engine" key
test_json()
{
	local want=$1

	need_python
	shift
	mkdir src && random_file src/f 1000
	rc_run "$@" -a --json src/ dst
	assert_status 0
	assert_eq "engine in --json" "$want" "$("$T_PY" -c '
import json, sys
print(json.load(open(sys.argv[1]))["engine"])' "$RC_OUT" 2>&1)"
}

# the fallback under the harness: tree copies aborted at random turns on
# it end with no violation; its mutant (a buffer given back before the op
# ran) is caught
test_harness()
{
	local build sc mut

	build=$(dirname "$RINGCP")
	sc=$build/scenarios/tree_chaos
	mut=$build/mutants/sync_early_put/tree_chaos
	[ -x "$sc" ] && [ -x "$mut" ] || t_skip "no $sc or $mut (make builds them)"
	rc_run_cmd "$sc" --fallback --ops=2 --seed=16
	assert_status 0 || show_run
	assert_contains "tree_chaos --fallback" "$RC_OUT" " 0 violations"
	rc_run_cmd "$mut" --fallback --ops=1 --seed=16
	[ "$RC_STATUS" -ne 0 ] || fail "the mutant sync_early_put was not caught"
	cat "$RC_OUT" "$RC_ERR" >both
	grep -qE 'VIOLATION \[|ERROR: AddressSanitizer' both ||
		{ fail "the mutant: no detector named"; show_file out both; }
}

main()
{
	t_init
	t_add "files of assorted sizes, holes, a 0600 DST kept: as io_uring" \
		test_files
	t_add "a tree with every kind of entry = rsync -aHAX" test_tree
	t_add "ENOSPC: reported, nothing partial, the rest copied" test_enospc
	t_add "SIGINT: exit 20, no temporary file, DST absent" test_sigint
	t_add "--buffers=fixed or ring with --no-io-uring: pool serves" \
		test_fixed_buffers
	t_add "--json says engine fallback (--no-io-uring)" \
		test_json fallback --no-io-uring
	t_add "--json says engine io_uring" test_json io_uring
	t_add "under the harness: no violation; its mutant is caught" \
		test_harness
	t_run_all
}

main "$@"
