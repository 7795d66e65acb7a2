/*
 * fsck: checks an unmounted tfs against every invariant of
 * docs/tfs-format.md and, with TFS_FSCK_REPAIR, repairs it.
 *
 *   superblock  primary valid (else the backup is used, and copied back)
 *   journal     a committed transaction is replayed (in memory with -n)
 *   pass 1      every inode: the bitmap agrees, checksum, fields, extents and
 *               extent chain sound (the core's own tfs_inode_load)
 *   pass 2      the tree from the root: directory blocks sound, entries name
 *               live inodes of their type, nothing named twice, a directory's
 *               parent field is the directory holding it
 *   pass 3      every live inode is named once (root: never); nlink agrees
 *   pass 4      no block is claimed by two inodes; the block bitmap is exactly
 *               the metadata areas + the backup + every claimed block, the
 *               inode bitmap exactly the live inodes
 * Repairs drop what cannot be trusted: a bad inode or an unnamed one is
 * freed, a bad entry cleared, a bad directory block emptied, a file sharing
 * blocks with another is truncated to zero, bitmaps are rebuilt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

enum { INO_FREE, INO_LIVE, INO_BAD };
enum { SAY_INFO, SAY_FIX, SAY_ERR }; /* a note; an error repair fixes; one it cannot */

struct fsck {
	struct tfs *fs;
	bool repair;
	void (*report)(void *arg, const char *line);
	void *arg;
	unsigned errors, fixed;
	uint8_t *state;     /* per inode: INO_* */
	uint8_t *type;      /* per inode: TFS_TYPE_* when live */
	uint8_t *refs;      /* directory entries naming it, saturating at 2 */
	uint8_t *claimed;   /* bit per block */
	uint32_t *queue;    /* directories to visit */
	uint8_t *blk;       /* scratch block */
};

static void say(struct fsck *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct fsck *c, int level, const char *fmt, ...)
{
	char line[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level != SAY_INFO)
		c->errors++;
	if (level == SAY_FIX && c->repair)
		c->fixed++;
	if (c->report)
		c->report(c->arg, line);
}

static int fsck_write(struct fsck *c, uint64_t blkno, const void *data)
{
	tfs_cache_forget(c->fs, blkno);
	memcpy(c->blk, data, TFS_BLOCK_SIZE);
	return tfs_io_sync(c->fs, TFS_BIO_WRITE, 0, blkno, 1, c->blk);
}

static struct tfs_inode *inode_slot(struct tfs_buf *b, uint32_t ino)
{
	return (struct tfs_inode *)b->data + ino % TFS_INODES_PER_BLOCK;
}

static int write_inode(struct fsck *c, uint32_t ino, const struct tfs_inode *di)
{
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(c->fs, c->fs->sb.itable_start + ino / TFS_INODES_PER_BLOCK,
					   &err);
	if (!b)
		return err;
	*inode_slot(b, ino) = *di;
	uint8_t copy[TFS_BLOCK_SIZE];
	memcpy(copy, b->data, TFS_BLOCK_SIZE);
	return fsck_write(c, b->blkno, copy);
}

static int clear_inode(struct fsck *c, uint32_t ino)
{
	static const struct tfs_inode zero;
	if (!c->repair) /* -n: as found, so later passes do not report it again */
		return 0;
	c->state[ino] = INO_FREE;
	return write_inode(c, ino, &zero);
}

/* ---- superblock and journal ---- */

static int check_super(struct fsck *c, bool *rewrite)
{
	struct tfs *fs = c->fs;
	char why[120], why2[120];
	uint64_t where[2] = { 0, fs->bdev->nr_blocks - 1 };
	*rewrite = false;
	for (int i = 0; i < 2; i++) {
		int err = tfs_io_sync(fs, TFS_BIO_READ, 0, where[i], 1, c->blk);
		if (err)
			return err;
		memcpy(&fs->sb, c->blk, sizeof(fs->sb));
		if (!tfs_super_check(&fs->sb, fs->bdev->nr_blocks, i ? why2 : why, sizeof(why))) {
			if (i) {
				say(c, SAY_FIX, "primary superblock: %s; using the backup", why);
				*rewrite = true;
			}
			return 0;
		}
	}
	say(c, SAY_ERR, "no usable superblock: %s; backup: %s", why, why2);
	return -EINVAL;
}

static int replay(struct fsck *c)
{
	uint64_t *targets = NULL, seq = 0;
	uint8_t *images = NULL;
	uint32_t n;
	int err = tfs_journal_load(c->fs, &targets, &images, &n, &seq);
	if (err) {
		say(c, err == -EINVAL ? SAY_FIX : SAY_ERR, "%s",
		    c->fs->msg[0] ? c->fs->msg : "journal unreadable");
		if (c->repair && err == -EINVAL)
			err = tfs_journal_clear(c->fs);
		return err;
	}
	free(targets);
	tfs_buf_free(c->fs, images, n);
	if (!n)
		return 0;
	say(c, SAY_INFO, "journal: transaction %llu of %u blocks replayed%s",
	    (unsigned long long)seq, n, c->repair ? "" : " in memory");
	return tfs_journal_replay(c->fs);
}

/* ---- pass 1: inodes ---- */

static bool slot_is_zero(const struct tfs_inode *di)
{
	static const struct tfs_inode zero;
	return !memcmp(di, &zero, sizeof(zero));
}

/* The bit as stored, header unchecked: pass 4 judges bitmap blocks. */
static int raw_bit(struct fsck *c, uint64_t start, uint64_t bit, bool *set)
{
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(c->fs, start + bit / TFS_BITS_PER_BITMAP, &err);
	if (!b)
		return err;
	uint64_t i = bit % TFS_BITS_PER_BITMAP;
	*set = (b->data[sizeof(struct tfs_blkhdr) + i / 8] >> (i % 8)) & 1;
	return 0;
}

static int pass1_inode(struct fsck *c, uint32_t ino)
{
	struct tfs *fs = c->fs;
	bool used = false;
	int err = raw_bit(c, fs->sb.ibm_start, ino, &used);
	struct tfs_buf *b = err ? NULL
				: tfs_cache_read(fs, fs->sb.itable_start + ino / TFS_INODES_PER_BLOCK,
						 &err);
	if (!b)
		return err;
	if (slot_is_zero(inode_slot(b, ino))) {
		if (used)
			say(c, SAY_FIX, "inode %u: free but marked in use", ino);
		return 0;
	}
	struct tfs_inode_mem im;
	fs->msg[0] = 0;
	if (tfs_inode_load(fs, ino, &im)) {
		say(c, SAY_FIX, "%s", fs->msg);
		c->state[ino] = INO_BAD;
		return clear_inode(c, ino);
	}
	if (!used)
		say(c, SAY_FIX, "inode %u: in use but marked free", ino);
	c->state[ino] = INO_LIVE;
	c->type[ino] = (uint8_t)im.d.type;
	tfs_inode_release(&im);
	return 0;
}

/* ---- pass 2: the tree ---- */

static int dir_fix_block(struct fsck *c, uint64_t pblk, uint8_t *data)
{
	return c->repair ? fsck_write(c, pblk, data) : 0;
}

static void dir_empty_block(uint8_t *data, uint32_t dir, uint64_t pblk)
{
	memset(data, 0, TFS_BLOCK_SIZE);
	struct tfs_blkhdr *h = (struct tfs_blkhdr *)data;
	h->magic = TFS_DIR_MAGIC;
	h->blkno = pblk;
	h->owner = dir;
	tfs_blkhdr_seal(data);
}

/* The same name earlier in this block. (Across blocks the core would find
 * the first; fsck only catches duplicates within a block.) */
static bool dup_name(const struct tfs_dirent *slots, unsigned s, const struct tfs_dirent *de)
{
	for (unsigned k = 0; k < s; k++)
		if (slots[k].ino && slots[k].name_len == de->name_len &&
		    !memcmp(slots[k].name, de->name, de->name_len))
			return true;
	return false;
}

/* Checks one entry; returns true when it must be cleared. */
static bool entry_bad(struct fsck *c, uint32_t dir, const struct tfs_dirent *de)
{
	struct tfs *fs = c->fs;
	if (!tfs_dirent_ok(de, fs->sb.nr_inodes)) {
		say(c, SAY_FIX, "directory %u: malformed entry", dir);
		return true;
	}
	uint32_t ino = de->ino;
	if (ino == TFS_ROOT_INO || c->state[ino] != INO_LIVE || c->type[ino] != de->type) {
		say(c, SAY_FIX, "directory %u: entry '%.*s' names inode %u, which is %s", dir,
		    de->name_len, de->name, ino,
		    ino == TFS_ROOT_INO ? "the root" :
		    c->state[ino] != INO_LIVE ? "not in use" : "of another type");
		return true;
	}
	if (c->refs[ino]) {
		say(c, SAY_FIX, "directory %u: entry '%.*s' names inode %u already named elsewhere", dir,
		    de->name_len, de->name, ino);
		return true;
	}
	return false;
}

static int dir_block_check(struct fsck *c, uint32_t dir, uint64_t pblk, uint32_t *qn)
{
	struct tfs *fs = c->fs;
	uint8_t data[TFS_BLOCK_SIZE];
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(fs, pblk, &err);
	if (!b)
		return err;
	memcpy(data, b->data, TFS_BLOCK_SIZE);
	const struct tfs_blkhdr *h = (const void *)data;
	if (!tfs_blkhdr_ok(data, TFS_DIR_MAGIC, pblk) || h->owner != dir) {
		say(c, SAY_FIX, "directory %u: block %llu bad (checksum, magic or owner): emptied", dir,
		    (unsigned long long)pblk);
		dir_empty_block(data, dir, pblk);
		return dir_fix_block(c, pblk, data);
	}
	struct tfs_dirent *slots = (struct tfs_dirent *)(data + sizeof(*h));
	bool changed = false;
	for (unsigned s = 0; s < TFS_DIRENTS_PER_BLOCK; s++) {
		struct tfs_dirent *de = &slots[s];
		if (!de->ino)
			continue;
		bool bad = entry_bad(c, dir, de);
		if (!bad && dup_name(slots, s, de)) {
			say(c, SAY_FIX, "directory %u: name '%.*s' twice", dir, de->name_len, de->name);
			bad = true;
		}
		if (bad) {
			memset(de, 0, sizeof(*de));
			changed = true;
			continue;
		}
		c->refs[de->ino] = 1;
		if (de->type == TFS_TYPE_DIR)
			c->queue[(*qn)++] = de->ino;
	}
	if (changed) {
		tfs_blkhdr_seal(data);
		return dir_fix_block(c, pblk, data);
	}
	return 0;
}

static int check_parent(struct fsck *c, uint32_t dir, uint32_t parent)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(c->fs, dir, &im);
	if (err)
		return err;
	if (im.d.parent != parent) {
		say(c, SAY_FIX, "directory %u: parent field %u, but it is in directory %u", dir,
		    im.d.parent, parent);
		im.d.parent = parent;
		tfs_inode_seal(&im.d);
		/* only the header fields changed: the extents on disk are as loaded */
		struct tfs_buf *b = tfs_cache_read(c->fs, c->fs->sb.itable_start +
							     dir / TFS_INODES_PER_BLOCK, &err);
		if (b && c->repair) {
			struct tfs_inode d = *inode_slot(b, dir);
			d.parent = parent;
			tfs_inode_seal(&d);
			err = write_inode(c, dir, &d);
		}
	}
	tfs_inode_release(&im);
	return err;
}

/* Walks the directory's extents (not its size: a corrupt size must not make
 * fsck loop over blocks that do not exist). */
static int pass2_dir(struct fsck *c, uint32_t dir, uint32_t *qn)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(c->fs, dir, &im);
	if (err)
		return err;
	if (tfs_inode_blocks(&im) != im.d.size / TFS_BLOCK_SIZE)
		say(c, SAY_ERR, "directory %u: size %llu but %llu blocks mapped", dir,
		    (unsigned long long)im.d.size, (unsigned long long)tfs_inode_blocks(&im));
	for (uint32_t e = 0; !err && e < im.ext.n; e++)
		for (uint32_t k = 0; !err && k < im.ext.v[e].len; k++) {
			uint32_t before = *qn;
			err = dir_block_check(c, dir, im.ext.v[e].pblk + k, qn);
			for (uint32_t q = before; !err && q < *qn; q++)
				err = check_parent(c, c->queue[q], dir);
		}
	tfs_inode_release(&im);
	return err;
}

static int pass2(struct fsck *c)
{
	if (c->state[TFS_ROOT_INO] != INO_LIVE || c->type[TFS_ROOT_INO] != TFS_TYPE_DIR) {
		say(c, SAY_ERR, "root inode unusable: file system beyond repair");
		return -EIO;
	}
	uint32_t qn = 0;
	c->queue[qn++] = TFS_ROOT_INO;
	int err = check_parent(c, TFS_ROOT_INO, TFS_ROOT_INO);
	for (uint32_t qi = 0; !err && qi < qn; qi++)
		err = pass2_dir(c, c->queue[qi], &qn);
	return err;
}

/* ---- pass 3: names and links ---- */

static int pass3_inode(struct fsck *c, uint32_t ino)
{
	if (c->state[ino] != INO_LIVE)
		return 0;
	if (ino != TFS_ROOT_INO && !c->refs[ino]) {
		say(c, SAY_FIX, "inode %u: in no directory%s", ino, c->repair ? ": freed" : "");
		return clear_inode(c, ino);
	}
	struct tfs_inode_mem im;
	int err = tfs_inode_load(c->fs, ino, &im);
	if (err)
		return err;
	uint16_t want = ino == TFS_ROOT_INO ? 0 : 1;
	if (im.d.nlink != want && !(ino == TFS_ROOT_INO && im.d.nlink == 1)) {
		say(c, SAY_FIX, "inode %u: nlink %u, should be %u", ino, im.d.nlink, want);
		struct tfs_buf *b = tfs_cache_read(c->fs, c->fs->sb.itable_start +
							      ino / TFS_INODES_PER_BLOCK, &err);
		if (b && c->repair) {
			struct tfs_inode d = *inode_slot(b, ino);
			d.nlink = want;
			tfs_inode_seal(&d);
			err = write_inode(c, ino, &d);
		}
	}
	tfs_inode_release(&im);
	return err;
}

/* ---- pass 4: blocks and bitmaps ---- */

static bool claimed(struct fsck *c, uint64_t b)
{
	return (c->claimed[b / 8] >> (b % 8)) & 1;
}

static void claim(struct fsck *c, uint64_t b)
{
	c->claimed[b / 8] |= (uint8_t)(1u << (b % 8));
}

static bool range_free(struct fsck *c, uint64_t pblk, uint64_t len)
{
	for (uint64_t k = 0; k < len; k++)
		if (claimed(c, pblk + k))
			return false;
	return true;
}

static int truncate_to_zero(struct fsck *c, uint32_t ino)
{
	if (!c->repair)
		return 0;
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(c->fs, c->fs->sb.itable_start + ino / TFS_INODES_PER_BLOCK,
					   &err);
	if (!b)
		return err;
	struct tfs_inode d = *inode_slot(b, ino);
	d.size = 0;
	d.nr_extents = 0;
	d.ext_chain = 0;
	memset(d.ext, 0, sizeof(d.ext));
	tfs_inode_seal(&d);
	return write_inode(c, ino, &d);
}

static int pass4_claim(struct fsck *c, uint32_t ino)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(c->fs, ino, &im);
	if (err)
		return err;
	bool ok = true;
	for (uint32_t k = 0; k < im.nchain; k++)
		ok = ok && range_free(c, im.chain[k], 1);
	for (uint32_t i = 0; i < im.ext.n; i++)
		ok = ok && range_free(c, im.ext.v[i].pblk, im.ext.v[i].len);
	if (ok) {
		for (uint32_t k = 0; k < im.nchain; k++)
			claim(c, im.chain[k]);
		for (uint32_t i = 0; i < im.ext.n; i++)
			for (uint64_t b = 0; b < im.ext.v[i].len; b++)
				claim(c, im.ext.v[i].pblk + b);
	} else {
		say(c, SAY_FIX, "inode %u: shares blocks with another inode%s", ino,
		    c->repair ? ": truncated to 0" : "");
		err = truncate_to_zero(c, ino);
	}
	tfs_inode_release(&im);
	return err;
}

/* Compare (and rewrite) one bitmap block against want(bit). */
static int bitmap_block(struct fsck *c, const char *name, uint64_t blkno, uint64_t first,
			bool (*want)(struct fsck *, uint64_t), uint64_t *wrong)
{
	int err = 0;
	struct tfs_buf *b = tfs_cache_read(c->fs, blkno, &err);
	if (!b)
		return err;
	uint8_t data[TFS_BLOCK_SIZE];
	bool hdr_ok = tfs_blkhdr_ok(b->data, TFS_BITMAP_MAGIC, blkno);
	if (!hdr_ok)
		say(c, SAY_FIX, "%s bitmap block %llu: bad checksum or header", name,
		    (unsigned long long)blkno);
	memset(data, 0, sizeof(data));
	struct tfs_blkhdr *h = (struct tfs_blkhdr *)data;
	h->magic = TFS_BITMAP_MAGIC;
	h->blkno = blkno;
	uint8_t *bits = data + sizeof(*h);
	const uint8_t *old = b->data + sizeof(*h);
	for (uint64_t i = 0; i < TFS_BITS_PER_BITMAP; i++) {
		bool w = want(c, first + i), o = (old[i / 8] >> (i % 8)) & 1;
		if (w)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		if (hdr_ok && w != o)
			(*wrong)++;
	}
	if ((!hdr_ok || memcmp(bits, old, TFS_BITMAP_BYTES)) && c->repair) {
		tfs_blkhdr_seal(data);
		return fsck_write(c, blkno, data);
	}
	return 0;
}

static bool want_block(struct fsck *c, uint64_t b)
{
	const struct tfs_super *sb = &c->fs->sb;
	return b < sb->data_start || b >= sb->nr_blocks - 1 || claimed(c, b);
}

static bool want_inode(struct fsck *c, uint64_t i)
{
	return i <= TFS_ROOT_INO || i >= c->fs->sb.nr_inodes || c->state[i] == INO_LIVE;
}

static int pass4(struct fsck *c)
{
	const struct tfs_super *sb = &c->fs->sb;
	int err = 0;
	for (uint32_t ino = 1; !err && ino < sb->nr_inodes; ino++)
		if (c->state[ino] == INO_LIVE)
			err = pass4_claim(c, ino);
	uint64_t wrong = 0;
	for (uint32_t i = 0; !err && i < sb->bbm_blocks; i++)
		err = bitmap_block(c, "block", sb->bbm_start + i, (uint64_t)i * TFS_BITS_PER_BITMAP,
				   want_block, &wrong);
	if (wrong)
		say(c, SAY_FIX, "block bitmap: %llu blocks marked wrongly", (unsigned long long)wrong);
	wrong = 0;
	for (uint32_t i = 0; !err && i < sb->ibm_blocks; i++)
		err = bitmap_block(c, "inode", sb->ibm_start + i, (uint64_t)i * TFS_BITS_PER_BITMAP,
				   want_inode, &wrong);
	if (wrong)
		say(c, SAY_FIX, "inode bitmap: %llu inodes marked wrongly", (unsigned long long)wrong);
	return err;
}

/* ---- driver ---- */

static int fsck_alloc(struct fsck *c)
{
	const struct tfs_super *sb = &c->fs->sb;
	size_t ni = sb->nr_inodes;
	c->state = calloc(ni, 1);
	c->type = calloc(ni, 1);
	c->refs = calloc(ni, 1);
	c->queue = calloc(ni, sizeof(uint32_t));
	c->claimed = calloc(sb->nr_blocks / 8 + 1, 1);
	return c->state && c->type && c->refs && c->queue && c->claimed ? 0 : -ENOMEM;
}

static void fsck_free(struct fsck *c)
{
	free(c->state);
	free(c->type);
	free(c->refs);
	free(c->queue);
	free(c->claimed);
	if (c->fs) {
		tfs_cache_destroy(c->fs);
		tfs_buf_free(c->fs, c->blk, 1);
		free(c->fs);
	}
}

static int write_clean_super(struct fsck *c)
{
	struct tfs_super *sb = &c->fs->sb;
	sb->state = TFS_STATE_CLEAN;
	tfs_super_seal(sb);
	memset(c->blk, 0, TFS_BLOCK_SIZE);
	memcpy(c->blk, sb, sizeof(*sb));
	int err = tfs_io_sync(c->fs, TFS_BIO_WRITE, 0, sb->nr_blocks - 1, 1, c->blk);
	if (!err)
		err = tfs_io_sync(c->fs, TFS_BIO_WRITE, 0, 0, 1, c->blk);
	return err ? err : tfs_io_flush(c->fs);
}

static int fsck_passes(struct fsck *c)
{
	bool rewrite;
	int err = check_super(c, &rewrite);
	if (!err)
		err = fsck_alloc(c);
	if (!err)
		err = replay(c);
	for (uint32_t ino = 1; !err && ino < c->fs->sb.nr_inodes; ino++)
		err = pass1_inode(c, ino);
	if (!err)
		err = pass2(c);
	for (uint32_t ino = 1; !err && ino < c->fs->sb.nr_inodes; ino++)
		err = pass3_inode(c, ino);
	if (!err)
		err = pass4(c);
	if (!err && c->repair && (rewrite || c->fs->sb.state != TFS_STATE_CLEAN || c->fixed))
		err = write_clean_super(c);
	return err;
}

int tfs_fsck(struct tfs_bdev *bdev, unsigned flags, void (*report)(void *arg, const char *line),
	     void *arg)
{
	struct fsck c = { .repair = flags & TFS_FSCK_REPAIR, .report = report, .arg = arg };
	if (c.repair && bdev->read_only)
		return TFS_FSCK_FAILED;
	c.fs = calloc(1, sizeof(*c.fs));
	if (!c.fs)
		return TFS_FSCK_FAILED;
	c.fs->bdev = bdev;
	c.fs->read_only = !c.repair;
	c.blk = tfs_buf_alloc(c.fs, 1);
	int err = c.blk ? fsck_passes(&c) : -ENOMEM;
	if (err == -ENOMEM || (err && !c.errors))
		say(&c, SAY_ERR, "fsck stopped: error %d", err);
	int result = !c.errors ? TFS_FSCK_CLEAN
		     : c.repair && c.fixed == c.errors && !err ? TFS_FSCK_FIXED
							     : TFS_FSCK_ERRORS;
	fsck_free(&c);
	return result;
}
