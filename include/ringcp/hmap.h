/* SPDX-License-Identifier: MIT */
/*
 * ringcp/hmap.h: the one hash table of the engine and the harness.  Keys
 * are two 64-bit words (a pointer: rc_hkey_ptr, or a device and an inode),
 * values non-NULL pointers.  Open addressing with linear probing, kept at
 * most half full; removal shifts entries back (no tombstones).  Not
 * thread-safe: its owner locks.
 */
#ifndef RINGCP_HMAP_H
#define RINGCP_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct rc_hkey {
	uint64_t a, b;
};

struct rc_hmap_slot {
	struct rc_hkey key;
	void *val;		/* NULL: an empty slot */
};

struct rc_hmap {
	struct rc_hmap_slot *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t count;
};

static inline struct rc_hkey rc_hkey_ptr(const void *p)
{
	return (struct rc_hkey){ (uint64_t)(uintptr_t)p, 0 };
}

/* The value of k, or NULL. */
void *rc_hmap_get(const struct rc_hmap *m, struct rc_hkey k);

/* Set k's value (val not NULL), adding k if new.  Returns 0 or -errno. */
int rc_hmap_put(struct rc_hmap *m, struct rc_hkey k, void *val);

/* Remove k; returns the value it had, or NULL. */
void *rc_hmap_del(struct rc_hmap *m, struct rc_hkey k);

/*
 * Every value, in no order: start with *iter = 0, call until NULL.  The
 * map must not change during the walk.
 */
void *rc_hmap_next(const struct rc_hmap *m, size_t *iter);

/* Free the table (not the values); the map is empty and usable again. */
void rc_hmap_free(struct rc_hmap *m);

#endif
