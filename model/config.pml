/* SPDX-License-Identifier: MIT */
/*
 * The bounds of each configuration the model is checked in.  Every
 * configuration has the same engine, kernel and properties; they differ in
 * what the program may do and how far, so that each exhaustive search
 * stays small.  Chosen with spin -DCFG_<NAME>; model/check.py runs all.
 *
 *   NOPS        op records (struct rc_op) the ring may allocate: ops in
 *               flight at once
 *   SQ_ENTRIES  SQ ring size (r->uring.sq.ring_entries): queue depth
 *   NK          requests the kernel may hold at once (ops, link
 *               timeouts, ASYNC_CANCELs)
 *   DEFER_*     orders of CQEs that need a request to stay in the
 *               kernel after it is done: where they matter only
 *   GETS        rc_op_get calls in the whole run (record lives)
 *   SUBS        submissions per life (an op read, then written out)
 *   NBP, NRB    pool buffers; provided-ring buffers
 *   CHAIN       linked chains of two ops, link timeouts
 *   HAVE_SPLICE splice pairs through the pool's pipe
 */

#if defined(CFG_CORE)
/* the cancel protocol: reads and writes of a regular file (inline, io-wq,
 * block layer) and reads of a pipe (poll-armed), cancelled in every
 * state; the SQ full when a cancel is queued */
#define NOPS		2
#define SQ_ENTRIES	1
#define NK		4
#define GETS		2
#define SUBS		1
#define NBP		2
#define NRB		0
#define HAVE_PIPE	1
#define OPS_RW		1	/* file read, file write, pipe read */

#elif defined(CFG_LATE)
/* late answers: a cancel's -EALREADY or -ENOENT posted after the op's own
 * CQE (the op completed in an io-wq worker or the block layer meanwhile),
 * the record already released and waiting in limbo for it */
#define NOPS		2
#define SQ_ENTRIES	1
#define NK		4
#define GETS		2
#define SUBS		1
#define NBP		2
#define NRB		0
#define OPS_FILE	1	/* file read, file write */
#define DEFER_ANSWER	1	/* -EALREADY, -ENOENT after the op's CQE */

#elif defined(CFG_LIFE)
/* records reused: a record released and got again, two submissions per
 * life (a read, then a write of the same buffer: the pump);
 * io_uring_enter failing with -EBUSY, leaving SQEs in the SQ ring; a
 * cancel whose SQE is got by reaping the op's own CQE (the record then
 * waits in limbo for the cancel's answer) */
#define NOPS		2
#define SQ_ENTRIES	1
#define NK		4
#define GETS		2
#define SUBS		2
#define NBP		2
#define NRB		0
#define EBUSY_N		1
#define HAVE_EBUSY	1
#define OPS_FILE	1	/* file read, file write */
#define NO_IOWQ		1	/* (io-wq is CORE's) */

#elif defined(CFG_STALE)
/* a late duplicate CQE naming a record's previous life, arriving while
 * the record is in flight in its next life (protocol_tour, stale-cqe) */
#define NOPS		2
#define SQ_ENTRIES	2
#define NK		4
#define GETS		1
#define SUBS		2
#define NBP		1
#define NRB		0
#define HAVE_PIPE	1
#define HAVE_STALE	1
#define OPS_READS	1	/* file read, pipe read */
#define NO_IOWQ		1

#elif defined(CFG_CANCEL_FD)
/* cancels keyed on any request (IORING_ASYNC_CANCEL_ANY | ALL) and
 * through io_uring_register_sync_cancel, beside single cancels */
#define NOPS		2
#define SQ_ENTRIES	1
#define NK		4
#define GETS		2
#define SUBS		1
#define NBP		2
#define NRB		0
#define HAVE_PIPE	1
#define HAVE_CANCEL_FD	1
#define OPS_READS	1	/* file read, pipe read */
#define NO_BLK		1	/* (the block layer is CORE's) */

#elif defined(CFG_CHAIN)
/* linked chains (pipe read -> file write) and link timeouts; a chain with
 * a timeout needs 3 SQEs and can never fit the 2-entry SQ: -EINVAL */
#define NOPS		2
#define SQ_ENTRIES	2
#define NK		5
#define GETS		2
#define SUBS		1
#define NBP		2
#define NRB		0
#define HAVE_PIPE	1
#define CHAIN		1
#define NO_IOWQ		1
#define DEFER_TARGET	1	/* a cancelled op's CQE after its timeout's */

#elif defined(CFG_RING)
/* a provided buffer ring: reads let the kernel pick a buffer, the data is
 * written out from it, the buffer goes back when the op's next read is
 * prepared, when the program puts it or when the record is released */
#define NOPS		2
#define SQ_ENTRIES	2
#define NK		4
#define GETS		2
#define SUBS		2
#define NBP		0
#define NRB		2
#define NO_IOWQ		1
#undef SUBS
#define SUBS		3	/* read, write, read again */

#elif defined(CFG_FD)
/* fds: an openat (its fd closed by the engine when the op was cancelled
 * and completed anyway), a read of the opened file, and its close through
 * the ring or by the program; statx-like ops */
#define NOPS		2
#define SQ_ENTRIES	2
#define NK		4
#define GETS		2
#define SUBS		2
#define NBP		1
#define NRB		0
#define HAVE_FD		1
#define NO_BLK		1

#elif defined(CFG_SPLICE)
/* splice pairs (engine/copy/splice.c): a splice in linked to a splice out
 * through the pipe the pool lends (pipe.c); the out sent again alone when
 * a short in failed the link; the pipe back to the pool once both CQEs
 * came, closed when bytes may be left, or retired while cancelled
 * splices may name it and closed once nothing is in flight */
#define NOPS		2
#define SQ_ENTRIES	2
#define NK		4
#define GETS		4	/* a second pair after one given up */
#define SUBS		2
#define NBP		1	/* (none used: a splice has no buffer) */
#define NRB		0
#define HAVE_SPLICE	1
#define NO_BLK		1	/* (a splice goes inline or to io-wq) */
#define DEFER_ANSWER	1	/* a cancel's -EALREADY after a failed
				 * splice's CQE: the record in limbo */

#else
#error "choose a configuration: -DCFG_CORE, _LATE, _LIFE, _STALE, _CANCEL_FD, _CHAIN, _RING, _FD or _SPLICE"
#endif

#ifndef EBUSY_N
#define EBUSY_N		0
#endif

#define NB		(NBP + NRB)	/* buffer ids; NB itself is "none" */
#define CQ_ENTRIES	(2 * NK + 2)	/* never full: every CQE fits */
