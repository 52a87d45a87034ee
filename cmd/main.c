/* SPDX-License-Identifier: MIT */
/*
 * ringcp: copy files and trees through io_uring, safely.  Parses the
 * command line (args.c), sets up one ring with the resolved defaults
 * (ringcp/config.h), and runs the copy on the tree engine (rc_tree_copy):
 * with cp's rules in single-file mode, with rsync's given a tree option.
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

/*
 * The copy of the operands ops[0..n-2] into ops[n-1], on the tree engine
 * in both modes.  Exit codes: rsync's with a tree option; cp's (1 for any
 * error) in single-file mode; 20 for a signal in both.
 */
static int run_copy(struct rc_ring *ring, const struct rc_cmd *c)
{
	struct rc_tree_src *srcs = calloc((size_t)c->nops, sizeof(*srcs));
	bool cp = c->topts.cp;
	struct rc_tree_stats st;
	int i, ret;

	if (!srcs) {
		fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
		return cp ? RC_EXIT_USAGE : RC_EXIT_NOT_COPIED;
	}
	for (i = 0; i < c->nops - 1; i++)
		srcs[i].path = c->ops[i];
	ret = rc_tree_copy(ring, srcs, (unsigned)c->nops - 1,
			   c->ops[c->nops - 1], &c->topts, &st);
	free(srcs);
	if (c->topts.stats)
		rc_cmd_print_stats(stdout, &st, c->topts.human);
	if (c->json)
		rc_tree_print_json(stdout, &st, rc_ring_stats(ring));
	if (cp && c->verbose)
		print_stats(rc_ring_stats(ring), st.bytes);
	fflush(stdout);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	if (ret == -EINVAL)
		return RC_EXIT_USAGE;
	if (cp)
		return ret || st.errors || st.vanished ? RC_EXIT_CP_ERROR :
		       RC_EXIT_OK;
	if (ret || st.errors)
		return RC_EXIT_NOT_COPIED;
	return st.vanished ? RC_EXIT_VANISHED : RC_EXIT_OK;
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
	c.topts.copy.umask = umask(0);	/* every mode is set explicitly */
	rc_catch_signals();
	/* checked while parsing: cannot fail */
	rc_config_ring_params(&c.cfg, &ring_params);
	ret = rc_ring_create(&ring, &ring_params);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up io_uring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		return RC_EXIT_NO_IO_URING;
	}
	ret = run_copy(ring, &c);
	rc_ring_destroy(ring, RC_COPY_DRAIN_MS);
	return ret;
}
