/* SPDX-License-Identifier: MIT */
/*
 * ringcp/config.h: every default of a copy, and the one place that
 * resolves them (rc_config_resolve) for the command, the tools, the file
 * copy and the tree copy.  The values were chosen by measurement:
 * docs/defaults.md says how, results/ holds the runs.
 */
#ifndef RINGCP_CONFIG_H
#define RINGCP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

/* Reads and writes in flight per file, and bytes per read or write. */
#define RC_COPY_DEFAULT_QD	8
#define RC_COPY_DEFAULT_BS	(256u * 1024u)
#define RC_COPY_MIN_BS		4096u
#define RC_COPY_MAX_BS		(64u * 1024u * 1024u)
#define RC_COPY_MAX_QD		4096u
/* a buffer strategy's table (fixed, ring) is cut down to this much */
#define RC_COPY_MAX_BUFFER_BYTES (256ull * 1024 * 1024)
/*
 * The data budget (--memory): bytes of block buffers in flight in a whole
 * copy, all files together (engine/copy/budget.c), instead of queue
 * depth x block size per file.  The default keeps `ringcp -a` within
 * 32 MiB of RSS on every bench dataset without losing speed
 * (results/datapath/memory_budget.json, docs/defaults.md).
 */
#define RC_COPY_DEFAULT_MEMORY	(16ull * 1024 * 1024)
#define RC_COPY_MIN_MEMORY	4096ull
#define RC_COPY_MAX_MEMORY	(64ull * 1024 * 1024 * 1024)

/* The buffer strategy unless told (docs/buffers.md says why). */
#define RC_COPY_DEFAULT_BUFFERS	"pool"

/*
 * The data path: how a file's bytes move (docs/buffers.md, "Data paths").
 *   readwrite  read into a buffer, write it out (two copies; the buffer
 *              strategies apply);
 *   splice     IORING_OP_SPLICE file -> pipe -> file, a linked pair per
 *              chunk (one copy, no user buffer: the strategies do not
 *              apply), at most splice_pairs pairs in flight in all;
 *   auto       splice for files of RC_SPLICE_AUTO_MIN_BYTES up to
 *              RC_SPLICE_AUTO_MAX_BYTES where the ring can splice (the
 *              size classes where splice won: results/datapath/splice*.json),
 *              read/write for smaller and larger ones.
 */
enum rc_data_path {
	RC_DATA_DEFAULT,	/* RC_COPY_DEFAULT_DATA_PATH */
	RC_DATA_READWRITE,
	RC_DATA_SPLICE,
	RC_DATA_AUTO,
};
/* auto: measured on fresh ext4, XFS, btrfs and tmpfs
 * (results/datapath/splice-matrix*.json, docs/defaults.md): it takes the
 * 1 MiB files in 0.23-0.41x read/write's time (per-round medians) and is
 * read/write itself below 64 KiB and above 16 MiB, where splice lost on
 * some of them.  (Held at readwrite by 227bbf0 for a fuzzer "stall" that
 * was the fuzz step's own wait: docs/defaults.md.) */
#define RC_COPY_DEFAULT_DATA_PATH	RC_DATA_AUTO
/* Splice pairs (pipes) in flight in a whole copy, all files together:
 * measured, docs/defaults.md (64 were 27x slower than 8) */
#define RC_SPLICE_DEFAULT_PAIRS		8
#define RC_SPLICE_MAX_PAIRS		256
/* Bytes per splice pair: each pipe is sized to it (F_SETPIPE_SZ; 1 MiB is
 * fs.pipe-max-size's default, the most an unprivileged user may ask) */
#define RC_SPLICE_CHUNK			(1024u * 1024u)
/* auto: files (or data segments) of this many bytes go by splice */
#define RC_SPLICE_AUTO_MIN_BYTES	(64u * 1024u)
#define RC_SPLICE_AUTO_MAX_BYTES	(16ull * 1024 * 1024)

/* readwrite | splice | auto: 0, or -EINVAL for another name */
int rc_data_path_by_name(const char *name, enum rc_data_path *path);
/* The name of a data path (RC_DATA_DEFAULT: of the default). */
const char *rc_data_path_name(enum rc_data_path path);

/*
 * A file's data cloned (FICLONE: the destination shares the source's
 * extents) instead of copied, as cp's --reflink: never, where the two
 * filesystems can (auto, the default of cp 9.x and of ringcp in both
 * modes; it falls back to copying), or always (a file that cannot be
 * cloned fails).
 */
enum rc_reflink {
	RC_REFLINK_DEFAULT = 0,		/* RC_COPY_DEFAULT_REFLINK */
	RC_REFLINK_NEVER,
	RC_REFLINK_AUTO,
	RC_REFLINK_ALWAYS,
};
#define RC_COPY_DEFAULT_REFLINK	RC_REFLINK_AUTO

/*
 * Direct I/O of a file's writes (O_DIRECT on the destination: the kernel
 * DMAs the data straight out of the block buffers, no page cache copy):
 *   never   buffered writes, as cp (the default: direct was slower on
 *           every filesystem measured, results/datapath/direct.json,
 *           docs/defaults.md);
 *   auto    for files (data segments) of at least RC_DIRECT_AUTO_MIN_BYTES
 *           in a copy made durable (--fsync), on a filesystem that states
 *           its direct I/O alignment (statx STATX_DIOALIGN; btrfs does
 *           not, and was 3x slower direct): the one class where direct
 *           could pay, the page cache copy and the writeback saved;
 *   always  every file whose destination takes O_DIRECT.
 * Reads stay buffered (a warm source is read from the page cache).  A
 * filesystem that refuses O_DIRECT, or a write it answers -EINVAL, goes on
 * buffered; so does a file's unaligned tail (engine/copy/direct.c).
 */
enum rc_direct {
	RC_DIRECT_DEFAULT = 0,		/* RC_COPY_DEFAULT_DIRECT */
	RC_DIRECT_NEVER,
	RC_DIRECT_AUTO,
	RC_DIRECT_ALWAYS,
};
#define RC_COPY_DEFAULT_DIRECT		RC_DIRECT_NEVER
#define RC_DIRECT_AUTO_MIN_BYTES	(64ull * 1024 * 1024)

/* never | auto | always: 0, or -EINVAL for another name */
int rc_direct_by_name(const char *name, enum rc_direct *d);
/* The name of a direct mode (RC_DIRECT_DEFAULT: of the default). */
const char *rc_direct_name(enum rc_direct d);

/* Regular files in flight in a tree copy. */
#define RC_TREE_DEFAULT_FILES	64
#define RC_TREE_MAX_FILES	4096

/*
 * A ring made for a copy: the SQ holds every op in flight within these
 * bounds (a tree copy's PLACE chains need 32 SQEs), the CQ twice that.
 */
#define RC_RING_MIN_ENTRIES	32
#define RC_RING_MAX_ENTRIES	4096

/* What rc_ring_create() uses for fields left 0 in rc_ring_params. */
#define RC_RING_DEFAULT_ENTRIES		256
#define RC_STRATEGY_DEFAULT_BUFS	64
#define RC_STRATEGY_DEFAULT_BUF_SIZE	(256u * 1024u)

/* What a copy asks for; every 0 (or NULL) means "the default". */
struct rc_config {
	unsigned queue_depth;		/* reads and writes in flight per file */
	uint32_t block_size;		/* bytes per read or write */
	bool tree;			/* a tree copy (several files at once) */
	unsigned files_in_flight;	/* tree: regular files copied at once */
	const char *buffers;		/* buffer strategy: heap|pool|fixed|ring */
	enum rc_data_path data_path;	/* readwrite|splice|auto */
	unsigned splice_pairs;		/* splice pairs in flight, all files */
	enum rc_reflink reflink;	/* clone file data: never|auto|always */
	enum rc_direct direct;		/* O_DIRECT writes: never|auto|always */
	uint64_t memory;		/* data budget, bytes, all files */
};

/*
 * Replace every 0 or NULL of c by its default (files_in_flight stays 0
 * when !tree).  Returns 0, or -EINVAL if a value is out of its range
 * (queue depth 1..RC_COPY_MAX_QD, block size RC_COPY_MIN_BS..MAX_BS,
 * files 1..RC_TREE_MAX_FILES, a strategy rc_buf_strategy_by_name knows,
 * a data path, splice pairs 1..RC_SPLICE_MAX_PAIRS, a reflink mode of
 * enum rc_reflink, a direct mode of enum rc_direct, memory
 * RC_COPY_MIN_MEMORY..RC_COPY_MAX_MEMORY).
 */
int rc_config_resolve(struct rc_config *c);

/*
 * Resolve c, then fill the ring parameters a copy with c needs: SQ
 * entries for every op in flight (queue depth, times twice the files in
 * flight for a tree, within RC_RING_MIN_ENTRIES..MAX), a CQ twice that
 * (it never overflows), and the buffer strategy sized for the data
 * budget: memory / block size buffers of block size (at least one, at
 * most RC_COPY_MAX_BUFFER_BYTES in all; the pool's free list keeps as
 * many).  Other fields of p are left as they are.  Returns 0 or
 * -EINVAL as rc_config_resolve.
 */
int rc_config_ring_params(struct rc_config *c, struct rc_ring_params *p);

#endif
