# SPDX-License-Identifier: MIT
#
# scripts/bench/lib.sh: shell pieces shared by the measurement scripts
# (scripts/measure-single-file.sh, scripts/bench/*.sh).  Source it; it
# defines functions only.  The caller sets TAG (the prefix of messages).
#
#   die MSG          print "TAG: MSG" on stderr, exit 1
#   log MSG          print "== MSG" on stderr (progress)
#   q WORD           WORD quoted for the shell hyperfine spawns
#   now_ns           wall clock in ns (bash's EPOCHREALTIME)
#   first CMD...     the first line CMD prints (stdout+stderr), never fails
#   env_record DIR RINGCP
#                    key=value lines: date, machine, kernel, filesystem of
#                    DIR, versions of the tools and libraries, git commit
#   fio_ceiling FILE RW OUT [SIZE]
#                    fio sequential RW (write|read) of FILE, O_DIRECT,
#                    io_uring, iodepth 32, 1 MiB blocks, JSON into OUT

die() { echo "${TAG:-bench}: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
q() { printf '%q' "$1"; }
now_ns() { local t=$EPOCHREALTIME; echo "${t/[.,]/}000"; }
first() { "$@" 2>&1 | head -1 || true; }

# The commit of the repository the scripts live in, "-dirty" when tracked
# files other than the results (which a run rewrites) differ from it.
git_commit_of() {
	local c
	c=$(git -C "$1" rev-parse HEAD 2>/dev/null || echo unknown)
	[ -z "$(git -C "$1" status --porcelain --untracked-files=no -- . \
		':!results' ':!REPORT.md' 2>/dev/null)" ] || c+="-dirty"
	echo "$c"
}

# "yes"/"no": does the ext4 holding dir have a journal? ("" if not ext4)
fs_has_journal() {
	local src
	src=$(findmnt -no SOURCE -T "$1")
	[ "$(findmnt -no FSTYPE -T "$1")" = ext4 ] || return 0
	if dumpe2fs -h "$src" 2>/dev/null | grep -q '^Filesystem features:.*has_journal'; then
		echo yes
	else
		echo no
	fi
}

# the file behind a loop-device filesystem, and whether it uses direct I/O
fs_loop_backing() {
	local src
	src=$(findmnt -no SOURCE -T "$1")
	case $src in
	/dev/loop*) losetup -nO BACK-FILE,DIO "$src" | tr -s ' ' ;;
	esac
}

env_record() {
	local dir=$1 ringcp=$2
	cat <<-EOF2
	date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	hostname=$(hostname)
	kernel=$(uname -r)
	machine=$(uname -m)
	nproc=$(nproc)
	cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*:[[:space:]]*//')
	mem_total_bytes=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
	workdir=$dir
	fs_type_statf=$(stat -f -c %T "$dir")
	fs_type_mount=$(findmnt -no FSTYPE -T "$dir")
	fs_source=$(findmnt -no SOURCE -T "$dir")
	fs_options=$(findmnt -no OPTIONS -T "$dir")
	fs_journal=$(fs_has_journal "$dir")
	fs_loop_backing=$(fs_loop_backing "$dir")
	gcc=$(first gcc --version)
	clang=$(first clang --version)
	liburing2=$(dpkg-query -W -f='${Version}' liburing2 2>/dev/null || echo missing)
	liburing_dev=$(dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null || echo missing)
	hyperfine=$(first hyperfine --version)
	fio=$(first fio --version)
	coreutils=$(first cp --version)
	rsync=$(first rsync --version)
	tar=$(first tar --version)
	strace=$(first strace -V)
	ringcp_sha256=$(sha256sum "$ringcp" | cut -d' ' -f1)
	ringcp_version=$(first "$ringcp" --version)
	ringcp_default_buffers=$("$ringcp" --help | sed -n 's/^ *(default \([a-z]*\))$/\1/p' | head -1)
	loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
	EOF2
}

fio_ceiling() {
	local file=$1 rw=$2 out=$3 size=${4:-2G}
	fio --name=ceiling --filename="$file" --size="$size" --rw="$rw" --bs=1M \
		--iodepth=32 --ioengine=io_uring --direct=1 \
		--output-format=json --output="$out" >/dev/null
}
