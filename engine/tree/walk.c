/* SPDX-License-Identifier: MIT */
/*
 * Walking the source tree relative to directory fds: each directory is
 * opened from its parent's fd (O_NOFOLLOW: a symlink swapped in is never
 * followed), its destination created (or staged: stage.c) and opened from
 * the parent's destination fd, and its entries read with getdents64 a
 * buffer at a time, so neither depth nor directory size is bounded by
 * anything but fds and memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tree_int.h"

/* An entry of a listing read whole (t->ordered). */
struct rc_ent {
	char *name;
	unsigned char type;
};

/* One open directory listing on the walk's stack. */
struct rc_cursor {
	struct rc_dir *dir;
	struct rc_cursor *up, *down;	/* older, newer */
	const char *single;	/* a holder: yields just this name, once */
	char *single_copy;	/* ... owned */
	char *buf;
	long len, pos;
	bool eof;
	struct rc_ent *ents;	/* t->ordered: the listing, sorted */
	size_t nents, next;
	bool loaded;
};

/*
 * Entries are taken in turn from the newest RC_WALK_LANES listings, so
 * the files in flight are spread over that many directories: names are
 * added to a directory one at a time, and files of different directories
 * can be placed in parallel.
 */
#define RC_WALK_LANES	4

struct rc_walk {
	struct rc_tree *t;
	struct rc_cursor *top;
	unsigned turn;		/* whose turn: counts entries taken */
};

static struct rc_cursor *rc_cursor_push(struct rc_walk *w, struct rc_dir *d,
					const char *single)
{
	struct rc_cursor *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (!single) {
		c->buf = malloc(RC_DENTS_BUF);
		if (!c->buf) {
			free(c);
			return NULL;
		}
	}
	c->dir = d;
	if (single) {
		c->single = c->single_copy = strdup(single);
		if (!c->single_copy) {
			free(c->buf);
			free(c);
			return NULL;
		}
	}
	c->up = w->top;
	if (w->top)
		w->top->down = c;
	w->top = c;
	return c;
}

static void rc_cursor_pop(struct rc_walk *w, struct rc_cursor *c)
{
	if (c->down)
		c->down->up = c->up;
	else
		w->top = c->up;
	if (c->up)
		c->up->down = c->down;
	rc_dir_put(w->t, c->dir);	/* the listing's reference */
	while (c->nents)
		free(c->ents[--c->nents].name);
	free(c->ents);
	free(c->buf);
	free(c->single_copy);
	free(c);
}

int rc_walk_new(struct rc_tree *t, struct rc_dir *holder, const char *name,
		struct rc_walk **wp)
{
	struct rc_walk *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->t = t;
	/* holder's reference passes to the cursor */
	if (!rc_cursor_push(w, holder, name)) {
		free(w);
		return -ENOMEM;
	}
	*wp = w;
	return 0;
}

void rc_walk_free(struct rc_walk *w)
{
	if (!w)
		return;
	while (w->top)
		rc_cursor_pop(w, w->top);
	free(w);
}

/* What rc_dir_enter found or made for the destination directory. */
struct rc_enter {
	int dst_fd;
	bool fresh;		/* made by this run: nothing else in it */
	bool staged, adopted;	/* see struct rc_dir */
	struct rc_stage stage;	/* a staging root's names, a hold */
};

/*
 * The destination side of d/name outside a dry run: staged if new (and d
 * is not staged), else made if missing, and opened.  Returns 0, or -1
 * with the error printed.
 */
static int rc_dir_enter_dst(struct rc_tree *t, struct rc_dir *d,
			    const char *name, int src_fd, const char *dst_path,
			    struct rc_enter *e)
{
	struct stat dst_st;

	if (!d->staged && fstatat(d->dst_fd, name, &dst_st,
				  AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		if (rc_stage_open(t, d, name, src_fd, dst_path, &e->stage))
			return -1;
		e->dst_fd = e->stage.dst_fd;
		e->staged = true;
		if (!e->stage.hold) {
			e->adopted = e->stage.adopted;
			e->fresh = !e->adopted;
			rc_tree_item(t, d, name, "/", "cd+++++++++");
		}
		return 0;
	}
	/* writable and searchable by us until its own mode is applied */
	if (mkdirat(d->dst_fd, name, 0700) == 0) {
		e->fresh = true;
		rc_tree_item(t, d, name, "/", "cd+++++++++");
	} else if (errno != EEXIST) {
		rc_tree_err(t, -errno, "cannot create directory '%s'",
			    dst_path);
		return -1;
	}
	/* inside a staging dir: ours (this run's, another operand's, or
	 * an interrupted run's, pruned when taken up) */
	e->staged = d->staged;
	e->adopted = d->adopted && !e->fresh;
	e->dst_fd = openat(d->dst_fd, name, O_RDONLY | O_DIRECTORY |
			   O_NOFOLLOW | O_CLOEXEC);
	if (e->dst_fd < 0) {
		rc_tree_err(t, errno == ELOOP || errno == ENOTDIR ? -EEXIST :
			    -errno, "cannot create directory '%s'", dst_path);
		return -1;
	}
	return 0;
}

/* The destination side of d/name in a dry run: nothing is made. */
static void rc_dir_enter_dry(struct rc_tree *t, struct rc_dir *d,
			     const char *name, struct rc_enter *e)
{
	struct stat dst_st;

	e->fresh = d->fresh || fstatat(d->dst_fd, name, &dst_st,
				       AT_SYMLINK_NOFOLLOW) < 0;
	if (e->fresh)
		rc_tree_item(t, d, name, "/", "cd+++++++++");
	e->dst_fd = d->dst_fd < 0 || e->fresh ? -1 :
		    openat(d->dst_fd, name, O_RDONLY | O_DIRECTORY |
			   O_NOFOLLOW | O_CLOEXEC);
}

/* -v, -i: an existing destination directory whose attributes will change */
static void rc_walk_item_old_dir(struct rc_tree *t, struct rc_dir *d,
				 const char *name, struct rc_dir *nd)
{
	struct stat ds;
	char code[12];

	if ((!t->o->verbose && !t->o->itemize) || nd->dst_fd < 0 ||
	    fstat(nd->dst_fd, &ds) < 0)
		return;
	rc_tree_item_code(t, code, '.', 'd', &nd->st, &ds);
	if (strcmp(code, ".d........."))
		rc_tree_item(t, d, name, "/", code);
}

/*
 * Create (or find) the destination directory d/name and open both sides.
 * A directory new to the destination is staged (stage.c) unless it is
 * inside a staging directory already; it then goes in directly.  Returns
 * the new node, or NULL with the error printed.
 */
static struct rc_dir *rc_dir_enter(struct rc_tree *t, struct rc_dir *d,
				   const char *name)
{
	char *src_path = rc_path_join(d->src_path, name);
	char *dst_path = rc_path_join(d->dst_path, name);
	char *rel = rc_path_join(d->rel, name);
	struct rc_enter e = { .dst_fd = -1 };
	struct rc_dir *nd = NULL;
	int src_fd = -1;
	struct stat st;

	if (!src_path || !dst_path || !rel) {
		rc_tree_err(t, -ENOMEM, "cannot copy '%s'", d->src_path);
		goto out;
	}
	src_fd = openat(d->src_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC | O_NOCTTY);
	if (src_fd < 0) {
		if (errno == ENOENT)
			rc_tree_vanished(t, src_path);
		else
			rc_tree_err(t, -errno, "cannot open directory '%s'",
				    src_path);
		t->io_error = t->io_error || errno != ENOENT;
		goto out;
	}
	if (fstat(src_fd, &st) < 0) {
		rc_tree_err(t, -errno, "cannot stat '%s'", src_path);
		goto out;
	}
	if (t->o->dry_run)
		rc_dir_enter_dry(t, d, name, &e);
	else if (rc_dir_enter_dst(t, d, name, src_fd, dst_path, &e))
		goto out;
	nd = rc_dir_new(d, src_fd, e.dst_fd, src_path, dst_path, rel);
	if (!nd) {
		rc_tree_err(t, -ENOMEM, "cannot copy '%s'", src_path);
		goto out;
	}
	if (!t->o->dry_run)
		t->st->dirs++;
	nd->st = st;
	nd->fresh = e.fresh;
	nd->staged = e.staged;
	nd->adopted = e.adopted;
	nd->stage_tmp = e.stage.tmp;
	nd->stage_final = e.stage.final;
	if (nd->stage_tmp)
		rc_stage_add(t, nd, d);
	if (e.stage.hold) {
		/* its rename waits for what this operand puts in it */
		rc_dir_get(e.stage.hold);
		nd->stage_hold = e.stage.hold;
	}
	e.stage.tmp = e.stage.final = NULL;
	src_fd = e.dst_fd = -1;
	if (!e.fresh && !t->o->dry_run)
		rc_stage_clean_temps(t, nd, NULL);
	if (!e.fresh)
		rc_walk_item_old_dir(t, d, name, nd);
	rc_dir_set_new_gid(t, nd);
out:
	if (e.stage.tmp && !e.adopted && e.dst_fd >= 0)
		unlinkat(d->dst_fd, e.stage.tmp, AT_REMOVEDIR);
	free(e.stage.tmp);
	free(e.stage.final);
	if (src_fd >= 0)
		close(src_fd);
	if (e.dst_fd >= 0)
		close(e.dst_fd);
	free(src_path);
	free(dst_path);
	free(rel);
	return nd;
}

/* Read the next batch of entries; false at the end (or on an error). */
static bool rc_cursor_fill(struct rc_walk *w, struct rc_cursor *c)
{
	long n;

	if (c->eof)
		return false;
	n = syscall(SYS_getdents64, c->dir->src_fd, c->buf, RC_DENTS_BUF);
	if (n < 0 && errno == ENOENT) {
		/* removed while we listed it */
		rc_tree_vanished(w->t, c->dir->src_path);
		c->dir->list_failed = true;
	} else if (n < 0) {
		rc_tree_err(w->t, -errno, "cannot read directory '%s'",
			    c->dir->src_path);
		c->dir->list_failed = w->t->io_error = true;
	}
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	c->len = n;
	c->pos = 0;
	return true;
}

/* rsync's order: files before directories, then by bytes */
static int rc_ent_cmp(const void *a, const void *b)
{
	const struct rc_ent *x = a, *y = b;
	int dx = x->type == DT_DIR, dy = y->type == DT_DIR;

	return dx != dy ? dx - dy : strcmp(x->name, y->name);
}

/*
 * t->ordered or --delete: read c's whole listing (types known: a
 * DT_UNKNOWN is stat'ed), sort it for -v and -i, and make the deletions
 * it calls for.  Returns false on an error (reported) or when
 * memory runs out; what was read is kept.
 */
static bool rc_cursor_load(struct rc_walk *w, struct rc_cursor *c)
{
	struct rc_ent *e;
	struct stat st;

	c->loaded = true;
	while (rc_cursor_fill(w, c)) {
		for (; c->pos < c->len;) {
			struct rc_dirent64 *de = (void *)(c->buf + c->pos);
			unsigned char type = de->d_type;

			c->pos += de->d_reclen;
			if (rc_dot_or_dotdot(de->d_name))
				continue;
			if (type == DT_UNKNOWN &&
			    fstatat(c->dir->src_fd, de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0)
				type = (unsigned char)IFTODT(st.st_mode);
			e = realloc(c->ents, (c->nents + 1) * sizeof(*e));
			if (!e)
				return false;
			c->ents = e;
			e[c->nents].type = type;
			e[c->nents].name = strdup(de->d_name);
			if (!e[c->nents].name)
				return false;
			c->nents++;
		}
	}
	if (w->t->ordered && c->nents > 1)
		qsort(c->ents, c->nents, sizeof(*c->ents), rc_ent_cmp);
	rc_delete_extraneous(w->t, c->dir);
	return true;
}

/* The listing whose turn it is, among the newest RC_WALK_LANES (one, in
 * rsync's order, for -v and -i). */
static struct rc_cursor *rc_walk_pick(struct rc_walk *w)
{
	struct rc_cursor *c = w->top;
	unsigned k = w->t->ordered ? 0 : w->turn++ % RC_WALK_LANES;

	while (k-- && c->up)
		c = c->up;
	return c;
}

/* Is d/nm (of d_type type) left out by a filter rule?  (counted) */
static bool rc_walk_excluded(struct rc_tree *t, const struct rc_dir *d,
			     const char *nm, unsigned char type)
{
	char *rel = rc_path_join(d->rel, nm);
	bool out = rel && rc_filter_excluded(t->o, rel, type == DT_DIR);

	free(rel);
	if (out)
		t->st->excluded++;
	return out;
}

int rc_walk_next(struct rc_walk *w, struct rc_dir **dirp, const char **name,
		 unsigned char *d_type)
{
	struct rc_tree *t = w->t;

	while (w->top) {
		struct rc_cursor *c = rc_walk_pick(w);
		const char *nm;
		unsigned char type;

		if (c->single) {
			nm = c->single;
			type = DT_UNKNOWN;
			c->single = NULL;
			c->eof = true;
		} else if (t->ordered || t->o->delete) {
			if (!c->loaded && !rc_cursor_load(w, c))
				rc_tree_err(t, -ENOMEM, "cannot read directory "
					    "'%s'", c->dir->src_path);
			if (c->next == c->nents) {
				rc_cursor_pop(w, c);
				continue;
			}
			nm = c->ents[c->next].name;
			type = c->ents[c->next++].type;
		} else {
			struct rc_dirent64 *de;

			if (c->pos >= c->len && !rc_cursor_fill(w, c)) {
				rc_cursor_pop(w, c);
				continue;
			}
			de = (struct rc_dirent64 *)(c->buf + c->pos);
			c->pos += de->d_reclen;
			nm = de->d_name;
			type = de->d_type;
			if (rc_dot_or_dotdot(nm))
				continue;
		}
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(c->dir->src_fd, nm, &st,
				    AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					rc_tree_vanished(t, rc_tree_path(
						c->dir->src_path, nm));
				else
					rc_tree_err(t, -errno, "cannot stat "
						    "'%s'", rc_tree_path(
						    c->dir->src_path, nm));
				t->io_error = t->io_error || errno != ENOENT;
				continue;
			}
			type = (unsigned char)IFTODT(st.st_mode);
		}
		if (t->o->nfilters && rc_walk_excluded(t, c->dir, nm, type))
			continue;
		if (type == DT_DIR) {
			struct rc_dir *nd;

			if (!t->o->recursive) {
				fprintf(stderr, "ringcp: skipping directory "
					"'%s'\n", rc_tree_path(c->dir->src_path,
							       nm));
				t->st->skipped++;
				continue;
			}
			nd = rc_dir_enter(t, c->dir, nm);
			if (nd && t->o->one_file_system &&
			    nd->st.st_dev != t->xdev) {
				/* -x: the mount point, empty (rsync's) */
				rc_dir_put(t, nd);
				continue;
			}
			if (nd && !rc_cursor_push(w, nd, NULL)) {
				rc_dir_put(t, nd);
				return -ENOMEM;
			}
			continue;
		}
		rc_dir_get(c->dir);
		*dirp = c->dir;
		*name = nm;
		*d_type = type;
		return 1;
	}
	return 0;
}

void rc_walk_measure(int dir_fd, uint64_t *files, uint64_t *bytes)
{
	char *buf = malloc(RC_DENTS_BUF);
	long n, pos;

	if (!buf)
		return;
	while ((n = syscall(SYS_getdents64, dir_fd, buf, RC_DENTS_BUF)) > 0) {
		for (pos = 0; pos < n;) {
			struct rc_dirent64 *de = (void *)(buf + pos);
			struct stat st;

			pos += de->d_reclen;
			if (rc_dot_or_dotdot(de->d_name))
				continue;
			if (fstatat(dir_fd, de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (S_ISDIR(st.st_mode)) {
				int fd = openat(dir_fd, de->d_name, O_RDONLY |
						O_DIRECTORY | O_NOFOLLOW |
						O_CLOEXEC);

				if (fd >= 0) {
					rc_walk_measure(fd, files, bytes);
					close(fd);
				}
			} else {
				(*files)++;
				if (S_ISREG(st.st_mode))
					*bytes += (uint64_t)st.st_size;
			}
		}
	}
	free(buf);
}

