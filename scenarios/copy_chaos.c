/* SPDX-License-Identifier: MIT */
/*
 * Description: real copies of a tree (directories three deep, files of
 * random sizes, each file copied by rc_copy_file as ringcp does it) while
 * a seeded random schedule cancels single reads or writes in flight, whole
 * files, and whole jobs (the rest of the tree), after random delays (zero
 * included).  Afterwards every file is either byte-identical to its source
 * under its final name, or reported cancelled with nothing under its final
 * name, and no temporary file is left anywhere in the tree.
 *
 * With --data=splice (or auto) the data moves by splice pairs through one
 * pipe pool for the whole run, as a copy of many files shares it: a
 * cancel then also cuts pairs whose pipe holds a chunk, and every later
 * file would show bytes a cancelled splice left in a pipe lent again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "ringcp/copy.h"
#include "scenario.h"

#define NFILES 24
#define NDIRS 7

/* The tree: directories, and where each file lives in it. */
static const char *const tree_dirs[NDIRS] = {
	"a", "a/b", "a/b/c", "d", "d/e", "d/e/f", "g",
};

static void rel_path(int i, char *out, size_t size)
{
	if (i % 5 == 0)
		snprintf(out, size, "f%02d", i);
	else
		snprintf(out, size, "%s/f%02d", tree_dirs[i % NDIRS], i);
}

static int make_dirs(const char *root)
{
	char path[512];
	int i;

	for (i = 0; i < NDIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, tree_dirs[i]);
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

struct chaos {
	struct rh_scenario *s;
	volatile sig_atomic_t stop;
	unsigned op_cancels, file_cancels, job_cancels;
};

static int chaos_hook(void *arg, unsigned busy)
{
	struct chaos *c = arg;
	uint64_t dice = rh_scenario_rand(c->s, 1024);

	if (dice < 24 && busy) {
		c->op_cancels++;
		c->s->cancels++;
		return RC_CHAOS_CANCEL_OP;
	}
	if (dice < 28) {
		c->file_cancels++;
		c->s->cancels++;
		return RC_CHAOS_CANCEL_FILE;
	}
	if (dice < 30) {	/* the whole job: this file and the rest */
		c->job_cancels++;
		c->s->cancels++;
		c->stop = 1;
	}
	return RC_CHAOS_NONE;
}

static uint64_t file_sum(const char *path, uint64_t *len)
{
	struct stat st;
	uint64_t sum = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || rh_checksum_fd(fd, (uint64_t)st.st_size,
						       &sum))
		sum = 0;
	*len = fd < 0 ? UINT64_MAX : (uint64_t)st.st_size;
	if (fd >= 0)
		close(fd);
	return sum;
}

/* Temporary files left in dir (named ones: O_TMPFILE leaves none). */
static unsigned temp_files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".ringcp-") != NULL;
	closedir(d);
	return n;
}

static unsigned temp_files_in_tree(const char *root)
{
	char path[512];
	unsigned n = temp_files_in(root);
	int i;

	for (i = 0; i < NDIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, tree_dirs[i]);
		n += temp_files_in(path);
	}
	return n;
}

int main(int argc, char **argv)
{
	char src_dir[] = "/var/tmp/rc-chaos-src-XXXXXX";
	char dst_dir[] = "/var/tmp/rc-chaos-dst-XXXXXX";
	uint64_t sums[NFILES], lens[NFILES];
	struct rh_scenario s;
	struct chaos c = { .s = &s };
	struct rc_ring *r;
	struct rc_pipe_pool *pipes = NULL;
	uint64_t copied = 0, cancelled = 0;
	char path[512], cmd[256];
	int i;

	rh_scenario_init(&s, "copy_chaos", argc, argv, 100);
	if (!mkdtemp(src_dir) || !mkdtemp(dst_dir) || make_dirs(src_dir) ||
	    make_dirs(dst_dir))
		return 2;
	for (i = 0; i < NFILES; i++) {
		/* sizes: empty, odd, block multiples, up to 3 MiB */
		uint64_t len = i == 0 ? 0 : rh_scenario_rand(&s, 3u << 20);
		int fd;

		if (i % 4 == 1)
			len &= ~65535ull;
		char rel[64];

		rel_path(i, rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s/%s", src_dir, rel);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || rh_fill_fd(fd, len, s.seed + (uint64_t)i))
			return 2;
		close(fd);
		sums[i] = file_sum(path, &lens[i]);
	}
	r = rh_scenario_ring(&s, 128);
	if (s.data_path && s.data_path != RC_DATA_READWRITE && !s.fallback) {
		/* two io-wq workers of each kind: splices queue up behind
		 * each other, so a cancel finds a pair's out still queued
		 * with its chunk in the pipe (cancel answers 0) */
		unsigned workers[2] = { 2, 2 };

		if (rc_pipe_pool_create(r, RC_SPLICE_DEFAULT_PAIRS, 128 * 1024,
					&pipes) ||
		    io_uring_register_iowq_max_workers(rc_ring_uring(r),
						       workers) < 0)
			return 2;
	}

	while (rh_scenario_more(&s)) {	/* one job: every file, once */
		struct rc_copy_opts o = {
			.queue_depth = 1 + (unsigned)rh_scenario_rand(&s, 16),
			.block_size = 4096u << rh_scenario_rand(&s, 7),
			.stop = &c.stop,
			.chaos = chaos_hook,
			.chaos_arg = &c,
			.data_path = s.data_path,
			.direct = s.direct,
			.memory = s.memory,
			.pipes = pipes,
		};

		c.stop = 0;
		for (i = 0; i < NFILES; i++) {
			struct rc_copy_result res;
			char src[512], dst[512];
			uint64_t len, sum;
			int ret;

			char rel[64];

			rel_path(i, rel, sizeof(rel));
			snprintf(src, sizeof(src), "%s/%s", src_dir, rel);
			snprintf(dst, sizeof(dst), "%s/%s", dst_dir, rel);
			unlink(dst);
			ret = rc_copy_file(r, src, dst, &o, &res);
			sum = file_sum(dst, &len);
			/* the pipes the next file gets: empty, or its data
			 * would follow a cancelled splice's bytes (checked
			 * here, before a full one blocks the next splice) */
			if (pipes && rc_pipe_pool_stale_bytes(pipes)) {
				rh_harness_violation(RH_VIOL_CHECKSUM,
					RH_DET_CHECKSUM, NULL, "a pipe to be "
					"lent for the next file holds %" PRIu64
					" bytes a cancelled splice left",
					rc_pipe_pool_stale_bytes(pipes));
				break;
			}
			if (ret == 0) {
				copied++;
				if (len != lens[i] || sum != sums[i])
					rh_harness_violation(RH_VIOL_CHECKSUM,
						RH_DET_CHECKSUM, NULL,
						"'%s' differs from its source "
						"(job %" PRIu64 ")", dst, s.done);
			} else {
				cancelled++;
				if (ret != -ECANCELED && ret != -EINTR)
					printf("copy_chaos: unexpected error: "
					       "%s\n", res.msg);
				if (len != UINT64_MAX)
					rh_harness_violation(RH_VIOL_CHECKSUM,
						RH_DET_CHECKSUM, NULL,
						"cancelled '%s' exists under "
						"its final name", dst);
			}
		}
		if (temp_files_in_tree(dst_dir))
			rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM,
					     NULL, "temporary files left in %s",
					     dst_dir);
		if (rc_ring_inflight(r))
			rh_harness_violation(RH_VIOL_OWNED_AT_EXIT,
					     RH_DET_LEDGER, NULL,
					     "ops still in flight after a job");
		s.done++;
	}
	if (pipes) {
		const struct rc_pipe_pool_stats *ps = rc_pipe_pool_stats(pipes);

		printf("copy_chaos: splice pairs: %" PRIu64 " splices, %" PRIu64
		       " pipes made, %" PRIu64 " lent, %" PRIu64 " retired "
		       "(cut in flight), %" PRIu64 " closed dirty\n",
		       rc_ring_stats(r)->splices, ps->made, ps->lent,
		       ps->retired, ps->dirty);
		if (!ps->retired) {
			printf("copy_chaos: FAIL: no splice pair was cut in "
			       "flight\n");
			c.op_cancels = 0;
		}
		rc_pipe_pool_destroy(pipes);
	}
	rh_scenario_ring_done(&s, r);
	printf("copy_chaos: %" PRIu64 " files copied and verified, %" PRIu64
	       " cancelled (%u op, %u file, %u job cancellations)\n", copied,
	       cancelled, c.op_cancels, c.file_cancels, c.job_cancels);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", src_dir, dst_dir);
	if (system(cmd))
		fprintf(stderr, "copy_chaos: cannot remove the work dirs\n");
	if (!copied || !c.op_cancels || !c.file_cancels || !c.job_cancels) {
		printf("copy_chaos: FAIL: the schedule did not exercise every "
		       "kind of cancellation\n");
		rh_scenario_finish(&s);
		return 1;
	}
	return rh_scenario_finish(&s);
}
