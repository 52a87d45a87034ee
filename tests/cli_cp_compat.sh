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

# a hard link to DST sees the new data: written in place, inode kept
setup_hardlink()
{
	seeded_files hl 70000:src 300:dst && ln dst other
}

test_overwrite_hardlink()
{
	local ino

	need_python
	side_by_side setup_hardlink src dst
	same_as_cp "over a hard-linked DST"
	assert_eq "links of rc/dst" 2 "$(stat -c %h rc/dst)"
	assert_eq "inode kept (cp's, ringcp's)" "$(ino cp/other)" \
		"$(ino cp/dst)"
	assert_eq "ringcp: dst and other one inode" "$(ino rc/other)" \
		"$(ino rc/dst)"
}

# DST a symlink to a file: written through, the symlink stays
setup_symlink()
{
	mkdir real && seeded_files sl 5000:src 10:real/file &&
		chmod 0640 real/file && ln -s real/file dst
}

# DST a dangling symlink: cp refuses to write through it
setup_dangling()
{
	seeded_files dl 5000:src && ln -s nosuch dst
}

# another owner (root copies): kept whichever way the file is written
setup_owner()
{
	seeded_files ow 5000:src 10:dst && chown 1234:5678 dst && chmod 0604 dst
}

# xattrs and an ACL on DST: kept (written in place)
setup_xattr()
{
	seeded_files xa 5000:src 10:dst && setfattr -n user.keep -v 1 dst &&
		setfacl -m u:1234:r dst
}

# a sparse source: holes kept (cp --sparse=auto)
setup_sparse()
{
	mkdir into && truncate -s 32M src && printf 'data' | dd of=src bs=4K seek=100 \
		conv=notrunc status=none && truncate -s 8M hole
}

# test_case SETUP WHAT [TREELIST-OPTIONS...] -- ARGS... : side by side
test_case()
{
	local setup=$1 what=$2 opts=()

	shift 2
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	need_python
	side_by_side "$setup" "$@"
	assert_eq "$what: exit status (cp's, ringcp's)" "$CP_STATUS" \
		"$RC_STATUS" || { show_file "cp's stderr" "$CP_ERR"; show_run; }
	assert_same_tree "$what: ringcp's result against cp's" cp rc \
		--no-mtime --no-root "${opts[@]}"
	assert_no_temp_tree rc
	[ "$CP_STATUS" -eq 0 ] || assert_err_line "^ringcp: "
}

setup_exists()
{
	seeded_files ex 5000:src 10:dst 20:new.orig && mkdir -p dir/dst
}

setup_errors()
{
	seeded_files er 5000:src 10:dst && mkdir -p srcdir into && mkfifo fifo
}

test_sparse()
{
	test_case setup_sparse "a sparse file" --holes -- src dst
	[ "$(stat -c %b rc/dst)" -le 64 ] ||
		fail "rc/dst: $(stat -c %b rc/dst) blocks allocated, holes filled"
	test_case_again setup_sparse "into a dir" --holes -- hole src into
}

# test_case_again : another case in the same test (fresh cp/ and rc/)
test_case_again()
{
	rm -rf cp rc
	test_case "$@"
}

main()
{
	t_init
	t_add "overwrite: a 0600 DST stays 0600 (security), as cp" \
		test_overwrite_keeps_mode
	t_add "overwrite: DST's hard links kept (inode kept), as cp" \
		test_overwrite_hardlink
	t_add "overwrite: a DST symlink written through, as cp" \
		test_case setup_symlink "DST a symlink" -- src dst
	t_add "overwrite: a dangling DST symlink refused (exit 1), as cp" \
		test_case setup_dangling "DST dangling" -- src dst
	t_add "overwrite: DST's owner and group kept, as cp" \
		test_case setup_owner "DST another's" -- src dst
	t_add "overwrite: DST's xattrs and ACL kept, as cp" \
		test_case setup_xattr "DST with xattrs" -- src dst
	t_add "holes kept (a 32 MiB sparse file), as cp" test_sparse
	t_add "-n: an existing DST left alone, exit 0, as cp" \
		test_case setup_exists "-n" -- -n src dst
	t_add "-n: a new DST copied, as cp" \
		test_case setup_exists "-n new" -- -n src new
	t_add "-T: DST an existing dir refused (exit 1), as cp" \
		test_case setup_exists "-T dir" -- -T src dir
	t_add "-T: DST a file name, as cp" \
		test_case setup_exists "-T file" -- -T src dst
	t_add "--remove-destination: a hard link to DST keeps the old data" \
		test_case setup_hardlink "--remove-destination" -- \
		--remove-destination src dst
	t_add "a symlink SRC is followed, as cp" \
		test_case setup_symlink "SRC a symlink" -- dst copy
	t_add "missing SRC: exit 1, as cp" \
		test_case setup_errors "missing SRC" -- nosuch dst
	t_add "SRC a directory (no -r): exit 1, as cp" \
		test_case setup_errors "SRC a dir" -- srcdir dst
	t_add "DST 'nodir/': exit 1, nothing made, as cp" \
		test_case setup_errors "DST nodir/" -- src nodir/
	t_add "several SRCs, one missing: the rest copied, exit 1, as cp" \
		test_case setup_errors "several SRCs" -- src nosuch dst into
	t_run_all
}

main "$@"
