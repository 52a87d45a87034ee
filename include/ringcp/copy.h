/* SPDX-License-Identifier: MIT */
/*
 * ringcp/copy.h: copying data on the engine: the pump (one file's data,
 * many pumps on one ring), a file descriptor's data (rc_copy_fd) and a
 * whole file, written under a temporary name and renamed into place only
 * when complete (rc_copy_file).
 */
#ifndef RINGCP_COPY_H
#define RINGCP_COPY_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "ring.h"

/* Reads in a row that may find the buffer ring empty before failing. */
#define RC_COPY_NOBUFS_RETRIES	100000

/* How long an aborted copy waits for its cancelled ops before giving up. */
#define RC_COPY_DRAIN_MS	30000

struct rc_pipe_pool;
struct rc_budget;

struct rc_copy_opts {
	unsigned queue_depth;		/* ops in flight; 0: default */
	uint32_t block_size;		/* bytes per op; 0: default (both as
					 * rc_config_resolve has them) */
	bool fsync;			/* data and directory durable */
	bool no_fallocate;		/* do not preallocate */
	enum rc_data_path data_path;	/* readwrite|splice|auto; 0: default */
	unsigned splice_pairs;		/* pipes in flight; 0: default */
	/* the pipes splice pairs use, shared by every file of a copy (the
	 * tree's); NULL: rc_copy_fd makes one for its file */
	struct rc_pipe_pool *pipes;
	uint64_t memory;		/* bytes of block buffers in flight,
					 * all files; 0: RC_COPY_DEFAULT_MEMORY */
	/* the budget every file's pump of a copy shares (the tree's);
	 * NULL: a lone pump, whose slots memory alone bounds */
	struct rc_budget *budget;
	enum rc_reflink reflink;	/* clone the data (FICLONE) first:
					 * 0 is RC_COPY_DEFAULT_REFLINK */
	enum rc_direct direct;		/* O_DIRECT writes: 0 is
					 * RC_COPY_DEFAULT_DIRECT */
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
	/*
	 * Harness builds only: how long an aborted copy waits for its
	 * cancelled ops (0: RC_COPY_DRAIN_MS); scenarios and tests that
	 * hold a request in the kernel shorten it.
	 */
	int drain_ms;
#endif
};

/* How long an aborted copy waits for its cancelled ops. */
static inline int rc_copy_drain_ms(const struct rc_copy_opts *o)
{
#ifdef RC_TRACE
	if (o->drain_ms)
		return o->drain_ms;
#endif
	(void)o;
	return RC_COPY_DRAIN_MS;
}

/* The reflink mode a copy with o runs with (0 resolved to the default). */
static inline enum rc_reflink rc_copy_reflink(const struct rc_copy_opts *o)
{
	return o->reflink ? o->reflink : RC_COPY_DEFAULT_REFLINK;
}

/*
 * Clone src_fd's whole data into dst_fd (ioctl FICLONE: dst gets src's
 * size, holes and extents, shared until either is written).  A
 * synchronous call that io_uring has no op for: the caller makes it only
 * while no request of its own names either fd.  Returns 0 or -errno:
 * -EXDEV (two filesystems), -EOPNOTSUPP (the filesystem cannot clone),
 * -EINVAL (this file cannot be: say, a swap file), or the error of the
 * filesystem.
 */
int rc_clone_fd(int src_fd, int dst_fd);

/*
 * Does err say that no file of this pair of filesystems can be cloned
 * (EXDEV, EOPNOTSUPP), so the caller need not try the next one?
 */
bool rc_clone_never_here(int err);

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

/*
 * A pump: one file's data (or one range of it) copied from src to dst at
 * the same offsets, up to queue_depth reads and writes in flight, each op
 * owning its block buffer (read -> write -> read ...).  Many pumps can
 * share one ring: the caller reaps, and hands each op whose
 * rc_pump_of() is non-NULL back with rc_pump_complete().
 */
struct rc_copy_slot;
struct rc_pump {
	struct rc_ring *r;
	int src, dst;
	uint32_t bs;
	uint32_t charge;	/* what a block costs the budget: bs rounded
				 * up to the pool's size class */
	uint64_t size_hint;	/* end of the range (the size seen at open) */
	bool exact_end;		/* never read past size_hint */
	uint64_t next_off;	/* next offset to read */
	uint64_t eof;		/* lowest offset a read returned 0 at */
	bool probe_out;		/* a read past the size hint is in flight */
	unsigned n_slots, busy;
	struct rc_copy_slot *slots;
	const struct rc_copy_opts *opts;
	unsigned nobufs_retries; /* reads that found the buffer ring empty */
	bool splice;		/* slots are splice pairs through pipes */
	struct rc_pipe_pool *pipes; /* ... taken from here */
	struct rc_budget *budget; /* its blocks are charged against this */
	bool waiting;		/* on the pool's or the budget's queue */
	/* direct I/O (engine/copy/direct.c) */
	bool direct;		/* dst is O_DIRECT: aligned writes go direct */
	uint32_t direct_align;	/* offset, length and memory alignment */
	unsigned parked;	/* writes held back until nothing is in
				 * flight, to go buffered (direct turned off) */
	struct rc_pump *wait_next;
	int err;		/* first error, 0 or -errno */
	enum rc_copy_side side;	/* which file it came from */
	void *owner;		/* free for the caller */
};

/* op->user_tag of the ops a pump owns */
#define RC_PUMP_TAG 0x70756d70u

/*
 * Start copying [start, end) of src_fd into dst_fd: allocate the slots and
 * their buffers and submit the first reads.  With exact_end false reading
 * goes on past end until a read returns 0 (a file that grew).  Returns 0
 * or -errno (also kept in c->err; rc_pump_abort() then cleans up).
 */
int rc_pump_start(struct rc_pump *c, struct rc_ring *r, int src_fd,
		  int dst_fd, uint64_t start, uint64_t end, bool exact_end,
		  const struct rc_copy_opts *opts);

/* The pump an op handed back by rc_ring_next() belongs to, or NULL. */
struct rc_pump *rc_pump_of(const struct rc_op *op);

/*
 * Take back one of the pump's ops from rc_ring_next(): continue a short
 * read or write, turn a read into its write, start the next reads.
 * Returns c->err (0 or -errno).
 */
int rc_pump_complete(struct rc_pump *c, struct rc_op *op);

/* true once nothing of the pump's is in flight (finished or failed) */
bool rc_pump_done(const struct rc_pump *c);

/* The size copied: the EOF actually read (UINT64_MAX if none seen). */
uint64_t rc_pump_eof(const struct rc_pump *c);

/* Give up: cancel the ops in flight (released by their own CQEs), give
 * back the idle ones.  The caller drains the ring before closing fds. */
void rc_pump_abort(struct rc_pump *c);

/* The ring's ops were all cancelled (rc_ring_cancel_all): give back only
 * the idle ops the pump still holds, and its slots. */
void rc_pump_forget(struct rc_pump *c);

/* Give back the slots of a finished pump (aborts one still busy). */
void rc_pump_end(struct rc_pump *c);

/*
 * The pipes of splice pairs (engine/copy/pipe.c): at most max lent at
 * once, which bounds the splices in flight of every file sharing the
 * pool; each pipe sized to the chunk.  A pipe is kernel-held: a splice
 * naming it may still run, and a splice that was cancelled or failed may
 * have left bytes in it.  So a pipe goes back (rc_pipe_put) as one of:
 */
enum rc_pipe_state {
	RC_PIPE_CLEAN,	/* every splice naming it answered, it is empty:
			 * lent again */
	RC_PIPE_DIRTY,	/* every splice naming it answered, it may hold
			 * bytes: closed now, a fresh one made when needed */
	RC_PIPE_NAMED,	/* cancelled splices may still name it: kept open
			 * (retired) until the ring has nothing in flight,
			 * then closed; never lent again */
};

struct rc_pipe {
	int rfd, wfd;		/* read and write ends */
	struct rc_pipe *next;
};

struct rc_pipe_pool_stats {
	uint64_t made;		/* pipes created */
	uint64_t lent;		/* gets answered with a pipe */
	uint64_t waits;		/* gets that found none free */
	uint64_t dirty;		/* closed at once: may have held bytes */
	uint64_t retired;	/* kept until the ring was quiet */
	uint64_t closed;	/* closed in all */
};

/*
 * A pool of at most max pipes of chunk bytes each, for copies on ring r.
 * Pipes are made on demand.  Returns 0 or -errno (-EOPNOTSUPP if the ring
 * cannot splice: a fallback ring, or no IORING_OP_SPLICE).
 */
int rc_pipe_pool_create(struct rc_ring *r, unsigned max, uint32_t chunk,
			struct rc_pipe_pool **poolp);

/* Bytes one pair moves: the pipes' capacity (what F_SETPIPE_SZ gave). */
uint32_t rc_pipe_pool_chunk(const struct rc_pipe_pool *p);

/*
 * Lend a pipe: a free one, or a new one while fewer than max are lent.
 * Returns 0, -EAGAIN if max are lent, or -errno if none could be made.
 */
int rc_pipe_get(struct rc_pipe_pool *p, struct rc_pipe **pipep);

/* Give a lent pipe back, saying what may be in it (see rc_pipe_state). */
void rc_pipe_put(struct rc_pipe_pool *p, struct rc_pipe *pipe,
		 enum rc_pipe_state how);

/* Pipes lent now, and retired ones still open. */
unsigned rc_pipe_pool_lent(const struct rc_pipe_pool *p);
unsigned rc_pipe_pool_retired(const struct rc_pipe_pool *p);
const struct rc_pipe_pool_stats *rc_pipe_pool_stats(const struct rc_pipe_pool *p);

/*
 * For observers (the harness' scenarios): bytes the kernel holds in the
 * pipes the pool would lend next (FIONREAD of each free pipe, after the
 * retired ones were dealt with if the ring is quiet).  A correct pool
 * answers 0: anything else would go into the next file copied.
 */
uint64_t rc_pipe_pool_stale_bytes(struct rc_pipe_pool *p);

/* A pump that found no pipe waits on the pool for one (FIFO), once. */
void rc_pipe_pool_wait(struct rc_pipe_pool *p, struct rc_pump *pump);
void rc_pipe_pool_unwait(struct rc_pipe_pool *p, struct rc_pump *pump);
/* The first waiting pump, taken off the list, if a pipe is free for it. */
struct rc_pump *rc_pipe_pool_waker(struct rc_pipe_pool *p);

/*
 * Close every pipe, once the ring has nothing in flight (after its drain).
 * With requests still in flight (a drain that timed out) the pipes stay
 * open, as the fds of the files do, and -EBUSY is returned.  The pool
 * is freed either way.
 */
int rc_pipe_pool_destroy(struct rc_pipe_pool *p);

/*
 * The pool a copy with opts on ring r needs: NULL (and 0) for the
 * read/write path, or where the ring cannot splice (auto then reads and
 * writes); otherwise a new pool of opts' splice pairs.  0 or -errno.
 */
int rc_pipe_pool_for(struct rc_ring *r, const struct rc_copy_opts *opts,
		     struct rc_pipe_pool **poolp);

/*
 * The data budget of a copy (engine/copy/budget.c): at most `bytes` of
 * block buffers charged at once (rc_op_charge) by every pump sharing it;
 * one block is always allowed when nothing is charged.  Charges come back
 * when a block is written, or with the CQE of an op given up in flight.
 * A pump with nothing in flight that finds no room waits on the budget
 * and is started again by rc_budget_wake().  bytes 0: the default;
 * returns 0, -EINVAL (out of RC_COPY_MIN_MEMORY..RC_COPY_MAX_MEMORY) or
 * -ENOMEM.
 */
int rc_budget_create(struct rc_ring *r, uint64_t bytes,
		     struct rc_budget **bp);
/* Free it (no pump may be waiting on it). */
void rc_budget_destroy(struct rc_budget *b);
uint64_t rc_budget_limit(const struct rc_budget *b);
/* May bytes more be charged now? */
bool rc_budget_room(const struct rc_budget *b, uint64_t bytes);
/* A pump with nothing in flight that found no room waits (FIFO), once. */
void rc_budget_wait(struct rc_budget *b, struct rc_pump *pump);
void rc_budget_unwait(struct rc_budget *b, struct rc_pump *pump);
/* The first waiting pump, taken off the queue, if there is room for its
 * block. */
struct rc_pump *rc_budget_waker(struct rc_budget *b);
unsigned rc_budget_waiting(const struct rc_budget *b);
/* Start the waiting pumps while there is room (copy/pump.c).  The
 * caller of rc_ring_next calls it after handing back its ops: an op
 * given up in flight gives its charge back with its CQE. */
void rc_budget_wake(struct rc_budget *b);

struct rc_budget_stats {
	uint64_t limit_bytes;
	uint64_t waits;			/* pumps that waited for room */
	uint64_t wakes;			/* ... and were started again */
	uint64_t charged_peak_bytes;	/* the ring's most charged at once */
};
void rc_budget_stats(const struct rc_budget *b, struct rc_budget_stats *st);

/* How much of the base a temporary name keeps. */
#define RC_TEMP_BASE_MAX	200

/* A fresh name ".<base>.ringcp-XXXXXXXX" for a temporary entry (the
 * first RC_TEMP_BASE_MAX bytes of base). */
int rc_temp_name(const char *base, char *tmp, size_t size);

/* Is name one such temporary name (for this base only, if not NULL)? */
bool rc_is_temp_name(const char *name, const char *base);

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
