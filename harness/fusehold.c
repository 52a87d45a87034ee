/* SPDX-License-Identifier: MIT */
/*
 * The held filesystem of fusehold.h, on libfuse3's low-level API, served
 * by a multi-threaded loop (the other files' requests are answered while
 * the held read waits).
 */
#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "death.h"
#include "fusehold.h"

struct rh_fusehold {
	struct fuse_session *se;
	pthread_t loop;
	bool looping;
	char *dir;
	unsigned nfiles, hold, flags;
	size_t size;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool held, released;
	unsigned reading;	/* reads being answered */
	dev_t dev;		/* the mount's: its connection's number */
};

static void rh_fh_ctl(void);
static void rh_fh_track(struct rh_fusehold *f, bool live);

/* inode 1 is the root; file i is inode i + 2 */
static void rh_fh_stat(const struct rh_fusehold *f, fuse_ino_t ino,
		       struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = (off_t)f->size;
		st->st_blocks = (blkcnt_t)((f->size + 511) / 512);
	}
}

static bool rh_fh_valid(const struct rh_fusehold *f, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID || (ino >= 2 && ino < 2 + f->nfiles);
}

static void rh_fh_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct rh_fusehold *f = fuse_req_userdata(req);
	struct fuse_entry_param e;
	unsigned i;

	if (parent != FUSE_ROOT_ID || name[0] != 'f' ||
	    sscanf(name + 1, "%u", &i) != 1 || i >= f->nfiles) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = i + 2;
	e.attr_timeout = e.entry_timeout = 60;
	rh_fh_stat(f, e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void rh_fh_getattr(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct rh_fusehold *f = fuse_req_userdata(req);
	struct stat st;

	(void)fi;
	if (!rh_fh_valid(f, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	rh_fh_stat(f, ino, &st);
	fuse_reply_attr(req, &st, 60);
}

static void rh_fh_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	struct rh_fusehold *f = fuse_req_userdata(req);
	char *buf = calloc(1, size), name[16];
	size_t used = 0, n;
	struct stat st;
	unsigned i;

	(void)fi;
	if (ino != FUSE_ROOT_ID || !buf) {
		free(buf);
		fuse_reply_err(req, ino != FUSE_ROOT_ID ? ENOTDIR : ENOMEM);
		return;
	}
	for (i = (unsigned)off; i < f->nfiles; i++) {
		snprintf(name, sizeof(name), "f%02u", i);
		rh_fh_stat(f, i + 2, &st);
		n = fuse_add_direntry(req, buf + used, size - used, name, &st,
				      (off_t)i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* A request of file ino has come: count it, and if ino is the held file
 * and not released, mark it held and wait (FUSE's interrupts, which a
 * cancel sends, are not heard). */
static void rh_fh_wait_if_held(struct rh_fusehold *f, fuse_ino_t ino)
{
	pthread_mutex_lock(&f->lock);
	f->reading++;
	if (ino == f->hold + 2) {
		f->held = true;
		pthread_cond_broadcast(&f->cond);
		while (!f->released)
			pthread_cond_wait(&f->cond, &f->lock);
	}
	pthread_mutex_unlock(&f->lock);
}

/* The request counted by rh_fh_wait_if_held() is answered. */
static void rh_fh_answered(struct rh_fusehold *f)
{
	pthread_mutex_lock(&f->lock);
	f->reading--;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static void rh_fh_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct rh_fusehold *f = fuse_req_userdata(req);
	char *buf;
	size_t n;

	(void)fi;
	rh_fh_wait_if_held(f, ino);
	n = (size_t)off >= f->size ? 0 : f->size - (size_t)off;
	n = n < size ? n : size;
	buf = malloc(n ? n : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(buf, 'd', n);
	fuse_reply_buf(req, buf, n);
	free(buf);
	rh_fh_answered(f);
}

/* A write: held like a read when it is to the held file; its bytes are
 * taken and dropped (the file's size does not change). */
static void rh_fh_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	struct rh_fusehold *f = fuse_req_userdata(req);

	(void)buf;
	(void)off;
	(void)fi;
	rh_fh_wait_if_held(f, ino);
	fuse_reply_write(req, size);
	rh_fh_answered(f);
}

/* Direct I/O: a read waits for the daemon itself, where a cancel's
 * interrupt is sent and not heard (not on a page lock it can leave). */
static void rh_fh_open(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* RH_FUSEHOLD_IO_WQ: no asynchronous direct I/O.  With it, the kernel
 * queues an io_uring read or write to the daemon and returns
 * (-EIOCBQUEUED), and the request waits outside io-wq, where a cancel
 * does not find it (-ENOENT); without it, the io-wq worker itself waits
 * for the answer (-EALREADY). */
static void rh_fh_init(void *userdata, struct fuse_conn_info *conn)
{
	struct rh_fusehold *f = userdata;

	if (f->flags & RH_FUSEHOLD_IO_WQ)
		conn->want &= ~FUSE_CAP_ASYNC_DIO;
}

static const struct fuse_lowlevel_ops rh_fh_ops = {
	.init = rh_fh_init,
	.open = rh_fh_open,
	.lookup = rh_fh_lookup,
	.getattr = rh_fh_getattr,
	.readdir = rh_fh_readdir,
	.read = rh_fh_read,
	.write = rh_fh_write,
};

static void *rh_fh_loop(void *arg)
{
	struct rh_fusehold *f = arg;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();

	if (cfg)
		fuse_loop_cfg_set_max_threads(cfg, 16);
	fuse_session_loop_mt(f->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return NULL;
}

int rh_fusehold_mount(struct rh_fusehold **fp, const char *dir,
		      unsigned nfiles, size_t size, unsigned hold,
		      unsigned flags)
{
	char *argv[] = { (char *)"fusehold", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct rh_fusehold *f;

	if (geteuid() != 0)
		return -EPERM;
	if (access("/dev/fuse", R_OK | W_OK))
		return -ENODEV;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nfiles = nfiles;
	f->size = size;
	f->hold = hold;
	f->flags = flags;
	f->dir = strdup(dir);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->se = fuse_session_new(&args, &rh_fh_ops, sizeof(rh_fh_ops), f);
	fuse_opt_free_args(&args);
	if (!f->se || !f->dir || fuse_session_mount(f->se, dir)) {
		if (f->se)
			fuse_session_destroy(f->se);
		free(f->dir);
		free(f);
		return -ENODEV;
	}
	if (pthread_create(&f->loop, NULL, rh_fh_loop, f)) {
		fuse_session_unmount(f->se);
		fuse_session_destroy(f->se);
		free(f->dir);
		free(f);
		return -EAGAIN;
	}
	f->looping = true;
	{
		struct stat st;

		if (stat(dir, &st) == 0)
			f->dev = st.st_dev;
	}
	rh_fh_ctl();	/* its abort file, ready for rh_fh_died() */
	rh_fh_track(f, true);
	*fp = f;
	return 0;
}

/* Mount the FUSE control filesystem (its abort files) if it is not. */
static void rh_fh_ctl(void)
{
	const char *ctl = "/sys/fs/fuse/connections";
	struct statfs sf;

	if (statfs(ctl, &sf) == 0 && sf.f_type == 0x65735543)
		return;		/* FUSE_CTL_SUPER_MAGIC: mounted */
	mount("fusectl", ctl, "fusectl", 0, NULL);
}

/* Filesystems mounted and not yet unmounted, for rh_fh_died(). */
static struct rh_fusehold *rh_fh_live[16];

/* Write "1" to the connection's abort file (raw syscalls only). */
static void rh_fh_abort_dev(dev_t dev)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
		 minor(dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			(void)0;	/* nothing more to do while dying */
		close(fd);
	}
}

/*
 * A sanitizer is ending the process, whose threads serve the held
 * filesystems: abort their connections first.  Else a request of one
 * that the daemon had read waits for an answer that never comes, in an
 * io-wq worker the exit waits for, and in the symbolizer's child that
 * closes the file (a FUSE flush): the process never ends.
 */
static void rh_fh_died(void)
{
	for (unsigned i = 0; i < sizeof(rh_fh_live) / sizeof(rh_fh_live[0]);
	     i++)
		if (rh_fh_live[i] && rh_fh_live[i]->dev)
			rh_fh_abort_dev(rh_fh_live[i]->dev);
}

/* Keep f in (live) or out of rh_fh_live. */
static void rh_fh_track(struct rh_fusehold *f, bool live)
{
	for (unsigned i = 0; i < sizeof(rh_fh_live) / sizeof(rh_fh_live[0]);
	     i++) {
		if (live && !rh_fh_live[i]) {
			rh_fh_live[i] = f;
			rh_on_death(rh_fh_died);
			return;
		}
		if (!live && rh_fh_live[i] == f) {
			rh_fh_live[i] = NULL;
			return;
		}
	}
}

/*
 * End the connection: every request of it, now or later (the flush of a
 * file still open when this process exits, whose daemon is this process
 * and gone by then), fails at once instead of waiting for an answer.
 */
static void rh_fh_abort(const struct rh_fusehold *f)
{
	rh_fh_ctl();
	rh_fh_abort_dev(f->dev);
}

int rh_fusehold_held(struct rh_fusehold *f)
{
	int held;

	pthread_mutex_lock(&f->lock);
	held = f->held;
	pthread_mutex_unlock(&f->lock);
	return held;
}

bool rh_fusehold_wait_held(struct rh_fusehold *f, unsigned ms)
{
	while (!rh_fusehold_held(f) && ms--)
		usleep(1000);
	return rh_fusehold_held(f);
}

void rh_fusehold_release(struct rh_fusehold *f)
{
	pthread_mutex_lock(&f->lock);
	f->released = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

void rh_fusehold_rearm(struct rh_fusehold *f)
{
	pthread_mutex_lock(&f->lock);
	f->held = false;
	f->released = false;
	pthread_mutex_unlock(&f->lock);
}

/* Daemons still serving (kept reachable: their threads use them). */
static struct rh_fusehold *rh_fh_gone[64];
static unsigned rh_fh_ngone;

void rh_fusehold_unmount(struct rh_fusehold *f)
{
	if (!f)
		return;
	rh_fh_track(f, false);
	rh_fusehold_release(f);
	pthread_mutex_lock(&f->lock);	/* the held read answered (1 s) */
	for (int i = 0; i < 100 && f->reading; i++) {
		pthread_mutex_unlock(&f->lock);
		usleep(10000);
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	rh_fh_abort(f);
	fuse_session_exit(f->se);
	/*
	 * Lazily: a file of it may still be open (a job's fd kept by an
	 * abort whose drain failed).  Its loop threads end when the last
	 * user of the connection goes, or with the process: the daemon is
	 * kept, not freed, and never joined.
	 */
	umount2(f->dir, MNT_DETACH);
	if (f->looping)
		pthread_detach(f->loop);
	if (rh_fh_ngone < sizeof(rh_fh_gone) / sizeof(rh_fh_gone[0]))
		rh_fh_gone[rh_fh_ngone++] = f;
}
