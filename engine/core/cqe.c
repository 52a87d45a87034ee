/* SPDX-License-Identifier: MIT */
/*
 * Completion: reaping the CQ and acting on each CQE.  Only a CQE that
 * names one of the ring's records, in that record's current life, and
 * that the record is waiting for changes anything.
 */
#include <errno.h>
#include <stdio.h>

#include "core.h"

int rc_ring_reap(struct rc_ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	if (r->sync)
		return 0;	/* answers went straight to the ready list */
	io_uring_for_each_cqe(&r->uring, head, cqe) {
		rc_trace(r, RC_EV_REAP, NULL, r, (size_t)cqe->user_data,
			 cqe->res);
		rc_ring_handle_cqe(r, cqe);
		n++;
	}
	io_uring_cq_advance(&r->uring, n);
	return (int)n;
}

/* The op's CQEs have all come: hand it back or release it. */
static void rc_op_complete(struct rc_ring *r, struct rc_op *op)
{
	rc_list_del(&r->inflight, op);
	op->owner &= (uint8_t)~RC_OWNER_KERNEL;
	rc_trace(r, RC_EV_CQE, op, op->buf, op->buf_size, op->res);
	if (op->owner & RC_OWNER_APP) {
		op->state = RC_OP_READY;
		rc_list_push(&r->ready, op);
	} else {
		rc_op_halt_and_release(op);
	}
}

static void rc_ring_stale_cqe(struct rc_ring *r, struct rc_op *op,
			      const struct io_uring_cqe *cqe)
{
	r->stats.stale_cqes++;
	rc_trace(r, RC_EV_STALE_CQE, op, NULL, 0, cqe->res);
	fprintf(stderr, "ringcp: engine: ignored a stale CQE (user_data "
		"0x%llx, res %d): not meant for the record's current life\n",
		(unsigned long long)cqe->user_data, cqe->res);
	rc_buf_return_selected(r, cqe->flags);
}

/* The answer of an ASYNC_CANCEL: counted; releases a record in limbo. */
static void rc_ring_cancel_cqe(struct rc_ring *r, struct rc_op *op,
			       const struct io_uring_cqe *cqe)
{
	if (cqe->res == 0)
		r->stats.cancel_res_ok++;
	else if (cqe->res == -ENOENT)
		r->stats.cancel_res_enoent++;
	else if (cqe->res == -EALREADY)
		r->stats.cancel_res_ealready++;
	else
		r->stats.cancel_res_other++;
	op->cancel_res = cqe->res;
	op->cancels_pending--;
	r->cancels_pending--;
	rc_trace(r, RC_EV_CANCEL_CQE, op, NULL, 0, cqe->res);
#ifdef RC_MUTANT_CANCEL_TRUSTED
	/* MUTANT: "the cancel says it is over": released on its answer */
	if ((cqe->res == -ENOENT || cqe->res == -EALREADY) &&
	    op->state == RC_OP_INFLIGHT && !(op->owner & RC_OWNER_APP)) {
		rc_list_del(&r->inflight, op);
		op->owner &= (uint8_t)~RC_OWNER_KERNEL;
		rc_op_release(op);
		return;
	}
#endif
	if (op->state == RC_OP_FREE && !op->cancels_pending) {
		r->limbo--;
		rc_list_push(&r->free, op);
	}
}

/*
 * Act on one CQE.  Only a CQE whose address is one of our records, whose
 * generation is that record's current one, and that the record is waiting
 * for (its own CQE, its link timeout's, a cancel's answer) changes
 * anything; every other CQE is counted, traced and reported.
 */
void rc_ring_handle_cqe(struct rc_ring *r, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	struct rc_ud named;
	struct rc_op *op;
	bool same_life;

	if (ud == LIBURING_UDATA_TIMEOUT)
		return;		/* liburing's own wait timeout */
	rc_ud_decode(ud, &named);
	op = (struct rc_op *)named.record;
	if (named.tag == RC_UD_CANCEL_FD && (void *)op == (void *)r &&
	    r->cancels_pending) {
		/* the answer of a cancel keyed on an fd: a count or -ENOENT */
		r->cancels_pending--;
		if (cqe->res > 0)
			r->stats.cancel_fd_matched += (uint64_t)cqe->res;
		rc_trace(r, RC_EV_CANCEL_CQE, NULL, r, 0, cqe->res);
		return;
	}
	if (!rc_hmap_get(&r->records, rc_hkey_ptr(op))) {
		r->stats.unknown_cqes++;
		rc_trace(r, RC_EV_UNKNOWN_CQE, NULL, r, 0, cqe->res);
		fprintf(stderr, "ringcp: engine: ignored a CQE that names no "
			"operation of this ring (user_data 0x%llx, res %d)\n",
			(unsigned long long)ud, cqe->res);
		rc_buf_return_selected(r, cqe->flags);
		return;
	}
	same_life = (op->gen & RC_UD_LIFE_MASK) == named.life;
	switch (named.tag) {
	case RC_UD_CANCEL:
		if (!same_life || !op->cancels_pending)
			break;
		rc_ring_cancel_cqe(r, op, cqe);
		return;
	case RC_UD_TIMEOUT:
		if (!same_life || op->state != RC_OP_INFLIGHT ||
		    !op->timeout_pending)
			break;
		r->stats.link_timeout_cqes++;
		op->timeout_pending = false;
		rc_trace(r, RC_EV_TIMEOUT_CQE, op, NULL, 0, cqe->res);
		if (!--op->kernel_cqes)
			rc_op_complete(r, op);
		return;
	case RC_UD_OP:
#ifdef RC_MUTANT_STALE_CQE
		same_life = true;	/* MUTANT: the generation is not checked */
#endif
		if (!same_life || op->state != RC_OP_INFLIGHT ||
		    !(op->owner & RC_OWNER_KERNEL) ||
		    op->kernel_cqes == (op->timeout_pending ? 1 : 0))
			break;	/* not in flight, or its CQE already came */
		if (cqe->flags & IORING_CQE_F_MORE)
			return;	/* multishot: not the final CQE */
		r->stats.cqes++;
		op->cqe_user_data = ud;
		op->res = cqe->res;
		op->cqe_flags = cqe->flags;
		rc_trace(r, RC_EV_OP_CQE, op, op->buf, op->buf_size, cqe->res);
		if (op->buf_select) {
			/* the ring buffer the kernel picked is the op's now,
			 * whatever became of the op (halt safety gives it
			 * back); none if it found the ring empty */
			rc_buf_attach_selected(r, op, cqe->flags);
			if (cqe->res == -ENOBUFS)
				r->stats.reads_nobufs++;
#ifdef RC_MUTANT_RING_EARLY_RECYCLE
			/* MUTANT: back into the ring at once, while the
			 * program still has to write its data out */
			if (op->buf)
				rc_buf_put(r, op->buf, op->buf_size);
#endif
		}
		if (!--op->kernel_cqes)
			rc_op_complete(r, op);
		return;
	default:
		break;
	}
	rc_ring_stale_cqe(r, op, cqe);
}

