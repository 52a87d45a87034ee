/* SPDX-License-Identifier: MIT */
/*
 * Data buffers.  The ring's allocator (rc_ring_params.buf_ops: the heap,
 * or the harness' quarantine) provides memory; the ring's strategy
 * (heap, pool, fixed, ring) decides how buffers are kept and lent.  The
 * engine calls put only when no SQE can point at the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rc_copy.h"
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

int rc_buf_strategy_by_name(const char *name, const struct rc_buf_ops **ops)
{
	static const struct rc_buf_ops *const all[] = {
		&rc_buf_strategy_heap, &rc_buf_strategy_pool,
		&rc_buf_strategy_fixed, &rc_buf_strategy_ring,
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (name && !strcmp(name, all[i]->name)) {
			*ops = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

int rc_buf_strategy_start(struct rc_ring *r, const struct rc_ring_params *p)
{
	const struct rc_buf_ops *s = p && p->strategy ? p->strategy :
						       &rc_buf_strategy_heap;
	unsigned count = p && p->strategy_bufs ? p->strategy_bufs : 64;
	size_t size = p && p->strategy_buf_size ? p->strategy_buf_size :
						  256 * 1024;
	int ret;

	if (!s->create || !s->get || !s->put)
		return -EINVAL;
	ret = s->create(r, count, size, &r->strategy_ctx);
	if (ret)
		return ret;
	r->strategy = s;
	return 0;
}

void rc_buf_strategy_stop(struct rc_ring *r)
{
	if (r->strategy && r->strategy->destroy)
		r->strategy->destroy(r->strategy_ctx);
	r->strategy = NULL;
	r->strategy_ctx = NULL;
}

int rc_buf_get(struct rc_ring *r, size_t len, void **bufp)
{
	int ret = r->strategy->get(r->strategy_ctx, len, bufp);

	r->stats.buf_gets++;
	if (!ret)
		rc_trace(r, RC_EV_BUF_GET, NULL, *bufp, len, 0);
	return ret;
}

void rc_buf_put(struct rc_ring *r, void *buf, size_t len)
{
	if (!buf)
		return;
	rc_trace(r, RC_EV_BUF_PUT, NULL, buf, len, 0);
	r->strategy->put(r->strategy_ctx, buf, len);
}

bool rc_ring_buf_select(const struct rc_ring *r)
{
	return r->strategy->select_group &&
	       r->strategy->select_group(r->strategy_ctx) >= 0;
}

const char *rc_ring_buf_strategy(const struct rc_ring *r)
{
	return r->strategy->name;
}

int rc_ring_buf_group(struct rc_ring *r)
{
	int g = r->strategy->select_group ?
		r->strategy->select_group(r->strategy_ctx) : -1;

	return g >= 0 ? g : -ENOENT;
}

int rc_ring_fixed_buf(struct rc_ring *r, unsigned idx, const void **basep,
		      size_t *lenp)
{
	if (r->strategy != &rc_buf_strategy_fixed)
		return -ENOENT;
	return rc_buf_fixed_range(r->strategy_ctx, idx, basep, lenp);
}

int rc_ring_buf_peek(struct rc_ring *r, void **bufp, size_t *lenp)
{
	if (r->strategy != &rc_buf_strategy_ring)
		return -ENOENT;
	return rc_buf_ring_peek(r->strategy_ctx, bufp, lenp);
}

bool rc_buf_read_selects(struct rc_ring *r, const struct rc_op *op)
{
	if (r->strategy != &rc_buf_strategy_ring)
		return false;
	return !op->buf || rc_buf_ring_owns(r->strategy_ctx, op->buf);
}

void rc_buf_attach_selected(struct rc_ring *r, struct rc_op *op,
			    uint32_t cqe_flags)
{
	unsigned bid = cqe_flags >> IORING_CQE_BUFFER_SHIFT;
	size_t size;
	void *buf;

	if (!(cqe_flags & IORING_CQE_F_BUFFER) || !r->strategy->selected)
		return;
	if (r->strategy->selected(r->strategy_ctx, bid, &buf, &size))
		return;		/* not ours: reported by the strategy */
	if (op->buf)		/* cannot happen: a select read holds none */
		rc_buf_put(r, op->buf, op->buf_size);
	op->buf = buf;
	op->buf_size = size;
	op->io_off = 0;
	r->stats.reads_selected++;
	rc_trace(r, RC_EV_BUF_SELECT, op, buf, size, op->res);
}

int rc_copy_buf_params(struct rc_ring_params *p, const char *name,
		       const struct rc_copy_opts *opts, unsigned files)
{
	uint64_t qd = opts->queue_depth ? opts->queue_depth :
					  RC_COPY_DEFAULT_QD;
	uint64_t bs = opts->block_size ? opts->block_size : RC_COPY_DEFAULT_BS;
	uint64_t n = qd * (files ? files : 1);

	if (rc_buf_strategy_by_name(name ? name : RC_COPY_DEFAULT_BUFFERS,
				    &p->strategy))
		return -EINVAL;
	if (n * bs > RC_COPY_MAX_BUFFER_BYTES)
		n = RC_COPY_MAX_BUFFER_BYTES / bs;
	p->strategy_bufs = n ? (unsigned)n : 1;
	p->strategy_buf_size = (size_t)bs;
	return 0;
}
