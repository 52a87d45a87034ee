/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "quarantine.h"
#include "sanitizer.h"


static size_t rh_page(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

void rh_quarantine_init(struct rh_quarantine *q, enum rh_quarantine_mode mode,
			size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->mode = mode;
	q->max_bytes = max_bytes;
}

static int rh_q_get_locked(struct rh_quarantine *q, size_t len, void **bufp)
{
	size_t page = rh_page();
	size_t pages_len = (len + page - 1) / page * page;
	struct rh_qbuf *b;
	char *m;

	if (!pages_len)
		pages_len = page;
	if (q->live_count == q->live_cap) {
		size_t cap = q->live_cap ? q->live_cap * 2 : 64;
		struct rh_qbuf *t = realloc(q->live, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		q->live = t;
		q->live_cap = cap;
	}
	m = mmap(NULL, pages_len + page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	mprotect(m + pages_len, page, PROT_NONE);	/* guard after */
	b = &q->live[q->live_count++];
	*b = (struct rh_qbuf){ m, pages_len + page, len, false };
	q->gets++;
	*bufp = m;
	return 0;
}

static bool rh_q_poison_intact(const struct rh_qbuf *b)
{
	const unsigned char *p = b->base;
	size_t i, n = b->map_len - rh_page();

	for (i = 0; i < n; i++)
		if (p[i] != RH_POISON_BYTE)
			return false;
	return true;
}

/* Unmap the oldest quarantined buffer; false if its poison had changed. */
static bool rh_q_evict(struct rh_quarantine *q)
{
	struct rh_qbuf *b = &q->fifo[q->fifo_head];
	bool intact = q->mode != RH_QUARANTINE_POISON || rh_q_poison_intact(b);

	if (!intact)
		q->poison_failures++;
	munmap(b->base, b->map_len);
	q->held_bytes -= b->map_len;
	q->fifo_head = (q->fifo_head + 1) % q->fifo_cap;
	q->fifo_count--;
	q->evictions++;
	return intact;
}

static int rh_q_fifo_push(struct rh_quarantine *q, struct rh_qbuf b)
{
	if (q->fifo_count == q->fifo_cap) {
		size_t cap = q->fifo_cap ? q->fifo_cap * 2 : 64, i;
		struct rh_qbuf *t = malloc(cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (i = 0; i < q->fifo_count; i++)
			t[i] = q->fifo[(q->fifo_head + i) % q->fifo_cap];
		free(q->fifo);
		q->fifo = t;
		q->fifo_cap = cap;
		q->fifo_head = 0;
	}
	q->fifo[(q->fifo_head + q->fifo_count) % q->fifo_cap] = b;
	q->fifo_count++;
	q->held_bytes += b.map_len;
	return 0;
}

/* Returns a report kind, or 0. */
static int rh_q_put_locked(struct rh_quarantine *q, void *buf)
{
	struct rh_qbuf b;
	size_t i;

	for (i = 0; i < q->live_count && q->live[i].base != buf; i++)
		;
	if (i == q->live_count) {
		/* not live: put twice, or never ours */
		q->double_puts++;
		return RH_Q_REPORT_DOUBLE_PUT;
	}
	b = q->live[i];
	q->live[i] = q->live[--q->live_count];
	q->puts++;
	b.quarantined = true;
	/* ours to touch now, whatever the program's ASan poisoning said */
	rh_asan_unpoison(b.base, b.map_len - rh_page());
	if (q->mode == RH_QUARANTINE_POISON)
		memset(b.base, RH_POISON_BYTE, b.map_len - rh_page());
	else
		mprotect(b.base, b.map_len, PROT_NONE);
	if (rh_q_fifo_push(q, b)) {
		munmap(b.base, b.map_len);
		return 0;
	}
	while (q->held_bytes > q->max_bytes && q->fifo_count > 1)
		if (!rh_q_evict(q))
			return RH_Q_REPORT_POISON;
	return 0;
}

static int rh_q_get(void *ctx, size_t len, void **bufp)
{
	struct rh_quarantine *q = ctx;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = rh_q_get_locked(q, len, bufp);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static void rh_q_put(void *ctx, void *buf, size_t len)
{
	struct rh_quarantine *q = ctx;
	int report;

	pthread_mutex_lock(&q->lock);
	report = rh_q_put_locked(q, buf);
	pthread_mutex_unlock(&q->lock);
	if (report && q->report)
		q->report(q->report_arg, report, buf, len);
}

void rh_quarantine_drain(struct rh_quarantine *q)
{
	unsigned changed = 0;

	pthread_mutex_lock(&q->lock);
	while (q->fifo_count)
		changed += !rh_q_evict(q);
	pthread_mutex_unlock(&q->lock);
	while (changed-- && q->report)
		q->report(q->report_arg, RH_Q_REPORT_POISON, NULL, 0);
	pthread_mutex_lock(&q->lock);
	free(q->fifo);
	q->fifo = NULL;
	q->fifo_cap = q->fifo_head = 0;
	if (!q->live_count) {	/* nothing handed out is left: all done */
		free(q->live);
		q->live = NULL;
		q->live_cap = 0;
	}
	pthread_mutex_unlock(&q->lock);
}

bool rh_quarantine_owns_unlocked(const struct rh_quarantine *q,
				 const void *addr)
{
	size_t i;

	for (i = 0; i < q->fifo_count; i++) {
		const struct rh_qbuf *b = &q->fifo[(q->fifo_head + i) %
						   q->fifo_cap];

		if ((const char *)addr >= (const char *)b->base &&
		    (const char *)addr < (const char *)b->base + b->map_len)
			return true;
	}
	return false;
}

const struct rc_buf_ops rh_buf_quarantine = {
	.name = "quarantine",
	.get = rh_q_get,
	.put = rh_q_put,
};

bool rh_quarantine_owns(struct rh_quarantine *q, const void *addr)
{
	bool owned;

	pthread_mutex_lock(&q->lock);
	owned = rh_quarantine_owns_unlocked(q, addr);
	pthread_mutex_unlock(&q->lock);
	return owned;
}
