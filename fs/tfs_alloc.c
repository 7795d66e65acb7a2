/*
 * Block and inode allocation over the on-disk bitmaps (bit set = in use).
 * Bitmap block i of a map covers bits [i * TFS_BITS_PER_BITMAP, +that).
 * The block map has one bit per device block; the inode map one per inode
 * number. Blocks freed in the running transaction stay unallocatable until
 * it commits (tfs_defer_busy): new data written into them before the commit
 * would otherwise show through the old metadata after a crash.
 */
#include <errno.h>
#include <string.h>

#include "fs/tfs_int.h"

static struct tfs_buf *bm_get(struct tfs *fs, uint64_t start, uint64_t bit, int *err)
{
	return tfs_cache_meta(fs, start + bit / TFS_BITS_PER_BITMAP, TFS_BITMAP_MAGIC, 0, err);
}

static uint8_t *bm_bits(struct tfs_buf *b)
{
	return b->data + sizeof(struct tfs_blkhdr);
}

int tfs_bitmap_get(struct tfs *fs, uint64_t start, uint64_t bit, bool *set)
{
	int err = 0;
	struct tfs_buf *b = bm_get(fs, start, bit, &err);
	if (!b)
		return err;
	uint64_t i = bit % TFS_BITS_PER_BITMAP;
	*set = (bm_bits(b)[i / 8] >> (i % 8)) & 1;
	return 0;
}

static int bm_set_range(struct tfs *fs, uint64_t start, uint64_t bit, uint64_t len, bool val)
{
	int err = 0;
	while (len) {
		struct tfs_buf *b = bm_get(fs, start, bit, &err);
		if (!b || (err = tfs_cache_modify(fs, b)))
			return err;
		uint8_t *bits = bm_bits(b);
		uint64_t i = bit % TFS_BITS_PER_BITMAP;
		for (; len && i < TFS_BITS_PER_BITMAP; i++, bit++, len--) {
			if (val)
				bits[i / 8] |= (uint8_t)(1u << (i % 8));
			else
				bits[i / 8] &= (uint8_t)~(1u << (i % 8));
		}
	}
	return 0;
}

/* First clear bit in [lo, hi), or hi. Skips whole bytes of ones. */
static int bm_find_zero(struct tfs *fs, uint64_t start, uint64_t lo, uint64_t hi, uint64_t *found)
{
	int err = 0;
	uint64_t bit = lo;
	while (bit < hi) {
		struct tfs_buf *b = bm_get(fs, start, bit, &err);
		if (!b)
			return err;
		const uint8_t *bits = bm_bits(b);
		uint64_t i = bit % TFS_BITS_PER_BITMAP;
		uint64_t end = hi - bit < TFS_BITS_PER_BITMAP - i ? hi - bit + i : TFS_BITS_PER_BITMAP;
		for (; i < end; i++, bit++) {
			if (i % 8 == 0 && i + 8 <= end && bits[i / 8] == 0xff) {
				i += 7;
				bit += 7;
				continue;
			}
			if (!((bits[i / 8] >> (i % 8)) & 1)) {
				*found = bit;
				return 0;
			}
		}
	}
	*found = hi;
	return 0;
}

/* Clear bits from bit on, at most max of them, stopping at a deferred block. */
static int bm_run_len(struct tfs *fs, uint64_t bit, uint64_t max, uint64_t *len)
{
	uint64_t n = 0, dummy;
	while (n < max) {
		bool set;
		int err = tfs_bitmap_get(fs, fs->sb.bbm_start, bit + n, &set);
		if (err)
			return err;
		if (set || tfs_defer_busy(fs, bit + n, &dummy))
			break;
		n++;
	}
	*len = n;
	return 0;
}

static int alloc_find(struct tfs *fs, uint64_t lo, uint64_t hi, uint64_t *found)
{
	for (;;) {
		int err = bm_find_zero(fs, fs->sb.bbm_start, lo, hi, found);
		uint64_t next;
		if (err || *found >= hi || !tfs_defer_busy(fs, *found, &next))
			return err;
		lo = next;
	}
}

/* Allocate one run of up to want blocks, at goal if possible (a file grows
 * in place), else the first free run after it, wrapping once. */
int tfs_alloc_blocks(struct tfs *fs, uint64_t goal, uint64_t want, uint64_t *pblk, uint64_t *got)
{
	const struct tfs_super *sb = &fs->sb;
	uint64_t lo = sb->data_start, hi = sb->nr_blocks - 1, at;
	if (goal < lo || goal >= hi)
		goal = fs->alloc_hint >= lo && fs->alloc_hint < hi ? fs->alloc_hint : lo;
	int err = alloc_find(fs, goal, hi, &at);
	if (!err && at >= hi)
		err = alloc_find(fs, lo, goal, &at);
	if (err)
		return err;
	if (at >= hi || at < lo || !fs->free_blocks)
		return tfs_fail(fs, -ENOSPC, "no free blocks");
	uint64_t n;
	if (want > hi - at)
		want = hi - at;
	err = bm_run_len(fs, at, want, &n);
	if (!err)
		err = bm_set_range(fs, sb->bbm_start, at, n, true);
	if (err)
		return err;
	fs->free_blocks -= n < fs->free_blocks ? n : fs->free_blocks;
	fs->alloc_hint = at + n;
	*pblk = at;
	*got = n;
	return 0;
}

/* At the start of an operation: are blocks allocatable now? Blocks freed in
 * the running transaction become so by committing it. 0 or -ENOSPC. */
int tfs_space_ok(struct tfs *fs, uint64_t blocks)
{
	if (fs->free_blocks - fs->deferred_blocks >= blocks)
		return 0;
	if (fs->deferred_blocks) {
		int err = tfs_txn_commit(fs);
		if (err)
			return err;
	}
	return fs->free_blocks >= blocks ? 0 : tfs_fail(fs, -ENOSPC, "no free blocks");
}

int tfs_free_blocks(struct tfs *fs, uint64_t pblk, uint64_t len)
{
	if (pblk < fs->sb.data_start || pblk + len > fs->sb.nr_blocks - 1 || pblk + len < pblk)
		return tfs_fail(fs, -EIO, "freeing blocks %llu+%llu outside the data area",
				(unsigned long long)pblk, (unsigned long long)len);
	int err = bm_set_range(fs, fs->sb.bbm_start, pblk, len, false);
	if (!err)
		err = tfs_defer_free(fs, pblk, len);
	if (!err)
		fs->free_blocks += len;
	return err;
}

int tfs_alloc_inode(struct tfs *fs, uint32_t *ino)
{
	uint64_t found;
	int err = bm_find_zero(fs, fs->sb.ibm_start, TFS_ROOT_INO + 1, fs->sb.nr_inodes, &found);
	if (err)
		return err;
	if (found >= fs->sb.nr_inodes)
		return tfs_fail(fs, -ENOSPC, "no free inodes");
	err = bm_set_range(fs, fs->sb.ibm_start, found, 1, true);
	if (err)
		return err;
	fs->free_inodes--;
	*ino = (uint32_t)found;
	return 0;
}

int tfs_free_inode(struct tfs *fs, uint32_t ino)
{
	int err = bm_set_range(fs, fs->sb.ibm_start, ino, 1, false);
	if (!err)
		fs->free_inodes++;
	return err;
}

static uint64_t count_zero_bits(const uint8_t *bits)
{
	uint64_t n = 0;
	for (size_t i = 0; i < TFS_BITMAP_BYTES; i++)
		n += 8 - (uint64_t)__builtin_popcount(bits[i]);
	return n;
}

/* Mount: check every bitmap block and count the free bits (bits past the end
 * of a map are set on disk, so they never count). */
int tfs_alloc_count(struct tfs *fs)
{
	int err = 0;
	const struct tfs_super *sb = &fs->sb;
	fs->free_blocks = fs->free_inodes = 0;
	for (uint32_t i = 0; i < sb->bbm_blocks; i++) {
		struct tfs_buf *b = tfs_cache_meta(fs, sb->bbm_start + i, TFS_BITMAP_MAGIC, 0, &err);
		if (!b)
			return err;
		fs->free_blocks += count_zero_bits(bm_bits(b));
	}
	for (uint32_t i = 0; i < sb->ibm_blocks; i++) {
		struct tfs_buf *b = tfs_cache_meta(fs, sb->ibm_start + i, TFS_BITMAP_MAGIC, 0, &err);
		if (!b)
			return err;
		fs->free_inodes += count_zero_bits(bm_bits(b));
	}
	return 0;
}
