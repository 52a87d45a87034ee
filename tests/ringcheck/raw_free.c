/* SPDX-License-Identifier: MIT */
/*
 * Description: a program without liburing (as Rust's io-uring crate and
 * tokio are): io_uring_setup and io_uring_enter through syscall(2), the
 * rings through mmap(2).  It frees a read's buffer before the read's CQE.
 * Fixed: it waits for the CQE first.  With "inline" (after the form),
 * io_uring_enter is its own syscall instruction, as fio's is: ringcheck
 * sees it only with --trap-enters.
 */
#include <linux/io_uring.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rkt.h"

static int use_inline;

/* io_uring_enter, through libc or through its own instruction */
static long raw_enter(int fd, unsigned submit, unsigned wait, unsigned flags)
{
	long ret;

	if (!use_inline)
		return syscall(__NR_io_uring_enter, fd, submit, wait, flags,
			       NULL, 0);
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = 0;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "0"((long)__NR_io_uring_enter), "D"((long)fd),
			   "S"((long)submit), "d"((long)wait), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

struct raw {
	int fd;
	struct io_uring_params p;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
};

static void raw_setup(struct raw *r)
{
	memset(&r->p, 0, sizeof(r->p));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		t_die("io_uring_setup: %s", strerror(errno));
	r->sq = mmap(NULL, r->p.sq_off.array + r->p.sq_entries * 4,
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->p.cq_off.cqes + r->p.cq_entries *
		     sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED ||
	    r->sqes == MAP_FAILED)
		t_die("mmap: %s", strerror(errno));
}

/* Queue a read of fd into buf (slot 0) and submit it. */
static void raw_read(struct raw *r, int fd, void *buf, unsigned len)
{
	unsigned *tail = (unsigned *)(r->sq + r->p.sq_off.tail);
	unsigned *array = (unsigned *)(r->sq + r->p.sq_off.array);
	unsigned mask = *(unsigned *)(r->sq + r->p.sq_off.ring_mask);
	struct io_uring_sqe *sqe = &r->sqes[0];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->user_data = 7;
	array[*tail & mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (raw_enter(r->fd, 1, 0, 0) != 1)
		t_die("io_uring_enter: %s", strerror(errno));
}

static int raw_wait(struct raw *r)
{
	unsigned *head = (unsigned *)(r->cq + r->p.cq_off.head);
	unsigned *tail = (unsigned *)(r->cq + r->p.cq_off.tail);
	unsigned mask = *(unsigned *)(r->cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (void *)(r->cq + r->p.cq_off.cqes);
	int res;

	while (__atomic_load_n(tail, __ATOMIC_ACQUIRE) == *head)
		if (raw_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS) < 0)
			t_die("io_uring_enter: %s", strerror(errno));
	res = cqes[*head & mask].res;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	struct raw r;
	char *buf = malloc(4096);
	int p[2];

	if (!buf || pipe(p))
		t_die("setup");
	use_inline = argc > 2 && !strcmp(argv[2], "inline");
	raw_setup(&r);
	raw_read(&r, p[0], buf, 4096);
	if (t_fixed(argc, argv)) {
		if (write(p[1], "x", 1) != 1 || raw_wait(&r) != 1)
			t_die("the read did not end");
		free(buf);
	} else {
		free(buf);
		if (write(p[1], "x", 1) != 1 || raw_wait(&r) != 1)
			t_die("the read did not end");
	}
	close(r.fd);
	return 0;
}
