#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ringcp copies trees as the real tools do.  A generated tree
# with every file type (regular files of assorted sizes incl. empty, empty
# and nested and read-only dirs, relative/absolute/dangling/looping
# symlinks, hard-link groups, a FIFO, a socket, device nodes, xattrs, ACLs,
# sparse files, names with spaces, newlines and non-UTF-8 bytes, set-id and
# sticky modes, owners, nanosecond and pre-1970 mtimes) and real trees no
# one here wrote (/usr/include, part of /usr/share/doc) copied by
# `ringcp -a[HAX]` give the same tree as `rsync -a[HAX]` and `cp -a`:
# `rsync -ai --dry-run --checksum` lists no change, and a metadata listing
# (tests/treelist.py) of the copies is identical; the compare is shown to
# catch a one-byte, one-ns, one-xattr, one-link difference.  Then the
# command line: the trailing-slash rule, several SRCs, DST created when
# missing (its parent not), the meaning of each of -r -l -p -t -g -o -D
# against rsync's, -n, -v, --json, --progress, -r without -l skipping
# symlinks, holes kept, a read-only dir's contents copied as a non-root
# user, and a rerun that finds nothing to do (quick check: no file
# rewritten, a DST file of the same size and mtime left alone).
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/tree_compat.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

KiB=1024
MiB=$((1024 * KiB))
# rsync comparing and setting times to the ns (its default is the second)
RSYNC=(rsync --modify-window=-1)

is_root()
{
	[ "$(id -u)" -eq 0 ]
}

need_tools()
{
	local t

	need_python
	for t in rsync setfattr setfacl getfacl; do
		command -v "$t" >/dev/null ||
			t_skip "no $t (scripts/deps.sh installs it)"
	done
}

# settime PATH NS-OFFSET : mtime (and atime) 2001-02-03 04:05:06 + an
# offset in ns, never followed through a symlink
settime()
{
	local s=$((981173106 + $2 / 1000000000)) ns=$(($2 % 1000000000))

	touch -h -d "@$s.$(printf %09d "$ns")" -- "$1"
}

# past_times DIR : every entry its own mtime in 2001, with ns; dirs after
# their contents.  (rsync, with its default --modify-window=0, does not set
# a time that is in the same second as the copy's own: trees compared with
# rsync must not have current times.)
past_times()
{
	local i=0 p

	while IFS= read -r -d '' p; do
		i=$((i + 1))
		settime "$p" $((i * 1000000007 + i * i * 13)) || return 1
	done < <(find "$1" ! -type d -print0 | LC_ALL=C sort -z)
	i=0
	while IFS= read -r -d '' p; do
		i=$((i + 1))
		settime "$p" $((i * 999999937 + 500000000)) || return 1
	done < <(find "$1" -depth -type d -print0)
}

# make_tree DIR : the generated tree (the parts needing root only as root)
make_tree()
{
	local d=$1
	local odd=$'new\nline' ff=$'\xff\xfe-not-utf8' long

	long=$(printf 'L%.0s' {1..250})
	mkdir -p "$d"/{empty,a/b/c/d/e,ro/sub,odd,sticky,sgid,links} || return 1
	# regular files around the block sizes, set-id and odd modes
	seeded_files compat \
		0:"$d/zero" 1:"$d/one" $((4 * KiB - 1)):"$d/a/4k-1" \
		$((4 * KiB)):"$d/a/4k" $((4 * KiB + 1)):"$d/a/b/4k+1" \
		$((64 * KiB)):"$d/a/b/c/64k" $((256 * KiB + 1)):"$d/a/256k+1" \
		$((MiB + 3)):"$d/a/b/c/d/e/1m+3" 100:"$d/ro/f" 200:"$d/ro/sub/g" \
		10:"$d/suid" 11:"$d/sgid/f" 12:"$d/sticky/f" 13:"$d/m0" \
		14:"$d/m600" 15:"$d/m444" 16:"$d/links/h1" 0:"$d/links/e1" \
		17:"$d/links/x1" 18:"$d/odd/with space" 19:"$d/odd/$odd" \
		20:"$d/odd/$ff" 21:"$d/odd/-dash" 22:"$d/odd/tab	x" \
		23:"$d/odd/quo'te\"s" 24:"$d/odd/*star?" 25:"$d/odd/$long" \
		26:"$d/odd/ünï©ødé" 27:"$d/odd/.hidden"
	# hard-link groups: three names in three dirs, two empty, two in one dir
	ln "$d/links/h1" "$d/a/h1b" && ln "$d/links/h1" "$d/a/b/h1c" &&
		ln "$d/links/e1" "$d/links/e2" && ln "$d/links/x1" "$d/links/x2" ||
		return 1
	# symlinks
	ln -s b/c/64k "$d/a/rel" && ln -s /etc/hostname "$d/abs" &&
		ln -s nosuch "$d/dangling" && ln -s /nonexistent/x "$d/a/dangabs" &&
		ln -s loop "$d/loop" && ln -s l2 "$d/l1" && ln -s l1 "$d/l2" &&
		ln -s .. "$d/a/b/up" && ln -s "$odd" "$d/odd/lnk-$ff" &&
		ln -s "$d" "$d/a/abs-root" || return 1
	# FIFO and socket (never opened by a copier)
	mkfifo "$d/fifo" || return 1
	"$T_PY" -c 'import socket,sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock" || return 1
	# sparse: holes at the start, between data, at the end; one all hole
	truncate -s $((8 * MiB)) "$d/sparse" &&
		seeded_files compat $((4 * KiB)):"$T_TMP/.io/blk" &&
		dd if="$T_TMP/.io/blk" of="$d/sparse" bs=4K seek=256 conv=notrunc \
			status=none &&
		dd if="$T_TMP/.io/blk" of="$d/sparse" bs=4K seek=1500 conv=notrunc \
			status=none &&
		truncate -s $((5 * MiB)) "$d/allhole" || return 1
	# xattrs: text, binary, long, on files, dirs, a hard-linked file
	setfattr -n user.text -v hello "$d/one" &&
		setfattr -n user.bin -v 0x00ff10 "$d/a/4k" &&
		setfattr -n user.long -v "$(printf 'v%.0s' {1..1000})" "$d/a/4k" &&
		setfattr -n user.dir -v d "$d/a/b" &&
		setfattr -n user.empty "$d/zero" &&
		setfattr -n user.hl -v x "$d/links/h1" || return 1
	# ACLs: access ACLs on a file and a dir, a default ACL
	setfacl -m u:1234:rw,g:5678:r "$d/a/4k-1" &&
		setfacl -m u:4321:rx "$d/a/b/c" &&
		setfacl -d -m u:1234:rwx,g::r-x "$d/a/b/c/d" || return 1
	if is_root; then
		# (mode 0: unreadable to any but root)
		chmod 0 "$d/m0" && mknod "$d/cdev" c 1 3 && mknod "$d/bdev" b 7 250 &&
			setfattr -n trusted.t -v root-only "$d/one" || return 1
		chown 1234:5678 "$d/a/4k" "$d/suid" "$d/sgid/f" &&
			chown -h 4321:8765 "$d/a/rel" && chown 1000:1000 "$d/a/b" &&
			chown 2000:2001 "$d/fifo" "$d/sock" "$d/links/h1" || return 1
	fi
	# modes last (chown clears set-id bits)
	chmod 4755 "$d/suid" && chmod 2755 "$d/sgid/f" && chmod 2775 "$d/sgid" &&
		chmod 1777 "$d/sticky" && chmod 600 "$d/m600" &&
		chmod 444 "$d/m444" && chmod 4711 "$d/links/h1" ||
		return 1
	past_times "$d" || return 1
	touch -h -d '1965-06-07 08:09:10.987654321' "$d/one" &&
		touch -h -d '2100-01-01 00:00:00.000000001' "$d/a/4k" || return 1
	chmod 555 "$d/ro/sub" "$d/ro" && settime "$d/ro/sub" 12345 &&
		settime "$d/ro" 67890 && chmod 750 "$d" && settime "$d" 1 || return 1
}

# tree_ops DIR : which optional parts a tree has, for skips and messages
tree_note()
{
	is_root || diag "not root: no device nodes, trusted.* xattrs or owners"
}

# assert_rsync_agrees WHAT SRC/ DST/ [RSYNC-OPTIONS...] : rsync, checking
# every file's content, would change nothing in DST
assert_rsync_agrees()
{
	local what=$1 src=$2 dst=$3 out

	shift 3
	out=$("${RSYNC[@]}" -ai --dry-run --checksum "$@" "$src" "$dst" 2>&1)
	[ -z "$out" ] && return 0
	fail "$what: rsync -ai --dry-run --checksum $* lists changes:"
	printf '%s\n' "$out" | head -n 30 | sed 's/^/#   /'
	return 1
}

# copy_ok ARGS... : run ringcp, expect exit 0 and nothing on stderr
copy_ok()
{
	rc_run "$@"
	assert_status 0 || { show_run; return 1; }
	assert_empty "stderr" "$RC_ERR"
}

# ---- the generated tree ----------------------------------------------------

# wide_tree DIR : 3,000 files in one directory, 40 sibling directories of
# 25 files, and a 30-level chain with a file at each level (mtimes past)
wide_tree()
{
	"$T_PY" "$T_LIBDIR/wide_tree.py" "$1" && past_times "$1"
}

# many files queued on one directory's linkat chain (more than a chain
# holds), the walk's lanes across siblings and down a chain of dirs
test_wide_tree()
{
	local fif

	need_python
	wide_tree src || t_abort "cannot make the tree"
	"${RSYNC[@]}" -a src/ ref/ || t_abort "rsync failed"
	for fif in 1 7 256; do
		copy_ok -a --files-in-flight=$fif src/ "dst$fif/"
		assert_same_tree "--files-in-flight=$fif vs rsync -a" ref \
			"dst$fif"
		assert_no_temp_tree "dst$fif"
	done
}

test_generated()
{
	need_tools
	tree_note
	make_tree src || t_abort "cannot make the tree"
	copy_ok -aHAX src/ dst1/
	"${RSYNC[@]}" -aHAX src/ dst2/ || t_abort "rsync failed"
	assert_rsync_agrees "ringcp -aHAX" src/ dst1/ -aHAX
	assert_same_tree "ringcp -aHAX vs rsync -aHAX" dst2 dst1
	# holes are not rsync -a's business (no -S): against the source
	assert_same_tree "ringcp -aHAX vs the source, with holes" src dst1 \
		--holes
	assert_no_temp_tree dst1
}

# the compare catches one difference of each kind (rsync as the copier)
test_compare_can_fail()
{
	local m ref

	need_tools
	make_tree src || t_abort "cannot make the tree"
	"${RSYNC[@]}" -aHAX src/ cp/ || t_abort "rsync failed"
	ref=$(tree_list cp)
	assert_same_tree "rsync's copy" src cp
	for m in byte mtime-ns mode xattr acl hardlink symlink owner sparse \
		extra missing; do
		# undo the last mutation
		"${RSYNC[@]}" -aHAX --delete --checksum src/ cp/ ||
			t_abort "rsync failed"
		case $m in
		byte)	# same size and mtime, one bit changed
			printf '\x01' | dd of=cp/a/b/c/64k bs=1 seek=4000 \
				conv=notrunc status=none
			touch -r src/a/b/c/64k cp/a/b/c/64k ;;
		mtime-ns) touch -h -d "@$(stat -c %Y.%N src/a/4k-1 |
			awk -F. '{printf "%s.%09d", $1, $2 + 1}')" cp/a/4k-1 ;;
		mode)	chmod 4755 cp/links/x1 ;;
		xattr)	setfattr -n user.text -v hellO cp/one ;;
		acl)	setfacl -m u:1234:r cp/a/4k-1 ;;
		hardlink) rm cp/a/h1b && cp -p src/a/h1b cp/a/h1b &&
			setfattr -n user.hl -v x cp/a/h1b ;;
		symlink) ln -sfn b/c/64K cp/a/rel && touch -h -r src/a/rel cp/a/rel ;;
		owner)	is_root || continue
			chown -h 4322 cp/a/rel ;;
		sparse)	# holes in the copy too, but for one file
			cp --sparse=always src/sparse cp/sparse &&
			cp --sparse=always src/allhole cp/allhole &&
			touch -r src/sparse cp/sparse &&
			touch -r src/allhole cp/allhole &&
			assert_same_tree "the sparse copy" src cp --holes &&
			cp --sparse=never src/sparse cp/sparse &&
			touch -r src/sparse cp/sparse ;;
		extra)	touch cp/a/b/c/d/new ;;
		missing) rm cp/odd/$'new\nline' ;;
		esac
		if [ "$m" = sparse ]; then
			# only the listing with --holes sees holes
			[ -z "$(diff <(tree_list --holes src) \
				<(tree_list --holes cp))" ] &&
				fail "the listing with --holes missed: $m"
			continue
		fi
		[ "$ref" = "$(tree_list cp)" ] &&
			fail "the listing missed: $m"
		case $m in
		hardlink)	# rsync's dry run does not report a split link
			;;
		*)	[ -z "$("${RSYNC[@]}" -ai --dry-run --checksum -aHAX \
				src/ cp/)" ] &&
				fail "rsync --dry-run --checksum missed: $m" ;;
		esac
	done
}

# a real tree no one here wrote: ringcp -a gives what rsync -a would: the
# source's listing, and rsync's checksum dry run against it lists nothing
test_real_tree()
{
	local src=$1 owner=()

	need_tools
	[ -d "$src" ] || t_skip "no $src"
	t_scratch mnt 1200m
	copy_ok -a "$src/" mnt/dst1/
	assert_rsync_agrees "ringcp -a $src/" "$src/" mnt/dst1/ -a
	# what rsync -a makes of it is the source, no more, no less (within
	# ~60 s a run under ASan has no time for rsync's own copy too)
	# (not root: the copy is the user's, rightly)
	is_root || owner=(--no-owner)
	assert_same_tree "ringcp -a of $src vs the source" "$src" mnt/dst1 \
		--no-xattr "${owner[@]}"
	assert_no_temp_tree mnt/dst1
}

# /usr/share/doc/b* and l*: several operands into one DST; ringcp -a and
# rsync -a give the same tree
test_real_docs()
{
	local s

	need_tools
	set -- /usr/share/doc/b* /usr/share/doc/l*
	[ -e "$1" ] || t_skip "no /usr/share/doc/b*"
	t_scratch mnt 400m
	copy_ok -a "$@" mnt/dst1
	"${RSYNC[@]}" -a "$@" mnt/dst2 || t_abort "rsync failed"
	assert_same_tree "ringcp -a vs rsync -a of /usr/share/doc/[bl]*" \
		mnt/dst2 mnt/dst1 --no-xattr --no-root
	for s in "$@"; do
		[ -e "mnt/dst1/${s##*/}" ] || [ -L "mnt/dst1/${s##*/}" ] ||
			fail "not copied: $s"
	done
}

# cp -a (which keeps links, xattrs and ACLs too) gives the same tree
test_cp_a()
{
	need_tools
	make_tree src || t_abort "cannot make the tree"
	copy_ok -aHAX src/ dst1/
	mkdir dst3 && cp -a src/. dst3/ || t_abort "cp -a failed"
	# cp -a src/. dst3 sets dst3's own times and mode too
	assert_same_tree "ringcp -aHAX vs cp -a" dst3 dst1
	assert_same_tree "ringcp -aHAX vs cp -a, with holes" dst3 dst1 --holes
	# and with a plain file of /usr/include
	[ -d /usr/include/linux ] || return 0
	mkdir inc1 inc3
	copy_ok -a /usr/include/linux inc1
	cp -a /usr/include/linux inc3 || t_abort "cp -a failed"
	assert_same_tree "ringcp -a vs cp -a of /usr/include/linux" inc3 inc1 \
		--no-root
}

# ---- the command line --------------------------------------------------------

# small_tree DIR : a/f1 a/sub/f2 a/sub/deeper/f3 a/lnk -> sub/f2, a/empty/
small_tree()
{
	mkdir -p "$1/sub/deeper" "$1/empty" &&
		seeded_files small 1000:"$1/f1" 20000:"$1/sub/f2" \
			300000:"$1/sub/deeper/f3" &&
		ln -s sub/f2 "$1/lnk" && past_times "$1" ||
		t_abort "cannot make $1"
}

test_trailing_slash()
{
	need_python
	small_tree src
	# SRC: the dir itself into DST (DST created)
	copy_ok -a src d1
	[ -d d1/src ] || fail "ringcp -a src d1: no d1/src"
	assert_same_tree "ringcp -a src d1" src d1/src
	assert_eq "entries of d1" "src" "$(ls -A d1)"
	# SRC/: its contents into DST
	copy_ok -a src/ d2
	assert_same_tree "ringcp -a src/ d2" src d2
	# the same into an existing DST, and DST given as 'dir/'
	mkdir d3 d4
	copy_ok -a src d3/
	assert_same_tree "ringcp -a src d3/" src d3/src
	copy_ok -a src/ d4/
	assert_same_tree "ringcp -a src/ d4/" src d4
	# src/. is the same as src/
	copy_ok -a src/. d5
	assert_same_tree "ringcp -a src/. d5" src d5
	# rsync does the same
	"${RSYNC[@]}" -a src d1r && "${RSYNC[@]}" -a src/ d2r ||
		t_abort "rsync failed"
	assert_same_tree "ringcp -a src vs rsync" d1r d1 --no-root
	assert_same_tree "ringcp -a src/ vs rsync" d2r d2
}

test_several_srcs()
{
	need_python
	small_tree a
	small_tree b
	seeded_files several 777:f 0:g
	copy_ok -a a b/ f g dst
	"${RSYNC[@]}" -a a b/ f g ref || t_abort "rsync failed"
	assert_same_tree "ringcp -a a b/ f g dst vs rsync" ref dst --no-root
	[ -d dst/a ] && [ -f dst/f ] && [ -f dst/sub/f2 ] ||
		fail "expected dst/a, dst/f and dst/sub/f2: $(ls -A dst)"
}

# several SRCs with a directory of the same name, new to DST: one
# directory holding both (each new one is staged under a temporary name
# until done, so the second operand must fill the first one's, not stage
# its own).  A name in both: the last operand's copy, as before (rsync
# keeps the first; a known difference)
test_overlapping_srcs()
{
	local f

	need_python
	small_tree x
	mkdir -p y/sub/deeper y/other &&
		seeded_files overlap 4321:y/sub/f2 77:y/sub/only-y \
			5000:y/sub/deeper/f4 9:y/other/g ||
		t_abort "cannot make y"
	copy_ok -a x/ y/ dst
	assert_no_temp_tree dst
	for f in f1 sub/deeper/f3; do
		assert_same_file "x/$f" "dst/$f"
	done
	for f in sub/f2 sub/only-y sub/deeper/f4 other/g; do
		assert_same_file "y/$f" "dst/$f"
	done
}

# DST created when missing (the last component only)
test_dst_missing()
{
	need_python
	small_tree src
	copy_ok -a src/ newdst
	assert_same_tree "new DST" src newdst
	rc_run -a src/ nodir/newdst
	assert_status 23
	assert_err_format
	assert_err_line "'nodir/newdst[/]?': No such file or directory$"
	assert_absent nodir
	# a single file to a missing DST is a file, as before
	copy_ok -a src/f1 newfile
	assert_same_file src/f1 newfile
}

# the flags one by one against rsync's meaning of them
test_flags()
{
	local flags

	need_tools
	make_tree src || t_abort "cannot make the tree"
	for flags in -r -rl -rlp -rlt -rlpto -rlptD -aH -aXA; do
		# (as a user, read-only dirs must be made writable to go)
		chmod -R u+w d1 d2 2>/dev/null; rm -rf d1 d2
		rc_run "$flags" src/ d1/
		# rsync without -l skips symlinks, without -D specials, saying so
		"${RSYNC[@]}" "$flags" src/ d2/ >/dev/null 2>&1
		assert_status 0 || diag "with $flags"
		case "$flags" in
		-a* | *t*)
			assert_same_tree "ringcp $flags vs rsync $flags" d2 d1 ;;
		*)	# no -t: mtimes are the time of the copy
			assert_same_tree "ringcp $flags vs rsync $flags" d2 d1 \
				--no-dir-mtime --no-mtime ;;
		esac
	done
}

test_dry_run()
{
	local before

	need_python
	small_tree src
	for o in -n --dry-run -nv; do
		rm -rf nodst
		rc_run -a "$o" src/ nodst
		assert_status 0 || diag "with $o"
		assert_absent nodst
	done
	# an existing, older DST is left as it was
	small_tree dst
	seeded_files other 1000:dst/f1 5:dst/sub/f2
	before=$(tree_list dst)
	rc_run -a -n src/ dst
	assert_status 0
	assert_listing "DST after -n" dst "$before"
	# -nv lists what it would copy
	rc_run -a -nv src/ dst
	assert_contains "-nv stdout" "$RC_OUT" "sub/f2"
	assert_listing "DST after -nv" dst "$before"
}

# -v: one line per item created, relative to the transfer root
test_verbose()
{
	local p

	need_python
	small_tree src
	copy_ok -av src/ d1
	# (rsync shows a symlink as 'lnk -> sub/f2': either will do)
	for p in f1 sub/f2 sub/deeper/f3 'lnk( -> sub/f2)?'; do
		grep -qxE -- "$p" "$RC_OUT" ||
			fail "-av src/ d1: no line '$p' in stdout"
	done
	grep -qxE -- 'empty/?' "$RC_OUT" || fail "-av src/ d1: no line 'empty/'"
	copy_ok -av src d2
	for p in src/f1 src/sub/f2 src/sub/deeper/f3 'src/lnk( -> sub/f2)?'; do
		grep -qxE -- "$p" "$RC_OUT" ||
			fail "-av src d2: no line '$p' in stdout"
	done
	# -q: nothing
	copy_ok -aq src/ d3
	assert_empty "-aq stdout" "$RC_OUT"
	# no -v: nothing either
	copy_ok -a src/ d4
	assert_empty "-a stdout" "$RC_OUT"
}

test_json()
{
	need_python
	small_tree src
	copy_ok -a --json src/ dst
	"$T_PY" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
want = {"files": 3, "dirs": None, "symlinks": 1, "bytes": 321000,
        "errors": 0, "elapsed_ns": None}
bad = []
for k, v in want.items():
    if k not in doc:
        bad.append("no key %r" % k)
    elif not isinstance(doc[k], int) or isinstance(doc[k], bool) \
            or doc[k] < 0:
        bad.append("%r is not a count: %r" % (k, doc[k]))
    elif v is not None and doc[k] != v:
        bad.append("%r: expected %d, got %r" % (k, v, doc[k]))
if doc.get("dirs") not in (3, 4):   # sub, sub/deeper, empty (+ the root)
    bad.append("dirs: expected 3 or 4, got %r" % doc.get("dirs"))
for k, v in (("exit_code", 0), ("interrupted", False),
             ("engine", "io_uring"), ("errors_by_kind", {})):
    if doc.get(k) != v:
        bad.append("%r: expected %r, got %r" % (k, v, doc.get(k)))
if not str(doc.get("version", "")).strip():
    bad.append("no version")
print("\n".join(bad), end="\n" if bad else "")
' "$RC_OUT" >json.check 2>&1 || {
		fail "--json: stdout is not one JSON document"
		show_file "stdout" "$RC_OUT"
	}
	if [ -s json.check ]; then
		fail "--json summary:"
		show_file "problems" json.check
		show_file "stdout" "$RC_OUT"
	fi
	assert_same_tree "--json copy" src dst
	# -v with --json: the listing on stderr, stdout still one document
	copy_ok_v -av --json src/ dst2
	"$T_PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$RC_OUT" ||
		{ fail "-v --json: stdout is not one JSON document"
		  show_file "stdout" "$RC_OUT"; }
	assert_contains "-v --json: the listing on stderr" "$RC_ERR" "sub/f2"
	# --json=FILE; an error counted by kind and the exit code in it
	chmod 000 src/f1
	rc_run -a --json=sum.json src/ dst3
	chmod 644 src/f1
	if [ "$(id -u)" -ne 0 ]; then
		"$T_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit_code"] == 23 and d["errors_by_kind"] == {"EACCES": 1}, d
' sum.json || fail "--json=FILE after an error: $(cat sum.json)"
	else
		"$T_PY" -c 'import json, sys; json.load(open(sys.argv[1]))' \
			sum.json || fail "--json=FILE: $(cat sum.json)"
	fi
	assert_empty "stdout with --json=FILE" "$RC_OUT"
}

# copy_ok_v ARGS... : exit 0 (stderr may hold -v's listing)
copy_ok_v()
{
	rc_run "$@"
	assert_status 0 || show_run
}

# -r without -l: symlinks skipped with a message, exit 0, like rsync
test_no_links()
{
	need_python
	small_tree src
	rc_run -r src/ dst
	assert_status 0
	assert_err_line "^ringcp: skipping non-regular file '(src/)?lnk'$"
	assert_absent dst/lnk
	assert_same_file src/sub/deeper/f3 dst/sub/deeper/f3
	assert_empty "stdout" "$RC_OUT"
}

# --progress: nothing but a final line when not on a terminal; on a
# terminal (script(1) gives one) a live line
test_progress()
{
	need_python
	small_tree src
	rc_run -a --progress src/ d1
	assert_status 0
	assert_same_tree "--progress on a pipe" src d1
	# the final line on stdout or stderr (the contract does not say)
	cat "$RC_OUT" "$RC_ERR" >both
	[ "$(grep -c . both)" -eq 1 ] && grep -q '[0-9]' both ||
		{ fail "--progress on a pipe: expected one final line"
		  show_file "stdout and stderr" both; }
	# the final line: every entry counted (the symlink too), 100%
	grep -qE ' 100%.* 4/4 files$' both ||
		{ fail "--progress: the final line is not 100%, 4/4 files"
		  show_file "stdout and stderr" both; }
	# not a terminal: a line every interval while it runs (a log)
	# (4 KiB at a time, one in flight: over a thousand turns of the loop,
	# a line at most every millisecond)
	seeded_files slow $((8 * MiB)):src/big
	RINGCP_PROGRESS_INTERVAL_MS=1 rc_run -a -Q 1 -B 4K --fsync \
		--progress src/ d3
	assert_status 0
	[ "$(grep -c ' files$' "$RC_ERR")" -ge 2 ] ||
		{ fail "--progress to a pipe: no periodic lines"
		  show_file "stderr" "$RC_ERR"; }
	command -v script >/dev/null || return 0
	rc_run_cmd script -qec "$(printf '%q ' "$RINGCP" -a --progress src/ d2)" \
		/dev/null
	assert_status 0
	assert_same_tree "--progress on a terminal" src d2
	grep -q '[0-9]' "$RC_OUT" ||	# script(1) merges stdout and stderr
		{ fail "--progress on a terminal: no progress line"
		  show_file stdout "$RC_OUT"; }
}

# holes kept: the data extents and the allocation of sparse files
test_sparse()
{
	need_python
	mkdir src
	truncate -s $((64 * MiB)) src/big && truncate -s 0 src/none &&
		truncate -s $((3 * MiB)) src/allhole || t_abort "truncate"
	seeded_files sparse $((64 * KiB)):blk
	dd if=blk of=src/big bs=64K seek=0 conv=notrunc status=none
	dd if=blk of=src/big bs=64K seek=100 conv=notrunc status=none
	dd if=blk of=src/big bs=64K seek=1023 conv=notrunc status=none
	cp --sparse=always src/big src/tailhole && truncate -s $((80 * MiB)) \
		src/tailhole
	copy_ok -a src/ dst
	assert_same_tree "sparse files, with holes" src dst --holes
	# allocated: what the source has (give or take 32 KiB), not 64 MiB
	[ "$(stat -c %b dst/big)" -le $(( $(stat -c %b src/big) + 64 )) ] ||
		fail "blocks of dst/big: $(stat -c %b dst/big), the source $(
			)has $(stat -c %b src/big) (512-byte blocks)"
	assert_eq "blocks of allhole" 0 "$(stat -c %b dst/allhole)"
}

# as a non-root user, a read-only dir (0555) gets its contents first
test_readonly_dir_as_user()
{
	need_nobody
	need_python
	mkdir -p src/ro/sub && seeded_files ro 100:src/ro/f 200:src/ro/sub/g
	chmod 555 src/ro/sub src/ro
	touch -d '2001-01-01 00:00:00.5' src/ro/sub src/ro
	chown -R "$NOBODY:$NOBODY" src
	mkdir out && chown "$NOBODY:$NOBODY" out
	as_nobody -a src/ out/dst
	assert_status 0
	assert_empty "stderr" "$RC_ERR"
	assert_same_tree "read-only dirs copied as nobody" src out/dst
}

# entries_by FORMAT DIR : "FORMAT-value path" of DIR's non-dirs, sorted
entries_by()
{
	(cd "$2" && find . ! -type d -printf "$1 %p\n" | LC_ALL=C sort)
}

# changed BEFORE AFTER : the paths whose line changed, on one line
changed()
{
	LC_ALL=C comm -13 <(printf '%s\n' "$1") <(printf '%s\n' "$2") |
		cut -d' ' -f2- | tr '\n' ' '
}

# as a non-root user, -p keeps set-user-ID and set-group-ID bits (of the
# user's own files), as rsync does: the mode must be set after the last
# write, which clears them for a user without CAP_FSETID
test_setid_as_user()
{
	local f

	need_nobody
	need_python
	mkdir -p src/sd && seeded_files setid 5000:src/u 70000:src/g 9:src/ug ||
		t_abort "seed"
	# (chown first: it clears set-id bits)
	chown -R "$NOBODY:$NOBODY" src && chmod 4755 src/u && chmod 2755 src/g &&
		chmod 6711 src/ug && chmod 2775 src/sd && past_times src ||
		t_abort "chmod"
	assert_eq "modes of the source" "4755 2755 6711 2775" \
		"$(stat -c %a src/u src/g src/ug src/sd | tr '\n' ' ' | sed 's/ $//')"
	mkdir out && chown "$NOBODY:$NOBODY" out
	as_nobody -a src/ out/dst
	assert_status 0
	for f in u g ug sd; do
		assert_eq "mode of dst/$f" "$(stat -c %a "src/$f")" \
			"$(stat -c %a "out/dst/$f")"
	done
	assert_same_tree "as nobody, set-id bits" src out/dst
}

# a rerun finds nothing to do: no file rewritten (same inodes), nothing
# listed with -v; a changed source file is copied again
test_rerun()
{
	local before ctimes

	need_tools
	make_tree src || t_abort "cannot make the tree"
	copy_ok -aHAX src/ dst
	before=$(entries_by '%i' dst)
	ctimes=$(entries_by '%C@' dst)
	copy_ok -aHAXv src/ dst
	[ "$before" = "$(entries_by '%i' dst)" ] ||
		fail "entries replaced by a rerun (new inode):" \
			"$(changed "$before" "$(entries_by '%i' dst)")"
	[ "$ctimes" = "$(entries_by '%C@' dst)" ] ||
		fail "entries changed by a rerun (new ctime):" \
			"$(changed "$ctimes" "$(entries_by '%C@' dst)")"
	grep -qE '(^|/)(zero|one|4k|64k|sparse|fifo|rel)$' "$RC_OUT" &&
		{ fail "-v of a rerun lists items"; show_file stdout "$RC_OUT"; }
	assert_same_tree "after the rerun" src dst --holes
	# quick check: same size and mtime is taken as unchanged (rsync's
	# rule), so a DST file altered in place but for that is left alone
	printf 'X' | dd of=dst/a/256k+1 bs=1 seek=7 conv=notrunc status=none
	touch -r src/a/256k+1 dst/a/256k+1
	cp dst/a/256k+1 altered
	copy_ok -aHAX src/ dst
	assert_same_file altered dst/a/256k+1
	cp -a src/a/256k+1 dst/a/256k+1
	# one source file changes size: only it is copied
	printf 'more' >>src/a/4k
	copy_ok -aHAXv src/ dst
	assert_same_tree "after a change and a rerun" src dst
	assert_contains "-v of the rerun" "$RC_OUT" "a/4k"
	# (a line for a changed dir, 'a/', would do)
	[ "$(grep -vc '/$' "$RC_OUT")" -le 1 ] ||
		{ fail "-v of the rerun lists more than the changed file"
		  show_file stdout "$RC_OUT"; }
}

# a job cut short left one name of a hard-link group in DST (complete, up
# to date); the rerun with -H links the others to it, as rsync -H does
test_rerun_hardlinks()
{
	need_python
	mkdir -p src/d1 src/d2 src/d3
	seeded_files hl 300000:src/d1/big 5000:src/d3/other || t_abort "seed"
	ln src/d1/big src/d2/hard && ln src/d1/big src/d3/hard2 &&
		past_times src || t_abort "ln"
	mkdir -p dst/d1 && cp -a src/d1/big dst/d1/big || t_abort "cp -a"
	copy_ok -aH src/ dst
	assert_same_tree "ringcp -aH over a DST holding one name of a group" \
		src dst
	rm -rf ref && mkdir -p ref/d1 && cp -a src/d1/big ref/d1/big &&
		"${RSYNC[@]}" -aH src/ ref || t_abort "rsync"
	assert_same_tree "rsync -aH the same way" src ref
}

main()
{
	t_init
	t_add "the compare catches a byte, a ns, a mode, an xattr, a link..." \
		test_compare_can_fail
	t_add "generated tree: ringcp -aHAX = rsync -aHAX (+ holes kept)" \
		test_generated
	t_add "generated tree: ringcp -aHAX = cp -a" test_cp_a
	t_add "3,000 files in one dir, siblings, a deep chain: = rsync -a" \
		test_wide_tree
	t_add "several SRCs with the same new directory merge into one" \
		test_overlapping_srcs
	t_add "/usr/include: ringcp -a = rsync -a" test_real_tree /usr/include
	t_add "/usr/share/doc/[bl]*: ringcp -a = rsync -a (several SRCs)" \
		test_real_docs
	t_add "trailing slash: 'src' copies the dir, 'src/' its contents" \
		test_trailing_slash
	t_add "several SRCs (dirs, dir/, files) into one DST" test_several_srcs
	t_add "DST created when missing; a missing parent is an error" \
		test_dst_missing
	t_add "-r -l -p -t -g -o -D -H -X -A each as rsync's" test_flags
	t_add "-n/--dry-run changes nothing" test_dry_run
	t_add "-v lists items relative to the transfer root; -q quiet" \
		test_verbose
	t_add "--json: one JSON summary with the documented keys" test_json
	t_add "--progress: a final line on a pipe, a live line on a tty" \
		test_progress
	t_add "-r without -l: symlinks skipped with a message, exit 0" \
		test_no_links
	t_add "sparse files keep their holes" test_sparse
	t_add "as nobody: read-only dirs get their contents (perms after)" \
		test_readonly_dir_as_user
	t_add "as nobody: -p keeps set-user-ID and set-group-ID bits" \
		test_setid_as_user
	t_add "rerun after completion: nothing rewritten; a change recopied" \
		test_rerun
	t_add "-H rerun: names of a group linked to the one already copied" \
		test_rerun_hardlinks
	t_run_all
}

main "$@"
