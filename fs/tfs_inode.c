/*
 * Inodes and their extents. An operation loads an inode into a
 * tfs_inode_mem (all its extents in one sorted array, read from the inline
 * slots and the extent-block chain), changes it, and stores it back:
 * tfs_inode_store() lays the array out again (the first TFS_INLINE_EXTENTS
 * inline, the rest in chain blocks that are all full but the last) and only
 * dirties the blocks whose bytes changed.
 *
 * Loading checks everything a corrupt image could get wrong (checksums,
 * inode number, type, extent bounds and order, chain length and owner), so
 * the damage stays with that one file: its operations fail with -EIO.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

uint32_t tfs_chain_needed(uint32_t n)
{
	if (n <= TFS_INLINE_EXTENTS)
		return 0;
	return (uint32_t)((n - TFS_INLINE_EXTENTS + TFS_EXTENTS_PER_BLOCK - 1) /
			  TFS_EXTENTS_PER_BLOCK);
}

static uint64_t itable_block(struct tfs *fs, uint32_t ino)
{
	return fs->sb.itable_start + ino / TFS_INODES_PER_BLOCK;
}

static struct tfs_inode *itable_slot(struct tfs_buf *b, uint32_t ino)
{
	return (struct tfs_inode *)b->data + ino % TFS_INODES_PER_BLOCK;
}

static int ext_reserve(struct tfs_extent_list *l, uint32_t n)
{
	if (n <= l->cap && l->v)
		return 0; /* v is never NULL after this, even for n == 0 (memcpy needs it) */
	uint32_t cap = l->cap ? l->cap : 8;
	while (cap < n)
		cap *= 2;
	struct tfs_extent *v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

int tfs_extents_check(const struct tfs_extent_list *l, uint64_t lo, uint64_t hi,
		      uint64_t lblk_limit)
{
	for (uint32_t i = 0; i < l->n; i++) {
		const struct tfs_extent *e = &l->v[i];
		if (e->len == 0 || e->flags || e->pblk < lo || e->pblk >= hi || e->len > hi - e->pblk)
			return -EIO;
		if (e->lblk >= lblk_limit || e->len > lblk_limit - e->lblk)
			return -EIO;
		if (i && e->lblk < l->v[i - 1].lblk + l->v[i - 1].len)
			return -EIO;
	}
	return 0;
}

static int load_chain(struct tfs *fs, struct tfs_inode_mem *im)
{
	uint32_t n = im->d.nr_extents, need = tfs_chain_needed(n);
	uint64_t next = im->d.ext_chain;
	int err = 0;
	im->chain = need ? calloc(need, sizeof(uint64_t)) : NULL;
	if (need && !im->chain)
		return -ENOMEM;
	for (uint32_t k = 0; k < need; k++) {
		if (next < fs->sb.data_start || next >= fs->sb.nr_blocks - 1)
			return tfs_fail(fs, -EIO, "inode %u: extent chain points to block %llu",
					im->ino, (unsigned long long)next);
		struct tfs_buf *b = tfs_cache_meta(fs, next, TFS_EXTENT_MAGIC, im->ino, &err);
		if (!b)
			return err;
		const struct tfs_blkhdr *h = (const void *)b->data;
		uint32_t want = n - im->ext.n < TFS_EXTENTS_PER_BLOCK ? n - im->ext.n
								      : (uint32_t)TFS_EXTENTS_PER_BLOCK;
		if (h->count != want)
			return tfs_fail(fs, -EIO, "inode %u: extent block %llu holds %u, expected %u",
					im->ino, (unsigned long long)next, h->count, want);
		memcpy(im->ext.v + im->ext.n, b->data + sizeof(*h), want * sizeof(struct tfs_extent));
		im->ext.n += want;
		im->chain[k] = next;
		im->nchain++;
		next = h->next;
	}
	if (next)
		return tfs_fail(fs, -EIO, "inode %u: extent chain longer than its %u extents",
				im->ino, n);
	return 0;
}

static int load_check(struct tfs *fs, struct tfs_inode_mem *im)
{
	const struct tfs_inode *d = &im->d;
	if (d->magic != TFS_INODE_MAGIC || !tfs_inode_crc_ok(d))
		return tfs_fail(fs, -EIO, "inode %u: bad magic or checksum", im->ino);
	if (d->ino != im->ino || (d->type != TFS_TYPE_FILE && d->type != TFS_TYPE_DIR))
		return tfs_fail(fs, -EIO, "inode %u: claims number %u type %u", im->ino, d->ino,
				d->type);
	if (d->type == TFS_TYPE_DIR && d->size % TFS_BLOCK_SIZE)
		return tfs_fail(fs, -EIO, "inode %u: directory size %llu", im->ino,
				(unsigned long long)d->size);
	if (d->nr_extents > fs->sb.nr_blocks || (d->nr_extents <= TFS_INLINE_EXTENTS && d->ext_chain))
		return tfs_fail(fs, -EIO, "inode %u: %u extents", im->ino, d->nr_extents);
	return 0;
}

void tfs_inode_release(struct tfs_inode_mem *im)
{
	free(im->ext.v);
	free(im->chain);
	memset(im, 0, sizeof(*im));
}

int tfs_inode_load(struct tfs *fs, uint32_t ino, struct tfs_inode_mem *im)
{
	memset(im, 0, sizeof(*im));
	im->ino = ino;
	if (ino == 0 || ino >= fs->sb.nr_inodes)
		return tfs_fail(fs, -EIO, "inode number %u out of range", ino);
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(fs, itable_block(fs, ino), &err);
	if (!b)
		return err;
	im->d = *itable_slot(b, ino);
	err = load_check(fs, im);
	if (!err)
		err = ext_reserve(&im->ext, im->d.nr_extents);
	if (!err) {
		im->ext.n = im->d.nr_extents < TFS_INLINE_EXTENTS ? im->d.nr_extents
								  : TFS_INLINE_EXTENTS;
		memcpy(im->ext.v, im->d.ext, im->ext.n * sizeof(struct tfs_extent));
		err = load_chain(fs, im);
	}
	uint64_t limit = (im->d.size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
	if (!err && tfs_extents_check(&im->ext, fs->sb.data_start, fs->sb.nr_blocks - 1, limit))
		err = tfs_fail(fs, -EIO, "inode %u: extents overlap, are out of order or out of range",
			       ino);
	if (err)
		tfs_inode_release(im);
	return err;
}

/* Grow or shrink the list of chain blocks to what n extents need. */
static int store_resize_chain(struct tfs *fs, struct tfs_inode_mem *im, uint32_t need)
{
	if (need > im->nchain) {
		uint64_t *c = realloc(im->chain, need * sizeof(uint64_t));
		if (!c)
			return -ENOMEM;
		im->chain = c;
	}
	while (im->nchain < need) {
		uint64_t goal = im->nchain ? im->chain[im->nchain - 1] + 1 : 0, pblk, got;
		int err = tfs_alloc_blocks(fs, goal, 1, &pblk, &got);
		if (err)
			return err;
		int e2 = 0;
		if (!tfs_cache_zero(fs, pblk, &e2))
			return e2;
		im->chain[im->nchain++] = pblk;
	}
	while (im->nchain > need) {
		int err = tfs_free_blocks(fs, im->chain[im->nchain - 1], 1);
		if (err)
			return err;
		im->nchain--;
	}
	return 0;
}

/* Write new contents into a cached block only when they differ. */
static int store_if_changed(struct tfs *fs, struct tfs_buf *b, size_t off, const void *src,
			    size_t len)
{
	if (!memcmp(b->data + off, src, len))
		return 0;
	int err = tfs_cache_modify(fs, b);
	if (!err)
		memcpy(b->data + off, src, len);
	return err;
}

static int store_chain_block(struct tfs *fs, struct tfs_inode_mem *im, uint32_t k, uint8_t *tmp)
{
	uint32_t first = TFS_INLINE_EXTENTS + k * (uint32_t)TFS_EXTENTS_PER_BLOCK;
	uint32_t cnt = im->ext.n - first < TFS_EXTENTS_PER_BLOCK ? im->ext.n - first
								 : (uint32_t)TFS_EXTENTS_PER_BLOCK;
	memset(tmp, 0, TFS_BLOCK_SIZE);
	struct tfs_blkhdr *h = (struct tfs_blkhdr *)tmp;
	h->magic = TFS_EXTENT_MAGIC;
	h->blkno = im->chain[k];
	h->owner = im->ino;
	h->count = cnt;
	h->next = k + 1 < im->nchain ? im->chain[k + 1] : 0;
	memcpy(tmp + sizeof(*h), im->ext.v + first, cnt * sizeof(struct tfs_extent));
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(fs, im->chain[k], &err);
	if (!b)
		return err;
	/* the crc field is filled at commit: compare everything else */
	h->crc = ((struct tfs_blkhdr *)b->data)->crc;
	return store_if_changed(fs, b, 0, tmp, TFS_BLOCK_SIZE);
}

int tfs_inode_store(struct tfs *fs, struct tfs_inode_mem *im)
{
	int err = store_resize_chain(fs, im, tfs_chain_needed(im->ext.n));
	uint8_t *tmp = err ? NULL : malloc(TFS_BLOCK_SIZE);
	if (!err && im->nchain && !tmp)
		err = -ENOMEM;
	for (uint32_t k = 0; !err && k < im->nchain; k++)
		err = store_chain_block(fs, im, k, tmp);
	free(tmp);
	if (err)
		return err;
	struct tfs_inode *d = &im->d;
	d->nr_extents = im->ext.n;
	d->ext_chain = im->nchain ? im->chain[0] : 0;
	memset(d->ext, 0, sizeof(d->ext));
	if (im->ext.n)
		memcpy(d->ext, im->ext.v,
		       (im->ext.n < TFS_INLINE_EXTENTS ? im->ext.n : TFS_INLINE_EXTENTS) *
			       sizeof(struct tfs_extent));
	tfs_inode_seal(d);
	struct tfs_buf *b = tfs_cache_read(fs, itable_block(fs, im->ino), &err);
	if (!b)
		return err;
	return store_if_changed(fs, b, (size_t)(im->ino % TFS_INODES_PER_BLOCK) * sizeof(*d), d,
				sizeof(*d));
}

int tfs_inode_init(struct tfs *fs, struct tfs_inode_mem *im, uint32_t ino, uint16_t type,
		   uint32_t parent)
{
	memset(im, 0, sizeof(*im));
	im->ino = ino;
	im->d.magic = TFS_INODE_MAGIC;
	im->d.ino = ino;
	im->d.type = type;
	im->d.nlink = 1;
	im->d.parent = type == TFS_TYPE_DIR ? parent : 0;
	im->d.mtime = tfs_now(fs);
	im->d.generation = ++fs->gen;
	return 0;
}

/* ---- extents ---- */

/* Index of the last extent starting at or before lblk, or -1. */
static int64_t ext_find(const struct tfs_extent_list *l, uint64_t lblk)
{
	int64_t lo = 0, hi = (int64_t)l->n - 1, best = -1;
	while (lo <= hi) {
		int64_t mid = (lo + hi) / 2;
		if (l->v[mid].lblk <= lblk) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

/* Physical block of lblk (0 for a hole) and how many blocks from lblk on
 * stay mapped contiguously (or stay a hole). */
uint64_t tfs_bmap(const struct tfs_inode_mem *im, uint64_t lblk, uint64_t *run)
{
	int64_t i = ext_find(&im->ext, lblk);
	if (i >= 0) {
		const struct tfs_extent *e = &im->ext.v[i];
		if (lblk < e->lblk + e->len) {
			*run = e->lblk + e->len - lblk;
			return e->pblk + (lblk - e->lblk);
		}
	}
	uint32_t nx = (uint32_t)(i + 1);
	*run = nx < im->ext.n ? im->ext.v[nx].lblk - lblk : UINT64_MAX - lblk;
	return 0;
}

static bool ext_joins(const struct tfs_extent *a, uint64_t lblk, uint64_t pblk, uint64_t len)
{
	return a->lblk + a->len == lblk && a->pblk + a->len == pblk &&
	       (uint64_t)a->len + len <= UINT32_MAX;
}

/* Map [lblk, +len) at pblk; the range must be a hole. */
int tfs_extent_insert(struct tfs_extent_list *l, uint64_t lblk, uint64_t pblk, uint32_t len)
{
	int64_t i = ext_find(l, lblk);
	if (i >= 0 && ext_joins(&l->v[i], lblk, pblk, len)) {
		l->v[i].len += len;
		uint32_t nx = (uint32_t)i + 1;
		if (nx < l->n && ext_joins(&l->v[i], l->v[nx].lblk, l->v[nx].pblk, l->v[nx].len)) {
			l->v[i].len += l->v[nx].len;
			memmove(&l->v[nx], &l->v[nx + 1], (l->n - nx - 1) * sizeof(l->v[0]));
			l->n--;
		}
		return 0;
	}
	int err = ext_reserve(l, l->n + 1);
	if (err)
		return err;
	uint32_t at = (uint32_t)(i + 1);
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(l->v[0]));
	l->v[at] = (struct tfs_extent){ .lblk = lblk, .pblk = pblk, .len = len };
	l->n++;
	return 0;
}

/* Unmap and free every block at or past logical block nblocks. */
int tfs_inode_shrink(struct tfs *fs, struct tfs_inode_mem *im, uint64_t nblocks)
{
	struct tfs_extent_list *l = &im->ext;
	while (l->n) {
		struct tfs_extent *e = &l->v[l->n - 1];
		if (e->lblk + e->len <= nblocks)
			break;
		uint64_t keep = e->lblk >= nblocks ? 0 : nblocks - e->lblk;
		int err = tfs_free_blocks(fs, e->pblk + keep, e->len - keep);
		if (err)
			return err;
		if (keep)
			e->len = (uint32_t)keep;
		else
			l->n--;
	}
	return 0;
}

uint64_t tfs_inode_blocks(const struct tfs_inode_mem *im)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < im->ext.n; i++)
		n += im->ext.v[i].len;
	return n;
}

/* Free the inode, its blocks and its chain; its slot becomes all zeros. */
int tfs_inode_free(struct tfs *fs, struct tfs_inode_mem *im)
{
	int err = tfs_inode_shrink(fs, im, 0);
	if (!err)
		err = store_resize_chain(fs, im, 0);
	struct tfs_buf *b = err ? NULL : tfs_cache_read(fs, itable_block(fs, im->ino), &err);
	if (!b)
		return err;
	static const struct tfs_inode zero;
	err = store_if_changed(fs, b, (size_t)(im->ino % TFS_INODES_PER_BLOCK) * sizeof(zero),
			       &zero, sizeof(zero));
	return err ? err : tfs_free_inode(fs, im->ino);
}
