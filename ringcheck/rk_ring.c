/* SPDX-License-Identifier: MIT */
/*
 * Rings: where each one's SQ and CQ live, and reading them.  A ring is
 * learnt from liburing's struct io_uring (its init functions) or from the
 * params io_uring_setup answered plus the program's own mmaps of the ring
 * fd (raw users), or, with IORING_SETUP_NO_MMAP, from the memory the
 * program gave.  What the kernel took is read from the SQ head it moves;
 * what it completed from the CQ tail it moves: both after every call
 * ringcheck intercepts, before any release is checked.
 */
#include <execinfo.h>
#include <string.h>
#include <sys/mman.h>

#include "rk.h"

#define RK_ACQ(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* rings with an SQ not yet fully taken: read without the lock */
static unsigned rk_nrings_pub;

struct rk_ring *rk_ring_by_fd(int fd)
{
	int i;

	for (i = rk.nrings - 1; i >= 0; i--)
		if (rk.ring[i].used && !rk.ring[i].dead && rk.ring[i].fd == fd)
			return &rk.ring[i];
	return NULL;
}

int rk_ring_index(const struct rk_ring *r)
{
	return (int)(r - rk.ring);
}

static struct rk_ring *rk_ring_new(int fd, unsigned flags)
{
	struct rk_ring *r = rk_ring_by_fd(fd);

	if (r)
		return r;	/* liburing's init calls its own init */
	if (rk.nrings == RK_MAX_RINGS) {
		rk_say("ringcheck: limit: more than %d rings: ring fd %d is "
		       "not checked\n", RK_MAX_RINGS, fd);
		return NULL;
	}
	r = &rk.ring[rk.nrings++];
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->fd = fd;
	r->born_ns = rk_now_ns();
	r->flags = flags;
	r->sqe_size = flags & IORING_SETUP_SQE128 ? 128 : 64;
	r->cqe_size = flags & IORING_SETUP_CQE32 ? 32 : 16;
	rk_shared_add(rk.sh, rings, 1);
	if (flags & IORING_SETUP_SQPOLL)
		rk_say("ringcheck: limit: ring fd %d uses SQPOLL: the kernel's "
		       "thread takes SQEs without a system call; ringcheck "
		       "reads them when it sees the SQ head move (at each "
		       "call it intercepts), and misses SQEs the program "
		       "rewrites before that\n", fd);
	return r;
}

static void rk_ring_publish(void)
{
	__atomic_store_n(&rk_nrings_pub, (unsigned)rk.nrings,
			 __ATOMIC_RELEASE);
}

void rk_ring_from_liburing(const struct io_uring *lr, unsigned features)
{
	struct rk_ring *r = rk_ring_new(lr->ring_fd, lr->flags);

	if (!r)
		return;
	r->lr = lr;
	r->features = features;
	r->stable = features & IORING_FEAT_SUBMIT_STABLE;
	r->sq_entries = *lr->sq.kring_entries;
	r->cq_entries = *lr->cq.kring_entries;
	r->sq_khead = lr->sq.khead;
	r->sq_ktail = lr->sq.ktail;
	r->sq_kmask = lr->sq.kring_mask;
	r->sq_array = lr->sq.array;
	r->sqes = (const char *)lr->sq.sqes;
	r->cq_khead = lr->cq.khead;
	r->cq_ktail = lr->cq.ktail;
	r->cq_kmask = lr->cq.kring_mask;
	r->cqes = (const char *)lr->cq.cqes;
	r->map_sq = lr->sq.ring_ptr;
	r->len_sq = lr->sq.ring_sz;
	r->map_cq = lr->cq.ring_ptr;
	r->len_cq = lr->cq.ring_sz;
	r->map_sqes = lr->sq.sqes;
	r->len_sqes = (size_t)r->sq_entries * r->sqe_size;
	r->sq_seen = RK_ACQ(r->sq_khead);
	r->cq_seen = RK_ACQ(r->cq_ktail);
	r->mapped = true;
	rk_ring_publish();
}

/* Point the ring at its SQ ring (sq) and CQ ring (cq) memory. */
static void rk_ring_point(struct rk_ring *r, const char *sq, const char *cq)
{
	const struct io_uring_params *p = &r->p;

	if (sq) {
		r->sq_khead = (const unsigned *)(sq + p->sq_off.head);
		r->sq_ktail = (const unsigned *)(sq + p->sq_off.tail);
		r->sq_kmask = (const unsigned *)(sq + p->sq_off.ring_mask);
		r->sq_array = r->flags & IORING_SETUP_NO_SQARRAY ? NULL :
			      (const unsigned *)(sq + p->sq_off.array);
	}
	if (cq) {
		r->cq_khead = (const unsigned *)(cq + p->cq_off.head);
		r->cq_ktail = (const unsigned *)(cq + p->cq_off.tail);
		r->cq_kmask = (const unsigned *)(cq + p->cq_off.ring_mask);
		r->cqes = cq + p->cq_off.cqes;
	}
	if (r->sq_khead && r->cq_khead && r->sqes && !r->mapped) {
		r->sq_seen = RK_ACQ(r->sq_khead);
		r->cq_seen = RK_ACQ(r->cq_ktail);
		r->mapped = true;
		rk_ring_publish();
	}
}

void rk_ring_from_setup(int fd, const struct io_uring_params *p)
{
	struct rk_ring *r = rk_ring_new(fd, p->flags);

	if (!r || r->lr)
		return;
	r->p = *p;
	r->features = p->features;
	r->stable = p->features & IORING_FEAT_SUBMIT_STABLE;
	r->sq_entries = p->sq_entries;
	r->cq_entries = p->cq_entries;
	/* (resv2 is user_addr in Linux 6.5+'s header) */
	if (p->flags & IORING_SETUP_NO_MMAP) {
		rk_say("ringcheck: limit: ring fd %d uses NO_MMAP: ringcheck "
		       "reads its rings from the program's memory, and cannot "
		       "tell when that memory goes\n", fd);
		r->sqes = (const char *)(uintptr_t)p->sq_off.resv2;
		rk_ring_point(r, (const char *)(uintptr_t)p->cq_off.resv2,
			      (const char *)(uintptr_t)p->cq_off.resv2);
	}
}

void rk_ring_mmap(int fd, off_t off, const void *addr, size_t len)
{
	struct rk_ring *r = rk_ring_by_fd(fd);

	if (!r || r->lr || r->mapped)
		return;
	if (off == IORING_OFF_SQ_RING) {
		r->map_sq = addr;
		r->len_sq = len;
		rk_ring_point(r, addr, r->features & IORING_FEAT_SINGLE_MMAP ?
			      addr : NULL);
		if (r->features & IORING_FEAT_SINGLE_MMAP) {
			r->map_cq = addr;
			r->len_cq = len;
		}
	} else if (off == IORING_OFF_CQ_RING) {
		r->map_cq = addr;
		r->len_cq = len;
		rk_ring_point(r, NULL, addr);
	} else if (off == IORING_OFF_SQES) {
		r->map_sqes = addr;
		r->len_sqes = len;
		r->sqes = addr;
		rk_ring_point(r, NULL, NULL);
	}
}

static const struct io_uring_sqe *rk_ring_sqe(const struct rk_ring *r,
					      unsigned pos)
{
	unsigned idx = pos & RK_ACQ(r->sq_kmask);

	if (r->sq_array)
		idx = r->sq_array[idx];
	if (idx >= r->sq_entries)
		return NULL;	/* the kernel drops it too */
	return (const struct io_uring_sqe *)(r->sqes +
					     (size_t)idx * r->sqe_size);
}

__thread int rk_sub_nbt;
__thread void *rk_sub_bt[RK_BT];

void rk_ring_note_submitter(void)
{
	rk_sub_nbt = rk.stacks ? backtrace(rk_sub_bt, RK_BT) : 0;
}

/*
 * The SQEs the kernel took since the last look: requests in flight.
 * entered: after an io_uring_enter ringcheck saw; else the program (or
 * SQPOLL's thread) got the kernel to take them unseen, and the SQEs are
 * read late (the program may have rewritten them).
 */
static void rk_ring_took(struct rk_ring *r, bool entered)
{
	unsigned head = RK_ACQ(r->sq_khead);

	if (head != r->sq_seen && !entered && !r->said_unseen &&
	    !(r->flags & IORING_SETUP_SQPOLL)) {
		r->said_unseen = true;
		rk_say("ringcheck: limit: ring fd %d: the kernel took SQEs "
		       "through an io_uring_enter ringcheck did not see (the "
		       "program's own system call instructions): its SQEs "
		       "and CQEs are read only at the calls ringcheck "
		       "intercepts, and requests whose CQE it may have "
		       "missed are dropped unchecked (--trap-enters sees "
		       "them)\n", r->fd);
	}

	if (head - r->sq_seen > r->sq_entries) {
		/* slots taken more than a ring ago: rewritten since */
		rk_shared_add(rk.sh, requests, head - r->sq_seen - r->sq_entries);
		rk_shared_add(rk.sh, unchecked,
			      head - r->sq_seen - r->sq_entries);
		r->sq_seen = head - r->sq_entries;
	}
	for (; r->sq_seen != head; r->sq_seen++) {
		const struct io_uring_sqe *sqe = rk_ring_sqe(r, r->sq_seen);

		if (sqe)
			rk_req_add(r, sqe);
	}
	r->linked = false;	/* a chain ends with its submission */
}

static void rk_ring_reap(struct rk_ring *r)
{
	unsigned tail = RK_ACQ(r->cq_ktail);
	unsigned mask = RK_ACQ(r->cq_kmask);

	if (tail - r->cq_seen > r->cq_entries) {
		/* the program reaped and the kernel refilled unseen: any
		 * request taken so far may be among the CQEs missed */
		rk_shared_add(rk.sh, cq_lost,
			      tail - r->cq_seen - r->cq_entries);
		r->cq_seen = tail - r->cq_entries;
		rk_req_drop_ring(rk_ring_index(r));
	}
	for (; r->cq_seen != tail; r->cq_seen++) {
		const struct io_uring_cqe *c = (const void *)(r->cqes +
			(size_t)(r->cq_seen & mask) * r->cqe_size);

		rk_req_cqe(r, c->user_data, c->flags);
	}
}

void rk_ring_took_all(void)
{
	int i;

	for (i = 0; i < rk.nrings; i++)
		if (rk.ring[i].mapped && !rk.ring[i].dead)
			rk_ring_took(&rk.ring[i], true);
	rk_ring_reap_all();
	rk_req_check_closes();
}

void rk_ring_reap_all(void)
{
	int i;

	for (i = 0; i < rk.nrings; i++) {
		struct rk_ring *r = &rk.ring[i];

		if (!r->mapped || r->dead)
			continue;
		rk_ring_took(r, false);
		rk_ring_reap(r);
	}
	rk_req_check_closes();
}

void rk_ring_teardown(struct rk_ring *r, const char *how)
{
	if (!r || r->dead)
		return;
	if (r->mapped) {
		rk_ring_took(r, false);
		rk_ring_reap(r);
	}
	r->dead = true;
	rk_req_orphan_ring(rk_ring_index(r));
	(void)how;
}

static bool rk_overlaps(uintptr_t lo, uintptr_t hi, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	return p && a < hi && lo < a + n;
}

void rk_ring_unmapped(uintptr_t lo, uintptr_t hi)
{
	int i;

	for (i = 0; i < rk.nrings; i++) {
		struct rk_ring *r = &rk.ring[i];

		if (r->dead || !r->used)
			continue;
		if (rk_overlaps(lo, hi, r->map_sq, r->len_sq) ||
		    rk_overlaps(lo, hi, r->map_cq, r->len_cq) ||
		    rk_overlaps(lo, hi, r->map_sqes, r->len_sqes))
			rk_ring_teardown(r, "munmap");
	}
}

/* Last SQ position the program filled: liburing's local tail, or the
 * published one. */
static unsigned rk_ring_filled(const struct rk_ring *r)
{
	unsigned tail = RK_ACQ(r->sq_ktail);

	if (r->lr && (int)(r->lr->sq.sqe_tail - tail) > 0)
		tail = r->lr->sq.sqe_tail;
	return tail;
}

bool rk_ring_any_queued(void)
{
	unsigned i, n = __atomic_load_n(&rk_nrings_pub, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++) {
		const struct rk_ring *r = &rk.ring[i];

		if (r->mapped && !r->dead &&
		    rk_ring_filled(r) != RK_ACQ(r->sq_khead))
			return true;
	}
	return false;
}

void rk_ring_each_queued(struct rk_ring *r,
			 void (*fn)(struct rk_ring *, const struct io_uring_sqe *,
				    void *), void *arg)
{
	unsigned pos, end;

	if (!r->mapped || r->dead)
		return;
	end = rk_ring_filled(r);
	if (end - RK_ACQ(r->sq_khead) > r->sq_entries)
		return;		/* a torn read: nothing sure */
	for (pos = RK_ACQ(r->sq_khead); pos != end; pos++) {
		const struct io_uring_sqe *sqe = rk_ring_sqe(r, pos);

		if (sqe)
			fn(r, sqe, arg);
	}
}
