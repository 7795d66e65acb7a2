/*
 * tfs: a tiny crash-safe file system. The public API, used by the host tools
 * and (later) by the kernel's shell and newlib glue.
 *
 * Single-threaded: one caller at a time per mounted file system (the kernel
 * wraps it in a lock). All functions return 0 or a count on success and a
 * negative errno on failure; tfs_errmsg() then says what went wrong in words
 * (or is empty when the errno says it all). Each call clears the message, so
 * it always describes the latest call on that file system.
 * Paths are absolute or relative to the root ("/a/b" and "a/b" are the same);
 * components are at most TFS_NAME_MAX bytes, "." and ".." are not special
 * names and are refused.
 *
 * Durability: operations become durable at the next tfs_fsync(), tfs_sync()
 * or tfs_unmount(), which return only when data and metadata are on stable
 * storage. Each operation is atomic with respect to crashes (a rename is seen
 * entirely or not at all); file data is written before the metadata that
 * points to it commits.
 */
#ifndef FS_TFS_H
#define FS_TFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/tfs_bdev.h"

struct tfs;
struct tfs_file;
struct tfs_dir;

struct tfs_mount_opts {
	bool read_only;           /* never write; a pending journal is applied in memory */
	uint64_t (*now)(void);    /* seconds since 1970 for mtime; NULL: 0 */
};

struct tfs_stat {
	uint32_t ino;
	uint32_t type;            /* TFS_TYPE_FILE or TFS_TYPE_DIR */
	uint64_t size;
	uint64_t blocks;          /* 4 KiB blocks allocated to data */
	uint64_t mtime;
	uint32_t nlink;
};

struct tfs_statfs {
	uint64_t block_size;
	uint64_t blocks;          /* data area */
	uint64_t free_blocks;
	uint64_t inodes;
	uint64_t free_inodes;
	uint32_t name_max;
};

struct tfs_dirent_info {
	uint32_t ino;
	uint32_t type;
	char name[256];           /* NUL-terminated */
};

struct tfs_mkfs_opts {
	uint64_t nr_blocks;       /* 0: the whole device */
	uint32_t inodes;          /* 0: one per 16 KiB, at least 64 */
	uint32_t journal_blocks;  /* 0: 1/16 of the device, 16..512 */
	const char *label;
	uint64_t time;            /* recorded as mkfs_time; 0 is fine */
};

/* tfs_open() flags. */
#define TFS_O_RDONLY 0x0
#define TFS_O_WRONLY 0x1
#define TFS_O_RDWR   0x2
#define TFS_O_ACCMODE 0x3
#define TFS_O_CREAT  0x10
#define TFS_O_EXCL   0x20
#define TFS_O_TRUNC  0x40
#define TFS_O_APPEND 0x80

#define TFS_SEEK_SET 0
#define TFS_SEEK_CUR 1
#define TFS_SEEK_END 2

/* tfs_fsck() flags and results (the e2fsck exit codes). */
#define TFS_FSCK_REPAIR  0x1
#define TFS_FSCK_VERBOSE 0x2
#define TFS_FSCK_CLEAN   0
#define TFS_FSCK_FIXED   1
#define TFS_FSCK_ERRORS  4
#define TFS_FSCK_FAILED  8   /* could not run: I/O error, no memory */

int tfs_mkfs(struct tfs_bdev *bdev, const struct tfs_mkfs_opts *opts, char *msg, size_t msglen);

/* Mount: reads and checks the superblock (falling back to the backup),
 * replays the journal, checks the root and the bitmaps. On failure returns a
 * negative errno and a sentence in msg. */
int tfs_mount(struct tfs_bdev *bdev, const struct tfs_mount_opts *opts, struct tfs **out,
	      char *msg, size_t msglen);
int tfs_unmount(struct tfs *fs);   /* syncs, marks clean, frees fs (even on error) */
int tfs_sync(struct tfs *fs);
int tfs_statfs(struct tfs *fs, struct tfs_statfs *st);
const char *tfs_errmsg(const struct tfs *fs);

int tfs_open(struct tfs *fs, const char *path, int flags, struct tfs_file **out);
int tfs_close(struct tfs_file *f);
int64_t tfs_read(struct tfs_file *f, void *buf, size_t len);
int64_t tfs_write(struct tfs_file *f, const void *buf, size_t len);
int64_t tfs_pread(struct tfs_file *f, void *buf, size_t len, uint64_t off);
int64_t tfs_pwrite(struct tfs_file *f, const void *buf, size_t len, uint64_t off);
int64_t tfs_seek(struct tfs_file *f, int64_t off, int whence);
int tfs_ftruncate(struct tfs_file *f, uint64_t size);
int tfs_fsync(struct tfs_file *f);
int tfs_fstat(struct tfs_file *f, struct tfs_stat *st);

int tfs_stat(struct tfs *fs, const char *path, struct tfs_stat *st);
int tfs_truncate(struct tfs *fs, const char *path, uint64_t size);
int tfs_mkdir(struct tfs *fs, const char *path);
int tfs_rmdir(struct tfs *fs, const char *path);
int tfs_unlink(struct tfs *fs, const char *path);
int tfs_rename(struct tfs *fs, const char *from, const char *to);

int tfs_opendir(struct tfs *fs, const char *path, struct tfs_dir **out);
int tfs_readdir(struct tfs_dir *d, struct tfs_dirent_info *ent); /* 1: got one, 0: end */
int tfs_closedir(struct tfs_dir *d);

/* Check (and with TFS_FSCK_REPAIR, repair) an unmounted file system. Each
 * problem is reported through report(arg, line). Returns TFS_FSCK_*. */
int tfs_fsck(struct tfs_bdev *bdev, unsigned flags, void (*report)(void *arg, const char *line),
	     void *arg);

#endif
