/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "checksum.h"

#define RH_CHUNK (1u << 20)

int rh_checksum_fd(int fd, uint64_t len, uint64_t *sum)
{
	unsigned char *buf = malloc(RH_CHUNK);
	uint64_t h = 0xcbf29ce484222325ull, off = 0;
	ssize_t n, i;

	if (!buf)
		return -ENOMEM;
	while (off < len) {
		size_t want = len - off < RH_CHUNK ? len - off : RH_CHUNK;

		n = pread(fd, buf, want, (off_t)off);
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		for (i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ull;
		}
		off += (uint64_t)n;
	}
	free(buf);
	*sum = h;
	return 0;
}

int rh_fill_fd(int fd, uint64_t len, uint64_t seed)
{
	uint64_t *buf = malloc(RH_CHUNK), off = 0, x = seed;
	size_t i;

	if (!buf)
		return -ENOMEM;
	while (off < len) {
		size_t want = len - off < RH_CHUNK ? len - off : RH_CHUNK;

		for (i = 0; i < RH_CHUNK / 8; i++) {
			uint64_t z = (x += 0x9e3779b97f4a7c15ull);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			buf[i] = z ^ (z >> 31);
		}
		if (pwrite(fd, buf, want, (off_t)off) != (ssize_t)want) {
			free(buf);
			return -EIO;
		}
		off += want;
	}
	free(buf);
	return 0;
}
