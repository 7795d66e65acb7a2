/*
 * The metadata block cache: bitmaps, inode-table, directory and extent
 * blocks, by block number, in a small hash table. File data never goes
 * through it.
 *
 * Contract: a pointer returned by tfs_cache_read()/tfs_cache_zero() stays
 * valid until tfs_cache_trim(), which the API calls between operations (so
 * nothing is evicted under an operation's feet). Before changing a block a
 * caller calls tfs_cache_modify(), which adds it to the running transaction
 * and waits for checkpoint writes still in flight. Dirty and
 * pinned blocks are never evicted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

static unsigned cache_hash(uint64_t blkno)
{
	return (unsigned)((blkno * 0x9E3779B97F4A7C15ull) >> 56) % TFS_CACHE_BUCKETS;
}

static struct tfs_buf *cache_find(struct tfs *fs, uint64_t blkno)
{
	for (struct tfs_buf *b = fs->cache[cache_hash(blkno)]; b; b = b->hnext)
		if (b->blkno == blkno)
			return b;
	return NULL;
}

static struct tfs_buf *cache_new(struct tfs *fs, uint64_t blkno)
{
	struct tfs_buf *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->data = tfs_buf_alloc(fs, 1);
	if (!b->data) {
		free(b);
		return NULL;
	}
	b->blkno = blkno;
	unsigned h = cache_hash(blkno);
	b->hnext = fs->cache[h];
	fs->cache[h] = b;
	fs->cache_count++;
	return b;
}

static void cache_unlink(struct tfs *fs, struct tfs_buf *b)
{
	struct tfs_buf **pp = &fs->cache[cache_hash(b->blkno)];
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
	tfs_io_wait(fs, &fs->ckpt);
	tfs_buf_free(fs, b->data, 1);
	free(b);
	fs->cache_count--;
}

struct tfs_buf *tfs_cache_read(struct tfs *fs, uint64_t blkno, int *err)
{
	struct tfs_buf *b = cache_find(fs, blkno);
	if (b)
		return b;
	if (blkno >= fs->sb.nr_blocks) {
		*err = tfs_fail(fs, -EIO, "block %llu is past the end of the file system",
				(unsigned long long)blkno);
		return NULL;
	}
	b = cache_new(fs, blkno);
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	int e = tfs_io_sync(fs, TFS_BIO_READ, 0, blkno, 1, b->data);
	if (e) {
		cache_unlink(fs, b);
		*err = tfs_fail(fs, e, "read error on block %llu", (unsigned long long)blkno);
		return NULL;
	}
	return b;
}

static const char *meta_kind(uint32_t magic)
{
	switch (magic) {
	case TFS_BITMAP_MAGIC: return "bitmap";
	case TFS_DIR_MAGIC: return "directory";
	case TFS_EXTENT_MAGIC: return "extent";
	default: return "metadata";
	}
}

/* A block with a tfs_blkhdr, checked the first time it is used: magic, own
 * block number, checksum and (for directory and extent blocks) owner. */
struct tfs_buf *tfs_cache_meta(struct tfs *fs, uint64_t blkno, uint32_t magic, uint32_t owner,
			       int *err)
{
	struct tfs_buf *b = tfs_cache_read(fs, blkno, err);
	if (!b || b->verified)
		return b;
	const struct tfs_blkhdr *h = (const void *)b->data;
	if (!tfs_blkhdr_ok(b->data, magic, blkno)) {
		*err = tfs_fail(fs, -EIO, "%s block %llu: bad magic or checksum", meta_kind(magic),
				(unsigned long long)blkno);
		return NULL;
	}
	if (magic != TFS_BITMAP_MAGIC && h->owner != owner) {
		*err = tfs_fail(fs, -EIO, "%s block %llu: belongs to inode %u, not %u",
				meta_kind(magic), (unsigned long long)blkno, h->owner, owner);
		return NULL;
	}
	b->verified = true;
	return b;
}

/* A block about to be written from scratch: no read. Already part of the
 * running transaction. */
struct tfs_buf *tfs_cache_zero(struct tfs *fs, uint64_t blkno, int *err)
{
	struct tfs_buf *b = cache_find(fs, blkno);
	if (!b)
		b = cache_new(fs, blkno);
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = tfs_cache_modify(fs, b);
	if (*err)
		return NULL;
	memset(b->data, 0, TFS_BLOCK_SIZE);
	b->verified = true;
	return b;
}

int tfs_cache_modify(struct tfs *fs, struct tfs_buf *b)
{
	if (fs->read_only || fs->broken)
		return tfs_fail(fs, -EROFS, "file system is read-only");
	int err = tfs_io_wait(fs, &fs->ckpt);
	if (err) {
		fs->broken = true;
		return tfs_fail(fs, err, "checkpoint write failed before block %llu",
				(unsigned long long)b->blkno);
	}
	return b->dirty ? 0 : tfs_txn_add(fs, b);
}

/* A freed block leaves the cache unless the running transaction holds it:
 * then it is written once more with the transaction, harmlessly. */
void tfs_cache_forget(struct tfs *fs, uint64_t blkno)
{
	struct tfs_buf *b = cache_find(fs, blkno);
	if (b && !b->dirty && !b->pinned)
		cache_unlink(fs, b);
}

void tfs_cache_trim(struct tfs *fs)
{
	for (unsigned h = 0; h < TFS_CACHE_BUCKETS && fs->cache_count > TFS_CACHE_TARGET; h++) {
		struct tfs_buf *b = fs->cache[h];
		while (b && fs->cache_count > TFS_CACHE_TARGET) {
			struct tfs_buf *next = b->hnext;
			if (!b->dirty && !b->pinned)
				cache_unlink(fs, b);
			b = next;
		}
	}
}

void tfs_cache_destroy(struct tfs *fs)
{
	for (unsigned h = 0; h < TFS_CACHE_BUCKETS; h++)
		while (fs->cache[h])
			cache_unlink(fs, fs->cache[h]);
}
