/* SPDX-License-Identifier: MIT */
/*
 * Recording the kernel's events for the witness (witness.h): two tracefs
 * instances of this process, drained by a reader thread while the run
 * goes on (every RH_WITNESS_DRAIN_MS, default 100 ms; 0: read once at the
 * end) so that a long run, or other processes' io_uring traffic, does not
 * fill their buffers, and read to the end when the run is done.  One holds io_uring's
 * events of every task (a completion may run in another task's context:
 * the check keeps those of our rings, by ring pointer); the other the
 * close and dup calls of this process and the threads it makes
 * (set_event_pid, event-fork), so that other processes' calls take no
 * room in it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "ringcp/ring.h"
#include "witness.h"

#define RH_WITNESS_PREFIX	"ringcp-witness-"

static const struct {
	const char *system, *name;
	enum rh_kev_kind kind;
	const char *f_val, *f_aux;	/* fields read into val and aux */
} rh_wevents[] = {
	{ "io_uring", "io_uring_create", RH_K_CREATE, "fd", NULL },
	{ "io_uring", "io_uring_submit_req", RH_K_SUBMIT, NULL, "opcode" },
	{ "io_uring", "io_uring_file_get", RH_K_FILE_GET, "fd", NULL },
	{ "io_uring", "io_uring_queue_async_work", RH_K_ASYNC, NULL, "opcode" },
	{ "io_uring", "io_uring_complete", RH_K_COMPLETE, "res", "cflags" },
	{ "io_uring", "io_uring_req_failed", RH_K_FAILED, "error", "opcode" },
	{ "io_uring", "io_uring_cqe_overflow", RH_K_OVERFLOW, "res", NULL },
	{ "syscalls", "sys_enter_close", RH_K_CLOSE, "fd", NULL },
	{ "syscalls", "sys_enter_dup2", RH_K_DUP, "newfd", NULL },
	{ "syscalls", "sys_enter_dup3", RH_K_DUP, "newfd", NULL },
	{ "syscalls", "sys_enter_close_range", RH_K_CLOSE_RANGE, "fd",
	  "max_fd" },
};
#define RH_NWEVENTS (sizeof(rh_wevents) / sizeof(rh_wevents[0]))

/* One event type as this kernel lays it out. */
struct rh_wtype {
	int id;
	struct tep_format_field *ctx, *req, *ud, *val, *aux;
};

static struct {
	struct tracefs_instance *in;	/* io_uring */
	struct tracefs_instance *sys;	/* this process's system calls */
	struct tep_handle *tep;
	struct rh_wtype type[RH_NWEVENTS];
	struct rh_kev *ev;
	size_t n, cap;
	bool oom;
	bool atexit_set;
	pthread_t reader;
	bool reading;			/* the reader thread runs */
	volatile int stop;		/* asks it to end */
	long drain_ms;
} w;

const char *rh_kev_name(enum rh_kev_kind k)
{
	static const char *const names[RH_K__COUNT] = {
		[RH_K_CREATE] = "io_uring_create",
		[RH_K_SUBMIT] = "io_uring_submit_req",
		[RH_K_FILE_GET] = "io_uring_file_get",
		[RH_K_ASYNC] = "io_uring_queue_async_work",
		[RH_K_COMPLETE] = "io_uring_complete",
		[RH_K_FAILED] = "io_uring_req_failed",
		[RH_K_OVERFLOW] = "io_uring_cqe_overflow",
		[RH_K_CLOSE] = "close",
		[RH_K_DUP] = "dup2/dup3",
		[RH_K_CLOSE_RANGE] = "close_range",
	};

	return k < RH_K__COUNT ? names[k] : "?";
}

bool rh_witness_on(void)
{
	return w.in != NULL;
}

/* Instances of processes that are gone (a crash leaves its own behind). */
static int rh_witness_reap_stale(const char *name, void *ctx)
{
	const char *full = name;
	struct tracefs_instance *in;
	int pid;

	(void)ctx;
	if (strncmp(name, RH_WITNESS_PREFIX, strlen(RH_WITNESS_PREFIX)))
		return 0;
	name += strlen(RH_WITNESS_PREFIX);
	if (!strncmp(name, "sys-", 4))
		name += 4;
	pid = atoi(name);
	if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
		return 0;
	in = tracefs_instance_alloc(NULL, full);
	if (in) {
		tracefs_instance_destroy(in);
		tracefs_instance_free(in);
	}
	return 0;
}

static void rh_instance_drop(struct tracefs_instance **in)
{
	if (*in) {
		tracefs_trace_off(*in);
		tracefs_instance_destroy(*in);
		tracefs_instance_free(*in);
		*in = NULL;
	}
}

static void rh_witness_drop(void)
{
	rh_witness_reader_stop();
	rh_instance_drop(&w.in);
	rh_instance_drop(&w.sys);
	if (w.tep) {
		tep_free(w.tep);
		w.tep = NULL;
	}
}

/* atexit: never leave the instance (and its buffers) behind */
static void rh_witness_atexit(void)
{
	rh_witness_drop();
}

/*
 * The event parser, fed only the formats the witness reads: the header
 * page's and its events' (parsing whole systems costs a minute under
 * ASan: the syscalls system has hundreds of events).
 */
static struct tep_handle *rh_witness_tep(char *why, size_t why_len)
{
	struct tep_handle *tep = tep_alloc();
	int size = 0;
	char *buf;
	size_t i;

	if (!tep)
		return NULL;
	tep_set_long_size(tep, sizeof(long));
	tep_set_page_size(tep, (int)sysconf(_SC_PAGESIZE));
	tep_set_file_bigendian(tep, tep_is_local_bigendian(tep) ?
			       TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
	if (!buf || tep_parse_header_page(tep, buf, (unsigned long)size,
					  sizeof(long))) {
		snprintf(why, why_len, "cannot read the trace header page");
		goto err;
	}
	free(buf);
	for (i = 0; i < RH_NWEVENTS; i++) {
		buf = tracefs_event_file_read(NULL, rh_wevents[i].system,
					      rh_wevents[i].name, "format",
					      &size);
		if (!buf || tep_parse_event(tep, buf, (unsigned long)size,
					    rh_wevents[i].system)) {
			snprintf(why, why_len, "no tracepoint %s:%s in this "
				 "kernel", rh_wevents[i].system,
				 rh_wevents[i].name);
			goto err;
		}
		free(buf);
	}
	return tep;
err:
	free(buf);
	tep_free(tep);
	return NULL;
}

/* Find each event's id and fields in this kernel's format files. */
static int rh_witness_types(char *why, size_t why_len)
{
	size_t i;

	w.tep = rh_witness_tep(why, why_len);
	if (!w.tep)
		return -ENOENT;
	for (i = 0; i < RH_NWEVENTS; i++) {
		struct tep_event *e = tep_find_event_by_name(
			w.tep, rh_wevents[i].system, rh_wevents[i].name);
		struct rh_wtype *t = &w.type[i];

		if (!e) {
			snprintf(why, why_len, "no tracepoint %s:%s in this "
				 "kernel", rh_wevents[i].system,
				 rh_wevents[i].name);
			return -ENOENT;
		}
		t->id = e->id;
		t->ctx = tep_find_field(e, "ctx");
		t->req = tep_find_field(e, "req");
		t->ud = tep_find_field(e, "user_data");
		t->val = rh_wevents[i].f_val ?
			 tep_find_field(e, rh_wevents[i].f_val) : NULL;
		t->aux = rh_wevents[i].f_aux ?
			 tep_find_field(e, rh_wevents[i].f_aux) : NULL;
	}
	return 0;
}

/* A new instance, off, clock mono, buf_kb per CPU, no overwrite. */
static int rh_instance_new(struct tracefs_instance **inp, const char *tag,
			   size_t buf_kb, char *why, size_t why_len)
{
	char name[64];

	snprintf(name, sizeof(name), RH_WITNESS_PREFIX "%s%d", tag,
		 (int)getpid());
	*inp = tracefs_instance_create(name);
	if (!*inp) {
		snprintf(why, why_len, "cannot make a tracefs instance: %s",
			 strerror(errno));
		return -EIO;
	}
	tracefs_trace_off(*inp);
	if (tracefs_instance_file_write(*inp, "trace_clock", "mono") < 0 ||
	    tracefs_instance_set_buffer_size(*inp, buf_kb, -1) < 0 ||
	    tracefs_option_disable(*inp, TRACEFS_OPTION_OVERWRITE) < 0) {
		snprintf(why, why_len, "cannot set up the instance (clock "
			 "mono, %zu KiB per CPU, no overwrite)", buf_kb);
		return -EIO;
	}
	return 0;
}

static int rh_witness_record(struct tep_event *e, struct tep_record *rec,
			     int cpu, void *arg);

/* Move what both instances hold into w.ev (trace_pipe_raw: consumed). */
static void rh_witness_drain(void)
{
	tracefs_iterate_raw_events(w.tep, w.in, NULL, 0, rh_witness_record,
				   NULL);
	tracefs_iterate_raw_events(w.tep, w.sys, NULL, 0, rh_witness_record,
				   NULL);
}

/* The reader thread: drains every w.drain_ms until asked to stop. */
static void *rh_witness_reader(void *arg)
{
	struct timespec ts = { w.drain_ms / 1000,
			       (w.drain_ms % 1000) * 1000000 };

	(void)arg;
	while (!__atomic_load_n(&w.stop, __ATOMIC_ACQUIRE) && !w.oom) {
		nanosleep(&ts, NULL);
		rh_witness_drain();
	}
	return NULL;
}

/* Start the reader with every signal blocked (the program's are its own). */
int rh_witness_reader_start(void)
{
	sigset_t all, old;
	int ret;

	if (!w.in || w.reading || w.drain_ms <= 0)
		return 0;	/* before the mask: it must come back */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	w.stop = 0;
	ret = pthread_create(&w.reader, NULL, rh_witness_reader, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w.reading = !ret;
	return -ret;
}

void rh_witness_reader_stop(void)
{
	if (!w.reading)
		return;
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(w.reader, NULL);
	w.reading = false;
}

int rh_witness_start(size_t buf_kb, char *why, size_t why_len)
{
	const char *env = getenv("RH_WITNESS_BUF_KB");
	char pid[16];
	size_t i;

	if (w.in)
		return -EBUSY;
	if (geteuid() != 0) {
		snprintf(why, why_len, "not root: tracefs is root's");
		return -EPERM;
	}
	/* (tracefs_tracing_dir_is_mounted() leaks a string: not used) */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		snprintf(why, why_len, "tracefs is not mounted at "
			 "/sys/kernel/tracing and cannot be: %s",
			 strerror(errno));
		return -ENOENT;
	}
	if (!tracefs_tracing_dir()) {
		snprintf(why, why_len, "libtracefs finds no tracefs");
		return -ENOENT;
	}
	if (rh_witness_types(why, why_len)) {
		rh_witness_drop();
		return -ENOENT;
	}
	if (!buf_kb)
		buf_kb = env && atol(env) > 0 ? (size_t)atol(env) :
						RH_WITNESS_BUF_KB;
	tracefs_instances_walk(rh_witness_reap_stale, NULL);
	if (!w.atexit_set)
		w.atexit_set = !atexit(rh_witness_atexit);
	if (rh_instance_new(&w.in, "", buf_kb, why, why_len) ||
	    rh_instance_new(&w.sys, "sys-", buf_kb / 8 + 64, why, why_len)) {
		rh_witness_drop();
		return -EIO;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (tracefs_instance_file_write(w.sys, "set_event_pid", pid) < 0 ||
	    tracefs_option_enable(w.sys, TRACEFS_OPTION_EVENT_FORK) < 0) {
		snprintf(why, why_len, "cannot follow this process's threads "
			 "(set_event_pid, event-fork)");
		rh_witness_drop();
		return -EIO;
	}
	for (i = 0; i < RH_NWEVENTS; i++) {
		struct tracefs_instance *in =
			strcmp(rh_wevents[i].system, "syscalls") ? w.in : w.sys;

		if (tracefs_event_enable(in, rh_wevents[i].system,
					 rh_wevents[i].name) < 0) {
			snprintf(why, why_len, "cannot enable %s:%s",
				 rh_wevents[i].system, rh_wevents[i].name);
			rh_witness_drop();
			return -EIO;
		}
	}
	w.n = 0;
	w.oom = false;
	env = getenv("RH_WITNESS_DRAIN_MS");
	w.drain_ms = env && *env ? atol(env) : RH_WITNESS_DRAIN_MS;
	tracefs_trace_on(w.sys);
	tracefs_trace_on(w.in);
	return 0;
}

static uint64_t rh_field(struct tep_format_field *f, struct tep_record *rec)
{
	unsigned long long v = 0;

	if (f)
		tep_read_number_field(f, rec->data, &v);
	return v;
}

static int rh_witness_record(struct tep_event *e, struct tep_record *rec,
			     int cpu, void *arg)
{
	struct rh_kev *k;
	size_t i;

	(void)cpu;
	(void)arg;
	for (i = 0; i < RH_NWEVENTS && w.type[i].id != e->id; i++)
		;
	if (i == RH_NWEVENTS)
		return 0;
	if (w.n == w.cap) {
		size_t cap = w.cap ? w.cap * 2 : 65536;
		struct rh_kev *ev = realloc(w.ev, cap * sizeof(*ev));

		if (!ev) {
			w.oom = true;
			return 1;	/* stop: the check will fail closed */
		}
		w.ev = ev;
		w.cap = cap;
	}
	k = &w.ev[w.n];
	k->seq = (uint32_t)w.n++;
	k->ts = rec->ts;
	k->kind = (uint8_t)rh_wevents[i].kind;
	k->pid = tep_data_pid(w.tep, rec);
	k->ctx = rh_field(w.type[i].ctx, rec);
	k->req = rh_field(w.type[i].req, rec);
	k->ud = rh_field(w.type[i].ud, rec);
	k->val = (int32_t)rh_field(w.type[i].val, rec);
	k->aux = (uint32_t)rh_field(w.type[i].aux, rec);
	return 0;
}

/* Events the kernel could not keep: "overrun" and "dropped events". */
static uint64_t rh_witness_dropped(struct tracefs_instance *in)
{
	uint64_t lost = 0;
	long cpu, ncpu = sysconf(_SC_NPROCESSORS_CONF);

	for (cpu = 0; cpu < ncpu; cpu++) {
		char path[64], *stats, *p;

		snprintf(path, sizeof(path), "per_cpu/cpu%ld/stats", cpu);
		stats = tracefs_instance_file_read(in, path, NULL);
		if (!stats)
			continue;
		if ((p = strstr(stats, "overrun:")))
			lost += strtoull(p + 8, NULL, 10);
		if ((p = strstr(stats, "dropped events:")))
			lost += strtoull(p + 15, NULL, 10);
		free(stats);
	}
	return lost;
}

static int rh_kev_cmp(const void *a, const void *b)
{
	const struct rh_kev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;	/* as read */
}

int rh_witness_collect(struct rh_kev **evp, size_t *np, uint64_t *lost,
		       uint64_t *read_ns)
{
	uint64_t t0 = rc_now_ns();

	*evp = NULL;
	*np = 0;
	*lost = 0;
	if (!w.in)
		return -ENODEV;
	tracefs_trace_off(w.in);
	tracefs_trace_off(w.sys);
	rh_witness_reader_stop();
	*lost = rh_witness_dropped(w.in) + rh_witness_dropped(w.sys);
	rh_witness_drain();
	if (w.oom)
		*lost += 1;	/* could not keep them all: fail closed */
	/* per-CPU streams, merged; equal stamps keep their read order */
	qsort(w.ev, w.n, sizeof(*w.ev), rh_kev_cmp);
	*evp = w.ev;
	*np = w.n;
	w.ev = NULL;
	w.n = w.cap = 0;
	rh_witness_drop();
	*read_ns = rc_now_ns() - t0;
	return 0;
}
