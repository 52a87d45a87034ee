/* SPDX-License-Identifier: MIT */
/*
 * bufcopy: the measurement driver of scripts/measure-buffers.sh.  Copies
 * each SRC into DST_DIR exactly as ringcp copies one file (rc_copy_file:
 * temporary name, rename into place), all on one ring with the buffer
 * strategy asked for, and prints one JSON object with the engine's
 * counters (allocations, ops) so allocations per operation can be
 * compared.  Production build: no trace points, no harness.
 *
 *   bufcopy --buffers=heap|pool|fixed|ring [--queue-depth=N]
 *           [--block-size=BYTES] [--fsync] DST_DIR SRC...
 *
 * Exit: 0 all copied, 1 usage, 4 io_uring (or the strategy) could not be
 * set up, 23 a file not copied.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ringcp/copy.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: bufcopy --buffers=heap|pool|fixed|ring "
		"[--queue-depth=N] [--block-size=BYTES] [--fsync] DST_DIR "
		"SRC...\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "buffers", required_argument, NULL, 'b' },
		{ "queue-depth", required_argument, NULL, 'Q' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "fsync", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rc_copy_opts opts = { 0 };
	struct rc_ring_params p = { 0 };
	struct rc_config cfg = { .buffers = "heap" };
	const struct rc_ring_stats *s;
	struct rc_copy_result *res;
	struct rc_ring *r;
	uint64_t bytes = 0, start, ns;
	int c, i, ret, failed = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			cfg.buffers = optarg;
			break;
		case 'Q':
			opts.queue_depth = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			opts.block_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'F':
			opts.fsync = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	/* as ringcp sets its ring up for one file */
	cfg.queue_depth = opts.queue_depth;
	cfg.block_size = opts.block_size;
	if (argc - optind < 2 || rc_config_ring_params(&cfg, &p)) {
		usage(stderr);
		return 1;
	}
	opts.umask = umask(0);
	umask(opts.umask);
	res = malloc(sizeof(*res));
	if (!res)
		return 1;
	start = rc_now_ns();
	ret = rc_ring_create(&r, &p);
	if (ret) {
		fprintf(stderr, "bufcopy: cannot set up io_uring with %s "
			"buffers: %s: %s\n", cfg.buffers, strerror(-ret),
			rc_setup_advice(ret));
		return 4;
	}
	for (i = optind + 1; i < argc; i++) {
		ret = rc_copy_file(r, argv[i], argv[optind], &opts, res);
		if (ret) {
			fprintf(stderr, "bufcopy: %s\n", res->msg);
			failed++;
			continue;
		}
		bytes += res->bytes;
	}
	s = rc_ring_stats(r);
	printf("{\"buffers\": \"%s\", \"files\": %d, \"bytes\": %" PRIu64
	       ", \"ops\": %" PRIu64 ", \"records_allocated\": %" PRIu64
	       ", \"buffers_allocated\": %" PRIu64 ", \"buf_gets\": %" PRIu64
	       ", \"reads_fixed\": %" PRIu64 ", \"writes_fixed\": %" PRIu64
	       ", \"reads_selected\": %" PRIu64 ", \"reads_nobufs\": %" PRIu64
	       ", \"enter_calls\": %" PRIu64, cfg.buffers, argc - optind - 1,
	       bytes, s->ops_submitted, s->records_allocated,
	       s->buffers_allocated, s->buf_gets, s->reads_fixed,
	       s->writes_fixed, s->reads_selected, s->reads_nobufs,
	       s->enter_calls);
	ret = rc_ring_destroy(r, RC_COPY_DRAIN_MS);
	ns = rc_now_ns() - start;
	printf(", \"elapsed_ns\": %" PRIu64 ", \"failed\": %d}\n", ns, failed);
	free(res);
	return failed || ret ? 23 : 0;
}
