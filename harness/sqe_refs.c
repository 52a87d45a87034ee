/* SPDX-License-Identifier: MIT */
/*
 * Reading an SQE the way the kernel will (io_uring/rw.c, openclose.c,
 * statx.c, fs.c, timeout.c, net.c, splice.c of Linux 6.18): which user
 * memory and which fds it refers to.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/openat2.h>
#include <linux/time_types.h>

#include "sqe_refs.h"

static void rh_walk_range(const struct rh_sqe_walker *w, void *arg,
			  uint64_t addr, size_t len, enum rh_mem_kind kind,
			  bool at_run)
{
	if (addr && len && w->range)
		w->range(arg, (const void *)(uintptr_t)addr, len, kind, at_run);
}

static void rh_walk_path(const struct rh_sqe_walker *w, void *arg,
			 uint64_t addr, enum rh_mem_kind kind)
{
	if (addr)
		rh_walk_range(w, arg, addr,
			      strlen((const char *)(uintptr_t)addr) + 1, kind,
			      false);
}

/* A fd or directory fd (AT_FDCWD names none; a fixed file is an index). */
static void rh_walk_fd(const struct rh_sqe_walker *w, void *arg,
		       const struct io_uring_sqe *sqe, int fd)
{
	if (fd >= 0 && w->fd && !(sqe->flags & IOSQE_FIXED_FILE))
		w->fd(arg, fd);
}

/* An iovec array and each of its buffers (all touched at run time). */
static void rh_walk_iov(const struct rh_sqe_walker *w, void *arg,
			uint64_t addr, size_t n)
{
	const struct iovec *iov = (const struct iovec *)(uintptr_t)addr;
	size_t i;

	if (!iov)
		return;
	rh_walk_range(w, arg, addr, n * sizeof(*iov), RH_MEM_IOVEC, false);
	for (i = 0; i < n; i++)
		rh_walk_range(w, arg, (uintptr_t)iov[i].iov_base,
			      iov[i].iov_len, RH_MEM_DATA, true);
}

/* sendmsg/recvmsg: the msghdr, its iovecs, name and control buffers. */
static void rh_walk_msg(const struct rh_sqe_walker *w, void *arg,
			const struct io_uring_sqe *sqe, bool recv)
{
	const struct msghdr *m = (const struct msghdr *)(uintptr_t)sqe->addr;

	if (!m)
		return;
	rh_walk_range(w, arg, sqe->addr, sizeof(*m), RH_MEM_MSGHDR, recv);
	if (!(sqe->flags & IOSQE_BUFFER_SELECT))
		rh_walk_iov(w, arg, (uintptr_t)m->msg_iov, m->msg_iovlen);
	rh_walk_range(w, arg, (uintptr_t)m->msg_name, m->msg_namelen,
		      RH_MEM_SOCKADDR, recv);
	rh_walk_range(w, arg, (uintptr_t)m->msg_control, m->msg_controllen,
		      RH_MEM_DATA, recv);
}

/* Opcodes of files and paths (rh_sqe_walk's first half). */
static bool rh_walk_fs(const struct io_uring_sqe *sqe,
		       const struct rh_sqe_walker *w, void *arg)
{
	switch (sqe->opcode) {
	case IORING_OP_READ:
	case IORING_OP_WRITE:
	case IORING_OP_READ_FIXED:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_SEND:
	case IORING_OP_RECV:
		if (!(sqe->flags & IOSQE_BUFFER_SELECT))
			rh_walk_range(w, arg, sqe->addr, sqe->len,
				      RH_MEM_DATA, true);
		break;
	case IORING_OP_READV:
	case IORING_OP_WRITEV:
		if (!(sqe->flags & IOSQE_BUFFER_SELECT))
			rh_walk_iov(w, arg, sqe->addr, sqe->len);
		break;
	case IORING_OP_OPENAT:
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
		rh_walk_path(w, arg, sqe->addr, RH_MEM_PATH);
		break;
	case IORING_OP_OPENAT2:
		rh_walk_path(w, arg, sqe->addr, RH_MEM_PATH);
		rh_walk_range(w, arg, sqe->addr2, sizeof(struct open_how),
			      RH_MEM_OPEN_HOW, false);
		break;
	case IORING_OP_STATX:
		rh_walk_path(w, arg, sqe->addr, RH_MEM_PATH);
		rh_walk_range(w, arg, sqe->off, sizeof(struct statx),
			      RH_MEM_STATX, true);
		break;
	case IORING_OP_LINKAT:
	case IORING_OP_RENAMEAT:
		rh_walk_path(w, arg, sqe->addr, RH_MEM_PATH);
		rh_walk_path(w, arg, sqe->addr2, RH_MEM_PATH2);
		rh_walk_fd(w, arg, sqe, sqe->fd);	/* old dir, then new */
		rh_walk_fd(w, arg, sqe, (int)sqe->len);
		return true;
	case IORING_OP_SYMLINKAT:
		rh_walk_path(w, arg, sqe->addr, RH_MEM_PATH);
		rh_walk_path(w, arg, sqe->addr2, RH_MEM_PATH2);
		break;
	case IORING_OP_SPLICE:
	case IORING_OP_TEE:
		/* two fds: fd_in (a table index with SPLICE_F_FD_IN_FIXED,
		 * whatever IOSQE_FIXED_FILE says of fd_out), then fd_out */
		if ((int)sqe->splice_fd_in >= 0 && w->fd &&
		    !(sqe->splice_flags & SPLICE_F_FD_IN_FIXED))
			w->fd(arg, (int)sqe->splice_fd_in);
		break;
	case IORING_OP_FSYNC:
	case IORING_OP_FALLOCATE:
	case IORING_OP_FADVISE:
	case IORING_OP_SYNC_FILE_RANGE:
	case IORING_OP_POLL_ADD:
	case IORING_OP_SHUTDOWN:
		break;
	default:
		return false;
	}
	rh_walk_fd(w, arg, sqe, sqe->fd);
	return true;
}

void rh_sqe_walk(const struct io_uring_sqe *sqe, const struct rh_sqe_walker *w,
		 void *arg)
{
	if (rh_walk_fs(sqe, w, arg))
		return;
	switch (sqe->opcode) {
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
		rh_walk_msg(w, arg, sqe, sqe->opcode == IORING_OP_RECVMSG);
		rh_walk_fd(w, arg, sqe, sqe->fd);
		break;
	case IORING_OP_ACCEPT:	/* the address is written on completion */
		rh_walk_range(w, arg, sqe->addr2, sizeof(socklen_t),
			      RH_MEM_SOCKADDR, true);
		if (sqe->addr2)
			rh_walk_range(w, arg, sqe->addr,
				      *(const socklen_t *)(uintptr_t)sqe->addr2,
				      RH_MEM_SOCKADDR, true);
		rh_walk_fd(w, arg, sqe, sqe->fd);
		break;
	case IORING_OP_CONNECT:
		rh_walk_range(w, arg, sqe->addr, sqe->off, RH_MEM_SOCKADDR,
			      false);
		rh_walk_fd(w, arg, sqe, sqe->fd);
		break;
	case IORING_OP_TIMEOUT:
	case IORING_OP_LINK_TIMEOUT:
		rh_walk_range(w, arg, sqe->addr,
			      sizeof(struct __kernel_timespec),
			      RH_MEM_TIMESPEC, false);
		break;
	case IORING_OP_CLOSE:
		if (w->closes && !sqe->file_index)
			w->closes(arg, sqe->fd);
		break;
	default:
		break;
	}
}

static void rh_refs_range(void *arg, const void *addr, size_t len,
			  enum rh_mem_kind kind, bool at_run)
{
	struct rh_sqe_refs *r = arg;

	(void)at_run;
	if (r->nranges == RH_SQE_MAX_RANGES)
		return;
	r->range[r->nranges].addr = addr;
	r->range[r->nranges].len = len;
	r->range[r->nranges].kind = kind;
	r->nranges++;
}

static void rh_refs_fd(void *arg, int fd)
{
	struct rh_sqe_refs *r = arg;

	if (r->nfds < RH_SQE_MAX_FDS)
		r->fd[r->nfds++] = fd;
}

static void rh_refs_closes(void *arg, int fd)
{
	((struct rh_sqe_refs *)arg)->closes = fd;
}

void rh_sqe_refs(const struct io_uring_sqe *sqe, struct rh_sqe_refs *r)
{
	static const struct rh_sqe_walker w = {
		.range = rh_refs_range,
		.fd = rh_refs_fd,
		.closes = rh_refs_closes,
	};

	memset(r, 0, sizeof(*r));
	r->closes = -1;
	if ((sqe->flags & IOSQE_FIXED_FILE) && sqe->opcode != IORING_OP_SPLICE &&
	    sqe->opcode != IORING_OP_TEE)
		return;		/* a registered file: no fd number (a
				 * splice's fd_in has its own flag) */
	rh_sqe_walk(sqe, &w, r);
}

const char *rh_mem_kind_name(enum rh_mem_kind k)
{
	static const char *const names[RH_MEM__COUNT] = {
		[RH_MEM_DATA] = "data buffer",
		[RH_MEM_PATH] = "path",
		[RH_MEM_PATH2] = "second path",
		[RH_MEM_STATX] = "statx buffer",
		[RH_MEM_TIMESPEC] = "timespec",
		[RH_MEM_IOVEC] = "iovec array",
		[RH_MEM_MSGHDR] = "msghdr",
		[RH_MEM_SOCKADDR] = "socket address",
		[RH_MEM_OPEN_HOW] = "open_how",
	};

	return k < RH_MEM__COUNT ? names[k] : "?";
}
