/* SPDX-License-Identifier: MIT */
/*
 * rsync's filter rules (--exclude, --include, --filter) and what --delete
 * removes.  A rule's pattern is matched as rsync's man page says: a
 * leading '/' anchors it at the transfer root, a trailing '/' makes it
 * match directories only, a pattern with a '/' (or '**') is matched
 * against the path from the transfer root (unanchored: against any of its
 * trailing parts that start a component), any other against the last
 * component only; '*' matches anything but '/', '**' anything, '?' one
 * character but '/', '[...]' a class, and "dir/" followed by three stars
 * matches dir and all inside it.  The first rule that matches decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tree_int.h"

static bool rc_wild(const char *p, const char *s);

/* '[...]' at p against the character c; *end gets past the class.
 * A class that never closes matches the '[' itself. */
static bool rc_wild_class(const char *p, char c, const char **end)
{
	bool neg = p[1] == '!' || p[1] == '^', hit = false;
	const char *q = p + 1 + neg;

	if (*q == ']')		/* a ']' first is a member */
		hit |= c == *q++;
	for (; *q && *q != ']'; q++) {
		if (q[1] == '-' && q[2] && q[2] != ']') {
			hit |= c >= q[0] && c <= q[2];
			q += 2;
		} else
			hit |= c == *q;
	}
	if (!*q) {
		*end = p + 1;
		return c == '[';
	}
	*end = q + 1;
	return hit != neg && c != '/';
}

/* '*' or '**' at p: the rest of the pattern at some point of s */
static bool rc_wild_star(const char *p, const char *s)
{
	bool any = p[1] == '*';

	while (*p == '*')
		p++;
	for (;; s++) {
		if (rc_wild(p, s))
			return true;
		if (!*s || (!any && *s == '/'))
			return false;
	}
}

static bool rc_wild(const char *p, const char *s)
{
	const char *end;

	for (; *p; s++) {
		switch (*p) {
		case '*':
			return rc_wild_star(p, s);
		case '?':
			if (!*s || *s == '/')
				return false;
			p++;
			break;
		case '[':
			if (!*s || !rc_wild_class(p, *s, &end))
				return false;
			p = end;
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p++ != *s)
				return false;
		}
	}
	return !*s;
}

/* Does one rule's pattern match rel (relative to the transfer root)? */
static bool rc_rule_matches(const char *pattern, const char *rel, bool is_dir)
{
	char pat[PATH_MAX + 1], *p;
	size_t n = strlen(pattern);
	bool deep;
	const char *s;

	if (n + 1 >= sizeof(pat))
		return false;
	memcpy(pat, pattern, n + 1);
	if (n > 4 && !strcmp(pat + n - 4, "/***")) {
		pat[n - 3] = '\0';		/* "dir/": the dir itself */
		if (rc_rule_matches(pat, rel, is_dir))
			return true;
		memcpy(pat + n - 3, "**", 3);	/* "dir/" and two stars: all inside */
		return rc_rule_matches(pat, rel, is_dir);
	}
	p = pat + (pat[0] == '/');
	n = strlen(p);
	if (n && p[n - 1] == '/') {
		if (!is_dir)
			return false;
		p[--n] = '\0';
	}
	if (p != pat)		/* anchored at the transfer root */
		return rc_wild(p, rel);
	deep = strchr(p, '/') || strstr(p, "**");
	if (!deep) {
		s = strrchr(rel, '/');
		return rc_wild(p, s ? s + 1 : rel);
	}
	for (s = rel; s; s = strchr(s, '/'), s = s ? s + 1 : NULL)
		if (rc_wild(p, s))
			return true;
	return false;
}

bool rc_filter_excluded(const struct rc_tree_opts *o, const char *rel,
			bool is_dir)
{
	unsigned i;

	for (i = 0; i < o->nfilters; i++)
		if (rc_rule_matches(o->filters[i].pattern, rel, is_dir))
			return !o->filters[i].include;
	return false;
}

static int rc_name_cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The names in dir_fd, sorted as rsync deletes them (last first), or
 * NULL with *n 0. */
static char **rc_names_desc(int dir_fd, size_t *n)
{
	char **names;

	if (rc_list_names(dir_fd, &names, n))
		return NULL;
	if (*n > 1)
		qsort(names, *n, sizeof(*names), rc_name_cmp_desc);
	return names;
}

static void rc_delete_say(struct rc_tree *t, const char *rel, bool is_dir)
{
	if ((t->o->verbose || t->o->itemize) && !t->o->quiet)
		printf("%s%s%s\n", t->o->itemize ? "*deleting   " : "deleting ",
		       rel, is_dir ? "/" : "");
}

/*
 * Delete dir_fd/name (rel for messages), a directory's contents first,
 * each named as it goes (rsync's order).  Returns 0 or -errno.
 */
static int rc_delete_path(struct rc_tree *t, int dir_fd, const char *name,
			  const char *rel, bool is_dir)
{
	struct stat ls;
	bool link = !is_dir && fstatat(dir_fd, name, &ls,
				       AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(ls.st_mode);
	size_t n = 0, i;
	char **names;
	int fd, ret = 0, r;

	if (is_dir && (fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		names = rc_names_desc(fd, &n);
		for (i = 0; i < n; i++) {
			char *sub = rc_path_join(rel, names[i]);
			struct stat st;

			r = !sub ? -ENOMEM :
			    fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ?
			    -errno : rc_delete_path(t, fd, names[i], sub,
						   S_ISDIR(st.st_mode));
			ret = ret ? ret : r;
			free(sub);
			free(names[i]);
		}
		free(names);
		close(fd);
	}
	if (!t->o->dry_run && unlinkat(dir_fd, name, is_dir ? AT_REMOVEDIR :
				       0) < 0)
		ret = ret ? ret : -errno;
	if (!ret) {
		rc_delete_say(t, rel, is_dir);
		t->st->deleted++;
		t->st->deleted_dirs += is_dir;
		if (link && S_ISLNK(ls.st_mode))
			t->st->deleted_links++;
		else if (link)
			t->st->deleted_other++;
	}
	return ret;
}

void rc_delete_extraneous(struct rc_tree *t, struct rc_dir *d)
{
	const struct rc_tree_opts *o = t->o;
	char **names;
	size_t n = 0, i;
	int ret;

	if (!o->delete || d->list_failed || d->fresh || !d->apply_meta ||
	    d->dst_fd < 0 || d->src_fd < 0 || t->stopping)
		return;
	if (t->io_error) {	/* rsync's rule: delete nothing then */
		if (!t->io_error_said)
			fprintf(stderr, "ringcp: I/O error reading the source: "
				"skipping file deletion\n");
		t->io_error_said = true;
		return;
	}
	names = rc_names_desc(d->dst_fd, &n);
	if (!names && n) {
		rc_tree_err(t, -ENOMEM, "cannot read directory '%s'",
			    d->dst_path);
		return;
	}
	for (i = 0; i < n; i++) {
		char *rel = rc_path_join(d->rel, names[i]);
		struct stat ds, s;
		bool is_dir, excl;

		if (rel && !rc_is_temp_name(names[i], NULL) &&
		    fstatat(d->dst_fd, names[i], &ds, AT_SYMLINK_NOFOLLOW) == 0) {
			is_dir = S_ISDIR(ds.st_mode);
			excl = rc_filter_excluded(o, rel, is_dir);
			if ((excl ? o->delete_excluded :
			     fstatat(d->src_fd, names[i], &s,
				     AT_SYMLINK_NOFOLLOW) < 0 &&
			     errno == ENOENT) &&
			    (ret = rc_delete_path(t, d->dst_fd, names[i], rel,
						  is_dir)))
				rc_tree_err(t, ret, "cannot delete '%s'",
					    rc_tree_path(d->dst_path,
							 names[i]));
		}
		free(rel);
		free(names[i]);
	}
	free(names);
}
