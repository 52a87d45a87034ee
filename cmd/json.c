/* SPDX-License-Identifier: MIT */
/*
 * --json: one JSON document, units in the key names (fio's habit): the
 * version, the engine (io_uring or the synchronous fallback), the exit
 * code, whether a signal stopped the copy, the counts, errors by kind
 * (errno names), and the ring's counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* "ENOSPC" for ENOSPC (the common ones), else "errno-N" */
static const char *rc_errno_name(int err, char *buf, size_t size)
{
	static const struct { int err; const char *name; } names[] = {
		{ ENOENT, "ENOENT" }, { EACCES, "EACCES" }, { EPERM, "EPERM" },
		{ ENOSPC, "ENOSPC" }, { EIO, "EIO" }, { EROFS, "EROFS" },
		{ EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" }, { ELOOP, "ELOOP" }, { EXDEV, "EXDEV" },
		{ EDQUOT, "EDQUOT" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ EINVAL, "EINVAL" }, { ENOMEM, "ENOMEM" }, { EBUSY, "EBUSY" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ENOTEMPTY, "ENOTEMPTY" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, size, "errno-%d", err);
	return buf;
}

void rc_cmd_print_json(FILE *f, const struct rc_tree_stats *s,
		       const struct rc_ring *ring, int exit_code)
{
	const struct rc_ring_stats *rs = rc_ring_stats(ring);
	double secs = (double)s->elapsed_ns / 1e9;
	char buf[32];
	unsigned i;

	fprintf(f, "{\"version\": \"%s\", \"engine\": \"%s\", \"exit_code\": "
		"%d, \"interrupted\": %s, ", RC_VERSION,
		rc_ring_is_sync(ring) ? "fallback" : "io_uring", exit_code,
		exit_code == RC_EXIT_SIGNAL ? "true" : "false");
	fprintf(f, "\"files\": %" PRIu64 ", \"dirs\": %" PRIu64
		", \"symlinks\": %" PRIu64 ", \"specials\": %" PRIu64
		", \"hard_links\": %" PRIu64 ", \"skipped\": %" PRIu64
		", \"excluded\": %" PRIu64 ", \"deleted\": %" PRIu64
		", \"bytes\": %" PRIu64 ", \"cloned\": %" PRIu64
		", \"errors\": %" PRIu64
		", \"vanished\": %" PRIu64 ", \"in_flight_at_stop\": %" PRIu64
		", \"errors_by_kind\": {", s->files, s->dirs, s->symlinks,
		s->specials, s->hard_links, s->skipped, s->excluded, s->deleted,
		s->bytes, s->cloned, s->errors, s->vanished, s->in_flight);
	for (i = 0; i < RC_TREE_ERR_KINDS && s->err_kinds[i].count; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "",
			rc_errno_name(s->err_kinds[i].err, buf, sizeof(buf)),
			s->err_kinds[i].count);
	if (s->err_other)
		fprintf(f, "%s\"other\": %" PRIu64, i ? ", " : "",
			s->err_other);
	fprintf(f, "}, \"elapsed_ns\": %" PRIu64 ", \"bw_bytes_per_s\": %.0f"
		", \"files_per_s\": %.1f, \"ops_submitted\": %" PRIu64
		", \"enter_calls\": %" PRIu64 ", \"cancels\": %" PRIu64
		", \"data_budget_peak_bytes\": %" PRIu64
		", \"data_budget_waits\": %" PRIu64 "}\n",
		s->elapsed_ns, secs > 0 ? (double)s->bytes / secs : 0,
		secs > 0 ? (double)s->files / secs : 0, rs->ops_submitted,
		rs->enter_calls, rs->cancels, rs->charged_peak_bytes,
		s->budget_waits);
}
