/*
 * File data. Reads and writes go through the 4 MiB staging buffer in chunks
 * of up to TFS_STAGE_BLOCKS: every contiguous physical run of a chunk is one
 * bio (split only at the device's limit) and all of a chunk's bios are in
 * flight together, so a 1 MiB write of a fresh file is a single I/O.
 *
 * Ordering: data is written (and waited for) before the inode that maps it
 * is changed in the cache, and the journal commit flushes before writing the
 * transaction, so committed metadata never points at blocks whose data is
 * not on the device. Overwrites of mapped blocks go in place.
 *
 * Invariant kept here: bytes past the end of a file inside its last block
 * are zero, so growing a file never uncovers old bytes.
 */
#include <errno.h>
#include <string.h>

#include "fs/tfs_int.h"

#define TFS_MAX_FILE_BLOCKS (1ull << 40) /* 4 PiB: keeps offsets far from overflow */
#define WRITE_MAX_RUNS 4                 /* allocations per chunk: bounds the transaction */

static uint8_t *stage_at(struct tfs *fs, uint64_t i)
{
	return fs->stage + i * TFS_BLOCK_SIZE;
}

/* Read logical blocks [first, end) into the stage, block l at slot l - base;
 * holes become zeros. */
static int stage_read(struct tfs *fs, const struct tfs_inode_mem *im, uint64_t base,
		      uint64_t first, uint64_t end, struct tfs_iowait *w)
{
	for (uint64_t l = first; l < end;) {
		uint64_t run, pblk = tfs_bmap(im, l, &run);
		uint64_t n = run < end - l ? run : end - l;
		if (pblk) {
			int err = tfs_io_submit(fs, w, TFS_BIO_READ, 0, pblk, (uint32_t)n,
						stage_at(fs, l - base));
			if (err)
				return err;
		} else {
			memset(stage_at(fs, l - base), 0, n * TFS_BLOCK_SIZE);
		}
		l += n;
	}
	return 0;
}

int64_t tfs_data_read(struct tfs *fs, struct tfs_inode_mem *im, void *buf, size_t len,
		      uint64_t off)
{
	if (off >= im->d.size)
		return 0;
	if (len > im->d.size - off)
		len = (size_t)(im->d.size - off);
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done, first = pos / TFS_BLOCK_SIZE;
		uint64_t last = (off + len - 1) / TFS_BLOCK_SIZE;
		uint64_t end = last + 1 - first > TFS_STAGE_BLOCKS ? first + TFS_STAGE_BLOCKS : last + 1;
		struct tfs_iowait w = { 0 };
		int err = stage_read(fs, im, first, first, end, &w);
		int st = tfs_io_wait(fs, &w);
		if (err || st)
			return tfs_fail(fs, err ? err : st, "inode %u: read error", im->ino);
		size_t skip = (size_t)(pos % TFS_BLOCK_SIZE);
		size_t n = (size_t)((end - first) * TFS_BLOCK_SIZE) - skip;
		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)buf + done, stage_at(fs, 0) + skip, n);
		done += n;
	}
	return (int64_t)done;
}

/* Journal blocks one write chunk may dirty: the inode's table block, two
 * bitmap blocks per run, every extent block (insertions shift them) and a
 * new one with its bitmap block. */
static uint32_t write_reserve(struct tfs *fs, const struct tfs_inode_mem *im, uint32_t *runs)
{
	uint32_t chain = im->nchain + 2;
	*runs = WRITE_MAX_RUNS;
	if (1 + 2 * *runs + chain > fs->txn_max)
		*runs = 1;
	return 1 + 2 * *runs + chain;
}

/* Map the holes of [first, *end) with new blocks, at most runs allocations;
 * *end shrinks when they run out. new_first/new_end bound the fresh blocks. */
static int write_map(struct tfs *fs, struct tfs_inode_mem *im, uint64_t first, uint64_t *end,
		     uint32_t runs)
{
	for (uint64_t l = first; l < *end;) {
		uint64_t run, pblk = tfs_bmap(im, l, &run);
		uint64_t n = run < *end - l ? run : *end - l;
		if (!pblk) {
			if (!runs) {
				*end = l;
				break;
			}
			uint64_t prun, prev = l ? tfs_bmap(im, l - 1, &prun) : 0, got;
			uint64_t avail = fs->free_blocks - fs->deferred_blocks;
			if (avail <= 1) { /* the last block is kept for an extent block */
				if (l == first)
					return tfs_fail(fs, -ENOSPC, "no free blocks");
				*end = l;
				break;
			}
			if (n > avail - 1)
				n = avail - 1;
			int err = tfs_alloc_blocks(fs, prev ? prev + 1 : 0, n, &pblk, &got);
			if (!err)
				err = tfs_extent_insert(&im->ext, l, pblk, (uint32_t)got);
			if (err)
				return err;
			runs--;
			n = got;
		}
		l += n;
	}
	return 0;
}

/* The first and last blocks of a chunk may be partly written: bring in
 * their old bytes (zeros for new blocks, whose old contents are garbage). */
static int write_edges(struct tfs *fs, const struct tfs_inode_mem *old, uint64_t first,
		       uint64_t end, uint64_t pos, uint64_t stop)
{
	struct tfs_iowait w = { 0 };
	int err = 0;
	if (pos % TFS_BLOCK_SIZE)
		err = stage_read(fs, old, first, first, first + 1, &w);
	if (!err && stop % TFS_BLOCK_SIZE && stop / TFS_BLOCK_SIZE == end - 1 &&
	    (end - 1 != first || !(pos % TFS_BLOCK_SIZE)))
		err = stage_read(fs, old, first, end - 1, end, &w);
	int st = tfs_io_wait(fs, &w);
	return err ? err : st;
}

static int write_out(struct tfs *fs, const struct tfs_inode_mem *im, uint64_t first,
		     uint64_t end)
{
	struct tfs_iowait w = { 0 };
	int err = 0;
	for (uint64_t l = first; l < end && !err;) {
		uint64_t run, pblk = tfs_bmap(im, l, &run);
		uint64_t n = run < end - l ? run : end - l;
		err = pblk ? tfs_io_submit(fs, &w, TFS_BIO_WRITE, 0, pblk, (uint32_t)n,
					   stage_at(fs, l - first))
			   : -EIO;
		l += n;
	}
	int st = tfs_io_wait(fs, &w);
	return err ? err : st;
}

/* 0 when [pos, stop) is already mapped block for block, else -ENOSPC. */
static int write_fits(const struct tfs_inode_mem *im, uint64_t pos, uint64_t stop)
{
	for (uint64_t l = pos / TFS_BLOCK_SIZE; l <= (stop - 1) / TFS_BLOCK_SIZE;) {
		uint64_t run;
		if (!tfs_bmap(im, l, &run))
			return -ENOSPC;
		l += run;
	}
	return 0;
}

/* One chunk: returns bytes written (> 0) or a negative errno. */
static int64_t write_chunk(struct tfs *fs, struct tfs_inode_mem *im, const uint8_t *buf,
			   uint64_t pos, uint64_t stop)
{
	uint32_t runs;
	int err = tfs_txn_reserve(fs, write_reserve(fs, im, &runs));
	if (!err)
		err = tfs_space_ok(fs, 2);
	if (err == -ENOSPC && !(err = write_fits(im, pos, stop)))
		runs = 0; /* no space, but the range is all mapped: overwrite in place */
	if (err)
		return err;
	uint64_t first = pos / TFS_BLOCK_SIZE, last = (stop - 1) / TFS_BLOCK_SIZE;
	uint64_t end = last + 1 - first > TFS_STAGE_BLOCKS ? first + TFS_STAGE_BLOCKS : last + 1;
	/* edges are read through the old mapping: new blocks read as holes */
	err = write_edges(fs, im, first, end, pos, stop);
	uint64_t free_before = fs->free_blocks;
	if (!err)
		err = write_map(fs, im, first, &end, runs);
	if (!err && end == first)
		err = tfs_fail(fs, -ENOSPC, "no free blocks");
	if (err) /* blocks allocated but not mapped on disk: cannot commit that */
		return fs->free_blocks != free_before ? tfs_op_failed(fs, err) : err;
	/* from here on the transaction holds this chunk's allocations: a failure
	 * leaves it half done, so the file system stops (the disk is consistent) */
	uint64_t chunk_stop = end * TFS_BLOCK_SIZE < stop ? end * TFS_BLOCK_SIZE : stop;
	memcpy(stage_at(fs, 0) + pos % TFS_BLOCK_SIZE, buf, (size_t)(chunk_stop - pos));
	err = write_out(fs, im, first, end);
	if (!err) {
		if (chunk_stop > im->d.size)
			im->d.size = chunk_stop;
		im->d.mtime = tfs_now(fs);
		err = tfs_inode_store(fs, im);
	}
	return err ? tfs_op_failed(fs, err) : (int64_t)(chunk_stop - pos);
}

int64_t tfs_data_write(struct tfs *fs, uint32_t ino, const void *buf, size_t len, uint64_t off)
{
	if (!len)
		return 0;
	if (off >= TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE ||
	    len > TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE - off)
		return tfs_fail(fs, -EFBIG, "write past the largest file size");
	size_t done = 0;
	while (done < len) {
		struct tfs_inode_mem im;
		int err = tfs_inode_load(fs, ino, &im);
		if (err)
			return done ? (int64_t)done : err;
		int64_t n = write_chunk(fs, &im, (const uint8_t *)buf + done, off + done, off + len);
		tfs_inode_release(&im);
		if (n < 0)
			return done ? (int64_t)done : n;
		done += (size_t)n;
	}
	return (int64_t)done;
}

/* Zero the bytes of the new last block past the new size. */
static int truncate_zero_tail(struct tfs *fs, struct tfs_inode_mem *im, uint64_t size)
{
	uint64_t run, pblk = tfs_bmap(im, size / TFS_BLOCK_SIZE, &run);
	if (!(size % TFS_BLOCK_SIZE) || !pblk)
		return 0;
	int err = tfs_io_sync(fs, TFS_BIO_READ, 0, pblk, 1, fs->stage);
	if (err)
		return err;
	memset(fs->stage + size % TFS_BLOCK_SIZE, 0, TFS_BLOCK_SIZE - size % TFS_BLOCK_SIZE);
	return tfs_io_sync(fs, TFS_BIO_WRITE, 0, pblk, 1, fs->stage);
}

/* How far one transaction can shrink the file towards nblocks with budget
 * journal blocks for bitmaps: each freed extent may dirty a bitmap block per
 * TFS_BITS_PER_BITMAP blocks, plus two at its ends. */
static uint64_t truncate_step(const struct tfs_inode_mem *im, uint64_t nblocks, uint64_t budget)
{
	uint64_t target = nblocks;
	for (uint32_t i = im->ext.n; i-- > 0;) {
		const struct tfs_extent *e = &im->ext.v[i];
		if (e->lblk + e->len <= nblocks)
			break;
		uint64_t from = e->lblk > nblocks ? e->lblk : nblocks, end = e->lblk + e->len;
		uint64_t cost = (end - from) / TFS_BITS_PER_BITMAP + 2;
		if (cost > budget) {
			uint64_t afford = budget > 2 ? (budget - 2) * TFS_BITS_PER_BITMAP : 1;
			return end - afford > from ? end - afford : from;
		}
		budget -= cost;
		target = from;
	}
	return target > nblocks ? target : nblocks;
}

static int truncate_once(struct tfs *fs, uint32_t ino, uint64_t size, bool *done)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(fs, ino, &im);
	if (err)
		return err;
	/* inode table block, extent blocks rewritten or freed (their bitmaps) */
	uint32_t base = 2 + 2 * im.nchain;
	uint32_t need = base + 8 < fs->txn_max ? base + 8 : fs->txn_max;
	err = tfs_txn_reserve(fs, need);
	uint64_t room = fs->txn_max - fs->txn_count;
	uint64_t want = (size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
	uint64_t step = truncate_step(&im, want, room > base ? room - base : 0);
	if (!err && step == want && size < im.d.size)
		err = truncate_zero_tail(fs, &im, size);
	if (err) {
		tfs_inode_release(&im);
		return err;
	}
	err = tfs_inode_shrink(fs, &im, step);
	if (!err) {
		*done = step == want;
		if (*done || step * TFS_BLOCK_SIZE < im.d.size)
			im.d.size = *done ? size : step * TFS_BLOCK_SIZE;
		im.d.mtime = tfs_now(fs);
		err = tfs_inode_store(fs, &im);
	}
	tfs_inode_release(&im);
	return tfs_op_failed(fs, err);
}

int tfs_data_truncate(struct tfs *fs, uint32_t ino, uint64_t size)
{
	if (size > TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE)
		return tfs_fail(fs, -EFBIG, "size past the largest file size");
	bool done = false;
	int err = 0;
	while (!err && !done)
		err = truncate_once(fs, ino, size, &done);
	return err;
}
