/* SPDX-License-Identifier: MIT */
/*
 * ringcheck's library: start-up (options from the launcher's
 * environment), the lock, the way to the real functions, and the end of
 * the process (rings never seen, the summary when run without the
 * launcher).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rk.h"

struct rk_state rk = {
	.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
	.out = 2,
	.exitcode = 66,
	.stacks = true,
};

static struct rk_shared rk_private;	/* no launcher: counts kept here */
static __thread int rk_depth;
static bool rk_ready;

bool rk_enter(void)
{
	if (rk_depth)
		return false;
	rk_depth++;
	if (!rk_ready)
		rk_init();
	pthread_mutex_lock(&rk.lock);
	return true;
}

void rk_leave(void)
{
	pthread_mutex_unlock(&rk.lock);
	rk_depth--;
}

void *rk_real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void rk_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0 && write(rk.out, line, (size_t)n) < 0)
		return;
}

static long rk_env_num(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* The launcher's page, or a private one. */
static void rk_init_shared(void)
{
	long fd = rk_env_num("RINGCHECK_SHM", -1);
	void *p = MAP_FAILED;

	if (fd >= 0)
		p = mmap(NULL, sizeof(struct rk_shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED, (int)fd, 0);
	if (p != MAP_FAILED &&
	    ((struct rk_shared *)p)->magic == RK_SHARED_MAGIC) {
		rk.sh = p;
	} else {
		rk.sh = &rk_private;
		rk.standalone = true;
	}
	rk_shared_add(rk.sh, procs, 1);
}

/*
 * Once, first thing (the constructor, or the first call that comes
 * before it): where reports go, the options, the unwinder loaded (its
 * first use allocates).
 */
void rk_init(void)
{
	long fd;
	void *bt[2];

	if (rk_ready)
		return;
	rk_ready = true;
	fd = rk_env_num("RINGCHECK_LOG_FD", -1);
	if (fd >= 0 && fcntl((int)fd, F_GETFD) >= 0)
		rk.out = (int)fd;
	else if ((fd = fcntl(2, F_DUPFD_CLOEXEC, 900)) >= 0)
		rk.out = (int)fd;	/* a program closing 2 keeps its reports */
	rk.exitcode = (int)rk_env_num("RINGCHECK_EXITCODE", 66);
	rk.stacks = rk_env_num("RINGCHECK_STACKS", 1) != 0;
	rk_init_shared();
	backtrace(bt, 2);
	if (rk_env_num("RINGCHECK_TRAP", 0)) {
		int ret = rk_trap_start();

		if (ret)
			rk_say("ringcheck: --trap-enters: cannot trap "
			       "io_uring_enter (%s): enters made by the "
			       "program's own instructions are not seen\n",
			       strerror(-ret));
	}
}

/* io_uring fds this process has that ringcheck never saw set up. */
static void rk_unseen_rings(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], link[64];

	if (!d)
		return;
	while ((e = readdir(d))) {
		ssize_t n;
		int fd = atoi(e->d_name);

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[io_uring]") || rk_ring_by_fd(fd))
			continue;
		rk_say("ringcheck: limit: io_uring fd %d (pid %d) was never "
		       "seen being set up (liburing linked statically, or "
		       "its own system calls): its requests were not "
		       "checked\n", fd, (int)getpid());
		rk_shared_add(rk.sh, unseen_rings, 1);
	}
	closedir(d);
}

__attribute__((constructor)) static void rk_ctor(void)
{
	if (rk_enter())
		rk_leave();
}

__attribute__((destructor)) static void rk_dtor(void)
{
	const struct rk_shared *s = rk.sh;

	if (!rk_enter())
		return;
	rk_ring_reap_all();
	rk_unseen_rings();
	if (rk.standalone) {
		rk_say("ringcheck: %llu rings, %llu requests (%llu completions "
		       "seen), %llu releases checked, %llu reports\n",
		       (unsigned long long)s->rings,
		       (unsigned long long)s->requests,
		       (unsigned long long)s->completions,
		       (unsigned long long)s->releases,
		       (unsigned long long)s->reports);
		if (s->reports) {
			rk_leave();
			_exit(rk.exitcode);
		}
	}
	rk_leave();
}
