/* SPDX-License-Identifier: MIT */
/*
 * Operation records: getting one, preparing it (the op owns every piece
 * of memory its SQE will point at), handing it to the engine, and
 * releasing it once nobody owns it, with a cancelled op's effects
 * accounted for first (halt safety).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core.h"

void rc_op_free_path(struct rc_op *op, char **path)
{
	if (!*path)
		return;
	rc_trace(op->ring, RC_EV_MEM_PUT, op, *path, strlen(*path) + 1, 0);
	free(*path);
	*path = NULL;
}

int rc_op_get(struct rc_ring *r, struct rc_op **opp)
{
	struct rc_op *op = rc_list_pop(&r->free);
	uint32_t gen;

	if (!op) {
		op = calloc(1, sizeof(*op));
		if (!op)
			return -ENOMEM;
		if (rc_hmap_put(&r->records, rc_hkey_ptr(op), op)) {
			free(op);
			return -ENOMEM;
		}
		r->stats.records_allocated++;
	}
	gen = op->gen;
	memset(op, 0, sizeof(*op));
	op->gen = gen;		/* generations only ever grow */
	op->ring = r;
	op->fd = -1;
	op->dfd = -1;
	op->splice_fd_in = -1;
	op->owner = RC_OWNER_APP;
	op->state = RC_OP_IDLE;
	op->cancel_res = RC_CANCEL_NONE;
	rc_trace(r, RC_EV_OP_GET, op, NULL, 0, 0);
	*opp = op;
	return 0;
}

void rc_op_release(struct rc_op *op)
{
	struct rc_ring *r = op->ring;

	rc_trace(r, RC_EV_RELEASE, op, op->buf, op->buf_size, op->res);
	rc_op_uncharge(op);	/* its CQE came, or it never ran */
	if (op->buf)
		rc_buf_put(r, op->buf, op->buf_size);
	op->buf = NULL;
	op->buf_size = 0;
	rc_op_free_path(op, &op->path);
	rc_op_free_path(op, &op->path2);
	op->owner = 0;
	op->state = RC_OP_FREE;
	r->stats.released++;
	/* a cancel aimed at it is still unanswered: not reusable until then,
	 * so that answer cannot be taken for one about a later life */
	if (op->cancels_pending)
		r->limbo++;
	else
		rc_list_push(&r->free, op);
}

void rc_op_put(struct rc_op *op)
{
	if (!op || op->state != RC_OP_IDLE)
		return;
	op->owner &= (uint8_t)~RC_OWNER_APP;
	rc_op_release(op);
}

int rc_op_set_buf(struct rc_op *op, void *buf, size_t size)
{
	if (op->state != RC_OP_IDLE || op->buf || !buf)
		return -EINVAL;
	op->buf = buf;
	op->buf_size = size;
	return 0;
}

void *rc_op_take_buf(struct rc_op *op, size_t *sizep)
{
	void *buf;

	if (op->state != RC_OP_IDLE)
		return NULL;
	buf = op->buf;
	if (sizep)
		*sizep = op->buf_size;
	op->buf = NULL;
	op->buf_size = 0;
	return buf;
}

void rc_op_charge(struct rc_op *op, uint32_t bytes)
{
	struct rc_ring *r = op->ring;

	op->charge += bytes;
	r->charged += bytes;
	if (r->charged > r->stats.charged_peak_bytes)
		r->stats.charged_peak_bytes = r->charged;
}

void rc_op_uncharge(struct rc_op *op)
{
	op->ring->charged -= op->charge;
	op->charge = 0;
}

uint64_t rc_ring_charged(const struct rc_ring *r)
{
	return r->charged;
}

static int rc_op_prep(struct rc_op *op, uint8_t opcode, int fd, uint64_t off)
{
	if (op->state != RC_OP_IDLE || !(op->owner & RC_OWNER_APP))
		return -EINVAL;
	op->opcode = opcode;
	op->fd = fd;
	op->off = off;
	op->io_off = 0;
	op->len = 0;
	op->rw_flags = 0;
	op->sqe_flags = 0;
	op->link_timeout_ns = 0;
	op->res = 0;
	op->cqe_flags = 0;
	op->cancel_res = RC_CANCEL_NONE;
	op->buf_select = false;
	return 0;
}

static int rc_op_prep_rw(struct rc_op *op, uint8_t opcode, int fd,
			 size_t io_off, uint32_t len, uint64_t off)
{
	int ret;

	if (opcode == IORING_OP_READ && rc_buf_read_selects(op->ring, op)) {
		/* the kernel picks a ring buffer: the op's last one (the
		 * program is done with it) goes back first */
		ret = rc_op_prep(op, opcode, fd, off);
		if (ret)
			return ret;
		rc_buf_put(op->ring, op->buf, op->buf_size);
		op->buf = NULL;
		op->buf_size = 0;
		op->buf_select = true;
		op->len = len;
		return 0;
	}
	if (!op->buf || io_off > op->buf_size || len > op->buf_size - io_off)
		return -EINVAL;
	ret = rc_op_prep(op, opcode, fd, off);
	if (ret)
		return ret;
	op->io_off = io_off;
	op->len = len;
	return 0;
}

int rc_op_prep_read(struct rc_op *op, int fd, size_t io_off, uint32_t len,
		    uint64_t off)
{
	return rc_op_prep_rw(op, IORING_OP_READ, fd, io_off, len, off);
}

int rc_op_prep_write(struct rc_op *op, int fd, size_t io_off, uint32_t len,
		     uint64_t off)
{
	return rc_op_prep_rw(op, IORING_OP_WRITE, fd, io_off, len, off);
}

/*
 * A copy of path for op to own, or NULL if memory is exhausted (in trace
 * builds also when the ring's fault hook says so: tests).
 */
static char *rc_op_path_copy(struct rc_op *op, const char *path)
{
#ifdef RC_TRACE
	struct rc_ring *r = op->ring;

	if (r->fail_path_copy && r->fail_path_copy(r->fail_arg, op, path))
		return NULL;
#endif
	return strdup(path);
}

int rc_op_prep_openat(struct rc_op *op, int dfd, const char *path, int flags,
		      mode_t mode)
{
	char *copy;
	int ret;

	ret = rc_op_prep(op, IORING_OP_OPENAT, -1, 0);
	if (ret)
		return ret;
	copy = rc_op_path_copy(op, path);
	if (!copy)
		return -ENOMEM;
	rc_op_free_path(op, &op->path);
	op->path = copy;	/* the SQE points at the op's own copy */
	op->dfd = dfd;
	op->rw_flags = (uint32_t)flags;
	op->mode = mode;
	return 0;
}

int rc_op_prep_fsync(struct rc_op *op, int fd, unsigned flags)
{
	int ret = rc_op_prep(op, IORING_OP_FSYNC, fd, 0);

	if (!ret)
		op->rw_flags = flags;
	return ret;
}

int rc_op_prep_close(struct rc_op *op, int fd)
{
	return rc_op_prep(op, IORING_OP_CLOSE, fd, 0);
}

/* Give the op its own copies of the paths its SQE will point at. */
static int rc_op_own_paths(struct rc_op *op, const char *path,
			   const char *path2)
{
	char *c1 = rc_op_path_copy(op, path);
	char *c2 = path2 ? rc_op_path_copy(op, path2) : NULL;

	if (!c1 || (path2 && !c2)) {
		free(c1);
		free(c2);
		return -ENOMEM;
	}
	rc_op_free_path(op, &op->path);
	rc_op_free_path(op, &op->path2);
	op->path = c1;
	op->path2 = c2;
	return 0;
}

int rc_op_prep_statx(struct rc_op *op, int dfd, const char *path, int flags,
		     unsigned mask)
{
	int ret;

	if (!op->buf || op->buf_size < sizeof(struct statx))
		return -EINVAL;
	ret = rc_op_prep(op, IORING_OP_STATX, -1, 0);
	if (!ret)
		ret = rc_op_own_paths(op, path, NULL);
	if (ret)
		return ret;
	op->dfd = dfd;
	op->rw_flags = (uint32_t)flags;
	op->mode = mask;
	op->len = sizeof(struct statx);
	return 0;
}

int rc_op_prep_linkat(struct rc_op *op, int olddfd, const char *oldpath,
		      int newdfd, const char *newpath, int flags)
{
	int ret = rc_op_prep(op, IORING_OP_LINKAT, newdfd, 0);

	if (!ret)
		ret = rc_op_own_paths(op, oldpath, newpath);
	if (ret)
		return ret;
	op->dfd = olddfd;
	op->rw_flags = (uint32_t)flags;
	return 0;
}

int rc_op_prep_renameat(struct rc_op *op, int olddfd, const char *oldpath,
			int newdfd, const char *newpath, unsigned flags)
{
	int ret = rc_op_prep(op, IORING_OP_RENAMEAT, newdfd, 0);

	if (!ret)
		ret = rc_op_own_paths(op, oldpath, newpath);
	if (ret)
		return ret;
	op->dfd = olddfd;
	op->rw_flags = flags;
	return 0;
}

int rc_op_prep_splice(struct rc_op *op, int fd_in, uint64_t off_in, int fd_out,
		      uint64_t off_out, uint32_t len, unsigned flags)
{
	int ret;

	if (fd_in < 0 || fd_out < 0 || !len || (flags & SPLICE_F_FD_IN_FIXED))
		return -EINVAL;
	ret = rc_op_prep(op, IORING_OP_SPLICE, fd_out, off_out);
	if (ret)
		return ret;
	op->splice_fd_in = fd_in;
	op->splice_off_in = off_in;
	op->len = len;
	op->rw_flags = flags;
	return 0;
}

int rc_op_prep_nop(struct rc_op *op)
{
	return rc_op_prep(op, IORING_OP_NOP, -1, 0);
}

int rc_op_set_flags(struct rc_op *op, unsigned sqe_flags)
{
	const unsigned allowed = IOSQE_ASYNC | IOSQE_IO_LINK |
				 IOSQE_IO_HARDLINK | IOSQE_IO_DRAIN;

	if (sqe_flags & ~allowed)
		return -EINVAL;
	op->sqe_flags |= (uint8_t)sqe_flags;
	return 0;
}

void rc_op_set_link_timeout(struct rc_op *op, uint64_t ns)
{
	op->link_timeout_ns = ns;
	op->ts.tv_sec = (long long)(ns / 1000000000ull);
	op->ts.tv_nsec = (long long)(ns % 1000000000ull);
}

int rc_op_submit(struct rc_op *op)
{
	if (op->state != RC_OP_IDLE || !(op->owner & RC_OWNER_APP))
		return -EINVAL;
	op->state = RC_OP_QUEUED;
	rc_list_push(&op->ring->queued, op);
	rc_trace(op->ring, RC_EV_OP_QUEUE, op, op->buf, op->buf_size, 0);
	return 0;
}

void rc_op_halt_and_release(struct rc_op *op)
{
	struct rc_ring *r = op->ring;

	if (op->res >= 0) {
		switch (op->opcode) {
		case IORING_OP_WRITE:
			r->stats.halt_write_bytes += (uint64_t)op->res;
			break;
		case IORING_OP_READ:
			r->stats.halt_read_bytes += (uint64_t)op->res;
#ifdef RC_MUTANT_RING_HALT_LEAK
			/* MUTANT: the ring buffer it took is forgotten */
			if (op->buf_select)
				op->buf = NULL;
#endif
			break;
		case IORING_OP_SPLICE:
			/* bytes moved into or out of a pipe: the caller
			 * knows the pipe may hold them (copy/pipe.c) */
			r->stats.halt_splice_bytes += (uint64_t)op->res;
			break;
		case IORING_OP_OPENAT:
#ifndef RC_MUTANT_HALT_LEAK
			close(op->res);
			r->stats.halt_fds_closed++;
			rc_trace(r, RC_EV_FD_CLOSE, op, NULL, 0, op->res);
#endif
			break;
		default:
			break;
		}
		rc_trace(r, RC_EV_HALT, op, op->buf, op->buf_size, op->res);
	} else {
		rc_op_close_unrun(op);
	}
	rc_op_release(op);
}

void rc_op_close_unrun(struct rc_op *op)
{
	if (op->opcode != IORING_OP_CLOSE || op->res != -ECANCELED ||
	    op->fd < 0)
		return;
	/* it never ran: the fd is still open, and only ours (no one could
	 * have been given its number) */
	close(op->fd);
	op->ring->stats.halt_fds_closed++;
	rc_trace(op->ring, RC_EV_FD_CLOSE, op, NULL, 0, op->fd);
	op->fd = -1;
}

void rc_ring_fail_chain(struct rc_ring *r, struct rc_op *op, int err,
			bool self_fails)
{
	struct rc_op *prev = op->prev, *o = op->next, *n;
	bool linked = op->sqe_flags & RC_LINK_FLAGS;

	if (prev && (prev->sqe_flags & RC_LINK_FLAGS))
		prev->sqe_flags &= (uint8_t)~RC_LINK_FLAGS;
	rc_list_del(&r->queued, op);
	if (self_fails) {
		op->res = err;
		op->state = RC_OP_READY;
		rc_list_push(&r->ready, op);
		rc_trace(r, RC_EV_OP_FAIL, op, NULL, 0, err);
	}
	while (linked && o) {
		n = o->next;
		linked = o->sqe_flags & RC_LINK_FLAGS;
		rc_list_del(&r->queued, o);
		o->res = err;
		o->state = RC_OP_READY;
		rc_list_push(&r->ready, o);
		rc_trace(r, RC_EV_OP_FAIL, o, NULL, 0, err);
		o = n;
	}
}
