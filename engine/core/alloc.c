/* SPDX-License-Identifier: MIT */
/*
 * Where buffer memory comes from: the ring's allocator (the heap here, or
 * the harness' quarantine), which every strategy draws on.
 */
#include <errno.h>
#include <stdlib.h>

#include "core.h"

#define RC_BUF_ALIGN 4096	/* good for O_DIRECT and for page guards */

/* heap: a fresh aligned allocation per get, like arsync's Vec<u8> */
static int rc_buf_heap_get(void *ctx, size_t len, void **bufp)
{
	(void)ctx;
	if (!len)
		len = 1;
	return -posix_memalign(bufp, RC_BUF_ALIGN, len);
}

static void rc_buf_heap_put(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)len;
	free(buf);
}

const struct rc_buf_ops rc_buf_heap = {
	.name = "heap",
	.get = rc_buf_heap_get,
	.put = rc_buf_heap_put,
};

int rc_buf_alloc(struct rc_ring *r, size_t len, void **bufp)
{
	int ret = r->buf_ops->get(r->buf_ctx, len, bufp);

	if (!ret)
		r->stats.buffers_allocated++;
	return ret;
}

void rc_buf_free(struct rc_ring *r, void *buf, size_t len)
{
	r->buf_ops->put(r->buf_ctx, buf, len);
}

