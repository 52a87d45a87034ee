#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: device errors, injected by a FUSE filesystem (tests/fuse/
# faultfs.c; this kernel has no device-mapper): EIO on a read in the middle
# of a source file, EIO and ENOSPC on a destination write, a read that
# stalls.  Each time the file is reported, nothing partial sits under its
# final name, the rest is copied and the exit code says so (23 in a tree
# copy, 1 for cp's mode); an existing destination stays whole; a stalled
# read only delays the copy, and SIGINT during it exits 20 with nothing
# left behind.  Also on the synchronous fallback engine.
#
# Every copy pins --data=readwrite: the faults are read(2) and write(2)
# answers of the buffer path, whatever the default data path is (splice
# pairs: tests/cli_splice.sh).
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_faults.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# faultfs BACKING MNT : mount it (unmounted at the end whatever happens)
faultfs()
{
	local FAULTFS

	FAULTFS=$(dirname "$RINGCP")/tests-fuse/faultfs	# (absolute by now)
	need_root "to mount a FUSE filesystem"
	[ -x "$FAULTFS" ] || t_skip "no $FAULTFS (make builds it; libfuse3-dev)"
	[ -c /dev/fuse ] || t_skip "no /dev/fuse"
	mkdir -p "$1" "$2"
	printf '%s\n' "$(realpath "$2")" >>"$T_TMP/.mounts"
	"$FAULTFS" "$1" "$2" || t_skip "cannot mount faultfs (status $?)"
}

# sources SIZE NAME... : files of SIZE random bytes in src/
sources()
{
	local size=$1 n args=()

	shift
	mkdir -p src
	for n in "$@"; do
		args+=("$size:src/$n")
	done
	seeded_files faults "${args[@]}"
}

# backing dir: no temporary name, no file of the faulty ones
no_trace()
{
	assert_no_temp_tree "$1"
	[ -z "$(find "$1" -name '*eio*' -o -name '*enospc*')" ] ||
		fail "a failed file under its final name:" \
			"$(find "$1" -name '*eio*' -o -name '*enospc*')"
}

# EIO reading the middle of a source file (a tree copy)
test_read_eio()
{
	faultfs sback smnt
	mkdir -p sback/sub && seeded_files r 300000:sback/a 300000:sback/sub/b \
		300000:sback/sub/x-eio-read 300000:sback/y-eio-read
	rc_run -a --data=readwrite "$@" smnt/ dst
	assert_status 23
	assert_err_line "^ringcp: error reading 'smnt/sub/x-eio-read': Input/output error$"
	assert_err_line "^ringcp: error reading 'smnt/y-eio-read': Input/output error$"
	assert_err_format
	assert_same_file sback/a dst/a
	assert_same_file sback/sub/b dst/sub/b
	no_trace dst
}

# single-file mode: EIO reading, over an existing DST: it stays whole
test_read_eio_file()
{
	faultfs sback smnt
	seeded_files r 300000:sback/x-eio-read 1000:old
	cp old dst
	rc_run --data=readwrite smnt/x-eio-read dst
	assert_status 1
	assert_stderr_eq "ringcp: error reading 'smnt/x-eio-read': Input/output error"
	assert_same_file old dst
	assert_no_temp .
	rc_run --data=readwrite smnt/x-eio-read new
	assert_status 1
	assert_absent new
}

# EIO and ENOSPC writing the destination
test_write_faults()
{
	sources 300000 ok1 ok2 x-eio-write y-enospc
	mkdir -p src/sub && seeded_files w 300000:src/sub/z-enospc 5:src/sub/f
	faultfs dback dmnt
	rc_run -a --data=readwrite "$@" src/ dmnt/dst
	assert_status 23
	assert_err_line "^ringcp: error writing 'dmnt/dst/x-eio-write': Input/output error$"
	assert_err_line "^ringcp: error writing 'dmnt/dst/y-enospc': No space left on device$"
	assert_err_line "^ringcp: error writing 'dmnt/dst/sub/z-enospc': No space left on device$"
	assert_err_format
	assert_same_file src/ok1 dback/dst/ok1
	assert_same_file src/ok2 dback/dst/ok2
	assert_same_file src/sub/f dback/dst/sub/f
	no_trace dback
}

# a read that stalls: the copy waits and completes
test_stall()
{
	local t0

	FAULTFS_STALL_MS=1500 faultfs sback smnt
	seeded_files s 300000:sback/a-stall 1000:sback/b
	t0=$SECONDS
	rc_run -a --data=readwrite smnt/ dst
	assert_status 0
	assert_same_file sback/a-stall dst/a-stall
	assert_same_file sback/b dst/b
	diag "the copy took $((SECONDS - t0)) s with a 1.5 s stall"
}

# SIGINT while a read stalls: exit 20 once the read answers, nothing left
test_stall_sigint()
{
	FAULTFS_STALL_MS=3000 faultfs sback smnt
	seeded_files s 300000:sback/a-stall
	"$RINGCP" -a --data=readwrite smnt/ dst >"$RC_OUT" 2>"$RC_ERR" &
	interrupt_when_made $!
	assert_status 20
	assert_err_line "^ringcp: interrupted copying 'smnt/a-stall'$"
	assert_absent dst/a-stall
	assert_no_temp_tree dst
}

main()
{
	t_init
	t_add "EIO reading a source file mid-way: named, the rest, exit 23" \
		test_read_eio
	t_add "EIO reading, single-file mode over DST: exit 1, DST whole" \
		test_read_eio_file
	t_add "EIO and ENOSPC writing: named, nothing partial, exit 23" \
		test_write_faults
	t_add "EIO and ENOSPC writing, on the fallback engine: the same" \
		test_write_faults --no-io-uring
	t_add "EIO reading, on the fallback engine: the same" \
		test_read_eio --no-io-uring
	t_add "a read that stalls 1.5 s: the copy waits and is complete" \
		test_stall
	t_add "SIGINT during a stalled read: exit 20, nothing left" \
		test_stall_sigint
	t_run_all
}

main "$@"
