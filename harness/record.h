/* SPDX-License-Identifier: MIT */
/*
 * Machine-readable records in the style of fio's JSON output: units in
 * the key names (_ns, _bytes, bw_bytes).
 */
#ifndef RH_RECORD_H
#define RH_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s as a JSON string (quoted, escaped). */
void rh_record_string(FILE *f, const char *s);

/* Sort v[0..n) and return the p-th percentile (0..100); 0 if n == 0. */
uint64_t rh_record_percentile(uint64_t *v, size_t n, double p);

#endif
