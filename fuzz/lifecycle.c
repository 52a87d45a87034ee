/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle fuzzer's decoder: an input is a short program of engine
 * operations (docs/fuzz.md), run here step by step on one ring at a time,
 * every step logged in readable form.  The program keeps the engine's
 * contract (it touches an op only while it holds it, closes an fd only
 * once no request it made names it): whatever goes wrong is the engine's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "harness.h"
#include "lifecycle.h"

#define FZ_TAG 0x667a736c6f74ull	/* "fzslot": op->user_tag */

enum fz_step {
	FZ_NEW_RING, FZ_READ, FZ_WRITE, FZ_OPENAT, FZ_STATX, FZ_CLOSE,
	FZ_LINKAT, FZ_NOP, FZ_SUBMIT, FZ_FLUSH, FZ_CANCEL, FZ_CANCEL_FD,
	FZ_CANCEL_ALL, FZ_REAP, FZ_WAIT_POSTED, FZ_RELEASE, FZ_FILL,
	FZ_DESTROY, FZ_PUT, FZ_STALE, FZ_STALL, FZ_DRAIN, FZ_COPY,
	FZ_PUMP, FZ_PUMP_ABORT, FZ_TREE, FZ_SPLICE,
	FZ__STEPS,
	FZ_FLUSH_REAP = FZ__STEPS,	/* opcodes past the last step */
};

static const char *const fz_strategies[] = {
	"heap", "pool", "fixed", "ring", "heap", "pool",
};
#define FZ_N_STRATEGIES 6	/* the last two on the fallback (sync) */

uint8_t fz_byte(struct fz_state *s)
{
	return s->pos < s->size ? s->in[s->pos++] : 0;
}

void fz_log(struct fz_state *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->log_len >= sizeof(s->log) - 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->log + s->log_len, sizeof(s->log) - s->log_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->log_len += (size_t)n;
	if (s->log_len >= sizeof(s->log) - 2)
		s->log_len = sizeof(s->log) - 2;
	s->log[s->log_len++] = '\n';
	s->log[s->log_len] = '\0';
	if (getenv("FZ_VERBOSE"))
		fprintf(stderr, "fz: %s", s->log + s->log_len -
			(size_t)(n > 0 ? n + 1 : 1));
}

/* ---- rings ---- */

void fz_ring_make(unsigned strategy, unsigned entries, struct rc_ring **r)
{
	struct rc_ring_params p = { .entries = entries };
	const struct rc_buf_ops *ops = NULL;
	int ret;

	rh_harness_ring_params(&p);
	/* few small strategy buffers: a table or buffer ring runs out */
	p.strategy_bufs = 4;
	p.strategy_buf_size = 4096;
	rc_buf_strategy_by_name(fz_strategies[strategy], &ops);
	p.strategy = ops;
	ret = strategy >= 4 ? rc_ring_create_sync(r, &p) : rc_ring_create(r, &p);
	if (ret) {
		fprintf(stderr, "fuzz: cannot set up a ring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		exit(2);
	}
}

static void fz_ring_new(struct fz_state *s, unsigned strategy, unsigned entries)
{
	s->sync = strategy >= 4;
	s->entries = entries;
	s->strategy = fz_strategies[strategy];
	s->strategy_i = strategy;
	fz_ring_make(strategy, entries, &s->r);
}

void fz_ring_release(struct fz_state *s, struct rc_ring *r)
{
	int ret;

	rh_harness_add_ring(r);
	ret = rc_ring_destroy(r, 1000);
	fz_log(s, "  its ring destroyed: %s", ret ? strerror(-ret) : "ok");
	if (ret == -ETIMEDOUT)	/* the kernel slow to free it: safe */
		s->leaked_slow++;
	else if (ret)
		fz_fail(s, "rc_ring_destroy: %s", strerror(-ret));
}

struct rc_ring *fz_ring(struct fz_state *s)
{
	if (!s->r)
		fz_ring_new(s, 0, 8);
	return s->r;
}

/* Close the fd an idle, unsubmitted CLOSE op was given (it is still ours). */
static void fz_slot_forget_close(struct fz_slot *sl)
{
	if (sl->st == FZ_IDLE && sl->opcode == IORING_OP_CLOSE && sl->fd >= 0)
		close(sl->fd);
	sl->opcode = 0xff;
	sl->fd = -1;
}

/*
 * Tear the ring down.  A stalled read cannot be cancelled: the teardown
 * gives up after a short wait and leaks the ring on purpose.
 */
void fz_ring_destroy(struct fz_state *s)
{
	bool stalled = s->stall_on && !s->stall_released;
	unsigned i;
	int ret;

	if (!s->r)
		return;
	fz_pump_end(s);
	for (i = 0; i < FZ_SLOTS; i++) {
		fz_slot_forget_close(&s->slot[i]);
		s->slot[i] = (struct fz_slot){ .opcode = 0xff, .fd = -1 };
	}
	rh_harness_add_ring(s->r);
	ret = rc_ring_destroy(s->r, stalled ? 50 : 1000);
	fz_log(s, "  destroy: %s", ret ? strerror(-ret) : "ok");
	if (ret == -ETIMEDOUT && stalled)
		s->leaked++;
	else if (ret == -ETIMEDOUT)	/* the kernel slow to free it (a loaded
					 * machine): leaked on purpose, safe */
		s->leaked_slow++;
	else if (ret)
		fz_fail(s, "rc_ring_destroy: %s", strerror(-ret));
	s->r = NULL;
}

/* ---- ops and slots ---- */

/* The slot's op, idle (got now if empty); NULL if the engine has it. */
static struct rc_op *fz_slot_idle(struct fz_state *s, unsigned i)
{
	struct fz_slot *sl = &s->slot[i];
	struct rc_op *op;

	if (sl->st == FZ_ENGINE)
		return NULL;
	if (sl->st == FZ_IDLE) {
		fz_slot_forget_close(sl);
		return sl->op;
	}
	if (rc_op_get(fz_ring(s), &op))
		fz_fail(s, "rc_op_get: out of memory");
	op->user = sl;
	op->user_tag = FZ_TAG;
	*sl = (struct fz_slot){ .op = op, .st = FZ_IDLE, .opcode = 0xff,
				.fd = -1 };
	return op;
}

/* The op holds a buffer of at least len bytes (of the ring's strategy). */
static int fz_op_buf(struct fz_state *s, struct rc_op *op, size_t len)
{
	size_t size;
	void *buf;

	if (op->buf && op->buf_size >= len)
		return 0;
	buf = rc_op_take_buf(op, &size);
	if (buf)
		rc_buf_put(s->r, buf, size);
	if (rc_buf_get(s->r, len, &buf))
		return -ENOMEM;
	if (rc_op_set_buf(op, buf, len)) {
		rc_buf_put(s->r, buf, len);
		return -EINVAL;
	}
	return 0;
}

/* Drop the op's buffer: a read on a buffer ring lets the kernel pick. */
static void fz_op_nobuf(struct fz_state *s, struct rc_op *op)
{
	size_t size;
	void *buf = rc_op_take_buf(op, &size);

	if (buf)
		rc_buf_put(s->r, buf, size);
}

static const uint64_t fz_timeouts_ns[4] = { 1000, 1000000, 10000000,
					    1000000000 };

/* Flags byte: link, hardlink, async, linked timeout, drain. */
static void fz_op_flags(struct fz_state *s, struct rc_op *op, uint8_t f)
{
	unsigned fl = 0;

	if (f & 1)
		fl |= IOSQE_IO_LINK;
	if (f & 2)
		fl |= IOSQE_IO_HARDLINK;
	if (f & 4)
		fl |= IOSQE_ASYNC;
	if (f & 0x40)
		fl |= IOSQE_IO_DRAIN;
	if (fl && rc_op_set_flags(op, fl))
		fz_fail(s, "rc_op_set_flags(0x%x) refused", fl);
	if (f & 8)
		rc_op_set_link_timeout(op, fz_timeouts_ns[(f >> 4) & 3]);
	if (fl || (f & 8))
		fz_log(s, "  flags%s%s%s%s%s", fl & IOSQE_IO_LINK ? " link" : "",
		       fl & IOSQE_IO_HARDLINK ? " hardlink" : "",
		       fl & IOSQE_ASYNC ? " async" : "",
		       fl & IOSQE_IO_DRAIN ? " drain" : "",
		       f & 8 ? " link-timeout" : "");
}

/* The slot is prepared: remember what cancel-by-fd will match. */
static void fz_prepared(struct fz_slot *sl, struct rc_op *op, bool hold)
{
	sl->fd = op->fd;
	sl->opcode = op->opcode;
	sl->hold_read = hold;
	sl->stalled = false;
}

/* An fd for a read (write: true for a write) from selector b. */
static int fz_pick_fd(struct fz_state *s, uint8_t b, bool write,
		      const char **name)
{
	struct fz_fds *f = &s->fds;

	switch (b % 5) {
	case 1:
		if (s->sync)	/* the fallback would block for good */
			break;
		*name = write ? "full-pipe" : "hold-pipe";
		return write ? f->full_w : f->hold_r;
	case 2:
		if (!f->n_opened)
			break;
		*name = "opened";
		return f->opened[f->n_opened - 1];
	case 3:
		*name = "bad-fd";
		return 1000000;
	default:
		break;
	}
	*name = "data";
	return f->data;
}

static const size_t fz_sizes[4] = { 512, 4096, 4096, 65536 };

/* READ / WRITE slot fd size flags */
static void fz_rw(struct fz_state *s, bool write)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t fsel = fz_byte(s), sz = fz_byte(s), flags = fz_byte(s);
	size_t size = fz_sizes[sz & 3];
	uint32_t len = (uint32_t)(size >> ((sz >> 2) & 3));
	const char *name = "data";
	int fd = fz_pick_fd(s, fsel, write, &name), ret;
	bool pipe = fd == s->fds.hold_r || fd == s->fds.full_w;
	uint64_t off = pipe ? (uint64_t)-1 : (uint64_t)(fsel >> 3) * 4096 %
					      FZ_FILE_LEN;
	struct rc_op *op = fz_slot_idle(s, i);

	fz_log(s, "%s slot %u fd %s size %zu len %u off %lld%s",
	       write ? "write" : "read", i, name, size, len,
	       (long long)(int64_t)off, !write && (sz & 0x10) ? " select" : "");
	if (!op)
		return fz_log(s, "  slot busy");
	if (!write && (sz & 0x10) && rc_ring_buf_select(s->r))
		fz_op_nobuf(s, op);
	else if (fz_op_buf(s, op, size))
		return fz_log(s, "  no buffer");
	ret = write ? rc_op_prep_write(op, fd, 0, len, off) :
		      rc_op_prep_read(op, fd, 0, len, off);
	if (ret)
		return fz_log(s, "  prep: %s", strerror(-ret));
	fz_prepared(&s->slot[i], op, !write && fd == s->fds.hold_r);
	fz_op_flags(s, op, flags);
}

static const char *const fz_open_paths[4] = { "data", "nope", "new", "." };

/* OPENAT slot path flags */
static void fz_openat(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t p = fz_byte(s) % 4, flags = fz_byte(s);
	struct rc_op *op = fz_slot_idle(s, i);
	char path[32];
	int oflags = O_RDONLY | O_CLOEXEC, ret;

	if (p == 2) {
		snprintf(path, sizeof(path), "new%u", s->made++);
		oflags = O_RDWR | O_CREAT | O_CLOEXEC;
	} else {
		snprintf(path, sizeof(path), "%s", fz_open_paths[p]);
		if (p == 3)
			oflags |= O_DIRECTORY;
	}
	fz_log(s, "openat slot %u \"%s\"", i, path);
	if (!op)
		return fz_log(s, "  slot busy");
	ret = rc_op_prep_openat(op, fz_dir_fd, path, oflags, 0600);
	if (ret)
		return fz_log(s, "  prep: %s", strerror(-ret));
	fz_prepared(&s->slot[i], op, false);
	fz_op_flags(s, op, flags);
}

/* STATX slot which flags */
static void fz_statx(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t w = fz_byte(s) % 3, flags = fz_byte(s);
	struct rc_op *op = fz_slot_idle(s, i);
	int ret;

	fz_log(s, "statx slot %u %s", i, w == 0 ? "dir/\"data\"" :
	       w == 1 ? "data-fd \"\" AT_EMPTY_PATH" : "dir/\"nope\"");
	if (!op)
		return fz_log(s, "  slot busy");
	if (fz_op_buf(s, op, sizeof(struct statx)))
		return fz_log(s, "  no buffer");
	if (w == 1)
		ret = rc_op_prep_statx(op, s->fds.data, "", AT_EMPTY_PATH,
				       STATX_BASIC_STATS);
	else
		ret = rc_op_prep_statx(op, fz_dir_fd, w ? "nope" : "data", 0,
				       STATX_BASIC_STATS);
	if (ret)
		return fz_log(s, "  prep: %s", strerror(-ret));
	fz_prepared(&s->slot[i], op, false);
	fz_op_flags(s, op, flags);
}

/* CLOSE slot fd flags: a fresh dup of the fd, which only this op names */
static void fz_close(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t fsel = fz_byte(s), flags = fz_byte(s);
	const char *name = "data";
	int fd = fz_pick_fd(s, fsel, fsel & 0x80, &name), dupfd, ret;
	struct rc_op *op = fz_slot_idle(s, i);

	fz_log(s, "close slot %u dup(%s)", i, name);
	if (!op)
		return fz_log(s, "  slot busy");
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return fz_log(s, "  dup: %s", strerror(errno));
	ret = rc_op_prep_close(op, dupfd);
	if (ret) {
		close(dupfd);
		return fz_log(s, "  prep: %s", strerror(-ret));
	}
	fz_prepared(&s->slot[i], op, false);
	fz_op_flags(s, op, flags);
}

/* LINKAT slot flags: dir/"data" -> dir/"lnkN" */
static void fz_linkat(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t flags = fz_byte(s);
	struct rc_op *op = fz_slot_idle(s, i);
	char path[32];
	int ret;

	snprintf(path, sizeof(path), "lnk%u", s->made++);
	fz_log(s, "linkat slot %u \"data\" -> \"%s\"", i, path);
	if (!op)
		return fz_log(s, "  slot busy");
	ret = rc_op_prep_linkat(op, fz_dir_fd, "data", fz_dir_fd, path, 0);
	if (ret)
		return fz_log(s, "  prep: %s", strerror(-ret));
	fz_prepared(&s->slot[i], op, false);
	fz_op_flags(s, op, flags);
}

/* NOP slot flags */
static void fz_nop(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	uint8_t flags = fz_byte(s);
	struct rc_op *op = fz_slot_idle(s, i);

	fz_log(s, "nop slot %u", i);
	if (!op)
		return fz_log(s, "  slot busy");
	rc_op_prep_nop(op);
	fz_prepared(&s->slot[i], op, false);
	fz_op_flags(s, op, flags);
}

static void fz_submit_slot(struct fz_state *s, unsigned i)
{
	struct fz_slot *sl = &s->slot[i];
	int ret;

	if (sl->st != FZ_IDLE || sl->opcode == 0xff)
		return fz_log(s, "  not prepared");
	ret = rc_op_submit(sl->op);
	if (ret)
		return fz_log(s, "  submit: %s", strerror(-ret));
	sl->st = FZ_ENGINE;
}

/* ---- completions ---- */

/* What an op handed back must be: the program's own, and a sane answer. */
static void fz_pump_back(struct fz_state *s, struct rc_op *op);

static void fz_delivered(struct fz_state *s, struct rc_op *op)
{
	struct fz_slot *sl = op->user_tag == FZ_TAG ? op->user : NULL;

	if (op->user_tag == RC_PUMP_TAG)
		return fz_pump_back(s, op);

	if (!sl || sl < s->slot || sl >= s->slot + FZ_SLOTS)
		fz_fail(s, "rc_ring_next handed back op %p the program never "
			"got (user_tag %llx)", (void *)op,
			(unsigned long long)op->user_tag);
	if (sl->st != FZ_ENGINE || sl->op != op)
		fz_fail(s, "rc_ring_next handed back op %p of slot %ld, which "
			"the program %s", (void *)op, (long)(sl - s->slot),
			sl->st == FZ_IDLE ? "already holds" : "gave up");
	fz_log(s, "  slot %ld back: opcode %d res %d", (long)(sl - s->slot),
	       op->opcode, op->res);
	if (op->res > 0 && (op->opcode == IORING_OP_READ ||
			    op->opcode == IORING_OP_WRITE) &&
	    (uint32_t)op->res > op->len)
		fz_fail(s, "%s answered %d bytes for %u asked",
			op->opcode == IORING_OP_READ ? "read" : "write",
			op->res, op->len);
	if (sl->hold_read && op->res >= 0 &&
	    (op->res == 0 || (uint64_t)op->res > s->hold_bytes))
		fz_fail(s, "a read of the hold pipe answered %d with %llu "
			"byte(s) ever written to it: that answer was not the "
			"kernel's for this read", op->res,
			(unsigned long long)s->hold_bytes);
	if (op->opcode == IORING_OP_OPENAT && op->res >= 0 &&
	    s->fds.n_opened < FZ_OPENED)
		s->fds.opened[s->fds.n_opened++] = op->res;
	sl->st = FZ_IDLE;
	sl->has_prev = true;	/* for a late duplicate of this life's CQE */
	sl->prev_life = rc_op_life(op);
	sl->opcode = 0xff;	/* delivered: prepare again before a submit */
	sl->fd = -1;
}

/* REAP n wait: reap, at most n ops handed back now (the rest later) */
static void fz_reap(struct fz_state *s)
{
	uint8_t n = fz_byte(s) % 8, w = fz_byte(s) & 1;
	struct rc_op *op;
	int ret;

	fz_log(s, "reap %u%s", n, w ? " waiting 2 ms for one" : "");
	if (!s->r)
		return;
	ret = rc_ring_wait(s->r, w, w ? 2 : 0);
	if (ret < 0 && ret != -ETIME)
		fz_log(s, "  wait: %s", strerror(-ret));
	while (n-- && (op = rc_ring_next(s->r)))
		fz_delivered(s, op);
}

/* ---- copies: rc_copy_fd, and a pump sharing the ring ---- */

void fz_check_copy(struct fz_state *s, int dst, uint64_t len,
		   const char *what)
{
	uint64_t a = 0, b = 1;
	int src = openat(fz_dir_fd, "src", O_RDONLY | O_CLOEXEC);

	if (src < 0 || rh_checksum_fd(src, len, &a) ||
	    rh_checksum_fd(dst, len, &b) || a != b)
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "%s of %llu bytes: checksums %016llx / "
				     "%016llx", what, (unsigned long long)len,
				     (unsigned long long)a,
				     (unsigned long long)b);
	if (src >= 0)
		close(src);
}

/* A new file for a copy's destination (the program's: closed at the end). */
int fz_new_dst(struct fz_state *s)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "pump%u", s->made++);
	fd = openat(fz_dir_fd, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	if (fd < 0)
		fz_fail(s, "cannot create %s: %s", path, strerror(errno));
	return fd;
}

bool fz_engine_has_ops(struct fz_state *s)
{
	unsigned i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (s->slot[i].st == FZ_ENGINE)
			return true;
	return s->pump_st == FZ_PUMP_ACTIVE;
}

struct fz_chaos {
	unsigned turn, at;
};

/* The copy loop's hook: cancel one op at turn `at` (0: never). */
static int fz_chaos(void *arg, unsigned busy)
{
	struct fz_chaos *c = arg;

	return ++c->turn == c->at && busy ? RC_CHAOS_CANCEL_OP : RC_CHAOS_NONE;
}

/* COPY depth bs chaos: rc_copy_fd of src into a new file on this ring */
static void fz_copy(struct fz_state *s)
{
	uint8_t qd = fz_byte(s), bs = fz_byte(s), at = fz_byte(s) % 8;
	struct fz_chaos chaos = { .at = at };
	struct rc_copy_opts o = {
		.queue_depth = 1 + qd % 4,
		.block_size = bs & 1 ? 16384 : 4096,
		.no_fallocate = true,
		.chaos = fz_chaos,
		.chaos_arg = &chaos,
		.drain_ms = 2000,
	};
	enum rc_copy_side side = RC_SIDE_NONE;
	int src, dst, drain_err = 0;
	int64_t n;

	fz_log(s, "copy depth %u block %u%s", o.queue_depth, o.block_size,
	       at ? " cancel one op on a turn" : "");
	fz_ring(s);
	if (fz_engine_has_ops(s))
		return fz_log(s, "  not now: the program's ops are in flight");
	src = openat(fz_dir_fd, "src", O_RDONLY | O_CLOEXEC);
	dst = fz_new_dst(s);
	n = rc_copy_fd(s->r, src, dst, FZ_FILE_LEN, &o, &side, &drain_err);
	fz_log(s, "  copied %lld", (long long)n);
	if (n == FZ_FILE_LEN)
		fz_check_copy(s, dst, FZ_FILE_LEN, "rc_copy_fd");
	else if (n != -ECANCELED || !at)
		fz_fail(s, "rc_copy_fd answered %lld (side %d, drain %d)",
			(long long)n, side, drain_err);
	if (drain_err)
		fz_fail(s, "rc_copy_fd could not drain: %s", strerror(-drain_err));
	close(src);
	close(dst);
}

/* PUMP depth bs: a pump of src into a new file; its ops come back by reap */
static void fz_pump(struct fz_state *s)
{
	uint8_t qd = fz_byte(s), bs = fz_byte(s);
	int ret;

	fz_log(s, "pump depth %u block %u%s", 1 + qd % 4,
	       bs & 1 ? 16384 : 4096, bs & 2 ? " exact end" : "");
	if (s->pump_st != FZ_PUMP_NONE)
		return fz_log(s, "  one pump per input");
	s->pump_opts = (struct rc_copy_opts){
		.queue_depth = 1 + qd % 4,
		.block_size = bs & 1 ? 16384 : 4096,
		.no_fallocate = true,
		.drain_ms = 2000,
	};
	s->pump_src = openat(fz_dir_fd, "src", O_RDONLY | O_CLOEXEC);
	s->pump_dst = fz_new_dst(s);
	s->pump_st = FZ_PUMP_ACTIVE;
	ret = rc_pump_start(&s->pump, fz_ring(s), s->pump_src, s->pump_dst, 0,
			    FZ_FILE_LEN, bs & 2, &s->pump_opts);
	if (ret) {
		fz_log(s, "  start: %s", strerror(-ret));
		fz_pump_end(s);
	}
}

/* One of the pump's ops, handed back: on to the pump; a pump done whole
 * must have copied src exactly. */
static void fz_pump_back(struct fz_state *s, struct rc_op *op)
{
	int ret;

	if (s->pump_st != FZ_PUMP_ACTIVE || rc_pump_of(op) != &s->pump)
		fz_fail(s, "rc_ring_next handed back a pump's op %p after the "
			"pump was given up", (void *)op);
	ret = rc_pump_complete(&s->pump, op);
	if (!rc_pump_done(&s->pump))
		return;
	fz_log(s, "  pump done: %s, eof %llu", ret ? strerror(-ret) : "ok",
	       (unsigned long long)rc_pump_eof(&s->pump));
	if (!ret && rc_pump_eof(&s->pump) != FZ_FILE_LEN)
		fz_fail(s, "the pump ended at %llu of %u bytes",
			(unsigned long long)rc_pump_eof(&s->pump), FZ_FILE_LEN);
	if (!ret)
		fz_check_copy(s, s->pump_dst, FZ_FILE_LEN, "pump");
	fz_pump_end(s);
}

void fz_pump_end(struct fz_state *s)
{
	if (s->pump_st != FZ_PUMP_ACTIVE)
		return;
	rc_pump_end(&s->pump);
	s->pump_st = FZ_PUMP_GONE;
}

/* The ring's ops were all given up: the pump keeps nothing in flight. */
static void fz_pump_forget(struct fz_state *s)
{
	if (s->pump_st != FZ_PUMP_ACTIVE)
		return;
	rc_pump_forget(&s->pump);
	s->pump_st = FZ_PUMP_GONE;
}

static void fz_pump_abort(struct fz_state *s)
{
	fz_log(s, "pump-abort");
	if (s->pump_st != FZ_PUMP_ACTIVE)
		return;
	rc_pump_abort(&s->pump);	/* its slots are gone with it */
	s->pump_st = FZ_PUMP_GONE;
}

/* ---- cancellation ---- */

static void fz_cancel(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	struct fz_slot *sl = &s->slot[i];
	int ret;

	fz_log(s, "cancel slot %u", i);
	if (sl->st == FZ_EMPTY)
		return fz_log(s, "  empty");
	if (sl->st == FZ_IDLE)
		fz_slot_forget_close(sl);
	ret = rc_op_cancel(sl->op);
	if (ret)
		fz_log(s, "  cancel: %s", strerror(-ret));
	*sl = (struct fz_slot){ .opcode = 0xff, .fd = -1 };
}

/* The program gave up every submitted op on fd (fd < 0: all). */
static void fz_gave_up_fd(struct fz_state *s, int fd)
{
	unsigned i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (s->slot[i].st == FZ_ENGINE &&
		    (fd < 0 || s->slot[i].fd == fd))
			s->slot[i] = (struct fz_slot){ .opcode = 0xff, .fd = -1 };
}

/* CANCEL_FD fd mode: async or sync, one fd or any */
static void fz_cancel_fd(struct fz_state *s)
{
	uint8_t fsel = fz_byte(s), mode = fz_byte(s) % 4;
	const char *name = "any";
	int fd = -1, ret;

	if (!(mode & 2))
		fd = fz_pick_fd(s, fsel, fsel & 0x80, &name);
	fz_log(s, "cancel-fd %s%s", name, mode & 1 ? " sync" : "");
	if (!s->r)
		return;
	ret = mode & 1 ? rc_ring_cancel_fd_sync(s->r, fd, 100) :
			 rc_ring_cancel_fd(s->r, fd);
	fz_log(s, "  answer %d", ret);
	fz_gave_up_fd(s, fd);
	if (fd < 0)
		fz_pump_forget(s);
}

static void fz_cancel_all(struct fz_state *s)
{
	int ret;

	fz_log(s, "cancel-all");
	if (!s->r)
		return;
	ret = rc_ring_cancel_all(s->r);
	if (ret)
		fz_log(s, "  answer %d", ret);
	fz_gave_up_fd(s, -1);
	fz_pump_forget(s);
}

/* ---- holding requests in the kernel, and letting them go ---- */

/* RELEASE what: bytes into the hold pipe, empty the full pipe, the stall */
static void fz_release(struct fz_state *s)
{
	uint8_t w = fz_byte(s) % 3, n = fz_byte(s);
	char buf[4096];
	ssize_t k;

	if (w == 0) {
		memset(buf, 'h', sizeof(buf));
		k = write(s->fds.hold_w, buf, 1 + (size_t)n * 16);
		if (k > 0)
			s->hold_bytes += (uint64_t)k;
		fz_log(s, "release hold-pipe %zd byte(s)", k);
	} else if (w == 1) {
		while (read(s->fds.full_r, buf, sizeof(buf)) > 0)
			;
		fz_log(s, "release full-pipe (emptied)");
	} else {
		fz_log(s, "release stall%s", s->stall_on ? "" : " (none)");
		if (s->stall_on && !s->stall_released) {
			rh_stall_release(&s->stall, 0);
			s->stall_released = true;
		}
	}
}

/* FILL n: n reads of the hold pipe submitted at once (the SQ fills) */
static void fz_fill(struct fz_state *s)
{
	unsigned n = 1 + fz_byte(s) % FZ_SLOTS, i, done = 0;
	struct rc_op *op;

	fz_log(s, "fill %u", n);
	if (s->sync)
		return fz_log(s, "  fallback ring: reads would block");
	for (i = 0; i < FZ_SLOTS && done < n; i++) {
		if (s->slot[i].st != FZ_EMPTY)
			continue;
		op = fz_slot_idle(s, i);
		if (fz_op_buf(s, op, 512) ||
		    rc_op_prep_read(op, s->fds.hold_r, 0, 512, (uint64_t)-1))
			continue;
		fz_prepared(&s->slot[i], op, true);
		fz_submit_slot(s, i);
		done++;
	}
	fz_log(s, "  %u submitted; flush: %d", done, rc_ring_flush(s->r));
}

/* STALE slot: a late duplicate CQE for the slot's op's previous life */
static void fz_stale(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	struct fz_slot *sl = &s->slot[i];
	struct io_uring_sqe *sqe;

	fz_log(s, "stale-cqe slot %u", i);
	if (sl->st == FZ_EMPTY || s->sync || !sl->has_prev)
		return fz_log(s, "  nothing to forge (no earlier life seen)");
	sqe = io_uring_get_sqe(rc_ring_uring(s->r));
	if (!sqe)
		return fz_log(s, "  SQ full");
	io_uring_prep_nop(sqe);
	/* the user_data the op's CQE carried when it last came back */
	io_uring_sqe_set_data64(sqe, rc_ud_encode(sl->op, RC_UD_OP,
						  sl->prev_life));
	io_uring_submit(rc_ring_uring(s->r));
}

/* STALL slot: a read into a userfaultfd-stalled buffer, in io-wq */
static void fz_stall(struct fz_state *s)
{
	unsigned i = fz_byte(s) % FZ_SLOTS;
	struct rc_op *op;
	int ret;

	fz_log(s, "stall slot %u", i);
	fz_ring(s);
	if (s->stall_on || s->sync || strcmp(s->strategy, "heap") ||
	    rc_rings_leaked() >= FZ_RING_LEAK_BUDGET)
		return fz_log(s, "  not here (one per input, heap strategy, "
			      "leak budget)");
	op = fz_slot_idle(s, i);
	if (!op)
		return fz_log(s, "  slot busy");
	fz_op_nobuf(s, op);
	if (fz_op_buf(s, op, 4096))
		return fz_log(s, "  no buffer");
	madvise(op->buf, 4096, MADV_DONTNEED);	/* its pages missing */
	ret = rh_stall_attach(&s->stall, op->buf, 4096);
	if (ret)
		return fz_log(s, "  userfaultfd: %s", strerror(-ret));
	s->stall_on = true;
	s->stall_released = false;
	rc_op_prep_read(op, s->fds.data, 0, 4096, 0);
	rc_op_set_flags(op, IOSQE_ASYNC);
	fz_prepared(&s->slot[i], op, false);
	s->slot[i].stalled = true;
	fz_submit_slot(s, i);
	rc_ring_flush(s->r);
	ret = rh_stall_wait_fault(&s->stall, 200);
	fz_log(s, "  %s", ret ? "no fault within 200 ms" : "held");
}

/* ---- the program ---- */

static void fz_new_ring(struct fz_state *s)
{
	static const unsigned entries[4] = { 4, 8, 8, 32 };
	uint8_t st = fz_byte(s) % FZ_N_STRATEGIES, e = fz_byte(s) % 4;

	fz_log(s, "new-ring %s%s entries %u", fz_strategies[st],
	       st >= 4 ? " fallback" : "", entries[e]);
	fz_ring_destroy(s);
	fz_ring_new(s, st, entries[e]);
}

static void fz_step(struct fz_state *s, enum fz_step step)
{
	unsigned i;
	int ret;

	switch (step) {
	case FZ_NEW_RING: fz_new_ring(s); break;
	case FZ_READ: fz_rw(s, false); break;
	case FZ_WRITE: fz_rw(s, true); break;
	case FZ_OPENAT: fz_openat(s); break;
	case FZ_STATX: fz_statx(s); break;
	case FZ_CLOSE: fz_close(s); break;
	case FZ_LINKAT: fz_linkat(s); break;
	case FZ_NOP: fz_nop(s); break;
	case FZ_SUBMIT:
		i = fz_byte(s) % FZ_SLOTS;
		fz_log(s, "submit slot %u", i);
		fz_submit_slot(s, i);
		break;
	case FZ_FLUSH:
		fz_log(s, "flush");
		if (s->r && (ret = rc_ring_flush(s->r)) < 0)
			fz_log(s, "  flush: %s", strerror(-ret));
		break;
	case FZ_CANCEL: fz_cancel(s); break;
	case FZ_CANCEL_FD: fz_cancel_fd(s); break;
	case FZ_CANCEL_ALL: fz_cancel_all(s); break;
	case FZ_REAP: fz_reap(s); break;
	case FZ_WAIT_POSTED:
		fz_log(s, "wait-posted (CQE not reaped, up to 2 ms)");
		if (s->r && !s->sync) {
			uint64_t until = rc_now_ns() + 2000000;

			while (!io_uring_cq_ready(rc_ring_uring(s->r)) &&
			       rc_now_ns() < until)
				;
		}
		break;
	case FZ_RELEASE: fz_release(s); break;
	case FZ_FILL: fz_fill(s); break;
	case FZ_DESTROY:
		fz_log(s, "destroy");
		fz_ring_destroy(s);
		break;
	case FZ_PUT:
		i = fz_byte(s) % FZ_SLOTS;
		fz_log(s, "put slot %u", i);
		if (s->slot[i].st != FZ_IDLE)
			break;
		fz_slot_forget_close(&s->slot[i]);
		rc_op_put(s->slot[i].op);
		s->slot[i] = (struct fz_slot){ .opcode = 0xff, .fd = -1 };
		break;
	case FZ_STALE: fz_stale(s); break;
	case FZ_STALL: fz_stall(s); break;
	case FZ_COPY: fz_copy(s); break;
	case FZ_PUMP: fz_pump(s); break;
	case FZ_PUMP_ABORT: fz_pump_abort(s); break;
	case FZ_TREE: fz_tree(s); break;
	case FZ_SPLICE: fz_splice(s); break;
	case FZ_FLUSH_REAP:
		fz_log(s, "reap all (no wait)");
		if (s->r) {
			struct rc_op *op;

			rc_ring_wait(s->r, 0, 0);
			while ((op = rc_ring_next(s->r)))
				fz_delivered(s, op);
		}
		break;
	case FZ_DRAIN:
		fz_log(s, "drain (2 ms)");
		if (s->r)
			fz_log(s, "  %d", rc_ring_drain(s->r, 2));
		break;
	default:
		break;
	}
}

/*
 * A step's opcode: the byte's low 5 bits, so that a step added later (up to
 * 32) leaves the meaning of the committed corpus alone; the numbers no step
 * has yet are a reap that hands back everything without waiting.
 */
static enum fz_step fz_opcode(uint8_t b)
{
	b &= 31;
	if (b < FZ__STEPS)
		return (enum fz_step)b;
	return FZ_FLUSH_REAP;
}

void fz_run(struct fz_state *s)
{
	unsigned n;

	for (n = 0; n < FZ_STEPS && s->pos < s->size; n++) {
		fz_step(s, fz_opcode(fz_byte(s)));
	}
}
