/* SPDX-License-Identifier: MIT */
/*
 * Description: when io_uring cannot be set up (a seccomp filter answering
 * EPERM or ENOSYS, as container runtimes do) the engine returns the errno
 * and an explanation that names the cause and what to do, and the ringcp
 * command says so in one line and copies with its synchronous fallback.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "testutil.h"

/* Make io_uring_setup fail with err in this process and its children. */
static void deny_io_uring_setup(int err)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	ASSERT_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ASSERT_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

static void check_denied(int err)
{
	struct rc_ring *r = NULL;
	const char *advice;

	deny_io_uring_setup(err);
	ASSERT_EQ(rc_ring_create(&r, NULL), -err);
	ASSERT_TRUE(r == NULL);
	advice = rc_setup_advice(-err);
	TH_LOG("advice: %s", advice);
	EXPECT_TRUE(strstr(advice, "seccomp") != NULL);
	EXPECT_TRUE(strstr(advice, "io_uring") != NULL);
}

TEST(seccomp_eperm_is_explained)
{
	check_denied(EPERM);
}

TEST(seccomp_enosys_is_explained)
{
	check_denied(ENOSYS);
}

/* issue 16: where io_uring is refused ringcp copies with its synchronous
 * fallback, saying why in one line (it exited 4 and copied nothing) */
TEST(ringcp_falls_back_when_io_uring_is_denied)
{
	const char *ringcp = getenv("RINGCP");
	char src[64], dst[80], out[2048];
	int fd, p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (!ringcp)
		SKIP("RINGCP (path of the ringcp binary) not set");
	fd = t_temp_file(src, sizeof(src), 100, 's');
	close(fd);
	snprintf(dst, sizeof(dst), "%s.copy", src);
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		dup2(p[1], 2);
		deny_io_uring_setup(EPERM);
		execl(ringcp, "ringcp", src, dst, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	waitpid(pid, &status, 0);
	TH_LOG("stderr: %s", out);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_TRUE(strstr(out, "cannot set up io_uring") != NULL);
	EXPECT_TRUE(strstr(out, "synchronous fallback") != NULL);
	EXPECT_TRUE(strstr(out, "seccomp") != NULL);
	EXPECT_EQ(access(dst, F_OK), 0);	/* the copy was made */
	unlink(src);
	unlink(dst);
}
