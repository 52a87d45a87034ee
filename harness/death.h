/* SPDX-License-Identifier: MIT */
/*
 * What must happen when a sanitizer ends the process.  A sanitizer report
 * (ASan, UBSan with halt_on_error, LSan at exit) ends the process without
 * atexit handlers, through the sanitizer's one death callback; the
 * harness' pieces that must act then (flush the event log, abort the held
 * FUSE filesystems whose daemon is this process) add a hook here instead
 * of each taking that one callback.  No-ops in builds without ASan.
 */
#ifndef RH_DEATH_H
#define RH_DEATH_H

/*
 * Run fn, once, if a sanitizer ends the process (hooks run in the order
 * added; fn must be async-signal-safe in spirit: raw syscalls, no locks).
 * Returns 0, or -ENOSPC when the table of hooks is full.
 */
int rh_on_death(void (*fn)(void));

#endif
