/* SPDX-License-Identifier: MIT */
/*
 * Strategy heap: every get is a fresh allocation and every put frees it,
 * as arsync's Vec<u8> per operation does.
 */
#include "core.h"

/* The heap strategy: straight to the allocator; ctx is the ring. */
static int rc_strat_heap_create(struct rc_ring *r, unsigned count,
				size_t size, void **ctxp)
{
	(void)count;
	(void)size;
	*ctxp = r;
	return 0;
}

static int rc_strat_heap_get(void *ctx, size_t len, void **bufp)
{
	return rc_buf_alloc(ctx, len, bufp);
}

static void rc_strat_heap_put(void *ctx, void *buf, size_t len)
{
	rc_buf_free(ctx, buf, len);
}

const struct rc_buf_ops rc_buf_strategy_heap = {
	.name = "heap",
	.get = rc_strat_heap_get,
	.put = rc_strat_heap_put,
	.create = rc_strat_heap_create,
};

