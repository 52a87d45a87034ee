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

int rc_pool_init(struct rc_pool *p, struct rc_ring *r, unsigned count)
{
	p->r = r;
	p->cap = count ? count : 1;
	p->n = 0;
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
		p->free[i] = p->free[--p->n];
		return 0;
	}
	return rc_buf_alloc(p->r, c, bufp);
}

/*
 * The list is full: it keeps the biggest buffers.  The oldest of the
 * smallest class on it goes to make room for one of class c, or, if every
 * one on it is bigger than c, the one put is not kept.  Small buffers (a
 * tree's statx records, short last blocks) are cheap to make again from
 * the allocator's heap; block-size ones are each an mmap, a munmap and a
 * page fault per 4 KiB when made again.  Evicting the oldest whatever its
 * size let every file's statx record push out a block buffer (200 files
 * of 1 MiB: 157 mmaps of a block, 13,751 page faults).
 */
void rc_pool_put(struct rc_pool *p, void *buf, size_t len)
{
	size_t c = rc_pool_class(len);
	unsigned i, v = 0;

	if (p->n == p->cap) {
		for (i = 1; i < p->n; i++)
			if (p->free[i].len < p->free[v].len)
				v = i;
		if (p->free[v].len > c) {
			rc_buf_free(p->r, buf, c);
			return;
		}
		rc_buf_free(p->r, p->free[v].buf, p->free[v].len);
		p->free[v] = p->free[--p->n];
	}
	rc_pool_poison(p->r, buf, c);
	p->free[p->n].buf = buf;
	p->free[p->n].len = c;
	p->n++;
}

static int rc_strat_pool_create(struct rc_ring *r, unsigned count,
				size_t size, void **ctxp)
{
	struct rc_pool *p = calloc(1, sizeof(*p));
	int ret;

	(void)size;
	if (!p)
		return -ENOMEM;
	ret = rc_pool_init(p, r, count);
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
