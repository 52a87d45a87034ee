#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: bad input to a tree copy (ringcp -a): each error is one line
# "ringcp: <what> 'PATH': <strerror>", the copy goes on with the rest, the
# exit code is rsync's (23 partial, 24 vanished, 1 usage) and nothing is
# lost: the other files are copied, no final name holds partial data, no
# temporary file is left.  Covers a missing source, an unreadable file and
# directory (as nobody), DST inside SRC and SRC equal to DST (also through
# a symlink), ENOSPC part-way (small tmpfs), a directory that cannot be
# created (read-only parent, read-only fs, a file in the way), files
# vanishing during the copy, symlink loops, names with newlines, spaces and
# non-UTF-8 bytes, a tree deeper than PATH_MAX, FIFOs and sockets with -a
# (recreated) and with -r (skipped), never blocking, and owners not kept
# when not root (silently).
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/tree_bad_input.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))
# no run of a small tree may take longer (a blocked FIFO open would)
T_RUN_TIMEOUT=30

# ere_path PATH : PATH with ERE metacharacters escaped
ere_path()
{
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# assert_error PATH-TAIL STRERROR : stderr has the line for PATH (the
# operand as given, or ending in /PATH-TAIL), and all of it is well formed
assert_error()
{
	assert_err_line "^ringcp: [^']+ '([^']*/)?$(ere_path "$1")/?': $2\$"
	assert_err_format
}

# good_tree DIR : a few files, two levels, to be copied whatever else fails
good_tree()
{
	mkdir -p "$1/sub/deeper" &&
		seeded_files good 0:"$1/empty" 1000:"$1/f1" 70000:"$1/sub/f2" \
			300000:"$1/sub/deeper/f3" ||
		t_abort "cannot make $1"
}

# nothing_lost SRC DST : what is under a final name is complete, no temp
nothing_lost()
{
	assert_final_complete "$1" "$2"
	assert_no_temp_tree "$2"
}

# give DIR... : to nobody, so that nobody can copy it
give()
{
	chown -R "$NOBODY:$NOBODY" "$@" || t_abort "chown $*"
}

# ---- sources -----------------------------------------------------------------

test_missing_source()
{
	need_python
	good_tree good
	rc_run -a nosuch good/ dst
	assert_status 23
	assert_error nosuch "No such file or directory"
	assert_same_tree "the other SRC" good dst --no-root
	nothing_lost good dst
	# a missing file inside a list of files, without -a: the same, but
	# with cp's exit code (no tree option: single-file mode, cp's rules)
	mkdir dst2	# several SRCs without -a: DST must be a dir
	rc_run good/f1 nosuch good/sub/f2 dst2
	assert_status 1
	assert_error nosuch "No such file or directory"
	assert_same_file good/f1 dst2/f1
	assert_same_file good/sub/f2 dst2/f2
}

test_unreadable_file()
{
	need_nobody
	need_python
	good_tree src
	seeded_files secret 5000:src/secret 6000:src/sub/secret2
	give src
	chown root:root src/secret src/sub/secret2
	chmod 600 src/secret src/sub/secret2
	mkdir out && give out
	as_nobody -a src/ out/dst
	assert_status 23
	assert_error secret "Permission denied"
	assert_error sub/secret2 "Permission denied"
	assert_absent out/dst/secret
	assert_absent out/dst/sub/secret2
	nothing_lost src out/dst
	# (removing them changes their dirs' mtimes: those are checked first)
	assert_eq "mtime of dst/sub" "$(stat -c %y src/sub)" \
		"$(stat -c %y out/dst/sub)"
	rm src/secret src/sub/secret2
	assert_same_tree "the readable files" src out/dst --no-dir-mtime
}

test_unreadable_dir()
{
	need_nobody
	need_python
	good_tree src
	mkdir -p src/locked/inner src/noexec
	seeded_files locked 100:src/locked/a 200:src/locked/inner/b 300:src/noexec/c
	give src
	chown -R root:root src/locked src/noexec
	chmod 700 src/locked	# nobody can neither list nor enter it
	chmod 744 src/noexec	# nobody can list it, not open what it holds
	mkdir out && give out
	as_nobody -a src/ out/dst
	assert_status 23
	assert_error locked "Permission denied"
	assert_error noexec/c "Permission denied"
	# the unreadable dir may be created (as rsync does), but empty
	[ -d out/dst/locked ] && [ -n "$(ls -A out/dst/locked)" ] &&
		fail "out/dst/locked holds: $(ls -A out/dst/locked)"
	assert_absent out/dst/noexec/c
	assert_same_file src/f1 out/dst/f1
	assert_same_file src/sub/deeper/f3 out/dst/sub/deeper/f3
	nothing_lost src out/dst
}

# ---- SRC and DST overlapping -------------------------------------------------

# usage_refused ARGS... : on a fresh src/ (and alias -> src), ringcp ARGS
# exits 1 with a "ringcp: " message and src is unchanged; a copy of src into
# itself is reported by its depth rather than listed
usage_refused()
{
	local before

	rm -rf src alias
	good_tree src
	ln -s src alias
	before=$(tree_list src)
	rc_run "$@"
	assert_status 1 || diag "ringcp $*"
	assert_contains "stderr of ringcp $*" "$RC_ERR" "ringcp: "
	if [ -n "$(find src -mindepth 6 -print -quit)" ]; then
		fail "ringcp $*: copied SRC into itself, $(find src -type d |
			wc -l) dirs deep"
	else
		assert_listing "the source after ringcp $*" src "$before"
	fi
	assert_no_temp_tree src
}

# in a tmpfs: a runaway copy into itself is gone by an unmount
test_dst_inside_src()
{
	need_python
	t_scratch m 256m
	cd m || t_abort "cd m"
	usage_refused -a src src/sub/dst
	assert_absent src/sub/dst
	usage_refused -a src/ src/newdir
	assert_absent src/newdir
	usage_refused -a src/ src/sub
	usage_refused -a src src/sub/deeper/
	# through a symlink to the source
	usage_refused -a alias/ src/x
	assert_absent src/x
	usage_refused -a src/ alias/sub/y
	assert_absent src/sub/y
}

test_src_is_dst()
{
	need_python
	t_scratch m 256m
	cd m || t_abort "cd m"
	usage_refused -a src/ src/
	usage_refused -a src/ src
	usage_refused -a src/ alias/
	usage_refused -a alias/ src
	# 'src' into '.': it would be copied onto itself
	usage_refused -a src .
	usage_refused -a src ./
}

# ---- the destination ---------------------------------------------------------

# test_enospc [RINGCP-OPTIONS...] : a 4 MiB file among small ones into a
# 2 MiB tmpfs
test_enospc()
{
	local f

	need_root "to mount a tmpfs"
	need_python
	good_tree src
	seeded_files nospace $((4 * MiB)):src/sub/big
	for f in 1 2 3 4 5 6 7 8; do
		seeded_files nospace $((10 * KiB)):"src/small$f"
	done
	mkdir small
	t_mount -t tmpfs -o size=2m tmpfs small || t_skip "cannot mount tmpfs"
	rc_run -a "$@" src/ small/dst
	assert_status 23
	assert_error sub/big "No space left on device"
	assert_absent small/dst/sub/big
	nothing_lost src small/dst
	# the rest was copied, or is named in an error (while the big one
	# held the space)
	for f in f1 sub/f2 small1 small2 small3 small4 small5 small6 small7 \
		small8; do
		[ -f "small/dst/$f" ] && continue
		grep -qE "'([^']*/)?$f': No space left on device\$" "$RC_ERR" ||
			fail "small/dst/$f: neither copied nor named in an error"
	done
	t_umount small
}

# as nobody: a root-owned dir in DST cannot hold the new subdir
test_mkdir_denied()
{
	need_nobody
	need_python
	good_tree src
	mkdir -p src/locked/sub && seeded_files lk 100:src/locked/sub/f
	give src
	mkdir -p out/dst/locked && give out && chown root:root out/dst/locked
	as_nobody -a src/ out/dst
	assert_status 23
	assert_error locked/sub "Permission denied"
	assert_absent out/dst/locked/sub
	assert_same_file src/sub/deeper/f3 out/dst/sub/deeper/f3
	assert_same_file src/f1 out/dst/f1
	nothing_lost src out/dst
}

test_mkdir_rofs()
{
	need_root "to mount a tmpfs"
	good_tree src
	mkdir ro
	t_mount -t tmpfs -o size=1m tmpfs ro || t_skip "cannot mount tmpfs"
	mount -o remount,ro ro || t_abort "cannot remount read-only"
	rc_run -a src ro/
	assert_status 23
	assert_error src "Read-only file system"
	assert_eq "the read-only fs holds" "" "$(ls -A ro)"
	t_umount ro
}

# DST has a regular file where SRC has a directory: replaced (as rsync
# does) or refused with a message (as cp -a does); either way nothing else
# is lost and the file is not half-replaced
test_file_in_the_way()
{
	need_python
	good_tree src
	mkdir -p dst old && seeded_files inway 1234:dst/sub
	cp dst/sub sub.orig && cp dst/sub old/sub
	rc_run -a src/ dst
	case $RC_STATUS in
	0)	assert_empty "stderr" "$RC_ERR"
		assert_same_tree "with the file replaced by the dir" src dst ;;
	23)	assert_error sub "[A-Z].*"
		assert_same_file sub.orig dst/sub
		assert_same_file src/f1 dst/f1 ;;
	*)	fail "exit status: expected 0 (replaced) or 23 (refused)," \
			"got $RC_STATUS"
		show_run ;;
	esac
	diag "a file in the way of a dir: exit $RC_STATUS"
	assert_final_complete src dst old
	assert_no_temp_tree dst
}

# ---- files vanishing during the copy -----------------------------------------

# Files (and whole dirs) removed while the copy runs.  Which are gone when
# is up to the scheduler, so either outcome will do, but only rsync's exit
# codes: 0 with nothing said, or 24 with each vanished file named; never 23
# (nothing else failed); and every final name is a complete copy.
test_vanishing()
{
	local i j pid attempt files

	need_python
	for attempt in 1 2 3; do
		rm -rf src orig dst
		for i in 0 1 2 3 4 5 6 7 8 9; do
			mkdir -p "src/d$i"
			files=()
			for j in $(seq 0 29); do
				files+=($((16 * KiB + i * 100 + j)):"src/d$i/f$j")
			done
			seeded_files vanish "${files[@]}"
		done
		cp -a src orig
		timeout -k 5 "$T_RUN_TIMEOUT" "$RINGCP" -a -Q 1 -B 4K \
			--files-in-flight=1 src/ dst >"$RC_OUT" 2>"$RC_ERR" &
		pid=$!
		# remove a file of each dir, then whole dirs, as the copy runs
		for i in 9 8 7 6 5 4 3 2 1 0; do
			rm -f "src/d$i/f$((i * 3))"
			[ $((i % 3)) -eq 0 ] && rm -rf "src/d$i"
			sleep 0.01
		done
		wait "$pid"
		RC_STATUS=$?
		[ "$RC_STATUS" = 24 ] && break
		diag "attempt $attempt: exit $RC_STATUS (no file vanished mid-copy)"
	done
	case $RC_STATUS in
	0)	assert_empty "stderr" "$RC_ERR" ;;
	24)	assert_err_format
		assert_err_line "': No such file or directory\$" ;;
	*)	fail "exit status: expected 0 or 24, got $RC_STATUS"
		show_run ;;
	esac
	nothing_lost orig dst
}

# ---- two runs at once ----------------------------------------------------------

# two ringcp runs copy the same tree into the same new DST at once: each
# stages the new directories under its own temporary names, and the one
# that comes second to a name merges into the first's (as rsync merges);
# both exit 0, the tree is complete, no staging name is left
test_concurrent()
{
	local i j a b files=() attempt

	need_python
	for i in 0 1 2 3 4 5; do
		for j in 0 1 2 3 4 5 6 7; do
			files+=($((2000 + i * 100 + j)):"src/d$i/e$j/f")
		done
		files+=(3000:"src/d$i/g")
	done
	mkdir -p src && (cd src && mkdir -p d{0..5}/e{0..7}) &&
		seeded_files conc "${files[@]}" || t_abort "seed"
	for attempt in 1 2 3; do
		rm -rf dst
		"$RINGCP" -a --files-in-flight=2 src/ dst >"$RC_OUT" 2>"$RC_ERR" &
		a=$!
		"$RINGCP" -a --files-in-flight=2 src/ dst >b.out 2>b.err &
		b=$!
		wait "$a"
		RC_STATUS=$?
		assert_status 0 || diag "run A, attempt $attempt"
		wait "$b"
		RC_STATUS=$?
		cp b.err "$RC_ERR"
		assert_status 0 || diag "run B, attempt $attempt"
		assert_same_tree "two runs at once, attempt $attempt" src dst
		assert_no_temp_tree dst
	done
}

# ---- odd trees ---------------------------------------------------------------

test_symlink_loops()
{
	need_python
	good_tree src
	ln -s loop src/loop && ln -s b src/a && ln -s a src/b &&
		ln -s .. src/sub/up && ln -s ../.. src/sub/deeper/upup &&
		ln -s "$PWD/src" src/sub/abs || t_abort "ln -s"
	rc_run -a src/ dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "loops copied as symlinks" src dst
	# a looping symlink as SRC/: it must be followed, and cannot be
	rc_run -a src/loop/ dst2
	assert_status 23
	assert_error src/loop "Too many levels of symbolic links"
	assert_absent dst2/loop
	# -r (no -l): skipped, never followed
	rc_run -r src/ dst3
	assert_status 0
	assert_same_file src/sub/deeper/f3 dst3/sub/deeper/f3
	assert_absent dst3/sub/up
}

# names with newlines, spaces, non-UTF-8 bytes, dashes, as entries and as
# operands
test_odd_names()
{
	local n odd=$'new\nline' ff=$'\xff\xfe\x80' long

	need_python
	long=$(printf 'N%.0s' {1..255})
	mkdir -p "src/dir $odd $ff" || t_abort "mkdir"
	for n in "$odd" "$ff" " lead" "trail " "-dash" "--long-opt" \
		$'tab\there' 'back\slash' "quo'te" '"dq"' '*?[' "$long" \
		$'\x01ctl' "ä€😀"; do
		seeded_files odd ${#n}:"src/$n" 77:"src/dir $odd $ff/$n" ||
			t_abort "cannot make '$n'"
	done
	ln -s "$odd" "src/link $ff"
	rc_run -a src/ dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "odd names" src dst
	# as operands, after '--'
	mkdir out
	rc_run -a -- "src/$odd" "src/-dash" "src/dir $odd $ff" out
	assert_status 0
	assert_same_file "src/$odd" "out/$odd"
	assert_same_file "src/-dash" "out/-dash"
	assert_same_tree "'dir \\n \\xff' as SRC" "src/dir $odd $ff" \
		"out/dir $odd $ff"
}

# deeper than PATH_MAX: 24 levels of 200-byte names (4,800+ bytes)
test_deep_tree()
{
	local i name depth

	need_python
	name=$(printf 'd%.0s' {1..200})
	mkdir deep
	(
		cd deep || exit 1
		for i in $(seq 1 24); do
			mkdir "$name$i" && cd "$name$i" || exit 1
			head -c $((i * 1000)) /dev/urandom >"f$i" || exit 1
			[ $((i % 8)) -eq 0 ] && { ln -s "f$i" "l$i" || exit 1; }
		done
		mkdir empty && touch -d '2001-01-01 00:00:01.5' empty "f$i" ||
			exit 1
	) || t_abort "cannot build the deep tree"
	depth=$(tree_list --no-hash deep | wc -l)
	assert_eq "entries of the deep tree" 53 "$depth"
	rc_run -a deep/ out
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "deep tree, SRC/" deep out
	rc_run -a deep out2
	assert_status 0
	assert_same_tree "deep tree, SRC" deep out2/deep
	nothing_lost deep out
}

# ---- special files -----------------------------------------------------------

specials_tree()
{
	good_tree src
	mkfifo src/fifo src/sub/fifo2 || t_abort "mkfifo"
	"$T_PY" -c 'import socket,sys
for p in sys.argv[1:]:
    socket.socket(socket.AF_UNIX).bind(p)' src/sock src/sub/sock2 ||
		t_abort "cannot make a socket"
	if [ "$(id -u)" -eq 0 ]; then
		mknod src/null c 1 3 && mknod src/sub/loopdev b 7 200 ||
			t_abort "mknod"
	fi
	touch -h -d '2001-01-01 00:00:01.25' src/fifo src/sock src/sub/* src/*
}

# -a: FIFOs and sockets recreated, never opened (a FIFO with no writer would
# block an open for reading forever)
test_specials_a()
{
	need_python
	specials_tree
	rc_run -a src/ dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "FIFOs, sockets, devices with -a" src dst
	[ -p dst/fifo ] || fail "dst/fifo is not a FIFO"
	[ -S dst/sock ] || fail "dst/sock is not a socket"
}

# -r (no -D): skipped, never opened, exit 0
test_specials_r()
{
	need_python
	specials_tree
	rc_run -rlpt src/ dst
	assert_status 0
	assert_absent dst/fifo
	assert_absent dst/sub/fifo2
	assert_absent dst/sock
	assert_absent dst/null
	assert_same_file src/sub/deeper/f3 dst/sub/deeper/f3
	show_file "stderr of -rlpt with specials" "$RC_ERR"
}

# not root: owners cannot be kept; skipped silently, exit 0, all else kept
test_owner_not_root()
{
	need_nobody
	need_python
	good_tree src
	chown -R 0:0 src && chmod -R a+rX src
	chown 1234:4321 src/f1
	mkdir out && give out
	as_nobody -a src/ out/dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "as nobody, owners aside" src out/dst --no-owner
	assert_eq "owner of a copied file" "$NOBODY:$NOBODY" \
		"$(stat -c %u:%g out/dst/f1)"
}

main()
{
	t_init
	t_add "missing source: exit 23, named, the other SRC copied" \
		test_missing_source
	t_add "unreadable files (as nobody): exit 23, named, the rest copied" \
		test_unreadable_file
	t_add "unreadable dirs (as nobody): exit 23, named, the rest copied" \
		test_unreadable_dir
	t_add "DST inside SRC (also through a symlink): exit 1, SRC unchanged" \
		test_dst_inside_src
	t_add "SRC equal to DST (also through a symlink): exit 1, unchanged" \
		test_src_is_dst
	t_add "ENOSPC part-way (2 MiB tmpfs): exit 23, nothing partial" \
		test_enospc
	t_add "ENOSPC part-way, --no-fallocate: exit 23, nothing partial" \
		test_enospc --no-fallocate
	t_add "dir not creatable (as nobody): exit 23, named, the rest copied" \
		test_mkdir_denied
	t_add "dir not creatable (read-only fs): exit 23, named" test_mkdir_rofs
	t_add "a file where SRC has a dir: replaced or refused, nothing lost" \
		test_file_in_the_way
	t_add "files vanishing mid-copy: exit 0 or 24, finals complete" \
		test_vanishing
	t_add "two runs into one new DST at once: both exit 0, tree complete" \
		test_concurrent
	t_add "symlink loops: copied as symlinks, never followed" \
		test_symlink_loops
	t_add "names with newlines, spaces, non-UTF-8 bytes, dashes" \
		test_odd_names
	t_add "a tree deeper than PATH_MAX" test_deep_tree
	t_add "FIFOs, sockets, devices with -a: recreated, no block" \
		test_specials_a
	t_add "FIFOs, sockets, devices with -r (no -D): skipped, no block" \
		test_specials_r
	t_add "not root: owners silently not kept, exit 0" test_owner_not_root
	t_run_all
}

main "$@"
