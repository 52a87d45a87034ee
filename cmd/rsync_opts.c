/* SPDX-License-Identifier: MIT */
/*
 * rsync's options beyond the archive flags: the --no-OPTION forms, -u,
 * --ignore-existing, -c, -x, --delete and its kin, the filter rules
 * (--exclude, --include, --filter, --exclude-from, --include-from),
 * --stats, and the ones a local copy has no use for (--partial, -P's
 * half, --numeric-ids), accepted with rsync's meaning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Add one rule; returns -1, or RC_EXIT_USAGE (message printed). */
static int rc_cmd_add_filter(struct rc_cmd *c, bool include, const char *pat)
{
	struct rc_filter *f;

	if (!*pat) {
		fprintf(stderr, "ringcp: empty filter pattern\n");
		return RC_EXIT_USAGE;
	}
	f = realloc(c->filters, (c->nfilters + 1) * sizeof(*f));
	if (!f) {
		fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
		return RC_EXIT_USAGE;
	}
	c->filters = f;
	f[c->nfilters].include = include;
	f[c->nfilters].pattern = pat;
	c->nfilters++;
	c->topts.filters = c->filters;
	c->topts.nfilters = c->nfilters;
	return -1;
}

/*
 * --filter=RULE: rsync's short and long rule names for include and
 * exclude ('+ PAT', '- PAT', 'include PAT', 'exclude PAT'), and '!' which
 * clears the list.  Merge files, modifiers and the other kinds are not
 * supported (said so).
 */
static int rc_cmd_filter_rule(struct rc_cmd *c, const char *rule)
{
	static const struct { const char *name; bool include; } kinds[] = {
		{ "+ ", true }, { "- ", false }, { "include ", true },
		{ "exclude ", false }, { "+,", true }, { "-,", false },
	};
	size_t i, n;

	if (!strcmp(rule, "!") || !strcmp(rule, "clear")) {
		c->nfilters = c->topts.nfilters = 0;
		return -1;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i].name);
		if (!strncmp(rule, kinds[i].name, n) && kinds[i].name[1] == ' ')
			return rc_cmd_add_filter(c, kinds[i].include, rule + n);
	}
	fprintf(stderr, "ringcp: unsupported filter rule '%s': give '+ "
		"PATTERN', '- PATTERN' or '!'\n", rule);
	return RC_EXIT_USAGE;
}

/* Keep a pattern read from a file (freed with the command). */
static bool rc_cmd_keep(struct rc_cmd *c, char *pattern)
{
	char **p = realloc(c->patterns, (c->npatterns + 1) * sizeof(*p));

	if (!p) {
		free(pattern);
		return false;
	}
	c->patterns = p;
	p[c->npatterns++] = pattern;
	return true;
}

/*
 * --exclude-from, --include-from: one pattern a line; blank lines and
 * lines starting with ';' or '#' are ignored (rsync's rule); '-' is stdin.
 */
static int rc_cmd_filter_file(struct rc_cmd *c, bool include, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *copy;
	size_t cap = 0;
	ssize_t n;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "ringcp: cannot open '%s': %s\n", path,
			strerror(errno));
		return RC_EXIT_USAGE;
	}
	while (ret < 0 && (n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == ';' || line[0] == '#')
			continue;
		copy = strdup(line);
		if (copy && rc_cmd_keep(c, copy))
			ret = rc_cmd_add_filter(c, include, copy);
		else
			ret = RC_EXIT_USAGE;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int rc_cmd_files_from(struct rc_cmd *c)
{
	FILE *f = strcmp(c->files_from, "-") ? fopen(c->files_from, "r") :
		  stdin;
	char *line = NULL, *p, **g;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "ringcp: cannot open '%s': %s\n",
			c->files_from, strerror(errno));
		return RC_EXIT_USAGE;
	}
	while ((n = getdelim(&line, &cap, c->from0 ? '\0' : '\n', f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
				 line[n - 1] == '/'))
			line[--n] = '\0';
		for (p = line; *p == '/' || (p[0] == '.' && p[1] == '/');)
			p += *p == '/' ? 1 : 2;
		if (!*p || !strcmp(p, "."))
			continue;
		g = realloc(c->from, (size_t)(c->nfrom + 1) * sizeof(*g));
		if (!g || !(g[c->nfrom] = strdup(p))) {
			c->from = g ? g : c->from;
			fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
			free(line);
			return RC_EXIT_USAGE;
		}
		c->from = g;
		c->nfrom++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return -1;
}

int rc_cmd_rsync_option(struct rc_cmd *c, int opt, const char *arg)
{
	struct rc_tree_opts *o = &c->topts;

	switch (opt) {
	case 'u':
		o->update = true;
		break;
	case RC_OPT_IGNORE_EXISTING:
		o->ignore_existing = true;
		break;
	case 'c':
		o->checksum = true;
		break;
	case 'x':
		o->one_file_system = true;
		break;
	case RC_OPT_DELETE:	/* when they go differs, not what */
		o->delete = true;
		break;
	case RC_OPT_DELETE_EXCLUDED:
		o->delete = o->delete_excluded = true;
		break;
	case RC_OPT_EXCLUDE:
	case RC_OPT_INCLUDE:
		c->tree = true;
		return rc_cmd_add_filter(c, opt == RC_OPT_INCLUDE, arg);
	case 'f':
		c->tree = true;
		return rc_cmd_filter_rule(c, arg);
	case RC_OPT_EXCLUDE_FROM:
	case RC_OPT_INCLUDE_FROM:
		c->tree = true;
		return rc_cmd_filter_file(c, opt == RC_OPT_INCLUDE_FROM, arg);
	case RC_OPT_STATS:
		o->stats = true;
		break;
	case 'i':
		o->itemize = true;
		break;
	case RC_OPT_FILES_FROM:	/* -a does not imply -r with it (rsync) */
		c->files_from = arg;
		break;
	case RC_OPT_INFO:	/* rsync's --info=progress2: the whole copy's */
		if (strcmp(arg, "progress2") && strcmp(arg, "progress1") &&
		    strcmp(arg, "progress")) {
			fprintf(stderr, "ringcp: unsupported --info=%s: "
				"progress2 only\n", arg);
			return RC_EXIT_USAGE;
		}
		o->progress = true;
		break;
	case RC_OPT_FROM0:
		c->from0 = true;
		break;
	case RC_OPT_LINK_DEST:
		if (!*arg) {
			fprintf(stderr, "ringcp: --link-dest needs a directory\n");
			return RC_EXIT_USAGE;
		}
		o->link_dest = arg;
		break;
	case 'P':	/* --partial --progress */
		o->progress = true;
		break;
	case RC_OPT_PARTIAL:	/* a final name never holds a partial copy;
				 * a rerun takes up what a stop left */
	case RC_OPT_NUMERIC_IDS:	/* local: ids are never mapped */
		break;
	default:
		return -2;
	}
	c->tree = true;
	return -1;
}
