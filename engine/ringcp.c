/* SPDX-License-Identifier: MIT */
/*
 * ringcp: copy a file through io_uring, safely.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rc_copy.h"

/* Exit codes (rsync's numbers where rsync has one). */
enum {
	RC_EXIT_OK = 0,
	RC_EXIT_USAGE = 1,
	RC_EXIT_NO_IO_URING = 4,
	RC_EXIT_SIGNAL = 20,
	RC_EXIT_NOT_COPIED = 23,
};

static volatile sig_atomic_t rc_stop;

static void rc_on_signal(int sig)
{
	rc_stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ringcp [OPTIONS] SRC DST\n"
"Copy the regular file SRC to DST through io_uring.  DST is a file name or an\n"
"existing directory to copy into.  The data goes to a temporary file in DST's\n"
"directory (unnamed where the filesystem has O_TMPFILE, so even SIGKILL leaves\n"
"nothing behind) that is renamed to its final name only once complete: the final\n"
"name never holds a partial copy, and an existing DST is replaced by the new\n"
"file.  Its mode is SRC's permission bits less the umask, without the\n"
"set-user-ID, set-group-ID and sticky bits, like cp without -p.\n"
"\n"
"Options:\n"
"  -Q, --queue-depth=N     reads and writes in flight (default %u, max %u;\n"
"                          cut so that N x SIZE stays within 256 MiB)\n"
"  -B, --block-size=SIZE   bytes per read or write; suffix K, M (default %uK,\n"
"                          4K to 64M)\n"
"      --fsync             make the file and its directory entry durable\n"
"                          before exiting\n"
"      --no-fallocate      do not preallocate the destination\n"
"  -v, --verbose           print what was copied and the engine's counters\n"
"  -h, --help              show this help and exit\n"
"  -V, --version           show the version and exit\n"
"\n"
"Exit status:\n"
"  0   the file was copied\n"
"  1   usage error (bad option or arguments)\n"
"  4   io_uring is not available here (the message says why and what to do)\n"
"  20  interrupted by SIGINT, SIGTERM or SIGHUP: in-flight I/O cancelled and\n"
"      drained, the temporary file removed, DST untouched\n"
"  23  the file was not copied (the message names the path and the error);\n"
"      DST untouched\n",
		RC_COPY_DEFAULT_QD, RC_COPY_MAX_QD, RC_COPY_DEFAULT_BS / 1024);
}

/* Parse "N", "NK", "NKiB", "NM"... (powers of 1024). Returns 0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')	/* no sign, no blank */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queue-depth", required_argument, NULL, 'Q' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "fsync", no_argument, NULL, 'F' },
		{ "no-fallocate", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct rc_copy_opts opts = { .stop = &rc_stop };
	struct rc_ring_params ring_params = { 0 };
	struct rc_copy_result res;
	struct sigaction sa;
	struct rc_ring *ring;
	bool verbose = false;
	uint64_t v;
	int c, ret;

	argv[0] = (char *)"ringcp";	/* getopt's messages say "ringcp:" */
	while ((c = getopt_long(argc, argv, "Q:B:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q':
			if (parse_size(optarg, &v) || v < 1 ||
			    v > RC_COPY_MAX_QD) {
				fprintf(stderr, "ringcp: invalid queue depth "
					"'%s': must be 1 to %u\n", optarg,
					RC_COPY_MAX_QD);
				return RC_EXIT_USAGE;
			}
			opts.queue_depth = (unsigned)v;
			break;
		case 'B':
			if (parse_size(optarg, &v) || v < 4096 ||
			    v > RC_COPY_MAX_BS) {
				fprintf(stderr, "ringcp: invalid block size "
					"'%s': must be 4K to 64M\n", optarg);
				return RC_EXIT_USAGE;
			}
			opts.block_size = (uint32_t)v;
			break;
		case 'F':
			opts.fsync = true;
			break;
		case 'N':
			opts.no_fallocate = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return RC_EXIT_OK;
		case 'V':
			printf("ringcp %s\n", RC_VERSION);
			return RC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'ringcp --help' for more "
				"information.\n");
			return RC_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "ringcp: %s\nTry 'ringcp --help' for more "
			"information.\n", argc - optind < 2 ?
			"missing SRC or DST operand" :
			"too many operands: give one SRC and one DST");
		return RC_EXIT_USAGE;
	}

	opts.umask = umask(0);
	umask(opts.umask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rc_on_signal;	/* no SA_RESTART: waits see EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* room for every op in flight, and a CQ that never overflows */
	ring_params.entries = opts.queue_depth ? opts.queue_depth :
						 RC_COPY_DEFAULT_QD;
	if (ring_params.entries < 32)
		ring_params.entries = 32;
	ring_params.cq_entries = 2 * ring_params.entries;
	ret = rc_ring_create(&ring, &ring_params);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up io_uring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		return RC_EXIT_NO_IO_URING;
	}
	ret = rc_copy_file(ring, argv[optind], argv[optind + 1], &opts, &res);
	if (ret)
		fprintf(stderr, "ringcp: %s\n", res.msg);
	else if (verbose)
		fprintf(stderr, "ringcp: '%s' -> '%s'\n", argv[optind],
			res.final_path);
	if (verbose)
		print_stats(rc_ring_stats(ring), res.bytes);
	rc_ring_destroy(ring, RC_COPY_DRAIN_MS);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	return ret ? RC_EXIT_NOT_COPIED : RC_EXIT_OK;
}
