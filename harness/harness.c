/* SPDX-License-Identifier: MIT */
/*
 * The harness glue: one per process.  The engine's trace events go to the
 * ledger and to the detectors that do not trust it; violations are kept
 * with a backtrace; the run ends with a proof summary and a JSON record.
 */
#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "record.h"
#include "sanitizer.h"

#define RH_MAX_KEPT_VIOLATIONS 32
#define RH_MAX_BACKTRACES 8

struct rh_violation {
	enum rh_violation_kind kind;
	enum rh_detector det;
	const void *op;
	int opcode;
	char detail[200];
};

static struct rh_harness {
	struct rh_harness_opts opts;
	pthread_mutex_t lock;
	struct rh_ledger ledger;
	struct rh_quarantine quarantine;
	const struct rc_buf_ops *strategy;
	struct rh_harness_summary sum;
	struct rh_violation kept[RH_MAX_KEPT_VIOLATIONS];
	uint64_t *latencies;
	size_t lat_count, lat_cap;
	unsigned fds_at_start;
	uint64_t start_ns;
	volatile sig_atomic_t segv_hits;
	bool started;
	struct rh_ulog ulog;		/* the program's side, for the witness */
	struct rc_hmap leaked;		/* rings leaked on purpose */
	int fds_kept_ok;		/* rh_harness_fds_kept() */
} h = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const rh_detector_names[RH_DET__COUNT] = {
	[RH_DET_LEDGER] = "ledger",
	[RH_DET_QUARANTINE] = "quarantine",
	[RH_DET_POISON] = "poison",
	[RH_DET_SQE_CHECK] = "sqe-check",
	[RH_DET_CHECKSUM] = "checksum",
	[RH_DET_FD_COUNT] = "fd-count",
	[RH_DET_SEGV] = "segv-guard",
	[RH_DET_RING_COUNT] = "ring-count",
	[RH_DET_FD_LEDGER] = "fd-ledger",
	[RH_DET_WITNESS] = "witness",
};

const char *rh_detector_name(enum rh_detector d)
{
	return d < RH_DET__COUNT ? rh_detector_names[d] : "?";
}

static unsigned rh_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* Record a violation; the caller holds h.lock. */
static void rh_violation_locked(enum rh_violation_kind kind,
				enum rh_detector det, const struct rc_op *op,
				const char *detail)
{
	uint64_t n = h.sum.violations++;
	void *bt[32];
	int depth;

	h.sum.by_detector[det]++;
	h.sum.by_kind[kind]++;
	if (n < RH_MAX_KEPT_VIOLATIONS) {
		struct rh_violation *v = &h.kept[n];

		v->kind = kind;
		v->det = det;
		v->op = op;
		v->opcode = op ? op->opcode : -1;
		snprintf(v->detail, sizeof(v->detail), "%s", detail);
	}
	fprintf(stderr, "VIOLATION [%s] %s: %s (op %p, opcode %d, seed %" PRIu64
		")\n", rh_detector_name(det), rh_violation_name(kind), detail,
		(const void *)op, op ? op->opcode : -1, h.opts.seed);
	if (n < RH_MAX_BACKTRACES) {
		depth = backtrace(bt, 32);
		backtrace_symbols_fd(bt, depth, 2);
	}
	if (h.opts.replay)
		fprintf(stderr, "  replay: %s\n", h.opts.replay);
}

void rh_harness_violation(enum rh_violation_kind kind, enum rh_detector det,
			  const struct rc_op *op, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&h.lock);
	rh_violation_locked(kind, det, op, detail);
	pthread_mutex_unlock(&h.lock);
}

/* The quarantine's own findings: poison changed, buffer put twice.
 * Called by the allocator, never under h.lock. */
static void rh_quarantine_report(void *arg, int kind, const void *addr,
				 size_t len)
{
	(void)arg;
	rh_harness_violation(kind == RH_Q_REPORT_POISON ?
				     RH_VIOL_POISON_CHANGED : RH_VIOL_DOUBLE_FREE,
			     kind == RH_Q_REPORT_POISON ? RH_DET_POISON :
							  RH_DET_QUARANTINE,
			     NULL, "buffer %p (%zu bytes)", addr, len);
}

/*
 * A program touch of a quarantined (PROT_NONE) page: count it, open the
 * page so the run can go on and report, and return.  Any other fault is
 * handed back to the default action.
 */
static void rh_segv_handler(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "VIOLATION [segv-guard] the program touched "
				  "a quarantined (freed) buffer\n";
	long page = sysconf(_SC_PAGESIZE);

	(void)uc;
	if (h.started &&
	    rh_quarantine_owns_unlocked(&h.quarantine, si->si_addr)) {
		h.segv_hits++;
		write(2, msg, sizeof(msg) - 1);
		mprotect((void *)((uintptr_t)si->si_addr & ~(uintptr_t)(page - 1)),
			 (size_t)page, PROT_READ | PROT_WRITE);
		return;
	}
	signal(sig, SIG_DFL);
}

/*
 * The kernel as witness, unless RH_WITNESS=0 (or off); when it cannot run
 * here (not root, no tracefs) the reason goes to the record and the rest
 * of the check runs as before.
 */
static void rh_witness_begin(void)
{
	const char *env = getenv("RH_WITNESS");

	memset(&h.ulog, 0, sizeof(h.ulog));
	if (h.opts.no_witness)
		snprintf(h.sum.witness_why, sizeof(h.sum.witness_why),
			 "off: the run fakes the engine's events");
	else if (env && (!strcmp(env, "0") || !strcmp(env, "off")))
		snprintf(h.sum.witness_why, sizeof(h.sum.witness_why),
			 "turned off (RH_WITNESS=%s)", env);
	else if (!rh_witness_start(0, h.sum.witness_why,
				   sizeof(h.sum.witness_why)))
		h.sum.witness_on = true;
}

/* The program's side of one engine event, for the witness (h.lock). */
static void rh_witness_log(enum rc_trace_event ev, const struct rc_op *op,
			   const void *buf, size_t len, int64_t res)
{
	struct rh_uev u = { .fd = -1 };

	switch (ev) {
	case RC_EV_RING_CREATE:
		u.kind = RH_U_RING_CREATE;
		u.ring = buf;
		u.fd = (int32_t)len;
		break;
	case RC_EV_SQE:
		u.kind = RH_U_SQE;
		u.ring = op->ring;
		u.op = op;
		u.ud = ((const struct io_uring_sqe *)buf)->user_data;
		u.opcode = ((const struct io_uring_sqe *)buf)->opcode;
		rh_sqe_refs(buf, &u.refs);
		break;
	case RC_EV_BUF_PUT:
	case RC_EV_BUF_PROVIDE:
	case RC_EV_MEM_PUT:
		u.kind = RH_U_RELEASE;
		u.addr = buf;
		u.len = len;
		break;
	case RC_EV_RELEASE:	/* the record, its timespec with it */
		u.kind = RH_U_RELEASE;
		u.addr = op;
		u.len = sizeof(*op);
		break;
	case RC_EV_REAP:
		u.kind = RH_U_REAP;
		u.ring = buf;
		u.ud = len;
		u.res = (int32_t)res;
		break;
	case RC_EV_CQE:
		u.kind = RH_U_ACTED;
		u.ring = op->ring;
		u.op = op;
		u.ud = op->cqe_user_data;
		u.res = (int32_t)res;
		break;
	case RC_EV_RING_FREE:
		u.kind = RH_U_RING_FREE;
		u.ring = buf;
		break;
	case RC_EV_RING_LEAK:
		u.kind = RH_U_RING_LEAK;
		u.ring = buf;
		break;
	default:
		return;
	}
	rh_ulog_add(&h.ulog, &u);
}

/* The program closes fd (h.lock held): the fd ledger, and the witness. */
static void rh_fd_closing_locked(int fd)
{
	const struct rc_op *by = NULL;
	char detail[120];

	h.sum.closes_checked++;
	if (rh_ledger_close(&h.ledger, fd, &by)) {
		snprintf(detail, sizeof(detail), "fd %d closed while a request "
			 "in flight (opcode %d) names it", fd,
			 by ? by->opcode : -1);
		rh_violation_locked(RH_VIOL_FD_CLOSED_IN_FLIGHT,
				    RH_DET_FD_LEDGER, by, detail);
	}
	if (h.sum.witness_on) {
		struct rh_uev u = { .kind = RH_U_CLOSE, .fd = fd };

		rh_ulog_add(&h.ulog, &u);
	}
}

int __real_close(int fd);

/*
 * Every close() of the program (the engine's, the scenario's) comes here
 * first: scenarios and tests are linked with -Wl,--wrap=close.
 */
int __wrap_close(int fd)
{
	static __thread bool inside;

	if (h.started && !inside) {
		inside = true;
		pthread_mutex_lock(&h.lock);
		rh_fd_closing_locked(fd);
		pthread_mutex_unlock(&h.lock);
		inside = false;
	}
	return __real_close(fd);
}

/*
 * A fresh quarantine for the run.  Buffers an earlier run of this process
 * still has handed out (lent to a ring it leaked on purpose, which keeps
 * its memory) stay on its live list: forgetting them would leak the list.
 */
static void rh_harness_quarantine_start(const struct rh_harness_opts *opts)
{
	struct rh_qbuf *live = h.quarantine.live;
	size_t count = h.quarantine.live_count, cap = h.quarantine.live_cap;

	rh_quarantine_init(&h.quarantine, opts->quarantine,
			   opts->quarantine_bytes ? opts->quarantine_bytes :
						    64ull << 20);
	h.quarantine.live = live;
	h.quarantine.live_count = count;
	h.quarantine.live_cap = cap;
}

int rh_harness_start(const struct rh_harness_opts *opts)
{
	struct sigaction sa;

	h.opts = *opts;
	if (!h.opts.buffers)
		h.opts.buffers = getenv("RC_BUFFERS");
	if (!h.opts.buffers || !*h.opts.buffers)
		h.opts.buffers = "heap";
	if (rc_buf_strategy_by_name(h.opts.buffers, &h.strategy)) {
		fprintf(stderr, "%s: unknown buffer strategy '%s' (heap, pool, "
			"fixed, ring)\n", opts->scenario, h.opts.buffers);
		exit(2);
	}
	rh_ledger_init(&h.ledger);
	rh_harness_quarantine_start(opts);
	h.quarantine.report = rh_quarantine_report;
	memset(&h.sum, 0, sizeof(h.sum));
	h.fds_kept_ok = 0;
	rh_witness_begin();
	h.fds_at_start = rh_count_fds();
	rh_witness_reader_start();	/* its trace files are not the run's */
	h.start_ns = rc_now_ns();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rh_segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	h.started = true;
	if (!opts->quiet)
		printf("%s: seed %" PRIu64 ", buffers %s, witness %s\n",
		       opts->scenario, opts->seed, h.opts.buffers,
		       h.sum.witness_on ? "on" : "off");
	return 0;
}

/*
 * Every address an SQE carries must lie in memory its own op owns, in the
 * op's current life, lent to the kernel, not quarantined and not poisoned
 * (the check liburing 2.8 added and 2.3 lacks).  Runs before the kernel can
 * see the SQE, then poisons the op's buffer while the kernel owns it.
 */
static void rh_check_sqe(const struct rc_op *op, const struct io_uring_sqe *sqe)
{
	uint64_t ud = sqe->user_data;
	struct rc_ud named;
	const char *addr = (const char *)(uintptr_t)sqe->addr;
	const char *buf = op->buf;
	const struct rh_ledger_buf *b;
	const void *fbase = NULL;
	size_t flen = 0;
	char why[160] = "";

	h.sum.sqes_checked++;
	rc_ud_decode(ud, &named);
	if (named.record != op || named.life != (uint16_t)rc_op_life(op)) {
		snprintf(why, sizeof(why), "user_data 0x%" PRIx64 " does not "
			 "name its op's current life", ud);
	} else {
		switch (sqe->opcode) {
		case IORING_OP_READ:
			if (!(sqe->flags & IOSQE_BUFFER_SELECT))
				goto rw;
			/* the kernel picks the buffer: no address at all */
			if (addr || buf || !op->buf_select ||
			    (int)sqe->buf_group != rc_ring_buf_group(op->ring))
				snprintf(why, sizeof(why), "buffer-select read "
					 "with address %p, op buffer %p, group "
					 "%u", addr, buf, sqe->buf_group);
			break;
		case IORING_OP_READ_FIXED:
		case IORING_OP_WRITE_FIXED:
			if (!buf || rc_ring_fixed_buf(op->ring, sqe->buf_index,
						      &fbase, &flen) ||
			    addr < (const char *)fbase ||
			    addr + sqe->len > (const char *)fbase + flen) {
				snprintf(why, sizeof(why), "I/O [%p, +%u) is not "
					 "inside registered buffer %u", addr,
					 sqe->len, sqe->buf_index);
				break;
			}
			/* and inside its op's own buffer, lent to it */
			__attribute__((fallthrough));
		case IORING_OP_WRITE:
rw:
			b = buf ? rh_ledger_find_buf(&h.ledger, buf) : NULL;
			if (!buf || addr < buf ||
			    addr + sqe->len > buf + op->buf_size)
				snprintf(why, sizeof(why), "I/O [%p, +%u) is not "
					 "inside its op's buffer %p", addr,
					 sqe->len, buf);
			else if (!b || b->state != RH_BUF_KERNEL || b->op != op)
				snprintf(why, sizeof(why), "buffer %p is not "
					 "lent to this op", buf);
			else if (rh_quarantine_owns(&h.quarantine, addr))
				snprintf(why, sizeof(why), "buffer %p is "
					 "quarantined (freed)", buf);
			else if (rh_asan_is_poisoned(addr, sqe->len))
				snprintf(why, sizeof(why), "buffer %p is "
					 "poisoned (freed or lent)", buf);
			break;
		case IORING_OP_OPENAT:
			if (addr != op->path ||
			    rh_asan_is_poisoned(addr, strlen(addr) + 1))
				snprintf(why, sizeof(why), "path %p is not its "
					 "op's live copy", addr);
			break;
		case IORING_OP_STATX:
			b = buf ? rh_ledger_find_buf(&h.ledger, buf) : NULL;
			if (addr != op->path ||
			    rh_asan_is_poisoned(addr, strlen(addr) + 1))
				snprintf(why, sizeof(why), "path %p is not its "
					 "op's live copy", addr);
			else if ((const char *)(uintptr_t)sqe->off != buf ||
				 op->buf_size < sizeof(struct statx) ||
				 !b || b->state != RH_BUF_KERNEL || b->op != op)
				snprintf(why, sizeof(why), "statx buffer 0x%llx "
					 "is not its op's lent buffer",
					 (unsigned long long)sqe->off);
			break;
		case IORING_OP_LINKAT:
		case IORING_OP_RENAMEAT:
			if (addr != op->path || !op->path2 ||
			    (const char *)(uintptr_t)sqe->addr2 != op->path2 ||
			    rh_asan_is_poisoned(addr, strlen(addr) + 1) ||
			    rh_asan_is_poisoned(op->path2,
						strlen(op->path2) + 1))
				snprintf(why, sizeof(why), "paths %p, 0x%llx are "
					 "not its op's live copies", addr,
					 (unsigned long long)sqe->addr2);
			break;
		case IORING_OP_LINK_TIMEOUT:
			if (addr != (const char *)&op->ts)
				snprintf(why, sizeof(why), "timespec %p is not "
					 "its op's", addr);
			break;
		default:
			break;
		}
	}
	if (why[0])
		rh_violation_locked(RH_VIOL_SQE_BAD_ADDRESS, RH_DET_SQE_CHECK,
				    op, why);
	if (op->buf && sqe->opcode != IORING_OP_LINK_TIMEOUT) {
		rh_asan_poison(op->buf, op->buf_size);
		rh_valgrind_noaccess(op->buf, op->buf_size);
	}
}

/* The op's own CQE: did the kernel hit a guard or a freed buffer? */
static void rh_check_cqe(const struct rc_op *op, int64_t res)
{
	const struct rh_ledger_op *o;
	char detail[120];

	if (res == -EFAULT) {
		snprintf(detail, sizeof(detail), "opcode %d completed -EFAULT",
			 op->opcode);
		rh_violation_locked(RH_VIOL_KERNEL_FAULT, RH_DET_QUARANTINE, op,
				    detail);
		return;
	}
	o = rh_ledger_find_op(&h.ledger, op);
	if (o && o->buf && rh_quarantine_owns(&h.quarantine, o->buf)) {
		snprintf(detail, sizeof(detail), "res %" PRId64 " into buffer "
			 "%p, quarantined before this CQE", res, o->buf);
		rh_violation_locked(RH_VIOL_LATE_KERNEL_ACCESS,
				    RH_DET_QUARANTINE, op, detail);
	}
}

static void rh_add_latency(uint64_t ns)
{
	if (h.lat_count == h.lat_cap) {
		size_t cap = h.lat_cap ? h.lat_cap * 2 : 4096;
		uint64_t *t = realloc(h.latencies, cap * sizeof(*t));

		if (!t)
			return;
		h.latencies = t;
		h.lat_cap = cap;
	}
	h.latencies[h.lat_count++] = ns;
}

/*
 * The ring is proven gone: the buffers of what it still had in flight are
 * the program's again (their CQEs went with the ring), as at a DELIVER or
 * RELEASE: the engine gives them back next (h.lock held).
 */
static void rh_harness_ring_proven(const void *ring)
{
	const struct rh_ledger_op *o;
	size_t i = 0;

	while ((o = rc_hmap_next(&h.ledger.ops, &i))) {
		if (o->ring != ring || !o->in_flight || !o->buf)
			continue;
		rh_asan_unpoison(o->buf, o->buf_size);
		rh_valgrind_defined(o->buf, o->buf_size);
	}
}

static void rh_harness_trace(void *arg, enum rc_trace_event ev,
			     const struct rc_op *op, const void *buf,
			     size_t len, int64_t res)
{
	enum rh_violation_kind v;
	char detail[160];

	(void)arg;
	pthread_mutex_lock(&h.lock);
	if (ev == RC_EV_RING_PROVEN)	/* before the ledger forgets them */
		rh_harness_ring_proven(buf);
	/* the ledger first: a CQE's buffer leaves KERNEL here */
	v = rh_ledger_event(&h.ledger, ev, op, buf, len, res);
	if (ev == RC_EV_BUF_POISON) {
		snprintf(detail, sizeof(detail), "recycled buffer %p changed "
			 "at byte %zu while it waited in the %s", buf, len,
			 rh_harness_buffers());
		rh_violation_locked(RH_VIOL_POISON_CHANGED, RH_DET_POISON, op,
				    detail);
	} else if (v == RH_VIOL_RING_BUF_LOST) {
		snprintf(detail, sizeof(detail), "%zu ring buffer(s) neither "
			 "in the ring nor given back at teardown", len);
		rh_violation_locked(v, RH_DET_RING_COUNT, op, detail);
	} else if (v) {
		snprintf(detail, sizeof(detail), "event %d, buffer %p, res %"
			 PRId64, ev, buf ? buf : (op ? op->buf : NULL), res);
		rh_violation_locked(v, RH_DET_LEDGER, op, detail);
	}
	if (h.sum.witness_on)
		rh_witness_log(ev, op, buf, len, res);
	switch (ev) {
	case RC_EV_SQE: {
		const struct rc_op *other = NULL;

		if (rh_ledger_sqe(&h.ledger, op, buf, &other)) {
			snprintf(detail, sizeof(detail), "IORING_OP_CLOSE of "
				 "fd %d while a request in flight (opcode %d) "
				 "names it",
				 ((const struct io_uring_sqe *)buf)->fd,
				 other ? other->opcode : -1);
			rh_violation_locked(RH_VIOL_FD_CLOSED_IN_FLIGHT,
					    RH_DET_FD_LEDGER, op, detail);
		}
		rh_check_sqe(op, buf);
		break;
	}
	case RC_EV_RING_LEAK:
		rc_hmap_put(&h.leaked, rc_hkey_ptr(buf), (void *)buf);
		break;
	case RC_EV_CQE:
		if (!v)
			rh_check_cqe(op, res);
		break;
	case RC_EV_DELIVER:
	case RC_EV_RELEASE:
		/* the program's again, or about to go back to the allocator;
		 * for valgrind its bytes are as defined as before the loan
		 * (the kernel's fill of a read is not visible to it) */
		if (op->buf) {
			rh_asan_unpoison(op->buf, op->buf_size);
			rh_valgrind_defined(op->buf, op->buf_size);
		}
		if (ev == RC_EV_DELIVER)
			break;
		if (op->cancel_ns)
			rh_add_latency(rc_now_ns() - op->cancel_ns);
		break;
	case RC_EV_BUF_PROVIDE:
		/* the kernel's now: the program must not touch it */
		rh_asan_poison(buf, len);
		rh_valgrind_noaccess(buf, len);
		break;
	case RC_EV_BUF_SELECT:
	case RC_EV_BUF_RECLAIM:
		/* filled by the kernel (select), or back from the ring */
		rh_asan_unpoison(buf, len);
		rh_valgrind_defined(buf, len);
		break;
	case RC_EV_CANCEL:
		h.sum.cancels++;
		break;
	case RC_EV_CANCEL_CQE:
		if (!op)		/* keyed on an fd or ANY: a count */
			h.sum.cancel_fd_answers++;
		else if (res == 0)
			h.sum.cancel_res_ok++;
		else if (res == -ENOENT)
			h.sum.cancel_res_enoent++;
		else if (res == -EALREADY)
			h.sum.cancel_res_ealready++;
		else
			h.sum.cancel_res_other++;
		break;
	case RC_EV_HALT:
		h.sum.halts++;
		break;
	case RC_EV_STALE_CQE:
		h.sum.stale_cqes_ignored++;
		break;
	case RC_EV_UNKNOWN_CQE:
		h.sum.unknown_cqes_ignored++;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&h.lock);
}

void rh_harness_ring_params(struct rc_ring_params *p)
{
	p->trace = rh_harness_trace;
	p->trace_arg = &h;
	p->buf_ops = &rh_buf_quarantine;
	p->buf_ctx = &h.quarantine;
	p->strategy = h.strategy;
	if (!p->strategy_bufs)
		p->strategy_bufs = RH_HARNESS_STRATEGY_BUFS;
	if (!p->strategy_buf_size)
		p->strategy_buf_size = RH_HARNESS_STRATEGY_BUF_SIZE;
}

const char *rh_harness_buffers(void)
{
	return h.opts.buffers ? h.opts.buffers : "heap";
}

void rh_harness_add_ring(const struct rc_ring *r)
{
	const struct rc_ring_stats *s = rc_ring_stats(r);

	pthread_mutex_lock(&h.lock);
	h.sum.cancel_sq_full_retries += s->cancel_sq_full_retries;
	pthread_mutex_unlock(&h.lock);
}

void rh_harness_fds_kept(int n)
{
	pthread_mutex_lock(&h.lock);
	h.fds_kept_ok = n;
	pthread_mutex_unlock(&h.lock);
}

void rh_harness_account(uint64_t bytes, uint64_t ops)
{
	pthread_mutex_lock(&h.lock);
	h.sum.bytes += bytes;
	h.sum.ops += ops;
	pthread_mutex_unlock(&h.lock);
}

/* The witness's part of the record: its events and what it cost. */
static void rh_harness_witness_json(FILE *f)
{
	const struct rh_harness_summary *s = &h.sum;
	const struct rh_witness_stats *w = &s->witness;
	double secs = (double)s->elapsed_ns / 1e9;
	int k;

	fprintf(f, ",\n  \"kept\": {\"buffers\": %" PRIu64 ", \"fds\": %u},\n"
		"  \"fd_ledger\": {\"closes_checked\": %" PRIu64 "},\n"
		"  \"witness\": {\"state\": \"%s\"", s->buffers_kept,
		s->fds_kept, s->closes_checked, s->witness_on ? "on" : "skip");
	if (!s->witness_on) {
		fprintf(f, ", \"why\": ");
		rh_record_string(f, s->witness_why);
		fprintf(f, "}");
		return;
	}
	fprintf(f, ", \"events_all\": %" PRIu64 ", \"events\": {",
		w->events_all);
	for (k = 0; k < RH_K__COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "",
			rh_kev_name(k), w->events[k]);
	fprintf(f, "}, \"user_events\": %" PRIu64 ", \"rings\": %" PRIu64
		", \"requests\": %" PRIu64 ", \"sqes_matched\": %" PRIu64
		", \"releases_checked\": %" PRIu64 ", \"reaps_matched\": %"
		PRIu64 ", \"closes_checked\": %" PRIu64 ", \"lost\": %"
		PRIu64 ", \"events_per_s\": %.0f, \"read_ns\": %" PRIu64
		", \"check_ns\": %" PRIu64 "}", s->witness_user_events,
		w->rings, w->requests, w->sqes_matched, w->releases_checked,
		w->reaps_matched, w->closes_checked, w->lost,
		secs > 0 ? (double)w->events_all / secs : 0.0,
		s->witness_read_ns, s->witness_check_ns);
}

static void rh_harness_write_json(void)
{
	const struct rh_harness_summary *s = &h.sum;
	double secs = (double)s->elapsed_ns / 1e9;
	FILE *f = fopen(h.opts.json_path, "w");
	uint64_t i;
	int k;

	if (!f) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", h.opts.scenario,
			h.opts.json_path, strerror(errno));
		return;
	}
	fprintf(f, "{\n  \"scenario\": ");
	rh_record_string(f, h.opts.scenario);
	fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"replay\": ", h.opts.seed);
	rh_record_string(f, h.opts.replay ? h.opts.replay : "");
	fprintf(f, ",\n  \"quarantine\": \"%s\",\n  \"buffers\": \"%s\",\n",
		h.opts.quarantine == RH_QUARANTINE_POISON ? "poison" : "guard",
		rh_harness_buffers());
	fprintf(f, "  \"proof\": {\n"
		"    \"buffers\": %" PRIu64 ",\n    \"submits\": %" PRIu64 ",\n"
		"    \"cqes\": %" PRIu64 ",\n    \"frees\": %" PRIu64 ",\n"
		"    \"frees_after_cqe\": %" PRIu64 ",\n"
		"    \"frees_never_lent\": %" PRIu64 ",\n"
		"    \"cancels\": %" PRIu64 ",\n"
		"    \"cancel_res\": {\"0\": %" PRIu64 ", \"-ENOENT\": %" PRIu64
		", \"-EALREADY\": %" PRIu64 ", \"other\": %" PRIu64 "},\n"
		"    \"cancel_sq_full_retries\": %" PRIu64 ",\n"
		"    \"cancel_fd_answers\": %" PRIu64 ",\n"
		"    \"halts\": %" PRIu64 ",\n"
		"    \"stale_cqes_ignored\": %" PRIu64 ",\n"
		"    \"unknown_cqes_ignored\": %" PRIu64 ",\n"
		"    \"sqes_checked\": %" PRIu64 ",\n"
		"    \"violations\": %" PRIu64 ",\n    \"by_detector\": {",
		s->buffers, s->submits, s->cqes, s->frees, s->frees_after_cqe,
		s->frees_never_lent, s->cancels, s->cancel_res_ok, s->cancel_res_enoent,
		s->cancel_res_ealready, s->cancel_res_other,
		s->cancel_sq_full_retries, s->cancel_fd_answers, s->halts, s->stale_cqes_ignored,
		s->unknown_cqes_ignored, s->sqes_checked, s->violations);
	for (k = 0; k < RH_DET__COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "",
			rh_detector_name(k), s->by_detector[k]);
	fprintf(f, "}\n  },\n  \"violations\": [");
	for (i = 0; i < s->violations && i < RH_MAX_KEPT_VIOLATIONS; i++) {
		fprintf(f, "%s\n    {\"kind\": ", i ? "," : "");
		rh_record_string(f, rh_violation_name(h.kept[i].kind));
		fprintf(f, ", \"detector\": \"%s\", \"opcode\": %d, "
			"\"detail\": ", rh_detector_name(h.kept[i].det),
			h.kept[i].opcode);
		rh_record_string(f, h.kept[i].detail);
		fprintf(f, "}");
	}
	fprintf(f, "%s],\n  \"throughput\": {\n"
		"    \"bytes\": %" PRIu64 ",\n    \"ops\": %" PRIu64 ",\n"
		"    \"elapsed_ns\": %" PRIu64 ",\n    \"bw_bytes\": %.0f,\n"
		"    \"iops\": %.1f\n  },\n"
		"  \"cancel_to_release_ns\": {\n    \"count\": %" PRIu64 ",\n"
		"    \"p50\": %" PRIu64 ",\n    \"p99\": %" PRIu64 ",\n"
		"    \"max\": %" PRIu64 "\n  }",
		s->violations ? "\n  " : "", s->bytes, s->ops, s->elapsed_ns,
		secs > 0 ? (double)s->bytes / secs : 0.0,
		secs > 0 ? (double)s->ops / secs : 0.0, s->latency_count,
		s->latency_p50_ns, s->latency_p99_ns, s->latency_max_ns);
	rh_harness_witness_json(f);
	if (h.opts.extra_json)
		h.opts.extra_json(f, h.opts.extra_arg);
	fprintf(f, "\n}\n");
	fclose(f);
}

/* A witness finding (h.lock held). */
static void rh_witness_report_none(void *arg, int kind, const char *detail)
{
	(void)arg;
	(void)kind;
	(void)detail;
}

static void rh_witness_report(void *arg, int kind, const char *detail)
{
	(void)arg;
	rh_violation_locked((enum rh_violation_kind)kind, RH_DET_WITNESS, NULL,
			    detail);
}

/* Stop the witness and hold the kernel's events against the log. */
static void rh_witness_finish_locked(void)
{
	struct rh_harness_summary *s = &h.sum;
	struct rh_kev *kev = NULL;
	size_t nk = 0;
	uint64_t lost = 0, t0;
	char detail[120];

	if (!s->witness_on)
		return;
	if (rh_witness_collect(&kev, &nk, &lost, &s->witness_read_ns)) {
		rh_violation_locked(RH_VIOL_WITNESS_LOST, RH_DET_WITNESS, NULL,
				    "the kernel's events could not be read");
		return;
	}
	s->witness.lost = lost + (h.ulog.oom ? 1 : 0);
	if (s->witness.lost) {
		snprintf(detail, sizeof(detail), "%" PRIu64 " event(s) lost "
			 "(trace buffer overrun, or memory): the witness cannot "
			 "vouch for this run", s->witness.lost);
		rh_violation_locked(RH_VIOL_WITNESS_LOST, RH_DET_WITNESS, NULL,
				    detail);
	}
	s->witness_user_events = h.ulog.n;
	t0 = rc_now_ns();
	/* with events missing, a request looks unfinished and a close
	 * looks early: its counts are kept, its verdicts would be noise */
	rh_witness_check(h.ulog.ev, h.ulog.n, kev, nk, &s->witness,
			 s->witness.lost ? rh_witness_report_none :
					   rh_witness_report, NULL);
	s->witness_check_ns = rc_now_ns() - t0;
	free(kev);
	rh_ulog_free(&h.ulog);
}

uint64_t rh_harness_finish(void)
{
	struct rh_harness_summary *s = &h.sum;
	unsigned fds;
	size_t owned, kept;
	char detail[120];
	int k, shown = 0;

	/* leaving quarantine checks the poison; reports take h.lock */
	rh_quarantine_drain(&h.quarantine);
	pthread_mutex_lock(&h.lock);
	s->elapsed_ns = rc_now_ns() - h.start_ns;
	/* what rings leaked on purpose keep is theirs: not freed, not
	 * closed, as the protocol says (docs/protocol.md, teardown) */
	owned = rh_ledger_kernel_owned_but(&h.ledger, &h.leaked, &kept);
	s->buffers_kept = kept;
	if (owned) {
		snprintf(detail, sizeof(detail), "%zu buffer(s)", owned);
		rh_violation_locked(RH_VIOL_OWNED_AT_EXIT, RH_DET_LEDGER, NULL,
				    detail);
	}
	s->fds_kept = h.leaked.count ? rh_ledger_fds_named(&h.ledger) : 0;
	rh_witness_reader_stop();	/* it opens trace files as it reads */
	fds = rh_count_fds();
	if (h.fds_kept_ok)
		s->fds_kept = h.fds_kept_ok < 0 && fds > h.fds_at_start ?
			fds - h.fds_at_start : s->fds_kept +
			(unsigned)(h.fds_kept_ok > 0 ? h.fds_kept_ok : 0);
	if (fds > h.fds_at_start + s->fds_kept) {
		snprintf(detail, sizeof(detail), "%u fd(s) open at start, %u "
			 "at the end (%u kept for leaked rings)",
			 h.fds_at_start, fds, s->fds_kept);
		rh_violation_locked(RH_VIOL_FD_LEAK, RH_DET_FD_COUNT, NULL,
				    detail);
	}
	rh_witness_finish_locked();
	for (; h.segv_hits > 0; h.segv_hits--)
		rh_violation_locked(RH_VIOL_PROGRAM_TOUCH, RH_DET_SEGV, NULL,
				    "caught by the SIGSEGV handler");
	s->buffers = h.ledger.buffers_seen;
	s->submits = h.ledger.submits;
	s->cqes = h.ledger.cqes;
	s->frees = h.ledger.frees;
	s->frees_after_cqe = h.ledger.frees_after_cqe;
	s->frees_never_lent = h.ledger.frees_never_lent;
	s->latency_count = h.lat_count;
	s->latency_max_ns = rh_record_percentile(h.latencies, h.lat_count, 100);
	s->latency_p50_ns = rh_record_percentile(h.latencies, h.lat_count, 50);
	s->latency_p99_ns = rh_record_percentile(h.latencies, h.lat_count, 99);
	if (h.opts.json_path)
		rh_harness_write_json();
	if (!h.opts.quiet || s->violations) {
		printf("%s: proof: %" PRIu64 " buffers, %" PRIu64 " submits, %"
		       PRIu64 " CQEs, %" PRIu64 " cancels (0: %" PRIu64
		       ", -ENOENT: %" PRIu64 ", -EALREADY: %" PRIu64
		       ", SQ-full retries: %" PRIu64 "), %" PRIu64
		       " frees after CQE, %" PRIu64 " never lent, %" PRIu64
		       " violations",
		       h.opts.scenario, s->buffers, s->submits, s->cqes,
		       s->cancels, s->cancel_res_ok, s->cancel_res_enoent,
		       s->cancel_res_ealready, s->cancel_sq_full_retries,
		       s->frees_after_cqe, s->frees_never_lent, s->violations);
		for (k = 0; k < RH_DET__COUNT; k++)
			if (s->by_detector[k])
				printf("%s%s: %" PRIu64, shown++ ? ", " : " (",
				       rh_detector_name(k), s->by_detector[k]);
		printf("%s\n", s->violations ? ")" : "");
		if (s->witness_on)
			printf("%s: witness: %" PRIu64 " kernel events (%"
			       PRIu64 " requests of %" PRIu64 " ring(s)), %"
			       PRIu64 " lost\n", h.opts.scenario,
			       s->witness.events_all, s->witness.requests,
			       s->witness.rings, s->witness.lost);
		else
			printf("%s: witness: skip (%s)\n", h.opts.scenario,
			       s->witness_why);
		if (s->violations && h.opts.replay)
			printf("%s: replay with: %s\n", h.opts.scenario,
			       h.opts.replay);
	}
	rh_ledger_free(&h.ledger);
	rc_hmap_free(&h.leaked);
	free(h.latencies);
	h.latencies = NULL;
	h.lat_count = h.lat_cap = 0;
	h.started = false;
	pthread_mutex_unlock(&h.lock);
	return s->violations;
}

const struct rh_harness_summary *rh_harness_summary(void)
{
	return &h.sum;
}
