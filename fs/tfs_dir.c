/*
 * Directories and path names. A directory's data is an array of directory
 * blocks (tfs_blkhdr + TFS_DIRENTS_PER_BLOCK fixed-size entries), journaled
 * like all metadata and reached through the directory inode's extents.
 * Entries never move: removing one clears its slot, adding one takes the
 * first free slot or appends a block. A directory block whose entries are
 * malformed makes that directory fail with -EIO, nothing else.
 */
#include <errno.h>
#include <string.h>

#include "fs/tfs_int.h"

bool tfs_dirent_ok(const struct tfs_dirent *de, uint32_t nr_inodes)
{
	if (de->ino == 0)
		return true;
	if (de->ino >= nr_inodes || de->name_len == 0 || de->reserved ||
	    (de->type != TFS_TYPE_FILE && de->type != TFS_TYPE_DIR))
		return false;
	for (unsigned i = 0; i < de->name_len; i++)
		if (de->name[i] == '/' || de->name[i] == 0)
			return false;
	if (de->name_len == 1 && de->name[0] == '.')
		return false;
	return !(de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
}

static struct tfs_dirent *dir_slots(struct tfs_buf *b)
{
	return (struct tfs_dirent *)(b->data + sizeof(struct tfs_blkhdr));
}

/* Directory block number i of dir, checked once. */
static struct tfs_buf *dir_block(struct tfs *fs, struct tfs_inode_mem *dir, uint64_t i, int *err)
{
	uint64_t run, pblk = tfs_bmap(dir, i, &run);
	if (!pblk) {
		*err = tfs_fail(fs, -EIO, "directory %u: hole at block %llu", dir->ino,
				(unsigned long long)i);
		return NULL;
	}
	bool checked = false;
	struct tfs_buf *b = tfs_cache_read(fs, pblk, err);
	if (b)
		checked = b->verified;
	b = b ? tfs_cache_meta(fs, pblk, TFS_DIR_MAGIC, dir->ino, err) : NULL;
	if (!b || checked)
		return b;
	for (unsigned s = 0; s < TFS_DIRENTS_PER_BLOCK; s++)
		if (!tfs_dirent_ok(&dir_slots(b)[s], fs->sb.nr_inodes)) {
			b->verified = false;
			*err = tfs_fail(fs, -EIO, "directory %u: block %llu entry %u is malformed",
					dir->ino, (unsigned long long)pblk, s);
			return NULL;
		}
	return b;
}

static uint64_t dir_nblocks(const struct tfs_inode_mem *dir)
{
	return dir->d.size / TFS_BLOCK_SIZE;
}

static bool name_eq(const struct tfs_dirent *de, const char *name, size_t len)
{
	return de->ino && de->name_len == len && !memcmp(de->name, name, len);
}

/* Finds name: its block and slot. -ENOENT when absent. */
static int dir_find(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		    struct tfs_buf **bp, unsigned *slot)
{
	int err = 0;
	for (uint64_t i = 0; i < dir_nblocks(dir); i++) {
		struct tfs_buf *b = dir_block(fs, dir, i, &err);
		if (!b)
			return err;
		for (unsigned s = 0; s < TFS_DIRENTS_PER_BLOCK; s++)
			if (name_eq(&dir_slots(b)[s], name, len)) {
				*bp = b;
				*slot = s;
				return 0;
			}
	}
	return -ENOENT;
}

int tfs_dir_lookup(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		   uint32_t *ino, uint8_t *type)
{
	struct tfs_buf *b;
	unsigned s;
	int err = dir_find(fs, dir, name, len, &b, &s);
	if (err)
		return err;
	*ino = dir_slots(b)[s].ino;
	if (type)
		*type = dir_slots(b)[s].type;
	return 0;
}

/* A new, empty directory block at the end of dir. */
static struct tfs_buf *dir_grow(struct tfs *fs, struct tfs_inode_mem *dir, int *err)
{
	uint64_t n = dir_nblocks(dir), run, goal = n ? tfs_bmap(dir, n - 1, &run) + 1 : 0, pblk, got;
	*err = tfs_alloc_blocks(fs, goal, 1, &pblk, &got);
	if (*err)
		return NULL;
	*err = tfs_extent_insert(&dir->ext, n, pblk, 1);
	struct tfs_buf *b = *err ? NULL : tfs_cache_zero(fs, pblk, err);
	if (!b)
		return NULL;
	struct tfs_blkhdr *h = (struct tfs_blkhdr *)b->data;
	h->magic = TFS_DIR_MAGIC;
	h->blkno = pblk;
	h->owner = dir->ino;
	dir->d.size += TFS_BLOCK_SIZE;
	return b;
}

int tfs_dir_add(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		uint32_t ino, uint8_t type)
{
	int err = 0;
	struct tfs_buf *b = NULL;
	unsigned slot = 0;
	for (uint64_t i = 0; i < dir_nblocks(dir) && !b; i++) {
		struct tfs_buf *c = dir_block(fs, dir, i, &err);
		if (!c)
			return err;
		for (unsigned s = 0; s < TFS_DIRENTS_PER_BLOCK && !b; s++)
			if (!dir_slots(c)[s].ino) {
				b = c;
				slot = s;
			}
	}
	if (!b && !(b = dir_grow(fs, dir, &err)))
		return err;
	if ((err = tfs_cache_modify(fs, b)))
		return err;
	struct tfs_dirent *de = &dir_slots(b)[slot];
	memset(de, 0, sizeof(*de));
	de->ino = ino;
	de->type = type;
	de->name_len = (uint8_t)len;
	memcpy(de->name, name, len);
	dir->d.mtime = tfs_now(fs);
	return 0;
}

int tfs_dir_remove(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len)
{
	struct tfs_buf *b;
	unsigned s;
	int err = dir_find(fs, dir, name, len, &b, &s);
	if (!err)
		err = tfs_cache_modify(fs, b);
	if (!err) {
		memset(&dir_slots(b)[s], 0, sizeof(struct tfs_dirent));
		dir->d.mtime = tfs_now(fs);
	}
	return err;
}

/* The first entry at position pos or later (pos = block * slots + slot);
 * *next is where to continue. Returns 1 with an entry, 0 at the end. */
int tfs_dir_entry_at(struct tfs *fs, struct tfs_inode_mem *dir, uint64_t pos,
		     struct tfs_dirent_info *ent, uint64_t *next)
{
	int err = 0;
	for (; pos / TFS_DIRENTS_PER_BLOCK < dir_nblocks(dir); pos++) {
		struct tfs_buf *b = dir_block(fs, dir, pos / TFS_DIRENTS_PER_BLOCK, &err);
		if (!b)
			return err;
		const struct tfs_dirent *de = &dir_slots(b)[pos % TFS_DIRENTS_PER_BLOCK];
		if (!de->ino)
			continue;
		ent->ino = de->ino;
		ent->type = de->type;
		memcpy(ent->name, de->name, de->name_len);
		ent->name[de->name_len] = 0;
		*next = pos + 1;
		return 1;
	}
	*next = pos;
	return 0;
}

int tfs_dir_is_empty(struct tfs *fs, struct tfs_inode_mem *dir)
{
	struct tfs_dirent_info ent;
	uint64_t next;
	int r = tfs_dir_entry_at(fs, dir, 0, &ent, &next);
	return r < 0 ? r : !r;
}

/* ---- paths ---- */

static int path_component(const char **p, const char **name, size_t *len)
{
	while (**p == '/')
		(*p)++;
	*name = *p;
	while (**p && **p != '/')
		(*p)++;
	*len = (size_t)(*p - *name);
	if (*len > TFS_NAME_MAX)
		return -ENAMETOOLONG;
	if ((*len == 1 && (*name)[0] == '.') || (*len == 2 && !memcmp(*name, "..", 2)))
		return -EINVAL;
	return 0;
}

static int walk_step(struct tfs *fs, uint32_t dir_ino, const char *name, size_t len,
		     uint32_t *ino)
{
	struct tfs_inode_mem dir;
	int err = tfs_inode_load(fs, dir_ino, &dir);
	if (err)
		return err;
	uint8_t type;
	if (dir.d.type != TFS_TYPE_DIR)
		err = -ENOTDIR;
	else
		err = tfs_dir_lookup(fs, &dir, name, len, ino, &type);
	tfs_inode_release(&dir);
	return err;
}

/* Resolve all but the last component: the directory holding it, and its
 * name. The path "/" has an empty leaf. Each step goes to a child, so the
 * walk ends after as many steps as the path has components. */
int tfs_path_walk(struct tfs *fs, const char *path, uint32_t *parent, const char **leaf,
		  size_t *leaf_len)
{
	const char *p = path, *name;
	size_t len;
	uint32_t dir = TFS_ROOT_INO;
	for (;;) {
		int err = path_component(&p, &name, &len);
		if (err)
			return err;
		const char *rest = p;
		while (*rest == '/')
			rest++;
		if (!*rest) {
			*parent = dir;
			*leaf = name;
			*leaf_len = len;
			return 0;
		}
		if ((err = walk_step(fs, dir, name, len, &dir)))
			return err;
	}
}

int tfs_path_lookup(struct tfs *fs, const char *path, uint32_t *ino)
{
	uint32_t parent;
	const char *leaf;
	size_t len;
	int err = tfs_path_walk(fs, path, &parent, &leaf, &len);
	if (err)
		return err;
	if (!len) {
		*ino = TFS_ROOT_INO;
		return 0;
	}
	return walk_step(fs, parent, leaf, len, ino);
}
