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

void rc_tree_verbose_cp(const struct rc_tree *t, const struct rc_dir *d,
			const char *name, const char *dst_name)
{
	if (!t->o->verbose || t->o->quiet)
		return;
	fprintf(stderr, "ringcp: '%s' -> ", rc_tree_path(d->src_path, name));
	fprintf(stderr, "'%s'\n", rc_tree_path(d->dst_path, dst_name));
}

void rc_tree_progress(struct rc_tree *t, bool last)
{
	uint64_t now = rc_now_ns(), el = now - t->start_ns;
	double rate, mib;
	uint64_t done = t->st->files + t->st->skipped + t->st->hard_links;
	char eta[32] = "--:--";

	if (!t->o->progress || (!last && now - t->last_progress_ns < 250000000))
		return;
	if (!t->progress_tty && !last)
		return;
	t->last_progress_ns = now;
	mib = (double)t->st->bytes / (1024.0 * 1024.0);
	rate = el ? mib / ((double)el / 1e9) : 0;
	if (rate > 0 && t->total_bytes > t->st->bytes) {
		double left = (double)(t->total_bytes - t->st->bytes) /
			      (1024.0 * 1024.0) / rate;

		snprintf(eta, sizeof(eta), "%u:%02u", (unsigned)left / 60,
			 (unsigned)left % 60);
	} else if (last || t->total_bytes <= t->st->bytes)
		snprintf(eta, sizeof(eta), "0:00");
	fprintf(stderr, "%s%10.1f MiB  %8" PRIu64 "/%" PRIu64 " files  "
		"%8.1f MiB/s  ETA %s%s", t->progress_tty ? "\r" : "", mib, done,
		t->total_files, rate, eta, last || !t->progress_tty ? "\n" :
		"\033[K");
}

void rc_tree_print_json(FILE *f, const struct rc_tree_stats *s,
			const struct rc_ring_stats *rs)
{
	double secs = (double)s->elapsed_ns / 1e9;

	fprintf(f, "{\"files\": %" PRIu64 ", \"dirs\": %" PRIu64
		", \"symlinks\": %" PRIu64 ", \"specials\": %" PRIu64
		", \"hard_links\": %" PRIu64 ", \"skipped\": %" PRIu64
		", \"bytes\": %" PRIu64 ", \"errors\": %" PRIu64
		", \"vanished\": %" PRIu64 ", \"elapsed_ns\": %" PRIu64
		", \"bw_bytes_per_s\": %.0f, \"files_per_s\": %.1f"
		", \"ops_submitted\": %" PRIu64 ", \"enter_calls\": %" PRIu64
		", \"cancels\": %" PRIu64 "}\n",
		s->files, s->dirs, s->symlinks, s->specials, s->hard_links,
		s->skipped, s->bytes, s->errors, s->vanished, s->elapsed_ns,
		secs > 0 ? (double)s->bytes / secs : 0,
		secs > 0 ? (double)s->files / secs : 0,
		rs->ops_submitted, rs->enter_calls, rs->cancels);
}

