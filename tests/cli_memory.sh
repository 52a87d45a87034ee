#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: --memory=SIZE, the data budget of a copy (block buffers in
# flight, all files together; read/write: splice pairs use pipes, bounded
# by --splice-pairs).  A tree copied with -a under a budget of
# one block, of less than a block, and of a few blocks is identical to its
# source, with the blocks the budget holds never exceeded (--json's
# data_budget_peak_bytes) and, when it is small, files waiting for room
# (data_budget_waits); a single file copies under a tiny budget; every
# buffer strategy copies under a small one; bad values (no number, 0,
# below 4K, above the most, a unit it does not know) are usage errors that
# name the value and leave no destination; --help says what it means.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_memory.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))

make_tree()
{
	local i

	mkdir -p src/a/b
	for i in $(seq 1 30); do
		random_file "src/a/f$i" $(( (i * 37 % 11) * 60 * KiB + i ))
	done
	random_file src/a/b/big $((2 * MiB + 3))
	: >src/a/b/empty
}

# json_field NAME FILE: the number after "NAME": in FILE
json_field()
{
	grep -o "\"$1\": [0-9]*" "$2" | cut -d' ' -f2
}

# test_tree MEMORY MAX_PEAK WAITS(yes|any) [ARGS...]
test_tree()
{
	local mem=$1 max=$2 waits=$3 peak n

	shift 3
	make_tree
	# read/write: the budget holds block buffers; files of auto's splice
	# class (64K to 16M) go by pipes, which it does not count
	rc_run -a --data=readwrite ${mem:+--memory="$mem"} --json=run.json \
		"$@" src/ dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "tree" src dst
	peak=$(json_field data_budget_peak_bytes run.json)
	n=$(json_field data_budget_waits run.json)
	diag "--memory=$mem $*: peak ${peak:-?} bytes charged, ${n:-?} waits"
	[ -n "$peak" ] && [ "$peak" -gt 0 ] ||
		fail "no data_budget_peak_bytes in --json"
	[ "$peak" -le "$max" ] ||
		fail "peak $peak bytes of blocks, more than $max"
	if [ "$waits" = yes ]; then
		[ "${n:-0}" -gt 0 ] || fail "no file waited for the budget"
	fi
}

test_file()
{
	random_file src $((5 * MiB + 7))
	rc_run --data=readwrite --memory=4K src dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_file src dst
	assert_no_temp .
}

bad_value()
{
	random_file f 100
	rc_run --memory="$1" f dst
	assert_status 1
	assert_stderr_eq "ringcp: invalid memory '$1': must be a size from 4K \
to 64G (K, M, G: powers of 1024)"
	assert_absent dst
}

test_help()
{
	rc_run --help
	assert_status 0
	assert_contains "help" "$RC_OUT" "--memory=SIZE"
	assert_contains "help" "$RC_OUT" "block buffers in flight, all files"
}

main()
{
	local b def

	t_init
	t_add "-a --memory=256K (one block): identical, waits, peak 256K" \
		test_tree 256K $((256 * KiB)) yes
	t_add "-a --memory=4K (less than a block): one block at a time" \
		test_tree 4K $((256 * KiB)) yes
	t_add "-a --memory=1M -B 64K: identical, peak within 1M" \
		test_tree 1M $((1 * MiB)) yes -B 64K
	def=$("$RINGCP" --help | sed -n 's/.*(default \([0-9]*\)M; 4K.*/\1/p')
	t_add "-a, the default budget (${def}M): identical, peak within it" \
		test_tree "" $((def * MiB)) any
	for b in heap pool fixed ring; do
		t_add "-a --memory=512K --buffers=$b: identical" \
			test_tree 512K $((512 * KiB)) any --buffers=$b
	done
	t_add "one file of 5 MiB, --memory=4K: identical" test_file
	t_add "--memory=abc is a usage error naming it" bad_value abc
	t_add "--memory=0 is a usage error" bad_value 0
	t_add "--memory=4095 is a usage error" bad_value 4095
	t_add "--memory=65G is a usage error" bad_value 65G
	t_add "--memory=8T is a usage error" bad_value 8T
	t_add "--help says what --memory means" test_help
	t_run_all
}

main "$@"
