/* SPDX-License-Identifier: MIT */
/*
 * Strategy fixed: `count` buffers of `size` bytes registered with the ring
 * (io_uring_register_buffers), one region cut in slices, one iovec each.
 * A get of at most `size` bytes takes a free slot; reads and writes on a
 * slot become READ_FIXED / WRITE_FIXED with its index (sqe.c asks
 * fixed_index at SQE time).  Other gets come from a pool, unregistered.
 *
 * Hazards: the kernel keeps a registered buffer's pages pinned, so
 * unregistering the table (or replacing a slot) while an op uses it does
 * not stop the kernel's copy: the memory must not be given back before
 * that op's CQE (the guard-page quarantine cannot see such a late write:
 * the pages are pinned; the ledger and the poison quarantine can).  So
 * the table is never changed while the ring lives, and its memory is
 * given back only once the ring is proven gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "buf_pool.h"

struct rc_fixed {
	struct rc_ring *r;
	struct rc_pool pool;
	char *region;		/* count * size bytes, from the allocator */
	size_t size, region_len;
	unsigned count, free_n;
	unsigned *free_ids;	/* stack of free slots */
	bool *busy;
	bool *used;		/* handed out before: poisoned while free */
	bool region_given_back;	/* (mutants only) */
};

static void rc_fixed_free(struct rc_fixed *f)
{
	rc_pool_fini(&f->pool);
	if (f->region && !f->region_given_back)
		rc_buf_free(f->r, f->region, f->region_len);
	free(f->free_ids);
	free(f->busy);
	free(f->used);
	free(f);
}

static int rc_strat_fixed_create(struct rc_ring *r, unsigned count,
				 size_t size, void **ctxp)
{
	struct rc_fixed *f = calloc(1, sizeof(*f));
	struct iovec *iov = NULL;
	unsigned i;
	int ret = -ENOMEM;

	if (!f)
		return -ENOMEM;
	f->r = r;
	f->size = (size + 4095) & ~(size_t)4095;
	f->count = count > 16384 ? 16384 : count;	/* UIO_MAXIOV x 16 */
	f->region_len = f->size * f->count;
	if (rc_pool_init(&f->pool, r, count, f->size))
		goto err;
	f->free_ids = calloc(f->count, sizeof(*f->free_ids));
	f->busy = calloc(f->count, sizeof(*f->busy));
	f->used = calloc(f->count, sizeof(*f->used));
	iov = calloc(f->count, sizeof(*iov));
	if (!f->free_ids || !f->busy || !f->used || !iov)
		goto err;
	ret = rc_buf_alloc(r, f->region_len, (void **)&f->region);
	if (ret) {
		f->region = NULL;
		goto err;
	}
	for (i = 0; i < f->count; i++) {
		iov[i].iov_base = f->region + (size_t)i * f->size;
		iov[i].iov_len = f->size;
		f->free_ids[i] = f->count - 1 - i;	/* slot 0 first */
	}
	f->free_n = f->count;
	/* pins the pages: RLIMIT_MEMLOCK without CAP_IPC_LOCK */
	ret = io_uring_register_buffers(&r->uring, iov, f->count);
	if (ret)
		goto err;
	free(iov);
	*ctxp = f;
	return 0;
err:
	free(iov);
	rc_fixed_free(f);
	return ret;
}

static void rc_strat_fixed_destroy(void *ctx)
{
	/* the ring is gone, and its table with it */
	rc_fixed_free(ctx);
}

/* The slot buf starts, or -1. */
static int rc_fixed_slot(const struct rc_fixed *f, const void *buf)
{
	return rc_region_slice(f->region, f->region_len, f->size, buf);
}

#ifdef RC_MUTANT_FIXED_UPDATE
/*
 * MUTANT: every slot is busy: "replace" slot 0 with a fresh buffer in the
 * table and give the old one back, as if the update stopped the kernel's
 * use of it.  The op using it still has it in flight.
 */
static int rc_fixed_mutant_update(struct rc_fixed *f, size_t len, void **bufp)
{
	struct iovec iov;
	void *fresh;
	__u64 tag = 0;
	int ret;

	ret = rc_buf_alloc(f->r, f->size, &fresh);
	if (ret)
		return ret;
	iov.iov_base = fresh;
	iov.iov_len = f->size;
	io_uring_register_buffers_update_tag(&f->r->uring, 0, &iov,
					     &tag, 1);
	/* the old slot 0 "goes back": the program hands it out at once */
	rc_trace(f->r, RC_EV_BUF_PUT, NULL, f->region, f->size, 0);
	(void)len;
	*bufp = f->region;
	rc_buf_free(f->r, fresh, f->size);
	return 0;
}
#endif

static int rc_strat_fixed_get(void *ctx, size_t len, void **bufp)
{
	struct rc_fixed *f = ctx;
	unsigned id;

	if (len > f->size)
		return rc_pool_get(&f->pool, len, bufp);
	if (!f->free_n) {
#ifdef RC_MUTANT_FIXED_UPDATE
		return rc_fixed_mutant_update(f, len, bufp);
#endif
		return rc_pool_get(&f->pool, len, bufp);
	}
	id = f->free_ids[--f->free_n];
	f->busy[id] = true;
	*bufp = f->region + (size_t)id * f->size;
	if (f->used[id])	/* a fresh slot has no poison yet */
		rc_pool_check(f->r, *bufp, f->size);
	f->used[id] = true;
	return 0;
}

static void rc_strat_fixed_put(void *ctx, void *buf, size_t len)
{
	struct rc_fixed *f = ctx;
	int id = rc_fixed_slot(f, buf);

	if (id < 0) {
		rc_pool_put(&f->pool, buf, len);
		return;
	}
	if (!f->busy[id])
		return;		/* put twice: the ledger reports it */
	f->busy[id] = false;
	rc_pool_poison(f->r, buf, f->size);
	f->free_ids[f->free_n++] = (unsigned)id;
}

static int rc_strat_fixed_index(void *ctx, const void *buf, size_t len)
{
	struct rc_fixed *f = ctx;
	int id = rc_fixed_slot(f, buf);

	if (f->region_given_back)
		return -1;
	return id >= 0 && len <= f->size ? id : -1;
}

static int rc_strat_fixed_range(void *ctx, unsigned idx, const void **basep,
		       size_t *lenp)
{
	struct rc_fixed *f = ctx;

	if (idx >= f->count || f->region_given_back)
		return -ENOENT;
	*basep = f->region + (size_t)idx * f->size;
	*lenp = f->size;
	return 0;
}

#ifdef RC_MUTANT_FIXED_UNREGISTER
static void rc_fixed_mutant_unregister(void *ctx)
{
	struct rc_fixed *f = ctx;
	unsigned i;

	/* MUTANT: "unregistered, so the kernel is done with them" */
	io_uring_unregister_buffers(&f->r->uring);
	for (i = 0; i < f->count; i++)
		if (f->busy[i])
			rc_trace(f->r, RC_EV_BUF_PUT, NULL,
				 f->region + (size_t)i * f->size, f->size, 0);
	rc_buf_free(f->r, f->region, f->region_len);
	f->region_given_back = true;
}
#endif

const struct rc_buf_ops rc_buf_strategy_fixed = {
	.name = "fixed",
	.caps = RC_BUF_CAP_FIXED,
	.get = rc_strat_fixed_get,
	.put = rc_strat_fixed_put,
	.create = rc_strat_fixed_create,
	.destroy = rc_strat_fixed_destroy,
	.fixed_index = rc_strat_fixed_index,
	.fixed_range = rc_strat_fixed_range,
#ifdef RC_MUTANT_FIXED_UNREGISTER
	.mutant_teardown = rc_fixed_mutant_unregister,
#endif
};
