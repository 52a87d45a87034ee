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

#include "tree_int.h"

struct rc_hlink {
	dev_t dev;
	ino_t ino;
	unsigned left;		/* names of the group not yet seen */
	bool placed;		/* the first copy is at dir/name */
	struct rc_dir *dir;
	char *name;
	struct rc_job **waiters;
	unsigned nwait, capwait;
};

static struct rc_hkey rc_hlink_key(dev_t dev, ino_t ino)
{
	return (struct rc_hkey){ (uint64_t)dev, (uint64_t)ino };
}

static struct rc_hlink *rc_hlink_find(struct rc_tree *t, dev_t dev,
				      ino_t ino)
{
	return rc_hmap_get(&t->hl, rc_hlink_key(dev, ino));
}

static void rc_hlink_drop(struct rc_tree *t, struct rc_hlink *e)
{
	rc_hmap_del(&t->hl, rc_hlink_key(e->dev, e->ino));
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
	struct rc_hlink *e = rc_hlink_find(t, dev, ino);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return RC_HLINK_NEW;	/* no memory: just copy */
		e->dev = dev;
		e->ino = ino;
		e->left = nlink > 1 ? nlink - 1 : 0;
		if (rc_hmap_put(&t->hl, rc_hlink_key(dev, ino), e))
			free(e);
		return RC_HLINK_NEW;
	}
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

/*
 * Take the waiters off an entry (and drop the entry first if drop), then
 * hand each to resume(), which looks the group up again.
 */
static void rc_hlink_resume(struct rc_tree *t, struct rc_hlink *e, bool drop,
			    bool placed,
			    void (*resume)(struct rc_tree *, struct rc_job *,
					   bool))
{
	struct rc_job **w = e->waiters;
	unsigned i, n = e->nwait;

	e->waiters = NULL;
	e->nwait = e->capwait = 0;
	if (drop)
		rc_hlink_drop(t, e);
	for (i = 0; i < n; i++)
		if (resume)
			resume(t, w[i], placed);
	free(w);
}

void rc_hlink_placed(struct rc_tree *t, dev_t dev, ino_t ino,
		     struct rc_dir *d, const char *name,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool))
{
	struct rc_hlink *e = rc_hlink_find(t, dev, ino);

	if (!e)
		return;
	e->name = strdup(name);
	if (!e->name) {
		rc_hlink_failed(t, dev, ino, resume);
		return;
	}
	e->placed = true;
	e->dir = d;
	rc_dir_get(d);
	/* the waiters look the group up again: each gets DONE */
	rc_hlink_resume(t, e, false, true, resume);
}

void rc_hlink_seen(struct rc_tree *t, dev_t dev, ino_t ino, unsigned nlink,
		   struct rc_dir *d, const char *name)
{
	struct rc_dir *other;
	const char *oname;

	if (rc_hlink_find(t, dev, ino))
		return;		/* the group has its copy, or one on the way */
	if (rc_hlink_lookup(t, dev, ino, nlink, NULL, &other, &oname) ==
	    RC_HLINK_NEW)
		rc_hlink_placed(t, dev, ino, d, name, NULL);
}

void rc_hlink_failed(struct rc_tree *t, dev_t dev, ino_t ino,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool))
{
	struct rc_hlink *e = rc_hlink_find(t, dev, ino);

	/* the first of them becomes the group's copy, the rest wait on it */
	if (e)
		rc_hlink_resume(t, e, true, false, resume);
}

void rc_hlink_free(struct rc_tree *t)
{
	struct rc_hlink *e;
	size_t i = 0;

	/* no removal while walking the table: empty each entry, then go */
	while ((e = rc_hmap_next(&t->hl, &i))) {
		if (e->dir)
			rc_dir_put(t, e->dir);
		free(e->name);
		free(e->waiters);
		free(e);
	}
	rc_hmap_free(&t->hl);
}
