/* SPDX-License-Identifier: MIT */
/*
 * Data buffers: the ring's strategy (ringcp/ring.h, struct rc_buf_ops)
 * decides how buffers are kept and lent; this file is the core's only way
 * to them, and it asks the table, never a strategy by name.  The engine
 * calls put only when no SQE can point at the buffer.
 */
#include <errno.h>
#include <stdio.h>

#include "core.h"

int rc_buf_strategy_start(struct rc_ring *r, const struct rc_ring_params *p)
{
	const struct rc_buf_ops *s = p && p->strategy ? p->strategy :
						       &rc_buf_strategy_heap;
	unsigned count = p && p->strategy_bufs ? p->strategy_bufs :
						 RC_STRATEGY_DEFAULT_BUFS;
	size_t size = p && p->strategy_buf_size ? p->strategy_buf_size :
						  RC_STRATEGY_DEFAULT_BUF_SIZE;
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
	return (r->strategy->caps & RC_BUF_CAP_SELECT) &&
	       r->strategy->select_group(r->strategy_ctx) >= 0;
}

const char *rc_ring_buf_strategy(const struct rc_ring *r)
{
	return r->strategy->name;
}

int rc_ring_buf_group(struct rc_ring *r)
{
	int g = r->strategy->caps & RC_BUF_CAP_SELECT ?
		r->strategy->select_group(r->strategy_ctx) : -1;

	return g >= 0 ? g : -ENOENT;
}

int rc_ring_fixed_buf(struct rc_ring *r, unsigned idx, const void **basep,
		      size_t *lenp)
{
	if (!(r->strategy->caps & RC_BUF_CAP_FIXED))
		return -ENOENT;
	return r->strategy->fixed_range(r->strategy_ctx, idx, basep, lenp);
}

int rc_ring_buf_peek(struct rc_ring *r, void **bufp, size_t *lenp)
{
	if (!(r->strategy->caps & RC_BUF_CAP_SELECT))
		return -ENOENT;
	return r->strategy->peek(r->strategy_ctx, bufp, lenp);
}

bool rc_buf_read_selects(struct rc_ring *r, const struct rc_op *op)
{
	if (!(r->strategy->caps & RC_BUF_CAP_SELECT))
		return false;
	return !op->buf || r->strategy->provided(r->strategy_ctx, op->buf);
}

int rc_buf_fixed_index(struct rc_ring *r, const struct rc_op *op)
{
	if (!op->buf || !(r->strategy->caps & RC_BUF_CAP_FIXED))
		return -1;
	return r->strategy->fixed_index(r->strategy_ctx, op->buf,
					op->buf_size);
}

/*
 * Take the ring buffer a CQE names (its flags) out of the ring: 0, or
 * -ENOENT if it names none, or -EINVAL if the ring did not lend that
 * buffer: then it cannot be given back, and that is reported (traced as
 * lost, printed), never dropped in silence.
 */
static int rc_buf_take_selected(struct rc_ring *r, uint32_t cqe_flags,
				void **bufp, size_t *sizep)
{
	unsigned bid = cqe_flags >> IORING_CQE_BUFFER_SHIFT;

	if (!(cqe_flags & IORING_CQE_F_BUFFER) ||
	    !(r->strategy->caps & RC_BUF_CAP_SELECT))
		return -ENOENT;
	if (!r->strategy->selected(r->strategy_ctx, bid, bufp, sizep))
		return 0;
	rc_trace(r, RC_EV_BUF_LOST, NULL, NULL, 1, bid);
	fprintf(stderr, "ringcp: engine: a CQE named provided buffer %u, "
		"which the ring did not lend: it cannot be given back\n", bid);
	return -EINVAL;
}

void rc_buf_attach_selected(struct rc_ring *r, struct rc_op *op,
			    uint32_t cqe_flags)
{
	size_t size;
	void *buf;
	int ret = rc_buf_take_selected(r, cqe_flags, &buf, &size);

	if (ret == -EINVAL && op->res > 0)
		op->res = -ENOBUFS;	/* its data is nowhere we can find */
	if (ret)
		return;
	if (op->buf)		/* cannot happen: a select read holds none */
		rc_buf_put(r, op->buf, op->buf_size);
	op->buf = buf;
	op->buf_size = size;
	op->io_off = 0;
	r->stats.reads_selected++;
	rc_trace(r, RC_EV_BUF_SELECT, op, buf, size, op->res);
}

void rc_buf_return_selected(struct rc_ring *r, uint32_t cqe_flags)
{
	size_t size;
	void *buf;

	if (rc_buf_take_selected(r, cqe_flags, &buf, &size))
		return;
	rc_trace(r, RC_EV_BUF_SELECT, NULL, buf, size, 0);
	rc_buf_put(r, buf, size);
}
