/* SPDX-License-Identifier: MIT */
/*
 * The tree copy's scheduler: the operands are walked in turn and their
 * entries started until files_in_flight regular files are in flight on
 * the one ring; every op that comes back goes to its job; a stop (signal,
 * or the harness' chaos hook) aborts the whole run: cancel, drain, and
 * only then close and forget.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_int.h"

/* The operands, fed to the scheduler one walk at a time. */
struct rc_feed {
	const struct rc_tree_src *srcs;
	unsigned n, next;	/* operands, and the next to set up */
	const char *dst;
	bool dst_is_dir;
	struct rc_walk *w;	/* the walk of the operand under way */
};

/* Hand every op that came back to its job (or pump). */
static void rc_tree_reap(struct rc_tree *t)
{
	struct rc_op *op;

	while ((op = rc_ring_next(t->r)))
		rc_job_reap(op);
	/* an op given up in flight gave its block's charge back with its
	 * CQE: pumps waiting for the budget may go on */
	rc_budget_wake(t->copy.budget);
}

/*
 * Abort, first step: ops come back to their jobs as usual (each winds down
 * at its next step, t->stopping) until no staged create is out.  Returns 0,
 * -ETIMEDOUT after timeout_ms, or -errno if waiting fails.
 */
static int rc_tree_settle_creates(struct rc_tree *t, int timeout_ms)
{
	uint64_t deadline = rc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int ret;

	while (rc_jobs_creating()) {
		uint64_t now = rc_now_ns();
		int left_ms;

		if (now >= deadline)
			return -ETIMEDOUT;
		left_ms = (int)((deadline - now) / 1000000ull) + 1;
		ret = rc_ring_wait(t->r, 1, left_ms < 100 ? left_ms : 100);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return ret;
		rc_tree_reap(t);
	}
	return 0;
}

/*
 * Stop everything: let the staged creates answer (whether a final name is
 * a job's own to remove, or another operand's file, only that answer
 * tells), cancel, drain, then close and forget every job.
 */
static int rc_tree_abort(struct rc_tree *t)
{
	int ms = rc_copy_drain_ms(&t->o->copy);
	int ret;

	t->stopping = true;
#ifdef RC_MUTANT_FD_CLOSE_EARLY
	/* MUTANT: "aborting: close the files at once", before the drain */
	rc_jobs_close_fds();
#endif
	ret = rc_tree_settle_creates(t, ms);
	rc_ring_cancel_all(t->r);
	if (!ret)
		ret = rc_ring_drain(t->r, ms);
	if (ret) {
		/* fds stay open (process exit waits); the jobs point into
		 * this run's frame, which returns: set them apart */
		rc_jobs_abandon();
		return ret;
	}
	rc_jobs_forget(t);
	return 0;
}

/*
 * Harness builds only: the chaos hook may abort the whole job at any turn
 * of the loop, with every kind of op of every file in flight.
 */
static bool rc_tree_chaos(struct rc_tree *t)
{
#ifdef RC_TRACE
	const struct rc_copy_opts *o = &t->o->copy;

	return o->chaos && o->chaos(o->chaos_arg, t->active) != RC_CHAOS_NONE;
#else
	(void)t;
	return false;
#endif
}

/*
 * Start entries until files_max jobs are in flight or no operand is left.
 * Returns 0, or -errno when the operands cannot be walked on (the jobs in
 * flight still finish).
 */
static int rc_tree_feed(struct rc_tree *t, struct rc_feed *f)
{
	struct rc_dir *d;
	const char *name;
	unsigned char type;
	int ret;

	while (t->active < t->files_max) {
		if (!f->w) {
			if (f->next == f->n)
				return 0;
			ret = f->srcs[f->next].base ?
			      rc_tree_operand_rel(t, f->srcs[f->next].base,
						  f->srcs[f->next].path,
						  f->dst, &f->w) :
			      rc_tree_operand(t, f->srcs[f->next].path, f->dst,
					      f->dst_is_dir, &f->w);
			f->next++;
			if (ret)
				return ret;
			continue;
		}
		ret = rc_walk_next(f->w, &d, &name, &type);
		if (ret <= 0) {
			rc_walk_free(f->w);
			f->w = NULL;
			if (ret)
				return ret;
			continue;
		}
		rc_tree_entry(t, d, name, name, type);
	}
	return 0;
}

/*
 * After a stop (tree mode; single-file mode names its file only, as it
 * did): what was left, and that a rerun completes it.
 */
static void rc_tree_said_stop(struct rc_tree *t, const struct rc_feed *f)
{
	if (t->o->cp || t->o->quiet)
		return;
	fprintf(stderr, "ringcp: interrupted: %llu file(s) in flight were not "
		"copied (removed), %s; run the same command again to "
		"complete the copy\n", (unsigned long long)t->st->in_flight,
		f->next < f->n ? "operands not started remain" :
		"the rest of the tree was not walked");
}

/* The loop: feed, wait, reap, until everything is done or stopped. */
static int rc_tree_run(struct rc_tree *t, struct rc_feed *f)
{
	const struct rc_copy_opts *o = &t->o->copy;
	int ret;

	for (;;) {
		if ((o->stop && *o->stop) || rc_tree_chaos(t)) {
			t->stopping = true;	/* before any dir is done */
			t->st->in_flight = t->active;
			rc_walk_free(f->w);
			f->w = NULL;
			ret = rc_tree_abort(t);
			rc_tree_said_stop(t, f);
			return ret ? ret : -EINTR;
		}
		ret = rc_tree_feed(t, f);
		if (ret < 0) {
			rc_tree_err(t, ret, "cannot go on");
			rc_walk_free(f->w);
			f->w = NULL;
			f->next = f->n;
		}
		if (!t->active && !f->w && f->next == f->n)
			return 0;
		ret = rc_ring_wait(t->r, 1, -1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			rc_tree_err(t, ret, "io_uring wait failed");
			t->stopping = true;
			rc_walk_free(f->w);
			f->w = NULL;
			rc_tree_abort(t);
			return ret;
		}
		rc_tree_reap(t);
		rc_tree_progress(t, false);
	}
}

/* --progress: files and bytes of the operands, measured first (ETA) */
static void rc_tree_measure(struct rc_tree *t, const struct rc_tree_src *srcs,
			    unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		int base = srcs[i].base ? open(srcs[i].base, O_RDONLY |
					       O_DIRECTORY | O_CLOEXEC) :
					  AT_FDCWD;
		int fd = openat(base, srcs[i].path, O_RDONLY | O_DIRECTORY |
				O_CLOEXEC);
		struct stat s;

		if (fd >= 0) {
			rc_walk_measure(fd, &t->total_files, &t->total_bytes);
			close(fd);
		} else if (fstatat(base, srcs[i].path, &s, 0) == 0) {
			t->total_files++;
			t->total_bytes += (uint64_t)s.st_size;
		}
		if (base >= 0)
			close(base);
	}
}

int rc_tree_copy(struct rc_ring *r, const struct rc_tree_src *srcs,
		 unsigned nsrcs, const char *dst,
		 const struct rc_tree_opts *opts, struct rc_tree_stats *stats)
{
	struct rc_tree t = {
		.r = r,
		.o = opts,
		.st = stats,
		.euid = geteuid(),
		.egid = getegid(),
	};
	struct rc_config cfg = {
		.tree = true,
		.files_in_flight = opts->files_in_flight,
		.queue_depth = opts->copy.queue_depth,
		.block_size = opts->copy.block_size,
		.memory = opts->copy.memory,
	};
	struct rc_budget_stats bst;
	struct rc_feed f = { .srcs = srcs, .n = nsrcs, .dst = dst };
	unsigned i;
	int ret;

	memset(stats, 0, sizeof(*stats));
	t.root = t.euid == 0;
	t.ld_fd = -1;
	t.ordered = (opts->verbose || opts->itemize) && !opts->cp;
	t.start_ns = rc_now_ns();
	t.last_progress_ns = t.start_ns;	/* the first line after one interval */
	t.progress_tty = isatty(STDERR_FILENO);
	if (!dst[0]) {
		fprintf(stderr, "ringcp: cannot create '': %s\n",
			strerror(ENOENT));
		return -EINVAL;
	}
	if (rc_config_resolve(&cfg)) {
		fprintf(stderr, "ringcp: invalid queue depth, block size, "
			"memory or files in flight\n");
		return -EINVAL;
	}
	t.files_max = cfg.files_in_flight;
	f.dst_is_dir = rc_tree_dst_is_dir(srcs, nsrcs, dst, opts);
	for (i = 0; i < nsrcs; i++)
		if (!srcs[i].base &&
		    rc_tree_check_operand(&t, srcs[i].path, dst, f.dst_is_dir))
			return -EINVAL;
	if (opts->progress)
		rc_tree_measure(&t, srcs, nsrcs);
	t.copy = opts->copy;
	ret = rc_pipe_pool_for(r, &t.copy, &t.copy.pipes);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up the splice data path: "
			"%s\n", strerror(-ret));
		return ret;
	}
	/* one data budget for every file's pump */
	ret = rc_budget_create(r, cfg.memory, &t.copy.budget);
	if (ret) {
		rc_pipe_pool_destroy(t.copy.pipes);
		return ret;
	}
	ret = rc_tree_run(&t, &f);
	/* after the run's drain; kept open if it timed out */
	rc_pipe_pool_destroy(t.copy.pipes);
	rc_budget_stats(t.copy.budget, &bst);
	stats->budget_waits = bst.waits;
	/* a drain that timed out left pumps that name it: kept, as the
	 * fds of their files are */
	if (!rc_ring_inflight(r))
		rc_budget_destroy(t.copy.budget);
	rc_hlink_free(&t);
	if (t.ld_fd >= 0)
		close(t.ld_fd);
	stats->elapsed_ns = rc_now_ns() - t.start_ns;
	rc_tree_progress(&t, true);
	return ret;
}
