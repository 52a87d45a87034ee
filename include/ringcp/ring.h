/* SPDX-License-Identifier: MIT */
/*
 * ringcp/ring.h: the engine's op protocol, its ring, buffers and trace.
 *
 * One ring per thread (struct rc_ring is never shared between threads).
 * Every I/O is an operation record (struct rc_op) that owns the memory
 * its SQE points at: the data buffer, a path string, a timespec.
 *
 * The protocol (docs/protocol.md):
 *  - A record carries two owner bits, APP and KERNEL.  rc_op_get() hands out
 *    a record with APP set.  rc_op_submit() moves the record (and its
 *    buffer) into the engine; KERNEL is set before its SQE can be seen by
 *    the kernel, which is only at io_uring_submit() time (no SQPOLL).
 *  - The op's own CQE clears KERNEL.  If APP is still set the record waits
 *    on the ready list until rc_ring_next() hands it back with its result
 *    and buffer together.  If APP was dropped the record and its buffer are
 *    released right there, after its effects are accounted for (halt
 *    safety: bytes written, an fd opened).
 *  - rc_op_cancel() drops APP.  If KERNEL is clear the record is released
 *    now; else an ASYNC_CANCEL is queued and nothing is freed: whatever the
 *    cancel answers (0, -ENOENT, -EALREADY), only the op's own CQE frees.
 *  - rc_ring_destroy() cancels everything, reaps until nothing is in
 *    flight, proves the ring is gone (pipe barrier), and only then frees.
 *    If that cannot finish in time it leaks and says so.
 *
 * Each SQE's user_data names a record, which of its SQEs it is, and the
 * record's life (rc_ud_decode below).  A CQE is acted on only if it names
 * a record of this ring, in that record's current life, while the record
 * is in flight; anything else is counted as stale or unknown and
 * reported, never acted on.
 *
 * Every function that can fail returns a negative errno.
 */
#ifndef RINGCP_RING_H
#define RINGCP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/time_types.h>
#include <liburing.h>

#define RC_VERSION "0.1.0"

enum rc_owner {
	RC_OWNER_APP = 1u << 0,
	RC_OWNER_KERNEL = 1u << 1,
};

/* Where a record is.  The owner bits are the protocol; this is bookkeeping. */
enum rc_op_state {
	RC_OP_FREE,	/* on the ring's free list, owned by nobody */
	RC_OP_IDLE,	/* held by the caller (APP only) */
	RC_OP_QUEUED,	/* in the engine's submit queue: no SQE yet */
	RC_OP_INFLIGHT,	/* SQE written: the kernel owns its memory */
	RC_OP_READY,	/* CQE reaped, not yet handed to the caller */
};

struct rc_ring;

struct rc_op {
	/* the request; filled by rc_op_prep_*() */
	uint8_t opcode;		/* IORING_OP_* */
	uint8_t sqe_flags;	/* IOSQE_* set by the caller */
	uint8_t owner;		/* RC_OWNER_* bits */
	uint8_t state;		/* enum rc_op_state */
	int fd;
	uint64_t off;		/* file offset */
	void *buf;		/* owned buffer (or NULL) */
	size_t buf_size;	/* its capacity */
	size_t io_off;		/* the I/O starts at buf + io_off */
	uint32_t len;		/* I/O length */
	uint32_t rw_flags;	/* open flags, fsync flags, fallocate mode */
	uint32_t mode;		/* openat mode */
	int dfd;		/* openat directory fd */
	char *path;		/* owned copy of the (old) path */
	char *path2;		/* owned copy of the new path: linkat, renameat */
	int splice_fd_in;	/* splice: the fd data comes from (fd is
				 * where it goes) */
	uint64_t splice_off_in;	/* ... and its offset; RC_SPLICE_NO_OFF: a
				 * pipe (so is off for a pipe fd) */
	uint64_t link_timeout_ns; /* 0: no linked timeout */
	struct __kernel_timespec ts; /* the linked timeout's, owned */

	/* the answer; valid once rc_ring_next() returned the op */
	int res;
	uint32_t cqe_flags;
	int cancel_res;		/* last ASYNC_CANCEL answer, RC_CANCEL_NONE if none */

	/* free for the caller: never touched by the engine */
	void *user;
	uint64_t user_tag;

	/* set by the engine; observers (the harness, tests) may read them */
	struct rc_ring *ring;
	uint64_t cqe_user_data;	/* user_data of the CQE that completed it */
	bool buf_select;	/* a read whose buffer the kernel picks from
				 * the ring's provided buffers (strategy ring):
				 * op->buf is set from its CQE */
	uint64_t submit_ns;	/* CLOCK_MONOTONIC of its last SQE */
	uint64_t cancel_ns;	/* ... and of its cancel, 0 if none */

	/* engine private: nobody else reads or writes these */
	uint32_t charge;	/* bytes of the ring's data budget it holds
				 * (rc_op_charge) */
	uint32_t gen;		/* its life: rc_op_life() */
	uint8_t kernel_cqes;	/* CQEs still due this life: op, link timeout */
	uint8_t cancels_pending; /* ASYNC_CANCELs aimed at it, unanswered */
	bool timeout_pending;	/* its LINK_TIMEOUT's CQE is still due */
	struct rc_op *prev, *next;
};

#define RC_CANCEL_NONE 1

/* Counters kept by every ring; all monotonic. */
struct rc_ring_stats {
	uint64_t ops_submitted;		/* SQEs written for operations */
	uint64_t cqes;			/* CQEs of operations acted on */
	uint64_t enter_calls;		/* io_uring_submit*() calls */
	uint64_t cancels;		/* rc_op_cancel() calls */
	uint64_t cancels_released_now;	/* cancels of ops the kernel did not own */
	uint64_t cancel_sqes;		/* ASYNC_CANCEL SQEs written */
	uint64_t cancel_res_ok;		/* cancel answered 0 */
	uint64_t cancel_res_enoent;	/* cancel answered -ENOENT */
	uint64_t cancel_res_ealready;	/* cancel answered -EALREADY */
	uint64_t cancel_res_other;	/* any other answer */
	uint64_t cancel_sq_full_retries; /* SQ was full when queueing a cancel */
	uint64_t cancel_fd_requests;	/* cancels keyed on an fd or ANY */
	uint64_t cancel_fd_matched;	/* ops they reported cancelled */
	uint64_t cancel_fd_sync;	/* of which synchronous */
	uint64_t link_timeout_cqes;
	uint64_t stale_cqes;		/* right record, wrong generation/state */
	uint64_t unknown_cqes;		/* not a record of this ring */
	uint64_t halt_write_bytes;	/* written by cancelled writes anyway */
	uint64_t halt_read_bytes;	/* read by cancelled reads anyway */
	uint64_t halt_fds_closed;	/* fds opened by cancelled openats, closed */
	uint64_t halt_splice_bytes;	/* moved by cancelled splices anyway */
	uint64_t splices;		/* SPLICE SQEs written */
	uint64_t released;		/* records released (buffer freed) */
	uint64_t records_allocated;	/* records ever malloc'd */
	uint64_t buffers_allocated;	/* data buffers ever allocated */
	uint64_t buf_gets;		/* rc_buf_get() calls */
	uint64_t reads_fixed;		/* READ_FIXED / WRITE_FIXED SQEs */
	uint64_t writes_fixed;
	uint64_t reads_selected;	/* reads that picked a ring buffer */
	uint64_t reads_nobufs;		/* ... and found the ring empty */
	uint64_t charged_peak_bytes;	/* most bytes charged at once
					 * (rc_op_charge) */
};

/*
 * Buffer strategies (like redis' ae backends): how the engine gets and
 * gives back data buffers.  Every strategy draws its memory from an
 * allocator (rc_ring_params.buf_ops: the heap, or the harness' quarantine)
 * and decides how buffers are kept and lent:
 *   heap   a fresh allocation per get, freed on put;
 *   pool   a free list per size: no allocation in the steady state;
 *   fixed  a pool whose first buffers are registered with the ring
 *          (io_uring_register_buffers): reads and writes on them become
 *          READ_FIXED / WRITE_FIXED with their index, transparently;
 *   ring   a provided buffer ring (io_uring_register_buf_ring): a read of
 *          an op holding no buffer lets the kernel pick one
 *          (IOSQE_BUFFER_SELECT); its CQE says which, the engine attaches
 *          it to the op (op->buf) and gives it back to the ring when the
 *          op puts it, is released, or prepares its next read.
 * The core never names a strategy: it asks the table, and a strategy says
 * what it can do with its capability flags (as fio's engines do).
 * get() returns 0 and a buffer of at least len bytes, or -errno.
 * put() is called only when no SQE can still point at the buffer.
 * A strategy with create() keeps per-ring state: create() runs once the
 * ring is set up (it may register memory with it), destroy() once the
 * kernel is proven done with the ring and every record's buffer was put.
 */
enum rc_buf_caps {
	RC_BUF_CAP_FIXED = 1u << 0,	/* registered buffers: fixed_index,
					 * fixed_range */
	RC_BUF_CAP_SELECT = 1u << 1,	/* a provided buffer ring: select_group,
					 * selected, provided, peek */
};

struct rc_buf_ops {
	const char *name;
	unsigned caps;			/* enum rc_buf_caps */
	int (*get)(void *ctx, size_t len, void **bufp);
	void (*put)(void *ctx, void *buf, size_t len);
	/* strategies only (NULL in a plain allocator) */
	int (*create)(struct rc_ring *r, unsigned count, size_t size,
		      void **ctxp);
	void (*destroy)(void *ctx);
	/* FIXED: the registered index of [buf, buf + len), or -1 */
	int (*fixed_index)(void *ctx, const void *buf, size_t len);
	/* FIXED: registered buffer idx's range: 0, or -ENOENT */
	int (*fixed_range)(void *ctx, unsigned idx, const void **basep,
			   size_t *lenp);
	/* SELECT: the buffer group reads select from, or -1 */
	int (*select_group)(void *ctx);
	/* SELECT: take buffer bid out of the ring (its read's CQE named it) */
	int (*selected)(void *ctx, unsigned bid, void **bufp, size_t *sizep);
	/* SELECT: is buf one of the buffers the kernel picks from? */
	bool (*provided)(void *ctx, const void *buf);
	/* SELECT: the buffer the kernel would pick next: 0, or -ENOENT */
	int (*peek)(void *ctx, void **bufp, size_t *lenp);
	/* negative controls only (engine/mutant.h): what a broken strategy
	 * does at the start of teardown.  NULL in every other build. */
	void (*mutant_teardown)(void *ctx);
};

/* heap | pool | fixed | ring; returns 0 or -EINVAL for another name */
int rc_buf_strategy_by_name(const char *name, const struct rc_buf_ops **ops);

extern const struct rc_buf_ops rc_buf_strategy_heap;
extern const struct rc_buf_ops rc_buf_strategy_pool;
extern const struct rc_buf_ops rc_buf_strategy_fixed;
extern const struct rc_buf_ops rc_buf_strategy_ring;

/* Trace events, hooked by the harness; compiled out unless RC_TRACE. */
enum rc_trace_event {
	RC_EV_BUF_GET,		/* buf, len: buffer handed out */
	RC_EV_BUF_PUT,		/* buf, len: buffer given back */
	RC_EV_SUBMIT,		/* op: KERNEL set, SQE about to be written */
	RC_EV_SQE,		/* op, buf = the SQE just written (not yet
				 * seen by the kernel), len = its size */
	RC_EV_CQE,		/* op, res: the op's own CQE, KERNEL cleared */
	RC_EV_DELIVER,		/* op: handed to the caller by rc_ring_next */
	RC_EV_CANCEL,		/* op: APP dropped */
	RC_EV_CANCEL_CQE,	/* op, res: the ASYNC_CANCEL's answer (op
				 * NULL: of one keyed on an fd, see below) */
	RC_EV_HALT,		/* op, res: effects of a cancelled op accounted */
	RC_EV_RELEASE,		/* op: record recycled, its buffer put back */
	RC_EV_STALE_CQE,	/* op, res: CQE not meant for the record's life */
	RC_EV_UNKNOWN_CQE,	/* buf = ring: user_data not a record of it */
	RC_EV_BUF_PROVIDE,	/* buf, len: given to the kernel's buffer
				 * ring: the kernel owns it from here; res =
				 * the ring's address */
	RC_EV_BUF_SELECT,	/* op, buf, len: the kernel picked it for
				 * op's read (its CQE said so): op's now;
				 * op NULL: for a CQE the engine does not
				 * act on, which gives it back at once */
	RC_EV_BUF_RECLAIM,	/* buf, len: taken back from the buffer ring
				 * once the ring is proven gone; res = the
				 * ring's address */
	RC_EV_BUF_LOST,		/* len = ring buffers neither in the ring nor
				 * given back at teardown (leaked); or len 1,
				 * res = its id: a CQE named a buffer the
				 * ring did not lend (it cannot go back) */
	RC_EV_BUF_POISON,	/* buf, len: a recycled buffer's poison had
				 * changed at byte len while it waited in the
				 * pool or table (trace builds poison it) */
	RC_EV_MEM_PUT,		/* op, buf, len: other memory an SQE may
				 * point at (op's path copy) given back */
	RC_EV_REAP,		/* buf = the ring, len = the CQE's user_data,
				 * res: a CQE read from the CQ ring, before
				 * it is acted on (or ignored) */
	RC_EV_TIMEOUT_CQE,	/* op, res: its LINK_TIMEOUT's CQE */
	RC_EV_RING_CREATE,	/* buf = the ring, len = its fd: set up */
	RC_EV_RING_FREE,	/* buf = the ring: its records and memory are
				 * about to be given back (the kernel is
				 * proven done); their BUF_PUTs follow */
	RC_EV_RING_LEAK,	/* buf = the ring, res = why (-errno):
				 * teardown could not prove the kernel done:
				 * everything is kept */
	/* the steps the protocol model (model/) needs besides the above;
	 * ring-wide ones carry the ring in buf */
	RC_EV_OP_GET,		/* op: rc_op_get handed out a record (a new
				 * life of it) */
	RC_EV_OP_QUEUE,		/* op: rc_op_submit queued it, no SQE yet */
	RC_EV_OP_CQE,		/* op, res: its own CQE acted on; KERNEL
				 * stays set while its link timeout's CQE is
				 * due (RC_EV_CQE follows when both came) */
	RC_EV_CANCEL_SQE,	/* op: an ASYNC_CANCEL aimed at it queued */
	RC_EV_OP_FAIL,		/* op, res: left the queue without an SQE,
				 * failed (the rest of a linked chain) */
	RC_EV_FD_CLOSE,		/* op, res = the fd: closed by the engine
				 * (halt safety, a cancelled IORING_OP_CLOSE) */
	RC_EV_CANCEL_FD_SQE,	/* buf = ring: a cancel keyed on an fd or
				 * on any request queued (its answer is an
				 * RC_EV_CANCEL_CQE without op, len 0; a
				 * synchronous one's has len 1) */
	RC_EV_RING_TEARDOWN,	/* buf = ring: rc_ring_destroy began */
	RC_EV_RING_DRAIN,	/* buf = ring, res: rc_ring_drain's answer */
	RC_EV_RING_EXIT,	/* buf = ring: io_uring_queue_exit called */
	RC_EV_RING_PROVEN,	/* buf = ring, res: 0 the kernel freed the
				 * ring (the barrier's EOF), else -errno.
				 * With 0, what the ring still had in flight
				 * (its CQEs went with the ring) touches
				 * nothing any more; sent before the records
				 * and buffers are given back */
	/*
	 * A splice pair's pipe (engine/copy/pipe.c, rc_ring_trace_pipe):
	 * buf = the pipe, len = its fds (read end << 32 | write end).
	 */
	RC_EV_PIPE_MAKE,	/* made, empty, in the pool */
	RC_EV_PIPE_LEND,	/* lent to a pair */
	RC_EV_PIPE_PUT,		/* res = RC_PIPE_*: back clean (to the
				 * pool), dirty (closed next) or named by
				 * requests given up (retired) */
	RC_EV_PIPE_CLOSE,	/* its fds about to be closed */
	RC_EV__COUNT,
};

typedef void (*rc_trace_fn)(void *arg, enum rc_trace_event ev,
			    const struct rc_op *op, const void *buf, size_t len,
			    int64_t res);

struct rc_ring_params {
	unsigned entries;		/* SQ size; 0: 256 */
	unsigned cq_entries;		/* CQ size; 0: twice the SQ */
	unsigned setup_flags;		/* IORING_SETUP_CLAMP only; others
					 * (SQPOLL, IOPOLL, DEFER_TASKRUN)
					 * change what the protocol relies on */
	const struct rc_buf_ops *buf_ops; /* allocator; NULL: rc_buf_heap */
	void *buf_ctx;
	const struct rc_buf_ops *strategy; /* NULL: rc_buf_strategy_heap */
	unsigned strategy_bufs;		/* pool/fixed/ring: buffers kept,
					 * registered, provided; 0: 64 */
	size_t strategy_buf_size;	/* their size; 0: 256 KiB */
	rc_trace_fn trace;		/* used only in RC_TRACE builds */
	void *trace_arg;
	/*
	 * Fault injection, used only in RC_TRACE builds (tests): asked
	 * before an op copies a path its SQE will point at (openat, statx,
	 * linkat, renameat; op->opcode is set); true makes the copy fail as
	 * if memory were exhausted (the prep answers -ENOMEM).
	 */
	bool (*fail_path_copy)(void *arg, const struct rc_op *op,
			       const char *path);
	void *fail_arg;
};

extern const struct rc_buf_ops rc_buf_heap;

/* ---- ring ---- */

/*
 * Create a ring for the calling thread and probe the opcodes the engine
 * needs.  Returns 0 or -errno; rc_setup_advice(err) explains a failure.
 */
int rc_ring_create(struct rc_ring **ringp, const struct rc_ring_params *p);

/*
 * The fallback backend (engine/core/sync.c): a ring with no io_uring
 * behind it, each op run at once by the matching system call; the same
 * API, records and answers, one op at a time.  Buffer strategies heap and
 * pool only.  For where rc_ring_create() fails.  Returns 0 or -errno.
 */
int rc_ring_create_sync(struct rc_ring **ringp, const struct rc_ring_params *p);

/* true for a ring of rc_ring_create_sync() */
bool rc_ring_is_sync(const struct rc_ring *r);

/* Why io_uring could not be set up, and what to do: a static sentence. */
const char *rc_setup_advice(int err);

/* true if the kernel supports this IORING_OP_* */
bool rc_ring_has_op(const struct rc_ring *r, int opcode);

/*
 * Write SQEs for all queued operations and submit them.  Returns the
 * number of SQEs the kernel consumed, or -errno.  On error nothing that
 * may have been consumed is freed: those ops stay in flight.
 */
int rc_ring_flush(struct rc_ring *r);

/*
 * Flush, wait until at least min_cqes CQEs are available (0: do not wait)
 * or timeout_ms passes (negative: no timeout), and reap every CQE.
 * Returns the number of CQEs reaped, -EINTR on a signal, -ETIME on a
 * timeout with nothing reaped, or -errno.
 */
int rc_ring_wait(struct rc_ring *r, unsigned min_cqes, int timeout_ms);

/* Next completed op, handed back to the caller (APP only), or NULL. */
struct rc_op *rc_ring_next(struct rc_ring *r);

/* Operations the kernel owns (KERNEL set), and queued ones. */
unsigned rc_ring_inflight(const struct rc_ring *r);

unsigned rc_ring_queued(const struct rc_ring *r);

/*
 * Harness builds (RC_TRACE): a step of a splice pair's pipe to the ring's
 * trace hook (RC_EV_PIPE_*, pipe the pipe's identity, its two fds);
 * nothing otherwise.
 */
void rc_ring_trace_pipe(struct rc_ring *r, enum rc_trace_event ev,
			const void *pipe, int rfd, int wfd, int how);

/* Cancel every queued, in-flight and ready operation (caller loses them). */
int rc_ring_cancel_all(struct rc_ring *r);

/*
 * Give up every op the caller owns on fd (fd < 0: every op), as with
 * rc_op_cancel, but ask the kernel with a single ASYNC_CANCEL keyed on the
 * fd (IORING_ASYNC_CANCEL_FD | ALL, 5.19) or matching any request
 * (IORING_ASYNC_CANCEL_ANY | ALL).  Nothing is freed before each op's own
 * CQE, whatever that answer counts.  On a fallback ring
 * (rc_ring_create_sync) nothing is in flight and nothing is asked: queued
 * ops of fd are released.  Returns the number of ops given up, or -errno.
 */
int rc_ring_cancel_fd(struct rc_ring *r, int fd);

/*
 * The same through io_uring_register_sync_cancel (6.0), which returns when
 * the kernel has cancelled what it could (retrying -EALREADY) or after
 * timeout_ms (-ETIME).  The ops' own CQEs still have to be reaped.
 * On a fallback ring the queued ops run first, then those of fd that are
 * ready are given up.  Returns the number of ops given up, or -errno from
 * the registration.
 */
int rc_ring_cancel_fd_sync(struct rc_ring *r, int fd, int timeout_ms);

/*
 * Reap until nothing is in flight (operations, and the ASYNC_CANCELs aimed
 * at them, so every cancel's answer is counted) or timeout_ms passes.  Returns 0, or
 * -ETIMEDOUT with operations still in flight, or -errno.
 */
int rc_ring_drain(struct rc_ring *r, int timeout_ms);

/*
 * Tear down: cancel all, drain, exit the ring, wait for the proof that the
 * kernel freed it, then free every record and buffer.  If the proof does
 * not come within timeout_ms, nothing is freed (the memory is leaked on
 * purpose, kept reachable) and -ETIMEDOUT is returned.
 */
int rc_ring_destroy(struct rc_ring *r, int timeout_ms);

/*
 * Tear down a ring the process exits with right after: cancel all and
 * drain as rc_ring_destroy() does; if nothing is left in flight, exit the
 * ring and return 0 without waiting for the proof, freeing nothing: the
 * process's exit gives its memory back, and only after the kernel is
 * done with every request (do_exit cancels and waits for the task's
 * io_uring requests before its memory goes; registered and provided
 * buffers are pinned).  The proof costs a kernel grace period, 15-25 ms
 * on every run of a command.  If the drain fails, this is
 * rc_ring_destroy().  The records stay reachable (no leak report).  Call
 * nothing of the engine after it.
 */
int rc_ring_destroy_at_exit(struct rc_ring *r, int timeout_ms);

const struct rc_ring_stats *rc_ring_stats(const struct rc_ring *r);
struct io_uring *rc_ring_uring(struct rc_ring *r);

/* Rings leaked by rc_ring_destroy() in this process. */
unsigned rc_rings_leaked(void);

/* ---- buffers ---- */

int rc_buf_get(struct rc_ring *r, size_t len, void **bufp);
void rc_buf_put(struct rc_ring *r, void *buf, size_t len);

/* true if reads of ops holding no buffer pick one from a buffer ring */
bool rc_ring_buf_select(const struct rc_ring *r);

/* The strategy's name ("heap", "pool", "fixed", "ring"). */
const char *rc_ring_buf_strategy(const struct rc_ring *r);

/*
 * Registered buffer idx of the ring (a FIXED strategy): 0 and its range,
 * or -ENOENT.  For checks (the harness' SQE check).
 */
int rc_ring_fixed_buf(struct rc_ring *r, unsigned idx, const void **basep,
		      size_t *lenp);

/* The buffer group of the ring's provided buffers, or -ENOENT. */
int rc_ring_buf_group(struct rc_ring *r);

/*
 * The buffer a buffer-select read would get next (a SELECT strategy), when
 * nothing is in flight; for tests that stall on it.  0 or -ENOENT.
 */
int rc_ring_buf_peek(struct rc_ring *r, void **bufp, size_t *lenp);

/* ---- operations ---- */

/* A fresh record, owned by the caller (APP). Returns 0 or -ENOMEM. */
int rc_op_get(struct rc_ring *r, struct rc_op **opp);

/* Give back a record the caller holds (IDLE); frees its buffer if any. */
void rc_op_put(struct rc_op *op);

/* Move a buffer into an idle op that holds none. */
int rc_op_set_buf(struct rc_op *op, void *buf, size_t size);

/* Take an idle op's buffer back; *sizep gets its capacity. */
void *rc_op_take_buf(struct rc_op *op, size_t *sizep);

/*
 * The ring's data budget (a copy's --memory, engine/copy/budget.c): an op
 * charged with bytes holds them until rc_op_uncharge(), or until its
 * record is released: by rc_op_put(), or, for an op given up in flight,
 * by its own CQE (never at the cancel: the bytes stand for the memory
 * the kernel may still touch).  rc_ring_charged() is the sum held now.
 * Charging an op that holds a charge adds to it.
 */
void rc_op_charge(struct rc_op *op, uint32_t bytes);
void rc_op_uncharge(struct rc_op *op);
uint64_t rc_ring_charged(const struct rc_ring *r);

/*
 * Prepare an idle op.  Reads and writes use the op's own buffer, the I/O
 * covering [buf + io_off, buf + io_off + len).  With the ring strategy a
 * read of an op holding no buffer, or a ring buffer (given back first),
 * lets the kernel pick one (io_off ignored; op->buf is set when the op
 * comes back).  With the fixed strategy an op's registered buffer goes
 * out as READ_FIXED / WRITE_FIXED; op->opcode stays READ / WRITE.
 * Return 0 or -EINVAL.
 */
int rc_op_prep_read(struct rc_op *op, int fd, size_t io_off, uint32_t len,
		    uint64_t off);
int rc_op_prep_write(struct rc_op *op, int fd, size_t io_off, uint32_t len,
		     uint64_t off);
int rc_op_prep_openat(struct rc_op *op, int dfd, const char *path, int flags,
		      mode_t mode);
int rc_op_prep_fsync(struct rc_op *op, int fd, unsigned flags);
/*
 * close(fd) through the ring.  Once submitted the op owns fd: if it never
 * runs (cancelled, or its chain failed: it comes back -ECANCELED), the
 * engine closes fd itself.
 */
int rc_op_prep_close(struct rc_op *op, int fd);

/*
 * statx of dfd/path into the op's own buffer, which must hold a struct
 * statx (rc_op_set_buf first).  Path "" with AT_EMPTY_PATH: the fd itself.
 */
int rc_op_prep_statx(struct rc_op *op, int dfd, const char *path, int flags,
		     unsigned mask);

/* linkat(2) and renameat2(2); both paths are copied into the op. */
int rc_op_prep_linkat(struct rc_op *op, int olddfd, const char *oldpath,
		      int newdfd, const char *newpath, int flags);
int rc_op_prep_renameat(struct rc_op *op, int olddfd, const char *oldpath,
			int newdfd, const char *newpath, unsigned flags);
int rc_op_prep_nop(struct rc_op *op);

/* The offset of a pipe's side of a splice (it has none: -1 to the kernel) */
#define RC_SPLICE_NO_OFF UINT64_MAX

/*
 * splice(2) through the ring: len bytes from fd_in at off_in to fd_out at
 * off_out, one of the two a pipe (its offset RC_SPLICE_NO_OFF).  The op
 * holds no buffer; its SQE names two fds, and both must stay open until
 * its CQE.  The kernel runs every splice in io-wq, and fails the rest of
 * a linked chain (-ECANCELED) when a splice moves fewer than len bytes.
 * flags: SPLICE_F_* (not SPLICE_F_FD_IN_FIXED).  Returns 0 or -EINVAL.
 */
int rc_op_prep_splice(struct rc_op *op, int fd_in, uint64_t off_in, int fd_out,
		      uint64_t off_out, uint32_t len, unsigned flags);

/*
 * Add IOSQE_ASYNC, IOSQE_IO_LINK, IOSQE_IO_HARDLINK or IOSQE_IO_DRAIN to a
 * prepared op.  Other flags change what the kernel reads from the SQE or
 * whether a CQE comes at all: -EINVAL.
 */
int rc_op_set_flags(struct rc_op *op, unsigned sqe_flags);

/*
 * Link a timeout to a prepared op: it is cancelled after ns nanoseconds.
 * The op comes back only once both its CQE and the timeout's have come, as
 * the timeout's SQE points into the record.
 */
void rc_op_set_link_timeout(struct rc_op *op, uint64_t ns);

/*
 * Hand a prepared op to the engine.  From here the caller must not touch
 * the op or its buffer until rc_ring_next() returns it.  Consecutive
 * submits of linked ops are kept in one submission; a chain longer than the
 * SQ comes back with -EINVAL in every op's res.
 */
int rc_op_submit(struct rc_op *op);

/*
 * Give up the caller's share of a submitted op.  After this call the
 * caller must not touch the op again.  Returns 0, or -errno if an
 * ASYNC_CANCEL could not be queued (the op is still released only by its
 * own CQE, or leaked at teardown).
 */
int rc_op_cancel(struct rc_op *op);

/* ---- matching CQEs and SQEs to records (for observers) ---- */

/*
 * Which of a record's SQEs a user_data belongs to.  The harness and the
 * tests match CQEs and SQEs to records with the functions below, never
 * with the bit layout, which is the engine's own.
 */
enum rc_ud_tag {
	RC_UD_OP,		/* the op's own SQE */
	RC_UD_CANCEL,		/* an ASYNC_CANCEL aimed at the op */
	RC_UD_TIMEOUT,		/* the op's LINK_TIMEOUT */
	RC_UD_CANCEL_FD,	/* a cancel keyed on an fd; the record is the
				 * ring itself */
};

struct rc_ud {
	const void *record;	/* the rc_op (the rc_ring for CANCEL_FD) */
	unsigned tag;		/* enum rc_ud_tag (other values: not ours) */
	uint16_t life;		/* the record's life it names, mod 2^16 */
};

/* The user_data of record's SQE of kind tag in its life `life`. */
uint64_t rc_ud_encode(const void *record, enum rc_ud_tag tag, uint32_t life);
void rc_ud_decode(uint64_t user_data, struct rc_ud *ud);

/* op's current life: changes every time one of its SQEs is written. */
uint32_t rc_op_life(const struct rc_op *op);

/* rc_ud_encode(op, tag, rc_op_life(op)): what this life's SQE carries. */
uint64_t rc_op_user_data(const struct rc_op *op, enum rc_ud_tag tag);

/* CLOCK_MONOTONIC in nanoseconds (the clock of every *_ns field). */
uint64_t rc_now_ns(void);

#endif
