/*
 * tfs in the kernel: the adapter from fs/tfs_bdev.h to the block layer
 * (kernel/tfs_blk.c), and the one mounted file system that the shell
 * (kernel/tfs_cmds.c), fsbench (kernel/fsbench.c) and newlib's file syscalls
 * (kernel/newlib_glue.c) share.
 *
 * Two ways to use files in the kernel:
 * - POSIX, through newlib (kernel/newlib_glue.c), on paths under the mount
 *   point: open, close, read, write, pread, pwrite, lseek (64-bit offsets),
 *   ftruncate, truncate, fsync, fstat, stat, unlink, rename, mkdir, and
 *   stdio on top of them. Each call takes the lock itself.
 * - The tfs API of fs/tfs.h (tfs_open, tfs_pread, tfs_pwrite, tfs_ftruncate,
 *   tfs_truncate, tfs_fsync, tfs_opendir/tfs_readdir, tfs_stat, tfs_statfs,
 *   ...) for what POSIX lacks here (newlib has no dirent.h or statfs):
 *   tfs_kernel_lock(), fs = tfs_kernel_resolve(path, &rel), the calls on fs
 *   with rel, tfs_errmsg(fs) for the reason of a failure, tfs_kernel_unlock().
 *
 * Locking: the tfs core is single-threaded. Every call into it holds
 * tfs_kernel_lock(), a plain spinlock that leaves interrupts on (the core
 * sleeps in blk_wait() for its I/O, which needs them). It is never taken from
 * an interrupt handler. Today only the shell (CPU 0) uses files, so it is
 * never contended; it is there so a second user cannot corrupt the core.
 */
#ifndef KERNEL_TFS_KERNEL_H
#define KERNEL_TFS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk/blkdev.h"
#include "fs/tfs.h"

/* A tfs_bdev over a block device or partition; NULL when out of memory. */
struct tfs_bdev *tfs_blk_open(struct block_device *bdev);
void tfs_blk_close(struct tfs_bdev *tb);

void tfs_kernel_lock(void);
void tfs_kernel_unlock(void);
/* The mounted file system that holds path, with *rel set to the path inside
 * it; NULL when nothing is mounted there. Call with the lock held. */
struct tfs *tfs_kernel_resolve(const char *path, const char **rel);
/* newlib file descriptors open on the mounted fs (umount refuses while > 0);
 * changed under the lock. */
extern unsigned tfs_kernel_open_files;

/* The mount table (one file system at a time). Call without the lock.
 * mount: 0, or a negative errno and a sentence in msg (-EBUSY: something is
 * mounted already). umount: syncs and unmounts; -EINVAL when nothing is
 * mounted, -EBUSY while files are open. in_use: b, the disk under it or a
 * partition of it is mounted (b NULL: anything is mounted). */
int tfs_kernel_mount(struct block_device *b, const char *path, char *msg, size_t msglen);
int tfs_kernel_umount(void);
bool tfs_kernel_in_use(struct block_device *b);

/* A size for a command's argument: digits with an optional k, m or g (KiB,
 * MiB, GiB); false when malformed or too big. */
bool tfs_parse_size(const char *s, uint64_t *out);

#endif
