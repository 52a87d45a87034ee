#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the command's --direct: --direct (always) copies files of
# sizes around the 4 KiB alignment and the block byte for byte, and leaves
# the copy out of the page cache but for the buffered tail (fincore), where
# --direct=never and the default leave it all in; auto is buffered without
# --fsync;
# a tree (-a), the synchronous fallback and a filesystem that refuses
# O_DIRECT (ramfs, root) copy the same bytes; --help names the option;
# a bad WHEN is a usage error naming it.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_direct.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))

# cached_bytes FILE : its bytes in the page cache
cached_bytes()
{
	fincore --bytes --noheadings --output RES -- "$1" | tr -d ' '
}

# test_cached MAX|all ARGS... : a 8 MiB + 5 bytes copy has at most MAX
# bytes in the page cache after the copy (all: every page)
test_cached()
{
	local want=$1 got size=$((8 * MiB + 5))

	shift
	random_file src $size
	sync
	rc_run "$@" src dst
	assert_status 0 || return 1
	got=$(cached_bytes dst)
	if [ "$want" = all ]; then
		[ "$got" -ge $((8 * MiB)) ] ||
			fail "buffered copy: expected its $size bytes cached, got $got"
	else
		[ "$got" -le "$want" ] ||
			fail "direct copy: expected at most $want bytes cached, got $got"
	fi
	assert_same_file src dst
}

test_tree()
{
	local i

	mkdir -p src/a/b
	for i in $(seq 1 20); do
		random_file "src/a/f$i" $(( (i * 37 % 11) * 200 * KiB + i * 4095 ))
	done
	random_file src/a/b/big $((5 * MiB + 3))
	: >src/a/b/empty
	rc_run -a "$@" src/ dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "tree" src dst
}

test_refusing_fs()
{
	need_root "mounts ramfs"
	mkdir ram
	t_mount -t ramfs ramfs ram || t_skip "cannot mount ramfs"
	if dd if=/dev/zero of=ram/probe bs=4k count=1 oflag=direct \
		status=none 2>/dev/null; then
		t_skip "this ramfs takes O_DIRECT: not a refusing filesystem"
	fi
	random_file src $((3 * MiB + 7))
	rc_run --direct src ram/dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_file src ram/dst
	mkdir t
	random_file t/f $((MiB + 9))
	rc_run -a --direct=always t/ ram/tree/
	assert_status 0 || return 1
	assert_same_file t/f ram/tree/f
}

test_help()
{
	rc_run --help
	assert_status 0 || return 1
	assert_contains "--help" "$RC_OUT" "--direct[=WHEN]"
	assert_contains "--help" "$RC_OUT" "(default never"
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
	for size in 1 4095 4096 4097 $((256 * KiB)) $((MiB - 1)) $((MiB + 1)) \
		    $((7 * MiB + 5)); do
		t_add "$size bytes, --direct: identical" \
			t_copy_random_file "$size" --direct
	done
	t_add "$((3 * MiB + 1)) bytes, --direct -Q 1 -B 4K" \
		t_copy_random_file $((3 * MiB + 1)) --direct -Q 1 -B 4K
	t_add "$((3 * MiB + 1)) bytes, --direct -B 5000 (off the alignment)" \
		t_copy_random_file $((3 * MiB + 1)) --direct -B 5000
	t_add "$((3 * MiB + 1)) bytes, --direct --buffers=ring" \
		t_copy_random_file $((3 * MiB + 1)) --direct --buffers=ring
	t_add "$((3 * MiB + 1)) bytes, --direct --buffers=fixed --fsync" \
		t_copy_random_file $((3 * MiB + 1)) --direct --buffers=fixed --fsync
	t_add "$((3 * MiB + 1)) bytes, --direct --no-io-uring" \
		t_copy_random_file $((3 * MiB + 1)) --direct --no-io-uring
	t_add "--direct: the copy is not left in the page cache (tail only)" \
		test_cached 4096 --direct
	t_add "--direct=never: the copy is in the page cache" \
		test_cached all --direct=never
	t_add "no --direct (default never): the copy is in the page cache" \
		test_cached all
	t_add "--direct=auto without --fsync: buffered" \
		test_cached all --direct=auto
	t_add "tree of 22 files, -a --direct: identical" test_tree --direct
	t_add "tree, -a --direct --files-in-flight=2 -Q 2" \
		test_tree --direct --files-in-flight=2 -Q 2
	t_add "a filesystem refusing O_DIRECT (ramfs): copied buffered" \
		test_refusing_fs
	t_add "--help names --direct and its default" test_help
	t_add "--direct=sometimes is a usage error naming it" \
		test_bad_value --direct=sometimes \
		"invalid argument 'sometimes' for '--direct'"
	t_run_all
}

main "$@"
