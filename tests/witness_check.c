/* SPDX-License-Identifier: MIT */
/*
 * Description: the witness's detectors on hand-made timelines of the
 * program's log and the kernel's events: a request's legal life passes,
 * and each way of breaking it is reported as its own kind: memory given
 * back before the kernel's completion, two requests in flight with one
 * user_data, a completion never reaped, a reap no completion had, a CQE
 * acted on that the kernel posted for another request, an fd closed while
 * a request naming it was in the kernel (close(2) and IORING_OP_CLOSE),
 * and a completion after the ring's memory was given back.
 */
#include <unistd.h>

#include "ledger.h"
#include "testutil.h"
#include "witness.h"

#define CTX	0xffff888000001000ull
#define REQ	0xffff888000002000ull
#define REQ2	0xffff888000003000ull

static char ring[64], op[64], buf[8192];
static struct rh_uev u[32];
static struct rh_kev k[32];
static size_t nu, nk;
static unsigned found[RH_VIOL__COUNT];

static void report(void *arg, int kind, const char *detail)
{
	(void)arg;
	TH_LOG("reported: %s", detail);
	found[kind]++;
}

static void uev(uint64_t ts, enum rh_uev_kind kind, uint64_t ud, int res)
{
	struct rh_uev *e = &u[nu++];

	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->kind = (uint8_t)kind;
	e->ring = ring;
	e->op = op;
	e->ud = ud;
	e->res = res;
	e->tid = getpid();
	e->fd = -1;
	e->refs.closes = -1;
}

static void kev(uint64_t ts, enum rh_kev_kind kind, uint64_t req, uint64_t ud,
		int val)
{
	struct rh_kev *e = &k[nk];

	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->kind = (uint8_t)kind;
	e->ctx = CTX;
	e->req = req;
	e->ud = ud;
	e->val = val;
	e->pid = getpid();
	e->seq = (uint32_t)nk++;
}

/* A read of buf on fd 7: the program's SQE at 20, in the kernel 30..40. */
static void legal_read(void)
{
	nu = nk = 0;
	memset(found, 0, sizeof(found));
	kev(5, RH_K_CREATE, 0, 0, 5);
	uev(10, RH_U_RING_CREATE, 0, 0);
	u[nu - 1].fd = 5;
	uev(20, RH_U_SQE, 0x100, 0);
	u[nu - 1].opcode = IORING_OP_READ;
	u[nu - 1].refs.nranges = 1;
	u[nu - 1].refs.range[0].addr = buf;
	u[nu - 1].refs.range[0].len = 4096;
	u[nu - 1].refs.nfds = 1;
	u[nu - 1].refs.fd[0] = 7;
	kev(30, RH_K_SUBMIT, REQ, 0x100, 0);
	kev(40, RH_K_COMPLETE, REQ, 0x100, 4096);
}

/* The rest of the legal life: reaped, acted on, the buffer back. */
static void legal_end(void)
{
	uev(50, RH_U_REAP, 0x100, 4096);
	uev(51, RH_U_ACTED, 0x100, 4096);
	uev(60, RH_U_RELEASE, 0, 0);
	u[nu - 1].addr = buf;
	u[nu - 1].len = sizeof(buf);
}

/* Both timelines in time order (stable), as the harness hands them. */
static uint64_t check(void)
{
	struct rh_witness_stats st = { 0 };
	size_t i, j;

	for (i = 1; i < nk; i++)
		for (j = i; j > 0 && k[j - 1].ts > k[j].ts; j--) {
			struct rh_kev t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (i = 1; i < nu; i++)
		for (j = i; j > 0 && u[j - 1].ts > u[j].ts; j--) {
			struct rh_uev t = u[j];

			u[j] = u[j - 1];
			u[j - 1] = t;
		}
	return rh_witness_check(u, nu, k, nk, &st, report, NULL);
}

TEST(legal_life_passes)
{
	legal_read();
	legal_end();
	EXPECT_EQ(check(), 0);
}

TEST(buffer_given_back_before_the_kernel_completed)
{
	legal_read();
	uev(35, RH_U_RELEASE, 0, 0);	/* between submit and complete */
	u[nu - 1].addr = buf;
	u[nu - 1].len = sizeof(buf);
	legal_end();
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_RELEASE_BEFORE_COMPLETE], 1);
}

TEST(two_requests_in_flight_with_one_user_data)
{
	legal_read();
	k[nk - 1].ts = 45;		/* the first completes later */
	kev(41, RH_K_SUBMIT, REQ2, 0x100, 0);	/* another, same user_data */
	kev(46, RH_K_COMPLETE, REQ2, 0x100, 0);
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_DUP_USER_DATA], 1);
}

TEST(a_completion_never_reaped_though_later_ones_were)
{
	legal_read();
	kev(42, RH_K_SUBMIT, REQ2, 0x200, 0);
	kev(43, RH_K_COMPLETE, REQ2, 0x200, 0);
	uev(50, RH_U_REAP, 0x200, 0);	/* the second, not the first */
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_NOT_REAPED], 1);
}

TEST(a_reap_no_kernel_completion_had)
{
	legal_read();
	legal_end();
	uev(70, RH_U_REAP, 0x300, -2);
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_NOT_REAPED], 1);
}

TEST(a_cqe_acted_on_that_the_kernel_posted_for_another_request)
{
	legal_read();
	/* the op's read is still in the kernel; a NOP nobody logged posts
	 * a CQE with the same user_data, and the engine takes it */
	k[nk - 1].ts = 90;
	kev(31, RH_K_SUBMIT, REQ2, 0x100, 0);
	kev(32, RH_K_COMPLETE, REQ2, 0x100, 0);
	uev(33, RH_U_REAP, 0x100, 0);
	uev(34, RH_U_ACTED, 0x100, 0);
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_FOREIGN_CQE], 1);
}

TEST(an_fd_closed_while_a_request_naming_it_was_in_the_kernel)
{
	legal_read();
	kev(35, RH_K_CLOSE, 0, 0, 7);
	k[nk - 1].ctx = 0;
	legal_end();
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_FD_CLOSED_IN_FLIGHT], 1);
}

TEST(an_io_uring_close_of_an_fd_a_request_in_the_kernel_names)
{
	legal_read();
	k[nk - 1].ts = 60;		/* the read completes late */
	uev(41, RH_U_SQE, 0x400, 0);	/* IORING_OP_CLOSE of fd 7 */
	u[nu - 1].opcode = IORING_OP_CLOSE;
	u[nu - 1].refs.closes = 7;
	kev(42, RH_K_SUBMIT, REQ2, 0x400, 0);
	kev(43, RH_K_COMPLETE, REQ2, 0x400, 0);
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_FD_CLOSED_IN_FLIGHT], 1);
}

TEST(a_completion_after_the_rings_memory_was_given_back)
{
	legal_read();
	uev(35, RH_U_RING_FREE, 0, 0);
	EXPECT_GE(check(), 1);
	EXPECT_EQ(found[RH_VIOL_COMPLETE_AFTER_FREE], 1);
}
