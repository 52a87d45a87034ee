/* SPDX-License-Identifier: MIT */
/*
 * The ringcp command: its options parsed (args.c), its help (usage.c),
 * and running the copy (main.c).
 */
#ifndef RC_CMD_H
#define RC_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "ringcp/config.h"
#include "ringcp/tree.h"

/* Exit codes (rsync's numbers where rsync has one). */
enum {
	RC_EXIT_OK = 0,
	RC_EXIT_USAGE = 1,
	RC_EXIT_CP_ERROR = 1,		/* single-file mode: cp's code */
	RC_EXIT_NO_IO_URING = 4,
	RC_EXIT_SIGNAL = 20,
	RC_EXIT_NOT_COPIED = 23,
	RC_EXIT_VANISHED = 24,
};

/* Long options without a letter (getopt_long's values). */
enum {
	RC_OPT_FSYNC = 256,
	RC_OPT_NO_FALLOCATE,
	RC_OPT_DEVICES,
	RC_OPT_SPECIALS,
	RC_OPT_PROGRESS,
	RC_OPT_JSON,
	RC_OPT_FILES,
	RC_OPT_BUFFERS,
	RC_OPT_DATA,
	RC_OPT_SPLICE_PAIRS,
	RC_OPT_MEMORY,
	RC_OPT_HELP,
	RC_OPT_DRY_RUN,
	RC_OPT_NO_CLOBBER,
	RC_OPT_REMOVE_DST,
	RC_OPT_IGNORE_EXISTING,
	RC_OPT_DELETE,
	RC_OPT_DELETE_EXCLUDED,
	RC_OPT_EXCLUDE,
	RC_OPT_INCLUDE,
	RC_OPT_EXCLUDE_FROM,
	RC_OPT_INCLUDE_FROM,
	RC_OPT_STATS,
	RC_OPT_PARTIAL,
	RC_OPT_NUMERIC_IDS,
	RC_OPT_NO_IO_URING,
	RC_OPT_LINK_DEST,
	RC_OPT_FILES_FROM,
	RC_OPT_FROM0,
	RC_OPT_INFO,
	RC_OPT_REFLINK,
	RC_OPT_DIRECT,
	/* --no-OPTION: the option's value with this bit */
	RC_OPT_NEGATE = 0x10000,
};

/* What the command line asks for. */
struct rc_cmd {
	bool tree;			/* a tree option was given */
	bool json;			/* --json */
	const char *json_path;		/* --json=FILE; NULL: stdout, alone
					 * (-v and --stats go to stderr) */
	bool verbose;			/* -v (file mode: counters too) */
	bool dash_n;			/* -n: --dry-run or --no-clobber */
	const char *cp_only;		/* a cp option given (for the error
					 * when a tree option is too) */
	struct rc_tree_opts topts;	/* the tree's; .copy for both modes */
	struct rc_config cfg;		/* queue depth, block size, files in
					 * flight, buffers: for the ring */
	struct rc_filter *filters;	/* topts.filters, owned */
	unsigned nfilters;
	char **patterns;		/* the patterns read from files, owned */
	unsigned npatterns;
	bool no_io_uring;		/* --no-io-uring: the fallback */
	const char *files_from;		/* --files-from=FILE */
	bool from0;			/* --from0: its names end in NUL */
	char **from;			/* its paths, read (rc_cmd_files_from) */
	int nfrom;
	char **ops;			/* SRC... DST */
	int nops;
};

/*
 * Parse argv into c (whose topts.copy.stop the caller set).  Returns -1
 * when the copy is to run, or the exit code to leave with (--help,
 * --version: 0; a usage error, message printed: RC_EXIT_USAGE).
 */
int rc_cmd_parse(struct rc_cmd *c, int argc, char **argv);

/*
 * rsync's options beyond the archive flags (rsync_opts.c).  Returns -2 if
 * opt is none of them, -1 to go on, or the exit code to leave with.
 */
int rc_cmd_rsync_option(struct rc_cmd *c, int opt, const char *arg);

/*
 * --files-from: read the list (c->from, c->nfrom), each path relative to
 * the one SRC (a leading '/' or './' taken off, as rsync).  Returns -1 to
 * go on, or the exit code (message printed).
 */
int rc_cmd_files_from(struct rc_cmd *c);

/* v as rsync prints it: "24,060", or with human "24.06K" (stats.c) */
void rc_cmd_number_text(char *buf, size_t size, uint64_t v, bool human);

/* --stats: rsync's summary lines on f */
void rc_cmd_print_stats(FILE *f, const struct rc_tree_stats *s, bool human);

/* --json: the summary document on f (json.c) */
void rc_cmd_print_json(FILE *f, const struct rc_tree_stats *s,
		       const struct rc_ring *ring, int exit_code);

/* The --help text. */
void rc_cmd_usage(FILE *f);

#endif
