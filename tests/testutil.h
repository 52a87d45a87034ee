/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the engine's tests: a trace t_recorder, a buffer strategy for
 * memory the test owns (records when the engine gives it back), rings,
 * pipes and fd counting.
 */
#ifndef T_TESTUTIL_H
#define T_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

#include "ringcp/ring.h"
#include "test.h"

#define T_REC_MAX 8192

struct t_rec_event {
	enum rc_trace_event ev;
	const struct rc_op *op;
	const void *buf;
	int64_t res;
	uint64_t t_ns;
};

struct t_recorder {
	struct t_rec_event ev[T_REC_MAX];
	unsigned n;
	unsigned count[RC_EV__COUNT];
};

static inline void t_rec_trace(void *arg, enum rc_trace_event ev,
			     const struct rc_op *op, const void *buf,
			     size_t len, int64_t res)
{
	struct t_recorder *rec = arg;

	(void)len;
	rec->count[ev]++;
	if (rec->n < T_REC_MAX)
		rec->ev[rec->n++] = (struct t_rec_event){ ev, op, buf, res,
							rc_now_ns() };
}

/* Index of the first event ev about op (or buf if op is NULL), or -1. */
static inline int t_rec_find(const struct t_recorder *rec, enum rc_trace_event ev,
			   const struct rc_op *op, const void *buf, int from)
{
	unsigned i;

	for (i = (unsigned)from; i < rec->n; i++)
		if (rec->ev[i].ev == ev && (op ? rec->ev[i].op == op :
						  rec->ev[i].buf == buf))
			return (int)i;
	return -1;
}

/* Memory the test owns: put() records when the engine gives it back. */
struct t_borrowed {
	unsigned puts;
	uint64_t put_ns;
	const void *last_put;
};

static inline int t_borrowed_get(void *ctx, size_t len, void **bufp)
{
	(void)ctx; (void)len; (void)bufp;
	return -ENOMEM;
}

static inline void t_borrowed_put(void *ctx, void *buf, size_t len)
{
	struct t_borrowed *b = ctx;

	(void)len;
	b->puts++;
	b->put_ns = rc_now_ns();
	b->last_put = buf;
}

static const struct rc_buf_ops t_borrowed_ops = {
	.name = "t_borrowed",
	.get = t_borrowed_get,
	.put = t_borrowed_put,
};

static inline struct rc_ring *t_make_ring(unsigned entries, struct t_recorder *rec,
					 struct t_borrowed *b)
{
	struct rc_ring_params p = {
		.entries = entries,
		.trace = rec ? t_rec_trace : NULL,
		.trace_arg = rec,
		.buf_ops = b ? &t_borrowed_ops : NULL,
		.buf_ctx = b,
	};
	struct rc_ring *r = NULL;
	int ret = rc_ring_create(&r, &p);

	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	return r;
}

/* An idle op holding a fresh heap buffer of len bytes. */
static inline struct rc_op *t_op_with_buf(struct rc_ring *r, size_t len)
{
	struct rc_op *op;
	void *buf;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_buf_get(r, len, &buf), 0);
	ASSERT_EQ(rc_op_set_buf(op, buf, len), 0);
	return op;
}

/* Wait until the kernel has posted n CQEs that the engine has not reaped. */
static inline void t_wait_cq_ready(struct rc_ring *r, unsigned n)
{
	int i;

	for (i = 0; i < 2000 && io_uring_cq_ready(rc_ring_uring(r)) < n; i++)
		usleep(1000);
	ASSERT_GE(io_uring_cq_ready(rc_ring_uring(r)), n);
}

static inline unsigned t_count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

/* A temporary file with len bytes of byte fill; returns an O_RDWR fd. */
static inline int t_temp_file(char *path, size_t size, size_t len, int fill)
{
	char *buf = malloc(len ? len : 1);
	int fd;

	snprintf(path, size, "/tmp/rc-test-XXXXXX");
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	memset(buf, fill, len);
	ASSERT_EQ(write(fd, buf, len), (ssize_t)len);
	free(buf);
	return fd;
}

/* An unlinked temporary file of len bytes of a pattern: a copy's source. */
static inline int t_pattern_source(size_t len)
{
	char path[64];
	char *data = malloc(len ? len : 1);
	size_t i;
	int fd;

	fd = t_temp_file(path, sizeof(path), 0, 0);
	unlink(path);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 2654435761u >> 13);
	ASSERT_EQ(pwrite(fd, data, len, 0), (ssize_t)len);
	free(data);
	return fd;
}

/* The two files hold the same n bytes, and nothing past them. */
static inline void t_expect_same_files(int a, int b, int64_t n)
{
	char *x = malloc((size_t)n + 1), *y = malloc((size_t)n + 1);

	EXPECT_EQ(pread(a, x, (size_t)n + 1, 0), n);
	EXPECT_EQ(pread(b, y, (size_t)n + 1, 0), n);
	EXPECT_EQ(memcmp(x, y, (size_t)n), 0);
	free(x);
	free(y);
}

/* A source of len bytes of a pattern, and an empty destination. */
static inline void t_file_pair(size_t len, int *src, int *dst)
{
	char path[64];

	*src = t_pattern_source(len);
	*dst = t_temp_file(path, sizeof(path), 0, 0);
	unlink(path);
}

static inline void t_need_root(void)
{
	if (geteuid() != 0)
		SKIP("needs root (userfaultfd of kernel faults, mounts)");
}

#endif
