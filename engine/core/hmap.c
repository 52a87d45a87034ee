/* SPDX-License-Identifier: MIT */
/*
 * The hash table of ringcp/hmap.h.  Used by the ring (which pointers are
 * its records), the tree copy (hard-link groups by device and inode) and
 * the harness' ledger (buffers and ops by address).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ringcp/hmap.h"

static size_t rc_hmap_hash(struct rc_hkey k, size_t cap)
{
	uint64_t x = k.a ^ (k.b * 0x9e3779b97f4a7c15ull);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static bool rc_hkey_eq(struct rc_hkey x, struct rc_hkey y)
{
	return x.a == y.a && x.b == y.b;
}

/* The slot of k, or the empty slot where it would go (cap > 0). */
static struct rc_hmap_slot *rc_hmap_slot(const struct rc_hmap *m,
					 struct rc_hkey k)
{
	size_t i = rc_hmap_hash(k, m->cap);

	while (m->slots[i].val && !rc_hkey_eq(m->slots[i].key, k))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static int rc_hmap_grow(struct rc_hmap *m)
{
	struct rc_hmap n = { .cap = m->cap ? m->cap * 2 : 64 };
	size_t i;

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].val)
			*rc_hmap_slot(&n, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = n.slots;
	m->cap = n.cap;
	return 0;
}

void *rc_hmap_get(const struct rc_hmap *m, struct rc_hkey k)
{
	return m->cap ? rc_hmap_slot(m, k)->val : NULL;
}

int rc_hmap_put(struct rc_hmap *m, struct rc_hkey k, void *val)
{
	struct rc_hmap_slot *s;
	int ret;

	if (!val)
		return -EINVAL;
	if ((m->count + 1) * 2 > m->cap) {
		ret = rc_hmap_grow(m);
		if (ret)
			return ret;
	}
	s = rc_hmap_slot(m, k);
	if (!s->val)
		m->count++;
	s->key = k;
	s->val = val;
	return 0;
}

void *rc_hmap_del(struct rc_hmap *m, struct rc_hkey k)
{
	struct rc_hmap_slot *s;
	size_t i, j, home;
	void *val;

	if (!m->cap)
		return NULL;
	s = rc_hmap_slot(m, k);
	val = s->val;
	if (!val)
		return NULL;
	/* shift back every later entry of the run that may not stay behind
	 * the hole (linear probing's deletion without tombstones) */
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & (m->cap - 1); m->slots[j].val;
	     j = (j + 1) & (m->cap - 1)) {
		home = rc_hmap_hash(m->slots[j].key, m->cap);
		/* does home lie cyclically in (i, j]?  then it stays */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].val = NULL;
	m->count--;
	return val;
}

void *rc_hmap_next(const struct rc_hmap *m, size_t *iter)
{
	while (*iter < m->cap) {
		void *val = m->slots[(*iter)++].val;

		if (val)
			return val;
	}
	return NULL;
}

void rc_hmap_free(struct rc_hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
