/* SPDX-License-Identifier: MIT */
/*
 * Temporary names, ".<base>.ringcp-XXXXXXXX": a file or directory that is
 * not complete yet never holds a final name.  A rerun recognises them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ringcp/copy.h"

int rc_temp_name(const char *base, char *tmp, size_t size)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)rand() ^ (uint32_t)getpid();
	if ((size_t)snprintf(tmp, size, ".%.*s.ringcp-%08x", RC_TEMP_BASE_MAX,
			     base, rnd) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* rc_temp_name keeps RC_TEMP_BASE_MAX bytes of the base: so does this. */
bool rc_is_temp_name(const char *name, const char *base)
{
	size_t n = strlen(name), i;

	if (name[0] != '.' || n < 1 + 1 + 8 + 8)
		return false;
	if (base && (n - 17 != (strlen(base) < RC_TEMP_BASE_MAX ?
				 strlen(base) : RC_TEMP_BASE_MAX) ||
		     memcmp(name + 1, base, n - 17)))
		return false;
	if (memcmp(name + n - 16, ".ringcp-", 8))
		return false;
	for (i = n - 8; i < n; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

