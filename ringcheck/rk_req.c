/* SPDX-License-Identifier: MIT */
/*
 * Requests in flight: one record per SQE the kernel took, with what it
 * holds until its CQE (read from the SQE by rh_sqe_walk), kept until a
 * CQE with its user_data and without IORING_CQE_F_MORE is seen in its
 * ring.  Requests sharing a user_data complete oldest first.  A ring torn
 * down turns its requests into orphans: no CQE will tell ringcheck when
 * the kernel is done with them.
 */
#include <stdlib.h>
#include <string.h>

#include "rk.h"

struct rk_collect {
	const struct rk_ring *r;
	struct rk_req *q;
	unsigned cap;
};

static void rk_collect_range(void *arg, const void *addr, size_t len,
			     enum rh_mem_kind kind, bool at_run)
{
	struct rk_collect *c = arg;
	struct rk_req *q = c->q;

	if (!at_run && c->r->stable)
		return;		/* the kernel copied it while taking the SQE */
	if (q->nranges == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 4;
		struct rk_range *n = realloc(q->range, cap * sizeof(*n));

		if (!n)
			return;
		q->range = n;
		c->cap = cap;
	}
	q->range[q->nranges].lo = (uintptr_t)addr;
	q->range[q->nranges].hi = (uintptr_t)addr + len;
	q->range[q->nranges].kind = (uint8_t)kind;
	q->nranges++;
}

static void rk_collect_fd(void *arg, int fd)
{
	struct rk_req *q = ((struct rk_collect *)arg)->q;

	if (q->nfds < sizeof(q->fd) / sizeof(q->fd[0]))
		q->fd[q->nfds++] = fd;
}

/*
 * IORING_OP_CLOSE taken: an fd a request in flight names goes, unless
 * that request is before it in its link chain (it runs first).  Checked
 * after the CQs are read (rk_req_check_closes): a request the same
 * submission completed has its CQE there.
 */
static void rk_collect_closes(void *arg, int fd)
{
	struct rk_collect *c = arg;
	struct rk_release rel = { .call = "IORING_OP_CLOSE", .fd = fd,
				  .fd_last = fd, .chain = c->q->chain };

	if (rk.ncloses == sizeof(rk.closes) / sizeof(rk.closes[0])) {
		rk_check(&rel);
		return;
	}
	rk.closes[rk.ncloses].fd = fd;
	rk.closes[rk.ncloses].chain = c->q->chain;
	rk.ncloses++;
}

void rk_req_check_closes(void)
{
	unsigned i, n = rk.ncloses;

	rk.ncloses = 0;
	for (i = 0; i < n; i++) {
		struct rk_release rel = { .call = "IORING_OP_CLOSE",
					  .fd = rk.closes[i].fd,
					  .fd_last = rk.closes[i].fd,
					  .chain = rk.closes[i].chain };

		rk_check(&rel);
	}
}

static struct rc_hkey rk_key(int ring, uint64_t ud)
{
	return (struct rc_hkey){ ud, (uint64_t)ring };
}

void rk_req_add(struct rk_ring *r, const struct io_uring_sqe *sqe)
{
	static const struct rh_sqe_walker w = {
		.range = rk_collect_range,
		.fd = rk_collect_fd,
		.closes = rk_collect_closes,
	};
	struct rk_collect c = { .r = r };
	struct rk_req *q, *o;
	struct rc_hkey k;

	rk_shared_add(rk.sh, requests, 1);
	if (sqe->flags & IOSQE_CQE_SKIP_SUCCESS) {
		rk_shared_add(rk.sh, unchecked, 1);	/* no CQE to wait for */
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return;
	c.q = q;
	q->ring = rk_ring_index(r);
	q->ud = sqe->user_data;
	q->opcode = sqe->opcode;
	q->sqe_flags = sqe->flags;
	q->seq = ++rk.seq;
	if (!r->linked)
		r->chain = ++rk.chains;
	q->chain = r->chain;
	r->linked = sqe->flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
	q->nbt = rk_sub_nbt;
	memcpy(q->bt, rk_sub_bt, sizeof(q->bt));
	rh_sqe_walk(sqe, &w, &c);
	k = rk_key(q->ring, q->ud);
	o = rc_hmap_get(&rk.byud, k);
	if (!o) {
		if (rc_hmap_put(&rk.byud, k, q)) {
			free(q->range);
			free(q);
			return;
		}
	} else {
		while (o->same)
			o = o->same;
		o->same = q;
	}
	q->next = rk.live;
	if (rk.live)
		rk.live->prev = q;
	rk.live = q;
	__atomic_fetch_add(&rk.nlive, 1, __ATOMIC_RELAXED);
}

static void rk_req_free(struct rk_req *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		rk.live = q->next;
	if (q->next)
		q->next->prev = q->prev;
	__atomic_fetch_sub(&rk.nlive, 1, __ATOMIC_RELAXED);
	free(q->range);
	free(q);
}

/* Unlink q from its (ring, ud) chain in byud. */
static void rk_req_unkey(struct rk_req *q)
{
	struct rc_hkey k = rk_key(q->ring, q->ud);
	struct rk_req *o = rc_hmap_get(&rk.byud, k);

	if (o == q) {
		if (q->same)
			rc_hmap_put(&rk.byud, k, q->same);
		else
			rc_hmap_del(&rk.byud, k);
		return;
	}
	while (o && o->same != q)
		o = o->same;
	if (o)
		o->same = q->same;
}

void rk_req_cqe(struct rk_ring *r, uint64_t ud, uint32_t cflags)
{
	struct rc_hkey k = rk_key(rk_ring_index(r), ud);
	struct rk_req *q;

	if (cflags & IORING_CQE_F_MORE)
		return;		/* multishot: more to come */
	q = rc_hmap_get(&rk.byud, k);
	if (!q)
		return;		/* a request ringcheck did not see taken */
	rk_req_unkey(q);
	rk_shared_add(rk.sh, completions, 1);
	rk_req_free(q);
}

void rk_req_drop_ring(int ring)
{
	struct rk_req *q, *next;

	for (q = rk.live; q; q = next) {
		next = q->next;
		if (q->ring != ring)
			continue;
		rk_req_unkey(q);
		rk_shared_add(rk.sh, unchecked, 1);
		rk_req_free(q);
	}
}

void rk_req_orphan_ring(int ring)
{
	struct rk_req *q;

	for (q = rk.live; q; q = q->next)
		if (q->ring == ring)
			q->orphan = true;
}

const char *rk_opcode_name(unsigned op)
{
	static const char *const names[] = {
		"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED",
		"WRITE_FIXED", "POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE",
		"SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT",
		"ASYNC_CANCEL", "LINK_TIMEOUT", "CONNECT", "FALLOCATE",
		"OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
		"FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL",
		"SPLICE", "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE",
		"SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT",
		"LINKAT", "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR",
		"GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC", "SENDMSG_ZC",
	};

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}
