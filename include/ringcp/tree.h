/* SPDX-License-Identifier: MIT */
/*
 * ringcp/tree.h: tree copy, ringcp as a local `rsync -a`.  One ring, many files in flight
 * (each a small state machine of io_uring ops: open, statx, data, link
 * into place, close), directories walked relative to directory fds, every
 * regular file written unnamed (O_TMPFILE) or under a temporary name and
 * linked or renamed to its final name only when complete.
 */
#ifndef RINGCP_TREE_H
#define RINGCP_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "copy.h"

/* One filter rule (--exclude, --include, --filter): rsync's patterns. */
struct rc_filter {
	bool include;		/* '+' (include) or '-' (exclude) */
	const char *pattern;	/* rsync's: '/' anchors, a trailing '/'
				 * matches directories only, '*', '**',
				 * '?', '[...]', and dir/ followed by *** */
};

/* rsync's meaning of the flags of the same letters */
struct rc_tree_opts {
	bool recursive;		/* -r */
	bool links;		/* -l: symlinks as symlinks */
	bool perms;		/* -p */
	bool times;		/* -t */
	bool group;		/* -g */
	bool owner;		/* -o (root only) */
	bool devices;		/* --devices */
	bool specials;		/* --specials: FIFOs, sockets */
	bool hard_links;	/* -H */
	bool xattrs;		/* -X */
	bool acls;		/* -A */
	bool dry_run;		/* -n */
	int verbose;		/* -v */
	bool quiet;		/* -q */
	bool progress;		/* --progress */
	bool human;		/* -h: numbers in K, M, G (rsync's) */
	bool update;		/* -u: skip files newer in DST */
	bool ignore_existing;	/* --ignore-existing */
	bool checksum;		/* -c: same size and content, not mtime */
	bool one_file_system;	/* -x: mount points copied, not entered */
	bool delete;		/* --delete: what SRC lacks goes from DST */
	bool delete_excluded;	/* --delete-excluded */
	bool stats;		/* --stats */
	bool itemize;		/* -i: rsync's 11-character change codes */
	const char *link_dest;	/* --link-dest=DIR: unchanged files are
				 * linked from DIR (relative to DST) */
	const struct rc_filter *filters;	/* first match wins */
	unsigned nfilters;
	/*
	 * cp's semantics (single-file mode, no tree option): SRC operands are
	 * regular files, followed if symlinks; DST is a directory only if it
	 * is one; a file overwritten keeps its mode, owner, hard links and
	 * xattrs (see docs/tree-copy.md "Single-file mode").
	 */
	bool cp;
	bool no_clobber;	/* cp -n: an existing DST is left alone */
	bool no_target_dir;	/* cp -T: DST is never a directory to copy into */
	bool remove_destination; /* cp --remove-destination */
	unsigned files_in_flight; /* 0: RC_TREE_DEFAULT_FILES (config.h) */
	struct rc_copy_opts copy; /* queue depth, block size, fsync, stop */
};

struct rc_tree_stats {
	uint64_t files;		/* regular files copied */
	uint64_t dirs;		/* directories created or updated */
	uint64_t symlinks;
	uint64_t specials;	/* devices, FIFOs, sockets */
	uint64_t hard_links;	/* names linked to a file already copied */
	uint64_t skipped;	/* up to date (quick check) or not copied by
				 * choice (a symlink without -l...) */
	uint64_t bytes;		/* data bytes copied (cloned ones too) */
	uint64_t cloned;	/* regular files whose data was cloned
				 * (--reflink), not copied */
	uint64_t errors;	/* items that could not be copied */
	uint64_t vanished;	/* source items gone during the copy */
	uint64_t deleted;	/* --delete: entries removed from DST ... */
	uint64_t deleted_dirs, deleted_links, deleted_other; /* ... of them */
	uint64_t excluded;	/* left out by a filter rule */
	uint64_t in_flight;	/* files a stop (signal) cut short */
	uint64_t budget_waits;	/* pumps that waited for the data budget */
	/* errors by kind: the first RC_TREE_ERR_KINDS errnos seen, counted;
	 * the rest (and errors with no errno) in err_other */
#define RC_TREE_ERR_KINDS 8
	struct {
		int err;	/* errno */
		uint64_t count;
	} err_kinds[RC_TREE_ERR_KINDS];
	uint64_t err_other;
	uint64_t elapsed_ns;
};

/* One SRC operand; "dir/" copies dir's contents (rsync's rule). */
struct rc_tree_src {
	const char *path;
	/* --files-from: path is relative to base, and its leading
	 * directories are made in DST too, with base's subdirectories'
	 * metadata (rsync's implied directories); NULL otherwise */
	const char *base;
};

/*
 * Copy srcs into dst as rsync would (see ringcp --help).  Errors are
 * printed ("ringcp: <what> '<path>': <error>") and counted, and the copy
 * goes on with the rest.  Returns 0 when the run went through (stats say
 * whether anything failed), -EINTR if opts->copy.stop was raised (in-flight
 * I/O cancelled and drained, nothing partial left under a final name), or
 * another -errno for a usage-level failure (message printed).  r needs
 * at least 32 SQ entries: a directory's linkats go as one linked chain of
 * up to 32, and a chain that cannot fit the SQ fails every op in it.
 */
int rc_tree_copy(struct rc_ring *r, const struct rc_tree_src *srcs,
		 unsigned nsrcs, const char *dst,
		 const struct rc_tree_opts *opts, struct rc_tree_stats *stats);

#endif
