/* SPDX-License-Identifier: MIT */
/*
 * The tree copy's private header.  Its files, each calling only those
 * below it:
 *   tree.c     the scheduler: rc_tree_copy's loop, abort
 *   operand.c  one SRC operand: usage checks, where it goes, its walk
 *   entry.c    one listed entry: up to date, dry run, a job, a special
 *   job.c      a regular file's job: OPEN, CREATE, DATA, PLACE, CLOSE
 *   reflink.c  DATA by clone (--reflink), and the filesystem pairs that
 *              cannot
 *   walk.c     listing the source tree, entering directories
 *   hlink.c    hard-link groups (-H)
 *   dir.c      directory nodes: references, metadata when done
 *   stage.c    staging directories and what interrupted runs left
 *   meta.c     metadata through fds, non-regular files
 *   msg.c      what the copy says: errors, -v, --progress, --json
 *   cpdst.c    single-file mode: cp's rules for an existing destination
 *   filter.c   rsync's filter rules, and --delete
 */
#ifndef RC_TREE_INT_H
#define RC_TREE_INT_H

#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ringcp/hmap.h"
#include "ringcp/tree.h"

/* Directory listings: getdents64 a buffer at a time. */
#define RC_DENTS_BUF (32 * 1024)

struct rc_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* "." or "..": skipped by every listing */
static inline bool rc_dot_or_dotdot(const char *nm)
{
	return nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2]));
}

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
	 * Staging (see stage.c): a directory new to the destination is
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
	dev_t dst_dev;		/* of dst_fd, once reflink.c asked (0: not yet) */
	bool list_failed;	/* ... but not all of it could be read */
	/* PLACE ops naming this directory: one chain in flight at a time,
	 * the jobs that came meanwhile wait here (see rc_job_place) */
	unsigned places;
	struct rc_job *place_head, *place_tail;
};

struct rc_job;

struct rc_tree {
	struct rc_ring *r;
	const struct rc_tree_opts *o;
	struct rc_copy_opts copy;	/* o->copy, and the splice pipes every
					 * file's pump shares */
	struct rc_tree_stats *st;
	uid_t euid;
	gid_t egid;
	bool root;		/* may chown, mknod, link by fd */
	bool link_by_proc;	/* link O_TMPFILEs through /proc/self/fd */
	bool no_tmpfile;	/* the filesystem has no O_TMPFILE */
	unsigned active;	/* file jobs in flight */
	unsigned files_max;	/* files in flight at most (resolved) */
	struct rc_hmap hl;	/* hard-link groups by (dev, ino): hlink.c */
	uint64_t start_ns;
	uint64_t total_bytes, total_files;	/* --progress: measured first */
	uint64_t last_progress_ns;
	bool progress_tty;
	bool stopping;		/* aborted: leftovers are kept for a rerun */
	bool io_error;		/* the source could not all be listed: --delete
				 * deletes nothing (rsync's rule) */
	bool io_error_said;
	dev_t xdev;		/* -x: the device of the operand walked */
	int ld_fd;		/* --link-dest: DIR, for the operand walked */
	bool ld_said;
	bool ordered;		/* -v, -i: the walk in rsync's order (one
				 * directory at a time, sorted, files first) */
	struct rc_dir *stages;	/* staging roots not renamed yet: ours */
	/* --reflink: (source, destination) filesystem pairs whose clone
	 * answered EXDEV or EOPNOTSUPP, not asked again (reflink.c) */
#define RC_TREE_NOCLONE_MAX 16
	struct {
		dev_t src, dst;
		int err;
	} noclone[RC_TREE_NOCLONE_MAX];
	unsigned n_noclone;
};

/* ---- msg.c ---- */

/* "ringcp: <fmt>[: strerror(-err)]" on stderr; counts an error if err. */
void rc_tree_err(struct rc_tree *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A source entry gone during the copy: printed and counted (exit 24). */
void rc_tree_vanished(struct rc_tree *t, const char *path);
/* Single-file mode's -v line: "ringcp: 'SRC' -> 'DST'" on stderr. */
void rc_tree_verbose_cp(const struct rc_tree *t, const struct rc_dir *d,
			const char *name, const char *dst_name);
/*
 * rsync's -i code of an entry: y the update kind ('>' a file received,
 * 'c' made locally, '.' attributes only), x its type (f d L D S); dst
 * NULL for a new one, else the letters of what differs (s t p o g).
 */
void rc_tree_item_code(const struct rc_tree *t, char code[12], char y,
		       char x, const struct stat *src, const struct stat *dst);
/* A line on stdout for -i ("CODE path") or -v ("path"): d/name + suffix
 * relative to the transfer root ("." for the root itself). */
void rc_tree_item(struct rc_tree *t, const struct rc_dir *d, const char *name,
		  const char *suffix, const char *code);
/* A line on stdout for -v (or a dry run's listing). */
void rc_tree_verbose(struct rc_tree *t, const struct rc_dir *d,
		     const char *name, const char *suffix);
/* "path/name" in a static buffer: for messages only */
const char *rc_tree_path(const char *dir, const char *name);
/* "dir/name", malloc'd ("name" alone if dir is ""), or NULL */
char *rc_path_join(const char *dir, const char *name);
/* --progress: a line at most every 250 ms on a terminal, and the last */
void rc_tree_progress(struct rc_tree *t, bool last);

/* ---- operand.c ---- */

/*
 * Is DST a directory the operands go into?  Yes if it is one, ends in
 * '/', must hold several operands, or receives a directory.
 */
bool rc_tree_dst_is_dir(const struct rc_tree_src *srcs, unsigned n,
			const char *dst, const struct rc_tree_opts *o);

/*
 * The usage errors of one operand, found before anything is copied: a
 * directory copied into itself or onto itself, a file onto itself.
 * Returns 0 or -EINVAL (message printed).
 */
int rc_tree_check_operand(struct rc_tree *t, const char *src,
			  const char *dst, bool dst_is_dir);

struct rc_walk;

/*
 * Set up one operand's copy into dst: its walk in *wp (NULL if nothing
 * is to be walked: a file copied to a new name goes at once).  Returns 0
 * (errors of the operand printed and counted) or -errno if the run
 * cannot go on.
 */
int rc_tree_operand(struct rc_tree *t, const char *src, const char *dst,
		    bool dst_is_dir, struct rc_walk **wp);

/*
 * --files-from: base/rel into dst/rel, the directories of rel made on the
 * way with base's metadata (rsync's implied directories).  A directory
 * named by rel is walked with -r, else made alone.  As rc_tree_operand.
 */
int rc_tree_operand_rel(struct rc_tree *t, const char *base, const char *rel,
			const char *dst, struct rc_walk **wp);

/* ---- entry.c ---- */

/*
 * One listed entry of d (a reference the callee takes over): a regular
 * file gets a job unless up to date (or is listed in a dry run), any
 * other kind is made by rc_meta_copy_special.  type is its d_type.
 */
void rc_tree_entry(struct rc_tree *t, struct rc_dir *d, const char *name,
		   const char *dst_name, unsigned char type);

/* ---- cpdst.c ---- */

/* What a single-file copy (cp's rules) finds at its destination. */
struct rc_cp_dst {
	bool exists;		/* a file is overwritten ... */
	bool inplace;		/* ... written in place (inode kept), or
				 * replaced by a copy given its owner and
				 * mode (st) */
	struct stat st;		/* the file overwritten (through a symlink) */
};

/*
 * cp's rules for d/dst_name before a file is copied there: returns 1 to
 * copy (*cd says onto what), 0 if -n leaves it alone (counted skipped),
 * or -errno (message printed, error counted).
 */
int rc_cp_dst(struct rc_tree *t, struct rc_dir *d, const char *dst_name,
	      struct rc_cp_dst *cd);

/* ---- job.c ---- */

/* Start a regular file's job: d/name to d/dst_name (d's reference is the
 * job's from here); cd: single-file mode's destination, or NULL. */
void rc_job_start(struct rc_tree *t, struct rc_dir *d, const char *name,
		  const char *dst_name, const struct rc_cp_dst *cd);

/* Hand an op that came back (rc_ring_next) to its job or its pump. */
void rc_job_reap(struct rc_op *op);

/*
 * Is a staged job's create (O_CREAT | O_EXCL under its final name) queued
 * or in flight?  Its answer alone tells whether the name is the job's to
 * remove at abort: the abort waits for it before cancelling anything.
 */
bool rc_jobs_creating(void);

/*
 * After the ring was drained at abort: forget every job, closing its fds
 * and removing what it created that is not complete.
 */
void rc_jobs_forget(struct rc_tree *t);

/*
 * After an abort whose drain failed: ops still in flight may name the
 * jobs' fds and directories, so nothing of theirs is closed or freed; the
 * jobs are kept apart (reachable, never freed, as a leaked ring is), so
 * that no later tree copy in the process walks them.
 */
void rc_jobs_abandon(void);

#ifdef RC_MUTANT_FD_CLOSE_EARLY
/* MUTANT: every job's fds closed at once (engine/mutant.h) */
void rc_jobs_close_fds(void);
#endif

/* ---- reflink.c ---- */

/*
 * DATA by clone, for a job whose CREATE is over: with --reflink=auto or
 * always, FICLONE src_fd (on src_dev) into dst_fd (in d), unless the pair
 * of filesystems is known not to clone (cache: false for a file reached
 * outside d, cp's in-place destination through a symlink).  The caller
 * guarantees that no request in flight names either fd.  Returns 0 when
 * the data was cloned, 1 when the pump is to copy it (never; auto and the
 * clone failed), or -errno when --reflink=always could not clone.
 */
int rc_tree_clone(struct rc_tree *t, struct rc_dir *d, dev_t src_dev,
		  int src_fd, int dst_fd, bool cache);

/* ---- walk.c ---- */

/*
 * Start walking one operand: holder/name (or all of holder if name is
 * NULL) is copied.  holder's reference is the walk's.  Returns 0 or
 * -errno (message printed).
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

/* Files and bytes under a directory, for --progress's ETA. */
void rc_walk_measure(int dir_fd, uint64_t *files, uint64_t *bytes);

/* ---- dir.c ---- */

/* A directory node; fds are owned by it from here. */
struct rc_dir *rc_dir_new(struct rc_dir *parent, int src_fd, int dst_fd,
			  const char *src_path, const char *dst_path,
			  const char *rel);
void rc_dir_get(struct rc_dir *d);
/* Work out d->new_gid from its destination (set-group-ID or not). */
void rc_dir_set_new_gid(const struct rc_tree *t, struct rc_dir *d);
/*
 * Drop a reference.  At zero: leftovers no entry took up are removed,
 * the metadata applied, a staging root renamed into place, the fds
 * closed, and the parent put.
 */
void rc_dir_put(struct rc_tree *t, struct rc_dir *d);

/* ---- filter.c ---- */

/* Is rel (relative to the transfer root) excluded by the filter rules? */
bool rc_filter_excluded(const struct rc_tree_opts *o, const char *rel,
			bool is_dir);

/*
 * --delete: d's listing was read whole, before its entries are copied
 * (rsync's --delete-during); what its destination holds that its source
 * does not (and, with --delete-excluded, what the rules exclude) is
 * removed, each named with -v (-i: "*deleting"), unless any part of the
 * source could not be listed so far (t->io_error) or d's own listing
 * failed.
 */
void rc_delete_extraneous(struct rc_tree *t, struct rc_dir *d);

/* ---- stage.c ---- */

/* Remove dir_fd/name and all under it.  Returns 0 or -errno. */
int rc_remove_tree(int dir_fd, const char *name);

/* The names in dir_fd ("." and ".." aside), malloc'd.  Returns 0 or
 * -errno (nothing returned then). */
int rc_list_names(int dir_fd, char ***namesp, size_t *n);

/* How rc_stage_open found or made d/name's staging directory. */
struct rc_stage {
	int dst_fd;		/* open, flock()ed */
	char *tmp;		/* its name in d (a staging root; else NULL) */
	char *final;		/* ... and the name it is renamed to */
	bool adopted;		/* an interrupted run's, taken up */
	struct rc_dir *hold;	/* another operand's root, filled as well */
};

/*
 * d/name is new to the destination (d is not staged): open another
 * operand's staging root for it (*st.hold), or take up an interrupted
 * run's (pruned to what is complete), or make a new one.  Returns 0, or
 * -1 with the error printed (nothing left open).
 */
int rc_stage_open(struct rc_tree *t, struct rc_dir *d, const char *name,
		  int src_fd, const char *dst_path, struct rc_stage *st);

/* Put a new staging root on the run's list (it is renamed when done). */
void rc_stage_add(struct rc_tree *t, struct rc_dir *nd, struct rc_dir *parent);

/*
 * What an interrupted run left in d, an existing destination directory:
 * files named like our temporary names (".<base>.ringcp-XXXXXXXX", all of
 * them, or only those for one base name) are removed; directories so
 * named (staging directories) are kept in d->leftovers, to be taken up by
 * the entry of that name, or removed when d is done.
 */
void rc_stage_clean_temps(struct rc_tree *t, struct rc_dir *d,
			  const char *base);

/*
 * d is done (rc_dir_put): its leftovers no entry took up are removed
 * (kept if the run is stopping), and if d is a staging root, it is
 * renamed to its final name in parent and leaves the run's list.
 */
void rc_stage_drop_leftovers(struct rc_tree *t, struct rc_dir *d);
void rc_stage_finish(struct rc_tree *t, struct rc_dir *d,
		     struct rc_dir *parent);

/* ---- meta.c ---- */

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

/*
 * --link-dest: link DIR's copy of d/name (relative path the same, the
 * same file: regular by size and mtime, a symlink by its target, and what
 * -p -o -g keep) to d/dst_name instead of copying.  Returns true if
 * linked (counted as a hard link).
 */
bool rc_link_dest(struct rc_tree *t, struct rc_dir *d, const char *name,
		  const char *dst_name, const char *target);

/* ---- hlink.c ---- */

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
