/* SPDX-License-Identifier: MIT */
/*
 * Description: tree copies (rc_tree_copy, ringcp -a's engine: many files in
 * flight, each a chain of openat, statx, openat of the destination, reads,
 * writes and close ops; into new directories (staged: files created under
 * their final names, the directory renamed into place) or, every other
 * run, existing ones (O_TMPFILE, then linkat chains; one directory has
 * more small files than a linkat chain takes)) aborted as a whole at a
 * random turn of the loop, the way SIGINT does, with ops of every kind in
 * flight.  The ledger and the detectors watch every buffer; afterwards
 * every file under a final name is byte-identical to its source (metadata
 * included: size, mode, mtime), nothing is left in flight, no temporary
 * file or staging directory is left, and a run that was not aborted
 * copied everything.  With --fs=xfs (or btrfs) source and destination are
 * on a fresh loop image of that filesystem, which clones: the jobs' data
 * goes by FICLONE (--reflink=auto, the default), and the runs must have
 * cloned files (skipped, saying why, where the image cannot be made).
 * With --memory=BYTES the files share a data budget that small: pumps
 * wait for one another's blocks under the aborts, and the runs must have
 * waited.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "loopfs.h"
#include "scenario.h"
#include "ringcp/tree.h"

#define NDIRS 6
#define FILES_PER_DIR 20
/* the last directory: many small files, so that more of them finish while
 * the directory's PLACE chain is in flight than one chain takes */
#define FILES_IN_LAST_DIR 100

#define NFILES ((NDIRS - 1) * FILES_PER_DIR + FILES_IN_LAST_DIR)

static int files_in(int d)
{
	return d == NDIRS - 1 ? FILES_IN_LAST_DIR : FILES_PER_DIR;
}

struct chaos {
	struct rh_scenario *s;
	uint64_t abort_at;	/* turn of the loop to abort at (0: never) */
	uint64_t turn;
	uint64_t whole_turns;	/* turns the last run not aborted took */
};

static int chaos_hook(void *arg, unsigned busy)
{
	struct chaos *c = arg;

	(void)busy;
	if (++c->turn == c->abort_at) {
		c->s->cancels++;
		return RC_CHAOS_CANCEL_FILE;
	}
	return RC_CHAOS_NONE;
}

struct tally {
	uint64_t complete, absent, temps, bad;
};

/* Compare one destination file with its source; count what it is. */
static void check_file(struct rh_scenario *s, const char *src,
		       const char *dst, struct tally *t)
{
	struct stat a, b;
	uint64_t sa = 0, sb = 0;
	int fa, fb;

	(void)s;
	if (lstat(dst, &b) < 0) {
		t->absent++;
		return;
	}
	fa = open(src, O_RDONLY | O_CLOEXEC);
	fb = open(dst, O_RDONLY | O_CLOEXEC);
	if (fa < 0 || fb < 0 || fstat(fa, &a) || a.st_size != b.st_size ||
	    rh_checksum_fd(fa, (uint64_t)a.st_size, &sa) ||
	    rh_checksum_fd(fb, (uint64_t)b.st_size, &sb) || sa != sb ||
	    (a.st_mode & 07777) != (b.st_mode & 07777) ||
	    a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) {
		t->bad++;
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "'%s' is under its final name but is not "
				     "its source's copy", dst);
	} else
		t->complete++;
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
}

static void check_tree(struct rh_scenario *s, const char *src_root,
		       const char *dst_root, struct tally *t)
{
	char src[512], dst[512];
	int d, f;
	DIR *top = opendir(dst_root);
	struct dirent *tde;

	/* staging directories not renamed into place */
	while (top && (tde = readdir(top)))
		t->temps += strstr(tde->d_name, ".ringcp-") != NULL;
	if (top)
		closedir(top);
	for (d = 0; d < NDIRS; d++) {
		DIR *dir;
		struct dirent *de;

		snprintf(dst, sizeof(dst), "%s/d%d", dst_root, d);
		dir = opendir(dst);
		while (dir && (de = readdir(dir)))
			t->temps += strstr(de->d_name, ".ringcp-") != NULL;
		if (dir)
			closedir(dir);
		for (f = 0; f < files_in(d); f++) {
			snprintf(src, sizeof(src), "%s/d%d/f%02d", src_root, d,
				 f);
			snprintf(dst, sizeof(dst), "%s/d%d/f%02d", dst_root, d,
				 f);
			check_file(s, src, dst, t);
		}
	}
}

static int make_tree(struct rh_scenario *s, const char *root)
{
	char path[512];
	int d, f, fd;

	for (d = 0; d < NDIRS; d++) {
		snprintf(path, sizeof(path), "%s/d%d", root, d);
		if (mkdir(path, 0755))
			return -errno;
		for (f = 0; f < files_in(d); f++) {
			/* empty, small, block-sized and a few MiB-sized */
			uint64_t len = f == 0 ? 0 :
				f >= FILES_PER_DIR ? rh_scenario_rand(s, 3000) :
				f % 7 == 3 ?
				(1u << 20) + rh_scenario_rand(s, 2u << 20) :
				rh_scenario_rand(s, 200000);

			snprintf(path, sizeof(path), "%s/d%d/f%02d", root, d,
				 f);
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0600 | (mode_t)rh_scenario_rand(s, 0177));
			if (fd < 0 || rh_fill_fd(fd, len, s->seed + d * 100u + f))
				return -EIO;
			close(fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char src_dir[256] = "/var/tmp/rc-tree-src-XXXXXX";
	char dst_dir[256] = "/var/tmp/rc-tree-dst-XXXXXX";
	struct rh_scenario s;
	struct chaos c = { .s = &s };
	struct tally total = { 0 };
	uint64_t aborted = 0, whole = 0, cloned = 0, budget_waits = 0;
	char src[600], cmd[700], mnt[128], why[256];
	struct rc_ring *r;

	rh_scenario_init(&s, "tree_chaos", argc, argv, 60);
	if (s.fs && rh_loopfs_make(s.fs, mnt, sizeof(mnt), why, sizeof(why))) {
		printf("tree_chaos: skip: %s\n", why);
		return rh_scenario_finish(&s);
	}
	if (s.fs) {
		snprintf(src_dir, sizeof(src_dir), "%s/rc-tree-src-XXXXXX", mnt);
		snprintf(dst_dir, sizeof(dst_dir), "%s/rc-tree-dst-XXXXXX", mnt);
	}
	if (!mkdtemp(src_dir) || !mkdtemp(dst_dir) || make_tree(&s, src_dir))
		return 2;
	snprintf(src, sizeof(src), "%s/", src_dir);
	r = rh_scenario_ring(&s, 1024);

	while (rh_scenario_more(&s)) {
		struct rc_tree_opts o = {
			.recursive = true, .links = true, .perms = true,
			.times = true, .quiet = true,
			.files_in_flight = 1 + (unsigned)rh_scenario_rand(&s,
									  48),
			.copy = {
				.queue_depth = 1 + (unsigned)rh_scenario_rand(
					&s, 8),
				.block_size = 4096u << rh_scenario_rand(&s, 6),
				.chaos = chaos_hook,
				.chaos_arg = &c,
				.data_path = s.data_path,
				.direct = s.direct,
				.memory = s.memory,
			},
		};
		struct rc_tree_src one = { .path = src };
		struct rc_tree_stats st;
		struct tally t = { 0 };
		int ret;

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'/* '%s'/.[!.]*",
			 dst_dir, dst_dir);
		if (system(cmd))
			return 2;
		/* every other run the directories exist: files then go
		 * through O_TMPFILE and linkat chains, not staging */
		for (int d = 0; s.done % 2 && d < NDIRS; d++) {
			char dd[700];

			snprintf(dd, sizeof(dd), "%s/d%d", dst_dir, d);
			if (mkdir(dd, 0700))
				return 2;
		}
		/* one run in four goes through; the rest abort at turn 1..400
		 * (on --fs, the second of every three, so that two runs
		 * abort one and finish one, and four abort both staged and
		 * existing directories; cloned files take a few turns each,
		 * so they abort within the turns the last whole run took,
		 * 20 before one went through) */
		if (s.fs)
			c.abort_at = s.done % 3 != 1 ?
				1 + rh_scenario_rand(&s, c.whole_turns ?
						     c.whole_turns : 20) : 0;
		else
			c.abort_at = s.done % 4 != 3 ?
				1 + rh_scenario_rand(&s, 400) : 0;
		c.turn = 0;
		ret = rc_tree_copy(r, &one, 1, dst_dir, &o, &st);
		if (!c.abort_at)
			c.whole_turns = c.turn;
		check_tree(&s, src_dir, dst_dir, &t);
		if (ret == -EINTR)
			aborted++;
		else if (ret || st.errors ||
			 t.complete != NFILES)
			rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM,
					     NULL, "a run that was not aborted "
					     "copied %" PRIu64 " of %d files "
					     "(ret %d, %" PRIu64 " errors)",
					     t.complete, NFILES,
					     ret, st.errors);
		else
			whole++;
		if (t.temps)
			rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM,
					     NULL, "%" PRIu64 " temporary files "
					     "left", t.temps);
		if (rc_ring_inflight(r) || rc_ring_queued(r))
			rh_harness_violation(RH_VIOL_OWNED_AT_EXIT,
					     RH_DET_LEDGER, NULL,
					     "ops still in flight after a run");
		cloned += st.cloned;
		budget_waits += st.budget_waits;
		total.complete += t.complete;
		total.absent += t.absent;
		s.done++;
	}
	rh_scenario_ring_done(&s, r);
	printf("tree_chaos: %" PRIu64 " runs (%" PRIu64 " aborted, %" PRIu64
	       " whole); %" PRIu64 " files complete under their final name, "
	       "%" PRIu64 " absent, %" PRIu64 " cloned%s%s; %" PRIu64
	       " waits for the data budget\n", s.done, aborted,
	       whole, total.complete, total.absent, cloned,
	       s.fs ? " on " : "", s.fs ? s.fs : "", budget_waits);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", src_dir, dst_dir);
	if (system(cmd))
		fprintf(stderr, "tree_chaos: cannot remove the work dirs\n");
	if (s.fs)
		rh_loopfs_remove();
	if (s.fs && !cloned) {
		printf("tree_chaos: FAIL: no file was cloned on %s: the clone "
		       "path was not driven\n", s.fs);
		rh_scenario_finish(&s);
		return 1;
	}
	if (s.memory && !budget_waits && s.data_path != RC_DATA_SPLICE &&
	    !s.fallback) {
		printf("tree_chaos: FAIL: --memory=%" PRIu64 " and no pump "
		       "waited for the budget: the waiting path was not "
		       "driven\n", s.memory);
		rh_scenario_finish(&s);
		return 1;
	}
	if (!aborted || !whole || !total.absent) {
		printf("tree_chaos: FAIL: the schedule did not both abort runs "
		       "part-way and let some finish\n");
		rh_scenario_finish(&s);
		return 1;
	}
	return rh_scenario_finish(&s);
}
