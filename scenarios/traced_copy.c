/* SPDX-License-Identifier: MIT */
/*
 * Description: copy one file exactly as ringcp does (rc_copy_file), but on
 * the harness build: every trace point hooked, the ledger kept, buffers
 * from the guard-page quarantine, every SQE checked, the result
 * checksummed.  Used to measure what the trace points and detectors cost
 * against the production ringcp, and as a proof run on real data.
 *
 *   traced_copy [--queue-depth=N] [--block-size=BYTES] [--json=PATH]
 *               [--no-checksum] SRC DST
 * --no-checksum leaves out the final read-back, to time the copy alone.
 * Exit: 0 copied with no violation, 1 violations, 2 usage or copy error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "ringcp/copy.h"
#include "harness.h"

static int checksum_path(const char *path, uint64_t len, uint64_t *sum)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = rh_checksum_fd(fd, len, sum);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queue-depth", required_argument, NULL, 'Q' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "json", required_argument, NULL, 'j' },
		{ "no-checksum", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct rh_harness_opts ho = { .scenario = "traced_copy", .quiet = true };
	struct rc_copy_opts co = { 0 };
	struct rc_ring_params p = { 0 };
	struct rc_copy_result res;
	struct rc_ring *r;
	struct stat st;
	uint64_t a = 0, b = 1;
	bool checksum = true;
	int c, ret;

	while ((c = getopt_long(argc, argv, "Q:B:", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q':
			co.queue_depth = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			co.block_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'j':
			ho.json_path = optarg;
			break;
		case 'n':
			checksum = false;
			break;
		default:
			fprintf(stderr, "Usage: traced_copy [-Q N] [-B BYTES] "
				"[--json=PATH] SRC DST\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "Usage: traced_copy [-Q N] [-B BYTES] "
			"[--json=PATH] SRC DST\n");
		return 2;
	}
	co.umask = umask(0);
	umask(co.umask);
	rh_harness_start(&ho);
	rh_harness_ring_params(&p);
	p.entries = 64;
	ret = rc_ring_create(&r, &p);
	if (ret) {
		fprintf(stderr, "traced_copy: cannot set up io_uring: %s\n",
			rc_setup_advice(ret));
		return 2;
	}
	ret = rc_copy_file(r, argv[optind], argv[optind + 1], &co, &res);
	if (ret)
		fprintf(stderr, "traced_copy: %s\n", res.msg);
	rh_harness_account(res.bytes * 2, rc_ring_stats(r)->cqes);
	rh_harness_add_ring(r);
	rc_ring_destroy(r, RC_COPY_DRAIN_MS);
	if (!ret && checksum && (stat(argv[optind], &st) || (uint64_t)st.st_size != res.bytes ||
		     checksum_path(argv[optind], res.bytes, &a) ||
		     checksum_path(res.final_path, res.bytes, &b) || a != b))
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "'%s' differs from '%s'", res.final_path,
				     argv[optind]);
	if (rh_harness_finish())
		return 1;
	return ret ? 2 : 0;
}
