/* SPDX-License-Identifier: MIT */
/*
 * Strategy pool: buffers are recycled through a free list instead of
 * being freed, so the steady state allocates nothing.  Sizes are rounded
 * up to a power of two (4 KiB at least) so that the short last blocks of
 * files of any size reuse the same buffers.  At most `count` buffers
 * wait on the list; more go back to the allocator.  The fixed and ring
 * strategies use a pool for the buffers outside their tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf_pool.h"

static size_t rc_pool_class(size_t len)
{
	size_t c = 4096;

	while (c < len && c < ((size_t)1 << 40))
		c <<= 1;
	return c;
}

#ifdef RC_TRACE
void rc_pool_poison(struct rc_ring *r, void *buf, size_t len)
{
	if (r->trace)
		memset(buf, RC_POOL_POISON, len);
}

void rc_pool_check(struct rc_ring *r, void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	if (!r->trace)
		return;
	for (i = 0; i < len && p[i] == RC_POOL_POISON; i++)
		;
	if (i < len)
		rc_trace(r, RC_EV_BUF_POISON, NULL, buf, i, 0);
}
#endif

/* entries beyond count that small buffers may take (64 KiB of list) */
#define RC_POOL_SMALL_ENTRIES 4096u

int rc_pool_init(struct rc_pool *p, struct rc_ring *r, unsigned count,
		 size_t size)
{
	size_t each = size < 4096 ? 4096 : size;

	if (!count)
		count = 1;
	p->r = r;
	p->cap_bytes = (size_t)count * each;
	p->cap = p->cap_bytes / 4096 < count + RC_POOL_SMALL_ENTRIES ?
		 (unsigned)(p->cap_bytes / 4096) : count + RC_POOL_SMALL_ENTRIES;
	p->n = 0;
	p->bytes = 0;
	p->free = calloc(p->cap, sizeof(*p->free));
	return p->free ? 0 : -ENOMEM;
}

void rc_pool_fini(struct rc_pool *p)
{
	while (p->n) {
		p->n--;
		rc_buf_free(p->r, p->free[p->n].buf, p->free[p->n].len);
	}
	free(p->free);
	p->free = NULL;
}

/*
 * A buffer of at least len bytes: the most recently put one of len's size
 * class (it is likely still in the cache), else a new one.
 */
int rc_pool_get(struct rc_pool *p, size_t len, void **bufp)
{
	size_t c = rc_pool_class(len);
	unsigned i;

	for (i = p->n; i-- > 0;) {
		if (p->free[i].len != c)
			continue;
		*bufp = p->free[i].buf;
		rc_pool_check(p->r, *bufp, c);
		p->bytes -= c;
		p->free[i] = p->free[--p->n];
		return 0;
	}
	return rc_buf_alloc(p->r, c, bufp);
}

/*
 * The list keeps the biggest buffers, up to cap_bytes (and cap entries).
 * To make room for one of class c, the oldest of the smallest class on it
 * go; if what is left is all bigger than c, the one put is not kept.
 * Small buffers are cheap to make again from the allocator's heap;
 * block-size ones are each an mmap, a munmap and a page fault per 4 KiB
 * when made again.  Evicting the oldest whatever its size let every
 * file's statx record push out a block buffer (200 files of 1 MiB: 157
 * mmaps of a block, 13,751 page faults); counting buffers, not bytes, let
 * a tree's small buffers churn through a list sized for blocks (2,000
 * mixed small files 1.2x slower under the 16 MiB budget's 64 entries).
 */
void rc_pool_put(struct rc_pool *p, void *buf, size_t len)
{
	size_t c = rc_pool_class(len);
	unsigned i, v;

	while (p->n && (p->n == p->cap || p->bytes + c > p->cap_bytes)) {
		for (v = 0, i = 1; i < p->n; i++)
			if (p->free[i].len < p->free[v].len)
				v = i;
		if (p->free[v].len > c)
			break;
		rc_buf_free(p->r, p->free[v].buf, p->free[v].len);
		p->bytes -= p->free[v].len;
		p->free[v] = p->free[--p->n];
	}
	if (p->n == p->cap || p->bytes + c > p->cap_bytes) {
		rc_buf_free(p->r, buf, c);	/* not kept */
		return;
	}
	rc_pool_poison(p->r, buf, c);
	p->free[p->n].buf = buf;
	p->free[p->n].len = c;
	p->n++;
	p->bytes += c;
}

static int rc_strat_pool_create(struct rc_ring *r, unsigned count,
				size_t size, void **ctxp)
{
	struct rc_pool *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	ret = rc_pool_init(p, r, count, size);
	if (ret) {
		free(p);
		return ret;
	}
	*ctxp = p;
	return 0;
}

static void rc_strat_pool_destroy(void *ctx)
{
	rc_pool_fini(ctx);
	free(ctx);
}

static int rc_strat_pool_get(void *ctx, size_t len, void **bufp)
{
	return rc_pool_get(ctx, len, bufp);
}

static void rc_strat_pool_put(void *ctx, void *buf, size_t len)
{
	rc_pool_put(ctx, buf, len);
}

const struct rc_buf_ops rc_buf_strategy_pool = {
	.name = "pool",
	.caps = 0,
	.get = rc_strat_pool_get,
	.put = rc_strat_pool_put,
	.create = rc_strat_pool_create,
	.destroy = rc_strat_pool_destroy,
};
