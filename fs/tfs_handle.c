/*
 * File and directory handles. A handle names its inode by number and
 * generation: once the file is removed (and the number perhaps reused), the
 * handle's calls fail with -ESTALE instead of touching another file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"

struct tfs_file {
	struct tfs *fs;
	uint32_t ino;
	uint64_t gen;
	uint64_t pos;
	int flags;
};

struct tfs_dir {
	struct tfs *fs;
	uint32_t ino;
	uint64_t gen;
	uint64_t pos;
};

/* Load the handle's inode and check it is still the same file. */
static int handle_load(struct tfs *fs, uint32_t ino, uint64_t gen, struct tfs_inode_mem *im)
{
	int err = tfs_inode_load(fs, ino, im);
	if (!err && im->d.generation != gen) {
		tfs_inode_release(im);
		err = -ESTALE;
	}
	return err;
}

static int open_existing(struct tfs *fs, uint32_t ino, int flags, struct tfs_file *f)
{
	struct tfs_inode_mem im;
	int err = tfs_inode_load(fs, ino, &im);
	if (err)
		return err;
	f->gen = im.d.generation;
	if (im.d.type != TFS_TYPE_FILE)
		err = -EISDIR;
	tfs_inode_release(&im);
	if (!err && (flags & TFS_O_TRUNC) && (flags & TFS_O_ACCMODE) != TFS_O_RDONLY)
		err = tfs_data_truncate(fs, ino, 0);
	return err;
}

static int open_create(struct tfs *fs, const char *path, int flags, struct tfs_file *f)
{
	struct tfs_inode_mem dir;
	const char *leaf;
	size_t len;
	int err = tfs_load_parent(fs, path, &dir, &leaf, &len);
	if (err)
		return err;
	uint8_t type;
	err = tfs_dir_lookup(fs, &dir, leaf, len, &f->ino, &type);
	if (!err && (flags & TFS_O_EXCL))
		err = -EEXIST;
	else if (err == -ENOENT)
		err = tfs_create_in(fs, &dir, leaf, len, TFS_TYPE_FILE, &f->ino);
	tfs_inode_release(&dir);
	return err ? err : open_existing(fs, f->ino, flags & ~TFS_O_TRUNC, f);
}

int tfs_open(struct tfs *fs, const char *path, int flags, struct tfs_file **out)
{
	tfs_api_begin(fs);
	struct tfs_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fs = fs;
	f->flags = flags;
	int err;
	if (flags & TFS_O_CREAT)
		err = open_create(fs, path, flags, f);
	else if (!(err = tfs_path_lookup(fs, path, &f->ino)))
		err = open_existing(fs, f->ino, flags, f);
	if (!err && (flags & TFS_O_CREAT) && (flags & TFS_O_TRUNC))
		err = open_existing(fs, f->ino, flags, f);
	if (err)
		free(f);
	else
		*out = f;
	return tfs_api_end(fs, err);
}

int tfs_close(struct tfs_file *f)
{
	free(f);
	return 0;
}

int64_t tfs_pread(struct tfs_file *f, void *buf, size_t len, uint64_t off)
{
	tfs_api_begin(f->fs);
	if ((f->flags & TFS_O_ACCMODE) == TFS_O_WRONLY)
		return -EBADF;
	struct tfs_inode_mem im;
	int err = handle_load(f->fs, f->ino, f->gen, &im);
	if (err)
		return tfs_api_end(f->fs, err);
	int64_t n = tfs_data_read(f->fs, &im, buf, len, off);
	tfs_inode_release(&im);
	tfs_api_end(f->fs, 0);
	return n;
}

int64_t tfs_pwrite(struct tfs_file *f, const void *buf, size_t len, uint64_t off)
{
	tfs_api_begin(f->fs);
	if ((f->flags & TFS_O_ACCMODE) == TFS_O_RDONLY)
		return -EBADF;
	struct tfs_inode_mem im;
	int err = handle_load(f->fs, f->ino, f->gen, &im);
	if (err)
		return tfs_api_end(f->fs, err);
	if (f->flags & TFS_O_APPEND)
		off = im.d.size;
	tfs_inode_release(&im);
	int64_t n = tfs_data_write(f->fs, f->ino, buf, len, off);
	tfs_api_end(f->fs, 0);
	return n;
}

int64_t tfs_read(struct tfs_file *f, void *buf, size_t len)
{
	int64_t n = tfs_pread(f, buf, len, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

int64_t tfs_write(struct tfs_file *f, const void *buf, size_t len)
{
	struct tfs_stat st;
	if ((f->flags & TFS_O_APPEND) && !tfs_fstat(f, &st))
		f->pos = st.size;
	int64_t n = tfs_pwrite(f, buf, len, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

int64_t tfs_seek(struct tfs_file *f, int64_t off, int whence)
{
	struct tfs_stat st;
	int64_t base = 0;
	if (whence == TFS_SEEK_CUR)
		base = (int64_t)f->pos;
	else if (whence == TFS_SEEK_END) {
		int err = tfs_fstat(f, &st);
		if (err)
			return err;
		base = (int64_t)st.size;
	} else if (whence != TFS_SEEK_SET)
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (int64_t)f->pos;
}

int tfs_ftruncate(struct tfs_file *f, uint64_t size)
{
	tfs_api_begin(f->fs);
	if ((f->flags & TFS_O_ACCMODE) == TFS_O_RDONLY)
		return -EBADF;
	struct tfs_inode_mem im;
	int err = handle_load(f->fs, f->ino, f->gen, &im);
	if (!err) {
		tfs_inode_release(&im);
		err = tfs_data_truncate(f->fs, f->ino, size);
	}
	return tfs_api_end(f->fs, err);
}

/* Commits everything, not only this file: one journal, one transaction. */
int tfs_fsync(struct tfs_file *f)
{
	tfs_api_begin(f->fs);
	if (f->fs->read_only)
		return 0;
	return tfs_api_end(f->fs, tfs_txn_commit(f->fs));
}

int tfs_fstat(struct tfs_file *f, struct tfs_stat *st)
{
	tfs_api_begin(f->fs);
	struct tfs_inode_mem im;
	int err = handle_load(f->fs, f->ino, f->gen, &im);
	if (!err) {
		st->ino = im.ino;
		st->type = im.d.type;
		st->size = im.d.size;
		st->blocks = tfs_inode_blocks(&im);
		st->mtime = im.d.mtime;
		st->nlink = im.d.nlink;
		tfs_inode_release(&im);
	}
	return tfs_api_end(f->fs, err);
}

/* ---- directories ---- */

int tfs_opendir(struct tfs *fs, const char *path, struct tfs_dir **out)
{
	tfs_api_begin(fs);
	uint32_t ino;
	struct tfs_inode_mem im;
	int err = tfs_path_lookup(fs, path, &ino);
	if (!err)
		err = tfs_inode_load(fs, ino, &im);
	if (err)
		return tfs_api_end(fs, err);
	struct tfs_dir *d = NULL;
	if (im.d.type != TFS_TYPE_DIR)
		err = -ENOTDIR;
	else if (!(d = calloc(1, sizeof(*d))))
		err = -ENOMEM;
	if (d) {
		*d = (struct tfs_dir){ .fs = fs, .ino = ino, .gen = im.d.generation };
		*out = d;
	}
	tfs_inode_release(&im);
	return tfs_api_end(fs, err);
}

int tfs_readdir(struct tfs_dir *d, struct tfs_dirent_info *ent)
{
	tfs_api_begin(d->fs);
	struct tfs_inode_mem im;
	int err = handle_load(d->fs, d->ino, d->gen, &im);
	if (err)
		return tfs_api_end(d->fs, err);
	int r = tfs_dir_entry_at(d->fs, &im, d->pos, ent, &d->pos);
	tfs_inode_release(&im);
	return tfs_api_end(d->fs, r);
}

int tfs_closedir(struct tfs_dir *d)
{
	free(d);
	return 0;
}
