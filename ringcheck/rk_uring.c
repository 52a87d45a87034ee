/* SPDX-License-Identifier: MIT */
/*
 * liburing's exported functions.  Debian's liburing 2.3 makes its system
 * calls with its own inline instructions (no libc syscall()), so
 * ringcheck stands in front of the functions a program calls: the init
 * functions (a ring learnt from struct io_uring), every function that may
 * enter the kernel (after it: what the kernel took, what it completed),
 * and io_uring_queue_exit (the teardown).  The inline helpers
 * (io_uring_wait_cqe, io_uring_peek_cqe) reach the kernel through the
 * exported __io_uring_get_cqe.
 */
#include <signal.h>

#include "rk.h"

#define RK_REAL(fn)						\
	static __typeof__(fn) *real;				\
	if (!real)						\
		real = (__typeof__(fn) *)rk_real(#fn)

/* Something queued to submit: note who submits it (its stack). */
void rk_enter_before(const struct rk_ring *r)
{
	if (!rk_enter())
		return;
	(void)r;
	if (rk_ring_any_queued())
		rk_ring_note_submitter();
	rk_leave();
}

void rk_enter_after(void)
{
	if (!rk_enter())
		return;
	rk_ring_took_all();
	rk_leave();
}

static const struct rk_ring *rk_lr(const struct io_uring *ring)
{
	const struct rk_ring *r = NULL;

	if (rk_enter()) {
		r = rk_ring_by_fd(ring->ring_fd);
		rk_leave();
	}
	return r;
}

static void rk_learn(int ret, const struct io_uring *ring)
{
	if (ret == 0 && rk_enter()) {
		rk_ring_from_liburing(ring, ring->features);
		rk_leave();
	}
}

int io_uring_queue_init_params(unsigned entries, struct io_uring *ring,
			       struct io_uring_params *p)
{
	RK_REAL(io_uring_queue_init_params);
	int ret = real(entries, ring, p);

	rk_learn(ret, ring);
	return ret;
}

int io_uring_queue_init(unsigned entries, struct io_uring *ring,
			unsigned flags)
{
	RK_REAL(io_uring_queue_init);
	int ret = real(entries, ring, flags);

	rk_learn(ret, ring);
	return ret;
}

int io_uring_queue_mmap(int fd, struct io_uring_params *p,
			struct io_uring *ring)
{
	RK_REAL(io_uring_queue_mmap);
	int ret = real(fd, p, ring);

	rk_learn(ret, ring);
	return ret;
}

int io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	RK_REAL(io_uring_setup);
	int fd = real(entries, p);

	if (fd >= 0 && rk_enter()) {
		rk_ring_from_setup(fd, p);
		rk_leave();
	}
	return fd;
}

void io_uring_queue_exit(struct io_uring *ring)
{
	RK_REAL(io_uring_queue_exit);

	if (rk_enter()) {
		rk_ring_teardown(rk_ring_by_fd(ring->ring_fd),
				 "io_uring_queue_exit");
		rk_leave();
	}
	real(ring);
}

/* A liburing function that may enter the kernel, wrapped. */
#define RK_ENTERS(ret_t, fn, ringexpr, params, args)		\
ret_t fn params							\
{								\
	RK_REAL(fn);						\
	ret_t ret;						\
								\
	rk_enter_before(ringexpr);				\
	ret = real args;					\
	rk_enter_after();					\
	return ret;						\
}

RK_ENTERS(int, io_uring_submit, rk_lr(ring), (struct io_uring *ring), (ring))
RK_ENTERS(int, io_uring_submit_and_wait, rk_lr(ring),
	  (struct io_uring *ring, unsigned wait_nr), (ring, wait_nr))
RK_ENTERS(int, io_uring_submit_and_wait_timeout, rk_lr(ring),
	  (struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
	   unsigned wait_nr, struct __kernel_timespec *ts, sigset_t *sigmask),
	  (ring, cqe_ptr, wait_nr, ts, sigmask))
RK_ENTERS(int, io_uring_submit_and_get_events, rk_lr(ring),
	  (struct io_uring *ring), (ring))
RK_ENTERS(int, io_uring_get_events, rk_lr(ring), (struct io_uring *ring),
	  (ring))
RK_ENTERS(int, __io_uring_get_cqe, rk_lr(ring),
	  (struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
	   unsigned submit, unsigned wait_nr, sigset_t *sigmask),
	  (ring, cqe_ptr, submit, wait_nr, sigmask))
RK_ENTERS(int, io_uring_wait_cqes, rk_lr(ring),
	  (struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
	   unsigned wait_nr, struct __kernel_timespec *ts, sigset_t *sigmask),
	  (ring, cqe_ptr, wait_nr, ts, sigmask))
RK_ENTERS(int, io_uring_wait_cqe_timeout, rk_lr(ring),
	  (struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
	   struct __kernel_timespec *ts), (ring, cqe_ptr, ts))
RK_ENTERS(unsigned, io_uring_peek_batch_cqe, rk_lr(ring),
	  (struct io_uring *ring, struct io_uring_cqe **cqes, unsigned count),
	  (ring, cqes, count))
RK_ENTERS(int, __io_uring_sqring_wait, rk_lr(ring), (struct io_uring *ring),
	  (ring))
RK_ENTERS(int, io_uring_enter, rk_ring_by_fd((int)fd),
	  (unsigned int fd, unsigned int to_submit, unsigned int min_complete,
	   unsigned int flags, sigset_t *sig),
	  (fd, to_submit, min_complete, flags, sig))
RK_ENTERS(int, io_uring_enter2, rk_ring_by_fd((int)fd),
	  (unsigned int fd, unsigned int to_submit, unsigned int min_complete,
	   unsigned int flags, sigset_t *sig, size_t sz),
	  (fd, to_submit, min_complete, flags, sig, sz))

/* A registered ring fd: enters by index, which ringcheck follows for
 * every ring alike; said, as the program may then close the fd. */
int io_uring_register_ring_fd(struct io_uring *ring)
{
	RK_REAL(io_uring_register_ring_fd);
	int ret = real(ring);

	if (ret == 1)
		rk_say("ringcheck: limit: ring fd %d registered "
		       "(io_uring_register_ring_fd): ringcheck follows its "
		       "enters through liburing, not the fd\n", ring->ring_fd);
	return ret;
}

/* Registered buffers going while fixed reads or writes use them. */
int io_uring_unregister_buffers(struct io_uring *ring)
{
	RK_REAL(io_uring_unregister_buffers);

	if (rk_enter()) {
		const struct rk_ring *r = rk_ring_by_fd(ring->ring_fd);

		rk_ring_reap_all();
		if (r)
			rk_check_unregister(r, "io_uring_unregister_buffers");
		rk_leave();
	}
	return real(ring);
}
