/* SPDX-License-Identifier: MIT */
/*
 * Strategy ring: `count` buffers of `size` bytes provided to the kernel
 * through a buffer ring (io_uring_register_buf_ring, 5.19).  A read of an
 * op that holds no buffer is submitted with IOSQE_BUFFER_SELECT: the
 * kernel picks a buffer when it runs the read, and the read's CQE names
 * it (IORING_CQE_F_BUFFER, id in the upper 16 bits).  The engine attaches
 * it to the op (buf.c: rc_buf_attach_selected), the program writes it out, and
 * the buffer goes back into the ring when the op puts it, is released,
 * or prepares its next read.  Other gets (buffers for writes, reads into
 * an op's own buffer) come from a pool.
 *
 * Hazards: a buffer in the ring is the kernel's (any read may fill it),
 * so it must not go back before the program is done with its data; and a
 * cancelled read that completed anyway took a buffer, which its halt path
 * must give back (compio #746), else the ring runs dry.  Teardown counts
 * the buffers: each one neither in the ring nor given back is reported
 * (RC_EV_BUF_LOST).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buf_pool.h"

#define RC_RING_BGID 7

struct rc_bring {
	struct rc_ring *r;
	struct rc_pool pool;
	struct io_uring_buf_ring *br;
	size_t br_len;
	unsigned entries, mask;	/* ring entries: a power of two */
	char *region;		/* count * size bytes, from the allocator */
	size_t size, region_len;
	unsigned count;
	bool registered;
	bool *in_ring;		/* per buffer: provided, not yet picked */
	unsigned short *order;	/* ids in the order they were added */
	unsigned added, picked;	/* for peek: ids added / picked so far */
};

static void rc_bring_free(struct rc_bring *b)
{
	rc_pool_fini(&b->pool);
	if (b->br)
		munmap(b->br, b->br_len);
	if (b->region)
		rc_buf_free(b->r, b->region, b->region_len);
	free(b->in_ring);
	free(b->order);
	free(b);
}

/* Give buffer id to the kernel (its tail moves; it may pick it at once). */
static void rc_bring_add(struct rc_bring *b, unsigned id)
{
	void *buf = b->region + (size_t)id * b->size;

	rc_trace(b->r, RC_EV_BUF_PROVIDE, NULL, buf, b->size,
		 (int64_t)(uintptr_t)b->r);
	b->in_ring[id] = true;
	b->order[b->added & b->mask] = (unsigned short)id;
	b->added++;
	io_uring_buf_ring_add(b->br, buf, (unsigned)b->size,
			      (unsigned short)id, b->mask, 0);
	io_uring_buf_ring_advance(b->br, 1);
}

static int rc_strat_ring_create(struct rc_ring *r, unsigned count,
				size_t size, void **ctxp)
{
	struct io_uring_buf_reg reg;
	struct rc_bring *b = calloc(1, sizeof(*b));
	unsigned i;
	int ret = -ENOMEM;

	if (!b)
		return -ENOMEM;
	b->r = r;
	b->count = count > 32768 ? 32768 : count;
	b->size = (size + 4095) & ~(size_t)4095;
	if (b->size > (1u << 31))
		b->size = 1u << 31;	/* the ring's len is 32 bits */
	for (b->entries = 1; b->entries < b->count; b->entries <<= 1)
		;
	b->mask = io_uring_buf_ring_mask(b->entries);
	b->region_len = b->size * b->count;
	if (rc_pool_init(&b->pool, r, count, b->size))
		goto err;
	b->in_ring = calloc(b->count, sizeof(*b->in_ring));
	b->order = calloc(b->entries, sizeof(*b->order));
	if (!b->in_ring || !b->order)
		goto err;
	b->br_len = (b->entries * sizeof(struct io_uring_buf) + 4095) &
		    ~(size_t)4095;
	b->br = mmap(NULL, b->br_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->br == MAP_FAILED) {
		b->br = NULL;
		goto err;
	}
	ret = rc_buf_alloc(r, b->region_len, (void **)&b->region);
	if (ret) {
		b->region = NULL;
		goto err;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)b->br;
	reg.ring_entries = b->entries;
	reg.bgid = RC_RING_BGID;
	ret = io_uring_register_buf_ring(&r->uring, &reg, 0);
	if (ret)
		goto err;
	b->registered = true;
	io_uring_buf_ring_init(b->br);
	for (i = 0; i < b->count; i++)
		rc_bring_add(b, i);
	*ctxp = b;
	return 0;
err:
	rc_bring_free(b);
	return ret;
}

/*
 * The ring is proven gone: take every provided buffer back, count the
 * ones that never came back, and give the memory to the allocator.
 */
static void rc_strat_ring_destroy(void *ctx)
{
	struct rc_bring *b = ctx;
	unsigned i, lost = 0;

	for (i = 0; i < b->count; i++) {
		void *buf = b->region + (size_t)i * b->size;

		(void)buf;	/* (traced only) */
		if (!b->in_ring[i]) {
			lost++;
			continue;
		}
		rc_trace(b->r, RC_EV_BUF_RECLAIM, NULL, buf, b->size,
			 (int64_t)(uintptr_t)b->r);
		rc_trace(b->r, RC_EV_BUF_PUT, NULL, buf, b->size, 0);
	}
	if (lost)
		rc_trace(b->r, RC_EV_BUF_LOST, NULL, NULL, lost, 0);
	if (lost) {
		/* someone may still hold them: leak rather than free */
		b->region = NULL;
	}
	rc_bring_free(b);
}

static int rc_strat_ring_get(void *ctx, size_t len, void **bufp)
{
	struct rc_bring *b = ctx;

	return rc_pool_get(&b->pool, len, bufp);
}

static int rc_bring_id(const struct rc_bring *b, const void *buf)
{
	return rc_region_slice(b->region, b->region_len, b->size, buf);
}

static bool rc_strat_ring_provided(void *ctx, const void *buf)
{
	return rc_bring_id(ctx, buf) >= 0;
}

static void rc_strat_ring_put(void *ctx, void *buf, size_t len)
{
	struct rc_bring *b = ctx;
	int id = rc_bring_id(b, buf);

	if (id < 0) {
		rc_pool_put(&b->pool, buf, len);
		return;
	}
	if (b->in_ring[id]) {
		/* given back twice: tell the ledger, do not add it twice */
		rc_trace(b->r, RC_EV_BUF_PROVIDE, NULL, buf, b->size,
			 (int64_t)(uintptr_t)b->r);
		return;
	}
	rc_bring_add(b, (unsigned)id);
}

static int rc_strat_ring_group(void *ctx)
{
	return ((struct rc_bring *)ctx)->registered ? RC_RING_BGID : -1;
}

static int rc_strat_ring_selected(void *ctx, unsigned bid, void **bufp,
				  size_t *sizep)
{
	struct rc_bring *b = ctx;

	if (bid >= b->count || !b->in_ring[bid])
		return -EINVAL;
	b->in_ring[bid] = false;
	b->picked++;
	*bufp = b->region + (size_t)bid * b->size;
	*sizep = b->size;
	return 0;
}

static int rc_strat_ring_peek(void *ctx, void **bufp, size_t *lenp)
{
	struct rc_bring *b = ctx;
	unsigned id;

	if (b->picked == b->added)
		return -ENOENT;
	id = b->order[b->picked & b->mask];
	*bufp = b->region + (size_t)id * b->size;
	*lenp = b->size;
	return 0;
}

const struct rc_buf_ops rc_buf_strategy_ring = {
	.name = "ring",
	.caps = RC_BUF_CAP_SELECT,
	.get = rc_strat_ring_get,
	.put = rc_strat_ring_put,
	.create = rc_strat_ring_create,
	.destroy = rc_strat_ring_destroy,
	.select_group = rc_strat_ring_group,
	.selected = rc_strat_ring_selected,
	.provided = rc_strat_ring_provided,
	.peek = rc_strat_ring_peek,
};
