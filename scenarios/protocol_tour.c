/* SPDX-License-Identifier: MIT */
/*
 * Description: one deterministic visit, under the harness, of each place
 * where a broken engine frees or reuses memory too early: a copy with
 * reads and writes in flight (checksummed), a poll-armed pipe read
 * cancelled (answer 0), a completed-but-unreaped write and openat
 * cancelled (-ENOENT, halt safety), an io-wq read stalled on userfaultfd
 * cancelled (-EALREADY, needs root), a statx likewise (its path and its
 * statx buffer held), a duplicate CQE of a previous life,
 * a teardown with reads in flight, and splice pairs cut in flight and
 * after a short splice (their pipes); and for the buffer strategies
 * (--buffers): completed-but-unreaped reads cancelled (with a buffer ring
 * each took a buffer that must go back), and more buffers in use than the
 * strategy keeps or registers.  The correct engine must end with
 * no violation; each mutant (engine/mutant.h) must end with at least
 * one, and the summary says which detector saw it.
 *
 * Exit: 0 no violation, 1 violations, 2 usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "ringcp/copy.h"
#include "harness.h"
#include "scenario.h"
#include "stall.h"
#include <sys/mman.h>

#define WAIT_MS 2000

static char work_dir[] = "/tmp/rc-tour-XXXXXX";
static uint64_t seed = 1;

static struct rc_ring *tour_ring(unsigned entries)
{
	struct rc_ring_params p = { .entries = entries };
	struct rc_ring *r;
	int ret;

	rh_harness_ring_params(&p);
	ret = rc_ring_create(&r, &p);
	if (ret) {
		fprintf(stderr, "protocol_tour: cannot set up io_uring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		exit(2);
	}
	return r;
}

static void tour_ring_done(struct rc_ring *r)
{
	rh_harness_add_ring(r);
	rc_ring_destroy(r, WAIT_MS);
}

static int tour_file(const char *name, uint64_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", work_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "protocol_tour: cannot create '%s': %s\n", path,
			strerror(errno));
		exit(2);
	}
	if (len && rh_fill_fd(fd, len, seed) < 0)
		exit(2);
	return fd;
}

/* An idle op with a buffer from the ring's strategy (the quarantine). */
static struct rc_op *tour_op(struct rc_ring *r, size_t len)
{
	struct rc_op *op;
	void *buf;

	if (rc_op_get(r, &op) || rc_buf_get(r, len, &buf) ||
	    rc_op_set_buf(op, buf, len))
		exit(2);
	return op;
}

/* Wait (bounded) for n CQEs the engine has not reaped. */
static void wait_cq_ready(struct rc_ring *r, unsigned n)
{
	int i;

	for (i = 0; i < WAIT_MS && io_uring_cq_ready(rc_ring_uring(r)) < n; i++)
		usleep(1000);
}

/* Reads and writes in flight on a real copy; the copy is checksummed. */
static void step_copy(void)
{
	const uint64_t len = 4u << 20;
	struct rc_ring *r = tour_ring(64);
	/* reads and writes: the buffer mutants' step, whatever the default */
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 64 * 1024,
				  .data_path = RC_DATA_READWRITE };
	int src = tour_file("copy.src", len), dst = tour_file("copy.dst", 0);
	uint64_t a = 0, b = 1;
	enum rc_copy_side side;
	int drain_err;
	int64_t n;

	n = rc_copy_fd(r, src, dst, len, &o, &side, &drain_err);
	if (n >= 0)
		rh_harness_account((uint64_t)n * 2, rc_ring_stats(r)->cqes);
	if (n != (int64_t)len || rh_checksum_fd(src, len, &a) ||
	    rh_checksum_fd(dst, len, &b) || a != b)
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "copy of %" PRIu64 " bytes: result %" PRId64
				     ", checksums %016" PRIx64 " / %016" PRIx64,
				     len, n, a, b);
	tour_ring_done(r);
	if (!drain_err) {
		close(src);
		close(dst);
	}
}

/* A pipe read, poll-armed, cancelled: answer 0, op -ECANCELED. */
static void step_poll_armed(void)
{
	struct rc_ring *r = tour_ring(0);
	struct rc_op *op = tour_op(r, 4096);
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		exit(2);
	rh_scenario_prep_read(op, p[0], 0, 4096, (uint64_t)-1);
	rc_op_submit(op);
	rc_ring_flush(r);
	rc_op_cancel(op);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(p[0]);
	close(p[1]);
}

/* A write whose CQE is posted but not reaped, cancelled: -ENOENT. */
static void step_completed_write(void)
{
	struct rc_ring *r = tour_ring(0);
	struct rc_op *op = tour_op(r, 4096);
	int fd = tour_file("completed.dst", 0);

	memset(op->buf, 'w', 4096);
	rc_op_prep_write(op, fd, 0, 4096, 0);
	rc_op_submit(op);
	rc_ring_flush(r);
	wait_cq_ready(r, 1);
	rc_op_cancel(op);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(fd);
}

/* An openat that succeeded although cancelled: its fd must be closed. */
static void step_completed_openat(void)
{
	struct rc_ring *r = tour_ring(0);
	char path[128];
	struct rc_op *op;
	int fd = tour_file("openat.src", 100);

	close(fd);
	snprintf(path, sizeof(path), "%s/openat.src", work_dir);
	if (rc_op_get(r, &op) ||
	    rc_op_prep_openat(op, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0))
		exit(2);
	rc_op_submit(op);
	rc_ring_flush(r);
	wait_cq_ready(r, 1);
	rc_op_cancel(op);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
}

/*
 * Submit OP (prepared on memory stall S watches) to io-wq, cancel it once
 * the worker faults on that memory, let the fault go, drain, and close the
 * ring and FD.  The cancel finds the request running: it answers -EALREADY
 * and the op comes back only with its own CQE.
 */
static void tour_cancel_in_io_wq(struct rc_ring *r, struct rc_op *op,
				 struct rh_stall *s, int fd)
{
	rc_op_set_flags(op, IOSQE_ASYNC);
	rc_op_submit(op);
	rc_ring_flush(r);
	if (rh_stall_wait_fault(s, WAIT_MS) == 0) {
		rc_op_cancel(op);
		rc_ring_wait(r, 1, 200);	/* the cancel's answer */
		usleep(20 * 1000);
	}
	rh_stall_release(s, 0);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(fd);
	rh_stall_destroy(s);
}

/*
 * A read running in io-wq, stalled on userfaultfd: -EALREADY, then the
 * full read once released.  The stalled pages are a fresh quarantine
 * buffer, so a buffer freed early is caught by the guard as well.
 */
static void step_io_wq(void)
{
	const size_t len = 64 * 1024;
	struct rc_ring *r = tour_ring(0);
	struct rh_stall s;
	struct rc_op *op;
	void *buf;
	int fd, ret;

	size_t area_len = len;

	if (!strcmp(rc_ring_buf_strategy(r), "fixed")) {
		printf("protocol_tour: io-wq step skipped: registered buffers "
		       "are pinned, no userfaultfd stall holds their copy\n");
		tour_ring_done(r);
		return;
	}
	if (rc_op_get(r, &op) || rc_buf_get(r, len, &buf) ||
	    rc_op_set_buf(op, buf, len))
		exit(2);
	fd = tour_file("iowq.src", len);
	rh_scenario_prep_read(op, fd, 0, (uint32_t)len, 0);
	if (op->buf_select && rc_ring_buf_peek(r, &buf, &area_len))
		exit(2);	/* stall on the buffer the kernel picks next */
	madvise(buf, area_len, MADV_DONTNEED);	/* recycled: pages missing */
	ret = rh_stall_attach(&s, buf, area_len);
	if (ret) {
		printf("protocol_tour: io-wq step skipped: userfaultfd: %s "
		       "(needs root)\n", strerror(-ret));
		rc_op_put(op);
		tour_ring_done(r);
		close(fd);
		return;
	}
	tour_cancel_in_io_wq(r, op, &s, fd);
}

/*
 * A statx running in io-wq, stalled on userfaultfd in the copy of its
 * answer: cancelled (-EALREADY) while the kernel still holds its path and
 * its statx buffer, which must not be given back before its CQE.
 */
static void step_statx_io_wq(void)
{
	struct rc_ring *r = tour_ring(0);
	char path[sizeof(work_dir) + 16];
	struct rh_stall s;
	struct rc_op *op;
	int fd, ret;

	if (!strcmp(rc_ring_buf_strategy(r), "fixed")) {
		printf("protocol_tour: statx-io-wq step skipped: registered "
		       "buffers are pinned\n");
		tour_ring_done(r);
		return;
	}
	fd = tour_file("statx.src", 4096);
	snprintf(path, sizeof(path), "%s/statx.src", work_dir);
	op = tour_op(r, 4096);
	madvise(op->buf, 4096, MADV_DONTNEED);	/* recycled: pages missing */
	ret = rh_stall_attach(&s, op->buf, 4096);
	if (ret) {
		printf("protocol_tour: statx-io-wq step skipped: "
		       "userfaultfd: %s (needs root)\n", strerror(-ret));
		rc_op_put(op);
		tour_ring_done(r);
		close(fd);
		return;
	}
	rc_op_prep_statx(op, AT_FDCWD, path, 0, STATX_BASIC_STATS);
	tour_cancel_in_io_wq(r, op, &s, fd);
}

/*
 * O_DIRECT reads cancelled in the same submission: the cancel finds them in
 * the block layer and answers -ENOENT while they are still in flight; each
 * completes later with its data.  Racy by nature, so several rounds.
 */
static void step_block_layer(void)
{
	const size_t len = 1u << 20;
	struct rc_ring *r = tour_ring(0);
	char path[128];
	int fd, round;

	fd = tour_file("direct.src", 8 * len);
	fsync(fd);	/* no dirty pages: O_DIRECT reads go straight out */
	close(fd);
	snprintf(path, sizeof(path), "%s/direct.src", work_dir);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		printf("protocol_tour: block-layer step skipped: O_DIRECT: "
		       "%s\n", strerror(errno));
		tour_ring_done(r);
		return;
	}
	for (round = 0; round < 8; round++) {
		struct rc_op *op = tour_op(r, len);

		rh_scenario_prep_read(op, fd, 0, (uint32_t)len,
				      (uint64_t)round * len);
		rc_op_submit(op);
		rc_ring_flush(r);	/* reaches the block layer */
		rc_op_cancel(op);
		rc_ring_drain(r, WAIT_MS);
	}
	tour_ring_done(r);
	close(fd);
}

/*
 * Reads whose CQEs are posted, not reaped, cancelled (-ENOENT): each
 * completed anyway.  With a buffer ring each took a buffer, which halt
 * safety must give back (compio #746); teardown counts them.
 */
static void step_completed_read(void)
{
	struct rc_ring *r = tour_ring(0);
	struct rc_op *ops[4];
	int fd = tour_file("completed.src", 4 * 4096), i;

	for (i = 0; i < 4; i++) {
		ops[i] = tour_op(r, 4096);
		rh_scenario_prep_read(ops[i], fd, 0, 4096, (uint64_t)i * 4096);
		rc_op_submit(ops[i]);
	}
	rc_ring_flush(r);
	wait_cq_ready(r, 4);
	for (i = 0; i < 4; i++)
		rc_op_cancel(ops[i]);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(fd);
}

/*
 * More buffers at once than the strategy keeps (registers): pipe reads
 * into the ops' own buffers, poll-armed, then cancelled.  Every buffer
 * handed out must be one no op has in flight.
 */
static void step_table_full(void)
{
	enum { N = RH_HARNESS_STRATEGY_BUFS + 2 };
	struct rc_ring *r = tour_ring(2 * N);
	struct rc_op *ops[N];
	int p[2], i;

	if (pipe2(p, O_CLOEXEC))
		exit(2);
	for (i = 0; i < N; i++) {
		ops[i] = tour_op(r, 4096);
		rc_op_prep_read(ops[i], p[0], 0, 4096, (uint64_t)-1);
		rc_op_submit(ops[i]);
		rc_ring_flush(r);
	}
	for (i = 0; i < N; i++)
		rc_op_cancel(ops[i]);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(p[0]);
	close(p[1]);
}

/* A CQE meant for a record's previous life must not complete it. */
static void step_stale_cqe(void)
{
	struct rc_ring *r = tour_ring(0);
	struct rc_op *op = tour_op(r, 4096), *got = NULL;
	struct io_uring_sqe *sqe;
	uint32_t old_life;
	int p[2], i;

	if (pipe2(p, O_CLOEXEC))
		exit(2);
	rc_op_prep_nop(op);
	rc_op_submit(op);
	for (i = 0; i < 10 && !got; i++) {
		rc_ring_wait(r, 1, WAIT_MS / 10);
		got = rc_ring_next(r);
	}
	old_life = rc_op_life(op);
	rc_op_prep_read(op, p[0], 0, 4096, (uint64_t)-1);
	rc_op_submit(op);
	rc_ring_flush(r);
	/* a late duplicate of the NOP's CQE */
	sqe = io_uring_get_sqe(rc_ring_uring(r));
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, rc_ud_encode(op, RC_UD_OP, old_life));
	io_uring_submit(rc_ring_uring(r));
	wait_cq_ready(r, 1);
	rc_ring_wait(r, 0, 0);
	got = rc_ring_next(r);		/* a correct engine hands back nothing */
	if (write(p[1], "late", 4) != 4)
		exit(2);
	for (i = 0; i < 10 && !got; i++) {
		rc_ring_wait(r, 1, WAIT_MS / 10);
		got = rc_ring_next(r);
	}
	if (got)
		rc_op_put(got);
	rc_ring_drain(r, WAIT_MS);
	tour_ring_done(r);
	close(p[0]);
	close(p[1]);
}

/* The copy's data: the n bytes of dst equal src's. */
static void tour_check_copy(int src, int dst, uint64_t len, int64_t n,
			    const char *what)
{
	uint64_t a = 0, b = 1;

	if (n != (int64_t)len || rh_checksum_fd(src, len, &a) ||
	    rh_checksum_fd(dst, len, &b) || a != b)
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "%s of %" PRIu64 " bytes: result %" PRId64
				     ", checksums %016" PRIx64 " / %016" PRIx64,
				     what, len, n, a, b);
}

/*
 * Splice pairs cut short: (1) pairs cancelled in flight, their pipes
 * named by requests still in the kernel; (2) a short splice in (the file
 * is shorter than asked: the link fails, the out is -ECANCELED, 40,000
 * bytes stay in the pipe) whose lone out is cancelled before it went out.
 * Neither pipe may be closed while named, nor lent again with its bytes:
 * the next copy through the pool is checksummed.
 */
static void step_splice_cut(void)
{
	const uint32_t chunk = 64 * 1024;
	const uint64_t len2 = 4 * chunk + 5;
	struct rc_ring *r = tour_ring(64);
	struct rc_copy_opts o = { .queue_depth = 2,
				  .data_path = RC_DATA_SPLICE };
	struct rc_pipe_pool *pool;
	struct rc_pump p;
	struct rc_op *op;
	enum rc_copy_side side;
	int src = tour_file("cut.src", 40000), dst = tour_file("cut.dst", 0);
	int src2 = tour_file("cut2.src", len2), dst2 = tour_file("cut2.dst", 0);
	int drain_err, back = 0, i;
	uint64_t stale;

	if (rc_pipe_pool_create(r, 2, chunk, &pool)) {
		printf("protocol_tour: splice-cut step skipped: no splice\n");
		tour_ring_done(r);
		return;
	}
	o.pipes = pool;
	/* (1) */
	rc_pump_start(&p, r, src2, dst2, 0, len2, true, &o);
	rc_ring_flush(r);
	rc_pump_abort(&p);
	rc_ring_drain(r, WAIT_MS);
	/* (2) the pair's two CQEs; the pump then queues the lone out */
	rc_pump_start(&p, r, src, dst, 0, chunk, true, &o);
	for (i = 0; i < WAIT_MS && back < 2; i++) {
		rc_ring_wait(r, 1, 1);
		while (back < 2 && (op = rc_ring_next(r))) {
			rc_pump_complete(&p, op);
			back++;
		}
	}
	rc_pump_abort(&p);
	rc_ring_drain(r, WAIT_MS);
	stale = rc_pipe_pool_stale_bytes(pool);
	if (stale)
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "a pipe to be lent again holds %" PRIu64
				     " bytes a cut splice pair left", stale);
	tour_check_copy(src2, dst2, len2,
			rc_copy_fd(r, src2, dst2, len2, &o, &side, &drain_err),
			"splice copy after cut pairs");
	rc_pipe_pool_destroy(pool);
	tour_ring_done(r);
	close(src);
	close(dst);
	close(src2);
	close(dst2);
}

/* Teardown with reads in flight: cancel, drain, prove, then free. */
static void step_teardown(void)
{
	struct rc_ring *r = tour_ring(0);
	int p[2], i;

	if (pipe2(p, O_CLOEXEC))
		exit(2);
	for (i = 0; i < 4; i++) {
		struct rc_op *op = tour_op(r, 4096);

		rh_scenario_prep_read(op, p[0], 0, 4096, (uint64_t)-1);
		rc_op_submit(op);
	}
	rc_ring_flush(r);
	tour_ring_done(r);
	close(p[0]);
	close(p[1]);
}

/* on_request: run only when --step names it.  splice-cut is one: the
 * protocol model (model/) has no splice pairs yet, so the conformance
 * pass, which replays the whole tour, would reject its trace */
static const struct {
	const char *name;
	void (*fn)(void);
	bool on_request;
} steps[] = {
	{ "copy", step_copy, false },
	{ "poll-armed", step_poll_armed, false },
	{ "completed-write", step_completed_write, false },
	{ "completed-read", step_completed_read, false },
	{ "table-full", step_table_full, false },
	{ "completed-openat", step_completed_openat, false },
	{ "io-wq", step_io_wq, false },
	{ "statx-io-wq", step_statx_io_wq, false },
	{ "block-layer", step_block_layer, false },
	{ "stale-cqe", step_stale_cqe, false },
	{ "teardown", step_teardown, false },
	{ "splice-cut", step_splice_cut, true },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: protocol_tour [--seed=N] [--json=PATH] "
		"[--quarantine=guard|poison] [--step=NAME]\n"
		"       [--buffers=heap|pool|fixed|ring]\n"
		"Steps: copy poll-armed completed-write completed-read "
		"table-full completed-openat io-wq statx-io-wq block-layer "
		"stale-cqe teardown, and on request splice-cut\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'j' },
		{ "quarantine", required_argument, NULL, 'q' },
		{ "step", required_argument, NULL, 't' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rh_harness_opts ho = { .scenario = "protocol_tour" };
	const char *only = NULL;
	char replay[512];
	uint64_t violations;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			ho.json_path = optarg;
			break;
		case 'q':
			if (!strcmp(optarg, "poison"))
				ho.quarantine = RH_QUARANTINE_POISON;
			else if (strcmp(optarg, "guard")) {
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			only = optarg;
			break;
		case 'b':
			ho.buffers = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ho.buffers)
		ho.buffers = getenv("RC_BUFFERS");
	if (!ho.buffers || !*ho.buffers)
		ho.buffers = "heap";
	snprintf(replay, sizeof(replay), "%s --seed=%" PRIu64 " --quarantine=%s"
		 " --buffers=%s%s%s", argv[0], seed,
		 ho.quarantine == RH_QUARANTINE_POISON ? "poison" : "guard",
		 ho.buffers, only ? " --step=" : "", only ? only : "");
	ho.seed = seed;
	ho.replay = replay;
	if (!mkdtemp(work_dir)) {
		perror("protocol_tour: mkdtemp");
		return 2;
	}
	rh_harness_start(&ho);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t before = rh_harness_summary()->violations;

		if (only ? strcmp(only, steps[i].name) != 0 : steps[i].on_request)
			continue;
		steps[i].fn();
		printf("protocol_tour: step %-16s %s\n", steps[i].name,
		       rh_harness_summary()->violations > before ?
		       "VIOLATIONS" : "clean");
	}
	violations = rh_harness_finish();
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
		if (system(cmd))
			fprintf(stderr, "protocol_tour: cannot remove %s\n",
				work_dir);
	}
	return violations ? 1 : 0;
}
