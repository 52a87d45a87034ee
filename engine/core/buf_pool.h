/* SPDX-License-Identifier: MIT */
/*
 * The free list behind the pool strategy, also used by fixed and ring for
 * the buffers outside their tables.
 */
#ifndef RC_CORE_BUF_POOL_H
#define RC_CORE_BUF_POOL_H

#include "core.h"

struct rc_pool {
	struct rc_ring *r;
	struct { void *buf; size_t len; } *free;
	unsigned n, cap;		/* buffers on the list, room for */
	size_t bytes, cap_bytes;	/* their bytes, the most kept */
};

/*
 * fixed and ring cut one region into slices of size bytes: the slice buf
 * starts, or -1 if buf is not the start of one.
 */
static inline int rc_region_slice(const char *region, size_t region_len,
				  size_t size, const void *buf)
{
	const char *p = buf;
	size_t off;

	if (!region || p < region || p >= region + region_len)
		return -1;
	off = (size_t)(p - region);
	return off % size ? -1 : (int)(off / size);
}

#ifdef RC_TRACE
/*
 * Trace builds only: a buffer waiting in a pool or table is filled with
 * a pattern, checked when it is handed out again.  A late kernel write
 * into it (a buffer recycled before its op's CQE) or a touch by the
 * program shows as changed bytes (RC_EV_BUF_POISON); a late kernel read
 * of it sends the pattern (the destination's checksum shows it).
 */
#define RC_POOL_POISON 0xa6
void rc_pool_poison(struct rc_ring *r, void *buf, size_t len);
void rc_pool_check(struct rc_ring *r, void *buf, size_t len);
#else
static inline void rc_pool_poison(struct rc_ring *r, void *buf, size_t len)
{
	(void)r; (void)buf; (void)len;
}
static inline void rc_pool_check(struct rc_ring *r, void *buf, size_t len)
{
	(void)r; (void)buf; (void)len;
}
#endif

/*
 * A free list keeping at most count buffers' worth of size bytes (count x
 * size, 4 KiB at least each): many small buffers (a tree's statx records,
 * small files' blocks) fit where a few blocks would.
 */
int rc_pool_init(struct rc_pool *p, struct rc_ring *r, unsigned count,
		 size_t size);
void rc_pool_fini(struct rc_pool *p);
int rc_pool_get(struct rc_pool *p, size_t len, void **bufp);
void rc_pool_put(struct rc_pool *p, void *buf, size_t len);

#endif
