/* SPDX-License-Identifier: MIT */
/*
 * ringcheck [options] PROGRAM [ARGS...]: run PROGRAM with libringcheck.so
 * preloaded (it and every program it starts), then say what was found.
 * The library reports each memory release or fd close that a request in
 * flight still needs; this launcher refuses what it cannot check (a
 * static binary), shares a page of counts with the library, prints the
 * summary and turns any report into the exit code.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rk_shared.h"
#include "verdict.h"

static const char usage_text[] =
"Usage: ringcheck [options] PROGRAM [ARGS...]\n"
"Run PROGRAM (any dynamically linked program using io_uring through\n"
"liburing's shared library or libc's syscall()) and report every release\n"
"of memory or fd that a request the kernel holds still uses: free,\n"
"realloc, munmap, mremap, madvise(DONTNEED/FREE/REMOVE) of a buffer,\n"
"iovec buffer, statx buffer or socket address of a request without its\n"
"CQE, and a longjmp or a thread's end popping the stack it is on; close,\n"
"dup2, dup3, close_range, fclose, closedir, IORING_OP_CLOSE of an fd such\n"
"a request names; registered buffers unregistered under a fixed read or\n"
"write; the same for SQEs queued but not yet submitted; and releases\n"
"after a ring's teardown of what its unfinished requests held.  Memory a\n"
"report names is kept (not freed) so the program can go on.\n"
"\n"
"Options:\n"
"  --exitcode=N   exit status when anything was reported (default 66)\n"
"  --log=FILE     reports and the summary to FILE instead of stderr\n"
"  --no-stacks    do not record where each request was submitted (faster)\n"
"  --no-witness   as root, do not record the kernel's io_uring events\n"
"                 (without them, a release after a ring's teardown under a\n"
"                 request not seen completing is reported as unknown)\n"
"  --trap-enters  also see io_uring_enter made by the program's own system\n"
"                 call instructions (fio's): a seccomp filter traps them\n"
"                 (a signal per enter; sets no_new_privs, so a setuid\n"
"                 program it runs gains nothing)\n"
"  -q, --quiet    no summary when nothing was reported\n"
"  -h, --help     this text\n"
"\n"
"Exit status: PROGRAM's own (128+N for signal N), or --exitcode's value\n"
"if anything was reported; 2 for ringcheck's own errors (bad options, a\n"
"static or missing PROGRAM).\n"
"\n"
"Cannot see: statically linked programs (refused), liburing linked\n"
"statically (said at exit: io_uring fds never seen set up), stack memory\n"
"popped by a function's return (a longjmp and a thread's end are seen),\n"
"memory reused without a release (buffer pools), a buffer freed before\n"
"any SQE names it (ASan's job), registered files and buffer slot updates,\n"
"requests without a CQE (IOSQE_CQE_SKIP_SUCCESS: counted, not checked);\n"
"without root, whether the kernel finished a request of a ring torn down\n"
"before its CQE (reported as unknown; as root the kernel's tracepoints\n"
"answer at exit: withdrawn or confirmed).  SQPOLL rings are read best\n"
"effort; enters made by the program's own instructions (fio) only with\n"
"--trap-enters.  See docs/ringcheck.md.\n";

struct opts {
	int exitcode;
	const char *log;
	int stacks;
	int quiet;
	int trap;
	int witness;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "exitcode", required_argument, NULL, 'e' },
		{ "log", required_argument, NULL, 'l' },
		{ "no-stacks", no_argument, NULL, 's' },
		{ "trap-enters", no_argument, NULL, 't' },
		{ "no-witness", no_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+qh", lo, NULL)) != -1) {
		switch (c) {
		case 'e':
			errno = 0;
			o->exitcode = (int)strtol(optarg, &end, 10);
			if (errno || *end || o->exitcode < 1 ||
			    o->exitcode > 255) {
				fprintf(stderr, "ringcheck: --exitcode=%s: "
					"want a number 1..255\n", optarg);
				return -1;
			}
			break;
		case 'l':
			o->log = optarg;
			break;
		case 's':
			o->stacks = 0;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 't':
			o->trap = 1;
			break;
		case 'w':
			o->witness = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs("Try 'ringcheck --help'.\n", stderr);
			return -1;
		}
	}
	if (optind == argc) {
		fputs("ringcheck: no PROGRAM to run\nTry 'ringcheck --help'.\n",
		      stderr);
		return -1;
	}
	return optind;
}

/* PROGRAM as execvp would find it, into path. */
static int find_program(const char *name, char *path, size_t len)
{
	const char *dirs = getenv("PATH");
	const char *p, *e;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return access(path, X_OK) ? -errno : 0;
	}
	for (p = dirs ? dirs : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		snprintf(path, len, "%.*s/%s", (int)(e - p), *p ? p : ".",
			 name);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

/*
 * An ELF executable without PT_INTERP is static: nothing preloads into
 * it.  1: static; 0: dynamic, a script, or not ELF (left to exec).
 */
static int is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i, ret = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	ret = 1;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    (Elf64_Off)i * eh.e_phentsize)) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			ret = 0;
	}
out:
	close(fd);
	return ret;
}

/* libringcheck.so beside this program (or $RINGCHECK_LIB). */
static int find_lib(char *lib, size_t len)
{
	const char *env = getenv("RINGCHECK_LIB");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (env && *env) {
		snprintf(lib, len, "%s", env);
		return access(lib, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(lib, len, "%s/libringcheck.so", self);
	return access(lib, R_OK) ? -errno : 0;
}

static void setenv_num(const char *name, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	setenv(name, buf, 1);
}

/* The environment the program runs in: our library first. */
static int set_env(const char *lib, const struct opts *o, int shm, int log)
{
	const char *old = getenv("LD_PRELOAD");
	char *pre;

	if (old && *old) {
		if (asprintf(&pre, "%s:%s", lib, old) < 0)
			return -ENOMEM;
	} else if (!(pre = strdup(lib))) {
		return -ENOMEM;
	}
	setenv("LD_PRELOAD", pre, 1);
	free(pre);
	setenv_num("RINGCHECK_SHM", shm);
	setenv_num("RINGCHECK_EXITCODE", o->exitcode);
	setenv_num("RINGCHECK_STACKS", o->stacks);
	setenv_num("RINGCHECK_TRAP", o->trap);
	if (log >= 0)
		setenv_num("RINGCHECK_LOG_FD", log);
	return 0;
}

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static void summary(FILE *out, const char *prog, const struct rk_shared *s)
{
	fprintf(out, "ringcheck: %s: %llu ring%s, %llu request%s (%llu "
		"completion%s seen), %llu release%s checked, %llu report%s",
		prog, (unsigned long long)s->rings, s->rings == 1 ? "" : "s",
		(unsigned long long)s->requests, s->requests == 1 ? "" : "s",
		(unsigned long long)s->completions,
		s->completions == 1 ? "" : "s",
		(unsigned long long)s->releases, s->releases == 1 ? "" : "s",
		(unsigned long long)s->reports, s->reports == 1 ? "" : "s");
	if (s->unchecked)
		fprintf(out, "; %llu request%s not checked (CQE_SKIP_SUCCESS, "
			"or a CQE ringcheck may have missed)",
			(unsigned long long)s->unchecked,
			s->unchecked == 1 ? "" : "s");
	if (s->unseen_rings)
		fprintf(out, "; %llu io_uring fd%s never seen set up (not "
			"checked)", (unsigned long long)s->unseen_rings,
			s->unseen_rings == 1 ? "" : "s");
	if (s->cq_lost)
		fprintf(out, "; %llu CQEs reaped before ringcheck read them",
			(unsigned long long)s->cq_lost);
	if (!s->procs)
		fprintf(out, "; the library never loaded (setuid program?): "
			"nothing was checked");
	fputc('\n', out);
}

/* The page of counts, as an fd the program inherits. */
static int shared_page(struct rk_shared **sp)
{
	int shm = memfd_create("ringcheck", 0);
	struct rk_shared *s;

	if (shm < 0 || ftruncate(shm, sizeof(*s)))
		return -errno;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	if (s == MAP_FAILED)
		return -errno;
	s->magic = RK_SHARED_MAGIC;
	*sp = s;
	return shm;
}

static int run(char **argv, const struct opts *o, FILE *out,
	       struct rk_shared *s)
{
	char why[256] = "";
	int status;

	if (o->witness && geteuid() == 0)
		s->witness = !rk_verdict_start(why, sizeof(why));

	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "ringcheck: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (s->witness)
		s->reports -= rk_verdict_end(out, s);
	else if (s->norphans)
		fprintf(out, "ringcheck: witness off (%s): orphan reports "
			"stay unknown\n", why[0] ? why : o->witness ?
			"not root" : "--no-witness");
	if (s->reports || !o->quiet)
		summary(out, argv[0], s);
	if (s->reports)
		return o->exitcode;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct opts o = { .exitcode = 66, .stacks = 1, .witness = 1 };
	char lib[PATH_MAX], path[PATH_MAX];
	struct rk_shared *s = NULL;
	FILE *out = stderr;
	int i, log = -1, shm, ret;

	i = parse(argc, argv, &o);
	if (i < 0)
		return 2;
	if ((ret = find_lib(lib, sizeof(lib)))) {
		fprintf(stderr, "ringcheck: cannot find libringcheck.so (%s): "
			"%s\n", lib, strerror(-ret));
		return 2;
	}
	if (find_program(argv[i], path, sizeof(path))) {
		fprintf(stderr, "ringcheck: %s: no such program\n", argv[i]);
		return 2;
	}
	if (is_static(path)) {
		fprintf(stderr, "ringcheck: %s is statically linked: a "
			"preloaded library cannot reach it, nothing could be "
			"checked\n", path);
		return 2;
	}
	if (o.log) {
		log = open(o.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
			   0644);
		if (log < 0 || !(out = fdopen(dup(log), "w"))) {
			fprintf(stderr, "ringcheck: --log=%s: %s\n", o.log,
				strerror(errno));
			return 2;
		}
	}
	shm = shared_page(&s);
	if (shm < 0 || set_env(lib, &o, shm, log)) {
		fprintf(stderr, "ringcheck: cannot share a page with %s: %s\n",
			argv[i], strerror(shm < 0 ? -shm : ENOMEM));
		return 2;
	}
	ret = run(argv + i, &o, out, s);
	if (ret < 0) {
		fprintf(stderr, "ringcheck: cannot run %s: %s\n", argv[i],
			strerror(-ret));
		return 2;
	}
	fflush(out);
	return ret;
}
