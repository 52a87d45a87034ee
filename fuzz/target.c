/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle fuzz target (libFuzzer): each input is decoded into a
 * program of engine operations (lifecycle.c) and run under the harness;
 * the oracle is ASan/UBSan, the harness' ledger and detectors, the fd
 * count and LeakSanitizer at the end of every input, and the decoder's
 * own checks of what the engine hands back.  A finding prints the program
 * in readable form and aborts (libFuzzer keeps the input as crash-*).
 *
 * Replay one input with its program printed step by step:
 *	FZ_VERBOSE=1 build/fuzz/lifecycle crash-...
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>

#include "checksum.h"
#include "harness.h"
#include "lifecycle.h"

int fz_dir_fd = -1;
char fz_dir[64];
static struct fz_state fz_cur;
static bool fz_in_input;

static void fz_cleanup_dir(void);

static void fz_print_program(void)
{
	if (!fz_in_input)
		return;
	fprintf(stderr, "==== lifecycle program (%zu input bytes, %zu decoded) "
		"====\n%s==== end of program ====\n", fz_cur.size, fz_cur.pos,
		fz_cur.log);
}

void fz_fail(struct fz_state *s, const char *fmt, ...)
{
	va_list ap;

	(void)s;
	fprintf(stderr, "FUZZ VIOLATION: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fz_print_program();
	fz_in_input = false;	/* printed once */
	fz_cleanup_dir();	/* abort() runs no atexit handler */
	abort();
}

/* Sanitizer reports end the process: show the program first. */
static void fz_death(void)
{
	fz_print_program();
	fz_cleanup_dir();
}

static void fz_rm_made(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "new", 3) ||
		    !strncmp(de->d_name, "lnk", 3) ||
		    !strncmp(de->d_name, "pump", 4))
			unlinkat(fz_dir_fd, de->d_name, 0);
	closedir(d);
}

static void fz_cleanup_dir(void)
{
	fz_rm_made();
	unlinkat(fz_dir_fd, "data", 0);
	unlinkat(fz_dir_fd, "src", 0);
	rmdir(fz_dir);
	fz_tree_cleanup();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	/* the witness opens a tracefs instance per input: too slow here
	 * (FZ_WITNESS=1 turns it on) */
	if (!getenv("FZ_WITNESS"))
		setenv("RH_WITNESS", "0", 0);
	/* the pid in the name: a run that dies by a sanitizer's report
	 * leaves it behind, and the driver removes those of dead processes */
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/rc-fuzz-%d-XXXXXX", getpid());
	if (!mkdtemp(fz_dir)) {
		perror("fuzz: mkdtemp");
		exit(2);
	}
	fz_dir_fd = open(fz_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = openat(fz_dir_fd, "data", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fz_dir_fd < 0 || fd < 0 || rh_fill_fd(fd, FZ_FILE_LEN, 1) < 0) {
		perror("fuzz: data file");
		exit(2);
	}
	close(fd);
	fd = openat(fz_dir_fd, "src", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || rh_fill_fd(fd, FZ_FILE_LEN, 2) < 0) {
		perror("fuzz: src file");
		exit(2);
	}
	close(fd);
	fz_tree_init();
	atexit(fz_cleanup_dir);
	__sanitizer_set_death_callback(fz_death);
	return 0;
}

static void fz_pipes(struct fz_fds *f)
{
	char chunk[4096] = { 0 };
	int hp[2], fp[2];

	if (pipe2(hp, O_CLOEXEC) || pipe2(fp, O_CLOEXEC | O_NONBLOCK)) {
		perror("fuzz: pipes");
		exit(2);
	}
	fcntl(hp[1], F_SETFL, O_NONBLOCK);	/* releases never block */
	while (write(fp[1], chunk, sizeof(chunk)) > 0)	/* fill it */
		;
	fcntl(fp[1], F_SETFL, 0);		/* io_uring writes then wait */
	f->hold_r = hp[0];
	f->hold_w = hp[1];
	f->full_w = fp[1];
	f->full_r = fp[0];
}

static void fz_input_start(struct fz_state *s, const uint8_t *data,
			   size_t size)
{
	struct rh_harness_opts o = {
		.scenario = "fuzz_lifecycle",
		.quiet = true,
		.quarantine_bytes = 16u << 20,
	};
	struct sigaction segv;
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->in = data;
	s->size = size;
	for (i = 0; i < FZ_SLOTS; i++)
		s->slot[i] = (struct fz_slot){ .opcode = 0xff, .fd = -1 };
	/* the harness' SIGSEGV handler is for programs that touch freed
	 * buffers (this one never does); ASan's reports a fault with a stack
	 * and lets libFuzzer keep the input */
	sigaction(SIGSEGV, NULL, &segv);
	rh_harness_start(&o);
	sigaction(SIGSEGV, &segv, NULL);
	s->fds.data = openat(fz_dir_fd, "data", O_RDWR | O_CLOEXEC);
	if (s->fds.data < 0) {
		perror("fuzz: data file");
		exit(2);
	}
	fz_pipes(&s->fds);
}

/* Everything the input made is given back; then the harness' verdict. */
static void fz_input_end(struct fz_state *s)
{
	unsigned i;

	if (s->stall_on && !s->stall_released) {
		/* a teardown now would leak the ring: let the read finish */
		rh_stall_release(&s->stall, 0);
		s->stall_released = true;
	}
	fz_ring_destroy(s);
	if (s->stall_on)
		rh_stall_destroy(&s->stall);
	for (i = 0; i < s->fds.n_opened; i++)
		close(s->fds.opened[i]);
	if (s->pump_st != FZ_PUMP_NONE) {
		close(s->pump_src);
		close(s->pump_dst);
	}
	/* a leaked ring keeps its own fd; a stalled read's names the data */
	if (s->leaked || s->leaked_slow)
		rh_harness_fds_kept((int)(s->leaked + s->leaked_slow));
	if (!s->leaked)
		close(s->fds.data);
	close(s->fds.hold_r);
	close(s->fds.hold_w);
	close(s->fds.full_r);
	close(s->fds.full_w);
	if (s->made)
		fz_rm_made();
	if (rh_harness_finish())
		fz_fail(s, "the harness found %llu violation(s) (above)",
			(unsigned long long)rh_harness_summary()->violations);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_state *s = &fz_cur;

	fz_input_start(s, data, size);
	fz_in_input = true;
	fz_run(s);
	fz_input_end(s);
	fz_in_input = false;
	if (getenv("FZ_VERBOSE"))
		fprintf(stderr, "fz: input done, no violation\n");
	return 0;
}
