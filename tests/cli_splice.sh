#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the command's splice data path: --data=splice and
# --data=auto copy files byte for byte, as cp (sizes around the 1 MiB
# chunk and the 64 KiB auto threshold) and as rsync -a (a tree of many
# files, one pipe in flight or the default), a sparse file keeps its
# holes; the synchronous fallback reads and writes whatever --data says;
# bad --data and --splice-pairs values are usage errors naming the value.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_splice.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))

test_tree()
{
	local i

	mkdir -p src/a/b
	for i in $(seq 1 40); do
		random_file "src/a/f$i" $(( (i * 37 % 11) * 200 * KiB + i ))
	done
	random_file src/a/b/big $((5 * MiB + 3))
	: >src/a/b/empty
	rc_run -a "$@" src/ dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "tree" src dst
}

test_sparse()
{
	truncate -s $((64 * MiB)) src
	random_file chunk $((3 * MiB))
	dd if=chunk of=src bs=1M seek=20 conv=notrunc status=none
	rc_run --data=splice src dst
	assert_status 0 || return 1
	assert_same_file src dst
	[ "$(du -k dst | cut -f1)" -lt $((16 * 1024)) ] ||
		fail "the holes were filled: $(du -k dst | cut -f1) KiB used"
}

# Out of fds (a low `ulimit -n`): pumps wait on the pipe pool and the
# pipes they get may have to be made.  Whatever fails, the copy ends (a
# pump woken with no pipe to make must not wait forever), every file not
# copied is named with its errno text, and every file copied is whole.
# (A guard on the command as a whole: the woken pump that cannot make a
# pipe is hit deterministically by tests/splice_pairs.c, not here.)
test_out_of_fds()
{
	local n f

	mkdir -p src
	for f in $(seq 1 24); do
		random_file "src/f$f" $(( f * 70 * KiB ))
	done
	for n in 10 11 12 13 14 16 20; do
		rm -rf dst
		T_RUN_TIMEOUT=30 rc_run_cmd bash -c "ulimit -n $n && exec \"\$0\" \"\$@\"" \
			"$RINGCP" -a --data=splice --splice-pairs=2 \
			--files-in-flight=6 src/ dst
		case $RC_STATUS in
		0|23) ;;
		*) show_run; fail "ulimit -n $n: exit $RC_STATUS"; return 1 ;;
		esac
		if [ "$RC_STATUS" = 23 ]; then
			grep -q "Too many open files" "$RC_ERR" ||
				{ show_run; fail "ulimit -n $n: no errno text"; return 1; }
		fi
		for f in dst/f*; do
			[ -e "$f" ] || continue
			cmp -s "$f" "src/${f#dst/}" ||
				{ fail "ulimit -n $n: $f differs"; return 1; }
		done
		diag "ulimit -n $n: exit $RC_STATUS, $(find dst -type f 2>/dev/null | wc -l) of 24 copied"
	done
}

test_bad_value()
{
	rc_run "$1" src dst
	assert_status 1
	assert_contains "message" "$RC_ERR" "$2"
}

main()
{
	local size

	t_init
	for size in 1 $((64 * KiB - 1)) $((64 * KiB)) $((MiB - 1)) $MiB \
		    $((MiB + 1)) $((7 * MiB + 5)); do
		t_add "$size bytes, --data=splice: identical" \
			t_copy_random_file "$size" --data=splice
		t_add "$size bytes, --data=auto: identical" \
			t_copy_random_file "$size" --data=auto
	done
	t_add "$((3 * MiB)) bytes, --data=splice --splice-pairs=1 -Q 1" \
		t_copy_random_file $((3 * MiB)) --data=splice --splice-pairs=1 -Q 1
	t_add "$((3 * MiB)) bytes, --data=splice --no-io-uring (reads, writes)" \
		t_copy_random_file $((3 * MiB)) --data=splice --no-io-uring
	t_add "tree of 42 files, -a --data=splice: identical" \
		test_tree --data=splice
	t_add "tree of 42 files, -a --data=splice --splice-pairs=1" \
		test_tree --data=splice --splice-pairs=1
	t_add "tree of 42 files, -a --data=auto --files-in-flight=3" \
		test_tree --data=auto --files-in-flight=3
	t_add "sparse 64 MiB, --data=splice: identical, holes kept" test_sparse
	t_add "out of fds (ulimit -n 10 to 20), --data=splice: ends, names what failed" \
		test_out_of_fds
	t_add "--data=mmap is a usage error naming it" \
		test_bad_value --data=mmap "invalid data path 'mmap'"
	t_add "--splice-pairs=0 is a usage error" \
		test_bad_value --splice-pairs=0 "invalid splice pairs '0'"
	t_add "--splice-pairs=257 is a usage error" \
		test_bad_value --splice-pairs=257 "must be 1 to 256"
	t_run_all
}

main "$@"
