/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stall.h"

/* Open the userfaultfd and register s->area (MISSING mode). */
static int rh_stall_register(struct rh_stall *s)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	int ret;

	s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0)
		return -errno;
	if (ioctl(s->uffd, UFFDIO_API, &api) < 0)
		goto err;
	reg.range.start = (unsigned long)s->area;
	reg.range.len = s->len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(s->uffd, UFFDIO_REGISTER, &reg) < 0)
		goto err;
	return 0;
err:
	ret = -errno;
	close(s->uffd);
	s->uffd = -1;
	return ret;
}

int rh_stall_create(struct rh_stall *s, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	memset(s, 0, sizeof(*s));
	s->uffd = -1;
	s->len = (len + page - 1) & ~(page - 1);
	s->area = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		return -errno;
	}
	s->owned = true;
	ret = rh_stall_register(s);
	if (ret)
		rh_stall_destroy(s);
	return ret;
}

int rh_stall_attach(struct rh_stall *s, void *area, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->area = area;
	s->len = len;
	return rh_stall_register(s);
}

int rh_stall_wait_fault(struct rh_stall *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	struct uffd_msg msg;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIME;
	while (read(s->uffd, &msg, sizeof(msg)) == sizeof(msg))
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			s->faults++;
	return s->faults ? 0 : -EAGAIN;
}

int rh_stall_release(struct rh_stall *s, int fill)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off;
	char *src = malloc(page);
	int ret = 0;

	if (!src)
		return -ENOMEM;
	memset(src, fill, page);
	for (off = 0; off < s->len; off += page) {
		struct uffdio_copy copy = {
			.dst = (unsigned long)s->area + off,
			.src = (unsigned long)src,
			.len = page,
		};

		/* EEXIST: that page is already there */
		if (ioctl(s->uffd, UFFDIO_COPY, &copy) < 0 && errno != EEXIST) {
			ret = -errno;
			break;
		}
	}
	free(src);
	return ret;
}

void rh_stall_destroy(struct rh_stall *s)
{
	if (s->area && s->owned)
		munmap(s->area, s->len);
	if (s->uffd >= 0)
		close(s->uffd);
	s->area = NULL;
	s->uffd = -1;
}
