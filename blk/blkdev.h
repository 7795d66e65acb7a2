/*
 * The block API, for users of block devices (the shell, the file system,
 * bench). Drivers see blk/blk_mq.h as well.
 *
 * A bio describes one I/O: a device, an operation, a start sector (always
 * 512-byte units, whatever the device's logical block size), and the memory
 * as a list of bio_vecs. submit_bio() never blocks: the block layer splits
 * the bio to the device's limits, merges it with neighbours while a plug is
 * active, and calls bio->end_io once every piece has completed, on the core
 * that completed the last piece. submit_bio_wait() is the synchronous form.
 *
 * Memory in a bio_vec must be DMA-able (page_alloc'd, so virt is in the
 * direct map and phys is real) and aligned to the device's dma_alignment.
 */
#ifndef BLK_BLKDEV_H
#define BLK_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpumask.h"
#include "kernel/llist.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE  512u

enum req_op {
	REQ_OP_READ,
	REQ_OP_WRITE,
	REQ_OP_FLUSH,
	REQ_OP_DISCARD,
	REQ_OP_WRITE_ZEROES,
	REQ_OP_COUNT,
};

/* Request flags (bio->flags, rq->cmd_flags). */
#define REQ_FUA      (1u << 0) /* durable before completion */
#define REQ_HIPRI    (1u << 1) /* use a poll queue; complete by polling (bit 1: see ctx->rw_hctx) */
#define REQ_PREFLUSH (1u << 2) /* flush the write cache first */

/* Status codes, as negative errno values. */
#define BLK_STS_OK        0
#define BLK_STS_IOERR     (-5)   /* EIO */
#define BLK_STS_AGAIN     (-11)  /* EAGAIN: no tag; only seen by drivers */
#define BLK_STS_NOTSUPP   (-95)  /* EOPNOTSUPP: the device lacks the operation */
#define BLK_STS_INVAL     (-22)  /* EINVAL: out of range, misaligned */
#define BLK_STS_TIMEOUT   (-110) /* ETIMEDOUT */
#define BLK_STS_RESOURCE  (-12)  /* ENOMEM: driver busy, requeue */
typedef int blk_status_t;

struct bio_vec {
	void *virt;
	uint64_t phys;
	uint32_t len;
};

struct block_device;

struct bio {
	struct block_device *bdev;
	enum req_op op;
	unsigned flags;
	uint64_t sector;
	struct bio_vec *vecs;
	unsigned nr_vecs;
	uint32_t size;            /* bytes, the sum of the vecs */
	void (*end_io)(struct bio *bio);
	void *private;
	blk_status_t status;      /* set before end_io: the first error of any piece */
	unsigned remaining;       /* internal: pieces in flight */
	uint64_t submit_ns;       /* internal: for latency statistics */
	struct llist_node wait;   /* internal: on an hctx's wait list when no tag was free */
	uint32_t wait_offset;     /* internal: where submission resumes */
};

/* A bio's op (low 32 bits) and flags (high 32 bits) as one word, which
 * submit_bio's fast path tests against a mask in one go. */
_Static_assert(__builtin_offsetof(struct bio, flags) == __builtin_offsetof(struct bio, op) + 4 &&
		       sizeof(enum req_op) == 4,
	       "op and flags: one 64-bit word");
static inline uint64_t bio_op_flags(const struct bio *bio)
{
	return (uint64_t)bio->flags << 32 | (uint32_t)bio->op;
}

/* Device features. */
#define BLK_FEAT_WRITE_CACHE   (1u << 0) /* volatile cache: FLUSH means something */
#define BLK_FEAT_FUA           (1u << 1)
#define BLK_FEAT_DISCARD       (1u << 2)
#define BLK_FEAT_WRITE_ZEROES  (1u << 3)
#define BLK_FEAT_POLL          (1u << 4) /* has poll queues: REQ_HIPRI works */

struct queue_limits {
	uint32_t logical_block_size;
	uint32_t physical_block_size;
	uint32_t max_sectors;          /* per request, 512-byte units */
	uint32_t max_segments;
	uint32_t max_segment_size;
	uint64_t seg_boundary_mask;    /* a segment may not cross (addr | mask) + 1 */
	uint32_t dma_alignment;        /* mask: addresses and lengths must have these bits clear */
	uint32_t max_discard_sectors;
};

/* I/O statistics, kept per hctx and CPU (blk_mq_hw_ctx.stat) and summed
 * for a device by blk_disk_stats. */
#define BLK_LAT_BUCKETS 64         /* log2 buckets of ns: bucket i holds [2^i, 2^(i+1)), 0 holds 0 too */
struct blk_stats {
	uint64_t ios[REQ_OP_COUNT];    /* completed requests */
	uint64_t bytes[REQ_OP_COUNT];
	uint64_t merges;               /* bios merged into a plugged request */
	uint64_t errors;               /* bios refused at submission, requests failed by the device */
	uint64_t lat_hist[BLK_LAT_BUCKETS]; /* submission to completion */
} __attribute__((aligned(64)));   /* one CPU's counters share no line with another's */


#define BDEV_NAME_LEN 16

struct request_queue;

struct block_device {
	char name[BDEV_NAME_LEN];      /* nullb0, nvme0n1, nvme0n1p1 */
	uint64_t nr_sectors;           /* size in 512-byte sectors */
	uint64_t start_sector;         /* partitions: offset on the whole device */
	struct block_device *whole;    /* itself for a whole device */
	unsigned partno;               /* 0 for a whole device */
	unsigned features;
	struct request_queue *q;
	void *driver_data;
	/* What submit_bio's fast path checks a one-vec read or write against,
	 * derived from the queue's limits and the features when the device is
	 * registered: anything else takes the general path. */
	struct {
		uint32_t max_bytes;        /* min(max_sectors in bytes, max_segment_size) */
		uint32_t block_mask;       /* logical block size - 1 */
		uint32_t dma_mask;         /* dma_alignment */
		uint64_t op_flags_slow;    /* bits of bio_op_flags the general path must see: an op
					    * other than read or write, request flags it handles */
		uint64_t boundary;         /* ~seg_boundary_mask: bits a segment may not change */
	} fast;
	/* per CPU: bios refused at submission and requests failed by the
	 * device (the rest is counted per hctx; blk_disk_stats sums it all) */
	struct {
		uint64_t errors;
	} __attribute__((aligned(64))) stats[MAX_CPUS];
};

/* A whole device's statistics (a partition's are its disk's), summed over
 * its hctxs and CPUs: a snapshot while I/O runs. */
void blk_disk_stats(const struct block_device *b, struct blk_stats *sum);

/* An end_io that does nothing: bio_init's, until the caller sets its own. */
void bio_end_io_none(struct bio *bio);

/* Fills in a bio; the internal fields are submit_bio's to set. Inline: the
 * caller builds its bio in place, as it would fill a command. */
static inline void bio_init(struct bio *bio, struct block_device *bdev, enum req_op op, unsigned flags,
			    uint64_t sector, struct bio_vec *vecs, unsigned nr_vecs)
{
	uint32_t size = 0;
	for (unsigned i = 0; i < nr_vecs; i++)
		size += vecs[i].len;
	bio->bdev = bdev;
	bio->op = op;
	bio->flags = flags;
	bio->sector = sector;
	bio->vecs = vecs;
	bio->nr_vecs = nr_vecs;
	bio->size = size;
	bio->end_io = bio_end_io_none;
	bio->private = NULL;
}
void submit_bio(struct bio *bio);
/* Submits and waits (sleeping in the idle loop); returns the status. */
blk_status_t submit_bio_wait(struct bio *bio);
/* One buffer (DMA-able, e.g. page_alloc'd), synchronously. */
blk_status_t blkdev_rw(struct block_device *bdev, enum req_op op, unsigned flags, uint64_t sector, void *buf,
		       uint32_t bytes);

/* A per-core plug: bios submitted between start and finish are merged and
 * handed to each hardware queue as one batch (one doorbell). */
struct request;
struct blk_plug {
	struct request *list;
	struct request *tail;
	unsigned count;                /* requests in list */
	uint64_t tail_end;             /* internal: the sector after tail's last; BLK_PLUG_NO_END without a tail */
	uint64_t cur_ns;               /* internal: the batch's submission time, read once (count > 0) */
};
#define BLK_PLUG_NO_END UINT64_MAX       /* no bio starts there: a sector past every device */
void blk_start_plug(struct blk_plug *plug);
void blk_finish_plug(struct blk_plug *plug);
/* Sends what this CPU's plug holds now (before sleeping on one of its bios). */
void blk_flush_plug(void);

/* Kernel boot, before any driver: starts the per-CPU timeout scan. */
void blk_init(void);

/* The shell's `write DEV LBA COUNT PATTERN` (blk/blk_cmds.c): COUNT blocks
 * at LBA, PATTERN a byte value (0-255) or text repeated. The command itself
 * is registered with the file form (kernel/tfs_cmds.c), which hands a first
 * argument that names a device here. */
int blk_write_command(int argc, char **argv);

/* The registry. */
struct block_device *blkdev_get(const char *name);
struct block_device *blkdev_at(unsigned i);
unsigned blkdev_count(void);
const char *blk_op_name(enum req_op op);

#endif
