/* SPDX-License-Identifier: MIT */
/*
 * ringcp's op protocol as a Promela model (SPIN 6.5): the engine of
 * engine/core/ (engine.pml), the Linux io_uring kernel it talks to
 * (kernel.pml) and a program driving it (program.pml), with the
 * properties (props.pml) checked exhaustively within the bounds of one
 * configuration (config.pml).  docs/model.md explains how to read it;
 * model/check.py runs every check (make model-check).
 *
 *   spin -DCFG_CORE -a model/ringcp.pml && gcc -o pan pan.c && ./pan
 *
 * Every variable below names the engine field or kernel object it stands
 * for.  Mutants (engine/mutant.h) are the -DM_<NAME> switches; -DEXTRACT
 * writes the model's observable transition relation for the conformance
 * checker; -DNO_TIMEOUTS removes the drain's and the proof's timeouts
 * (the liveness runs).
 */
#include "config.pml"
#include "events.pml"

/* enum rc_op_state, enum rc_owner */
#define FREE		0
#define IDLE		1
#define QUEUED		2
#define INFLIGHT	3
#define READY		4
#define APP		1
#define KERNEL		2
/* enum rc_ud_tag: which of a record's SQEs a user_data names */
#define T_OP		0
#define T_CANCEL	1
#define T_TIMEOUT	2
#define T_CANCEL_FD	3
/* fds a request may name */
#define F_NONE		0
#define F_FILE		1	/* a regular file of the program's */
#define F_PIPE		2	/* a pipe: poll-armed until it is ready */
#define F_X		3	/* the fd an openat opened */
#define F_SPL		4	/* the pipe a splice pair is lent (both ends:
				 * the pool closes them together) */
#define NF		5
/* return values of engine calls */
#define OK		0
#define EBUSY		1
#define ETIMEDOUT	2
/* the ring's phases (for the conformance relation) */
#define PH_LIVE		0
#define PH_TEARDOWN	1
#define PH_EXITED	2
#define PH_PROVEN	3
#define PH_FREED	4
#define PH_LEAKED	5
/* effects of a completed op the engine must handle (halt safety) */
#define EFF_BYTES	1
#define EFF_FD		2

/* the properties checked by assertion (props.pml has their statements) */
#define P_MEM		1
#define P_FD		2
#define P_LIFE		3
#define P_TEARDOWN	5
#define P_HALT		6
#define P_PIPE		7
/* where the splice pool's pipe is (engine/copy/pipe.c), the places of
 * its relation (trace.pml, conform.py) */
#define SP_CLOSED	0	/* not made yet, or closed */
#define SP_POOL		1	/* empty, no request names it: lendable */
#define SP_LENT		2	/* a pair's */
#define SP_RETIRED	3	/* given up with requests of its pair in
				 * flight: kept open until none is */
#define SP_DIRTY	4	/* its pair ended, bytes may be left: closed
				 * next */

typedef oplist {
	byte e[NOPS];
	byte n
};

/* ---- struct rc_op, one entry per record (ringcp/ring.h) ---- */
byte st[NOPS];		/* op->state */
byte own[NOPS];		/* op->owner: APP | KERNEL */
byte kind[NOPS];	/* op->opcode (KC_*; KC_READSEL: op->buf_select) */
byte ofd[NOPS];		/* op->fd (F_*) */
bool lnk[NOPS];		/* op->sqe_flags & RC_LINK_FLAGS */
bool lt[NOPS];		/* op->link_timeout_ns != 0 */
byte gen[NOPS];		/* op->gen: its life, exact (no 2^16 wrap) */
byte kcq[NOPS];		/* op->kernel_cqes */
byte cpn[NOPS];		/* op->cancels_pending */
bool tpn[NOPS];		/* op->timeout_pending */
byte res[NOPS];		/* op->res (RC_*) */
byte buf[NOPS] = NB;	/* op->buf: a buffer id, NB: none */

/* ---- struct rc_ring (core.h) ---- */
oplist queued;		/* r->queued, FIFO */
oplist ready;		/* r->ready, FIFO */
oplist freel;		/* r->free */
byte ninflight;		/* r->inflight.count */
byte nalloc;		/* r->records: records allocated so far */
byte cancels_pending;	/* r->cancels_pending */
byte limbo;		/* r->limbo */
bool uring_live = 1;	/* r->uring_live */
byte fd_cancels;	/* (of cancels_pending: keyed on an fd / ANY) */
/* the SQ ring: SQEs written, not yet consumed by io_uring_enter:
 * record, tag, life (its user_data), opcode, fd, buffer, IOSQE_IO_LINK */
chan sq = [SQ_ENTRIES] of { byte, byte, byte, byte, byte, byte, bool };
/* the CQ ring: record, tag, life (user_data), res, buffer id (cflags) */
chan cq = [CQ_ENTRIES] of { byte, byte, byte, byte, byte };

/* ---- buffer strategies (buf_pool.c, buf_ring.c) ---- */
bool bfree[NB];		/* pool: on the free list (or never handed out) */
bool bring_in[NB];	/* ring: b->in_ring[id] */

/* ---- ground truth, kernel side ---- */
byte kuse[NB];		/* SQEs and requests whose memory is this buffer and
			 * that have not completed: the kernel may touch it */
bool kring[NB];		/* in the kernel's provided ring: any buffer-select
			 * read may take and fill it */
bool bowed[NB];		/* taken by a read whose CQE the engine has not
			 * acted on yet */
byte krec[NOPS];	/* requests of the record (its op and link timeout
			 * SQEs, path copies, timespec) not yet completed */
bool fd_open[NF];	/* fds open now */
byte spl;		/* the pool's pipe: SP_* (pipe.c: free, lent,
			 * retired lists) */
bool spl_gone;		/* ghost: it was given up with requests of its
			 * pair in flight (cancelled splices may have left
			 * bytes in it) */

/* ---- ghosts: what the properties and the conformance relation need ---- */
byte eff[NOPS];		/* EFF_*: effects learnt from its CQE, not handled */
bool fdc[NOPS];		/* the engine closed an fd in this life */
byte bat[NB] = NOPS;	/* ring buffer attached to record (NOPS: none) */
byte ebusy_left = EBUSY_N;	/* -EBUSY answers io_uring_enter may still give */
byte broken;		/* the property an assertion found broken */
bool torn;		/* rc_ring_destroy has begun */
bool freed;		/* rc_ring_free_all ran */
bool leaked;		/* the ring was leaked */
byte ring_phase;	/* PH_*: by the ring's trace points */

/* SQE being consumed by io_uring_enter (kernel.pml, io_submit_sqe) */
byte s_rec, s_tag, s_life, s_kind, s_fd, s_buf, s_slot, s_op, s_h;
byte s_prev = NK;	/* the op the next op SQE is linked behind */
byte s_head = NK;	/* the head of the chain being collected */
bool s_link;

/* ---- property checks ---- */
#ifdef EXTRACT
#define CHECK(p, cond)	assert(cond)
#else
#define CHECK(p, cond)						\
	if							\
	:: !(cond) -> broken = p; printf("@P %d\n", p);		\
		assert(broken == 0)				\
	:: else							\
	fi
#endif


/* ---- trace points: the printed trail, or the extracted relation ---- */
#include "trace.pml"

#include "kernel.pml"
#include "engine.pml"
#include "program.pml"
#include "props.pml"
