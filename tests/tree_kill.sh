#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a tree copy (ringcp -a) killed with SIGKILL at random points
# (delays from a seeded RNG; T_SEED=N replays a run) never leaves partial
# data under a final name: each file there is byte for byte its source
# (or, when overwriting, what DST held before); a rerun without the kill
# completes the job, leaving the trees equal and no temporary file (also
# after kills among 1,000 small files replacing older ones).
# A directory new to DST is copied under a temporary name and renamed into
# place when done; a rerun takes up what a kill left so.
# SIGINT and SIGTERM during a tree copy: exit 20, every in-flight file
# cancelled and its temporary file removed, what is there complete, and a
# rerun completes the job.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/tree_kill.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))
# slow enough that a kill lands mid-file: one 4K op in flight, fsync
# (read/write pinned: -B sizes its ops; a splice pair moves a pipe's chunk)
SLOW_OPTS=(-Q 1 -B 4K --fsync --data=readwrite)
STOP_LIMIT_S=30
T_SEED=${T_SEED:-$(( $(date +%s) % 100000 ))}

now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}

	echo $((t / 1000))
}

# kill_tree DIR [SEED] : 6 files of 1.5-6 MiB among 48 small ones in 4 dirs,
# with empty files, an empty dir, a symlink and a hard link
kill_tree()
{
	local d=$1 seed=${2:-kill} i j files=()

	mkdir -p "$d/empty" || return 1
	for i in 0 1 2 3; do
		mkdir -p "$d/d$i/sub"
		for j in 0 1 2 3 4 5 6 7 8 9 10 11; do
			files+=($(( (i * 12 + j) * 3000 )):"$d/d$i/f$j")
		done
		files+=($((MiB + i * 700 * KiB + 123)):"$d/d$i/sub/big$i")
	done
	files+=($((6 * MiB)):"$d/huge" $((3 * MiB + 1)):"$d/d0/big")
	seeded_files "$seed" "${files[@]}" || return 1
	ln -s d0/big "$d/lnk" && ln "$d/d1/sub/big1" "$d/d2/hard" || return 1
	touch -d '2001-02-03 04:05:06.123456789' "$d/d3/f5" "$d/empty"
}

# start ARGS... : ringcp in the background, output in RC_OUT/RC_ERR; PID set
start()
{
	"$RINGCP" "$@" >"$RC_OUT" 2>"$RC_ERR" &
	PID=$!
}

# stop SIG DELAY-MS : send SIG after DELAY-MS, wait for the end; RC_STATUS,
# LANDED=0 if ringcp had ended by itself before the signal
stop()
{
	local sig=$1

	sleep "$(printf '%d.%03d' $(($2 / 1000)) $(($2 % 1000)))"
	LANDED=1
	kill -s "$sig" "$PID" 2>/dev/null || LANDED=0
	await_exit "$PID" "$sig"
	[ "$RC_STATUS" -eq 0 ] && LANDED=0
	return 0
} 2>/dev/null	# no "Killed" job notice from bash in the TAP output

# temps_left DIR : how many temporary files are under DIR
temps_left()
{
	find "$1" -name '.*.ringcp-*' 2>/dev/null | wc -l
}

# rerun_completes SRC DST : a plain rerun ends the job
rerun_completes()
{
	rc_run -a -H "$1/" "$2"
	assert_status 0
	assert_empty "stderr of the rerun" "$RC_ERR"
	assert_same_tree "after the rerun" "$1" "$2"
	assert_no_temp_tree "$2"
}

# copy_ms SRC : how long a whole copy of SRC takes here (ms), so that the
# kills land inside it however fast the build (ASan or not) and machine
copy_ms()
{
	local ms

	rm -rf probe
	ms=$(now_ms)
	"$RINGCP" -aH "${SLOW_OPTS[@]}" "$1/" probe >/dev/null 2>&1
	echo $(( $(now_ms) - ms ))
	rm -rf probe
}

# test_sigkill [over] : kills at seeded random delays, each run resuming
# what the last one left (a fresh DST when a run finished before its kill);
# 'over': DST starts as an older version of the tree (other data, sizes)
test_sigkill()
{
	local over=${1:-} k delay landed=0 ms span

	need_python
	kill_tree src || t_abort "cannot make the tree"
	if [ -n "$over" ]; then
		kill_tree old older || t_abort "cannot make the old tree"
		# never the same size and mtime as the new (a quick-check skip)
		touch -d '2002-01-01' old/d3/f5
	fi
	RANDOM=$T_SEED
	diag "seed $T_SEED (replay: T_SEED=$T_SEED bash $0)"
	span=$(copy_ms src)
	span=$(( span * 8 / 10 > 20 ? span * 8 / 10 : 20 ))
	diag "a whole copy takes $(( span * 10 / 8 )) ms: kills within ${span} ms"
	for k in 1 2 3 4 5 6; do
		if [ ! -d dst ] || [ "$k" -eq 1 ]; then
			rm -rf dst
			[ -n "$over" ] && cp -a old dst
		fi
		delay=$((5 + RANDOM % span))
		ms=$(now_ms)
		start -aH "${SLOW_OPTS[@]}" src/ dst
		stop KILL "$delay"
		if [ "$LANDED" -eq 0 ]; then
			diag "kill $k at ${delay} ms: ringcp had ended (exit $(
				)$RC_STATUS after $(( $(now_ms) - ms )) ms)"
			assert_status 0
			assert_same_tree "a run that ended before its kill" src dst
			rm -rf dst
			continue
		fi
		landed=$((landed + 1))
		assert_eq "status of kill $k" 137 "$RC_STATUS"
		assert_final_complete src dst ${over:+old} 3>checked
		diag "kill $k at ${delay} ms: $(cat checked) final names, $(
			temps_left dst) temporary files"
	done
	[ "$landed" -gt 0 ] || t_skip "every copy ended before its kill"
	[ -d dst ] || [ -z "$over" ] || cp -a old dst
	rerun_completes src dst
}

# small_files DIR SEED : 1,000 files of 1 B to 4 KiB in 10 dirs
small_files()
{
	local i j files

	for i in 0 1 2 3 4 5 6 7 8 9; do
		mkdir -p "$1/d$i" || return 1
		files=()
		for j in $(seq 0 99); do
			files+=($(( (j * 41 + i * 7 + ${#2}) % 4096 + 1 )):"$1/d$i/f$j")
		done
		seeded_files "$2" "${files[@]}" || return 1
	done
}

# many small files replacing older ones: each is linked under a temporary
# name and renamed over the old one, so many kills land between the two;
# whatever is left, the rerun must leave the trees equal, no temp behind
test_sigkill_small()
{
	local k delay left=0

	need_python
	t_scratch m 256m	# ten rm -rf of 1,000 files: quick on a tmpfs
	cd m || t_abort "cd m"
	small_files src new && small_files old older ||
		t_abort "cannot make the trees"
	RANDOM=$T_SEED
	diag "seed $T_SEED (replay: T_SEED=$T_SEED bash $0)"
	for k in $(seq 1 10); do
		rm -rf dst && cp -a old dst || t_abort "cp -a"
		delay=$((5 + RANDOM % 150))
		start -a src/ dst
		stop KILL "$delay"
		[ "$LANDED" -eq 1 ] || continue
		assert_final_complete src dst old
		left=$((left + $(temps_left dst)))
		[ "$(temps_left dst)" -eq 0 ] || break
	done
	diag "temporary files left by the kills: $left"
	rerun_completes src dst
}

# test_signal SIG : exit 20, no temp, what is there complete, rerun
test_signal()
{
	local sig=$1 i attempt opts

	need_python
	kill_tree src || t_abort "cannot make the tree"
	for attempt in 1 2; do
		rm -rf dst
		opts=("${SLOW_OPTS[@]}")
		[ "$attempt" -eq 2 ] && opts+=(--files-in-flight=1)
		start -aH "${opts[@]}" src/ dst
		# until a first file is in place, then a little more
		for ((i = 0; i < 500; i++)); do
			[ -n "$(find dst -type f 2>/dev/null | head -n 1)" ] &&
				break
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.01
		done
		stop "$sig" 100
		[ "$LANDED" -eq 1 ] && break
		diag "attempt $attempt: the copy ended before SIG$sig"
		assert_status 0
	done
	[ "$LANDED" -eq 1 ] || t_skip "the copy always ended before SIG$sig"
	assert_status 20
	# what was left, and that a rerun completes it
	show_file "stderr after SIG$sig" "$RC_ERR"
	assert_err_line "^ringcp: interrupted: .*run the same command again"
	assert_no_temp_tree dst
	assert_final_complete src dst
	rerun_completes src dst
}

# the check sees partial data under a final name: a truncated file, a
# changed byte; a file as it was before (OLD) passes
test_check_can_fail()
{
	need_python
	kill_tree src || t_abort "cannot make the tree"
	cp -a src dst && cp -a src old || t_abort "cp -a"
	( T_FAIL=0; assert_final_complete src dst; exit "$T_FAIL" ) >out 2>&1 ||
		{ fail "a complete copy does not pass"; show_file out out; }
	truncate -s $((MiB)) dst/huge
	printf 'x' | dd of=dst/d1/f7 bs=1 seek=100 conv=notrunc status=none
	( T_FAIL=0; assert_final_complete src dst; exit "$T_FAIL" ) >out 2>&1 &&
		fail "partial files pass the check"
	grep -q "huge" out || fail "the truncated file is not named"
	grep -q "d1/f7" out || fail "the changed file is not named"
	# the old versions of both pass, given as OLD
	cp dst/huge old/huge && cp dst/d1/f7 old/d1/f7
	( T_FAIL=0; assert_final_complete src dst old; exit "$T_FAIL" ) \
		>out 2>&1 || { fail "files as they were do not pass"; show_file out out; }
}

# what a SIGKILL leaves, made by hand: the staging dirs of a copy that never
# finished.  The rerun takes up the one of an entry still to copy (keeping
# what is complete, replacing a file cut short, removing what the source
# no longer has) and renames it into place; it removes the others.
test_adopt_staging()
{
	local st=dst/.d1.ringcp-0badf00d ino

	need_python
	kill_tree src || t_abort "cannot make the tree"
	rc_run -aH src/ dst
	assert_status 0
	mv dst/d1 "$st" || t_abort "mv"
	ino=$(stat -c %i "$st/f5")
	truncate -s 100 "$st/f7" "$st/sub/big1"
	printf 'half a file' >"$st/gone"
	mkdir -p "$st/sub/olddir" && printf 'x' >"$st/sub/olddir/x"
	# a copy of a source entry since removed; one whose copy finished
	mkdir -p dst/.zz.ringcp-12345678/a && printf 'y' >dst/.zz.ringcp-12345678/a/y
	mkdir dst/.d2.ringcp-87654321 && printf 'z' >dst/.d2.ringcp-87654321/f0
	rc_run -aH -vv src/ dst
	assert_status 0
	show_file "stdout of the rerun" "$RC_OUT"
	assert_empty "stderr of the rerun" "$RC_ERR"
	assert_same_tree "after the rerun" src dst
	assert_no_temp_tree dst
	assert_eq "inode of a complete file it took up" "$ino" \
		"$(stat -c %i dst/d1/f5)"
	# cut files go when it is taken up, nested ones too: whatever the
	# rerun does next (fails, is stopped), none is renamed into view
	grep -q "removed leftover 'dst/d1/sub/big1'" "$RC_OUT" ||
		fail "the cut file in a subdirectory was not removed first"
}

# a cut file whose source is now something the rerun skips (a FIFO,
# without -D): no redo replaces it, so it must not be renamed into view
test_adopt_skipped()
{
	local st=dst/.d1.ringcp-0badf00d

	need_python
	kill_tree src || t_abort "cannot make the tree"
	rc_run -rlpt src/ dst
	assert_status 0
	mv dst/d1 "$st" && truncate -s 100 "$st/f7" || t_abort "mv"
	rm src/d1/f7 && mkfifo src/d1/f7 || t_abort "mkfifo"
	rc_run -rlpt src/ dst
	assert_status 0
	assert_absent dst/d1/f7
	assert_no_temp_tree dst
}

# another ringcp's staging dir (flock()ed while it fills it) is neither
# taken up nor removed; an interrupted run's beside an operand's new
# staging dir does not take that one down
test_stage_busy()
{
	local busy=dst/.d1.ringcp-0b0b0b0b holder

	need_python
	command -v flock >/dev/null || t_skip "no flock(1)"
	kill_tree src || t_abort "cannot make the tree"
	mkdir -p "$busy" && printf 'theirs' >"$busy/f0"
	flock -x "$busy" sleep 60 &
	holder=$!
	sleep 0.2
	rc_run -aH src/ dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	[ -f "$busy/f0" ] || fail "the busy staging dir was taken"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	rm -rf "$busy" && touch -m -r src dst	# (the rm changed its mtime)
	assert_same_tree "beside a busy staging dir" src dst
	# SRC/ and SRC2 into DST, a killed run's staging dir for SRC2 there:
	# SRC/'s listing of DST must not remove it once SRC2 took it up
	rm -rf dst two && mkdir -p dst/.two.ringcp-0a0a0a0a two &&
		cp -a src/d0 two/ && printf 'x' >dst/.two.ringcp-0a0a0a0a/cut ||
		t_abort "cannot make the trees"
	rc_run -aH src/ two dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "the second operand" two dst/two
	assert_no_temp_tree dst
}

main()
{
	t_init
	t_add "the check catches partial data under a final name" \
		test_check_can_fail
	t_add "SIGKILL x6 at random points: no partial file, rerun completes" \
		test_sigkill
	t_add "SIGKILL x6 over an older DST: old or new, never partial" \
		test_sigkill over
	t_add "SIGKILL x10 replacing 1,000 small files: rerun leaves no temp" \
		test_sigkill_small
	t_add "a rerun takes up what a kill left staged, removes the rest" \
		test_adopt_staging
	t_add "a cut file the rerun skips is not renamed into view" \
		test_adopt_skipped
	t_add "another run's staging dir, another operand's: left alone" \
		test_stage_busy
	t_add "SIGINT during a tree copy: exit 20, no temp, rerun completes" \
		test_signal INT
	t_add "SIGTERM during a tree copy: exit 20, no temp, rerun completes" \
		test_signal TERM
	t_run_all
}

main "$@"
