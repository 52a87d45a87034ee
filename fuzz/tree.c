/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle fuzzer's tree step (docs/fuzz.md): rc_tree_copy of a small
 * tree (made once per process on tmpfs) into a fresh destination, with
 * files in flight, queue depth, block size and the ring chosen by the
 * input, aborted at an input-chosen turn of the tree's loop (the harness'
 * chaos hook, or the stop flag a signal raises).  Then the decoder's own
 * oracle: a run that went through copied every entry exactly; an aborted
 * one left nothing partial under a final name and no temporary name; the
 * ring has nothing in flight.  The destination is removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "harness.h"
#include "lifecycle.h"
#include "ringcp/tree.h"

char fz_tree_dir[64];

/* The source tree: path under src/, size (-1: a directory, -2: a symlink
 * to link_to, -3: a hard link of link_to). */
static const struct fz_entry {
	const char *path;
	long long size;
	const char *link_to;
} fz_entries[] = {
	{ "f0", 0, NULL },
	{ "f1", 1000, NULL },
	{ "f2", 4096, NULL },
	{ "f3", 70001, NULL },
	{ "f4", 200000, NULL },
	{ "sub", -1, NULL },
	{ "sub/g0", 3000, NULL },
	{ "sub/g1", 65553, NULL },
	{ "sub/hl", -3, "f3" },
	{ "sub/deeper", -1, NULL },
	{ "sub/deeper/h", 10, NULL },
	{ "link", -2, "f1" },
	{ "dangling", -2, "nowhere" },
};
#define FZ_N_ENTRIES (sizeof(fz_entries) / sizeof(fz_entries[0]))

static int fz_tree_make_entry(const struct fz_entry *e, unsigned i)
{
	char p[160], q[160];
	int fd;

	snprintf(p, sizeof(p), "%s/src/%s", fz_tree_dir, e->path);
	if (e->size == -1)
		return mkdir(p, 0750);
	if (e->size == -2)
		return symlink(e->link_to, p);
	if (e->size == -3) {
		snprintf(q, sizeof(q), "%s/src/%s", fz_tree_dir, e->link_to);
		return link(q, p);
	}
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640 | (i & 7));
	if (fd < 0 || rh_fill_fd(fd, (uint64_t)e->size, 100 + i) < 0)
		return -1;
	return close(fd);
}

void fz_tree_init(void)
{
	char p[96];
	unsigned i;

	snprintf(fz_tree_dir, sizeof(fz_tree_dir),
		 "/dev/shm/rc-fuzz-%d-XXXXXX", getpid());
	if (!mkdtemp(fz_tree_dir)) {
		perror("fuzz: mkdtemp /dev/shm");
		exit(2);
	}
	snprintf(p, sizeof(p), "%s/src", fz_tree_dir);
	if (mkdir(p, 0755)) {
		perror("fuzz: tree src");
		exit(2);
	}
	for (i = 0; i < FZ_N_ENTRIES; i++)
		if (fz_tree_make_entry(&fz_entries[i], i)) {
			perror("fuzz: tree entry");
			exit(2);
		}
}

static int fz_rm_one(const char *p, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* rm -rf path (no error: what is left, the next cleanup removes) */
static void fz_rm_tree(const char *path)
{
	nftw(path, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_tree_cleanup(void)
{
	if (fz_tree_dir[0])
		fz_rm_tree(fz_tree_dir);
}

/* ---- the oracle ---- */

struct fz_tally {
	unsigned complete, absent, temps;
	bool aborted;		/* an old file may still be in place */
	uint64_t old_sum;	/* the old f1's checksum (layout 3), or 0 */
};

static int fz_file_sum(const char *p, off_t *size, mode_t *mode,
		       uint64_t *sum)
{
	struct stat st;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ret;

	if (fd < 0)
		return -errno;
	ret = fstat(fd, &st) ? -errno :
	      rh_checksum_fd(fd, (uint64_t)st.st_size, sum);
	*size = st.st_size;
	*mode = st.st_mode;
	close(fd);
	return ret;
}

/* One destination entry against its source; a wrong one is a violation. */
static void fz_tree_check_entry(struct fz_state *s, const struct fz_entry *e,
				const char *dst, struct fz_tally *t)
{
	char sp[160], dp[160], a[64], b[64];
	struct stat st;
	off_t ss = 0, ds = 0;
	mode_t sm = 0, dm = 0;
	uint64_t sa = 0, sb = 1;
	ssize_t n, m;

	snprintf(sp, sizeof(sp), "%s/src/%s", fz_tree_dir, e->path);
	snprintf(dp, sizeof(dp), "%s/%s", dst, e->path);
	if (lstat(dp, &st)) {
		t->absent++;
		return;
	}
	if (e->size == -1) {
		if (!S_ISDIR(st.st_mode))
			goto bad;
	} else if (e->size == -2) {
		n = readlink(sp, a, sizeof(a));
		m = readlink(dp, b, sizeof(b));
		if (n < 0 || n != m || memcmp(a, b, (size_t)n))
			goto bad;
	} else if (fz_file_sum(sp, &ss, &sm, &sa) ||
		   fz_file_sum(dp, &ds, &dm, &sb)) {
		goto bad;
	} else if (t->aborted && t->old_sum && !strcmp(e->path, "f1") &&
		   ds == 100 && sb == t->old_sum) {
		t->absent++;	/* the old file, left as it was */
		return;
	} else if (ss != ds || sa != sb || (sm & 07777) != (dm & 07777)) {
		goto bad;
	}
	t->complete++;
	return;
bad:
	t->complete++;
	rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
			     "tree: '%s' is under its final name but is not "
			     "its source's copy", e->path);
	fz_log(s, "  tree: %s is not its source's copy", e->path);
}

static int fz_tree_temps(const char *p, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	return strstr(p + ftw->base, ".ringcp-") != NULL;
}

static void fz_tree_check(struct fz_state *s, const char *dst,
			  struct fz_tally *t)
{
	unsigned i;

	for (i = 0; i < FZ_N_ENTRIES; i++)
		fz_tree_check_entry(s, &fz_entries[i], dst, t);
	/* nftw stops at the first name a callback counts */
	t->temps = nftw(dst, fz_tree_temps, 16, FTW_PHYS) > 0;
}

/* ---- the step ---- */

struct fz_tree_chaos {
	unsigned turn, at;
	bool stop_flag;		/* raise stop (a signal) rather than chaos */
	bool asked;
	volatile sig_atomic_t stop;
};

/* The tree loop's hook: abort at turn `at` (0: never). */
static int fz_tree_hook(void *arg, unsigned busy)
{
	struct fz_tree_chaos *c = arg;

	(void)busy;
	if (++c->turn != c->at)
		return RC_CHAOS_NONE;
	c->asked = true;
	if (c->stop_flag) {
		c->stop = 1;	/* seen at the loop's next turn */
		return RC_CHAOS_NONE;
	}
	return RC_CHAOS_CANCEL_FILE;
}

/* What the destination holds before the copy (arg byte 0, bits 3-4). */
static void fz_tree_prepare_dst(struct fz_state *s, const char *dst,
				unsigned layout, struct fz_tally *t)
{
	static const char *const what[4] = {
		"absent", "an empty directory", "sub/ made", "sub/ and f1 old",
	};
	char p[160];
	int fd;

	fz_log(s, "  destination: %s", what[layout]);
	if (layout >= 1 && mkdir(dst, 0700))
		fz_fail(s, "tree: mkdir %s: %s", dst, strerror(errno));
	if (layout >= 2) {
		snprintf(p, sizeof(p), "%s/sub", dst);
		if (mkdir(p, 0700))
			fz_fail(s, "tree: mkdir %s: %s", p, strerror(errno));
	}
	if (layout == 3) {	/* an older, shorter f1: overwritten */
		snprintf(p, sizeof(p), "%s/f1", dst);
		fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || rh_fill_fd(fd, 100, 7) < 0 ||
		    lseek(fd, 0, SEEK_SET) ||
		    rh_checksum_fd(fd, 100, &t->old_sum))
			fz_fail(s, "tree: %s: %s", p, strerror(errno));
		close(fd);
	}
}

/*
 * The ring the copy runs on: the program's when it has the entries a tree
 * copy needs and none of the program's ops is in the engine; otherwise a
 * ring of its own, of the program's strategy, torn down after the copy.
 */
static struct rc_ring *fz_tree_ring(struct fz_state *s, bool own,
				    unsigned entries)
{
	struct rc_ring *r = NULL;

	fz_ring(s);
	if (!own && s->entries >= 32 && !fz_engine_has_ops(s)) {
		fz_log(s, "  on the program's ring (%s, %u entries)",
		       s->strategy, s->entries);
		return s->r;
	}
	fz_ring_make(s->strategy_i, entries, &r);
	fz_log(s, "  on a ring of its own (%s%s, %u entries)", s->strategy,
	       s->sync ? " fallback" : "", entries);
	return r;
}

/* TREE files+layout, depth+block, abort-at, how */
void fz_tree(struct fz_state *s)
{
	uint8_t a = fz_byte(s), b = fz_byte(s), at = fz_byte(s), how = fz_byte(s);
	struct fz_tree_chaos c = { .at = at, .stop_flag = how & 1 };
	struct rc_tree_opts o = {
		.recursive = true, .links = true, .perms = true,
		.times = true, .quiet = true, .hard_links = how & 2,
		.files_in_flight = 1 + a % 8,
		.copy = {
			.queue_depth = 1 + b % 8,
			.block_size = 4096u << ((b >> 3) % 5),
			.no_fallocate = true,
			.stop = &c.stop,
			.chaos = fz_tree_hook,
			.chaos_arg = &c,
			.drain_ms = 2000,
			/* how's bits 4-5: read/write (the default until
			 * splice pairs were fuzzed), splice, auto, or
			 * splice through one pipe (files wait for it) */
			.data_path = (how >> 4) & 3 ? ((how >> 4) & 3) == 2 ?
				     RC_DATA_AUTO : RC_DATA_SPLICE :
				     RC_DATA_READWRITE,
			.splice_pairs = ((how >> 4) & 3) == 3 ? 1 : 0,
		},
	};
	struct rc_tree_src src = { 0 };
	struct rc_tree_stats st;
	struct fz_tally t = { 0 };
	char sp[96], dst[96];
	struct rc_ring *r;
	int ret;

	fz_log(s, "tree files %u depth %u block %u%s %s%s, abort at turn %u "
	       "by %s", o.files_in_flight, o.copy.queue_depth,
	       o.copy.block_size, o.hard_links ? " -H" : "",
	       rc_data_path_name(o.copy.data_path),
	       o.copy.splice_pairs == 1 ? " (one pipe)" : "", at,
	       how & 1 ? "stop" : "chaos");
	r = fz_tree_ring(s, how & 4, how & 8 ? 64 : 32);
	snprintf(sp, sizeof(sp), "%s/src/", fz_tree_dir);
	snprintf(dst, sizeof(dst), "%s/dst%u", fz_tree_dir, s->made++);
	fz_tree_prepare_dst(s, dst, (a >> 3) & 3, &t);
	src.path = sp;
	memset(&st, 0, sizeof(st));
	ret = rc_tree_copy(r, &src, 1, dst, &o, &st);
	t.aborted = ret == -EINTR;
	fz_tree_check(s, dst, &t);
	fz_log(s, "  tree: %d (%s) after %u turns, %llu files, %llu errors; "
	       "%u entries complete, %u absent", ret,
	       ret ? strerror(-ret) : "ok", c.turn,
	       (unsigned long long)st.files, (unsigned long long)st.errors,
	       t.complete, t.absent);
	if (ret == -EINTR && !c.asked)
		fz_fail(s, "rc_tree_copy: -EINTR, but no abort was asked");
	else if (ret && ret != -EINTR)
		fz_fail(s, "rc_tree_copy answered %d (%s)", ret,
			strerror(-ret));
	else if (!ret && (st.errors || t.complete != FZ_N_ENTRIES))
		fz_fail(s, "rc_tree_copy went through with %llu errors, %u "
			"of %zu entries complete", (unsigned long long)st.errors,
			t.complete, FZ_N_ENTRIES);
	if (t.temps)
		fz_fail(s, "rc_tree_copy left a temporary name in %s", dst);
	if (rc_ring_inflight(r) || rc_ring_queued(r))
		fz_fail(s, "rc_tree_copy returned with %u op(s) in flight, %u "
			"queued", rc_ring_inflight(r), rc_ring_queued(r));
	fz_rm_tree(dst);
	if (r != s->r)
		fz_ring_release(s, r);
}
