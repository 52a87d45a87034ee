/* SPDX-License-Identifier: MIT */
/*
 * The buffer strategies by name, for the command, the tools and the
 * harness.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

int rc_buf_strategy_by_name(const char *name, const struct rc_buf_ops **ops)
{
	static const struct rc_buf_ops *const all[] = {
		&rc_buf_strategy_heap, &rc_buf_strategy_pool,
		&rc_buf_strategy_fixed, &rc_buf_strategy_ring,
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (name && !strcmp(name, all[i]->name)) {
			*ops = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

