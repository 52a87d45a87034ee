#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: --reflink (cp's meaning), the clone data path, on XFS and
# btrfs loop images made for the test: a file copied with the default
# (auto, in cp mode and in rsync's -a mode) shares its source's extents
# (filefrag says "shared"), has the same bytes and keeps its holes;
# --reflink=never copies without sharing; --reflink=always (and
# --reflink alone) onto another filesystem fails with the path and the
# errno text, a non-zero exit, and nothing under the final name, where
# auto falls back to copying; a tree on a filesystem that cannot clone
# (ext4) asks FICLONE once per pair of filesystems, not once per file; a
# bad WHEN is a usage error.  Skips, saying why, where an image cannot be
# made (not root, no mkfs, no loop device).
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_reflink.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))
PATH=$PATH:/usr/sbin:/sbin

# loopfs TYPE DIR : a fresh TYPE filesystem (xfs, btrfs) on a loop image,
# mounted on DIR (made here), unmounted and its loop device detached at
# the end of the test whatever happens (t_mount; mount -o loop autoclears)
loopfs()
{
	need_root "mount a $1 loop image"
	command -v "mkfs.$1" >/dev/null ||
		t_skip "no mkfs.$1 (scripts/deps.sh installs it)"
	truncate -s 512M "$T_TMP/$1-$$.img" &&
		"mkfs.$1" -q -f "$T_TMP/$1-$$.img" >/dev/null 2>&1 ||
		t_skip "mkfs.$1 of a loop image failed"
	mkdir -p "$2"
	t_mount -t "$1" -o loop "$T_TMP/$1-$$.img" "$2" 2>/dev/null ||
		t_skip "cannot mount a $1 loop image (no loop device?)"
}

# shared FILE : filefrag sees FILE's extents shared (with its source)
shared()
{
	filefrag -v "$1" 2>/dev/null | grep -q shared
}

# sparse_file PATH : 64 MiB with 4 KiB of data in the middle
sparse_file()
{
	truncate -s $((64 * MiB)) "$1" &&
		head -c 4096 /dev/urandom |
		dd of="$1" bs=4096 seek=$((8 * 1024)) conv=notrunc status=none
}

# json_cloned FILE : the "cloned" count of a --json summary
json_cloned()
{
	grep -o '"cloned": [0-9]*' "$1" | grep -o '[0-9]*$'
}

# test_clone_cp TYPE : cp mode, the default (auto) clones
test_clone_cp()
{
	loopfs "$1" fs
	random_file fs/a $((8 * MiB + 123))
	sparse_file fs/sp
	rc_run fs/a fs/b
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_file fs/a fs/b
	shared fs/b || fail "fs/b does not share extents: $(filefrag -v fs/b)"
	rc_run fs/sp fs/sp.copy
	assert_status 0
	assert_same_file fs/sp fs/sp.copy
	shared fs/sp.copy || fail "the sparse copy does not share extents"
	[ "$(stat -c %b fs/sp.copy)" -le 64 ] ||
		fail "holes filled: $(stat -c %b fs/sp.copy) blocks"
	assert_no_temp fs
}

# test_clone_tree TYPE : rsync's -a mode clones by default too
test_clone_tree()
{
	local f

	loopfs "$1" fs
	mkdir -p fs/src/d
	for f in 1 2 3; do random_file "fs/src/d/f$f" $((f * 300000)); done
	sparse_file fs/src/sp
	rc_run -a --json=tree.json fs/src/ fs/dst
	assert_status 0
	assert_eq "files cloned (--json)" 4 "$(json_cloned tree.json)"
	for f in d/f1 d/f2 d/f3 sp; do
		assert_same_file "fs/src/$f" "fs/dst/$f"
		shared "fs/dst/$f" || fail "fs/dst/$f does not share extents"
	done
	[ "$(stat -c %b fs/dst/sp)" -le 64 ] || fail "holes filled"
	assert_eq "mtime kept" "$(stat -c %Y fs/src/d/f2)" \
		"$(stat -c %Y fs/dst/d/f2)"
}

test_never()
{
	loopfs xfs fs
	random_file fs/a $((4 * MiB))
	mkdir fs/src && cp fs/a fs/src/a
	rc_run --reflink=never fs/a fs/b
	assert_status 0
	assert_same_file fs/a fs/b
	! shared fs/b || fail "--reflink=never: fs/b shares extents"
	rc_run -a --reflink=never --json=n.json fs/src/ fs/dst
	assert_status 0
	assert_eq "files cloned (--json)" 0 "$(json_cloned n.json)"
	! shared fs/dst/a || fail "--reflink=never: fs/dst/a shares extents"
}

# test_always_across WHEN : onto tmpfs, --reflink=WHEN (always, or alone)
test_always_across()
{
	loopfs xfs fs
	t_scratch other 64M
	random_file fs/a $((2 * MiB))
	mkdir -p fs/src && cp fs/a fs/src/a
	rc_run "$1" fs/a other/b
	assert_status 1
	assert_stderr_eq "ringcp: cannot clone (--reflink=always) into \
'other/b': Invalid cross-device link"
	assert_absent other/b
	assert_no_temp other
	rc_run -a "$1" fs/src/ other/dst
	assert_status 23
	assert_contains "the error names the file" "$RC_ERR" \
		"cannot clone (--reflink=always) into 'other/dst/a': Invalid cross-device link"
	assert_absent other/dst/a
	assert_no_temp other
}

test_auto_across()
{
	loopfs xfs fs
	t_scratch other 64M
	random_file fs/a $((2 * MiB + 7))
	sparse_file fs/sp
	rc_run --reflink=auto fs/a other/b
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_file fs/a other/b
	mkdir fs/src && cp --sparse=always fs/sp fs/src/sp && cp fs/a fs/src/a
	rc_run -a --json=a.json fs/src/ other/dst
	assert_status 0
	assert_eq "files cloned (--json)" 0 "$(json_cloned a.json)"
	assert_same_file fs/src/a other/dst/a
	assert_same_file fs/src/sp other/dst/sp
}

# a tree where clones fail (the test directory: not XFS or btrfs) asks once
test_once_per_pair()
{
	local d f n

	command -v strace >/dev/null || t_skip "no strace"
	case $(findmnt -n -o FSTYPE -T .) in
	xfs|btrfs) t_skip "the test directory's filesystem clones" ;;
	esac
	for d in 1 2 3 4; do
		mkdir -p "src/d$d"
		for f in $(seq 50); do printf 'file %s %s\n' "$d" "$f" \
			>"src/d$d/f$f"; done
	done
	# (LeakSanitizer cannot work under ptrace: off for this run)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		rc_run_cmd strace -f -qq -e trace=ioctl -o trace.txt \
		"$RINGCP" -a src/ dst
	assert_status 0
	need_python
	assert_same_tree "the copy" src dst
	n=$(grep -c FICLONE trace.txt)
	diag "200 files, $n FICLONE calls"
	[ "$n" -ge 1 ] || fail "no FICLONE tried: the clone path was not taken"
	[ "$n" -le 1 ] || fail "$n FICLONE calls for one pair of filesystems"
}

test_bad_when()
{
	random_file a 10
	rc_run --reflink=sometimes a b
	assert_status 1
	assert_contains "the message" "$RC_ERR" \
		"ringcp: invalid argument 'sometimes' for '--reflink': give never, auto or always"
	assert_absent b
}

t_init
t_add "xfs, cp mode: auto (the default) clones, bytes same, holes kept" \
	test_clone_cp xfs
t_add "btrfs, cp mode: auto (the default) clones, bytes same, holes kept" \
	test_clone_cp btrfs
t_add "xfs, -a: clones by default, every file shares its extents" \
	test_clone_tree xfs
t_add "btrfs, -a: clones by default, every file shares its extents" \
	test_clone_tree btrfs
t_add "--reflink=never copies without sharing extents" test_never
t_add "--reflink=always onto another filesystem fails, nothing left" \
	test_always_across --reflink=always
t_add "--reflink alone is always" test_always_across --reflink
t_add "--reflink=auto onto another filesystem copies" test_auto_across
t_add "a tree that cannot clone asks FICLONE once, not per file" \
	test_once_per_pair
t_add "--reflink=WHEN other than never, auto, always is a usage error" \
	test_bad_when
t_run_all
