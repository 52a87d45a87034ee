/* SPDX-License-Identifier: MIT */
/*
 * The launcher's use of the kernel's witness (verdict.c): start it before
 * the program, and at the end answer each orphan report.
 */
#ifndef RK_VERDICT_H
#define RK_VERDICT_H

#include <stddef.h>
#include <stdio.h>

#include "rk_shared.h"

/* Record the kernel's io_uring events from now (root): 0 or -errno, why. */
int rk_verdict_start(char *why, size_t len);

/* Stop, and say for each orphan report of s whether the kernel had
 * completed its request before the release.  Returns how many reports
 * are withdrawn (completed before). */
unsigned rk_verdict_end(FILE *out, const struct rk_shared *s);

#endif
