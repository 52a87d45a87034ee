/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rc_ptrset.h"

static size_t rc_ptrset_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static void rc_ptrset_insert(void **slots, size_t cap, void *p)
{
	size_t i = rc_ptrset_hash(p, cap);

	while (slots[i] && slots[i] != p)
		i = (i + 1) & (cap - 1);
	slots[i] = p;
}

static int rc_ptrset_grow(struct rc_ptrset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	void **slots = calloc(cap, sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++)
		if (s->slots[i])
			rc_ptrset_insert(slots, cap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int rc_ptrset_add(struct rc_ptrset *s, void *p)
{
	int ret;

	if (!p)
		return -EINVAL;
	if ((s->count + 1) * 2 > s->cap) {
		ret = rc_ptrset_grow(s);
		if (ret)
			return ret;
	}
	if (!rc_ptrset_has(s, p))
		s->count++;
	rc_ptrset_insert(s->slots, s->cap, p);
	return 0;
}

bool rc_ptrset_has(const struct rc_ptrset *s, const void *p)
{
	size_t i;

	if (!s->cap || !p)
		return false;
	for (i = rc_ptrset_hash(p, s->cap); s->slots[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == p)
			return true;
	return false;
}

void rc_ptrset_free(struct rc_ptrset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->cap = s->count = 0;
}
