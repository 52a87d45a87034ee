/* SPDX-License-Identifier: MIT */
/*
 * The kernel as a witness: io_uring's own tracepoints (and the close and
 * dup system calls) recorded while a scenario runs, on CLOCK_MONOTONIC in
 * nanoseconds (the clock of rc_now_ns), then held against what the
 * program did (the user-side log the harness keeps from the engine's
 * trace events and the program's close() calls).  The engine's testimony
 * says which memory and fds a request refers to (read from its SQE); the
 * kernel's says when the request entered the kernel and when it left.
 *
 * Capture: a tracefs instance of its own (libtracefs), trace_clock mono,
 * no overwrite: events the buffer cannot hold are dropped and counted by
 * the kernel, and any drop fails the run (rh_witness_collect's *lost).
 */
#ifndef RH_WITNESS_H
#define RH_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sqe_refs.h"

/* ---- the kernel's side ---- */

enum rh_kev_kind {
	RH_K_CREATE,		/* io_uring_create: ctx, fd */
	RH_K_SUBMIT,		/* io_uring_submit_req: ctx, req, ud, opcode */
	RH_K_FILE_GET,		/* io_uring_file_get: ctx, req, ud, fd */
	RH_K_ASYNC,		/* io_uring_queue_async_work: ctx, req, ud */
	RH_K_COMPLETE,		/* io_uring_complete: ctx, req, ud, res */
	RH_K_FAILED,		/* io_uring_req_failed: ctx, req, ud, res */
	RH_K_OVERFLOW,		/* io_uring_cqe_overflow: ctx, ud, res */
	RH_K_CLOSE,		/* sys_enter_close: fd */
	RH_K_DUP,		/* sys_enter_dup2/dup3: fd = newfd */
	RH_K_CLOSE_RANGE,	/* sys_enter_close_range: fd .. aux */
	RH_K__COUNT,
};

struct rh_kev {
	uint64_t ts;
	uint64_t ctx, req, ud;
	int32_t pid;		/* the task (thread id) it ran in */
	int32_t val;		/* res, or an fd */
	uint32_t aux;		/* opcode; close_range's last fd */
	uint32_t seq;		/* order read (stamps can be equal) */
	uint8_t kind;		/* enum rh_kev_kind */
};

const char *rh_kev_name(enum rh_kev_kind k);

/*
 * Start recording.  buf_kb: per-CPU buffer (0: RH_WITNESS_BUF_KB, or
 * $RH_WITNESS_BUF_KB).  Returns 0, or -errno with why (a sentence) when
 * the witness cannot run here (not root, no tracefs, no io_uring events).
 */
int rh_witness_start(size_t buf_kb, char *why, size_t why_len);

#define RH_WITNESS_BUF_KB	(128 * 1024)
/* how often a reader thread drains the buffers during the run
 * ($RH_WITNESS_DRAIN_MS; 0: no thread, read once at the end) */
#define RH_WITNESS_DRAIN_MS	100

/*
 * The reader thread that drains the buffers while the run goes on (every
 * RH_WITNESS_DRAIN_MS; none when that is 0 or the witness is off).  It
 * opens and closes the trace files as it reads: start it after counting
 * the fds a run begins with, stop it before counting those it ends with.
 * Start returns 0 or -errno (the run then reads once at the end).
 */
int rh_witness_reader_start(void);
void rh_witness_reader_stop(void);

/* Recording? */
bool rh_witness_on(void);

/*
 * Stop recording and hand back every event, in time order (*evp is
 * malloc'd: the caller frees it), with the number of events the kernel
 * dropped and how long reading took.  Returns 0 or -errno.
 */
int rh_witness_collect(struct rh_kev **evp, size_t *np, uint64_t *lost,
		       uint64_t *read_ns);

/* ---- the program's side ---- */

enum rh_uev_kind {
	RH_U_RING_CREATE,	/* ring, fd */
	RH_U_SQE,		/* ring, op, ud, opcode, refs: an SQE written */
	RH_U_RELEASE,		/* addr, len: memory given back or reused */
	RH_U_REAP,		/* ring, ud, res: a CQE read from the CQ */
	RH_U_ACTED,		/* ring, op, ud, res: the op's own CQE */
	RH_U_CLOSE,		/* fd: closed by the program (close(2)) */
	RH_U_RING_FREE,		/* ring: its memory given back */
	RH_U_RING_LEAK,		/* ring: kept on purpose (no proof) */
};

struct rh_uev {
	uint64_t ts;
	const void *ring, *op;
	const void *addr;
	size_t len;
	uint64_t ud;
	int32_t res;
	int32_t fd;
	pid_t tid;
	uint8_t kind;		/* enum rh_uev_kind */
	uint8_t opcode;
	struct rh_sqe_refs refs;
};

/* The user-side log: append-only, grown as needed (the caller locks). */
struct rh_ulog {
	struct rh_uev *ev;
	size_t n, cap;
	bool oom;		/* an event could not be kept */
};

/* Append; sets ev->ts (rc_now_ns) and ev->tid. */
void rh_ulog_add(struct rh_ulog *l, struct rh_uev *ev);
void rh_ulog_free(struct rh_ulog *l);

/* ---- the check ---- */

/* Figures of one check, for the record. */
struct rh_witness_stats {
	uint64_t events[RH_K__COUNT];	/* kernel events of our rings/tasks */
	uint64_t events_all;		/* every event recorded */
	uint64_t requests;		/* kernel requests of our rings */
	uint64_t rings;			/* our rings the kernel saw created */
	uint64_t sqes_matched;		/* SQEs matched to kernel requests */
	uint64_t releases_checked;
	uint64_t reaps_matched;
	uint64_t closes_checked;
	uint64_t lost;
};

/* A violation found: kind (enum rh_violation_kind) and what, in words. */
typedef void (*rh_witness_report_fn)(void *arg, int kind, const char *detail);

/*
 * Hold the user-side log against the kernel's events (both in time
 * order).  Every violation found is passed to report; returns how many.
 */
uint64_t rh_witness_check(const struct rh_uev *u, size_t nu,
			  const struct rh_kev *k, size_t nk,
			  struct rh_witness_stats *st,
			  rh_witness_report_fn report, void *arg);

#endif
