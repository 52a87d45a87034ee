/* SPDX-License-Identifier: MIT */
/*
 * The one place every default of a copy is resolved (ringcp/config.h).
 */
#include <errno.h>
#include <string.h>

#include "core.h"

static const char *const rc_data_path_names[] = {
	[RC_DATA_READWRITE] = "readwrite",
	[RC_DATA_SPLICE] = "splice",
	[RC_DATA_AUTO] = "auto",
};

int rc_data_path_by_name(const char *name, enum rc_data_path *path)
{
	unsigned i;

	for (i = RC_DATA_READWRITE; i <= RC_DATA_AUTO; i++)
		if (name && !strcmp(name, rc_data_path_names[i])) {
			*path = (enum rc_data_path)i;
			return 0;
		}
	return -EINVAL;
}

const char *rc_data_path_name(enum rc_data_path path)
{
	if (path == RC_DATA_DEFAULT)
		path = RC_COPY_DEFAULT_DATA_PATH;
	return path <= RC_DATA_AUTO ? rc_data_path_names[path] : "?";
}

static const char *const rc_direct_names[] = {
	[RC_DIRECT_NEVER] = "never",
	[RC_DIRECT_AUTO] = "auto",
	[RC_DIRECT_ALWAYS] = "always",
};

int rc_direct_by_name(const char *name, enum rc_direct *d)
{
	unsigned i;

	for (i = RC_DIRECT_NEVER; i <= RC_DIRECT_ALWAYS; i++)
		if (name && !strcmp(name, rc_direct_names[i])) {
			*d = (enum rc_direct)i;
			return 0;
		}
	return -EINVAL;
}

const char *rc_direct_name(enum rc_direct d)
{
	if (d == RC_DIRECT_DEFAULT)
		d = RC_COPY_DEFAULT_DIRECT;
	return d <= RC_DIRECT_ALWAYS ? rc_direct_names[d] : "?";
}

int rc_config_resolve(struct rc_config *c)
{
	const struct rc_buf_ops *ops;

	if (!c->queue_depth)
		c->queue_depth = RC_COPY_DEFAULT_QD;
	if (!c->block_size)
		c->block_size = RC_COPY_DEFAULT_BS;
	if (!c->buffers)
		c->buffers = RC_COPY_DEFAULT_BUFFERS;
	if (!c->reflink)
		c->reflink = RC_COPY_DEFAULT_REFLINK;
	if (!c->direct)
		c->direct = RC_COPY_DEFAULT_DIRECT;
	if (c->tree && !c->files_in_flight)
		c->files_in_flight = RC_TREE_DEFAULT_FILES;
	if (c->data_path == RC_DATA_DEFAULT)
		c->data_path = RC_COPY_DEFAULT_DATA_PATH;
	if (!c->memory)
		c->memory = RC_COPY_DEFAULT_MEMORY;
	if (c->memory < RC_COPY_MIN_MEMORY || c->memory > RC_COPY_MAX_MEMORY)
		return -EINVAL;
	if (!c->splice_pairs)
		c->splice_pairs = RC_SPLICE_DEFAULT_PAIRS;
	if (c->data_path > RC_DATA_AUTO || c->splice_pairs > RC_SPLICE_MAX_PAIRS)
		return -EINVAL;
	if (c->queue_depth > RC_COPY_MAX_QD ||
	    c->block_size < RC_COPY_MIN_BS || c->block_size > RC_COPY_MAX_BS ||
	    c->files_in_flight > RC_TREE_MAX_FILES ||
	    c->reflink > RC_REFLINK_ALWAYS || c->direct > RC_DIRECT_ALWAYS ||
	    rc_buf_strategy_by_name(c->buffers, &ops))
		return -EINVAL;
	return 0;
}

int rc_config_ring_params(struct rc_config *c, struct rc_ring_params *p)
{
	unsigned files;
	uint64_t entries, bufs;
	int ret = rc_config_resolve(c);

	if (ret)
		return ret;
	files = c->tree ? c->files_in_flight : 1;
	/* room for every op in flight, and a CQ that never overflows */
	entries = c->queue_depth * (c->tree ? 2ull * files : 1);
	if (entries < RC_RING_MIN_ENTRIES)
		entries = RC_RING_MIN_ENTRIES;
	if (entries > RC_RING_MAX_ENTRIES)
		entries = RC_RING_MAX_ENTRIES;
	p->entries = (unsigned)entries;
	p->cq_entries = 2 * p->entries;
	/* the data budget's blocks: the pumps never hold more at once */
	bufs = c->memory < RC_COPY_MAX_BUFFER_BYTES ? c->memory :
						      RC_COPY_MAX_BUFFER_BYTES;
	bufs /= c->block_size;
	rc_buf_strategy_by_name(c->buffers, &p->strategy);
	p->strategy_bufs = bufs ? (unsigned)bufs : 1;
	p->strategy_buf_size = c->block_size;
	return 0;
}
