/* SPDX-License-Identifier: MIT */
/*
 * A set of pointers (open addressing, linear probing, never shrinks).
 * Used to tell whether a CQE's user_data names one of our records before
 * the record is looked at.
 */
#ifndef RC_PTRSET_H
#define RC_PTRSET_H

#include <stdbool.h>
#include <stddef.h>

struct rc_ptrset {
	void **slots;
	size_t cap;		/* power of two, or 0 */
	size_t count;
};

/* Add p (not NULL). Returns 0 or -ENOMEM. */
int rc_ptrset_add(struct rc_ptrset *s, void *p);
bool rc_ptrset_has(const struct rc_ptrset *s, const void *p);
void rc_ptrset_free(struct rc_ptrset *s);

#endif
