#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: ringcheck (docs/ringcheck.md) catches each published bug
# shape in tests/ringcheck/ with the report it should give (what, which
# request, whether the kernel had completed it), and is quiet on the same
# programs done right, on liburing's own examples (io_uring-cp, link-cp,
# built from Debian's liburing-dev), on fio's io_uring engine and on
# ringcp; three of ringcp's mutants built as plain production commands
# are caught while a SIGINT cancels a stalled read; as root the kernel's
# witness confirms a report on a torn-down ring's request, or withdraws it
# when the kernel had completed the request first; it refuses a static
# program and its --help names what it cannot see.
#
#   RINGCP=build/gcc/ringcp bash tests/ringcheck.sh
set -u
. "$(dirname "$0")/lib.sh"

BUILD=
RK=
PROGS=
EXAMPLES=/usr/share/doc/liburing-dev/examples

# rk PROGRAM [ARGS...]: run it under ringcheck (RC_STATUS, RC_ERR)
rk()
{
	rc_run_cmd "$RK" "$@"
}

# caught NAME LINE...: the bug form of a test program is reported with
# each LINE, exit 66; its fixed form runs clean
caught()
{
	local name=$1 line

	shift
	rk "$PROGS/$name"
	assert_status 66
	for line in "$@"; do
		assert_contains "report" "$RC_ERR" "$line"
	done
	rk "$PROGS/$name" fixed
	assert_status 0
	assert_contains "summary" "$RC_ERR" ", 0 reports"
}

test_help_and_bad_use()
{
	rc_run_cmd "$RK" --help
	assert_status 0
	assert_contains "help" "$RC_OUT" "Cannot see: statically linked"
	assert_contains "help" "$RC_OUT" "IOSQE_CQE_SKIP_SUCCESS"
	rc_run_cmd "$RK" --exitcode=0 true
	assert_status 2
	assert_contains "error" "$RC_ERR" "want a number 1..255"
	rc_run_cmd "$RK" ./no-such-program
	assert_status 2
	assert_contains "error" "$RC_ERR" "no such program"
}

test_static_refused()
{
	printf 'int main(void) { return 0; }\n' >s.c
	cc -static -o s s.c 2>/dev/null || t_skip "no static libc to link with"
	rc_run_cmd "$RK" ./s
	assert_status 2
	assert_contains "refusal" "$RC_ERR" "is statically linked: a preloaded library cannot reach it"
}

test_teardown_then_free()
{
	if [ "$(id -u)" -ne 0 ]; then	# a pipe read; no witness
		caught teardown_free \
			"ERROR: free of memory a request of a torn-down ring still used" \
			"completed: unknown: its ring was torn down" \
			"witness off (not root): orphan reports stay unknown"
		return
	fi
	caught teardown_free \
		"ERROR: free of memory a request of a torn-down ring still used" \
		"request: IORING_OP_READ, user_data 0x1," \
		"completed: unknown: its ring was torn down" \
		"(orphan report 1 of pid" \
		"the kernel completed the request" \
		"after the release (res 4096): confirmed"
}

test_witness_withdraws_what_the_kernel_had_done()
{
	need_root "the witness reads tracefs"
	# the ring's close cancels a poll-armed pipe read; the free is 100 ms
	# later
	rk "$PROGS/teardown_free" pipe
	assert_status 0
	assert_contains "verdict" "$RC_ERR" "the kernel had completed the request"
	assert_contains "verdict" "$RC_ERR" "before the release (res -125): report withdrawn"
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	rk --no-witness "$PROGS/teardown_free" pipe
	assert_status 66
	assert_contains "no witness" "$RC_ERR" "witness off (--no-witness): orphan reports stay unknown"
}

test_free_after_failed_submit()
{
	caught submit_fail_free \
		"ERROR: free of memory an SQE queued for the kernel refers to" \
		"request: IORING_OP_READ, user_data 0x1," \
		"state: queued in the SQ, not yet taken by the kernel"
}

test_fd_closed_under_linkat()
{
	caught linkat_close \
		"ERROR: close of an fd a request in flight names" \
		"request: IORING_OP_LINKAT, user_data 0x2," \
		"completed: no"
}

test_io_uring_close_under_a_read()
{
	caught chain_close \
		"ERROR: IORING_OP_CLOSE of an fd a request in flight names" \
		"request: IORING_OP_READ, user_data 0x1,"
}

test_buffers_unregistered_under_a_fixed_read()
{
	caught unregister_fixed \
		"ERROR: io_uring_unregister_buffers of memory a request in flight uses" \
		"request: IORING_OP_READ_FIXED, user_data 0x5,"
}

test_thread_stack_gone_under_a_read()
{
	caught thread_stack \
		"ERROR: thread exit (return) of memory a request in flight uses" \
		"request: IORING_OP_READ, user_data 0x3,"
}

test_longjmp_out_of_a_read_into_its_frame()
{
	caught longjmp_stack \
		"ERROR: longjmp of memory a request in flight uses" \
		"request: IORING_OP_READ, user_data 0x4,"
}

test_free_on_cancel_answer()
{
	need_root "to mount the FUSE filesystem that holds the read"
	[ -c /dev/fuse ] || t_skip "no /dev/fuse"
	caught cancel_free \
		"ERROR: free of memory a request in flight uses" \
		"request: IORING_OP_READ, user_data 0x1," \
		"completed: no"
}

test_raw_syscall_program()
{
	caught raw_free \
		"ERROR: free of memory a request in flight uses" \
		"request: IORING_OP_READ, user_data 0x7," \
		"submitted at:"
	rc_run_cmd "$RK" --exitcode=3 "$PROGS/raw_free"
	assert_status 3
}

test_inline_enters()
{
	rk "$PROGS/raw_free" bug inline
	assert_status 0
	assert_contains "limit said" "$RC_ERR" "through an io_uring_enter ringcheck did not see"
	rk --trap-enters "$PROGS/raw_free" bug inline
	assert_status 66
	assert_contains "report" "$RC_ERR" "request: IORING_OP_READ, user_data 0x7,"
	rk --trap-enters "$PROGS/raw_free" fixed inline
	assert_status 0
	assert_contains "summary" "$RC_ERR" "1 request (1 completion seen)"
	rk --trap-enters "$PROGS/teardown_free"
	assert_status 66
}

test_sqpoll_said_and_checked()
{
	caught sqpoll_free \
		"ringcheck: limit: ring fd" \
		"uses SQPOLL: the kernel's thread takes SQEs without a system call" \
		"ERROR: free of memory a" \
		"request: IORING_OP_READ, user_data 0x9,"
}

# example NAME: liburing's example built here, copying a 3 MiB file clean
example()
{
	[ -f "$EXAMPLES/$1.c" ] || t_skip "no $EXAMPLES/$1.c (liburing-dev)"
	cc -O2 -D_GNU_SOURCE -o "$1" "$EXAMPLES/$1.c" -luring ||
		t_abort "cannot build $1"
	random_file src $((3 * 1024 * 1024 + 123))
	rk "./$1" src dst
	assert_status 0
	assert_same_file src dst
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	grep -qE ': 1 ring, [1-9][0-9]+ requests \([1-9]' "$RC_ERR" || {
		fail "$1: no request seen"
		show_file "stderr" "$RC_ERR"
	}
}

test_liburing_io_uring_cp()
{
	example io_uring-cp
}

test_liburing_link_cp()
{
	example link-cp
}

test_fio_io_uring_engine()
{
	command -v fio >/dev/null || t_skip "no fio"
	rk fio --name=rk --ioengine=io_uring --rw=randrw --size=8M \
		--filename="$PWD/f" --iodepth=16 --bs=4k --loops=2
	assert_status 0
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	assert_contains "limit said" "$RC_ERR" "through an io_uring_enter ringcheck did not see"
	rk --trap-enters fio --name=rk --ioengine=io_uring --rw=randrw \
		--size=8M --filename="$PWD/f" --iodepth=16 --bs=4k
	assert_status 0
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	grep -qE ' ([1-9][0-9]*) requests \(\1 completions seen\)' "$RC_ERR" ||
		fail "--trap-enters: not every fio request's completion was seen"
}

test_ringcp_copies_clean()
{
	random_file big $((24 * 1024 * 1024))
	mkdir t
	for i in $(seq 50); do echo "$i" >"t/f$i"; done
	rk "$RINGCP" --buffers=heap big big2
	assert_status 0
	assert_same_file big big2
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	rk "$RINGCP" -a t/ t2/
	assert_status 0
	assert_contains "summary" "$RC_ERR" ", 0 reports"
	grep -qE ' ([1-9][0-9]*) requests \(\1 completions seen\)' "$RC_ERR" ||
		fail "not every request's completion was seen"
}

# interrupted BIN: BIN copies a file whose read stalls (faultfs), under
# ringcheck, and gets SIGINT while the read is held (read/write pinned:
# the mutants break the rules of a read's buffer and fd)
interrupted()
{
	"$RK" "$1" --buffers=heap --data=readwrite -a smnt/ dst >"$RC_OUT" \
		2>"$RC_ERR" &
	interrupt_when_made $!
	rm -rf dst
}

test_ringcp_mutants_as_production()
{
	local m faultfs=$BUILD/tests-fuse/faultfs

	need_root "to mount a FUSE filesystem"
	[ -x "$faultfs" ] && [ -c /dev/fuse ] || t_skip "no faultfs or /dev/fuse"
	mkdir sback smnt
	random_file sback/a-stall 300000
	printf '%s\n' "$(realpath smnt)" >>"$T_TMP/.mounts"
	FAULTFS_STALL_MS=1200 "$faultfs" sback smnt ||
		t_skip "cannot mount faultfs"
	interrupted "$RINGCP"
	assert_status 20
	assert_contains "production ringcp" "$RC_ERR" ", 0 reports"
	for m in free_on_cancel cancel_trusted fd_close_early; do
		interrupted "$BUILD/ringcheck/mutants/$m/ringcp"
		assert_status 66
		assert_contains "$m" "$RC_ERR" "a request in flight"
		assert_contains "$m" "$RC_ERR" "request: IORING_OP_READ"
	done
}

main()
{
	t_init
	BUILD=$(dirname "$RINGCP")
	RK=$BUILD/ringcheck/ringcheck
	PROGS=$BUILD/ringcheck/tests
	if [ "$(basename "$BUILD")" != gcc ]; then
		t_add "ringcheck is checked in the gcc variant" \
			t_skip "ringcheck builds without sanitizers: the gcc run covers it"
		t_run_all
	fi
	t_add "--help names the limits; bad use exits 2" test_help_and_bad_use
	t_add "a static program is refused" test_static_refused
	t_add "close-then-free teardown is caught" test_teardown_then_free
	t_add "the witness withdraws a report the kernel had completed" \
		test_witness_withdraws_what_the_kernel_had_done
	t_add "free after a failed submit is caught" \
		test_free_after_failed_submit
	t_add "an fd closed under a queued linkat is caught" \
		test_fd_closed_under_linkat
	t_add "an IORING_OP_CLOSE under a read is caught, linked behind it not" \
		test_io_uring_close_under_a_read
	t_add "buffers unregistered under a fixed read are caught" \
		test_buffers_unregistered_under_a_fixed_read
	t_add "a thread ending under a read into its stack is caught" \
		test_thread_stack_gone_under_a_read
	t_add "a longjmp out of a read into its frame is caught" \
		test_longjmp_out_of_a_read_into_its_frame
	t_add "free on the cancel's answer is caught" \
		test_free_on_cancel_answer
	t_add "a raw syscall(2) program is checked too" \
		test_raw_syscall_program
	t_add "enters of the program's own instructions: said; --trap-enters sees them" \
		test_inline_enters
	t_add "an SQPOLL ring is said at start-up and still checked" \
		test_sqpoll_said_and_checked
	t_add "liburing's io_uring-cp runs clean" test_liburing_io_uring_cp
	t_add "liburing's link-cp runs clean" test_liburing_link_cp
	t_add "fio's io_uring engine runs clean: limit said, checked with --trap-enters" \
		test_fio_io_uring_engine
	t_add "ringcp copies a file and a tree clean" test_ringcp_copies_clean
	t_add "ringcp's mutants built as production commands are caught" \
		test_ringcp_mutants_as_production
	t_run_all
}

main "$@"
