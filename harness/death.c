/* SPDX-License-Identifier: MIT */
/*
 * The sanitizer's death callback, shared by the hooks of death.h.
 */
#include <errno.h>

#include "death.h"
#include "sanitizer.h"

#define RH_DEATH_MAX 8

static void (*rh_death_fn[RH_DEATH_MAX])(void);
static unsigned rh_death_n;

#ifdef RH_HAVE_ASAN
static void rh_death_run(void)
{
	for (unsigned i = 0; i < rh_death_n; i++)
		rh_death_fn[i]();
}
#endif

int rh_on_death(void (*fn)(void))
{
	for (unsigned i = 0; i < rh_death_n; i++)
		if (rh_death_fn[i] == fn)
			return 0;
	if (rh_death_n == RH_DEATH_MAX)
		return -ENOSPC;
	rh_death_fn[rh_death_n++] = fn;
#ifdef RH_HAVE_ASAN
	if (rh_death_n == 1)
		__sanitizer_set_death_callback(rh_death_run);
#endif
	return 0;
}
