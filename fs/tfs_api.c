/*
 * The public calls of fs/tfs.h: mount and unmount, file handles, and the
 * namespace operations. Each namespace operation reserves its worst case in
 * the journal first (tfs_txn_reserve), so it lands in one transaction and is
 * atomic across a crash. File and directory handles are in tfs_handle.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

const char *tfs_errmsg(const struct tfs *fs)
{
	return fs->msg;
}

/* Every public call on a mounted file system starts here: the message of an
 * earlier call's failure must not be reported for this one. */
void tfs_api_begin(struct tfs *fs)
{
	fs->msg[0] = 0;
}

/* Every call ends here: clean blocks beyond the cache target go. */
int tfs_api_end(struct tfs *fs, int err)
{
	tfs_cache_trim(fs);
	return err;
}

/* An operation failed after changing the running transaction: it cannot be
 * committed half done, so the file system stops taking writes. The device
 * still holds the last committed state. */
int tfs_op_failed(struct tfs *fs, int err)
{
	if (err && !fs->broken) {
		fs->broken = true;
		char why[TFS_MSG_LEN];
		memcpy(why, fs->msg, sizeof(why));
		tfs_fail(fs, err, "%.100s; file system now read-only", why);
	}
	return err;
}

/* ---- mount ---- */

static int mount_read_super(struct tfs *fs, uint64_t blkno, char *msg, size_t len)
{
	uint8_t *blk = tfs_buf_alloc(fs, 1);
	if (!blk)
		return -ENOMEM;
	int err = tfs_io_sync(fs, TFS_BIO_READ, 0, blkno, 1, blk);
	if (err)
		tfs_msg(msg, len, "read error on block %llu", (unsigned long long)blkno);
	else
		memcpy(&fs->sb, blk, sizeof(fs->sb));
	tfs_buf_free(fs, blk, 1);
	return err ? err : tfs_super_check(&fs->sb, fs->bdev->nr_blocks, msg, len);
}

/* The primary superblock, else the backup in the device's last block (a
 * read-write mount then writes the primary back: mount_mark_dirty). */
static int mount_super(struct tfs *fs)
{
	char why[TFS_MSG_LEN / 2], why2[TFS_MSG_LEN / 2] = "unreadable";
	if (!mount_read_super(fs, 0, why, sizeof(why)))
		return 0;
	if (fs->bdev->nr_blocks >= TFS_MIN_BLOCKS &&
	    !mount_read_super(fs, fs->bdev->nr_blocks - 1, why2, sizeof(why2)))
		return 0;
	return tfs_fail(fs, -EINVAL, "%s; backup %s", why, why2);
}

static int mount_alloc(struct tfs *fs)
{
	fs->txn_max = fs->sb.journal_blocks - 2;
	if (fs->txn_max > TFS_JDESC_MAX)
		fs->txn_max = TFS_JDESC_MAX;
	fs->txn = calloc(fs->txn_max, sizeof(*fs->txn));
	fs->jbuf = tfs_buf_alloc(fs, fs->txn_max + 2);
	fs->stage = tfs_buf_alloc(fs, TFS_STAGE_BLOCKS);
	return fs->txn && fs->jbuf && fs->stage ? 0 : -ENOMEM;
}

static int mount_check_root(struct tfs *fs)
{
	struct tfs_inode_mem root;
	int err = tfs_inode_load(fs, TFS_ROOT_INO, &root);
	if (err)
		return err;
	if (root.d.type != TFS_TYPE_DIR)
		err = tfs_fail(fs, -EIO, "root inode is not a directory");
	tfs_inode_release(&root);
	return err;
}

static int write_super(struct tfs *fs, uint64_t blkno, uint32_t flags)
{
	uint8_t *blk = tfs_buf_alloc(fs, 1);
	if (!blk)
		return -ENOMEM;
	memset(blk, 0, TFS_BLOCK_SIZE);
	tfs_super_seal(&fs->sb);
	memcpy(blk, &fs->sb, sizeof(fs->sb));
	int err = tfs_io_sync(fs, TFS_BIO_WRITE, flags, blkno, 1, blk);
	tfs_buf_free(fs, blk, 1);
	return err;
}

/* Mark the file system in use: a crash from now on leaves it dirty. */
static int mount_mark_dirty(struct tfs *fs)
{
	fs->sb.state = TFS_STATE_DIRTY;
	fs->sb.mount_count++;
	int err = write_super(fs, 0, 0);
	return err ? err : tfs_io_flush(fs);
}

static void tfs_destroy(struct tfs *fs)
{
	tfs_io_wait(fs, &fs->ckpt);
	tfs_cache_destroy(fs);
	free(fs->txn);
	free(fs->deferred.v);
	tfs_buf_free(fs, fs->jbuf, fs->txn_max + 2);
	tfs_buf_free(fs, fs->stage, TFS_STAGE_BLOCKS);
	free(fs);
}

static int mount_steps(struct tfs *fs)
{
	int err = mount_super(fs);
	if (err)
		return err;
	if ((err = mount_alloc(fs)))
		return tfs_fail(fs, err, "out of memory");
	fs->seq = (fs->sb.mount_count + 1) << 32;
	fs->gen = (fs->sb.mount_count + 1) << 32;
	if ((err = tfs_journal_replay(fs)))
		return err;
	if ((err = tfs_alloc_count(fs)) || (err = mount_check_root(fs)))
		return err;
	if (!fs->read_only && (err = mount_mark_dirty(fs)))
		return tfs_fail(fs, err, "cannot write the superblock");
	return 0;
}

int tfs_mount(struct tfs_bdev *bdev, const struct tfs_mount_opts *opts, struct tfs **out,
	      char *msg, size_t msglen)
{
	struct tfs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		tfs_msg(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	fs->bdev = bdev;
	fs->read_only = bdev->read_only || (opts && opts->read_only);
	fs->now = opts ? opts->now : NULL;
	int err = mount_steps(fs);
	if (err) {
		tfs_msg(msg, msglen, "%s", fs->msg[0] ? fs->msg : "mount failed");
		tfs_destroy(fs);
		return err;
	}
	tfs_cache_trim(fs);
	*out = fs;
	return 0;
}

int tfs_sync(struct tfs *fs)
{
	tfs_api_begin(fs);
	if (fs->read_only)
		return 0;
	int err = tfs_txn_commit(fs);
	if (!err)
		err = tfs_io_wait(fs, &fs->ckpt);
	if (!err)
		err = tfs_io_flush(fs);
	return tfs_api_end(fs, err);
}

int tfs_unmount(struct tfs *fs)
{
	int err = 0;
	if (!fs->read_only && !fs->broken) {
		err = tfs_sync(fs);
		if (!err) /* everything is home: a clean file system has an empty journal */
			err = tfs_journal_clear(fs);
		fs->sb.state = TFS_STATE_CLEAN;
		if (!err)
			err = write_super(fs, fs->sb.nr_blocks - 1, 0);
		if (!err)
			err = tfs_io_flush(fs);
		bool fua = fs->bdev->has_fua && fs->bdev->volatile_cache;
		if (!err)
			err = write_super(fs, 0, fua ? TFS_BIO_FUA : 0);
		if (!err && !fua)
			err = tfs_io_flush(fs);
	}
	tfs_destroy(fs);
	return err;
}

int tfs_statfs(struct tfs *fs, struct tfs_statfs *st)
{
	tfs_api_begin(fs);
	st->block_size = TFS_BLOCK_SIZE;
	st->blocks = fs->sb.nr_blocks - 1 - fs->sb.data_start;
	st->free_blocks = fs->free_blocks;
	st->inodes = fs->sb.nr_inodes - 1; /* inode 0 does not exist */
	st->free_inodes = fs->free_inodes;
	st->name_max = TFS_NAME_MAX;
	return 0;
}

/* ---- namespace ---- */

static void fill_stat(const struct tfs_inode_mem *im, struct tfs_stat *st)
{
	st->ino = im->ino;
	st->type = im->d.type;
	st->size = im->d.size;
	st->blocks = tfs_inode_blocks(im);
	st->mtime = im->d.mtime;
	st->nlink = im->d.nlink;
}

int tfs_stat(struct tfs *fs, const char *path, struct tfs_stat *st)
{
	tfs_api_begin(fs);
	uint32_t ino;
	struct tfs_inode_mem im;
	int err = tfs_path_lookup(fs, path, &ino);
	if (!err)
		err = tfs_inode_load(fs, ino, &im);
	if (!err) {
		fill_stat(&im, st);
		tfs_inode_release(&im);
	}
	return tfs_api_end(fs, err);
}

/* Parent directory of path, loaded, and the leaf name (non-empty). */
int tfs_load_parent(struct tfs *fs, const char *path, struct tfs_inode_mem *dir,
		       const char **leaf, size_t *len)
{
	uint32_t pino;
	int err = tfs_path_walk(fs, path, &pino, leaf, len);
	if (!err && !*len)
		err = -EINVAL; /* the root itself */
	if (!err)
		err = tfs_inode_load(fs, pino, dir);
	if (!err && dir->d.type != TFS_TYPE_DIR) {
		tfs_inode_release(dir);
		err = -ENOTDIR;
	}
	return err;
}

/* Journal blocks to add one entry to dir: a new directory block, its bitmap
 * block and the directory's inode table block; once the extents overflow the
 * inode, every extent block and a new one with its bitmap block. */
static uint32_t dir_add_cost(const struct tfs_inode_mem *dir)
{
	return 3 + (dir->ext.n >= TFS_INLINE_EXTENTS ? dir->nchain + 2 : 0);
}

int tfs_create_in(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		     uint16_t type, uint32_t *ino)
{
	int err = tfs_txn_reserve(fs, dir_add_cost(dir) + 3);
	struct tfs_inode_mem im;
	if (!err)
		err = tfs_space_ok(fs, 2); /* a directory block and an extent block */
	if (!err)
		err = tfs_alloc_inode(fs, ino);
	if (err)
		return err;
	tfs_inode_init(fs, &im, *ino, type, dir->ino);
	err = tfs_inode_store(fs, &im);
	if (!err)
		err = tfs_dir_add(fs, dir, name, len, *ino, (uint8_t)type);
	if (!err)
		err = tfs_inode_store(fs, dir);
	tfs_inode_release(&im);
	return tfs_op_failed(fs, err);
}

int tfs_mkdir(struct tfs *fs, const char *path)
{
	tfs_api_begin(fs);
	struct tfs_inode_mem dir;
	const char *leaf;
	size_t len;
	uint32_t ino;
	int err = tfs_load_parent(fs, path, &dir, &leaf, &len);
	if (err)
		return tfs_api_end(fs, err);
	err = tfs_dir_lookup(fs, &dir, leaf, len, &ino, NULL);
	if (!err)
		err = -EEXIST;
	else if (err == -ENOENT)
		err = tfs_create_in(fs, &dir, leaf, len, TFS_TYPE_DIR, &ino);
	tfs_inode_release(&dir);
	return tfs_api_end(fs, err);
}

/* Journal blocks to free all of im: its inode table block, the inode bitmap
 * block, and the block bitmap blocks its extents and extent blocks touch
 * (an extent of len blocks touches at most len / TFS_BITS_PER_BITMAP + 2). */
static uint64_t free_cost(struct tfs *fs, const struct tfs_inode_mem *im)
{
	uint64_t bitmaps = im->nchain;
	for (uint32_t i = 0; i < im->ext.n; i++)
		bitmaps += im->ext.v[i].len / TFS_BITS_PER_BITMAP + 2;
	return 2 + (bitmaps < fs->sb.bbm_blocks ? bitmaps : fs->sb.bbm_blocks);
}

/* Remove the entry leaf of dir, naming victim, and free victim. */
static int remove_entry(struct tfs *fs, struct tfs_inode_mem *dir, const char *leaf, size_t len,
			uint32_t victim)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(fs, victim, &im);
	if (err)
		return err;
	if (free_cost(fs, &im) + 3 + dir->nchain > fs->txn_max) {
		/* too big for one transaction: empty it step by step first */
		tfs_inode_release(&im);
		err = tfs_data_truncate(fs, victim, 0);
		if (!err)
			err = tfs_inode_load(fs, victim, &im);
		if (err)
			return err;
	}
	err = tfs_txn_reserve(fs, (uint32_t)(free_cost(fs, &im) + 3 + dir->nchain));
	if (err) {
		tfs_inode_release(&im);
		return err;
	}
	err = tfs_dir_remove(fs, dir, leaf, len);
	if (!err)
		err = tfs_inode_free(fs, &im);
	if (!err)
		err = tfs_inode_store(fs, dir);
	tfs_inode_release(&im);
	return tfs_op_failed(fs, err);
}

static int unlink_or_rmdir(struct tfs *fs, const char *path, uint8_t want)
{
	struct tfs_inode_mem dir;
	const char *leaf;
	size_t len;
	uint32_t ino;
	uint8_t type;
	int err = tfs_load_parent(fs, path, &dir, &leaf, &len);
	if (err)
		return err;
	err = tfs_dir_lookup(fs, &dir, leaf, len, &ino, &type);
	if (!err && type != want)
		err = want == TFS_TYPE_DIR ? -ENOTDIR : -EISDIR;
	if (!err && want == TFS_TYPE_DIR) {
		struct tfs_inode_mem sub;
		err = tfs_inode_load(fs, ino, &sub);
		if (!err) {
			int empty = tfs_dir_is_empty(fs, &sub);
			err = empty < 0 ? empty : empty ? 0 : -ENOTEMPTY;
			tfs_inode_release(&sub);
		}
	}
	if (!err)
		err = remove_entry(fs, &dir, leaf, len, ino);
	tfs_inode_release(&dir);
	return err;
}

int tfs_unlink(struct tfs *fs, const char *path)
{
	tfs_api_begin(fs);
	return tfs_api_end(fs, unlink_or_rmdir(fs, path, TFS_TYPE_FILE));
}

int tfs_rmdir(struct tfs *fs, const char *path)
{
	tfs_api_begin(fs);
	return tfs_api_end(fs, unlink_or_rmdir(fs, path, TFS_TYPE_DIR));
}

int tfs_truncate(struct tfs *fs, const char *path, uint64_t size)
{
	tfs_api_begin(fs);
	uint32_t ino;
	struct tfs_stat st;
	int err = tfs_stat(fs, path, &st);
	if (!err && st.type != TFS_TYPE_FILE)
		err = -EISDIR;
	if (!err)
		err = tfs_path_lookup(fs, path, &ino);
	if (!err)
		err = tfs_data_truncate(fs, ino, size);
	return tfs_api_end(fs, err);
}

/* ---- rename ---- */

/* Is dir (or one of its ancestors) anc? Follows parent pointers; a loop in
 * them is corruption, found within nr_inodes steps. */
static int is_within(struct tfs *fs, uint32_t dir, uint32_t anc, bool *yes)
{
	for (uint32_t steps = 0; steps <= fs->sb.nr_inodes; steps++) {
		if (dir == anc || dir == TFS_ROOT_INO) {
			*yes = dir == anc;
			return 0;
		}
		struct tfs_inode_mem im;
		int err = tfs_inode_load(fs, dir, &im);
		if (err)
			return err;
		dir = im.d.parent;
		tfs_inode_release(&im);
	}
	return tfs_fail(fs, -EIO, "directory parents form a loop");
}

struct rename_op {
	struct tfs_inode_mem sp, dp;      /* source and destination parents */
	struct tfs_inode_mem *dpp;        /* &dp, or &sp when they are the same */
	const char *sname, *dname;
	size_t slen, dlen;
	uint32_t sino, dino;
	uint8_t stype, dtype;
	bool replace;
};

static int rename_check(struct tfs *fs, struct rename_op *r)
{
	int err = tfs_dir_lookup(fs, &r->sp, r->sname, r->slen, &r->sino, &r->stype);
	if (err)
		return err;
	err = tfs_dir_lookup(fs, r->dpp, r->dname, r->dlen, &r->dino, &r->dtype);
	r->replace = !err;
	if (err && err != -ENOENT)
		return err;
	if (r->stype == TFS_TYPE_DIR) {
		bool inside = false;
		if ((err = is_within(fs, r->dpp->ino, r->sino, &inside)))
			return err;
		if (inside)
			return -EINVAL;
	}
	if (!r->replace || r->dino == r->sino)
		return 0;
	if (r->stype != r->dtype)
		return r->dtype == TFS_TYPE_DIR ? -EISDIR : -ENOTDIR;
	if (r->dtype == TFS_TYPE_DIR) {
		struct tfs_inode_mem sub;
		if ((err = tfs_inode_load(fs, r->dino, &sub)))
			return err;
		int empty = tfs_dir_is_empty(fs, &sub);
		tfs_inode_release(&sub);
		return empty < 0 ? empty : empty ? 0 : -ENOTEMPTY;
	}
	return 0;
}

static int rename_apply(struct tfs *fs, struct rename_op *r)
{
	struct tfs_inode_mem victim = { 0 };
	/* source entry's block and inode, destination as dir_add_cost, the moved
	 * directory's inode, then the replaced inode */
	uint64_t cost = 2 + dir_add_cost(r->dpp) + 1;
	int err = 0;
	if (r->replace && (err = tfs_inode_load(fs, r->dino, &victim)))
		return err;
	if (r->replace)
		cost += free_cost(fs, &victim);
	if (cost > fs->txn_max)
		err = tfs_fail(fs, -EFBIG, "rename needs %llu journal blocks, the journal has %u",
			       (unsigned long long)cost, fs->txn_max);
	if (!err)
		err = tfs_txn_reserve(fs, (uint32_t)cost);
	if (!err)
		err = tfs_space_ok(fs, 2);
	if (err) {
		tfs_inode_release(&victim);
		return err;
	}
	if (r->replace) {
		err = tfs_dir_remove(fs, r->dpp, r->dname, r->dlen);
		if (!err)
			err = tfs_inode_free(fs, &victim);
	}
	tfs_inode_release(&victim);
	if (!err)
		err = tfs_dir_remove(fs, &r->sp, r->sname, r->slen);
	if (!err)
		err = tfs_dir_add(fs, r->dpp, r->dname, r->dlen, r->sino, r->stype);
	if (!err && r->stype == TFS_TYPE_DIR && r->dpp != &r->sp) {
		struct tfs_inode_mem moved;
		if (!(err = tfs_inode_load(fs, r->sino, &moved))) {
			moved.d.parent = r->dpp->ino;
			err = tfs_inode_store(fs, &moved);
			tfs_inode_release(&moved);
		}
	}
	if (!err)
		err = tfs_inode_store(fs, &r->sp);
	if (!err && r->dpp != &r->sp)
		err = tfs_inode_store(fs, &r->dp);
	return tfs_op_failed(fs, err);
}

int tfs_rename(struct tfs *fs, const char *from, const char *to)
{
	tfs_api_begin(fs);
	struct rename_op r;
	memset(&r, 0, sizeof(r));
	int err = tfs_load_parent(fs, from, &r.sp, &r.sname, &r.slen);
	if (err)
		return tfs_api_end(fs, err);
	err = tfs_load_parent(fs, to, &r.dp, &r.dname, &r.dlen);
	if (!err) {
		r.dpp = r.dp.ino == r.sp.ino ? &r.sp : &r.dp;
		err = rename_check(fs, &r);
		if (!err && !(r.replace && r.dino == r.sino))
			err = rename_apply(fs, &r);
		tfs_inode_release(&r.dp);
	}
	tfs_inode_release(&r.sp);
	return tfs_api_end(fs, err);
}
