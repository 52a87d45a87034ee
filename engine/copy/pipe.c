/* SPDX-License-Identifier: MIT */
/*
 * The pipe pool of the splice data path: a splice pair moves a chunk
 * file -> pipe -> file, and owns one pipe while it does.  At most max
 * pipes are lent at once, whatever the number of files: that bounds the
 * splices in flight (every splice runs in io-wq; 64 pairs in flight were
 * 27x slower than 8, docs/defaults.md).
 *
 * A pipe is a kernel-held resource with two hazards (docs/protocol.md,
 * "Splice"): a request in flight names its fds (closing them is the fd
 * hazard), and a cancelled or failed splice may have moved bytes into it
 * that no one will read (lending it again mixes them into another file).
 * So only a pipe every splice of which answered and which is empty is
 * lent again; one that may hold bytes is closed, and one that cancelled
 * splices may still name is kept open until the ring has nothing in
 * flight, then closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mutant.h"
#include "pump_int.h"

struct rc_pipe_pool {
	struct rc_ring *r;
	unsigned max;		/* lent at most */
	unsigned lent;
	unsigned retired_n;
	uint32_t chunk;		/* each pipe's capacity */
	struct rc_pipe *free;	/* empty, no request names them */
	struct rc_pipe *retired; /* may be named by cancelled splices */
	struct rc_waitq waitq;	/* pumps that found none free */
	struct rc_pipe_pool_stats st;
};

/* A step of pipe for the trace (the model's conformance check). */
static void rc_pipe_trace(struct rc_pipe_pool *p, enum rc_trace_event ev,
			  struct rc_pipe *pipe, int how)
{
	rc_ring_trace_pipe(p->r, ev, pipe, pipe->rfd, pipe->wfd, how);
}

static void rc_pipe_close(struct rc_pipe_pool *p, struct rc_pipe *pipe)
{
	rc_pipe_trace(p, RC_EV_PIPE_CLOSE, pipe, 0);
	close(pipe->rfd);
	close(pipe->wfd);
	free(pipe);
	p->st.closed++;
}

/* A new pipe of the pool's chunk (the first one sets the chunk). */
static int rc_pipe_make(struct rc_pipe_pool *p, struct rc_pipe **pipep)
{
	struct rc_pipe *pipe = calloc(1, sizeof(*pipe));
	int fds[2], got;

	if (!pipe)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		free(pipe);
		return -errno;
	}
	/* as large as the chunk; less if the system will not (an
	 * unprivileged user above fs.pipe-max-size): then the chunk is what
	 * the pipe holds */
	fcntl(fds[1], F_SETPIPE_SZ, (int)p->chunk);
	got = fcntl(fds[1], F_GETPIPE_SZ);
	if (got > 0 && (uint32_t)got < p->chunk)
		p->chunk = (uint32_t)got;
	pipe->rfd = fds[0];
	pipe->wfd = fds[1];
	p->st.made++;
	rc_pipe_trace(p, RC_EV_PIPE_MAKE, pipe, 0);
	*pipep = pipe;
	return 0;
}

int rc_pipe_pool_create(struct rc_ring *r, unsigned max, uint32_t chunk,
			struct rc_pipe_pool **poolp)
{
	struct rc_pipe_pool *p;
	struct rc_pipe *first;
	int ret;

	*poolp = NULL;
	if (rc_ring_is_sync(r) || !rc_ring_has_op(r, IORING_OP_SPLICE))
		return -EOPNOTSUPP;
	if (!max || !chunk)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->r = r;
	p->max = max;
	p->chunk = chunk;
	/* the first pipe now: it fixes the chunk every pair moves */
	ret = rc_pipe_make(p, &first);
	if (ret) {
		free(p);
		return ret;
	}
	first->next = NULL;
	p->free = first;
	*poolp = p;
	return 0;
}

uint32_t rc_pipe_pool_chunk(const struct rc_pipe_pool *p)
{
	return p->chunk;
}

/*
 * Retired pipes once the ring has nothing in flight: no request can name
 * them any more.  They may hold bytes: closed.
 */
static void rc_pipe_reclaim(struct rc_pipe_pool *p)
{
	struct rc_pipe *pipe;

	if (!p->retired || rc_ring_inflight(p->r))
		return;
	while ((pipe = p->retired)) {
		p->retired = pipe->next;
		p->retired_n--;
#ifdef RC_MUTANT_PIPE_REUSE_DIRTY
		/* MUTANT: "the splices are over, the pipe is free": lent
		 * again with whatever a cancelled splice left in it */
		pipe->next = p->free;
		p->free = pipe;
		continue;
#endif
		rc_pipe_close(p, pipe);
	}
}

int rc_pipe_get(struct rc_pipe_pool *p, struct rc_pipe **pipep)
{
	struct rc_pipe *pipe;
	int ret;

	if (p->lent >= p->max) {
		p->st.waits++;
		return -EAGAIN;
	}
	rc_pipe_reclaim(p);
	pipe = p->free;
	if (pipe) {
		p->free = pipe->next;
	} else {
		ret = rc_pipe_make(p, &pipe);
		if (ret)
			return ret;
	}
	pipe->next = NULL;
	p->lent++;
	p->st.lent++;
	rc_pipe_trace(p, RC_EV_PIPE_LEND, pipe, 0);
	*pipep = pipe;
	return 0;
}

void rc_pipe_put(struct rc_pipe_pool *p, struct rc_pipe *pipe,
		 enum rc_pipe_state how)
{
	p->lent--;
	rc_pipe_trace(p, RC_EV_PIPE_PUT, pipe, how);
	switch (how) {
	case RC_PIPE_CLEAN:
		pipe->next = p->free;
		p->free = pipe;
		break;
	case RC_PIPE_DIRTY:
		p->st.dirty++;
		rc_pipe_close(p, pipe);
		break;
	case RC_PIPE_NAMED:
#ifdef RC_MUTANT_PIPE_CLOSE_EARLY
		/* MUTANT: "the pair is cancelled, drop its pipe": closed
		 * while the cancelled splices still name its fds */
		p->st.dirty++;
		rc_pipe_close(p, pipe);
		break;
#endif
		p->st.retired++;
		p->retired_n++;
		pipe->next = p->retired;
		p->retired = pipe;
		break;
	}
}

uint64_t rc_pipe_pool_stale_bytes(struct rc_pipe_pool *p)
{
	struct rc_pipe *pipe;
	uint64_t sum = 0;
	int n;

	rc_pipe_reclaim(p);
	for (pipe = p->free; pipe; pipe = pipe->next)
		if (ioctl(pipe->rfd, FIONREAD, &n) == 0 && n > 0)
			sum += (uint64_t)n;
	return sum;
}

unsigned rc_pipe_pool_lent(const struct rc_pipe_pool *p)
{
	return p->lent;
}

unsigned rc_pipe_pool_retired(const struct rc_pipe_pool *p)
{
	return p->retired_n;
}

const struct rc_pipe_pool_stats *rc_pipe_pool_stats(const struct rc_pipe_pool *p)
{
	return &p->st;
}

void rc_pipe_pool_wait(struct rc_pipe_pool *p, struct rc_pump *pump)
{
	rc_waitq_add(&p->waitq, pump);
}

void rc_pipe_pool_unwait(struct rc_pipe_pool *p, struct rc_pump *pump)
{
	rc_waitq_del(&p->waitq, pump);
}

struct rc_pump *rc_pipe_pool_waker(struct rc_pipe_pool *p)
{
	struct rc_pump *pump = p->waitq.head;

	if (!pump || p->lent >= p->max)
		return NULL;
	rc_waitq_del(&p->waitq, pump);
	return pump;
}

int rc_pipe_pool_destroy(struct rc_pipe_pool *p)
{
	struct rc_pipe *pipe;
	bool quiet;

	if (!p)
		return 0;
	quiet = !rc_ring_inflight(p->r);
	rc_pipe_reclaim(p);
	/* once the ring is quiet no request names a pipe; with requests in
	 * flight (a drain that timed out) any may be named: its fds stay
	 * open (process exit waits for the kernel), only our record goes */
	while ((pipe = p->free) || (pipe = p->retired)) {
		if (pipe == p->free)
			p->free = pipe->next;
		else
			p->retired = pipe->next;
		if (quiet)
			rc_pipe_close(p, pipe);
		else
			free(pipe);
	}
	free(p);
	return quiet ? 0 : -EBUSY;
}

int rc_pipe_pool_for(struct rc_ring *r, const struct rc_copy_opts *opts,
		     struct rc_pipe_pool **poolp)
{
	struct rc_config cfg = {
		.data_path = opts->data_path,
		.splice_pairs = opts->splice_pairs,
	};
	int ret;

	*poolp = NULL;
	if (rc_config_resolve(&cfg))
		return -EINVAL;
	if (cfg.data_path == RC_DATA_READWRITE || rc_ring_is_sync(r))
		return 0;	/* the fallback engine reads and writes */
	ret = rc_pipe_pool_create(r, cfg.splice_pairs, RC_SPLICE_CHUNK, poolp);
	if (ret == -EOPNOTSUPP && cfg.data_path == RC_DATA_AUTO)
		return 0;	/* auto: read and write where splice cannot */
	return ret;
}
