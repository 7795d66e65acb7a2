/* The tests' RAM block device: see ram_bdev.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_format.h"
#include "tests/unit/fs/ram_bdev.h"

static void ram_log(struct ram_bdev *r, const struct tfs_bio *bio)
{
	if (!r->record || (bio->op != TFS_BIO_WRITE && bio->op != TFS_BIO_FLUSH))
		return;
	if (r->nlog == r->caplog) {
		r->caplog = r->caplog ? r->caplog * 2 : 256;
		r->log = realloc(r->log, r->caplog * sizeof(*r->log));
	}
	struct ram_op *op = &r->log[r->nlog++];
	*op = (struct ram_op){ .op = bio->op, .flags = bio->flags, .blkno = bio->blkno,
			       .nblocks = bio->nblocks };
	if (bio->op == TFS_BIO_WRITE) {
		size_t len = (size_t)bio->nblocks * TFS_BLOCK_SIZE;
		op->data = malloc(len);
		memcpy(op->data, bio->buf, len);
	}
}

static void ram_do(struct ram_bdev *r, struct tfs_bio *bio)
{
	size_t off = (size_t)bio->blkno * TFS_BLOCK_SIZE;
	size_t len = (size_t)bio->nblocks * TFS_BLOCK_SIZE;
	bio->status = 0;
	switch (bio->op) {
	case TFS_BIO_READ:
		r->reads++;
		memcpy(bio->buf, r->mem + off, len);
		break;
	case TFS_BIO_WRITE:
		if (r->fail_after == 0) {
			bio->status = -EIO;
			break;
		}
		if (r->fail_after > 0)
			r->fail_after--;
		r->writes++;
		r->fuas += (bio->flags & TFS_BIO_FUA) != 0;
		if (bio->nblocks > r->max_write_blocks)
			r->max_write_blocks = bio->nblocks;
		memcpy(r->mem + off, bio->buf, len);
		ram_log(r, bio);
		break;
	case TFS_BIO_FLUSH:
		r->flushes++;
		ram_log(r, bio);
		break;
	case TFS_BIO_DISCARD:
		r->discards++;
		memset(r->mem + off, 0xd5, len); /* discarded blocks read back as junk */
		break;
	}
	bio->done(bio);
}

static int ram_submit(struct tfs_bdev *bdev, struct tfs_bio *bio)
{
	struct ram_bdev *r = bdev->private;
	if (bio->op != TFS_BIO_FLUSH &&
	    (bio->blkno >= bdev->nr_blocks || bio->nblocks > bdev->nr_blocks - bio->blkno))
		return -EINVAL;
	if (r->async && r->npending < 256) {
		r->pending[r->npending++] = bio;
		return 0;
	}
	ram_do(r, bio);
	return 0;
}

static void ram_wait(struct tfs_bdev *bdev)
{
	struct ram_bdev *r = bdev->private;
	if (r->npending) /* complete the oldest: completion order = submission order */
	{
		struct tfs_bio *bio = r->pending[0];
		memmove(r->pending, r->pending + 1, --r->npending * sizeof(r->pending[0]));
		ram_do(r, bio);
	}
}

static void *ram_buf_alloc(struct tfs_bdev *bdev, size_t nblocks)
{
	(void)bdev;
	return malloc(nblocks * TFS_BLOCK_SIZE);
}

static void ram_buf_free(struct tfs_bdev *bdev, void *buf, size_t nblocks)
{
	(void)bdev;
	(void)nblocks;
	free(buf);
}

static const struct tfs_bdev_ops ram_ops = {
	.submit = ram_submit,
	.wait = ram_wait,
	.buf_alloc = ram_buf_alloc,
	.buf_free = ram_buf_free,
};

void ram_bdev_init(struct ram_bdev *r, uint64_t nr_blocks)
{
	memset(r, 0, sizeof(*r));
	r->mem = calloc(nr_blocks, TFS_BLOCK_SIZE);
	r->fail_after = -1;
	r->bdev = (struct tfs_bdev){ .ops = &ram_ops, .nr_blocks = nr_blocks, .max_bio_blocks = 256,
				     .volatile_cache = true, .has_fua = true, .has_discard = true,
				     .private = r };
}

void ram_bdev_log_clear(struct ram_bdev *r)
{
	for (uint32_t i = 0; i < r->nlog; i++)
		free(r->log[i].data);
	r->nlog = 0;
}

void ram_bdev_free(struct ram_bdev *r)
{
	ram_bdev_log_clear(r);
	free(r->log);
	free(r->mem);
}

/* Apply a logged write to image: its first nblocks_prefix blocks, then
 * torn_bytes of the next one (a write torn by power loss). */
void ram_bdev_apply(uint8_t *image, const struct ram_op *op, uint32_t nblocks_prefix,
		    uint32_t torn_bytes)
{
	size_t off = (size_t)op->blkno * TFS_BLOCK_SIZE;
	memcpy(image + off, op->data, (size_t)nblocks_prefix * TFS_BLOCK_SIZE);
	if (torn_bytes && nblocks_prefix < op->nblocks)
		memcpy(image + off + (size_t)nblocks_prefix * TFS_BLOCK_SIZE,
		       op->data + (size_t)nblocks_prefix * TFS_BLOCK_SIZE, torn_bytes);
}
