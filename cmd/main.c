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
#include <unistd.h>

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
static int rc_exit_code(const struct rc_cmd *c, int ret,
			const struct rc_tree_stats *st)
{
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	if (ret == -EINVAL)
		return RC_EXIT_USAGE;
	if (c->topts.cp)
		return ret || st->errors || st->vanished ? RC_EXIT_CP_ERROR :
		       RC_EXIT_OK;
	if (ret || st->errors)
		return RC_EXIT_NOT_COPIED;
	return st->vanished ? RC_EXIT_VANISHED : RC_EXIT_OK;
}

/*
 * Where --json goes: --json=FILE, opened before anything is copied; else
 * stdout, alone: what else would go there (-v, --stats) goes to stderr.
 * Returns the stream, or NULL with the error printed.
 */
static FILE *rc_json_open(const struct rc_cmd *c)
{
	FILE *f;
	int fd;

	if (c->json_path) {
		f = fopen(c->json_path, "w");
		if (!f)
			fprintf(stderr, "ringcp: cannot create '%s': %s\n",
				c->json_path, strerror(errno));
		return f;
	}
	fflush(stdout);
	fd = dup(STDOUT_FILENO);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		fprintf(stderr, "ringcp: cannot write to stdout: %s\n",
			strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	return f;
}

/*
 * The copy of the operands ops[0..n-2] into ops[n-1], on the tree engine
 * in both modes.  Exit codes: rsync's with a tree option; cp's (1 for any
 * error) in single-file mode; 20 for a signal in both.
 */
static int run_copy(struct rc_ring *ring, const struct rc_cmd *c)
{
	int n = c->files_from ? c->nfrom + 1 : c->nops;
	struct rc_tree_src *srcs = calloc((size_t)n, sizeof(*srcs));
	struct rc_tree_stats st;
	FILE *json = NULL;
	int i, ret;

	if (!srcs) {
		fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
		return c->topts.cp ? RC_EXIT_USAGE : RC_EXIT_NOT_COPIED;
	}
	if (c->json && !(json = rc_json_open(c))) {
		free(srcs);
		return RC_EXIT_USAGE;
	}
	for (i = 0; i < n - 1; i++) {
		/* --files-from: each path relative to the one SRC */
		srcs[i].path = c->files_from ? c->from[i] : c->ops[i];
		srcs[i].base = c->files_from ? c->ops[0] : NULL;
	}
	ret = rc_tree_copy(ring, srcs, (unsigned)n - 1, c->ops[c->nops - 1],
			   &c->topts, &st);
	free(srcs);
	ret = rc_exit_code(c, ret, &st);
	if (c->topts.stats)
		rc_cmd_print_stats(stdout, &st, c->topts.human);
	if (c->topts.cp && c->verbose)
		print_stats(rc_ring_stats(ring), st.bytes);
	fflush(stdout);
	if (json) {
		rc_cmd_print_json(json, &st, ring, ret);
		if (fclose(json) && !ret) {
			fprintf(stderr, "ringcp: cannot write the JSON summary: "
				"%s\n", strerror(errno));
			ret = RC_EXIT_NOT_COPIED;
		}
	}
	return ret;
}

/* What parsing allocated. */
static void rc_cmd_free(struct rc_cmd *c)
{
	free(c->filters);
	while (c->npatterns)
		free(c->patterns[--c->npatterns]);
	free(c->patterns);
	while (c->nfrom)
		free(c->from[--c->nfrom]);
	free(c->from);
}

/* RINGCP_NO_IO_URING=1 (or any but "0" and ""): force the fallback */
static bool rc_env_no_io_uring(void)
{
	const char *v = getenv("RINGCP_NO_IO_URING");

	return v && *v && strcmp(v, "0");
}

/*
 * The ring: io_uring's, or where it cannot be set up (or --no-io-uring),
 * the synchronous fallback with a one-line notice.  Returns 0, or the
 * exit code to leave with (message printed).
 */
static int rc_open_ring(struct rc_cmd *c, struct rc_ring **ring)
{
	struct rc_ring_params p = { 0 };
	const struct rc_buf_ops *pool;
	int ret;

	/* checked while parsing: cannot fail */
	rc_config_ring_params(&c->cfg, &p);
	c->topts.copy.reflink = c->cfg.reflink;	/* resolved */
	if (!c->no_io_uring && !rc_env_no_io_uring()) {
		ret = rc_ring_create(ring, &p);
		if (!ret)
			return 0;
		fprintf(stderr, "ringcp: cannot set up io_uring: %s: copying "
			"with the synchronous fallback engine (slower); %s\n",
			strerror(-ret), rc_setup_advice(ret));
	}
	/* fixed and ring buffers live in io_uring: pool's the same size */
	if (c->cfg.buffers && (!strcmp(c->cfg.buffers, "fixed") ||
			       !strcmp(c->cfg.buffers, "ring")) &&
	    rc_buf_strategy_by_name("pool", &pool) == 0)
		p.strategy = pool;
	ret = rc_ring_create_sync(ring, &p);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up the copy engine: %s\n",
			strerror(-ret));
		return RC_EXIT_NO_IO_URING;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rc_cmd c = { .topts = { .copy = { .stop = &rc_stop } } };
	struct rc_ring *ring;
	int ret;

	ret = rc_cmd_parse(&c, argc, argv);
	if (ret >= 0) {
		rc_cmd_free(&c);
		return ret;
	}
	c.topts.copy.umask = umask(0);	/* every mode is set explicitly */
	rc_catch_signals();
	ret = rc_open_ring(&c, &ring);
	if (ret) {
		rc_cmd_free(&c);
		return ret;
	}
	ret = run_copy(ring, &c);
	/* the process exits next: no wait for the proof of the ring's end */
	rc_ring_destroy_at_exit(ring, RC_COPY_DRAIN_MS);
	rc_cmd_free(&c);
	return ret;
}
