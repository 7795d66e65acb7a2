/*
 * Bios for the core: a fixed pool of TFS_BIO_POOL slots per file system (no
 * malloc on the I/O path) and a tfs_iowait that counts what a caller has in
 * flight. Callers submit as many bios as they like against one tfs_iowait
 * (large runs are split at the device's max_bio_blocks), then tfs_io_wait()
 * calls the device's wait hook until all have completed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

void *tfs_buf_alloc(struct tfs *fs, size_t nblocks)
{
	return fs->bdev->ops->buf_alloc(fs->bdev, nblocks);
}

void tfs_buf_free(struct tfs *fs, void *buf, size_t nblocks)
{
	if (buf)
		fs->bdev->ops->buf_free(fs->bdev, buf, nblocks);
}

static void tfs_io_done(struct tfs_bio *bio)
{
	struct tfs_bio_slot *s = (struct tfs_bio_slot *)bio;
	if (bio->status && !s->w->status)
		s->w->status = bio->status;
	if (bio->op == TFS_BIO_WRITE && !(bio->flags & TFS_BIO_FUA))
		s->fs->unflushed = true;
	s->w->inflight--;
	s->busy = false;
}

static struct tfs_bio_slot *tfs_io_slot(struct tfs *fs)
{
	for (;;) {
		bool any_busy = false;
		for (unsigned i = 0; i < TFS_BIO_POOL; i++) {
			if (!fs->bios[i].busy)
				return &fs->bios[i];
			any_busy = true;
		}
		if (!any_busy)
			return NULL;
		fs->bdev->ops->wait(fs->bdev);
	}
}

static int tfs_io_one(struct tfs *fs, struct tfs_iowait *w, enum tfs_bio_op op, uint32_t flags,
		      uint64_t blkno, uint32_t nblocks, void *buf)
{
	struct tfs_bio_slot *s = tfs_io_slot(fs);
	if (!s)
		return -EIO;
	s->busy = true;
	s->fs = fs;
	s->w = w;
	s->bio = (struct tfs_bio){ .op = op, .flags = flags, .blkno = blkno, .nblocks = nblocks,
				   .buf = buf, .done = tfs_io_done, .private = fs };
	w->inflight++;
	int err = fs->bdev->ops->submit(fs->bdev, &s->bio);
	if (err) {
		w->inflight--;
		s->busy = false;
	}
	return err;
}

/* Range checks here stop a wild write whatever the caller computed. */
int tfs_io_submit(struct tfs *fs, struct tfs_iowait *w, enum tfs_bio_op op, uint32_t flags,
		  uint64_t blkno, uint32_t nblocks, void *buf)
{
	struct tfs_bdev *bd = fs->bdev;
	if (op != TFS_BIO_FLUSH && (blkno >= bd->nr_blocks || nblocks > bd->nr_blocks - blkno))
		return -EIO;
	if (op != TFS_BIO_READ && bd->read_only)
		return -EROFS;
	if (op == TFS_BIO_FLUSH)
		return tfs_io_one(fs, w, op, flags, 0, 0, NULL);
	uint32_t max = bd->max_bio_blocks ? bd->max_bio_blocks : 1;
	while (nblocks) {
		uint32_t n = nblocks < max ? nblocks : max;
		int err = tfs_io_one(fs, w, op, flags, blkno, n, buf);
		if (err)
			return err;
		blkno += n;
		nblocks -= n;
		if (buf)
			buf = (uint8_t *)buf + (size_t)n * TFS_BLOCK_SIZE;
	}
	return 0;
}

int tfs_io_wait(struct tfs *fs, struct tfs_iowait *w)
{
	while (w->inflight)
		fs->bdev->ops->wait(fs->bdev);
	int st = w->status;
	w->status = 0;
	return st;
}

int tfs_io_sync(struct tfs *fs, enum tfs_bio_op op, uint32_t flags, uint64_t blkno,
		uint32_t nblocks, void *buf)
{
	struct tfs_iowait w = { 0 };
	int err = tfs_io_submit(fs, &w, op, flags, blkno, nblocks, buf);
	int st = tfs_io_wait(fs, &w);
	return err ? err : st;
}

/* Make every completed write durable. No-op without a volatile cache. */
int tfs_io_flush(struct tfs *fs)
{
	fs->unflushed = false;
	if (!fs->bdev->volatile_cache)
		return 0;
	return tfs_io_sync(fs, TFS_BIO_FLUSH, 0, 0, 0, NULL);
}

int tfs_fail(struct tfs *fs, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fs->msg, sizeof(fs->msg), fmt, ap);
	va_end(ap);
	return err;
}

uint64_t tfs_now(struct tfs *fs)
{
	return fs->now ? fs->now() : 0;
}
