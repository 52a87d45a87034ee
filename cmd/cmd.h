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

/* What the command line asks for. */
struct rc_cmd {
	bool tree;			/* a tree option was given */
	bool json;			/* --json */
	bool verbose;			/* -v (file mode: counters too) */
	bool dash_n;			/* -n: --dry-run or --no-clobber */
	const char *cp_only;		/* a cp option given (for the error
					 * when a tree option is too) */
	struct rc_tree_opts topts;	/* the tree's; .copy for both modes */
	struct rc_config cfg;		/* queue depth, block size, files in
					 * flight, buffers: for the ring */
	char **ops;			/* SRC... DST */
	int nops;
};

/*
 * Parse argv into c (whose topts.copy.stop the caller set).  Returns -1
 * when the copy is to run, or the exit code to leave with (--help,
 * --version: 0; a usage error, message printed: RC_EXIT_USAGE).
 */
int rc_cmd_parse(struct rc_cmd *c, int argc, char **argv);

/* The --help text. */
void rc_cmd_usage(FILE *f);

#endif
