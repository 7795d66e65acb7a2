/*
 * Host block device for the tfs tools: see host_bdev.h. A GPT partition is
 * found with blk/gpt.c, the same parser the kernel uses, reading the image
 * in 512-byte sectors (the sector size of disk images made by sgdisk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk/gpt.h"
#include "fs/tfs_format.h"
#include "tools/tfs/host_bdev.h"

#define IMAGE_SECTOR 512u
#define MAX_PARTS 128

struct host_dev {
	int fd;
	off_t base; /* byte offset of block 0 */
};

static int host_submit(struct tfs_bdev *bdev, struct tfs_bio *bio)
{
	struct host_dev *h = bdev->private;
	size_t len = (size_t)bio->nblocks * TFS_BLOCK_SIZE;
	off_t off = h->base + (off_t)bio->blkno * TFS_BLOCK_SIZE;
	ssize_t n = 0;
	bio->status = 0;
	switch (bio->op) {
	case TFS_BIO_READ:
		n = pread(h->fd, bio->buf, len, off);
		if (n >= 0 && (size_t)n < len) { /* past the end of a sparse file: zeros */
			memset((char *)bio->buf + n, 0, len - (size_t)n);
			n = (ssize_t)len;
		}
		break;
	case TFS_BIO_WRITE:
		n = pwrite(h->fd, bio->buf, len, off);
		break;
	case TFS_BIO_FLUSH:
		n = fdatasync(h->fd) ? -1 : 0;
		break;
	case TFS_BIO_DISCARD:
		fallocate(h->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len);
		break; /* best effort: discard is a hint */
	}
	if (n < 0 || (bio->op <= TFS_BIO_WRITE && (size_t)n != len))
		bio->status = -EIO;
	bio->done(bio);
	return 0;
}

static void host_wait(struct tfs_bdev *bdev)
{
	(void)bdev; /* everything completed inside submit() */
}

static void *host_buf_alloc(struct tfs_bdev *bdev, size_t nblocks)
{
	(void)bdev;
	void *p = NULL;
	return posix_memalign(&p, TFS_BLOCK_SIZE, nblocks * TFS_BLOCK_SIZE) ? NULL : p;
}

static void host_buf_free(struct tfs_bdev *bdev, void *buf, size_t nblocks)
{
	(void)bdev;
	(void)nblocks;
	free(buf);
}

static const struct tfs_bdev_ops host_ops = {
	.submit = host_submit,
	.wait = host_wait,
	.buf_alloc = host_buf_alloc,
	.buf_free = host_buf_free,
};

static int gpt_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	int fd = *(int *)ctx;
	size_t len = (size_t)count * IMAGE_SECTOR;
	return pread(fd, buf, len, (off_t)(lba * IMAGE_SECTOR)) == (ssize_t)len ? 0 : -1;
}

static int find_partition(int fd, off_t size, unsigned index, off_t *base, uint64_t *bytes,
			  char *msg, size_t msglen)
{
	struct gpt_part *parts = calloc(MAX_PARTS, sizeof(*parts));
	struct gpt_result res;
	if (!parts)
		return -ENOMEM;
	int n = gpt_parse(gpt_read, &fd, IMAGE_SECTOR, (uint64_t)size / IMAGE_SECTOR, parts,
			  MAX_PARTS, &res);
	int err = -ENOENT;
	if (n < 0)
		snprintf(msg, msglen, "no valid GPT on the image");
	for (int i = 0; i < n; i++)
		if (parts[i].index == index) {
			*base = (off_t)(parts[i].first_lba * IMAGE_SECTOR);
			*bytes = (parts[i].last_lba - parts[i].first_lba + 1) * IMAGE_SECTOR;
			err = 0;
		}
	if (err && n >= 0)
		snprintf(msg, msglen, "no partition %u in the GPT", index);
	free(parts);
	return err;
}

static int split_spec(const char *spec, char *path, size_t pathlen, unsigned *part)
{
	const char *at = strrchr(spec, '@');
	*part = 0;
	if (at && at[1] == 'p' && at[2]) {
		char *end;
		unsigned long p = strtoul(at + 2, &end, 10);
		if (*end || p == 0 || p > MAX_PARTS)
			return -EINVAL;
		*part = (unsigned)p;
	} else {
		at = spec + strlen(spec);
	}
	if ((size_t)(at - spec) >= pathlen)
		return -ENAMETOOLONG;
	memcpy(path, spec, (size_t)(at - spec));
	path[at - spec] = 0;
	return 0;
}

static int open_file(const char *path, bool writable, uint64_t create_blocks, char *msg,
		     size_t msglen)
{
	int flags = writable ? O_RDWR : O_RDONLY;
	if (create_blocks)
		flags |= O_CREAT;
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (create_blocks && ftruncate(fd, (off_t)(create_blocks * TFS_BLOCK_SIZE))) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		close(fd);
		return -EIO;
	}
	return fd;
}

int host_bdev_open(struct tfs_bdev *bdev, const char *spec, bool writable, uint64_t create_blocks,
		   char *msg, size_t msglen)
{
	char path[4096];
	unsigned part;
	if (split_spec(spec, path, sizeof(path), &part)) {
		snprintf(msg, msglen, "%s: bad image name (FILE or FILE@pN)", spec);
		return -EINVAL;
	}
	int fd = open_file(path, writable, part ? 0 : create_blocks, msg, msglen);
	if (fd < 0)
		return fd;
	struct stat st;
	off_t base = 0;
	uint64_t bytes = 0;
	int err = fstat(fd, &st) ? -errno : 0;
	if (!err)
		bytes = (uint64_t)st.st_size;
	if (!err && part)
		err = find_partition(fd, st.st_size, part, &base, &bytes, msg, msglen);
	struct host_dev *h = err ? NULL : calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return err ? err : -ENOMEM;
	}
	h->fd = fd;
	h->base = base;
	*bdev = (struct tfs_bdev){ .ops = &host_ops, .nr_blocks = bytes / TFS_BLOCK_SIZE,
				   .max_bio_blocks = 1024, .volatile_cache = true,
				   .has_discard = !part, .read_only = !writable, .private = h };
	return 0;
}

void host_bdev_close(struct tfs_bdev *bdev)
{
	struct host_dev *h = bdev->private;
	if (h) {
		close(h->fd);
		free(h);
	}
	bdev->private = NULL;
}
