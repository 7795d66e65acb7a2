/*
 * The metadata journal: a write-ahead log of whole 4 KiB block images.
 *
 * Every change to a metadata block goes into the running transaction (the
 * list of dirty cached blocks). tfs_txn_commit() makes it durable:
 *   1. wait for checkpoint writes of the previous transaction, then FLUSH:
 *      file data written for this transaction and the previous checkpoint
 *      are now stable, so the journal area may be overwritten (data ordering);
 *   2. write the descriptor and the images to the journal in one I/O, FLUSH;
 *   3. write the commit record with FUA (or write + FLUSH): the transaction
 *      is now committed;
 *   4. write the images to their home blocks (the checkpoint), without
 *      waiting: step 1 of the next commit, or sync/unmount, makes it stable;
 *   5. blocks freed by the transaction become allocatable, and are discarded.
 * Operations call tfs_txn_reserve() first, so a transaction never ends in the
 * middle of one: each operation is atomic.
 *
 * Replay (at mount) applies the one transaction in the journal when its
 * descriptor and commit record agree and every checksum matches; replaying
 * an already checkpointed transaction again is harmless.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"
#include "lib/crc.h"

int tfs_txn_add(struct tfs *fs, struct tfs_buf *b)
{
	if (fs->txn_count >= fs->txn_max) {
		fs->broken = true;
		return tfs_fail(fs, -EIO, "transaction overflow (more than %u blocks)",
				fs->txn_max);
	}
	fs->txn[fs->txn_count++] = b;
	b->dirty = true;
	return 0;
}

int tfs_txn_reserve(struct tfs *fs, uint32_t blocks)
{
	if (fs->read_only || fs->broken)
		return tfs_fail(fs, -EROFS, "file system is read-only");
	if (blocks > fs->txn_max)
		return tfs_fail(fs, -EFBIG, "operation needs %u journal blocks, the journal has %u",
				blocks, fs->txn_max);
	if (fs->txn_count + blocks <= fs->txn_max)
		return 0;
	return tfs_txn_commit(fs);
}

static void txn_seal(struct tfs *fs)
{
	for (uint32_t i = 0; i < fs->txn_count; i++) {
		uint32_t magic = ((struct tfs_blkhdr *)fs->txn[i]->data)->magic;
		if (magic == TFS_BITMAP_MAGIC || magic == TFS_DIR_MAGIC || magic == TFS_EXTENT_MAGIC)
			tfs_blkhdr_seal(fs->txn[i]->data);
	}
}

/* Fill jbuf with the descriptor, the images and the commit record. */
static void txn_build(struct tfs *fs)
{
	uint8_t *j = fs->jbuf;
	uint32_t n = fs->txn_count;
	memset(j, 0, TFS_BLOCK_SIZE);
	struct tfs_jdesc *d = (struct tfs_jdesc *)j;
	d->magic = TFS_JDESC_MAGIC;
	d->seq = fs->seq;
	d->count = n;
	for (uint32_t i = 0; i < n; i++) {
		d->target[i] = fs->txn[i]->blkno;
		memcpy(j + (size_t)(i + 1) * TFS_BLOCK_SIZE, fs->txn[i]->data, TFS_BLOCK_SIZE);
	}
	tfs_blkhdr_seal(j); /* same crc rule and offset as a block header */
	uint8_t *cblk = j + (size_t)(n + 1) * TFS_BLOCK_SIZE;
	memset(cblk, 0, TFS_BLOCK_SIZE);
	struct tfs_jcommit *c = (struct tfs_jcommit *)cblk;
	c->magic = TFS_JCOMMIT_MAGIC;
	c->seq = fs->seq;
	c->count = n;
	c->images_crc = crc32c(0, j, (size_t)(n + 1) * TFS_BLOCK_SIZE);
	c->crc = tfs_crc_skip(c, sizeof(*c), offsetof(struct tfs_jcommit, crc));
}

static int txn_write_journal(struct tfs *fs)
{
	uint32_t n = fs->txn_count;
	uint64_t js = fs->sb.journal_start;
	int err = tfs_io_sync(fs, TFS_BIO_WRITE, 0, js, n + 1, fs->jbuf);
	if (!err)
		err = tfs_io_flush(fs);
	void *cblk = fs->jbuf + (size_t)(n + 1) * TFS_BLOCK_SIZE;
	bool fua = fs->bdev->has_fua && fs->bdev->volatile_cache;
	if (!err)
		err = tfs_io_sync(fs, TFS_BIO_WRITE, fua ? TFS_BIO_FUA : 0, js + n + 1, 1, cblk);
	if (!err && !fua)
		err = tfs_io_flush(fs);
	return err;
}

static void txn_checkpoint(struct tfs *fs)
{
	for (uint32_t i = 0; i < fs->txn_count; i++) {
		struct tfs_buf *b = fs->txn[i];
		/* an error here shows at the next wait on ckpt and stops writes */
		tfs_io_submit(fs, &fs->ckpt, TFS_BIO_WRITE, 0, b->blkno, 1, b->data);
		b->dirty = false;
	}
	fs->txn_count = 0;
	fs->seq++;
}

/* The blocks freed by the committed transaction: allocatable from now on. */
static void txn_release_frees(struct tfs *fs)
{
	struct tfs_iowait w = { 0 };
	for (uint32_t i = 0; i < fs->deferred.n; i++) {
		struct tfs_extent *e = &fs->deferred.v[i];
		for (uint64_t k = 0; k < e->len; k++)
			tfs_cache_forget(fs, e->pblk + k);
		if (fs->bdev->has_discard)
			tfs_io_submit(fs, &w, TFS_BIO_DISCARD, 0, e->pblk, e->len, NULL);
	}
	tfs_io_wait(fs, &w); /* a failed discard loses nothing */
	fs->deferred.n = 0;
	fs->deferred_blocks = 0;
}

int tfs_txn_commit(struct tfs *fs)
{
	if (fs->broken)
		return tfs_fail(fs, -EIO, "file system stopped after an earlier error");
	int err = tfs_io_wait(fs, &fs->ckpt);
	if (!err && fs->unflushed)
		err = tfs_io_flush(fs);
	if (!err && fs->txn_count) {
		txn_seal(fs);
		txn_build(fs);
		err = txn_write_journal(fs);
		if (!err) {
			txn_checkpoint(fs);
			txn_release_frees(fs);
		}
	}
	if (err) {
		fs->broken = true;
		return tfs_fail(fs, err, "commit failed (I/O error %d): file system stopped", err);
	}
	return 0;
}

/* ---- deferred frees ---- */

int tfs_defer_free(struct tfs *fs, uint64_t pblk, uint64_t len)
{
	struct tfs_extent_list *l = &fs->deferred;
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 32;
		struct tfs_extent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct tfs_extent){ .pblk = pblk, .len = (uint32_t)len };
	fs->deferred_blocks += len;
	return 0;
}

bool tfs_defer_busy(struct tfs *fs, uint64_t pblk, uint64_t *next_free)
{
	for (uint32_t i = 0; i < fs->deferred.n; i++) {
		const struct tfs_extent *e = &fs->deferred.v[i];
		if (pblk >= e->pblk && pblk < e->pblk + e->len) {
			*next_free = e->pblk + e->len;
			return true;
		}
	}
	return false;
}

/* ---- replay ---- */

static bool journal_target_ok(const struct tfs_super *sb, uint64_t t)
{
	return (t >= sb->ibm_start && t < sb->journal_start) ||
	       (t >= sb->data_start && t < sb->nr_blocks - 1);
}

static bool journal_commit_ok(const struct tfs_jdesc *d, const uint8_t *all, uint32_t n)
{
	const struct tfs_jcommit *c = (const void *)(all + (size_t)(n + 1) * TFS_BLOCK_SIZE);
	return c->magic == TFS_JCOMMIT_MAGIC && c->seq == d->seq && c->count == n &&
	       c->crc == tfs_crc_skip(c, sizeof(*c), offsetof(struct tfs_jcommit, crc)) &&
	       c->images_crc == crc32c(0, all, (size_t)(n + 1) * TFS_BLOCK_SIZE);
}

/* Reads the committed transaction, if any. *count = 0 when there is none (or
 * it never committed: a crash before its commit record was durable). A
 * committed transaction that writes outside the metadata areas is refused. */
int tfs_journal_load(struct tfs *fs, uint64_t **targets, uint8_t **images, uint32_t *count,
		     uint64_t *seq)
{
	const struct tfs_super *sb = &fs->sb;
	*count = 0;
	uint32_t max = sb->journal_blocks - 2;
	uint8_t *all = tfs_buf_alloc(fs, sb->journal_blocks);
	if (!all)
		return -ENOMEM;
	int err = tfs_io_sync(fs, TFS_BIO_READ, 0, sb->journal_start, 1, all);
	const struct tfs_jdesc *d = (const void *)all;
	/* magic, crc and seq sit where a block header has magic, crc and blkno:
	 * the header check with blkno = seq checks magic and crc */
	if (err || !tfs_blkhdr_ok(all, TFS_JDESC_MAGIC, d->seq) || d->count == 0 || d->count > max)
		goto out;
	uint32_t n = d->count;
	err = tfs_io_sync(fs, TFS_BIO_READ, 0, sb->journal_start + 1, n + 1, all + TFS_BLOCK_SIZE);
	if (err || !journal_commit_ok(d, all, n))
		goto out;
	for (uint32_t i = 0; i < n; i++)
		if (!journal_target_ok(sb, d->target[i])) {
			tfs_msg(fs->msg, sizeof(fs->msg),
				"journal: committed transaction %llu writes block %llu, outside the metadata areas",
				(unsigned long long)d->seq, (unsigned long long)d->target[i]);
			err = -EINVAL;
			goto out;
		}
	*targets = malloc(n * sizeof(uint64_t));
	*images = tfs_buf_alloc(fs, n);
	if (!*targets || !*images) {
		free(*targets);
		tfs_buf_free(fs, *images, n);
		err = -ENOMEM;
		goto out;
	}
	memcpy(*targets, d->target, n * sizeof(uint64_t));
	memcpy(*images, all + TFS_BLOCK_SIZE, (size_t)n * TFS_BLOCK_SIZE);
	*count = n;
	*seq = d->seq;
out:
	tfs_buf_free(fs, all, sb->journal_blocks);
	return err;
}

/* Forget the transaction in the journal (after its images are stable). */
int tfs_journal_clear(struct tfs *fs)
{
	uint8_t *z = tfs_buf_alloc(fs, 1);
	if (!z)
		return -ENOMEM;
	memset(z, 0, TFS_BLOCK_SIZE);
	int err = tfs_io_sync(fs, TFS_BIO_WRITE, 0, fs->sb.journal_start, 1, z);
	if (!err)
		err = tfs_io_flush(fs);
	tfs_buf_free(fs, z, 1);
	return err;
}

static int replay_pin(struct tfs *fs, const uint64_t *targets, const uint8_t *images,
		      uint32_t n)
{
	int err = 0;
	for (uint32_t i = 0; i < n; i++) {
		tfs_cache_forget(fs, targets[i]);
		struct tfs_buf *b = tfs_cache_read(fs, targets[i], &err);
		if (!b)
			return err;
		memcpy(b->data, images + (size_t)i * TFS_BLOCK_SIZE, TFS_BLOCK_SIZE);
		b->pinned = true;
	}
	return 0;
}

static int replay_write(struct tfs *fs, const uint64_t *targets, const uint8_t *images,
			uint32_t n)
{
	struct tfs_iowait w = { 0 };
	for (uint32_t i = 0; i < n; i++) {
		tfs_cache_forget(fs, targets[i]);
		tfs_io_submit(fs, &w, TFS_BIO_WRITE, 0, targets[i], 1,
			      (void *)(images + (size_t)i * TFS_BLOCK_SIZE));
	}
	int err = tfs_io_wait(fs, &w);
	if (!err)
		err = tfs_io_flush(fs);
	if (!err)
		err = tfs_journal_clear(fs);
	return err;
}

/* Mount-time replay. A read-only mount keeps the images in the cache. */
int tfs_journal_replay(struct tfs *fs)
{
	uint64_t *targets = NULL, seq = 0;
	uint8_t *images = NULL;
	uint32_t n;
	int err = tfs_journal_load(fs, &targets, &images, &n, &seq);
	if (err || !n)
		return err;
	if (fs->read_only)
		err = replay_pin(fs, targets, images, n);
	else
		err = replay_write(fs, targets, images, n);
	if (err && !fs->msg[0])
		tfs_msg(fs->msg, sizeof(fs->msg), "journal: replay failed (%d)", err);
	free(targets);
	tfs_buf_free(fs, images, n);
	return err;
}
