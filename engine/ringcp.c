/* SPDX-License-Identifier: MIT */
/*
 * ringcp: copy a file through io_uring, safely.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rc_tree.h"

/* Exit codes (rsync's numbers where rsync has one). */
enum {
	RC_EXIT_OK = 0,
	RC_EXIT_USAGE = 1,
	RC_EXIT_NO_IO_URING = 4,
	RC_EXIT_SIGNAL = 20,
	RC_EXIT_NOT_COPIED = 23,
	RC_EXIT_VANISHED = 24,
};

enum {
	RC_OPT_FSYNC = 256,
	RC_OPT_NO_FALLOCATE,
	RC_OPT_DEVICES,
	RC_OPT_SPECIALS,
	RC_OPT_PROGRESS,
	RC_OPT_JSON,
	RC_OPT_FILES,
	RC_OPT_BUFFERS,
};

static volatile sig_atomic_t rc_stop;

static void rc_on_signal(int sig)
{
	rc_stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ringcp [OPTIONS] SRC DST\n"
"       ringcp [OPTIONS] SRC... DIR\n"
"       ringcp -a|-r [OPTIONS] SRC... DST\n"
"Copy files and trees through io_uring, safely: a local cp / rsync -a.\n"
"\n"
"With no tree option (-a -r -l -p -t -g -o -D -H -X -A -n, --progress, --json,\n"
"--files-in-flight), ringcp copies the regular file SRC to DST like cp without\n"
"-p: DST is a file name or an existing directory to copy into; the mode is\n"
"SRC's permission bits less the umask, without set-user-ID, set-group-ID and\n"
"sticky bits.  Several SRCs need an existing directory DIR.\n"
"\n"
"With a tree option, the flags mean what they mean to rsync, and so does a\n"
"trailing slash: 'SRC/' copies the contents of SRC into DST, 'SRC' copies SRC\n"
"itself to DST/SRC.  DST is created if missing (its parent must exist).\n"
"Directory permissions and times are set after their contents.  Sparse files\n"
"keep their holes.  With -t, a destination file with the source's size and\n"
"modification time is taken as up to date and skipped (rsync's quick check).\n"
"\n"
"A directory new to DST is made under a temporary name (.NAME.ringcp-XXXXXXXX)\n"
"and renamed to its final name once everything in it is done; files in it are\n"
"written under their own names.  Elsewhere a regular file is written unnamed\n"
"(O_TMPFILE) or under a temporary name, its metadata set through its fd, and\n"
"linked or renamed to its final name only when complete.  Either way a final\n"
"name never holds a partial copy, even after SIGKILL, and a rerun completes an\n"
"interrupted job (taking up what it left under temporary names).\n"
"\n"
"Tree options:\n"
"  -a, --archive           same as -rlptgoD\n"
"  -r, --recursive         copy directories recursively\n"
"  -l, --links             copy symlinks as symlinks (else they are skipped)\n"
"  -p, --perms             preserve permissions (set-user-ID etc. included)\n"
"  -t, --times             preserve modification times (nanoseconds)\n"
"  -g, --group             preserve the group\n"
"  -o, --owner             preserve the owner (root only; else skipped)\n"
"  -D                      same as --devices --specials\n"
"      --devices           recreate character and block devices (root)\n"
"      --specials          recreate FIFOs and sockets (never opened)\n"
"  -H, --hard-links        keep hard-linked files hard-linked\n"
"  -X, --xattrs            copy extended attributes\n"
"  -A, --acls              copy POSIX ACLs (implies -p)\n"
"  -n, --dry-run           change nothing; with -v, list what would be copied\n"
"  -q, --quiet             print errors only\n"
"      --progress          show bytes, files, rate and ETA on a terminal (a\n"
"                          final line only when stderr is not a terminal)\n"
"      --json              print a JSON summary on stdout at the end\n"
"      --files-in-flight=N regular files copied at once (default %u, max %u)\n"
"\n"
"Options for both:\n"
"  -Q, --queue-depth=N     reads and writes in flight per file (default %u,\n"
"                          max %u; cut so that N x SIZE stays within 256 MiB)\n"
"  -B, --block-size=SIZE   bytes per read or write; suffix K, M (default %uK,\n"
"                          4K to 64M)\n"
"      --fsync             make each file and its directory entry durable\n"
"                          before it counts as copied\n"
"      --no-fallocate      do not preallocate destination files\n"
"      --buffers=S         buffer strategy: heap, pool, fixed or ring\n"
"                          (default " RC_COPY_DEFAULT_BUFFERS ")\n"
"  -v, --verbose           list what is copied (a tree: paths relative to the\n"
"                          transfer root); a file: also the engine's counters\n"
"  -h, --help              show this help and exit\n"
"  -V, --version           show the version and exit\n"
"\n"
"Errors are printed as \"ringcp: <what> 'PATH': <error>\"; a tree copy goes on\n"
"with the rest.\n"
"\n"
"Exit status: (rsync's numbers)\n"
"  0   everything was copied\n"
"  1   usage error (bad option or operands, a directory copied into itself,\n"
"      SRC and DST the same in a tree copy)\n"
"  4   io_uring is not available here (the message says why and what to do)\n"
"  20  interrupted by SIGINT, SIGTERM or SIGHUP: in-flight I/O cancelled and\n"
"      drained, temporary files removed; no final name holds a partial copy\n"
"  23  something was not copied (each message names the path and the error);\n"
"      a final name is never left holding a partial copy\n"
"  24  some source files vanished during the copy (nothing else failed)\n",
		RC_TREE_DEFAULT_FILES, RC_TREE_MAX_FILES,
		RC_COPY_DEFAULT_QD, RC_COPY_MAX_QD, RC_COPY_DEFAULT_BS / 1024);
}

/* Parse "N", "NK", "NKiB", "NM"... (powers of 1024). Returns 0 or -EINVAL. */
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

static void print_stats(const struct rc_ring_stats *s, uint64_t bytes)
{
	fprintf(stderr,
		"ringcp: %" PRIu64 " bytes; %" PRIu64 " ops submitted, %" PRIu64
		" CQEs, %" PRIu64 " io_uring_enter calls, %" PRIu64
		" cancels, %" PRIu64 " stale CQEs\n",
		bytes, s->ops_submitted, s->cqes, s->enter_calls, s->cancels,
		s->stale_cqes);
}

/* The tree copy of the operands argv[0..n-2] into argv[n-1]. */
static int run_tree(struct rc_ring *ring, char **ops, int n,
		    const struct rc_tree_opts *topts, bool json)
{
	struct rc_tree_src *srcs = calloc((size_t)n, sizeof(*srcs));
	struct rc_tree_stats st;
	int i, ret;

	if (!srcs) {
		fprintf(stderr, "ringcp: %s\n", strerror(ENOMEM));
		return RC_EXIT_NOT_COPIED;
	}
	for (i = 0; i < n - 1; i++)
		srcs[i].path = ops[i];
	ret = rc_tree_copy(ring, srcs, (unsigned)n - 1, ops[n - 1], topts, &st);
	free(srcs);
	if (json)
		rc_tree_print_json(stdout, &st, rc_ring_stats(ring));
	fflush(stdout);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	if (ret == -EINVAL)
		return RC_EXIT_USAGE;
	if (ret || st.errors)
		return RC_EXIT_NOT_COPIED;
	return st.vanished ? RC_EXIT_VANISHED : RC_EXIT_OK;
}

static int bad_usage(const char *msg)
{
	fprintf(stderr, "ringcp: %s\nTry 'ringcp --help' for more "
		"information.\n", msg);
	return RC_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
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
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, RC_OPT_PROGRESS },
		{ "json", no_argument, NULL, RC_OPT_JSON },
		{ "files-in-flight", required_argument, NULL, RC_OPT_FILES },
		{ "buffers", required_argument, NULL, RC_OPT_BUFFERS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct rc_tree_opts topts = { .copy = { .stop = &rc_stop } };
	struct rc_copy_opts *opts = &topts.copy;
	struct rc_ring_params ring_params = { 0 };
	struct rc_copy_result res;
	struct sigaction sa;
	struct rc_ring *ring;
	bool verbose = false, tree = false, json = false;
	const char *buffers = RC_COPY_DEFAULT_BUFFERS;
	struct stat dst_st;
	int c, ret, nops;
	uint64_t v;
	char **ops;

	argv[0] = (char *)"ringcp";	/* getopt's messages say "ringcp:" */
	while ((c = getopt_long(argc, argv, "Q:B:arlptgoDHXAnqvhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'Q':
			if (parse_size(optarg, &v) || v < 1 ||
			    v > RC_COPY_MAX_QD) {
				fprintf(stderr, "ringcp: invalid queue depth "
					"'%s': must be 1 to %u\n", optarg,
					RC_COPY_MAX_QD);
				return RC_EXIT_USAGE;
			}
			opts->queue_depth = (unsigned)v;
			break;
		case 'B':
			if (parse_size(optarg, &v) || v < 4096 ||
			    v > RC_COPY_MAX_BS) {
				fprintf(stderr, "ringcp: invalid block size "
					"'%s': must be 4K to 64M\n", optarg);
				return RC_EXIT_USAGE;
			}
			opts->block_size = (uint32_t)v;
			break;
		case RC_OPT_FILES:
			if (parse_size(optarg, &v) || v < 1 ||
			    v > RC_TREE_MAX_FILES) {
				fprintf(stderr, "ringcp: invalid files in "
					"flight '%s': must be 1 to %u\n",
					optarg, RC_TREE_MAX_FILES);
				return RC_EXIT_USAGE;
			}
			topts.files_in_flight = (unsigned)v;
			tree = true;
			break;
		case RC_OPT_BUFFERS:
			buffers = optarg;
			if (rc_copy_buf_params(&ring_params, buffers, opts, 1)) {
				fprintf(stderr, "ringcp: invalid buffer strategy "
					"'%s': heap, pool, fixed or ring\n",
					optarg);
				return RC_EXIT_USAGE;
			}
			break;
		case RC_OPT_FSYNC:
			opts->fsync = true;
			break;
		case RC_OPT_NO_FALLOCATE:
			opts->no_fallocate = true;
			break;
		case 'a':
			topts.recursive = topts.links = topts.perms = true;
			topts.times = topts.group = topts.owner = true;
			topts.devices = topts.specials = true;
			tree = true;
			break;
		case 'r':
			topts.recursive = tree = true;
			break;
		case 'l':
			topts.links = tree = true;
			break;
		case 'p':
			topts.perms = tree = true;
			break;
		case 't':
			topts.times = tree = true;
			break;
		case 'g':
			topts.group = tree = true;
			break;
		case 'o':
			topts.owner = tree = true;
			break;
		case 'D':
			topts.devices = topts.specials = tree = true;
			break;
		case RC_OPT_DEVICES:
			topts.devices = tree = true;
			break;
		case RC_OPT_SPECIALS:
			topts.specials = tree = true;
			break;
		case 'H':
			topts.hard_links = tree = true;
			break;
		case 'X':
			topts.xattrs = tree = true;
			break;
		case 'A':
			topts.acls = topts.perms = tree = true;
			break;
		case 'n':
			topts.dry_run = tree = true;
			break;
		case 'q':
			topts.quiet = true;
			break;
		case RC_OPT_PROGRESS:
			topts.progress = tree = true;
			break;
		case RC_OPT_JSON:
			json = tree = true;
			break;
		case 'v':
			verbose = true;
			topts.verbose++;
			break;
		case 'h':
			usage(stdout);
			return RC_EXIT_OK;
		case 'V':
			printf("ringcp %s\n", RC_VERSION);
			return RC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'ringcp --help' for more "
				"information.\n");
			return RC_EXIT_USAGE;
		}
	}
	ops = argv + optind;
	nops = argc - optind;
	if (nops < 2)
		return bad_usage("missing SRC or DST operand");
	/* cp's form: several files into an existing directory */
	if (!tree && nops > 2) {
		if (stat(ops[nops - 1], &dst_st) < 0 ||
		    !S_ISDIR(dst_st.st_mode))
			return bad_usage("too many operands: give one SRC and "
					 "one DST, or several SRCs and an "
					 "existing directory");
		tree = true;
	}

	opts->umask = umask(0);
	if (!tree)
		umask(opts->umask);	/* a tree sets every mode itself */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rc_on_signal;	/* no SA_RESTART: waits see EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* room for every op in flight, and a CQ that never overflows */
	ring_params.entries = opts->queue_depth ? opts->queue_depth :
						  RC_COPY_DEFAULT_QD;
	if (tree)
		ring_params.entries *= 2 * (topts.files_in_flight ?
					    topts.files_in_flight :
					    RC_TREE_DEFAULT_FILES);
	if (ring_params.entries < 32)
		ring_params.entries = 32;
	if (ring_params.entries > 4096)
		ring_params.entries = 4096;
	ring_params.cq_entries = 2 * ring_params.entries;
	/* after all options: the strategy is sized by queue depth x block
	 * size x files in flight */
	rc_copy_buf_params(&ring_params, buffers, opts, !tree ? 1 :
			   topts.files_in_flight ? topts.files_in_flight :
			   RC_TREE_DEFAULT_FILES);
	ret = rc_ring_create(&ring, &ring_params);
	if (ret) {
		fprintf(stderr, "ringcp: cannot set up io_uring: %s: %s\n",
			strerror(-ret), rc_setup_advice(ret));
		return RC_EXIT_NO_IO_URING;
	}
	if (tree) {
		if (topts.quiet)
			topts.verbose = 0;
		ret = run_tree(ring, ops, nops, &topts, json);
		rc_ring_destroy(ring, RC_COPY_DRAIN_MS);
		return ret;
	}
	ret = rc_copy_file(ring, ops[0], ops[1], opts, &res);
	if (ret)
		fprintf(stderr, "ringcp: %s\n", res.msg);
	else if (verbose)
		fprintf(stderr, "ringcp: '%s' -> '%s'\n", ops[0],
			res.final_path);
	if (verbose)
		print_stats(rc_ring_stats(ring), res.bytes);
	rc_ring_destroy(ring, RC_COPY_DRAIN_MS);
	if (ret == -EINTR)
		return RC_EXIT_SIGNAL;
	return ret ? RC_EXIT_NOT_COPIED : RC_EXIT_OK;
}
