/* SPDX-License-Identifier: MIT */
/*
 * The free list behind the pool strategy, also used by fixed and ring for
 * the buffers outside their tables.
 */
#ifndef RC_BUF_POOL_H
#define RC_BUF_POOL_H

#include "rc_private.h"

struct rc_pool {
	struct rc_ring *r;
	struct { void *buf; size_t len; } *free;
	unsigned n, cap;
};

int rc_pool_init(struct rc_pool *p, struct rc_ring *r, unsigned count);
void rc_pool_fini(struct rc_pool *p);
int rc_pool_get(struct rc_pool *p, size_t len, void **bufp);
void rc_pool_put(struct rc_pool *p, void *buf, size_t len);

#endif
