/* SPDX-License-Identifier: MIT */
/*
 * The labels of the model's observable steps: one per engine trace point
 * (include/ringcp/ring.h, enum rc_trace_event).  The model emits them
 * where the engine calls rc_trace(); the conformance checker
 * (model/conform.py) reads this file for the numbers and maps each event
 * of a real run (harness/evlog.c) to the same label.  Keep the two in
 * step: a label is "L_<NAME> <number>" on one #define line.
 *
 * Classes used as label arguments (the same on both sides):
 *   result   RC_OK (>= 0), RC_ECANCELED, RC_EOTHER (any other < 0)
 *   answer   CA_OK (0), CA_ENOENT, CA_EALREADY, CA_OTHER
 *   kind     KK_RW (read, buffer-select read, write), KK_OPENAT,
 *            KK_CLOSE, KK_OTHER (statx, fsync, linkat, nop, ...): what
 *            the engine's code tells apart (halt safety); the model's
 *            own kinds (KC_*) say more, for the kernel's sake
 */

/* ---- an op record's steps (arg in parentheses) ---- */
#define L_GET		1	/* RC_EV_OP_GET: rc_op_get, a new life */
#define L_QUEUE		2	/* RC_EV_OP_QUEUE (kind*4 + link*2 + lt) */
#define L_SUBMIT	3	/* RC_EV_SUBMIT (kind*2 + lt): KERNEL set */
#define L_OPCQE		4	/* RC_EV_OP_CQE (result*2 + same life) */
#define L_LTCQE		5	/* RC_EV_TIMEOUT_CQE: its link timeout's */
#define L_CQE		6	/* RC_EV_CQE (result): KERNEL cleared */
#define L_DELIVER	7	/* RC_EV_DELIVER (result) */
#define L_CANCEL	8	/* RC_EV_CANCEL (state it was in) */
#define L_CANCEL_SQE	9	/* RC_EV_CANCEL_SQE: ASYNC_CANCEL queued */
#define L_CANCEL_CQE	10	/* RC_EV_CANCEL_CQE (answer) */
#define L_FAIL		11	/* RC_EV_OP_FAIL (result): failed in the
				 * queue, no SQE (rc_ring_fail_chain) */
#define L_HALT		12	/* RC_EV_HALT (result) */
#define L_FD_CLOSE	13	/* RC_EV_FD_CLOSE: the engine closed an fd */
#define L_RELEASE	14	/* RC_EV_RELEASE (a buffer observably the
				 * op's is not in it: lost) */
#define L_STALE		15	/* RC_EV_STALE_CQE: ignored */
#define L_SELECT	16	/* RC_EV_BUF_SELECT: a ring buffer is its */
#define L_BPUT		17	/* RC_EV_BUF_PUT of a buffer it holds
				 * (ring freed) */
#define L_BPROV		18	/* RC_EV_BUF_PROVIDE of a buffer it holds */
#define L_BGET		19	/* RC_EV_BUF_GET of a buffer it holds */
#define L_RFREE		20	/* RC_EV_RING_FREE: its ring is freed */

/* ---- a buffer's steps, whoever holds it ---- */
#define B_GET		40	/* RC_EV_BUF_GET */
#define B_PUT		41	/* RC_EV_BUF_PUT */
#define B_PROVIDE	42	/* RC_EV_BUF_PROVIDE: the kernel's ring */
#define B_SELECT	43	/* RC_EV_BUF_SELECT */
#define B_RECLAIM	44	/* RC_EV_BUF_RECLAIM */
#define B_LEND		45	/* RC_EV_SUBMIT with this buffer */

/* ---- the ring's steps (arg: ctx = anyK + 2*anyQ + 4*anyC, see below) */
#define R_TEARDOWN	60	/* RC_EV_RING_TEARDOWN: rc_ring_destroy */
#define R_DRAIN		61	/* RC_EV_RING_DRAIN (ok*8 + ctx) */
#define R_EXIT		62	/* RC_EV_RING_EXIT: io_uring_queue_exit */
#define R_PROVEN	63	/* RC_EV_RING_PROVEN (ok) */
#define R_FREE		64	/* RC_EV_RING_FREE */
#define R_LEAK		65	/* RC_EV_RING_LEAK */
#define R_FD_SQE	66	/* RC_EV_CANCEL_FD_SQE: cancel keyed on fd */
#define R_FD_CQE	67	/* RC_EV_CANCEL_CQE without an op: answer */
#define R_SYNC		68	/* the same, io_uring_register_sync_cancel */
#define R_UNKNOWN	69	/* RC_EV_UNKNOWN_CQE */
#define R_LOST		70	/* RC_EV_BUF_LOST */

/* ---- a splice pair's pipe (engine/copy/pipe.c), RC_EV_PIPE_* ---- */
#define S_MAKE		80	/* RC_EV_PIPE_MAKE: made, in the pool */
#define S_LEND		81	/* RC_EV_PIPE_LEND: lent to a pair */
#define S_PUT_CLEAN	82	/* RC_EV_PIPE_PUT, RC_PIPE_CLEAN */
#define S_PUT_DIRTY	83	/* RC_EV_PIPE_PUT, RC_PIPE_DIRTY */
#define S_PUT_NAMED	84	/* RC_EV_PIPE_PUT, RC_PIPE_NAMED */
#define S_CLOSE		85	/* RC_EV_PIPE_CLOSE: its fds closed next */

/*
 * ctx of a ring step: anyK = some op of the ring has KERNEL set, anyQ =
 * some op is queued, anyC = some ASYNC_CANCEL (of an op or keyed on an fd)
 * is unanswered.
 */

/* result classes */
#define RC_OK		0
#define RC_ECANCELED	1
#define RC_EOTHER	2
/* cancel answer classes */
#define CA_OK		0
#define CA_ENOENT	1
#define CA_EALREADY	2
#define CA_OTHER	3
/* kind classes of the labels and of an op's observed state */
#define KK_NONE		0
#define KK_RW		1
#define KK_OPENAT	2
#define KK_CLOSE	3
#define KK_OTHER	4
#define KCLASS(k)	((k) == KC_NONE -> KK_NONE : ((k) <= KC_WRITE -> KK_RW : (k) - 2))

/* the model's kinds (op->opcode, with buffer select) */
#define KC_NONE		0
#define KC_READ		1
#define KC_READSEL	2
#define KC_WRITE	3
#define KC_OPENAT	4
#define KC_CLOSE	5
#define KC_OTHER	6
