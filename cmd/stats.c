/* SPDX-License-Identifier: MIT */
/*
 * --stats: rsync's summary lines, with rsync's number formats (commas, or
 * with -h K, M, G).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"

void rc_cmd_number_text(char *buf, size_t size, uint64_t v, bool human)
{
	static const char units[] = "KMGTPE";
	char digits[32];
	size_t n, i, o = 0;
	double d = (double)v;
	int u = -1;

	if (human && v >= 1000) {
		while (d >= 1000 && u < 5) {
			d /= 1000;	/* rsync -h: powers of 1000 */
			u++;
		}
		snprintf(buf, size, "%.2f%c", d, units[u]);
		return;
	}
	n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, v);
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* rsync's " (reg: N, dir: N, link: N, special: N)", the kinds not 0 */
static void rc_cmd_kinds(FILE *f, uint64_t reg, uint64_t dir, uint64_t link,
			 uint64_t other)
{
	const uint64_t n[] = { reg, dir, link, other };
	const char *name[] = { "reg", "dir", "link", "special" };
	const char *sep = " (";
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (!n[i])
			continue;
		fprintf(f, "%s%s: %" PRIu64, sep, name[i], n[i]);
		sep = ", ";
	}
	fputs(*sep == ',' ? ")\n" : "\n", f);
}

void rc_cmd_print_stats(FILE *f, const struct rc_tree_stats *s, bool human)
{
	char a[40], b[40];
	double secs = (double)s->elapsed_ns / 1e9;

	rc_cmd_number_text(a, sizeof(a), s->files + s->dirs + s->symlinks +
			   s->specials + s->hard_links, human);
	fprintf(f, "\nNumber of created or updated files: %s (reg: %" PRIu64
		", dir: %" PRIu64 ", link: %" PRIu64 ", special: %" PRIu64
		", hard link: %" PRIu64 ")\n", a, s->files, s->dirs,
		s->symlinks, s->specials, s->hard_links);
	rc_cmd_number_text(a, sizeof(a), s->deleted, human);
	fprintf(f, "Number of deleted files: %s", a);
	rc_cmd_kinds(f, s->deleted - s->deleted_dirs - s->deleted_links -
		     s->deleted_other, s->deleted_dirs, s->deleted_links,
		     s->deleted_other);
	rc_cmd_number_text(a, sizeof(a), s->files, human);
	fprintf(f, "Number of regular files transferred: %s\n", a);
	rc_cmd_number_text(a, sizeof(a), s->skipped, human);
	rc_cmd_number_text(b, sizeof(b), s->excluded, human);
	fprintf(f, "Number of files skipped: %s (up to date or not wanted),"
		" excluded: %s\n", a, b);
	rc_cmd_number_text(a, sizeof(a), s->bytes, human);
	fprintf(f, "Total transferred file size: %s bytes\n", a);
	rc_cmd_number_text(a, sizeof(a), secs > 0 ?
			   (uint64_t)((double)s->bytes / secs) : 0, human);
	fprintf(f, "Total time: %.3f seconds, %s bytes/sec\n", secs, a);
	fprintf(f, "Errors: %" PRIu64 ", vanished: %" PRIu64 "\n", s->errors,
		s->vanished);
}
