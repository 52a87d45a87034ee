/* SPDX-License-Identifier: MIT */
/*
 * The event log: every trace event of the engine, one line each, in the
 * order the engine acted, for the protocol model's conformance checker
 * (model/conform.py; docs/model.md gives the format).  Off unless
 * $RH_EVENTS names a file or a scenario got --events=FILE.
 */
#ifndef RH_EVLOG_H
#define RH_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ringcp/ring.h"

/* Write the log to path (truncated).  Returns 0 or -errno. */
int rh_evlog_open(const char *path);

/* End the log ("END exit") and close it; the program's exit does too. */
void rh_evlog_close(void);

/*
 * One trace event, as the engine gave it to the harness' hook; the
 * caller serialises calls (the harness lock).  $RH_EVENTS is opened when
 * the program starts.
 */
void rh_evlog_event(enum rc_trace_event ev, const struct rc_op *op,
		    const void *buf, size_t len, int64_t res);

/* close(fd) by the program or the engine (the harness' close wrapper,
 * under its lock). */
void rh_evlog_fd_close(int fd);

#endif
