# SPDX-License-Identifier: MIT
# Description: shared helpers for the ringcp command-line tests: TAP output,
# assertions that print what was expected and what was got, a private temp
# dir and the cleanup of everything a test made (mounts, extra dirs).
#
# A script sources this file, registers its tests, then runs them:
#
#	. "$(dirname "$0")/lib.sh"
#	t_add "copy of 1 byte is identical" test_copy 1
#	t_run_all
#
# t_run_all prints the plan, then runs each test function in its own
# subshell with a fresh empty working directory; the test fails if any
# assertion failed (or the subshell died, e.g. on an unset variable).  A
# test calls t_skip "reason" to end as skipped.  The script exits 0 if no
# test failed, 1 otherwise.  While developing, T_ONLY="2 5" runs only those
# tests and T_TIMES=1 prints how long each took.
#
# The command under test is $RINGCP (absolute path); rc_run runs it with
# stdout/stderr captured and its exit status in RC_STATUS.

set -u

T_DESC=()
T_CMD=()
T_TMP=
T_NFAIL=0
T_NSKIP=0
T_FAIL=0
RC_STATUS=
RC_OUT=
RC_ERR=
# seconds any single ringcp run may take before it counts as hung
: "${T_RUN_TIMEOUT:=120}"

# ---- TAP output ----------------------------------------------------------

# diag LINE... : each argument (and each line inside it) as a "# " line
diag()
{
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# show_file LABEL FILE : a file's contents as diagnostics (at most 20 lines)
show_file()
{
	local n

	if [ ! -s "$2" ]; then
		diag "$1: (empty)"
		return
	fi
	n=$(wc -l <"$2")
	diag "$1:"
	head -n 20 "$2" | cut -c 1-400 | sed "s/^/#   | /"
	[ "$n" -gt 20 ] && diag "  ... ($n lines)"
	return 0
}

# fail MESSAGE... : mark the current test failed, say why
fail()
{
	T_FAIL=1
	diag "$@"
}

# t_skip REASON : end the current test as skipped
t_skip()
{
	printf '%s\n' "$*" >"$T_TMP/.skip"
	exit 77
}

# t_abort MESSAGE : end the current test now, failed
t_abort()
{
	diag "$@"
	exit 1
}

# t_add DESCRIPTION FUNCTION [ARGS...] : register a test
t_add()
{
	local desc=$1

	shift
	T_DESC+=("$desc")
	T_CMD+=("$(printf '%q ' "$@")")
}

# ---- setup and cleanup -----------------------------------------------------

# unmount what t_mount mounted and is still mounted, innermost first
t_unmount_all()
{
	local m

	[ -f "$T_TMP/.mounts" ] || return 0
	tac "$T_TMP/.mounts" | while read -r m; do
		mountpoint -q "$m" 2>/dev/null || continue
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	rm -f "$T_TMP/.mounts"
}

t_cleanup()
{
	local d

	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		t_unmount_all
		[ "$(id -u)" -eq 0 ] || chmod -R u+w "$T_TMP" 2>/dev/null
		if [ -f "$T_TMP/.dirs" ]; then
			while read -r d; do
				rm -rf --one-file-system "$d"
			done <"$T_TMP/.dirs"
		fi
		rm -rf --one-file-system "$T_TMP"
	fi
}

t_init()
{
	if [ -z "${RINGCP:-}" ]; then
		echo "Bail out! RINGCP is not set (RINGCP=/abs/path/ringcp bash $0)"
		exit 1
	fi
	case $RINGCP in
	/*) ;;
	*) RINGCP=$PWD/$RINGCP ;;
	esac
	if [ ! -x "$RINGCP" ]; then
		echo "Bail out! RINGCP=$RINGCP is not an executable file"
		exit 1
	fi
	T_TMP=$(mktemp -d /tmp/ringcp-test.XXXXXXXX) || {
		echo "Bail out! mktemp -d failed"
		exit 1
	}
	# reachable by an unprivileged user (tests that drop privileges)
	chmod 755 "$T_TMP"
	mkdir "$T_TMP/.io"
	RC_OUT=$T_TMP/.io/stdout
	RC_ERR=$T_TMP/.io/stderr
	trap t_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	umask 022
}

# t_mount MOUNT-ARGS... DIR : mount, and unmount DIR at exit whatever happens
t_mount()
{
	local dir

	# absolute: the unmount at the end runs from another directory
	dir=$(realpath -m -- "${!#}")
	printf '%s\n' "$dir" >>"$T_TMP/.mounts"
	mount "$@"
}

# t_umount DIR
t_umount()
{
	umount "$1" 2>/dev/null || umount -l "$1"
}

# t_extra_dir BASE : print a new private dir under BASE, removed at exit
t_extra_dir()
{
	local d

	d=$(mktemp -d "$1/ringcp-test.XXXXXXXX") || return 1
	printf '%s\n' "$d" >>"$T_TMP/.dirs"
	printf '%s\n' "$d"
}

# t_scratch DIR SIZE : make DIR, a tmpfs of SIZE as root: a big or deep
# tree goes in no time by unmounting it, where unlinking it can take half a
# minute (24,000 files, or 10,000 nested dirs, on a disk mounted with
# discard); not root, DIR is a plain directory
t_scratch()
{
	mkdir "$1" || t_abort "mkdir $1"
	[ "$(id -u)" -eq 0 ] ||
		{ diag "not root: $1 on $(findmnt -n -o FSTYPE -T .)"; return 0; }
	t_mount -t tmpfs -o "size=$2" tmpfs "$1" || t_abort "cannot mount tmpfs"
}

need_root()
{
	[ "$(id -u)" -eq 0 ] || t_skip "needs root ($*)"
}

# ---- running the command under test -----------------------------------------

# rc_run_cmd CMD [ARGS...] : run, capture stdout/stderr, status in RC_STATUS
rc_run_cmd()
{
	timeout -k 5 "$T_RUN_TIMEOUT" "$@" >"$RC_OUT" 2>"$RC_ERR"
	RC_STATUS=$?
	if [ "$RC_STATUS" -eq 124 ] || [ "$RC_STATUS" -eq 137 ]; then
		diag "timed out after ${T_RUN_TIMEOUT}s: $*"
	fi
	return 0
}

# rc_run [ARGS...] : run $RINGCP
rc_run()
{
	rc_run_cmd "$RINGCP" "$@"
}

# show_run : the last run's status and output as diagnostics
show_run()
{
	diag "exit status: $RC_STATUS"
	show_file "stdout" "$RC_OUT"
	show_file "stderr" "$RC_ERR"
}

# ---- assertions (each one says what was expected and what was got) ----------

# assert_eq WHAT EXPECTED GOT
assert_eq()
{
	[ "$2" = "$3" ] && return 0
	fail "$1: expected '$2', got '$3'"
	return 1
}

# assert_status EXPECTED : the last run's exit status
assert_status()
{
	[ "$RC_STATUS" = "$1" ] && return 0
	fail "exit status: expected $1, got $RC_STATUS"
	show_file "stderr" "$RC_ERR"
	return 1
}

# assert_stderr_eq TEXT : the last run's stderr is exactly TEXT (+ newline)
assert_stderr_eq()
{
	local got

	got=$(cat "$RC_ERR")
	[ "$got" = "$1" ] && return 0
	fail "stderr: expected exactly:" "  $1"
	show_file "got" "$RC_ERR"
	return 1
}

# assert_contains WHAT FILE TEXT : FILE holds the fixed string TEXT
assert_contains()
{
	grep -qF -- "$3" "$2" && return 0
	fail "$1: expected to contain '$3'"
	show_file "got" "$2"
	return 1
}

# assert_empty WHAT FILE
assert_empty()
{
	[ -s "$2" ] || return 0
	fail "$1: expected nothing"
	show_file "got" "$2"
	return 1
}

# assert_same_file EXPECTED GOT : same bytes
assert_same_file()
{
	local out

	if [ ! -f "$2" ]; then
		fail "expected '$2' to be a copy of '$1', but it does not exist"
		return 1
	fi
	out=$(cmp -- "$1" "$2" 2>&1) && return 0
	fail "'$2' differs from '$1': $out" \
		"sizes: expected $(stat -c %s -- "$1"), got $(stat -c %s -- "$2")"
	return 1
}

# assert_absent PATH
assert_absent()
{
	[ -e "$1" ] || [ -L "$1" ] || return 0
	fail "expected '$1' not to exist, but it does: $(ls -ld -- "$1")"
	return 1
}

# assert_mode PATH OCTAL (4 digits, e.g. 0644)
assert_mode()
{
	local got

	got=$(stat -c %04a -- "$1") || { fail "cannot stat '$1'"; return 1; }
	assert_eq "mode of '$1'" "$2" "$got"
}

# temp_files DIR : ringcp temporary files (.NAME.ringcp-XXXXXXXX) in DIR
temp_files()
{
	find "$1" -maxdepth 1 -name '.*.ringcp-*' 2>/dev/null
}

# writing_temp PID DIR: true once PID has its temporary file in DIR open,
# named (.NAME.ringcp-*) or unnamed (O_TMPFILE: "DIR/#INODE (deleted)")
writing_temp()
{
	local pid=$1 dir fd
	dir=$(realpath "$2")
	[ -n "$(temp_files "$2")" ] && return 0
	for fd in /proc/"$pid"/fd/*; do
		case "$(readlink "$fd" 2>/dev/null)" in
		"$dir"/\#*) return 0 ;;
		esac
	done
	return 1
}

# assert_no_temp DIR
assert_no_temp()
{
	local left

	left=$(temp_files "$1")
	[ -z "$left" ] && return 0
	fail "temporary file(s) left in '$1':" "$left"
	return 1
}

# snapshot DIR : names, types, sizes and checksums of what DIR holds
snapshot()
{
	(cd "$1" && find . -mindepth 1 -printf '%p %y %s %m\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# assert_snapshot WHAT DIR EXPECTED-SNAPSHOT
assert_snapshot()
{
	local got

	got=$(snapshot "$2")
	[ "$got" = "$3" ] && return 0
	fail "$1: the contents of '$2' changed"
	diag "$(diff <(printf '%s\n' "$3") <(printf '%s\n' "$got"))"
	return 1
}

# ---- unprivileged runs -------------------------------------------------------

NOBODY=65534

# as_nobody ARGS... : run ringcp as uid/gid 65534 without groups
as_nobody()
{
	rc_run_cmd setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		"$NOBODY_RINGCP" "$@"
}

# need_nobody : skip unless root can run ringcp as nobody; sets NOBODY_RINGCP
need_nobody()
{
	need_root "to run ringcp as an unprivileged user"
	command -v setpriv >/dev/null || t_skip "no setpriv"
	NOBODY_RINGCP=$RINGCP
	if ! setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		test -x "$RINGCP"; then
		# e.g. under a dir nobody cannot search: use a copy
		NOBODY_RINGCP=$T_TMP/.io/ringcp
		if ! cp "$RINGCP" "$NOBODY_RINGCP" ||
		   ! chmod 755 "$NOBODY_RINGCP"; then
			t_abort "cannot copy $RINGCP"
		fi
		diag "nobody cannot execute $RINGCP: using a copy"
	fi
	setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		test -x "$PWD" || t_abort "nobody cannot reach $PWD"
}

# ---- trees -------------------------------------------------------------------

T_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_PY=$(command -v /usr/bin/python3 python3 | head -n 1)

# need_python : skip unless python3 is there (tree listings need it)
need_python()
{
	[ -n "$T_PY" ] || t_skip "no python3"
}

# tree_list [treelist.py OPTIONS] DIR : one line of metadata per entry
# (path, type, mode, owner, size, mtime ns, symlink target, hard-link
# group, xattrs, ACLs, sha256), sorted; works below PATH_MAX too
tree_list()
{
	"$T_PY" "$T_LIBDIR/treelist.py" "$@"
}

# assert_same_tree WHAT EXPECTED-DIR GOT-DIR [treelist.py OPTIONS] : the two
# trees list the same; on failure, the differing lines
assert_same_tree()
{
	local what=$1 exp=$2 got=$3 out

	shift 3
	out=$(diff <(tree_list "$@" "$exp" 2>&1) <(tree_list "$@" "$got" 2>&1))
	[ -z "$out" ] && return 0
	fail "$what: '$got' differs from '$exp' (< expected, > got):"
	show_diff "$out"
	return 1
}

# show_diff TEXT : a diff as diagnostics, at most 40 lines
show_diff()
{
	printf '%s\n' "$1" | head -n 40 | sed 's/^/#   /'
	[ "$(printf '%s\n' "$1" | wc -l)" -le 40 ] || diag "  ... (more)"
}

# assert_listing WHAT DIR EXPECTED-LISTING [treelist.py OPTIONS] : DIR
# still lists as EXPECTED-LISTING (a tree_list output taken before)
assert_listing()
{
	local what=$1 dir=$2 exp=$3 out

	shift 3
	out=$(diff <(printf '%s\n' "$exp") <(tree_list "$@" "$dir" 2>&1))
	[ -z "$out" ] && return 0
	fail "$what: '$dir' changed (< before, > after):"
	show_diff "$out"
	return 1
}

# assert_final_complete SRC DST [OLD] : every regular file at a final
# path in DST (temporary names .NAME.ringcp-* aside, and all under a
# staging directory so named) holds exactly the bytes of the same path
# under SRC (or under OLD: what DST held before): no partial data under a
# final name, whatever else is missing; prints how many files it checked
# to fd 3 if open
assert_final_complete()
{
	local out

	out=$("$T_PY" -c '
import filecmp, os, re, sys
src, dst, old = (os.fsencode(a) for a in (sys.argv[1:] + [""])[:3])
temp = re.compile(rb"^\..*\.ringcp-.*$")
bad, n = [], 0
# a kill before DST was made leaves nothing under a final name (fwalk
# raises on a missing top, where walk yields nothing)
for dirpath, dirs, files, dfd in (os.fwalk(dst) if os.path.isdir(dst) else ()):
    dirs[:] = [d for d in dirs if not temp.match(d)]
    rel = os.path.relpath(dirpath, dst)
    for f in files:
        if temp.match(f):
            continue
        d = os.path.join(dirpath, f)
        if os.path.islink(d) or not os.path.isfile(d):
            continue
        n += 1
        s = os.path.normpath(os.path.join(src, rel, f))
        o = os.path.normpath(os.path.join(old, rel, f)) if old else None
        if o and os.path.isfile(o) and os.path.getsize(o) == \
                os.path.getsize(d) and filecmp.cmp(o, d, shallow=False):
            continue
        if not os.path.isfile(s):
            bad.append("%r: no such source file" % os.path.join(rel, f))
        elif os.path.getsize(s) != os.path.getsize(d):
            bad.append("%r: %d bytes, the source has %d" % (
                os.path.join(rel, f), os.path.getsize(d), os.path.getsize(s)))
        elif not filecmp.cmp(s, d, shallow=False):
            bad.append("%r: differs from the source" % os.path.join(rel, f))
print("checked %d" % n)
print("\n".join(bad))
' "$@" 2>&1)
	{ printf '%s\n' "$out" | head -n 1 >&3; } 2>/dev/null
	out=$(printf '%s\n' "$out" | tail -n +2)
	[ -z "$out" ] && return 0
	fail "files under their final name in '$2' not complete copies:" "$out"
	return 1
}

# assert_no_temp_tree DIR : no ringcp temporary file anywhere under DIR
assert_no_temp_tree()
{
	local left

	left=$(find "$1" -name '.*.ringcp-*' 2>/dev/null)
	[ -z "$left" ] && return 0
	fail "temporary file(s) left under '$1':" "$left"
	return 1
}

# assert_err_line ERE : some line of the last run's stderr matches ERE
assert_err_line()
{
	grep -qE -- "$1" "$RC_ERR" && return 0
	fail "stderr: expected a line matching: $1"
	show_file "got" "$RC_ERR"
	return 1
}

# assert_err_format : all of stderr is messages "ringcp: <what> 'PATH':
# <error>", one a line (a PATH may hold a newline of its own)
assert_err_format()
{
	local bad

	bad=$("$T_PY" -c '
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
msg = re.compile(r"ringcp: [^\x27\n]+ \x27.*?\x27: [A-Z][^\n]*\n", re.S)
pos, bad = 0, []
while pos < len(text):
    m = msg.match(text, pos)
    if m:
        pos = m.end()
        continue
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end + 1
    bad.append(text[pos:end])
    pos = end
sys.stdout.write("".join(bad))
' "$RC_ERR")
	[ -z "$bad" ] && return 0
	fail "stderr: not in the form \"ringcp: <what> 'PATH': <error>\":" "$bad"
	return 1
}

# seeded_files SEED SIZE:PATH... : files of pseudo-random bytes, the same
# for the same SEED and PATH on every run
seeded_files()
{
	"$T_PY" -c '
import os, random, sys
seed = sys.argv[1]
for arg in sys.argv[2:]:
    size, path = arg.split(":", 1)
    r = random.Random(os.fsencode(seed + ":" + path))
    n = int(size)
    with open(path, "wb") as f:
        while n > 0:
            k = min(n, 1 << 20)
            f.write(r.randbytes(k))
            n -= k
' "$@" || t_abort "seeded_files $1 failed"
}

# ---- data ------------------------------------------------------------------

# random_file PATH SIZE : SIZE bytes of random data
random_file()
{
	head -c "$2" /dev/urandom >"$1"
	[ "$(stat -c %s -- "$1")" -eq "$2" ] || t_abort "could not make $1"
}

# t_copy_random_file SIZE ARGS... : a random file of SIZE bytes copied by
# `ringcp ARGS src dst` exits 0, says nothing and is identical, with no
# temporary file left
t_copy_random_file()
{
	local size=$1

	shift
	random_file src "$size"
	rc_run "$@" src dst
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_same_file src dst
	assert_no_temp .
}

# ---- the runner --------------------------------------------------------------

t_run_all()
{
	local i k n=${#T_DESC[@]} rc t0 t1 t_t0 reason

	echo "1..$n"
	t0=${EPOCHREALTIME/[.,]/}
	for ((i = 0; i < n; i++)); do
		k=$((i + 1))
		# T_ONLY="3 5": run only those tests (while developing)
		if [ -n "${T_ONLY:-}" ] && [[ " $T_ONLY " != *" $k "* ]]; then
			echo "ok $k - ${T_DESC[i]} # SKIP not in T_ONLY"
			continue
		fi
		rm -f "$T_TMP/.skip"
		t_t0=${EPOCHREALTIME/[.,]/}
		(
			T_FAIL=0
			mkdir "$T_TMP/t$k" && cd "$T_TMP/t$k" || exit 1
			eval "${T_CMD[i]}"
			exit "$T_FAIL"
		)
		rc=$?
		if [ "$rc" -eq 0 ]; then
			echo "ok $k - ${T_DESC[i]}"
		elif [ "$rc" -eq 77 ] && [ -f "$T_TMP/.skip" ]; then
			reason=$(head -n 1 "$T_TMP/.skip")
			echo "ok $k - ${T_DESC[i]} # SKIP $reason"
			T_NSKIP=$((T_NSKIP + 1))
		else
			[ "$rc" -eq 1 ] || diag "the test ended with status $rc"
			echo "not ok $k - ${T_DESC[i]}"
			T_NFAIL=$((T_NFAIL + 1))
		fi
		[ -n "${T_TIMES:-}" ] &&
			diag "test $k took $(( (${EPOCHREALTIME/[.,]/} - t_t0) / 1000 )) ms"
		# a test's mounts and files go as soon as it is done (a user
		# cannot remove what is in a read-only dir of its own)
		t_unmount_all
		[ "$(id -u)" -eq 0 ] || chmod -R u+w "$T_TMP/t$k" 2>/dev/null
		rm -rf --one-file-system "$T_TMP/t$k" 2>/dev/null
	done
	t1=${EPOCHREALTIME/[.,]/}
	t1=$(( (t1 - t0) / 100000 ))	# tenths of a second
	diag "$n tests, $T_NFAIL failed, $T_NSKIP skipped, $((t1 / 10)).$((t1 % 10))s"
	[ "$T_NFAIL" -eq 0 ] && exit 0
	exit 1
}

# await_exit PID SIG : wait for the ringcp PID to exit after SIG, at most
# STOP_LIMIT_S seconds (default 30); past that the test fails and PID is
# killed.  RC_STATUS gets its exit status.
await_exit()
{
	local pid=$1 sig=$2 i

	for ((i = 0; i < ${STOP_LIMIT_S:-30} * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "ringcp did not exit within ${STOP_LIMIT_S:-30}s of SIG$sig"
		kill -s KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	RC_STATUS=$?
}

# interrupt_when_made PID [DIR] : SIGINT PID half a second after DIR (dst)
# appears (waiting at most 2 s for it), then wait for PID's exit
# (await_exit, within 20 s)
interrupt_when_made()
{
	local i

	for ((i = 0; i < 200; i++)); do
		[ -d "${2:-dst}" ] && break
		sleep 0.01
	done
	sleep 0.5
	kill -s INT "$1"
	STOP_LIMIT_S=20 await_exit "$1" INT
}
