/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "evlog.h"
#include "record.h"
#include "scenario.h"

#define RH_OUTCOME_MAGIC 0x72636f7574636f6dull	/* "rcoutcom" */

static const char *const rh_state_names[RH_ST__COUNT] = {
	[RH_ST_BEFORE_SUBMIT] = "before-submit",
	[RH_ST_POLL_ARMED] = "poll-armed",
	[RH_ST_IO_WQ] = "io-wq",
	[RH_ST_BLOCK_LAYER] = "block-layer",
	[RH_ST_COMPLETED] = "completed-unreaped",
	[RH_ST_REAPED] = "reaped-undelivered",
	[RH_ST_TEARDOWN] = "ring-teardown",
	[RH_ST_LINK_TIMEOUT] = "link-timeout",
	[RH_ST_CHAIN_HEAD] = "chain-head",
	[RH_ST_CHAIN_TAIL] = "chain-tail",
	[RH_ST_CANCEL_FD] = "cancel-all-by-fd",
	[RH_ST_CANCEL_ANY] = "cancel-all-any",
	[RH_ST_SYNC_CANCEL] = "sync-cancel",
	[RH_ST_DRAIN_TIMEOUT] = "drain-timeout",
	[RH_ST_ABORT_TIMEOUT] = "abort-timeout",
};

static const char *const rh_dir_names[RH_DIR__COUNT] = { "read", "write" };

const char *rh_state_name(enum rh_state st)
{
	return st < RH_ST__COUNT ? rh_state_names[st] : "?";
}

static void rh_scenario_usage(FILE *f, const char *name)
{
	fprintf(f, "Usage: %s [--seed=N] [--ops=N] [--seconds=S] [--json=PATH]\n"
		"       [--quarantine=guard|poison] [--buffers=heap|pool|fixed|ring]\n"
		"       [--events=PATH] [--data=readwrite|splice|auto] [--fs=TYPE]\n"
		"       [--direct=never|auto|always]\n"
		"       [--memory=BYTES]\n"
		"  --seed=N        random schedule (default: from the clock; "
		"printed)\n"
		"  --ops=N         iterations (cancellations) to run\n"
		"  --seconds=S     or stop after S seconds, whichever first\n"
		"  --json=PATH     write the run's record (proof, coverage)\n"
		"  --quarantine=M  freed buffers: guard pages or poison\n"
		"  --buffers=S     buffer strategy (default: $RC_BUFFERS, heap)\n"
		"  --events=PATH   log every engine event there, for the model's\n"
		"                  conformance check (default: $RH_EVENTS)\n"
		"  --fallback      the synchronous fallback engine (no io_uring)\n"
		"  --data=P        copies' data path (copy and tree scenarios;\n"
		"                  default: $RC_DATA, else readwrite)\n"
		"  --direct=W      copies' O_DIRECT writes (copy and tree\n"
		"                  scenarios; default: $RC_DIRECT, else the engine's)\n"
		"  --fs=TYPE       files on a fresh TYPE (xfs, btrfs) loop image\n"
		"                  (tree_chaos; root)\n"
		"  --memory=BYTES  copies' data budget (copy and tree scenarios;\n"
		"                  small: pumps wait for one another)\n"
		"Exit: 0 proven, 1 violation / unexpected answer / state not "
		"covered, 2 usage or setup error\n", name);
}

static void rh_scenario_json(FILE *f, void *arg)
{
	struct rh_scenario *s = arg;
	int st, d, first = 1;

	fprintf(f, ",\n  \"iterations\": %" PRIu64 ",\n  \"cancellations\": %"
		PRIu64 ",\n  \"unexpected_answers\": %" PRIu64
		",\n  \"coverage\": [", s->done, s->cancels, s->unexpected);
	for (st = 0; st < RH_ST__COUNT; st++) {
		for (d = 0; d < RH_DIR__COUNT; d++) {
			if (!s->in_scope[st][d] && !s->hits[st][d])
				continue;
			fprintf(f, "%s\n    {\"state\": \"%s\", \"dir\": \"%s\", "
				"\"hits\": %" PRIu64 ", \"unreachable\": ",
				first ? "" : ",", rh_state_names[st],
				rh_dir_names[d], s->hits[st][d]);
			if (s->unreachable[st][d])
				rh_record_string(f, s->unreachable[st][d]);
			else
				fprintf(f, "null");
			fprintf(f, "}");
			first = 0;
		}
	}
	fprintf(f, "\n  ],\n  \"cancel_to_release_by_state_ns\": {");
	for (st = 0, first = 1; st < RH_ST__COUNT; st++) {
		size_t n = s->lat_n[st];

		if (!n)
			continue;
		fprintf(f, "%s\n    \"%s\": {\"count\": %zu, \"p50\": %" PRIu64
			", \"p99\": %" PRIu64 ", \"max\": %" PRIu64 "}",
			first ? "" : ",", rh_state_names[st], n,
			rh_record_percentile(s->lat[st], n, 50),
			rh_record_percentile(s->lat[st], n, 99),
			rh_record_percentile(s->lat[st], n, 100));
		first = 0;
	}
	fprintf(f, "\n  }");
}

void rh_scenario_init(struct rh_scenario *s, const char *name, int argc,
		      char **argv, uint64_t default_ops)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "quarantine", required_argument, NULL, 'q' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "events", required_argument, NULL, 'e' },
		{ "fallback", no_argument, NULL, 'F' },
		{ "data", required_argument, NULL, 'd' },
		{ "fs", required_argument, NULL, 'f' },
		{ "direct", required_argument, NULL, 'D' },
		{ "memory", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL;
	char memarg[40] = "";
	bool seeded = false;
	int c;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->ops = default_ops;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			s->seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'o':
			s->ops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			s->seconds = strtod(optarg, NULL);
			break;
		case 'j':
			json = optarg;
			break;
		case 'q':
			if (!strcmp(optarg, "poison")) {
				s->harness.quarantine = RH_QUARANTINE_POISON;
			} else if (strcmp(optarg, "guard")) {
				rh_scenario_usage(stderr, name);
				exit(2);
			}
			break;
		case 'b':
			s->harness.buffers = optarg;
			break;
		case 'e':
			if (rh_evlog_open(optarg))
				exit(2);
			break;
		case 'F':
			s->fallback = true;
			break;
		case 'd':
			if (rc_data_path_by_name(optarg, &s->data_path)) {
				rh_scenario_usage(stderr, name);
				exit(2);
			}
			break;
		case 'f':
			s->fs = optarg;
			break;
		case 'D':
			if (rc_direct_by_name(optarg, &s->direct)) {
				rh_scenario_usage(stderr, name);
				exit(2);
			}
			break;
		case 'm':
			s->memory = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			rh_scenario_usage(stdout, name);
			exit(0);
		default:
			rh_scenario_usage(stderr, name);
			exit(2);
		}
	}
	if (optind != argc) {
		rh_scenario_usage(stderr, name);
		exit(2);
	}
	if (!seeded)
		s->seed = rc_now_ns() ^ ((uint64_t)getpid() << 32);
	s->rng = s->seed ? s->seed : 1;
	if (!s->harness.buffers)
		s->harness.buffers = getenv("RC_BUFFERS");
	if (!s->harness.buffers || !*s->harness.buffers)
		s->harness.buffers = "heap";
	if (!s->data_path && getenv("RC_DATA") &&
	    rc_data_path_by_name(getenv("RC_DATA"), &s->data_path)) {
		rh_scenario_usage(stderr, name);
		exit(2);
	}
	/* read/write unless asked: the buffer strategies (--buffers) and
	 * the pump's buffer mutants need buffers, whatever the engine's
	 * default data path is; the splice runs pass --data */
	if (!s->data_path)
		s->data_path = RC_DATA_READWRITE;
	if (!s->direct && getenv("RC_DIRECT") &&
	    rc_direct_by_name(getenv("RC_DIRECT"), &s->direct)) {
		rh_scenario_usage(stderr, name);
		exit(2);
	}
	if (s->memory)
		snprintf(memarg, sizeof(memarg), " --memory=%" PRIu64,
			 s->memory);
	snprintf(s->replay, sizeof(s->replay), "%s --seed=%" PRIu64
		 " --ops=%" PRIu64 "%s --buffers=%s%s%s%s%s%s%s%s%s", argv[0],
		 s->seed,
		 s->ops, s->harness.quarantine == RH_QUARANTINE_POISON ?
		 " --quarantine=poison" : "", s->harness.buffers,
		 s->fallback ? " --fallback" : "",
		 s->data_path ? " --data=" : "",
		 s->data_path ? rc_data_path_name(s->data_path) : "",
		 s->fs ? " --fs=" : "", s->fs ? s->fs : "",
		 s->direct ? " --direct=" : "",
		 s->direct ? rc_direct_name(s->direct) : "", memarg);
	s->harness.scenario = name;
	s->harness.seed = s->seed;
	s->harness.replay = s->replay;
	s->harness.json_path = json;
	s->harness.extra_json = rh_scenario_json;
	s->harness.extra_arg = s;
	rh_harness_start(&s->harness);
	s->start_ns = rc_now_ns();
}

void rh_scenario_scope(struct rh_scenario *s, enum rh_state st,
		       enum rh_dir dir)
{
	s->in_scope[st][dir] = true;
}

void rh_scenario_unreachable(struct rh_scenario *s, enum rh_state st,
			     enum rh_dir dir, const char *why)
{
	s->in_scope[st][dir] = true;
	if (!s->unreachable[st][dir]) {
		s->unreachable[st][dir] = why;
		printf("%s: %s %s not reachable here: %s\n", s->name,
		       rh_state_names[st], rh_dir_names[dir], why);
	}
}

static rc_trace_fn rh_harness_trace_fn;

/* The harness' hook, then the outcome of a watched op. */
static void rh_scenario_trace(void *arg, enum rc_trace_event ev,
			      const struct rc_op *op, const void *buf,
			      size_t len, int64_t res)
{
	struct rh_outcome *o;

	rh_harness_trace_fn(arg, ev, op, buf, len, res);
	if (!op || op->user_tag != RH_OUTCOME_MAGIC || !op->user)
		return;
	o = op->user;
	switch (ev) {
	case RC_EV_CANCEL:
		o->cancel_ns = rc_now_ns();
		break;
	case RC_EV_CANCEL_CQE:
		o->cancel_res = (int)res;
		if (!o->cqe_seen)
			o->cancel_before_cqe = true;
		break;
	case RC_EV_CQE:
		o->res = (int)res;
		o->cqe_seen = true;
		break;
	case RC_EV_RELEASE:
		o->released = true;
		o->release_ns = rc_now_ns();
		break;
	default:
		break;
	}
}

void rh_scenario_ring_params(struct rh_scenario *s, struct rc_ring_params *p)
{
	p->strategy_bufs = s->strategy_bufs;
	p->strategy_buf_size = s->strategy_buf_size;
	rh_harness_ring_params(p);
	rh_harness_trace_fn = p->trace;
	p->trace = rh_scenario_trace;
}

void rh_scenario_watch(struct rc_op *op, struct rh_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->magic = RH_OUTCOME_MAGIC;
	o->cancel_res = RC_CANCEL_NONE;
	op->user = o;
	op->user_tag = RH_OUTCOME_MAGIC;
}

bool rh_scenario_more(struct rh_scenario *s)
{
	if (s->ops && s->done >= s->ops)
		return false;
	if (s->seconds > 0 &&
	    (double)(rc_now_ns() - s->start_ns) / 1e9 >= s->seconds)
		return false;
	return s->ops || s->seconds > 0;
}

uint64_t rh_scenario_rand(struct rh_scenario *s, uint64_t n)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (s->rng * 0x2545f4914f6cdd1dull) % (n ? n : 1);
}

void rh_scenario_hit(struct rh_scenario *s, enum rh_state st,
		     enum rh_dir dir, const struct rh_outcome *o)
{
	s->hits[st][dir]++;
	if (o && o->cancel_ns && o->release_ns >= o->cancel_ns) {
		uint64_t ns = o->release_ns - o->cancel_ns;

		if (s->lat_n[st] == s->lat_cap[st]) {
			size_t cap = s->lat_cap[st] ? s->lat_cap[st] * 2 : 1024;
			uint64_t *t = realloc(s->lat[st], cap * sizeof(*t));

			if (!t)
				return;
			s->lat[st] = t;
			s->lat_cap[st] = cap;
		}
		s->lat[st][s->lat_n[st]++] = ns;
	}
}

void rh_scenario_unexpected(struct rh_scenario *s, enum rh_state st,
			    enum rh_dir dir, const struct rh_outcome *o)
{
	s->unexpected++;
	if (s->unexpected <= 10)
		printf("%s: unexpected answer in %s (%s): cancel %d, op %s%d%s "
		       "(iteration %" PRIu64 "; replay: %s)\n", s->name,
		       rh_state_names[st], rh_dir_names[dir], o->cancel_res,
		       o->cqe_seen ? "" : "no CQE ", o->res,
		       o->cancel_before_cqe ? ", cancel answered first" : "",
		       s->done, s->replay);
}

int rh_scenario_finish(struct rh_scenario *s)
{
	uint64_t violations;
	int st, d, uncovered = 0;

	printf("%s: coverage (%" PRIu64 " iterations, %" PRIu64
	       " cancellations, %.1f s)\n", s->name, s->done, s->cancels,
	       (double)(rc_now_ns() - s->start_ns) / 1e9);
	printf("  %-20s %12s %12s\n", "state", "read", "write");
	for (st = 0; st < RH_ST__COUNT; st++) {
		char cell[RH_DIR__COUNT][32];

		if (!s->in_scope[st][0] && !s->in_scope[st][1] &&
		    !s->hits[st][0] && !s->hits[st][1])
			continue;
		for (d = 0; d < RH_DIR__COUNT; d++) {
			if (!s->in_scope[st][d] && !s->hits[st][d])
				snprintf(cell[d], sizeof(cell[d]), "-");
			else if (!s->hits[st][d] && s->unreachable[st][d])
				snprintf(cell[d], sizeof(cell[d]), "n/a");
			else
				snprintf(cell[d], sizeof(cell[d]), "%" PRIu64,
					 s->hits[st][d]);
			if (s->in_scope[st][d] && !s->hits[st][d] &&
			    !s->unreachable[st][d])
				uncovered++;
		}
		printf("  %-20s %12s %12s\n", rh_state_names[st], cell[0],
		       cell[1]);
	}
	violations = rh_harness_finish();	/* writes the JSON record */
	for (st = 0; st < RH_ST__COUNT; st++) {
		free(s->lat[st]);
		s->lat[st] = NULL;
		s->lat_n[st] = s->lat_cap[st] = 0;
	}
	if (uncovered)
		printf("%s: FAIL: %d state(s) in scope never hit; replay: %s\n",
		       s->name, uncovered, s->replay);
	if (s->unexpected)
		printf("%s: FAIL: %" PRIu64 " unexpected kernel answer(s)\n",
		       s->name, s->unexpected);
	return violations || uncovered || s->unexpected ? 1 : 0;
}

struct rc_ring *rh_scenario_ring(struct rh_scenario *s, unsigned entries)
{
	struct rc_ring_params p = { .entries = entries };
	struct rc_ring *r;
	int ret;

	rh_scenario_ring_params(s, &p);
	ret = s->fallback ? rc_ring_create_sync(&r, &p) : rc_ring_create(&r, &p);
	if (ret) {
		fprintf(stderr, "%s: cannot set up io_uring: %s: %s\n", s->name,
			strerror(-ret), rc_setup_advice(ret));
		exit(2);
	}
	return r;
}

int rh_scenario_ring_done(struct rh_scenario *s, struct rc_ring *r)
{
	(void)s;
	rh_harness_add_ring(r);
	return rc_ring_destroy(r, 5000);
}

struct rc_op *rh_scenario_op(struct rc_ring *r, size_t len)
{
	struct rc_op *op;
	void *buf;

	if (rc_op_get(r, &op) || rc_buf_get(r, len, &buf) ||
	    rc_op_set_buf(op, buf, len)) {
		fprintf(stderr, "scenario: out of memory\n");
		exit(2);
	}
	return op;
}

int rh_scenario_prep_read(struct rc_op *op, int fd, size_t io_off,
			  uint32_t len, uint64_t off)
{
	size_t size;
	void *buf;

	if (rc_ring_buf_select(op->ring) && op->buf) {
		buf = rc_op_take_buf(op, &size);
		rc_buf_put(op->ring, buf, size);
	}
	return rc_op_prep_read(op, fd, io_off, len, off);
}

struct rc_op *rh_scenario_rw(struct rc_ring *r, struct rh_outcome *o,
			     enum rh_dir dir, int fd, uint32_t len,
			     uint64_t off)
{
	struct rc_op *op = rh_scenario_op(r, len);

	rh_scenario_watch(op, o);
	if (dir == RH_DIR_READ)
		rh_scenario_prep_read(op, fd, 0, len, off);
	else
		rc_op_prep_write(op, fd, 0, len, off);
	return op;
}

void rh_scenario_begin(struct rh_scenario *s, const char *name, int argc,
		       char **argv, uint64_t default_ops, enum rh_state st)
{
	int d;

	rh_scenario_init(s, name, argc, argv, default_ops);
	for (d = 0; d < RH_DIR__COUNT; d++)
		rh_scenario_scope(s, st, (enum rh_dir)d);
}

void rh_scenario_pipes(int rp[2], int wp[2])
{
	char chunk[4096] = { 0 };

	if (pipe2(rp, O_CLOEXEC) || pipe2(wp, O_CLOEXEC | O_NONBLOCK)) {
		fprintf(stderr, "scenario: cannot make pipes: %s\n",
			strerror(errno));
		exit(2);
	}
	while (write(wp[1], chunk, sizeof(chunk)) > 0)	/* fill it */
		;
	fcntl(wp[1], F_SETFL, 0);
}

bool rh_scenario_wait_posted(struct rc_ring *r, unsigned n)
{
	uint64_t until = rc_now_ns() + 2000000000ull;

	while (io_uring_cq_ready(rc_ring_uring(r)) < n) {
		if (rc_now_ns() > until)
			return false;
		usleep(50);
	}
	return true;
}

int rh_scenario_wait_op(struct rc_ring *r, int timeout_ms,
			struct rc_op **opp)
{
	uint64_t until = rc_now_ns() + (uint64_t)timeout_ms * 1000000ull, now;
	int ret;

	while (!(*opp = rc_ring_next(r))) {
		now = rc_now_ns();
		if (now >= until)
			return -ETIME;
		/* at least 1 ms: a wait of 0 would not wait at all */
		ret = rc_ring_wait(r, 1, (int)((until - now) / 1000000) + 1);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return ret;
	}
	return 0;
}

int rh_scenario_file(struct rh_scenario *s, uint64_t len, int extra_flags)
{
	char path[] = "/var/tmp/rc-scenario-XXXXXX";
	int fd = mkstemp(path), dfd;

	if (fd < 0) {
		fprintf(stderr, "%s: cannot create a file in /var/tmp: %s\n",
			s->name, strerror(errno));
		exit(2);
	}
	if (len && (rh_fill_fd(fd, len, s->seed) || fsync(fd))) {
		fprintf(stderr, "%s: cannot fill '%s'\n", s->name, path);
		exit(2);
	}
	if (!extra_flags) {
		unlink(path);
		return fd;
	}
	dfd = open(path, O_RDWR | O_CLOEXEC | extra_flags);
	unlink(path);
	close(fd);
	return dfd < 0 ? -errno : dfd;
}

void rh_scenario_random_delay(struct rh_scenario *s, uint64_t max_ns)
{
	uint64_t until = rc_now_ns() + rh_scenario_rand(s, max_ns + 1);

	while (rc_now_ns() < until)
		;
}
