/* SPDX-License-Identifier: MIT */
/*
 * Reading an SQE the way the kernel will (io_uring/rw.c, openclose.c,
 * statx.c, fs.c, timeout.c of Linux 6.18): which user memory and which
 * fds it refers to.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/time_types.h>

#include "sqe_refs.h"

static void rh_add_range(struct rh_sqe_refs *r, uint64_t addr, size_t len,
			 enum rh_mem_kind kind)
{
	if (!addr || r->nranges == RH_SQE_MAX_RANGES)
		return;
	r->range[r->nranges].addr = (const void *)(uintptr_t)addr;
	r->range[r->nranges].len = len;
	r->range[r->nranges].kind = kind;
	r->nranges++;
}

static void rh_add_path(struct rh_sqe_refs *r, uint64_t addr,
			enum rh_mem_kind kind)
{
	if (addr)
		rh_add_range(r, addr, strlen((const char *)(uintptr_t)addr) + 1,
			     kind);
}

/* A directory fd (AT_FDCWD names none). */
static void rh_add_fd(struct rh_sqe_refs *r, int fd)
{
	if (fd >= 0 && r->nfds < RH_SQE_MAX_FDS)
		r->fd[r->nfds++] = fd;
}

void rh_sqe_refs(const struct io_uring_sqe *sqe, struct rh_sqe_refs *r)
{
	memset(r, 0, sizeof(*r));
	r->closes = -1;
	if (sqe->flags & IOSQE_FIXED_FILE)
		return;		/* a registered file: no fd number */
	switch (sqe->opcode) {
	case IORING_OP_READ:
	case IORING_OP_WRITE:
	case IORING_OP_READ_FIXED:
	case IORING_OP_WRITE_FIXED:
		if (!(sqe->flags & IOSQE_BUFFER_SELECT))
			rh_add_range(r, sqe->addr, sqe->len, RH_MEM_DATA);
		rh_add_fd(r, sqe->fd);
		break;
	case IORING_OP_FSYNC:
		rh_add_fd(r, sqe->fd);
		break;
	case IORING_OP_OPENAT:
		rh_add_path(r, sqe->addr, RH_MEM_PATH);
		rh_add_fd(r, sqe->fd);
		break;
	case IORING_OP_STATX:
		rh_add_path(r, sqe->addr, RH_MEM_PATH);
		rh_add_range(r, sqe->off, sizeof(struct statx), RH_MEM_STATX);
		rh_add_fd(r, sqe->fd);
		break;
	case IORING_OP_LINKAT:
	case IORING_OP_RENAMEAT:
		rh_add_path(r, sqe->addr, RH_MEM_PATH);
		rh_add_path(r, sqe->addr2, RH_MEM_PATH2);
		rh_add_fd(r, sqe->fd);
		rh_add_fd(r, (int)sqe->len);
		break;
	case IORING_OP_LINK_TIMEOUT:
		rh_add_range(r, sqe->addr, sizeof(struct __kernel_timespec),
			     RH_MEM_TIMESPEC);
		break;
	case IORING_OP_CLOSE:
		r->closes = sqe->fd;
		break;
	default:
		break;
	}
}

const char *rh_mem_kind_name(enum rh_mem_kind k)
{
	static const char *const names[RH_MEM__COUNT] = {
		[RH_MEM_DATA] = "data buffer",
		[RH_MEM_PATH] = "path",
		[RH_MEM_PATH2] = "second path",
		[RH_MEM_STATX] = "statx buffer",
		[RH_MEM_TIMESPEC] = "timespec",
	};

	return k < RH_MEM__COUNT ? names[k] : "?";
}
