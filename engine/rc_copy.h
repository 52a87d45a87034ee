/* SPDX-License-Identifier: MIT */
/*
 * Copying data on the engine: a file descriptor's data (rc_copy_fd) and a
 * whole file, written under a temporary name and renamed into place only
 * when complete (rc_copy_file).
 */
#ifndef RC_COPY_H
#define RC_COPY_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rc.h"

/* Defaults chosen by measurement: see README.md, "Defaults". */
#define RC_COPY_DEFAULT_QD	8
#define RC_COPY_DEFAULT_BS	(256u * 1024u)
#define RC_COPY_MAX_BS		(64u * 1024u * 1024u)
#define RC_COPY_MAX_QD		4096u
/* queue depth x block size is cut down to this much buffer memory */
#define RC_COPY_MAX_BUFFER_BYTES (256ull * 1024 * 1024)

/* How long an aborted copy waits for its cancelled ops before giving up. */
#define RC_COPY_DRAIN_MS	30000

struct rc_copy_opts {
	unsigned queue_depth;		/* ops in flight; 0: default */
	uint32_t block_size;		/* bytes per op; 0: default */
	bool fsync;			/* data and directory durable */
	bool no_fallocate;		/* do not preallocate */
	mode_t umask;			/* applied to the source's mode */
	const volatile sig_atomic_t *stop; /* non-zero: abort (signal) */
#ifdef RC_TRACE
	/*
	 * Harness builds only: asked on every turn of the copy loop with the
	 * number of ops in flight; returns RC_CHAOS_* (scenarios use it to
	 * cancel at random points of real copies).
	 */
	int (*chaos)(void *arg, unsigned busy);
	void *chaos_arg;
#endif
};

enum rc_chaos_action {
	RC_CHAOS_NONE,
	RC_CHAOS_CANCEL_OP,	/* cancel one op in flight: the file fails */
	RC_CHAOS_CANCEL_FILE,	/* abort the whole file */
};

enum rc_copy_side {
	RC_SIDE_NONE,
	RC_SIDE_SRC,
	RC_SIDE_DST,
};

/*
 * Copy src_fd's data into dst_fd at the same offsets, queue_depth reads
 * and writes in flight, each owning its buffer.  Short reads and writes
 * are continued; reading goes on past size_hint until a read returns 0,
 * and the size returned is the EOF actually read (the caller truncates).
 * Returns that size, or -errno with *side saying which file failed;
 * -EINTR if opts->stop was raised, -ECANCELED if the harness' chaos
 * hook cancelled an op or the file.  On error every op is cancelled and
 * drained before returning, so both fds may be closed, unless the drain
 * itself timed out (-ETIMEDOUT in *drain_err): then they must stay open.
 */
int64_t rc_copy_fd(struct rc_ring *r, int src_fd, int dst_fd,
		   uint64_t size_hint, const struct rc_copy_opts *opts,
		   enum rc_copy_side *side, int *drain_err);

struct rc_copy_result {
	uint64_t bytes;			/* size of the destination */
	int err;			/* 0 or -errno */
	char final_path[PATH_MAX];	/* where the file went (or would) */
	char msg[2 * PATH_MAX + 128];	/* the error, ready to print */
};

/*
 * Copy the regular file src to dst.  If dst is an existing directory the
 * file goes inside it under src's base name.  The data is written to a
 * temporary file in the target directory, which is renamed over the final
 * name only when the copy is complete; on any error or stop the temporary
 * file is removed and the final name is untouched.  Returns 0 or -errno,
 * with the error described in res->msg.
 */
int rc_copy_file(struct rc_ring *r, const char *src, const char *dst,
		 const struct rc_copy_opts *opts, struct rc_copy_result *res);

#endif
