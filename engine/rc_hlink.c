/* SPDX-License-Identifier: MIT */
/*
 * Hard-link groups (-H): the first name of a (dev, ino) met is copied; the
 * others are linked to it once it is in place, or wait for it while its
 * copy is in flight.  An entry keeps a reference on its directory (whose
 * fd the links name) until every name of the group was seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rc_tree_int.h"

struct rc_hlink {
	dev_t dev;
	ino_t ino;
	unsigned left;		/* names of the group not yet seen */
	bool placed;		/* the first copy is at dir/name */
	struct rc_dir *dir;
	char *name;
	struct rc_job **waiters;
	unsigned nwait, capwait;
	struct rc_hlink *next;
};

static size_t rc_hlink_hash(const struct rc_hlink_table *h, dev_t dev,
			    ino_t ino)
{
	uint64_t k = ((uint64_t)dev * 0x9e3779b97f4a7c15ull) ^ (uint64_t)ino;

	k ^= k >> 29;
	return (size_t)(k * 0xbf58476d1ce4e5b9ull) & (h->nslots - 1);
}

static struct rc_hlink **rc_hlink_find(struct rc_hlink_table *h, dev_t dev,
				       ino_t ino)
{
	struct rc_hlink **pp;

	if (!h->nslots)
		return NULL;
	for (pp = &h->slots[rc_hlink_hash(h, dev, ino)]; *pp;
	     pp = &(*pp)->next)
		if ((*pp)->dev == dev && (*pp)->ino == ino)
			return pp;
	return NULL;
}

static int rc_hlink_grow(struct rc_hlink_table *h)
{
	size_t n = h->nslots ? h->nslots * 2 : 1024, i;
	struct rc_hlink **slots = calloc(n, sizeof(*slots)), *e, *next;
	struct rc_hlink_table nh = { .slots = slots, .nslots = n };

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < h->nslots; i++)
		for (e = h->slots[i]; e; e = next) {
			size_t b = rc_hlink_hash(&nh, e->dev, e->ino);

			next = e->next;
			e->next = slots[b];
			slots[b] = e;
		}
	free(h->slots);
	h->slots = slots;
	h->nslots = n;
	return 0;
}

static void rc_hlink_drop(struct rc_tree *t, struct rc_hlink **pp)
{
	struct rc_hlink *e = *pp;

	*pp = e->next;
	t->hl.count--;
	if (e->dir)
		rc_dir_put(t, e->dir);
	free(e->name);
	free(e->waiters);
	free(e);
}

enum rc_hlink_state rc_hlink_lookup(struct rc_tree *t, dev_t dev, ino_t ino,
				    unsigned nlink, struct rc_job *job,
				    struct rc_dir **dirp, const char **namep)
{
	struct rc_hlink_table *h = &t->hl;
	struct rc_hlink **pp = rc_hlink_find(h, dev, ino), *e;

	if (!pp) {
		if (h->count >= h->nslots && rc_hlink_grow(h))
			return RC_HLINK_NEW;	/* no memory: just copy */
		e = calloc(1, sizeof(*e));
		if (!e)
			return RC_HLINK_NEW;
		e->dev = dev;
		e->ino = ino;
		e->left = nlink > 1 ? nlink - 1 : 0;
		pp = &h->slots[rc_hlink_hash(h, dev, ino)];
		e->next = *pp;
		*pp = e;
		h->count++;
		return RC_HLINK_NEW;
	}
	e = *pp;
	if (!e->placed) {
		if (e->nwait == e->capwait) {
			unsigned cap = e->capwait ? e->capwait * 2 : 4;
			struct rc_job **w = realloc(e->waiters,
						    cap * sizeof(*w));

			if (!w)
				return RC_HLINK_NEW;
			e->waiters = w;
			e->capwait = cap;
		}
		e->waiters[e->nwait++] = job;
		return RC_HLINK_WAIT;
	}
	rc_dir_get(e->dir);		/* the caller's, for its linkat */
	*dirp = e->dir;
	*namep = e->name;
	if (e->left)
		e->left--;
	return RC_HLINK_DONE;
}

/* Hand the waiters of an entry to resume(), the entry gone or placed. */
static void rc_hlink_resume(struct rc_tree *t, struct rc_job **w, unsigned n,
			    bool placed,
			    void (*resume)(struct rc_tree *, struct rc_job *,
					   bool))
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (resume)
			resume(t, w[i], placed);
	free(w);
}

void rc_hlink_placed(struct rc_tree *t, dev_t dev, ino_t ino,
		     struct rc_dir *d, const char *name,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool))
{
	struct rc_hlink **pp = rc_hlink_find(&t->hl, dev, ino), *e;
	struct rc_job **w;
	unsigned n;

	if (!pp)
		return;
	e = *pp;
	e->name = strdup(name);
	if (!e->name) {
		rc_hlink_failed(t, dev, ino, resume);
		return;
	}
	e->placed = true;
	e->dir = d;
	rc_dir_get(d);
	w = e->waiters;
	n = e->nwait;
	e->waiters = NULL;
	e->nwait = e->capwait = 0;
	/* the waiters look the group up again: each gets DONE */
	rc_hlink_resume(t, w, n, true, resume);
}

void rc_hlink_seen(struct rc_tree *t, dev_t dev, ino_t ino, unsigned nlink,
		   struct rc_dir *d, const char *name)
{
	struct rc_dir *other;
	const char *oname;

	if (rc_hlink_find(&t->hl, dev, ino))
		return;		/* the group has its copy, or one on the way */
	if (rc_hlink_lookup(t, dev, ino, nlink, NULL, &other, &oname) ==
	    RC_HLINK_NEW)
		rc_hlink_placed(t, dev, ino, d, name, NULL);
}

void rc_hlink_failed(struct rc_tree *t, dev_t dev, ino_t ino,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool))
{
	struct rc_hlink **pp = rc_hlink_find(&t->hl, dev, ino), *e;
	struct rc_job **w;
	unsigned n;

	if (!pp)
		return;
	e = *pp;
	w = e->waiters;
	n = e->nwait;
	e->waiters = NULL;
	rc_hlink_drop(t, pp);
	/* the first of them becomes the group's copy, the rest wait on it */
	rc_hlink_resume(t, w, n, false, resume);
}

void rc_hlink_free(struct rc_tree *t)
{
	size_t i;

	for (i = 0; i < t->hl.nslots; i++)
		while (t->hl.slots[i])
			rc_hlink_drop(t, &t->hl.slots[i]);
	free(t->hl.slots);
	t->hl.slots = NULL;
	t->hl.nslots = 0;
}
