/* SPDX-License-Identifier: MIT */
/*
 * Tree copy internals shared by rc_tree.c (the scheduler and the file
 * jobs), rc_walk.c (directories), rc_meta.c (metadata, non-regular files)
 * and rc_hlink.c (hard-link groups).
 */
#ifndef RC_TREE_INT_H
#define RC_TREE_INT_H

#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rc_tree.h"

/*
 * A directory being copied: its source and destination fds (everything
 * below it is reached relative to them, so depth is not bounded by
 * PATH_MAX), and a reference count: the walker's listing, each child item
 * in flight, each child directory.  At zero its metadata is applied (after
 * its contents, as rsync does), its fds are closed and its parent is put.
 */
struct rc_dir {
	struct rc_dir *parent;
	int src_fd, dst_fd;
	char *src_path;		/* for messages */
	char *dst_path;
	char *rel;		/* relative to the transfer root ("" at it) */
	struct stat st;		/* the source directory's */
	unsigned refs;
	bool fresh;		/* created in this run: holds nothing else */
	/*
	 * Staging (see rc_walk.c): a directory new to the destination is
	 * made under a temporary name and renamed to its final name when
	 * everything in it is done, so what is inside goes in under final
	 * names directly, never visible half-written.
	 */
	bool staged;		/* not at its final path yet */
	bool adopted;		/* an interrupted run's: not all ours to trust */
	char *stage_tmp;	/* a staging root: its name in parent ... */
	char *stage_final;	/* ... and the name it is renamed to */
	char **leftovers;	/* staging dirs of interrupted runs found in it */
	size_t nleftovers;
	struct rc_dir *stage_next;	/* on the tree's list of staging roots */
	dev_t stage_pdev;	/* a staging root: its parent (dst side) */
	ino_t stage_pino;
	struct rc_dir *stage_hold;	/* another operand's staging root it
					 * fills: a reference, put last */
	gid_t new_gid;		/* the group a file created in it gets */
	bool apply_meta;	/* false for the holder of a "SRC" operand */
	/* PLACE ops naming this directory: one chain in flight at a time,
	 * the jobs that came meanwhile wait here (see rc_job_place) */
	unsigned places;
	struct rc_job *place_head, *place_tail;
};

/* Hard-link groups (-H): the first name copied, the others linked to it. */
struct rc_hlink;
struct rc_job;

struct rc_hlink_table {
	struct rc_hlink **slots;
	size_t nslots, count;
};

struct rc_tree {
	struct rc_ring *r;
	const struct rc_tree_opts *o;
	struct rc_tree_stats *st;
	uid_t euid;
	gid_t egid;
	bool root;		/* may chown, mknod, link by fd */
	bool link_by_proc;	/* link O_TMPFILEs through /proc/self/fd */
	bool no_tmpfile;	/* the filesystem has no O_TMPFILE */
	unsigned active;	/* file jobs in flight */
	struct rc_hlink_table hl;
	uint64_t start_ns;
	uint64_t total_bytes, total_files;	/* --progress: measured first */
	uint64_t last_progress_ns;
	bool progress_tty;
	bool stopping;		/* aborted: leftovers are kept for a rerun */
	struct rc_dir *stages;	/* staging roots not renamed yet: ours */
};

/* ---- messages (rc_tree.c) ---- */

/* "ringcp: <fmt>[: strerror(-err)]" on stderr; counts an error if err. */
void rc_tree_err(struct rc_tree *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A source entry gone during the copy: printed and counted (exit 24). */
void rc_tree_vanished(struct rc_tree *t, const char *path);
/* A line on stdout for -v (or a dry run's listing). */
void rc_tree_verbose(struct rc_tree *t, const struct rc_dir *d,
		     const char *name, const char *suffix);
/* "path/name" in a static buffer: for messages only */
const char *rc_tree_path(const char *dir, const char *name);

/* ---- directories (rc_walk.c) ---- */

struct rc_walk;

/*
 * Start walking one operand: src_dir_fd/src_name is copied into dst_dir
 * as dst_name.  Returns 0 or -errno (message printed).
 */
int rc_walk_new(struct rc_tree *t, struct rc_dir *holder, const char *name,
		struct rc_walk **wp);

/*
 * The next non-directory entry to copy: *dirp (a reference the caller
 * puts), its name (valid until the next call) and d_type.  Directories
 * are created and entered here.  Returns 1, 0 when the walk is done, or
 * -errno on a fatal error.
 */
int rc_walk_next(struct rc_walk *w, struct rc_dir **dirp, const char **name,
		 unsigned char *d_type);
void rc_walk_free(struct rc_walk *w);

/* A directory node; fds are owned by it from here. */
struct rc_dir *rc_dir_new(struct rc_dir *parent, int src_fd, int dst_fd,
			  const char *src_path, const char *dst_path,
			  const char *rel);
void rc_dir_get(struct rc_dir *d);
/* Work out d->new_gid from its destination (set-group-ID or not). */
void rc_dir_set_new_gid(const struct rc_tree *t, struct rc_dir *d);
void rc_dir_put(struct rc_tree *t, struct rc_dir *d);

/*
 * What an interrupted run left in d, an existing destination directory:
 * files named like our temporary names (".<base>.ringcp-XXXXXXXX", all of
 * them, or only those for one base name) are removed; directories so
 * named (staging directories) are kept in d->leftovers, to be taken up by
 * the entry of that name, or removed when d is done.
 */
void rc_walk_clean_temps(struct rc_tree *t, struct rc_dir *d,
			 const char *base);

/* Files and bytes under a directory, for --progress's ETA. */
void rc_walk_measure(int dir_fd, uint64_t *files, uint64_t *bytes);

/* ---- metadata (rc_meta.c) ---- */

/* The mode a new file or directory gets: exact with -p, else less umask. */
mode_t rc_meta_mode(const struct rc_tree *t, mode_t src_mode);

/*
 * Apply owner, mode (if set_mode), ACLs/xattrs (read from src_fd, if >= 0)
 * and times of the source (metadata in st) to the open file fd, as the
 * options ask.  cur is what fd has now (NULL: unknown): calls that would
 * change nothing are skipped.  Returns 0 or -errno (*what names the step).
 */
int rc_meta_apply_fd(struct rc_tree *t, int src_fd, int fd,
		     const struct stat *st, const struct stat *cur,
		     bool set_mode, const char **what);

/*
 * Copy a symlink, device, FIFO or socket src_dir/name to dst_dir/name
 * (replacing what is there), metadata included.  Returns 0, 1 if skipped
 * by choice, or -errno (message printed).
 */
int rc_meta_copy_special(struct rc_tree *t, struct rc_dir *d,
			 const char *name, const struct stat *st);

/* ---- hard links (rc_hlink.c) ---- */

enum rc_hlink_state {
	RC_HLINK_NEW,		/* first name of the group: copy it */
	RC_HLINK_DONE,		/* the group's file is in place: link to it */
	RC_HLINK_WAIT,		/* its copy is in flight: the job waits */
};

/*
 * Look up the group of (dev, ino) with nlink names.  NEW: the job is the
 * group's first and must call rc_hlink_placed() or rc_hlink_failed().
 * WAIT: the job was queued and is resumed by rc_hlink_placed() through
 * resume().  DONE: *dirp and *namep name the file to link to (the
 * caller gets a reference on *dirp).
 */
enum rc_hlink_state rc_hlink_lookup(struct rc_tree *t, dev_t dev, ino_t ino,
				    unsigned nlink, struct rc_job *job,
				    struct rc_dir **dirp, const char **namep);
/* The first name is in place at d/name: resume the waiting jobs. */
void rc_hlink_placed(struct rc_tree *t, dev_t dev, ino_t ino,
		     struct rc_dir *d, const char *name,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool));
/* A name of the group found up to date at d/name: later names link to it. */
void rc_hlink_seen(struct rc_tree *t, dev_t dev, ino_t ino, unsigned nlink,
		   struct rc_dir *d, const char *name);
/* The first copy failed: the next waiting job copies instead. */
void rc_hlink_failed(struct rc_tree *t, dev_t dev, ino_t ino,
		     void (*resume)(struct rc_tree *, struct rc_job *, bool));
void rc_hlink_free(struct rc_tree *t);

#endif
