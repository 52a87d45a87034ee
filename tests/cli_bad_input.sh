#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: every bad input makes ringcp print one clear line on stderr,
# "ringcp: <what> '<PATH>': <error>", exit with the documented code (cp's 1
# for every error in single-file mode) and leave nothing behind: no
# temporary file, no new destination, an existing destination unchanged
# byte for byte (a file written in place, as cp does, aside: see
# docs/tree-copy.md "Single-file mode").  Covers
# missing/unreadable/non-regular sources, missing/read-only/full
# destinations (ENOSPC from fallocate and from a write in flight), SRC and
# DST the same file, DST with a trailing '/', usage errors, --help and
# --version.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_bad_input.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))

# not_copied WHAT-IN-MESSAGE : exit 1 (cp's) and exactly "ringcp: MESSAGE"
not_copied()
{
	assert_status 1
	assert_stderr_eq "ringcp: $1"
	assert_empty "stdout" "$RC_OUT"
}

# usage_error TEXT ARGS... : exit 1, stderr holds TEXT and the --help hint,
# and the would-be destination was not created
usage_error()
{
	local text=$1

	shift
	random_file f 100
	rc_run "$@"
	assert_status 1
	assert_contains "stderr" "$RC_ERR" "$text"
	assert_contains "stderr" "$RC_ERR" "ringcp --help"
	assert_empty "stdout" "$RC_OUT"
	assert_absent dst
}

# bad_option TEXT ARGS... : like usage_error, the message exact
bad_option()
{
	local text=$1

	shift
	random_file f 100
	rc_run "$@" f dst
	assert_status 1
	assert_stderr_eq "$text"
	assert_absent dst
}

# ---- sources ------------------------------------------------------------

test_missing_source()
{
	rc_run nosuch dst
	not_copied "cannot open 'nosuch': No such file or directory"
	assert_absent dst
	assert_no_temp .
}

test_source_dir()
{
	mkdir srcdir
	rc_run srcdir dst
	not_copied "cannot copy 'srcdir': Is a directory"
	assert_absent dst
	assert_no_temp .
}

test_source_fifo()
{
	mkfifo fifo || t_skip "cannot make a FIFO here"
	rc_run fifo dst		# must not block opening or reading it
	not_copied "cannot copy 'fifo': not a regular file"
	assert_absent dst
	assert_no_temp .
}

test_source_chardev()
{
	[ -c /dev/null ] || t_skip "no /dev/null"
	rc_run /dev/null dst
	not_copied "cannot copy '/dev/null': not a regular file"
	assert_absent dst
}

test_source_trailing_slash()
{
	random_file f 10
	rc_run f/ dst
	not_copied "cannot open 'f/': Not a directory"
	assert_absent dst
}

test_unreadable_source()
{
	local before

	need_nobody
	random_file secret 5000
	chmod 000 secret
	mkdir pub && chmod 777 pub
	random_file pub/dst 77		# nobody could replace this
	chmod 666 pub/dst
	before=$(snapshot pub)
	as_nobody secret pub/dst
	not_copied "cannot open 'secret': Permission denied"
	assert_snapshot "destination dir" pub "$before"
	as_nobody secret pub/new
	not_copied "cannot open 'secret': Permission denied"
	assert_absent pub/new
}

# a new name cannot go in; a writable file there is written in place, as
# cp does (it keeps its owner, root)
test_unwritable_dest_dir()
{
	local before

	need_nobody
	random_file f 5000
	mkdir locked
	random_file locked/f 100
	chmod 666 locked/f	# writable file, but the dir is not
	before=$(snapshot locked)
	as_nobody f locked/new
	not_copied "cannot create 'locked/new': Permission denied"
	assert_snapshot "locked/" locked "$before"
	as_nobody f locked/f
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_file f locked/f
	assert_eq "owner and mode of locked/f" "0:0 666" \
		"$(stat -c '%u:%g %a' locked/f)"
	assert_eq "locked/ holds" "f" "$(ls -A locked)"
}

# ---- destinations -------------------------------------------------------

test_missing_dest_dir()
{
	random_file f 5000
	rc_run f nodir/f
	not_copied "cannot create 'nodir/f': No such file or directory"
	assert_absent nodir
	assert_no_temp .
}

test_dest_trailing_slash_missing()
{
	random_file f 5000
	rc_run f nodir/
	not_copied "cannot create 'nodir/': Not a directory"
	assert_absent nodir
	assert_no_temp .
}

test_dest_trailing_slash_file()
{
	random_file f 5000
	random_file existing 300
	cp existing existing.orig
	rc_run f existing/
	not_copied "cannot create 'existing/': Not a directory"
	assert_same_file existing.orig existing
	assert_no_temp .
}

# DST/basename is a directory: cannot be replaced by the file
test_dest_entry_is_dir()
{
	random_file f 5000
	mkdir -p d/f
	rc_run f d
	not_copied "cannot overwrite directory 'd/f' with non-directory"
	[ -d d/f ] || fail "d/f is no longer a directory"
	assert_eq "d/f holds" "" "$(ls -A d/f)"
	assert_no_temp d
}

test_dest_empty()
{
	random_file f 5000
	rc_run f ""
	assert_status 1
	assert_contains "stderr" "$RC_ERR" "'': No such file or directory"
	assert_no_temp .
	assert_eq "files in the dir" "f" "$(ls -A)"
}

test_readonly_fs()
{
	local before

	need_root "to mount a tmpfs"
	random_file f 5000
	mkdir ro
	t_mount -t tmpfs -o size=1m tmpfs ro || t_skip "cannot mount tmpfs"
	random_file ro/f 300
	mount -o remount,ro ro || t_abort "cannot remount read-only"
	before=$(snapshot ro)
	rc_run f ro/new
	not_copied "cannot create 'ro/new': Read-only file system"
	rc_run f ro/f
	not_copied "cannot create 'ro/f': Read-only file system"
	rc_run f ro
	not_copied "cannot create 'ro/f': Read-only file system"
	assert_snapshot "read-only tmpfs" ro "$before"
	t_umount ro
}

# test_enospc MESSAGE-WHAT [RINGCP-OPTIONS...] : 4 MiB into a 1 MiB tmpfs
test_enospc()
{
	local what=$1

	shift
	need_root "to mount a tmpfs"
	random_file f $((4 * MiB))
	mkdir small
	t_mount -t tmpfs -o size=1m tmpfs small || t_skip "cannot mount tmpfs"
	rc_run "$@" f small/f
	not_copied "$what 'small/f': No space left on device"
	assert_eq "the tmpfs holds" "" "$(ls -A small)"
	assert_eq "tmpfs blocks used" 0 "$(( $(stat -f -c '%b - %f' small) ))"
	t_umount small
}

# the full tmpfs already holds DST: it stays as it was
test_enospc_existing()
{
	local what=$1 before

	shift
	need_root "to mount a tmpfs"
	random_file f $((4 * MiB))
	mkdir small
	t_mount -t tmpfs -o size=1m tmpfs small || t_skip "cannot mount tmpfs"
	random_file small/f 200000
	before=$(snapshot small)
	rc_run "$@" f small/f
	not_copied "$what 'small/f': No space left on device"
	assert_snapshot "full tmpfs" small "$before"
	t_umount small
}

# ---- SRC and DST the same file ---------------------------------------------

# test_same DST-ARG FINAL : copying d/f onto DST-ARG (naming d/f)
test_same()
{
	mkdir d
	random_file d/f 70000
	cp d/f orig
	case $1 in
	d/link) ln d/f d/link ;;
	d/sym) ln -s f d/sym ;;
	esac
	rc_run d/f "$1"
	not_copied "'d/f' and '$2' are the same file"
	assert_same_file orig d/f
	assert_no_temp d
}

# ---- usage ---------------------------------------------------------------

test_help()
{
	local code

	rc_run --help
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_contains "stdout" "$RC_OUT" "Usage: ringcp"
	assert_contains "stdout" "$RC_OUT" "Exit status:"
	for code in 0 1 4 20 23 24; do
		grep -qE "^ +$code +[a-z]" "$RC_OUT" ||
			fail "--help does not document exit status $code"
	done
}

test_version()
{
	rc_run --version
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	grep -qE '^ringcp [0-9]+\.[0-9]+' "$RC_OUT" ||
		{ fail "--version: expected 'ringcp X.Y...'"; show_run; }
}

test_good_sizes()
{
	local b

	random_file f 10000
	for b in 4096 4K 4k 4KiB 4KB 1M 1MiB 64M; do
		rc_run -B "$b" -Q 2 f "dst.$b"
		assert_status 0 || diag "with -B $b"
		assert_same_file f "dst.$b"
	done
}

main()
{
	t_init
	t_add "missing source: exit 1, 'No such file or directory'" \
		test_missing_source
	t_add "source is a directory: exit 1, 'Is a directory'" \
		test_source_dir
	t_add "source is a FIFO: exit 1 at once, 'not a regular file'" \
		test_source_fifo
	t_add "source is a char device: exit 1, 'not a regular file'" \
		test_source_chardev
	t_add "source 'file/': exit 1, 'Not a directory'" \
		test_source_trailing_slash
	t_add "unreadable source (as nobody): exit 1, 'Permission denied'" \
		test_unreadable_source
	t_add "unwritable DST dir (as nobody): a new name 'Permission denied'" \
		test_unwritable_dest_dir
	t_add "missing DST directory: exit 1, 'No such file or directory'" \
		test_missing_dest_dir
	t_add "DST 'nodir/' missing: exit 1, 'Not a directory'" \
		test_dest_trailing_slash_missing
	t_add "DST 'file/' a regular file: exit 1, file unchanged" \
		test_dest_trailing_slash_file
	t_add "DST/basename is a directory: exit 1, 'Is a directory'" \
		test_dest_entry_is_dir
	t_add "DST '': exit 1, 'No such file or directory', no temp" \
		test_dest_empty
	t_add "read-only tmpfs: exit 1, 'Read-only file system'" \
		test_readonly_fs
	t_add "ENOSPC (fallocate): exit 1, tmpfs left empty" \
		test_enospc "cannot write"
	t_add "ENOSPC (--no-fallocate, write in flight): exit 1, tmpfs empty" \
		test_enospc "error writing" --no-fallocate
	t_add "ENOSPC with DST existing: DST unchanged" \
		test_enospc_existing "cannot write"
	t_add "ENOSPC (--no-fallocate) with DST existing: DST unchanged" \
		test_enospc_existing "error writing" --no-fallocate
	t_add "SRC and DST the same path: exit 1, 'are the same file'" \
		test_same d/f d/f
	t_add "DST a hard link to SRC: exit 1, 'are the same file'" \
		test_same d/link d/link
	t_add "DST a symlink to SRC: exit 1, 'are the same file'" \
		test_same d/sym d/sym
	t_add "DST 'd/' holding SRC: exit 1, 'are the same file'" \
		test_same d/ d/f
	t_add "DST 'd' holding SRC: exit 1, 'are the same file'" \
		test_same d d/f
	t_add "no operands: exit 1" usage_error "missing SRC or DST operand"
	t_add "one operand: exit 1" \
		usage_error "missing SRC or DST operand" f
	t_add "three operands: exit 1" usage_error "too many operands" f dst x
	t_add "unknown long option: exit 1" \
		usage_error "unrecognized option '--bogus'" --bogus f dst
	t_add "unknown short option: exit 1" \
		usage_error "invalid option -- 'j'" -j f dst
	t_add "-Q without its argument: exit 1" \
		usage_error "option requires an argument -- 'Q'" f dst -Q
	t_add "--queue-depth=0: exit 1" bad_option \
		"ringcp: invalid queue depth '0': must be 1 to 4096" \
		--queue-depth=0
	t_add "--queue-depth=4097: exit 1" bad_option \
		"ringcp: invalid queue depth '4097': must be 1 to 4096" \
		--queue-depth=4097
	t_add "--block-size=1K: exit 1" bad_option \
		"ringcp: invalid block size '1K': must be 4K to 64M" \
		--block-size=1K
	t_add "--block-size=abc: exit 1" bad_option \
		"ringcp: invalid block size 'abc': must be 4K to 64M" \
		--block-size=abc
	t_add "--block-size=65M: exit 1" bad_option \
		"ringcp: invalid block size '65M': must be 4K to 64M" \
		--block-size=65M
	t_add "--block-size=-4K: exit 1" bad_option \
		"ringcp: invalid block size '-4K': must be 4K to 64M" \
		--block-size=-4K
	t_add "--block-size=4Kx: exit 1" bad_option \
		"ringcp: invalid block size '4Kx': must be 4K to 64M" \
		--block-size=4Kx
	t_add "block sizes 4096 4K 4k 4KiB 4KB 1M 1MiB 64M accepted" \
		test_good_sizes
	t_add "--help: exit 0, usage and exit codes on stdout" test_help
	t_add "--version: exit 0, 'ringcp X.Y'" test_version
	t_run_all
}

main "$@"
