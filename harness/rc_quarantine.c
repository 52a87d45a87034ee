/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rc_quarantine.h"
#include "rc_sanitizer.h"


static size_t rc_page(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

void rc_quarantine_init(struct rc_quarantine *q, enum rc_quarantine_mode mode,
			size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->mode = mode;
	q->max_bytes = max_bytes;
}

static int rc_q_get_locked(struct rc_quarantine *q, size_t len, void **bufp)
{
	size_t page = rc_page();
	size_t pages_len = (len + page - 1) / page * page;
	struct rc_qbuf *b;
	char *m;

	if (!pages_len)
		pages_len = page;
	if (q->live_count == q->live_cap) {
		size_t cap = q->live_cap ? q->live_cap * 2 : 64;
		struct rc_qbuf *t = realloc(q->live, cap * sizeof(*t));

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
	*b = (struct rc_qbuf){ m, pages_len + page, len, false };
	q->gets++;
	*bufp = m;
	return 0;
}

static bool rc_q_poison_intact(const struct rc_qbuf *b)
{
	const unsigned char *p = b->base;
	size_t i, n = b->map_len - rc_page();

	for (i = 0; i < n; i++)
		if (p[i] != RC_POISON_BYTE)
			return false;
	return true;
}

/* Unmap the oldest quarantined buffer; false if its poison had changed. */
static bool rc_q_evict(struct rc_quarantine *q)
{
	struct rc_qbuf *b = &q->fifo[q->fifo_head];
	bool intact = q->mode != RC_QUARANTINE_POISON || rc_q_poison_intact(b);

	if (!intact)
		q->poison_failures++;
	munmap(b->base, b->map_len);
	q->held_bytes -= b->map_len;
	q->fifo_head = (q->fifo_head + 1) % q->fifo_cap;
	q->fifo_count--;
	q->evictions++;
	return intact;
}

static int rc_q_fifo_push(struct rc_quarantine *q, struct rc_qbuf b)
{
	if (q->fifo_count == q->fifo_cap) {
		size_t cap = q->fifo_cap ? q->fifo_cap * 2 : 64, i;
		struct rc_qbuf *t = malloc(cap * sizeof(*t));

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
static int rc_q_put_locked(struct rc_quarantine *q, void *buf)
{
	struct rc_qbuf b;
	size_t i;

	for (i = 0; i < q->live_count && q->live[i].base != buf; i++)
		;
	if (i == q->live_count) {
		/* not live: put twice, or never ours */
		q->double_puts++;
		return RC_Q_REPORT_DOUBLE_PUT;
	}
	b = q->live[i];
	q->live[i] = q->live[--q->live_count];
	q->puts++;
	b.quarantined = true;
	/* ours to touch now, whatever the program's ASan poisoning said */
	rc_asan_unpoison(b.base, b.map_len - rc_page());
	if (q->mode == RC_QUARANTINE_POISON)
		memset(b.base, RC_POISON_BYTE, b.map_len - rc_page());
	else
		mprotect(b.base, b.map_len, PROT_NONE);
	if (rc_q_fifo_push(q, b)) {
		munmap(b.base, b.map_len);
		return 0;
	}
	while (q->held_bytes > q->max_bytes && q->fifo_count > 1)
		if (!rc_q_evict(q))
			return RC_Q_REPORT_POISON;
	return 0;
}

static int rc_q_get(void *ctx, size_t len, void **bufp)
{
	struct rc_quarantine *q = ctx;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = rc_q_get_locked(q, len, bufp);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static void rc_q_put(void *ctx, void *buf, size_t len)
{
	struct rc_quarantine *q = ctx;
	int report;

	pthread_mutex_lock(&q->lock);
	report = rc_q_put_locked(q, buf);
	pthread_mutex_unlock(&q->lock);
	if (report && q->report)
		q->report(q->report_arg, report, buf, len);
}

void rc_quarantine_drain(struct rc_quarantine *q)
{
	unsigned changed = 0;

	pthread_mutex_lock(&q->lock);
	while (q->fifo_count)
		changed += !rc_q_evict(q);
	pthread_mutex_unlock(&q->lock);
	while (changed-- && q->report)
		q->report(q->report_arg, RC_Q_REPORT_POISON, NULL, 0);
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

bool rc_quarantine_owns_unlocked(const struct rc_quarantine *q,
				 const void *addr)
{
	size_t i;

	for (i = 0; i < q->fifo_count; i++) {
		const struct rc_qbuf *b = &q->fifo[(q->fifo_head + i) %
						   q->fifo_cap];

		if ((const char *)addr >= (const char *)b->base &&
		    (const char *)addr < (const char *)b->base + b->map_len)
			return true;
	}
	return false;
}

const struct rc_buf_ops rc_buf_quarantine = {
	.name = "quarantine",
	.get = rc_q_get,
	.put = rc_q_put,
};

bool rc_quarantine_owns(struct rc_quarantine *q, const void *addr)
{
	bool owned;

	pthread_mutex_lock(&q->lock);
	owned = rc_quarantine_owns_unlocked(q, addr);
	pthread_mutex_unlock(&q->lock);
	return owned;
}
