#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ringcp copies files byte for byte: sizes around the block
# size (default and 4K), 64 MiB with several queue depths and block sizes,
# a sparse file larger than 4 GiB, a file whose st_size is 0 but has data;
# DST as a directory (with and without '/'), the new file's mode (source
# mode less the umask, no set-id or sticky bits, like cp without -p),
# --fsync, --no-fallocate, overwriting (a hard-linked DST written in
# place), and no temporary file left behind.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_copy_sizes.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))
GiB=$((1024 * MiB))
DEF_BS=$((256 * KiB))	# RC_COPY_DEFAULT_BS

# copy_check SRC DST-ARG EXPECTED-FINAL [RINGCP-OPTIONS...] : copy, then
# check exit 0, quiet, identical data, no temporary file left
copy_check()
{
	local src=$1 dst=$2 final=$3

	shift 3
	rc_run "$@" "$src" "$dst"
	assert_status 0 || return 1
	assert_empty "stderr" "$RC_ERR"
	assert_empty "stdout" "$RC_OUT"
	assert_same_file "$src" "$final"
	assert_no_temp "$(dirname -- "$final")"
}

test_size()
{
	local size=$1

	shift
	random_file src "$size"
	copy_check src dst dst "$@"
}

test_64m()
{
	random_file src $((64 * MiB))
	copy_check src dst dst "$@"
}

# A file larger than 4 GiB: sparse, with random markers at 0, below 4 GiB,
# across 4 GiB and at the very end; on ext4 (never tmpfs).
test_over_4g()
{
	local d base found='' size=$((4 * GiB + MiB)) m off i=0 avail

	for base in /var/tmp /tmp; do
		[ "$(findmnt -n -o FSTYPE -T "$base" 2>/dev/null)" = ext4 ] ||
			continue
		avail=$(df --output=avail -B1 "$base" | tail -n 1)
		if [ "$avail" -gt $((size + 2 * GiB)) ]; then
			found=$base
			break
		fi
		diag "$base: ext4 but only $avail bytes free"
	done
	[ -n "$found" ] ||
		t_skip "no ext4 /var/tmp or /tmp with $((size / GiB + 2)) GiB free"
	if [ "$(findmnt -n -o TARGET -T "$found")" = \
	     "$(findmnt -n -o TARGET -T "$PWD")" ]; then
		d=$PWD		# the test dir is on that filesystem
	else
		d=$(t_extra_dir "$found") || t_abort "cannot make a dir in $found"
	fi
	diag "on $(findmnt -n -o FSTYPE -T "$d") ($d)"
	truncate -s "$size" "$d/big" || t_abort "truncate failed"
	for off in 0 $((4 * GiB - 3 * 64 * KiB - 1)) $((4 * GiB - 32 * KiB + 3)) \
		   $((size - MiB / 2 + 12345)) $((size - 64 * KiB)); do
		m=$d/marker$i
		random_file "$m" $((64 * KiB))
		dd if="$m" of="$d/big" bs=64K count=1 seek="$off" \
		   oflag=seek_bytes conv=notrunc status=none ||
			t_abort "dd at $off failed"
		i=$((i + 1))
	done
	assert_eq "source size" "$size" "$(stat -c %s "$d/big")"
	copy_check "$d/big" "$d/big.copy" "$d/big.copy"
	assert_eq "destination size" "$size" "$(stat -c %s "$d/big.copy" \
		2>/dev/null)"
	# check a marker directly too: the one across the 4 GiB boundary
	cmp -s <(dd if="$d/big.copy" bs=64K count=1 iflag=skip_bytes \
		 skip=$((4 * GiB - 32 * KiB + 3)) status=none) "$d/marker2" ||
		fail "the marker across 4 GiB is not in the copy"
	rm -f "$d/big" "$d/big.copy"
}

# st_size 0, content there (procfs): ringcp reads on to the real EOF
test_proc_file()
{
	[ -r /proc/version ] || t_skip "no /proc/version"
	cat /proc/version >expected
	rc_run /proc/version dst
	assert_status 0 || return
	assert_same_file expected dst
	assert_no_temp .
}

test_into_dir()
{
	local dstarg=$1

	mkdir -p in out
	random_file in/file.bin $((DEF_BS + 1))
	copy_check in/file.bin "$dstarg" out/file.bin
	assert_absent out/out
	assert_eq "out/ holds" "file.bin" "$(ls -A out)"
}

# test_mode UMASK SRC-MODE EXPECTED-MODE
test_mode()
{
	random_file src 1000
	chmod "$2" src
	umask "$1"
	rc_run src dst
	assert_status 0 || return
	assert_same_file src dst
	assert_mode dst "$3"
}

# the longest name: the temporary name (".NAME.ringcp-XXXXXXXX") must fit
test_long_name()
{
	local name

	name=$(printf 'n%.0s' {1..255})
	random_file "$name" 70000
	mkdir out
	copy_check "$name" out "out/$name"
	assert_eq "out/ holds" "$name" "$(ls -A out)"
}

test_fsync()
{
	random_file src $((3 * MiB + 5))
	copy_check src dst dst --fsync
}

test_no_fallocate()
{
	random_file src $((3 * MiB + 5))
	copy_check src dst dst --no-fallocate
}

# test_overwrite OLD-SIZE NEW-SIZE : DST exists and is replaced completely;
# a hard link to it sees the new data (written in place, as cp does: the
# link is kept)
test_overwrite()
{
	local ino

	random_file src "$2"
	random_file dst "$1"
	ln dst old.link
	ino=$(stat -c %i dst)
	copy_check src dst dst
	assert_eq "size of dst" "$2" "$(stat -c %s dst)"
	assert_same_file src old.link
	assert_eq "inode of dst" "$ino" "$(stat -c %i dst)"
}

test_verbose()
{
	random_file src 5000
	rc_run -v src dst
	assert_status 0 || return
	assert_same_file src dst
	assert_contains "stderr" "$RC_ERR" "ringcp: 'src' -> 'dst'"
	assert_contains "stderr" "$RC_ERR" "ringcp: 5000 bytes;"
	assert_empty "stdout" "$RC_OUT"
}

main()
{
	local bs size

	t_init
	for bs in $DEF_BS 4096; do
		for size in 0 1 $((bs - 1)) $bs $((bs + 1)) $((3 * bs + 7)); do
			if [ "$bs" -eq "$DEF_BS" ]; then
				t_add "$size bytes, default block size: identical" \
					test_size "$size"
			else
				t_add "$size bytes, --block-size=4K: identical" \
					test_size "$size" --block-size=4K
			fi
		done
	done
	t_add "1 MiB + 123 bytes, -Q 3 -B 12K: identical" \
		test_size $((MiB + 123)) -Q 3 -B 12K
	t_add "64 MiB, default options: identical" test_64m
	t_add "64 MiB, -Q 1 -B 4K: identical" test_64m -Q 1 -B 4K
	t_add "64 MiB, -Q 64 -B 64K: identical" test_64m -Q 64 -B 64K
	t_add "64 MiB, -Q 2 -B 64M (one block): identical" test_64m -Q 2 -B 64M
	t_add "sparse 4 GiB + 1 MiB with markers across 4 GiB: identical" \
		test_over_4g
	t_add "st_size 0 but has data (/proc/version): copied to real EOF" \
		test_proc_file
	t_add "DST an existing directory: copied to DST/basename" \
		test_into_dir out
	t_add "DST an existing directory with trailing '/': DST/basename" \
		test_into_dir out/
	t_add "mode: umask 022, source 0754 -> 0754" test_mode 022 0754 0754
	t_add "mode: umask 022, source 0666 -> 0644" test_mode 022 0666 0644
	t_add "mode: umask 077, source 0755 -> 0700" test_mode 077 0755 0700
	t_add "mode: umask 000, source 0600 -> 0600" test_mode 000 0600 0600
	t_add "mode: setuid dropped like cp without -p (4755 -> 0755)" \
		test_mode 022 4755 0755
	t_add "mode: setgid dropped like cp without -p (2755 -> 0755)" \
		test_mode 022 2755 0755
	t_add "mode: sticky dropped like cp without -p (1777 -> 0755)" \
		test_mode 022 1777 0755
	t_add "255-byte file name: copied, no temporary file left" \
		test_long_name
	t_add "--fsync: identical" test_fsync
	t_add "--no-fallocate: identical" test_no_fallocate
	t_add "overwrite a larger DST: replaced completely" \
		test_overwrite $((2 * MiB + 3)) $((MiB / 2))
	t_add "overwrite a smaller DST: replaced completely" \
		test_overwrite 100 $((MiB + 1))
	t_add "-v: names the copy and prints the counters on stderr" \
		test_verbose
	t_run_all
}

main "$@"
