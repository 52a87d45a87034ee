/* SPDX-License-Identifier: MIT */
/*
 * ringcp: copy files and trees through io_uring, safely.  Parses the
 * command line (args.c), sets up one ring with the resolved defaults
 * (ringcp/config.h), and runs a single-file copy (rc_copy_file) or a
 * tree copy (rc_tree_copy).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

static volatile sig_atomic_t rc_stop;

static void rc_on_signal(int sig)
{
	rc_stop = sig;
}

/* SIGINT, SIGTERM, SIGHUP raise rc_stop (no SA_RESTART: waits see EINTR) */
static void rc_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rc_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void print_stats(const struct rc_ring_stats *s, uint64_t bytes)
{
	fprintf(stderr,
		"ringcp: %" PRIu64 " bytes; %" PRIu64 " ops submitted, %" PRIu64
		" CQEs, %" PRIu64 " io_uring_enter calls, %" PRIu64
		" cancels, %" PRIu64 " stale CQEs\n",
		bytes, s->ops_submitted, s->cqes, s->enter_calls, s->cancels,
		s->stale_cqes);
}

/* The tree copy of the operands argv[0..n-2] into argv[n-1]. */
static int run_tree(struct rc_ring *ring, char **ops, int n,
		    const struct rc_tree_opts *topts, bool json)
{
	struct rc_tree_src *srcs = calloc((size_t)n, sizeof(*srcs));
	struct rc_tree_stats st;
	int i, ret;

	if (!srcs) {
		fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
		return RC_EXIT_NOT_COPIED;
	}
	for (i = 0; i < n - 1; i++)
		srcs[i].path = ops[i];
	ret = rc_tree_copy(ring, srcs, (unsigned)n - 1, ops[n - 1], topts, &st);
	free(srcs);
	if (json)
		rc_tree_print_json(stdout, &st, rc_ring_stats(ring));
	fflush(stdout);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	if (ret == -EINVAL)
		return RC_EXIT_USAGE;
	if (ret || st.errors)
		return RC_EXIT_NOT_COPIED;
	return st.vanished ? RC_EXIT_VANISHED : RC_EXIT_OK;
}

/* One regular file, like cp. */
static int run_file(struct rc_ring *ring, const struct rc_cmd *c)
{
	struct rc_copy_result res;
	int ret;

	ret = rc_copy_file(ring, c->ops[0], c->ops[1], &c->topts.copy, &res);
	if (ret)
		fprintf(stderr, "ringcp: %s\n", res.msg);
	else if (c->verbose)
		fprintf(stderr, "ringcp: '%s' -> '%s'\n", c->ops[0],
			res.final_path);
	if (c->verbose)
		print_stats(rc_ring_stats(ring), res.bytes);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	return ret ? RC_EXIT_NOT_COPIED : RC_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct rc_cmd c = { .topts = { .copy = { .stop = &rc_stop } } };
	struct rc_ring_params ring_params = { 0 };
	struct rc_ring *ring;
	int ret;

	ret = rc_cmd_parse(&c, argc, argv);
	if (ret >= 0)
		return ret;
	c.topts.copy.umask = umask(0);
	if (!c.tree)
		umask(c.topts.copy.umask);	/* a tree sets every mode itself */
	rc_catch_signals();
	/* checked while parsing: cannot fail */
	rc_config_ring_params(&c.cfg, &ring_params);
	ret = rc_ring_create(&ring, &ring_params);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up io_uring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		return RC_EXIT_NO_IO_URING;
	}
	if (c.tree)
		ret = run_tree(ring, c.ops, c.nops, &c.topts, c.json);
	else
		ret = run_file(ring, &c);
	rc_ring_destroy(ring, RC_COPY_DRAIN_MS);
	return ret;
}
