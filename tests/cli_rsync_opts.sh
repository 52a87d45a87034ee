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

main()
{
	t_init
	t_add "-avh copies with human-readable numbers (-h alone: help)" \
		test_avh
	t_run_all
}

main "$@"
