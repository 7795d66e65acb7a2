/*
 * tfs in the kernel: the adapter from fs/tfs_bdev.h to the block layer
 * (kernel/tfs_blk.c), and the one mounted file system that the shell
 * (kernel/tfs_cmds.c) and newlib's file syscalls (kernel/newlib_glue.c) share.
 *
 * Locking: the tfs core is single-threaded. Every call into it holds
 * tfs_kernel_lock(), a plain spinlock that leaves interrupts on (the core
 * sleeps in blk_wait() for its I/O, which needs them). It is never taken from
 * an interrupt handler. Today only the shell (CPU 0) uses files, so it is
 * never contended; it is there so a second user cannot corrupt the core.
 */
#ifndef KERNEL_TFS_KERNEL_H
#define KERNEL_TFS_KERNEL_H

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

#endif
