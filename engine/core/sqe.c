/* SPDX-License-Identifier: MIT */
/*
 * An op's SQE (and its linked timeout's): written only once the op is in
 * flight (KERNEL set), before the kernel can see it (no SQPOLL: only at
 * the next io_uring_enter).
 */
#include <errno.h>

#include "core.h"

int rc_op_write_sqe(struct rc_ring *r, struct rc_op *op)
{
	struct io_uring_sqe *sqe, *tsqe = NULL;
	void *addr = op->buf ? (char *)op->buf + op->io_off : NULL;
	int fixed;

	if (io_uring_sq_space_left(&r->uring) < (op->link_timeout_ns ? 2u : 1u))
		return -EBUSY;
	/* the kernel cannot see the SQE before the next io_uring_enter */
#ifndef RC_MUTANT_UD_REUSE
	op->gen++;	/* a new life: its CQEs are told from the last's */
#endif
	op->owner |= RC_OWNER_KERNEL;
	op->state = RC_OP_INFLIGHT;
	op->kernel_cqes = op->link_timeout_ns ? 2 : 1;
	op->timeout_pending = op->link_timeout_ns != 0;
	op->submit_ns = rc_now_ns();
	rc_list_push(&r->inflight, op);
	rc_trace(r, RC_EV_SUBMIT, op, op->buf, op->buf_size, 0);

	sqe = io_uring_get_sqe(&r->uring);
	if (op->link_timeout_ns)
		tsqe = io_uring_get_sqe(&r->uring);
	switch (op->opcode) {
	case IORING_OP_READ:
		if (op->buf_select) {
			io_uring_prep_read(sqe, op->fd, NULL, op->len, op->off);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = (__u16)rc_ring_buf_group(r);
		} else if ((fixed = rc_buf_fixed_index(r, op)) >= 0) {
			io_uring_prep_read_fixed(sqe, op->fd, addr, op->len,
						 op->off, fixed);
			r->stats.reads_fixed++;
		} else {
			io_uring_prep_read(sqe, op->fd, addr, op->len, op->off);
		}
		break;
	case IORING_OP_WRITE:
		if ((fixed = rc_buf_fixed_index(r, op)) >= 0) {
			io_uring_prep_write_fixed(sqe, op->fd, addr, op->len,
						  op->off, fixed);
			r->stats.writes_fixed++;
		} else {
			io_uring_prep_write(sqe, op->fd, addr, op->len,
					    op->off);
		}
		break;
	case IORING_OP_OPENAT:
		io_uring_prep_openat(sqe, op->dfd, op->path, (int)op->rw_flags,
				     op->mode);
		break;
	case IORING_OP_FSYNC:
		io_uring_prep_fsync(sqe, op->fd, op->rw_flags);
		break;
	case IORING_OP_CLOSE:
		io_uring_prep_close(sqe, op->fd);
		break;
	case IORING_OP_STATX:
		io_uring_prep_statx(sqe, op->dfd, op->path, (int)op->rw_flags,
				    op->mode, (struct statx *)op->buf);
		break;
	case IORING_OP_LINKAT:
		io_uring_prep_linkat(sqe, op->dfd, op->path, op->fd,
				     op->path2, (int)op->rw_flags);
		break;
	case IORING_OP_RENAMEAT:
		io_uring_prep_renameat(sqe, op->dfd, op->path, op->fd,
				       op->path2, op->rw_flags);
		break;
	case IORING_OP_SPLICE:
		/* two fds, no memory: RC_SPLICE_NO_OFF is the kernel's -1 */
		io_uring_prep_splice(sqe, op->splice_fd_in,
				     (int64_t)op->splice_off_in, op->fd,
				     (int64_t)op->off, op->len, op->rw_flags);
		r->stats.splices++;
		break;
	default:
		io_uring_prep_nop(sqe);
		break;
	}
	sqe->flags |= op->sqe_flags;
	io_uring_sqe_set_data64(sqe, rc_op_ud(op, RC_UD_OP));
	if (tsqe) {
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_prep_link_timeout(tsqe, &op->ts, 0);
		/* the chain goes on after the timeout if the op was linked,
		 * by the same kind of link (a hard link survives a failure) */
		tsqe->flags |= op->sqe_flags & RC_LINK_FLAGS;
		io_uring_sqe_set_data64(tsqe, rc_op_ud(op, RC_UD_TIMEOUT));
	}
	rc_trace(r, RC_EV_SQE, op, sqe, sizeof(*sqe), 0);
	if (tsqe)
		rc_trace(r, RC_EV_SQE, op, tsqe, sizeof(*tsqe), 0);
	r->stats.ops_submitted++;
	return 0;
}

