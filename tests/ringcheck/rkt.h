/* SPDX-License-Identifier: MIT */
/*
 * Helpers of ringcheck's test programs (tests/ringcheck/): each is a
 * small io_uring program with one published bug shape, and the same
 * program done right when given "fixed" as its argument.  They print
 * nothing on success and die with a message on an unexpected answer.
 */
#ifndef RKT_H
#define RKT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define t_die(...) do {						\
	fprintf(stderr, __VA_ARGS__);				\
	fputc('\n', stderr);					\
	exit(1);						\
} while (0)

#define t_ok(expr) do {						\
	long t_ret_ = (long)(expr);				\
	if (t_ret_ < 0)						\
		t_die("%s: %s", #expr, strerror((int)-t_ret_));	\
} while (0)

/* argv[1] == "fixed": the program does it right */
static inline int t_fixed(int argc, char **argv)
{
	return argc > 1 && !strcmp(argv[1], "fixed");
}

#endif
