/* SPDX-License-Identifier: MIT */
/*
 * ringcp's command line: cp's form (SRC DST, SRC... DIR) and rsync's
 * flags for trees, with their meaning.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"


static const struct option rc_longopts[] = {
	{ "queue-depth", required_argument, NULL, 'Q' },
	{ "block-size", required_argument, NULL, 'B' },
	{ "fsync", no_argument, NULL, RC_OPT_FSYNC },
	{ "no-fallocate", no_argument, NULL, RC_OPT_NO_FALLOCATE },
	{ "archive", no_argument, NULL, 'a' },
	{ "recursive", no_argument, NULL, 'r' },
	{ "links", no_argument, NULL, 'l' },
	{ "perms", no_argument, NULL, 'p' },
	{ "times", no_argument, NULL, 't' },
	{ "group", no_argument, NULL, 'g' },
	{ "owner", no_argument, NULL, 'o' },
	{ "devices", no_argument, NULL, RC_OPT_DEVICES },
	{ "specials", no_argument, NULL, RC_OPT_SPECIALS },
	{ "hard-links", no_argument, NULL, 'H' },
	{ "xattrs", no_argument, NULL, 'X' },
	{ "acls", no_argument, NULL, 'A' },
	{ "dry-run", no_argument, NULL, RC_OPT_DRY_RUN },
	{ "no-clobber", no_argument, NULL, RC_OPT_NO_CLOBBER },
	{ "no-target-directory", no_argument, NULL, 'T' },
	{ "remove-destination", no_argument, NULL, RC_OPT_REMOVE_DST },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, RC_OPT_PROGRESS },
	{ "json", optional_argument, NULL, RC_OPT_JSON },
	{ "files-in-flight", required_argument, NULL, RC_OPT_FILES },
	{ "buffers", required_argument, NULL, RC_OPT_BUFFERS },
	{ "data", required_argument, NULL, RC_OPT_DATA },
	{ "splice-pairs", required_argument, NULL, RC_OPT_SPLICE_PAIRS },
	{ "memory", required_argument, NULL, RC_OPT_MEMORY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "human-readable", no_argument, NULL, 'h' },
	{ "help", no_argument, NULL, RC_OPT_HELP },
	{ "version", no_argument, NULL, 'V' },
	/* rsync_opts.c */
	{ "update", no_argument, NULL, 'u' },
	{ "ignore-existing", no_argument, NULL, RC_OPT_IGNORE_EXISTING },
	{ "checksum", no_argument, NULL, 'c' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "delete", no_argument, NULL, RC_OPT_DELETE },
	{ "delete-before", no_argument, NULL, RC_OPT_DELETE },
	{ "delete-during", no_argument, NULL, RC_OPT_DELETE },
	{ "delete-delay", no_argument, NULL, RC_OPT_DELETE },
	{ "delete-after", no_argument, NULL, RC_OPT_DELETE },
	{ "delete-excluded", no_argument, NULL, RC_OPT_DELETE_EXCLUDED },
	{ "exclude", required_argument, NULL, RC_OPT_EXCLUDE },
	{ "include", required_argument, NULL, RC_OPT_INCLUDE },
	{ "filter", required_argument, NULL, 'f' },
	{ "exclude-from", required_argument, NULL, RC_OPT_EXCLUDE_FROM },
	{ "include-from", required_argument, NULL, RC_OPT_INCLUDE_FROM },
	{ "stats", no_argument, NULL, RC_OPT_STATS },
	{ "itemize-changes", no_argument, NULL, 'i' },
	{ "link-dest", required_argument, NULL, RC_OPT_LINK_DEST },
	{ "files-from", required_argument, NULL, RC_OPT_FILES_FROM },
	{ "from0", no_argument, NULL, RC_OPT_FROM0 },
	{ "info", required_argument, NULL, RC_OPT_INFO },
	{ "partial", no_argument, NULL, RC_OPT_PARTIAL },
	{ "numeric-ids", no_argument, NULL, RC_OPT_NUMERIC_IDS },
	{ "no-io-uring", no_argument, NULL, RC_OPT_NO_IO_URING },
	{ "reflink", optional_argument, NULL, RC_OPT_REFLINK },
	{ "direct", optional_argument, NULL, RC_OPT_DIRECT },
	/* --no-OPTION, rsync's: the long names and the letters */
	{ "no-recursive", no_argument, NULL, RC_OPT_NEGATE | 'r' },
	{ "no-r", no_argument, NULL, RC_OPT_NEGATE | 'r' },
	{ "no-links", no_argument, NULL, RC_OPT_NEGATE | 'l' },
	{ "no-l", no_argument, NULL, RC_OPT_NEGATE | 'l' },
	{ "no-perms", no_argument, NULL, RC_OPT_NEGATE | 'p' },
	{ "no-p", no_argument, NULL, RC_OPT_NEGATE | 'p' },
	{ "no-times", no_argument, NULL, RC_OPT_NEGATE | 't' },
	{ "no-t", no_argument, NULL, RC_OPT_NEGATE | 't' },
	{ "no-group", no_argument, NULL, RC_OPT_NEGATE | 'g' },
	{ "no-g", no_argument, NULL, RC_OPT_NEGATE | 'g' },
	{ "no-owner", no_argument, NULL, RC_OPT_NEGATE | 'o' },
	{ "no-o", no_argument, NULL, RC_OPT_NEGATE | 'o' },
	{ "no-D", no_argument, NULL, RC_OPT_NEGATE | 'D' },
	{ "no-devices", no_argument, NULL, RC_OPT_NEGATE | RC_OPT_DEVICES },
	{ "no-specials", no_argument, NULL, RC_OPT_NEGATE | RC_OPT_SPECIALS },
	{ "no-hard-links", no_argument, NULL, RC_OPT_NEGATE | 'H' },
	{ "no-H", no_argument, NULL, RC_OPT_NEGATE | 'H' },
	{ "no-xattrs", no_argument, NULL, RC_OPT_NEGATE | 'X' },
	{ "no-X", no_argument, NULL, RC_OPT_NEGATE | 'X' },
	{ "no-acls", no_argument, NULL, RC_OPT_NEGATE | 'A' },
	{ "no-A", no_argument, NULL, RC_OPT_NEGATE | 'A' },
	{ "no-progress", no_argument, NULL, RC_OPT_NEGATE | RC_OPT_PROGRESS },
	{ "no-verbose", no_argument, NULL, RC_OPT_NEGATE | 'v' },
	{ "no-v", no_argument, NULL, RC_OPT_NEGATE | 'v' },
	{ "no-human-readable", no_argument, NULL, RC_OPT_NEGATE | 'h' },
	{ "no-h", no_argument, NULL, RC_OPT_NEGATE | 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parse "N", "NK", "NKiB", "NM", "NG"... (powers of 1024). Returns 0 or
 * -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')	/* no sign, no blank */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int bad_usage(const char *msg)
{
	fprintf(stderr, "ringcp: %s\nTry 'ringcp --help' for more "
		"information.\n", msg);
	return RC_EXIT_USAGE;
}

/* -Q, -B, --files-in-flight, --splice-pairs, --memory: a number in its
 * range.  Returns -1 or RC_EXIT_USAGE (message printed). */
static int rc_cmd_number(struct rc_cmd *c, int opt, const char *arg)
{
	uint64_t v;
	bool bad = parse_size(arg, &v) != 0;

	switch (opt) {
	case 'Q':
		if (bad || v < 1 || v > RC_COPY_MAX_QD) {
			fprintf(stderr, "ringcp: invalid queue depth '%s': "
				"must be 1 to %u\n", arg, RC_COPY_MAX_QD);
			return RC_EXIT_USAGE;
		}
		c->topts.copy.queue_depth = (unsigned)v;
		return -1;
	case 'B':
		if (bad || v < RC_COPY_MIN_BS || v > RC_COPY_MAX_BS) {
			fprintf(stderr, "ringcp: invalid block size '%s': "
				"must be 4K to 64M\n", arg);
			return RC_EXIT_USAGE;
		}
		c->topts.copy.block_size = (uint32_t)v;
		return -1;
	case RC_OPT_SPLICE_PAIRS:
		if (bad || v < 1 || v > RC_SPLICE_MAX_PAIRS) {
			fprintf(stderr, "ringcp: invalid splice pairs '%s': "
				"must be 1 to %u\n", arg, RC_SPLICE_MAX_PAIRS);
			return RC_EXIT_USAGE;
		}
		c->topts.copy.splice_pairs = (unsigned)v;
		return -1;
	case RC_OPT_MEMORY:
		if (bad || v < RC_COPY_MIN_MEMORY || v > RC_COPY_MAX_MEMORY) {
			fprintf(stderr, "ringcp: invalid memory '%s': must be "
				"a size from 4K to %lluG (K, M, G: powers of "
				"1024)\n", arg,
				(unsigned long long)(RC_COPY_MAX_MEMORY >> 30));
			return RC_EXIT_USAGE;
		}
		c->topts.copy.memory = v;
		return -1;
	default:	/* RC_OPT_FILES */
		if (bad || v < 1 || v > RC_TREE_MAX_FILES) {
			fprintf(stderr, "ringcp: invalid files in flight '%s': "
				"must be 1 to %u\n", arg, RC_TREE_MAX_FILES);
			return RC_EXIT_USAGE;
		}
		c->topts.files_in_flight = (unsigned)v;
		c->tree = true;
		return -1;
	}
}

/* One of rsync's tree flags, by its letter, set to on (or off: its
 * --no-OPTION form); false if opt is none. */
static bool rc_cmd_tree_flag(struct rc_tree_opts *o, int opt, bool on)
{
	switch (opt) {
	case 'a':	/* -rlptgoD */
		o->recursive = o->links = o->perms = o->times = on;
		o->group = o->owner = o->devices = o->specials = on;
		break;
	case 'r':
		o->recursive = on;
		break;
	case 'l':
		o->links = on;
		break;
	case 'p':
		o->perms = on;
		break;
	case 't':
		o->times = on;
		break;
	case 'g':
		o->group = on;
		break;
	case 'o':
		o->owner = on;
		break;
	case 'D':
		o->devices = o->specials = on;
		break;
	case RC_OPT_DEVICES:
		o->devices = on;
		break;
	case RC_OPT_SPECIALS:
		o->specials = on;
		break;
	case 'H':
		o->hard_links = on;
		break;
	case 'X':
		o->xattrs = on;
		break;
	case 'A':	/* ACLs imply -p */
		o->acls = on;
		o->perms |= on;
		break;
	case RC_OPT_DRY_RUN:
		o->dry_run = on;
		break;
	case RC_OPT_PROGRESS:
		o->progress = on;
		break;
	default:
		return false;
	}
	return true;
}

/*
 * --reflink[=WHEN], cp's: never, auto, always; alone it is always (as cp).
 * Returns -1, or RC_EXIT_USAGE (message printed).
 */
static int rc_cmd_reflink(struct rc_cmd *c, const char *arg)
{
	static const char *const when[] = {
		[RC_REFLINK_NEVER] = "never",
		[RC_REFLINK_AUTO] = "auto",
		[RC_REFLINK_ALWAYS] = "always",
	};
	unsigned i;

	if (!arg) {
		c->topts.copy.reflink = RC_REFLINK_ALWAYS;
		return -1;
	}
	for (i = RC_REFLINK_NEVER; i <= RC_REFLINK_ALWAYS; i++)
		if (!strcmp(arg, when[i])) {
			c->topts.copy.reflink = (enum rc_reflink)i;
			return -1;
		}
	fprintf(stderr, "ringcp: invalid argument '%s' for '--reflink': give "
		"never, auto or always\n", arg);
	return RC_EXIT_USAGE;
}

/*
 * --direct[=WHEN]: never, auto, always (config.h); alone it is always.
 * Returns -1, or RC_EXIT_USAGE (message printed).
 */
static int rc_cmd_direct(struct rc_cmd *c, const char *arg)
{
	if (!arg) {
		c->topts.copy.direct = RC_DIRECT_ALWAYS;
		return -1;
	}
	if (!rc_direct_by_name(arg, &c->topts.copy.direct))
		return -1;
	fprintf(stderr, "ringcp: invalid argument '%s' for '--direct': give "
		"never, auto or always\n", arg);
	return RC_EXIT_USAGE;
}

/* One option.  Returns -1 to go on, or the exit code to leave with. */
static int rc_cmd_option(struct rc_cmd *c, int opt, const char *arg)
{
	const struct rc_buf_ops *ops;
	bool on = !(opt & RC_OPT_NEGATE);
	int ret;

	if (rc_cmd_tree_flag(&c->topts, opt & ~RC_OPT_NEGATE, on)) {
		c->tree = true;
		return -1;
	}
	ret = rc_cmd_rsync_option(c, opt, arg);
	if (ret != -2)
		return ret;
	switch (opt) {
	case RC_OPT_NEGATE | 'v':
		c->verbose = false;
		c->topts.verbose = 0;
		return -1;
	case RC_OPT_NEGATE | 'h':
		c->topts.human = false;
		return -1;
	case RC_OPT_NO_IO_URING:
		c->no_io_uring = true;
		return -1;
	case RC_OPT_REFLINK:
		return rc_cmd_reflink(c, arg);
	case RC_OPT_DIRECT:
		return rc_cmd_direct(c, arg);
	case 'Q':
	case 'B':
	case RC_OPT_FILES:
	case RC_OPT_SPLICE_PAIRS:
	case RC_OPT_MEMORY:
		return rc_cmd_number(c, opt, arg);
	case RC_OPT_DATA:
		if (rc_data_path_by_name(arg, &c->topts.copy.data_path)) {
			fprintf(stderr, "ringcp: invalid data path '%s': "
				"readwrite, splice or auto\n", arg);
			return RC_EXIT_USAGE;
		}
		return -1;
	case RC_OPT_BUFFERS:
		if (rc_buf_strategy_by_name(arg, &ops)) {
			fprintf(stderr, "ringcp: invalid buffer strategy '%s': "
				"heap, pool, fixed or ring\n", arg);
			return RC_EXIT_USAGE;
		}
		c->cfg.buffers = arg;
		return -1;
	case RC_OPT_FSYNC:
		c->topts.copy.fsync = true;
		return -1;
	case RC_OPT_NO_FALLOCATE:
		c->topts.copy.no_fallocate = true;
		return -1;
	case 'q':
		c->topts.quiet = true;
		return -1;
	case RC_OPT_JSON:
		c->json = c->tree = true;
		c->json_path = arg && *arg && strcmp(arg, "-") ? arg : NULL;
		return -1;
	case 'v':
		c->verbose = true;
		c->topts.verbose++;
		return -1;
	case 'n':	/* resolved once every option is known */
		c->dash_n = true;
		return -1;
	case RC_OPT_NO_CLOBBER:
		c->topts.no_clobber = true;
		c->cp_only = "--no-clobber";
		return -1;
	case 'T':
		c->topts.no_target_dir = true;
		c->cp_only = "-T";
		return -1;
	case RC_OPT_REMOVE_DST:
		c->topts.remove_destination = true;
		c->cp_only = "--remove-destination";
		return -1;
	case 'h':	/* rsync's: numbers in K, M, G */
		c->topts.human = true;
		return -1;
	case RC_OPT_HELP:
		rc_cmd_usage(stdout);
		return RC_EXIT_OK;
	case 'V':
		printf("ringcp %s\n", RC_VERSION);
		return RC_EXIT_OK;
	default:
		fprintf(stderr, "Try 'ringcp --help' for more information.\n");
		return RC_EXIT_USAGE;
	}
}

int rc_cmd_parse(struct rc_cmd *c, int argc, char **argv)
{
	struct stat dst_st;
	int opt, ret;

	argv[0] = (char *)"ringcp";	/* getopt's messages say "ringcp:" */
	/* rsync's rule: -h is --help only on its own */
	if (argc == 2 && !strcmp(argv[1], "-h")) {
		rc_cmd_usage(stdout);
		return RC_EXIT_OK;
	}
	while ((opt = getopt_long(argc, argv, "Q:B:arlptgoDHXAnTqvhVucxf:Pi",
				  rc_longopts, NULL)) != -1) {
		ret = rc_cmd_option(c, opt, optarg);
		if (ret >= 0)
			return ret;
	}
	c->ops = argv + optind;
	c->nops = argc - optind;
	/* -n: rsync's --dry-run with a tree option, else cp's --no-clobber */
	if (c->dash_n && c->tree)
		c->topts.dry_run = true;
	else if (c->dash_n) {
		c->topts.no_clobber = true;
		c->cp_only = c->cp_only ? c->cp_only : "-n";
	}
	if (c->tree && c->cp_only) {
		fprintf(stderr, "ringcp: %s is cp's, for single-file mode: it "
			"does not go with tree options\n", c->cp_only);
		return bad_usage("(a tree option is -a -r -l -p -t -g -o -D -H "
				 "-X -A --dry-run --progress --json ...)");
	}
	if (c->nops < 2)
		return bad_usage("missing SRC or DST operand");
	if (c->files_from && c->nops != 2)
		return bad_usage("--files-from takes one SRC (the directory the "
				 "paths are relative to) and one DST");
	if (c->files_from && (ret = rc_cmd_files_from(c)) >= 0)
		return ret;
	if (c->topts.no_target_dir && c->nops > 2)
		return bad_usage("too many operands: -T takes one SRC and one "
				 "DST");
	/* cp's form: several files into an existing directory */
	if (!c->tree && c->nops > 2 &&
	    (stat(c->ops[c->nops - 1], &dst_st) < 0 ||
	     !S_ISDIR(dst_st.st_mode)))
		return bad_usage("too many operands: give one SRC and one "
				 "DST, or several SRCs and an existing "
				 "directory");
	if (c->topts.quiet)
		c->topts.verbose = 0;
	c->topts.cp = !c->tree;
	c->cfg.tree = c->tree || c->nops > 2;
	c->cfg.queue_depth = c->topts.copy.queue_depth;
	c->cfg.block_size = c->topts.copy.block_size;
	c->cfg.files_in_flight = c->topts.files_in_flight;
	c->cfg.data_path = c->topts.copy.data_path;
	c->cfg.splice_pairs = c->topts.copy.splice_pairs;
	c->cfg.memory = c->topts.copy.memory;
	c->cfg.reflink = c->topts.copy.reflink;
	c->cfg.direct = c->topts.copy.direct;
	return -1;
}
