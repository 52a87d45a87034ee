#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: rsync's options in ringcp, each run side by side with rsync
# on the same small tree with the same arguments: the same exit status, the
# same resulting tree (tests/treelist.py listing), and a comparable message.
# Covers -h (human-readable; help only alone), --no-OPTION forms, -u,
# --ignore-existing, -c, -x, --delete (and its safety rule), the filter
# rules (--exclude, --include, --filter, --exclude-from), --link-dest,
# --files-from, --numeric-ids, --partial, -P, -i and --stats.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_rsync_opts.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# rsync setting and comparing times to the ns
RSYNC=(rsync --modify-window=-1)

need_rsync()
{
	need_python
	command -v rsync >/dev/null || t_skip "no rsync (scripts/deps.sh)"
}

# settime PATH NS-OFFSET : a fixed past mtime, never following a symlink
settime()
{
	local s=$((981173106 + $2 / 1000000000)) ns=$(($2 % 1000000000))

	touch -h -d "@$s.$(printf %09d "$ns")" -- "$1"
}

# small_src DIR : a few files and dirs, a symlink, past times
small_src()
{
	local i=0 p

	mkdir -p "$1/sub/deeper" "$1/empty" "$1/logs" &&
		seeded_files rsopts 1000:"$1/f1" 20000:"$1/sub/f2" \
			3000:"$1/sub/deeper/f3" 10:"$1/logs/a.log" \
			20:"$1/logs/b.tmp" 30:"$1/x.tmp" 0:"$1/zero" &&
		ln -s sub/f2 "$1/lnk" || return 1
	while IFS= read -r -d '' p; do
		i=$((i + 1))
		settime "$p" $((i * 1000000007)) || return 1
	done < <(find "$1" -depth -print0 | LC_ALL=C sort -z)
}

# both SETUP ARGS... : SETUP (a function, run in rs/ and in rc/) makes the
# trees; then "rsync ARGS" in rs/ and "ringcp ARGS" in rc/.  RS_STATUS,
# RS_OUT, RS_ERR and RC_STATUS, RC_OUT, RC_ERR are set.
both()
{
	local setup=$1

	shift
	mkdir rs rc || t_abort "mkdir"
	(cd rs && "$setup") || t_abort "setup $setup in rs/"
	(cd rc && "$setup") || t_abort "setup $setup in rc/"
	RS_OUT=$T_TMP/.io/rs.out
	RS_ERR=$T_TMP/.io/rs.err
	(cd rs && timeout -k 5 "$T_RUN_TIMEOUT" "${RSYNC[@]}" "$@" \
		>"$RS_OUT" 2>"$RS_ERR")
	RS_STATUS=$?
	cd rc || t_abort "cd rc"
	rc_run "$@"
	cd .. || t_abort "cd .."
}

# same_as_rsync WHAT [treelist OPTIONS] : same exit status, same trees
same_as_rsync()
{
	local what=$1

	shift
	assert_eq "$what: exit status (rsync's, ringcp's)" "$RS_STATUS" \
		"$RC_STATUS" || { show_file "rsync's stderr" "$RS_ERR"; show_run; }
	assert_same_tree "$what: ringcp's tree against rsync's" rs rc \
		--no-root "$@"
	assert_no_temp_tree rc
}

setup_src()
{
	small_src src
}

# ---- -h ------------------------------------------------------------------

# the most common rsync spelling copied nothing and printed the help
test_avh()
{
	need_rsync
	both setup_src -avh src/ dst/
	same_as_rsync "-avh src/ dst/"
	[ -f rc/dst/sub/deeper/f3 ] || fail "-avh copied nothing"
	grep -q '^Usage' "$RC_OUT" && fail "-avh printed the help"
	# alone, -h is the help (rsync's rule), and --help always
	rc_run -h
	assert_status 0
	assert_contains "ringcp -h" "$RC_OUT" "Usage: ringcp"
	rc_run --help
	assert_status 0
	assert_contains "ringcp --help" "$RC_OUT" "Usage: ringcp"
}

# case_ SETUP WHAT [TREELIST-OPTIONS... --] ARGS... : side by side
case_()
{
	local setup=$1 what=$2 opts=()

	shift 2
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do
			opts+=("$1")
			shift
		done
		shift
	fi
	need_rsync
	both "$setup" "$@"
	same_as_rsync "$what" "${opts[@]}"
	if [ "$RS_STATUS" -ne 0 ]; then
		assert_err_line "^ringcp: "
		show_file "rsync's stderr" "$RS_ERR"
	fi
}

# an older copy in dst/: f1 newer there and changed, sub/f2 older and
# changed, x.tmp the same size and mtime but other bytes, extra entries
setup_dst()
{
	small_src src || return 1
	cp -a src dst || return 1
	seeded_files dst-new 1000:dst/f1 500:dst/sub/f2 30:dst/x.tmp \
		5:dst/extra 6:dst/sub/deeper/extra2 && mkdir -p dst/olddir/in &&
		seeded_files dst-old 7:dst/olddir/in/x || return 1
	settime dst/extra 11 && settime dst/sub/deeper/extra2 12 &&
		settime dst/olddir/in/x 13 && settime dst/olddir/in 14 &&
		settime dst/olddir 15 || return 1
	settime dst/f1 $((2000 * 1000000000))
	settime dst/sub/f2 1
	touch -r src/x.tmp dst/x.tmp
	touch -r src/sub/deeper dst/sub/deeper
	touch -r src/sub dst/sub
	touch -r src dst
}

# a mount point in the source (root: a tmpfs)
setup_mount()
{
	small_src src || return 1
	mkdir -p src/mnt && t_mount -t tmpfs -o size=1m tmpfs src/mnt &&
		seeded_files mnt 100:src/mnt/inside && mkdir src/mnt/d &&
		settime src/mnt/inside 5 && settime src/mnt/d 6 &&
		settime src/mnt 7 && settime src 8
}

test_mount()
{
	need_root "to mount a tmpfs"
	case_ setup_mount "-ax" -ax src/ dst/
	[ -d rc/dst/mnt ] || fail "-x: the mount point is not in the copy"
	assert_absent rc/dst/mnt/inside
	t_unmount_all
}

# the source dir sub/ cannot be listed (as nobody): what is under dst/sub
# is not deleted, nor anything after the error (rsync's rule: deletions
# stop at the first I/O error), exit 23; rsync, as nobody too, gives the
# same tree
setup_unreadable()
{
	setup_dst || return 1
	chmod -R a+rwX . && chown -R "$NOBODY:$NOBODY" . && chmod 0 src/sub
}

test_delete_unreadable()
{
	need_nobody
	need_rsync
	mkdir rs rc
	(cd rs && setup_unreadable) && (cd rc && setup_unreadable) ||
		t_abort "setup"
	(cd rs && setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		rsync -a --delete src/ dst/ >/dev/null 2>"$T_TMP/.io/rs.err")
	RS_STATUS=$?
	RS_ERR=$T_TMP/.io/rs.err
	cd rc || t_abort "cd"
	as_nobody -a --delete src/ dst/
	cd .. || t_abort "cd"
	chmod 755 rs/src/sub rc/src/sub
	# (rsync gives dst/sub the unreadable dir's mode, 0; ringcp, which
	# could not open it, leaves it as it was: not this test's business)
	chmod 755 rs/dst/sub rc/dst/sub
	same_as_rsync "--delete, src/sub unreadable"
	assert_err_line "skipping file deletion"
	[ -f rc/dst/sub/deeper/extra2 ] ||
		fail "dst/sub/deeper/extra2 deleted though src/sub was unreadable"
}

# --delete with a SRC that does not exist: nothing deleted, exit 23
test_delete_vanished_src()
{
	case_ setup_dst "--delete of a missing SRC/" -a --delete nosuch/ dst/
	[ -f rc/dst/extra ] || fail "dst/extra deleted"
}

# listing FILE : the lines of a listing (rsync's own chatter aside: the
# file-list and created-directory notes, the closing totals); deletions
# apart and sorted (rsync names them when it reaches a directory's
# parent's list, ringcp when it reaches the directory: a known difference)
listing()
{
	grep -vE '^(sending incremental file list|created directory .*|sent .* bytes .*|total size is .*|)$' "$1" |
		grep -v 'deleting '
	grep 'deleting ' "$1" | LC_ALL=C sort
}

# same_listing WHAT : ringcp's stdout is rsync's, line for line
same_listing()
{
	local out

	out=$(diff <(listing "$RS_OUT") <(listing "$RC_OUT"))
	[ -z "$out" ] && return 0
	fail "$1: ringcp's listing differs from rsync's (< rsync, > ringcp):"
	show_diff "$out"
}

# test_listing ARGS... : on a fresh copy, then a rerun over an older DST
test_listing()
{
	need_rsync
	both setup_src "$@" src/ dst/
	same_as_rsync "$* (new DST)"
	same_listing "$* (new DST)"
	rm -rf rs rc
	both setup_dst "$@" --delete src/ dst/
	same_as_rsync "$* --delete (older DST)"
	same_listing "$* --delete (older DST)"
}

# a backup of an older src in prev/, then src changes
setup_prev()
{
	small_src src && cp -a src prev && seeded_files changed 1234:src/f1 &&
		settime src/f1 77
}

# --link-dest=../prev: unchanged files are prev's, linked (same inode)
test_link_dest()
{
	case_ setup_prev "--link-dest" -a --link-dest=../prev src/ new/
	assert_eq "new/sub/f2 is prev's" "$(stat -c %i rc/prev/sub/f2)" \
		"$(stat -c %i rc/new/sub/f2)"
	[ "$(stat -c %i rc/prev/f1)" != "$(stat -c %i rc/new/f1)" ] ||
		fail "new/f1 changed, but is linked to prev's"
}

# prev/ on another filesystem (a tmpfs): no link can be made; copied
setup_prev_xdev()
{
	small_src src && mkdir prev && t_mount -t tmpfs -o size=1m tmpfs prev &&
		cp -a src/. prev/
}

test_link_dest_xdev()
{
	need_root "to mount a tmpfs"
	case_ setup_prev_xdev "--link-dest on another fs" -a \
		--link-dest="$PWD/rc/prev" src/ new/
	assert_empty "stderr" "$RC_ERR"
	t_unmount_all
}

# a list of paths relative to src: files deep down, a directory (made, not
# filled without -r), absolute and ./ forms, a symlink
setup_list()
{
	setup_src && printf '%s\n' sub/deeper/f3 /logs/a.log ./f1 lnk empty \
		sub/deeper >list && settime list 3
}

setup_list_missing()
{
	setup_list && printf '%s\n' nosuch sub/nosuch/x >>list && settime list 3
}

# fpart's partitions of src, each copied by its own ringcp: the union is
# the tree (what the man page and docs/tree-copy.md show)
test_fpart()
{
	local p

	need_rsync
	command -v fpart >/dev/null || t_skip "no fpart (scripts/deps.sh)"
	small_src src
	(cd src && fpart -f 3 -o ../part . >/dev/null 2>&1) || t_abort "fpart"
	for p in part.*; do
		rc_run -a --files-from="$p" src/ dst/
		assert_status 0 || diag "$p"
	done
	"${RSYNC[@]}" -a src/ ref/ || t_abort "rsync"
	# (fpart lists files: empty dirs and DST's own times are not in it)
	rmdir ref/empty
	assert_same_tree "the parts of fpart, copied one by one" ref dst \
		--no-root
}

# test_stats [-h] : --stats' lines that rsync has too say the same
test_stats()
{
	local line

	need_rsync
	both setup_dst -a "$@" --delete --stats src/ dst/
	same_as_rsync "--stats $*"
	for line in "Number of deleted files: " \
		"Number of regular files transferred: " \
		"Total transferred file size: "; do
		assert_eq "$line(rsync's, ringcp's)" \
			"$(grep "^$line" "$RS_OUT")" "$(grep "^$line" "$RC_OUT")"
	done
}

filter_file()
{
	setup_src && printf '# comment\n\n*.tmp\n; other\n/zero\n' >rules &&
		settime rules 1
}

# invalid forms: exit 1, a message, nothing copied
test_bad_forms()
{
	local args

	need_rsync
	small_src src
	for args in "--filter=merge x" "--exclude=" "--exclude-from=nosuch" \
		"--filter=bogus x" "--files-from=nosuch" "--link-dest=" \
		"--info=bogus"; do
		rc_run -a "$args" src/ dst/
		assert_status 1 || diag "ringcp -a $args"
		assert_err_line "^ringcp: "
		assert_absent dst
	done
	rc_run -a --delete -T src/ dst/
	assert_status 1
	assert_absent dst
	echo f1 >list
	rc_run -a --files-from=list src/ src/ dst/
	assert_status 1
	assert_err_line "files-from takes one SRC"
	assert_absent dst
}

main()
{
	t_init
	t_add "-avh copies with human-readable numbers (-h alone: help)" \
		test_avh
	t_add "--no-perms --no-t --no-o --no-g after -a, as rsync" \
		case_ setup_src "--no-OPTION" --no-root -- \
		-a --no-perms --no-t --no-o --no-g src/ dst/
	t_add "--no-D --no-l -r, as rsync" \
		case_ setup_src "--no-D --no-l" -a --no-D --no-l src/ dst/
	t_add "-u: files newer in DST left alone, as rsync" \
		case_ setup_dst "-u" -au src/ dst/
	t_add "--ignore-existing: existing files left alone, as rsync" \
		case_ setup_dst "--ignore-existing" -a --ignore-existing src/ dst/
	t_add "-c: same size and mtime but other bytes recopied, as rsync" \
		case_ setup_dst "-c" -ac src/ dst/
	t_add "-a without -c: the quick check leaves x.tmp alone, as rsync" \
		case_ setup_dst "quick check" -a src/ dst/
	t_add "-x: a mount point copied empty, as rsync" test_mount
	t_add "--delete: what SRC lacks goes from DST, as rsync" \
		case_ setup_dst "--delete" -a --delete src/ dst/
	t_add "--delete with -v: 'deleting' lines, as rsync" \
		case_ setup_dst "--delete -v" -av --delete src/ dst/
	t_add "--delete-after --exclude: excluded entries protected, as rsync" \
		case_ setup_dst "--delete-after --exclude" -a --delete-after \
		--exclude=extra --exclude='olddir/' src/ dst/
	t_add "--delete-excluded: excluded entries deleted, as rsync" \
		case_ setup_dst "--delete-excluded" -a --delete-excluded \
		--exclude='*.tmp' --exclude=/sub/deeper/ src/ dst/
	t_add "--delete, an unreadable source dir (as nobody): deletes nothing" \
		test_delete_unreadable
	t_add "--delete of a missing SRC/: deletes nothing, exit 23" \
		test_delete_vanished_src
	t_add "--exclude='*.tmp' --exclude=logs/, as rsync" \
		case_ setup_src "--exclude" -a --exclude='*.tmp' \
		--exclude=logs/ src/ dst/
	t_add "--exclude=/f1 anchored, --exclude=sub/deeper, as rsync" \
		case_ setup_src "anchored" --no-dir-mtime -- -a --exclude=/f1 --exclude=zero \
		--exclude=sub/deeper src dst
	t_add "--include='*/' --include='*.log' --exclude='*', as rsync" \
		case_ setup_src "include" -a --include='*/' --include='*.log' \
		--exclude='*' src/ dst/
	t_add "--filter='+ sub/***' --filter='- *', as rsync" \
		case_ setup_src "--filter" -a --filter='+ sub/***' \
		--filter='- *' src/ dst/
	t_add "--exclude-from a file with comments, as rsync" \
		case_ filter_file "--exclude-from" -a --exclude-from=rules src/ dst/
	t_add "a filter that excludes everything: an empty DST, exit 0" \
		case_ setup_src "all excluded" -a --exclude='*' src/ dst/
	t_add "-P, --partial, --numeric-ids accepted, as rsync" \
		case_ setup_src "-P --numeric-ids" -a -P --partial --numeric-ids \
		src/ dst/
	t_add "-i: rsync's change codes, in rsync's order" test_listing -ai
	t_add "-v: rsync's listing, in rsync's order" test_listing -av
	t_add "-n -i: what would change, in rsync's order" test_listing -ani
	t_add "--link-dest: unchanged files linked from DIR, as rsync" \
		test_link_dest
	t_add "--link-dest on another filesystem: copied, exit 0, as rsync" \
		test_link_dest_xdev
	t_add "--files-from: implied dirs, / and ./ taken off, as rsync" \
		case_ setup_list "--files-from" -a --files-from=list src/ dst/
	t_add "--files-from with -r: a listed dir copied whole, as rsync" \
		case_ setup_list "--files-from -r" -ar --files-from=list src/ dst/
	t_add "--files-from with missing entries: the rest, exit 23, as rsync" \
		case_ setup_list_missing "--files-from missing" -a \
		--files-from=list src/ dst/
	t_add "fpart's partitions copied one by one give the whole tree" \
		test_fpart
	t_add "--stats: the lines rsync has say the same, as rsync" test_stats
	t_add "--stats -h: numbers in K, M, as rsync" test_stats -h
	t_add "--info=progress2 is --progress" \
		case_ setup_src "--info=progress2" -a --info=progress2 src/ dst/
	t_add "invalid forms of the new options: exit 1, nothing copied" \
		test_bad_forms
	t_run_all
}

main "$@"
