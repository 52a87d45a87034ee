/* SPDX-License-Identifier: MIT */
/*
 * Destination checksums: a late kernel write, or a program scribbling on a
 * buffer it lent, shows as different bytes in the copy.
 */
#ifndef RH_CHECKSUM_H
#define RH_CHECKSUM_H

#include <stdint.h>

/* FNV-1a 64 of the first len bytes of fd (pread). Returns 0 or -errno. */
int rh_checksum_fd(int fd, uint64_t len, uint64_t *sum);

/* Fill fd with len pseudo-random bytes from seed (splitmix64). */
int rh_fill_fd(int fd, uint64_t len, uint64_t seed);

#endif
