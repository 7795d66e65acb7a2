/*
 * The block device seen by tfs: the only way the file-system core reaches
 * storage. Three implementations exist or are planned: a file or a GPT
 * partition of a disk image on the host (tools/tfs/), a recording device for
 * the crash tests (tests/unit/fs/), and the kernel's adapter to the block
 * layer's bio API. That is why this seam is an ops table.
 *
 * Contract:
 * - Units are 4 KiB blocks (TFS_BLOCK_SIZE); blkno counts from the start of
 *   the device or partition.
 * - submit() queues one bio and returns at once (0), or returns a negative
 *   errno when it cannot take it. bio->done(bio) is called exactly once when
 *   the I/O has finished, with bio->status set (0 or a negative errno). It
 *   may be called from inside submit() (the host adapter completes
 *   synchronously) or later from wait(). Many bios may be in flight.
 * - wait() makes progress: it returns after at least one outstanding bio has
 *   completed, or at once when none is outstanding. The core calls it in a
 *   loop until the bios it waits for are done; in the kernel it sleeps in the
 *   idle loop or polls the completion queue.
 * - A write completes when the device has it; it is durable only after a
 *   later FLUSH completes, or at completion when TFS_BIO_FUA was set. A
 *   device with no volatile write cache makes every completed write durable;
 *   the core then skips flushes.
 * - Buffers come from buf_alloc() (the kernel needs DMA-able pages) and must
 *   stay untouched while their bio is in flight.
 *
 * The kernel adapter (to come) maps one tfs_bio to one blk bio: sector =
 * blkno * 8, REQ_OP_READ/WRITE/FLUSH/DISCARD, TFS_BIO_FUA -> REQ_FUA, the
 * buffer as page-sized bio_vecs; end_io sets status and calls done(); wait()
 * halts in the idle loop until an end_io has run. volatile_cache, has_fua and
 * has_discard come from BLK_FEAT_WRITE_CACHE, BLK_FEAT_FUA, BLK_FEAT_DISCARD.
 */
#ifndef FS_TFS_BDEV_H
#define FS_TFS_BDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tfs_bio_op {
	TFS_BIO_READ,
	TFS_BIO_WRITE,
	TFS_BIO_FLUSH,   /* blkno, nblocks, buf unused */
	TFS_BIO_DISCARD, /* buf unused; contents of the blocks become undefined */
};

#define TFS_BIO_FUA (1u << 0) /* write: durable when it completes */

struct tfs_bio;
typedef void (*tfs_bio_done_fn)(struct tfs_bio *bio);

struct tfs_bio {
	enum tfs_bio_op op;
	uint32_t flags;     /* TFS_BIO_FUA */
	uint64_t blkno;
	uint32_t nblocks;
	void *buf;          /* nblocks * TFS_BLOCK_SIZE bytes, from buf_alloc() */
	tfs_bio_done_fn done;
	void *private;      /* the submitter's */
	int status;         /* set before done(): 0 or a negative errno */
};

struct tfs_bdev;

struct tfs_bdev_ops {
	int (*submit)(struct tfs_bdev *bdev, struct tfs_bio *bio);
	void (*wait)(struct tfs_bdev *bdev);
	void *(*buf_alloc)(struct tfs_bdev *bdev, size_t nblocks); /* NULL when out of memory */
	void (*buf_free)(struct tfs_bdev *bdev, void *buf, size_t nblocks);
};

struct tfs_bdev {
	const struct tfs_bdev_ops *ops;
	uint64_t nr_blocks;      /* size in 4 KiB blocks */
	uint32_t max_bio_blocks; /* largest bio the device takes in one piece (>= 1) */
	bool volatile_cache;     /* FLUSH is needed for durability */
	bool has_fua;            /* TFS_BIO_FUA is honoured (else the core flushes) */
	bool has_discard;
	bool read_only;          /* writes fail; fsck -n, tfs ls/cat/get */
	void *private;           /* the adapter's */
};

#endif
