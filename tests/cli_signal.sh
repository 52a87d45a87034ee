#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: SIGINT or SIGTERM during a copy makes ringcp cancel and
# drain its I/O and exit 20 promptly, with no temporary file left and the
# destination name absent (or, if it existed, unchanged); and when
# io_uring_setup fails (ENOSYS or EPERM from a seccomp filter, as in
# containers) ringcp copies with its synchronous fallback, saying why in
# one line (it exited 4 and copied nothing before issue 16).
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_signal.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))
GiB=$((1024 * MiB))
# slow enough to interrupt: one 4K op in flight, then an fsync
# (read/write pinned: -B sizes its ops; a splice pair moves a pipe's chunk)
SLOW_OPTS=(-Q 1 -B 4K --fsync --data=readwrite)
# how long the copy must run before the signal, and may take to stop
SIG_DELAY=0.2
STOP_LIMIT_S=30

now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}

	echo $((t / 1000))
}

# shared_src : a 256 MiB random file, made once for all the tests
shared_src()
{
	local f=$T_TMP/.io/src256

	[ -f "$f" ] || random_file "$f" $((256 * MiB))
	echo "$f"
}

# interrupt SIG SRC : copy SRC to ./dst in the background, send SIG once the
# temporary file exists and SIG_DELAY has passed; sets RC_STATUS, STOP_MS
# (signal to exit), and SENT=0 if the copy succeeded before the signal
interrupt()
{
	local sig=$1 src=$2 pid i t0

	"$RINGCP" "${SLOW_OPTS[@]}" "$src" dst >"$RC_OUT" 2>"$RC_ERR" &
	pid=$!
	for ((i = 0; i < 1000; i++)); do	# up to 10 s for the temp file
		writing_temp "$pid" . && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	sleep "$SIG_DELAY"
	t0=$(now_ms)
	kill -s "$sig" "$pid" 2>/dev/null ||
		diag "ringcp had ended before SIG$sig was sent"
	await_exit "$pid" "$sig"
	STOP_MS=$(( $(now_ms) - t0 ))
	# copied in full before the signal: try again, slower; any other
	# early end is a failure the caller reports
	SENT=1
	[ "$RC_STATUS" -eq 0 ] && SENT=0
	return 0
}

# test_signal SIG [existing] : interrupt a copy to a new (or existing) DST
test_signal()
{
	local sig=$1 existing=${2:-} src attempt

	for attempt in 1 2; do
		rm -f src dst dst.orig
		if [ "$attempt" -eq 1 ]; then
			ln "$(shared_src)" src || t_abort "cannot link the source"
		else
			# a bigger (sparse) source takes ~16 times as long
			truncate -s $((4 * GiB)) src
		fi
		if [ -n "$existing" ]; then
			random_file dst 12345
			cp dst dst.orig
		fi
		interrupt "$sig" src
		[ "$SENT" -eq 1 ] && break
		diag "attempt $attempt: the copy was done before SIG$sig"
		# then it must be a complete copy
		assert_same_file src dst || t_abort "exit 0 without a copy"
	done
	[ "$SENT" -eq 1 ] ||
		t_skip "the copy always finished before the signal landed"
	diag "exited ${STOP_MS} ms after SIG$sig"
	assert_status 20
	assert_stderr_eq "ringcp: interrupted copying 'src'"
	assert_no_temp .
	if [ -n "$existing" ]; then
		assert_same_file dst.orig dst
	else
		assert_absent dst
	fi
	rm -f src
}

# test_sigkill [existing]: SIGKILL cannot be handled; still the final name
# never holds partial data, no temporary file is left (unnamed O_TMPFILE on
# ext4/tmpfs), and running the same command again completes the job
test_sigkill()
{
	local existing=${1:-}

	rm -f src dst dst.orig
	ln "$(shared_src)" src || t_abort "cannot link the source"
	if [ -n "$existing" ]; then
		random_file dst 12345
		cp dst dst.orig
	fi
	interrupt KILL src
	[ "$SENT" -eq 1 ] || t_skip "the copy finished before SIGKILL landed"
	assert_status 137
	assert_no_temp .
	if cmp -s src dst; then
		# the kill landed after the rename, during the exit's wait for
		# the kernel to free the ring: the file is whole, as it must be
		diag "SIGKILL landed after the final rename: DST is complete"
	elif [ -n "$existing" ]; then
		assert_same_file dst.orig dst
	else
		assert_absent dst
	fi
	rc_run src dst
	assert_status 0
	assert_same_file src dst
	assert_no_temp .
	rm -f src
}

# ---- io_uring unavailable ----------------------------------------------------

# test_no_io_uring ERRNO-NUMBER STRERROR ADVICE-FRAGMENT : the copy is made
# by the synchronous fallback, with a one-line notice saying why
test_no_io_uring()
{
	local py helper=$T_LIBDIR/seccomp_deny.py

	py=$(command -v /usr/bin/python3 python3 | head -n 1)
	[ -n "$py" ] || t_skip "no python3 to install a seccomp filter"
	# does the filter work here? (a plain command must still run)
	"$py" "$helper" "$1" /bin/true 2>/dev/null ||
		t_skip "cannot install a seccomp filter (status $?)"
	random_file src $((3 * 1024 * 1024 + 5))
	rc_run_cmd "$py" "$helper" "$1" "$RINGCP" src dst
	assert_status 0
	assert_contains "stderr" "$RC_ERR" \
		"ringcp: cannot set up io_uring: $2: copying with the synchronous fallback engine"
	assert_contains "stderr" "$RC_ERR" "$3"
	assert_eq "stderr lines" 1 "$(wc -l <"$RC_ERR")"
	assert_empty "stdout" "$RC_OUT"
	assert_same_file src dst
	assert_no_temp .
}

main()
{
	local sig

	t_init
	for sig in INT TERM HUP; do
		t_add "SIG$sig during a copy: exit 20, no temp, DST absent" \
			test_signal "$sig"
		t_add "SIG$sig during a copy over DST: exit 20, DST unchanged" \
			test_signal "$sig" existing
	done
	t_add "SIGKILL during a copy: DST absent, no temp, a rerun completes" \
		test_sigkill
	t_add "SIGKILL during a copy over DST: DST unchanged, a rerun completes" \
		test_sigkill existing
	t_add "io_uring_setup ENOSYS (seccomp): the fallback copies, says why" \
		test_no_io_uring 38 "Function not implemented" "seccomp"
	t_add "io_uring_setup EPERM (seccomp): the fallback copies, says why" \
		test_no_io_uring 1 "Operation not permitted" "io_uring"
	t_run_all
}

main "$@"
