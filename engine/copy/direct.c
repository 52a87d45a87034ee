/* SPDX-License-Identifier: MIT */
/*
 * Direct I/O of a pump's writes: the destination fd gets O_DIRECT (fcntl
 * F_SETFL) while nothing of the pump is in flight, and every write that
 * is aligned (file offset, length and buffer address, to the larger of
 * statx's stx_dio_offset_align and stx_dio_mem_align) goes straight from
 * the block buffer to the device.  The block buffers are RC_BUF_ALIGN
 * (4096) aligned and a block a multiple of the alignment, so only a
 * file's last, partial block and what follows a short read or write are
 * not.
 *
 * Those go buffered, by one switch: the write that cannot go direct is
 * parked (prepared, held by its slot), the pump starts nothing new, and
 * once nothing of the pump is in flight O_DIRECT is turned off and the
 * parked writes go.  Why wait rather than turn the flag off at once: the
 * kernel reads the file's flags when it issues a write and again when
 * io-wq retries one, so a switch under writes in flight would make which
 * mode each ran in a matter of timing; with the wait, every write of the
 * file went one known way, and no direct write overlaps a page the
 * buffered tail dirties.  It costs at most the wait for the writes before
 * the tail, which the copy waits for anyway.  (The other way, a padded
 * direct write of the tail then ftruncate, would write past the size the
 * source had, and a short read in the middle of a file would still need
 * this fallback.)
 *
 * A filesystem that refuses O_DIRECT (fcntl EINVAL: ramfs, some FUSE and
 * overlay setups) leaves the pump buffered from the start; a direct write
 * answered -EINVAL (an alignment the filesystem did not say) is parked
 * and redone buffered the same way: neither fails the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "pump_int.h"

/* The buffers' alignment (core/alloc.c's RC_BUF_ALIGN); a filesystem
 * asking for more gets buffered writes. */
#define RC_DIRECT_MAX_ALIGN	4096u

static enum rc_direct rc_direct_mode(const struct rc_pump *c)
{
	return c->opts->direct ? c->opts->direct : RC_COPY_DEFAULT_DIRECT;
}

static bool rc_direct_wanted(const struct rc_pump *c, uint64_t span)
{
	enum rc_direct mode = rc_direct_mode(c);

	if (c->splice || mode == RC_DIRECT_NEVER)
		return false;
	if (mode == RC_DIRECT_ALWAYS)
		return true;
	return c->opts->fsync && span >= RC_DIRECT_AUTO_MIN_BYTES;
}

/*
 * The alignment direct I/O on fd needs: statx's, or (always only) the
 * page size where the filesystem does not say (fcntl and the writes'
 * answers tell then).  0 if it says it cannot, or says nothing to auto.
 */
static uint32_t rc_direct_align(int fd, bool always)
{
	struct statx stx = { 0 };
	uint32_t a;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0 ||
	    !(stx.stx_mask & STATX_DIOALIGN))
		return always ? RC_DIRECT_MAX_ALIGN : 0;
	if (!stx.stx_dio_offset_align || !stx.stx_dio_mem_align)
		return 0;
	a = stx.stx_dio_offset_align > stx.stx_dio_mem_align ?
	    stx.stx_dio_offset_align : stx.stx_dio_mem_align;
	return a;
}

static int rc_direct_set(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (!!(fl & O_DIRECT) == on)
		return 0;
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

void rc_direct_start(struct rc_pump *c, uint64_t span)
{
	uint32_t a;

	c->direct = false;
	if (!rc_direct_wanted(c, span))
		return;
	a = rc_direct_align(c->dst, rc_direct_mode(c) == RC_DIRECT_ALWAYS);
	if (!a || a > RC_DIRECT_MAX_ALIGN || a & (a - 1) || c->bs % a)
		return;
	if (rc_direct_set(c->dst, true))
		return;		/* refused (EINVAL): buffered */
	c->direct = true;
	c->direct_align = a;
}

bool rc_direct_fits(const struct rc_pump *c, const struct rc_op *op)
{
	uint64_t m = c->direct_align - 1;

	return c->direct && !((op->off | op->len |
			       (uintptr_t)((char *)op->buf + op->io_off)) & m);
}

int rc_direct_park(struct rc_pump *c, struct rc_copy_slot *s)
{
	s->parked = true;
	c->parked++;
	return 0;
}

int rc_direct_unpark(struct rc_pump *c)
{
	unsigned i;
	int ret;

	if (c->busy || !c->parked)
		return 0;
	/* nothing of the file in flight: every later write is buffered */
	if (c->direct) {
		ret = rc_direct_set(c->dst, false);
		if (ret)
			return ret;
		c->direct = false;
	}
	for (i = 0; i < c->n_slots && c->parked; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		if (!s->parked)
			continue;
		s->parked = false;
		c->parked--;
		ret = rc_slot_submit(c, s->op, &s->held);
		if (ret)
			return ret;
	}
	return 0;
}

void rc_direct_end(struct rc_pump *c)
{
	if (c->direct && !c->busy && !rc_direct_set(c->dst, false))
		c->direct = false;
}
