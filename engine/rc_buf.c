/* SPDX-License-Identifier: MIT */
/*
 * Data buffers.  The ring's strategy (struct rc_buf_ops) gets and puts
 * them; the engine calls put only when no SQE can point at the buffer.
 */
#include <errno.h>
#include <stdlib.h>

#include "rc_private.h"

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

int rc_buf_get(struct rc_ring *r, size_t len, void **bufp)
{
	int ret = r->buf_ops->get(r->buf_ctx, len, bufp);

	if (!ret)
		rc_trace(r, RC_EV_BUF_GET, NULL, *bufp, len, 0);
	return ret;
}

void rc_buf_put(struct rc_ring *r, void *buf, size_t len)
{
	if (!buf)
		return;
	rc_trace(r, RC_EV_BUF_PUT, NULL, buf, len, 0);
	r->buf_ops->put(r->buf_ctx, buf, len);
}
