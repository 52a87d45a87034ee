/* SPDX-License-Identifier: MIT */
/*
 * Walking the source tree relative to directory fds: each directory is
 * opened from its parent's fd (O_NOFOLLOW: a symlink swapped in is never
 * followed), its destination created and opened from the parent's
 * destination fd, and its entries read with getdents64 a buffer at a time,
 * so neither depth nor directory size is bounded by anything but fds and
 * memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rc_tree_int.h"

#define RC_DENTS_BUF (32 * 1024)

struct rc_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* One open directory listing on the walk's stack. */
struct rc_cursor {
	struct rc_dir *dir;
	struct rc_cursor *up, *down;	/* older, newer */
	const char *single;	/* a holder: yields just this name, once */
	char *buf;
	long len, pos;
	bool eof;
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

static char *rc_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl && dir[dl - 1] != '/' && nl)
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

struct rc_dir *rc_dir_new(struct rc_dir *parent, int src_fd, int dst_fd,
			  const char *src_path, const char *dst_path,
			  const char *rel)
{
	struct rc_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->src_path = strdup(src_path);
	d->dst_path = strdup(dst_path);
	d->rel = strdup(rel);
	if (!d->src_path || !d->dst_path || !d->rel) {
		free(d->src_path);
		free(d->dst_path);
		free(d->rel);
		free(d);
		return NULL;
	}
	d->parent = parent;
	if (parent)
		rc_dir_get(parent);
	d->src_fd = src_fd;
	d->dst_fd = dst_fd;
	d->refs = 1;
	d->apply_meta = true;
	return d;
}

void rc_dir_set_new_gid(const struct rc_tree *t, struct rc_dir *d)
{
	struct stat st;

	d->new_gid = t->egid;
	if (d->dst_fd >= 0 && fstat(d->dst_fd, &st) == 0 &&
	    (st.st_mode & S_ISGID))
		d->new_gid = st.st_gid;
}

void rc_dir_get(struct rc_dir *d)
{
	d->refs++;
}

void rc_dir_put(struct rc_tree *t, struct rc_dir *d)
{
	while (d && --d->refs == 0) {
		struct rc_dir *parent = d->parent;
		const char *what = NULL;
		int ret;

		if (d->apply_meta && d->dst_fd >= 0 && !t->o->dry_run) {
			struct stat cur;
			bool known = fstat(d->dst_fd, &cur) == 0;

			/* without -p an existing directory keeps its mode */
			ret = rc_meta_apply_fd(t, d->src_fd, d->dst_fd, &d->st,
					       known ? &cur : NULL,
					       d->fresh || t->o->perms, &what);
			if (ret)
				rc_tree_err(t, ret, "cannot %s '%s'", what,
					    d->dst_path);
			if (t->o->copy.fsync && fsync(d->dst_fd) < 0)
				rc_tree_err(t, -errno, "cannot sync '%s'",
					    d->dst_path);
		}
		if (d->src_fd >= 0)
			close(d->src_fd);
		if (d->dst_fd >= 0)
			close(d->dst_fd);
		free(d->src_path);
		free(d->dst_path);
		free(d->rel);
		free(d);
		d = parent;
	}
}

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
	c->single = single;
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
	free(c->buf);
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

/*
 * Create (or find) the destination directory d/name and open both sides.
 * Returns the new node, or NULL with the error printed.
 */
static struct rc_dir *rc_dir_enter(struct rc_tree *t, struct rc_dir *d,
				   const char *name)
{
	char *src_path = rc_join(d->src_path, name);
	char *dst_path = rc_join(d->dst_path, name);
	char *rel = rc_join(d->rel, name);
	int src_fd = -1, dst_fd = -1;
	struct rc_dir *nd = NULL;
	bool fresh = false;
	struct stat st;

	if (!src_path || !dst_path || !rel) {
		rc_tree_err(t, -ENOMEM, "cannot copy '%s'", d->src_path);
		goto out;
	}
	src_fd = openat(d->src_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC | O_NOCTTY);
	if (src_fd < 0) {
		if (errno == ENOENT) {
			rc_tree_vanished(t, src_path);
		} else
			rc_tree_err(t, -errno, "cannot open directory '%s'",
				    src_path);
		goto out;
	}
	if (fstat(src_fd, &st) < 0) {
		rc_tree_err(t, -errno, "cannot stat '%s'", src_path);
		goto out;
	}
	if (t->o->dry_run) {
		struct stat dst_st;

		fresh = d->fresh || fstatat(d->dst_fd, name, &dst_st,
					    AT_SYMLINK_NOFOLLOW) < 0;
		if (fresh)
			rc_tree_verbose(t, d, name, "/");
		dst_fd = d->dst_fd < 0 || fresh ? -1 :
			 openat(d->dst_fd, name, O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC);
		goto node;
	}
	/* writable and searchable by us until its own mode is applied */
	if (mkdirat(d->dst_fd, name, 0700) == 0) {
		fresh = true;
		t->st->dirs++;
		rc_tree_verbose(t, d, name, "/");
	} else if (errno != EEXIST) {
		rc_tree_err(t, -errno, "cannot create directory '%s'",
			    dst_path);
		goto out;
	}
	dst_fd = openat(d->dst_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	if (dst_fd < 0) {
		rc_tree_err(t, errno == ELOOP || errno == ENOTDIR ? -EEXIST :
			    -errno, "cannot create directory '%s'", dst_path);
		goto out;
	}
	if (!fresh) {
		t->st->dirs++;
		rc_walk_clean_temps(t, dst_fd, dst_path, NULL);
	}
node:
	nd = rc_dir_new(d, src_fd, dst_fd, src_path, dst_path, rel);
	if (!nd) {
		rc_tree_err(t, -ENOMEM, "cannot copy '%s'", src_path);
		goto out;
	}
	nd->st = st;
	nd->fresh = fresh;
	rc_dir_set_new_gid(t, nd);
	src_fd = dst_fd = -1;
out:
	if (src_fd >= 0)
		close(src_fd);
	if (dst_fd >= 0)
		close(dst_fd);
	free(src_path);
	free(dst_path);
	free(rel);
	return nd;
}

/*
 * Is name one of our temporary names, ".<base>.ringcp-XXXXXXXX" (for this
 * base only, if one is given; rc_temp_name keeps 200 bytes of it)?
 */
static bool rc_is_temp_name(const char *name, const char *base)
{
	size_t n = strlen(name), i;

	if (name[0] != '.' || n < 1 + 1 + 8 + 8)
		return false;
	if (base && (n - 17 != (strlen(base) < 200 ? strlen(base) : 200) ||
		     memcmp(name + 1, base, n - 17)))
		return false;
	if (memcmp(name + n - 16, ".ringcp-", 8))
		return false;
	for (i = n - 8; i < n; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

void rc_walk_clean_temps(struct rc_tree *t, int dst_fd, const char *dst_path,
			 const char *base)
{
	char *buf;
	long n, pos;
	int fd;

	if (t->o->dry_run || dst_fd < 0)
		return;
	/* our own descriptor: the walk must not share its offset */
	fd = openat(dst_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf = fd < 0 ? NULL : malloc(RC_DENTS_BUF);
	while (buf && (n = syscall(SYS_getdents64, fd, buf, RC_DENTS_BUF)) > 0)
		for (pos = 0; pos < n;) {
			struct rc_dirent64 *de = (void *)(buf + pos);

			pos += de->d_reclen;
			if (de->d_type != DT_DIR && rc_is_temp_name(de->d_name, base) &&
			    unlinkat(fd, de->d_name, 0) == 0 && t->o->verbose > 1)
				printf("removed leftover '%s'\n",
				       rc_tree_path(dst_path, de->d_name));
		}
	free(buf);
	if (fd >= 0)
		close(fd);
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
	} else if (n < 0)
		rc_tree_err(w->t, -errno, "cannot read directory '%s'",
			    c->dir->src_path);
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	c->len = n;
	c->pos = 0;
	return true;
}

/* The listing whose turn it is, among the newest RC_WALK_LANES. */
static struct rc_cursor *rc_walk_pick(struct rc_walk *w)
{
	struct rc_cursor *c = w->top;
	unsigned k = w->turn++ % RC_WALK_LANES;

	while (k-- && c->up)
		c = c->up;
	return c;
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
			if (nm[0] == '.' && (!nm[1] ||
					     (nm[1] == '.' && !nm[2])))
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
				continue;
			}
			type = (unsigned char)IFTODT(st.st_mode);
		}
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
			if (de->d_name[0] == '.' && (!de->d_name[1] ||
			    (de->d_name[1] == '.' && !de->d_name[2])))
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
