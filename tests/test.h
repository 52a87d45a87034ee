/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness in the manner of kselftest_harness.h:
 *
 *	TEST(name) { ASSERT_EQ(a, b); EXPECT_TRUE(x); SKIP("why"); }
 *
 * Every test runs in its own forked child, so a crash or a hang fails that
 * test only; a child that does not finish in T_TIMEOUT_S seconds is
 * killed and reported as timed out.  The child ends through exit(), so
 * LeakSanitizer checks it.  Output is TAP; the program exits 0 if no test
 * failed, 1 otherwise.
 *   ASSERT_*: report and end the test now (failed).
 *   EXPECT_*: report, mark the test failed, go on.
 *   SKIP(): end the test as skipped with a reason (exit code 77).
 */
#ifndef T_TEST_H
#define T_TEST_H

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef T_TIMEOUT_S
#define T_TIMEOUT_S 60
#endif
#define T_MAX 128
#define T_SKIP_CODE 77

struct t_case {
	const char *name;
	void (*fn)(void);
};

static struct t_case t_cases[T_MAX];
static int t_count;
static bool t_failed;

static inline void t_register(const char *name, void (*fn)(void))
{
	if (t_count < T_MAX)
		t_cases[t_count++] = (struct t_case){ name, fn };
}

#define TEST(name)							\
	static void rc_test_##name(void);				\
	__attribute__((constructor)) static void t_reg_##name(void) \
	{								\
		t_register(#name, rc_test_##name);		\
	}								\
	static void rc_test_##name(void)

#define T_FAIL(fmt, ...)						\
	do {								\
		printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__,	\
		       ##__VA_ARGS__);					\
		fflush(stdout);						\
		t_failed = true;					\
	} while (0)

#define T_CMP(a, op, b, fatal)					\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (!(_a op _b)) {					\
			T_FAIL("expected %s %s %s: %lld vs %lld",	\
				     #a, #op, #b, _a, _b);		\
			if (fatal)					\
				exit(1);				\
		}							\
	} while (0)

#define ASSERT_EQ(a, b) T_CMP(a, ==, b, true)
#define ASSERT_NE(a, b) T_CMP(a, !=, b, true)
#define ASSERT_GE(a, b) T_CMP(a, >=, b, true)
#define ASSERT_GT(a, b) T_CMP(a, >, b, true)
#define ASSERT_LE(a, b) T_CMP(a, <=, b, true)
#define ASSERT_LT(a, b) T_CMP(a, <, b, true)
#define ASSERT_TRUE(x) T_CMP(!!(x), ==, 1, true)
#define ASSERT_FALSE(x) T_CMP(!!(x), ==, 0, true)
#define EXPECT_EQ(a, b) T_CMP(a, ==, b, false)
#define EXPECT_NE(a, b) T_CMP(a, !=, b, false)
#define EXPECT_GE(a, b) T_CMP(a, >=, b, false)
#define EXPECT_GT(a, b) T_CMP(a, >, b, false)
#define EXPECT_LE(a, b) T_CMP(a, <=, b, false)
#define EXPECT_LT(a, b) T_CMP(a, <, b, false)
#define EXPECT_TRUE(x) T_CMP(!!(x), ==, 1, false)
#define EXPECT_FALSE(x) T_CMP(!!(x), ==, 0, false)

#define SKIP(fmt, ...)							\
	do {								\
		printf("#   SKIP: " fmt "\n", ##__VA_ARGS__);		\
		fflush(stdout);						\
		exit(T_SKIP_CODE);				\
	} while (0)

#define TH_LOG(fmt, ...)						\
	do {								\
		printf("#   " fmt "\n", ##__VA_ARGS__);			\
		fflush(stdout);						\
	} while (0)

static int t_run_one(const struct t_case *t, int num)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d - %s # fork failed\n", num, t->name);
		return 1;
	}
	if (pid == 0) {
		alarm(T_TIMEOUT_S);
		t->fn();
		exit(t_failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d - %s\n", num, t->name);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == T_SKIP_CODE) {
		printf("ok %d - %s # SKIP\n", num, t->name);
		return 0;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		printf("not ok %d - %s # TIMEOUT after %d s\n", num, t->name,
		       T_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		printf("not ok %d - %s # killed by signal %d\n", num, t->name,
		       WTERMSIG(status));
	else
		printf("not ok %d - %s # exit %d\n", num, t->name,
		       WEXITSTATUS(status));
	return 1;
}

/* Run every test, or only those named on the command line. */
int main(int argc, char **argv)
{
	int i, j, failed = 0, num = 0, planned = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < t_count; i++) {
		bool pick = argc < 2;

		for (j = 1; j < argc; j++)
			pick |= !strcmp(argv[j], t_cases[i].name);
		planned += pick;
	}
	printf("1..%d\n", planned);
	for (i = 0; i < t_count; i++) {
		bool pick = argc < 2;

		for (j = 1; j < argc; j++)
			pick |= !strcmp(argv[j], t_cases[i].name);
		if (pick)
			failed += t_run_one(&t_cases[i], ++num);
	}
	return failed ? 1 : 0;
}

#endif
