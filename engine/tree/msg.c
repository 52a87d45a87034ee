/* SPDX-License-Identifier: MIT */
/*
 * What the tree copy says: errors and vanished files on stderr (counted),
 * -v lines on stdout, --progress on stderr, the --json summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_int.h"

const char *rc_tree_path(const char *dir, const char *name)
{
	static char buf[2][PATH_MAX + 256];
	static int which;
	size_t dl = strlen(dir);
	char *b = buf[which ^= 1];

	snprintf(b, sizeof(buf[0]), "%s%s%s", dir,
		 dl && dir[dl - 1] != '/' ? "/" : "", name);
	return b;
}

char *rc_path_join(const char *dir, const char *name)
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

/* --json's errors by kind */
static void rc_tree_count_kind(struct rc_tree_stats *s, int err)
{
	unsigned i;

	for (i = 0; err > 0 && i < RC_TREE_ERR_KINDS; i++) {
		if (!s->err_kinds[i].count)
			s->err_kinds[i].err = err;
		if (s->err_kinds[i].err == err) {
			s->err_kinds[i].count++;
			return;
		}
	}
	s->err_other++;
}

void rc_tree_err(struct rc_tree *t, int err, const char *fmt, ...)
{
	va_list ap;

	fputs("ringcp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(-err));
	fputc('\n', stderr);
	t->st->errors++;
	rc_tree_count_kind(t->st, -err);
}

void rc_tree_vanished(struct rc_tree *t, const char *path)
{
	fprintf(stderr, "ringcp: file has vanished '%s': %s\n", path,
		strerror(ENOENT));
	t->st->vanished++;
}

void rc_tree_verbose(struct rc_tree *t, const struct rc_dir *d,
		     const char *name, const char *suffix)
{
	if (!t->o->verbose || t->o->quiet)
		return;
	if (d->rel[0])
		printf("%s/%s%s\n", d->rel, name, suffix);
	else
		printf("%s%s\n", name, suffix);
}

void rc_tree_item_code(const struct rc_tree *t, char code[12], char y,
		       char x, const struct stat *src, const struct stat *dst)
{
	const struct rc_tree_opts *o = t->o;

	if (!dst) {
		snprintf(code, 12, "%c%c+++++++++", y, x);
		return;
	}
	memcpy(code, "...........", 12);
	code[0] = y;
	code[1] = x;
	if (x == 'f' && src->st_size != dst->st_size)
		code[3] = 's';
	if (o->times && (src->st_mtim.tv_sec != dst->st_mtim.tv_sec ||
			 src->st_mtim.tv_nsec != dst->st_mtim.tv_nsec))
		code[4] = 't';
	if (o->perms && x != 'L' &&
	    (src->st_mode & 07777) != (dst->st_mode & 07777))
		code[5] = 'p';
	if (o->owner && t->root && src->st_uid != dst->st_uid)
		code[6] = 'o';
	if (o->group && src->st_gid != dst->st_gid)
		code[7] = 'g';
}

void rc_tree_item(struct rc_tree *t, const struct rc_dir *d, const char *name,
		  const char *suffix, const char *code)
{
	const char *sep = d->rel[0] && name[0] ? "/" : "";

	if (t->o->quiet || (!t->o->verbose && !t->o->itemize))
		return;
	if (t->o->itemize)
		printf("%s ", code);
	printf("%s%s%s%s\n", d->rel, sep, name[0] || d->rel[0] ? name : ".",
	       suffix);
}

void rc_tree_verbose_cp(const struct rc_tree *t, const struct rc_dir *d,
			const char *name, const char *dst_name)
{
	if (!t->o->verbose || t->o->quiet)
		return;
	fprintf(stderr, "ringcp: '%s' -> ", rc_tree_path(d->src_path, name));
	fprintf(stderr, "'%s'\n", rc_tree_path(d->dst_path, dst_name));
}

/* n as rsync -h writes it (K, M, G: powers of 1000), or in bytes */
static void rc_size_text(char *buf, size_t size, uint64_t n, bool human)
{
	static const char units[] = "KMGTPE";
	double d = (double)n;
	int u = -1;

	if (!human) {
		snprintf(buf, size, "%" PRIu64, n);
		return;
	}
	while (d >= 1000 && u < 5) {
		d /= 1000;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%" PRIu64, n);
	else
		snprintf(buf, size, "%.2f%c", d, units[u]);
}

/* Lines when stderr is not a terminal: one every this many ns (a cron
 * or nohup log); RINGCP_PROGRESS_INTERVAL_MS overrides it. */
#define RC_PROGRESS_LOG_NS	10000000000ull

static uint64_t rc_progress_interval(const struct rc_tree *t)
{
	const char *v = getenv("RINGCP_PROGRESS_INTERVAL_MS");

	if (t->progress_tty)
		return 250000000ull;
	return v && *v ? strtoull(v, NULL, 10) * 1000000ull :
			 RC_PROGRESS_LOG_NS;
}

void rc_tree_progress(struct rc_tree *t, bool last)
{
	const struct rc_tree_stats *s = t->st;
	uint64_t now = rc_now_ns(), el = now - t->start_ns;
	uint64_t done = s->files + s->skipped + s->hard_links + s->symlinks +
			s->specials + s->errors + s->vanished;
	uint64_t total = t->total_bytes > s->bytes ? t->total_bytes : s->bytes;
	double rate = el ? (double)s->bytes / ((double)el / 1e9) : 0;
	char bytes[32], all[32], speed[32], eta[32] = "--:--";
	unsigned pct = total ? (unsigned)(s->bytes * 100 / total) : 100;

	if (!t->o->progress ||
	    (!last && now - t->last_progress_ns < rc_progress_interval(t)))
		return;
	t->last_progress_ns = now;
	if (last || total <= s->bytes)
		snprintf(eta, sizeof(eta), "0:00");
	else if (rate > 0) {
		double left = (double)(total - s->bytes) / rate;

		snprintf(eta, sizeof(eta), "%u:%02u", (unsigned)left / 60,
			 (unsigned)left % 60);
	}
	rc_size_text(bytes, sizeof(bytes), s->bytes, t->o->human);
	rc_size_text(all, sizeof(all), total, t->o->human);
	rc_size_text(speed, sizeof(speed), (uint64_t)rate, t->o->human);
	fprintf(stderr, "%s%s of %s bytes %3u%%  %sB/s  ETA %s  %" PRIu64
		"/%" PRIu64 " files%s", t->progress_tty ? "\r" : "", bytes,
		all, pct, speed, eta, done,
		t->total_files > done ? t->total_files : done,
		last || !t->progress_tty ? "\n" : "\033[K");
}
