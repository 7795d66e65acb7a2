/*
 * The kernel's tfs block device (fs/tfs_bdev.h) over the block layer: one
 * tfs_bio becomes one blk bio with one bio_vec (buffers are physically
 * contiguous pages), sector = blkno * 8 on the block device or partition.
 *
 * Completion: end_io runs in interrupt context, perhaps on another CPU, while
 * the core's done() callback touches state the core does not lock. So end_io
 * only records the status in its slot and wakes the submitting CPU; wait()
 * runs done() for finished slots on the core's own thread, as the contract
 * allows ("called from inside submit() or later from wait()").
 *
 * Slots are preallocated at open: the I/O path allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "fs/tfs_format.h"
#include "kernel/mm.h"
#include "kernel/tfs_kernel.h"
#include "kernel/vm.h"

#define TFS_BLK_SLOTS 128 /* bios in flight per device; the core keeps fewer */
#define SECTORS_PER_BLOCK (TFS_BLOCK_SIZE / SECTOR_SIZE)

enum slot_state { SLOT_FREE, SLOT_INFLIGHT, SLOT_DONE };

struct tfs_blk_slot {
	struct bio bio;
	struct bio_vec vec;
	struct tfs_bio *tbio;
	struct tfs_blk *owner;
	volatile int state;   /* enum slot_state; INFLIGHT -> DONE by end_io (release) */
};

struct tfs_blk {
	struct tfs_bdev tb;
	struct block_device *bdev;
	unsigned cpu;         /* the submitter's CPU, woken by completions elsewhere */
	unsigned inflight;    /* slots not FREE; only the submitter's thread changes it */
	struct tfs_blk_slot slots[TFS_BLK_SLOTS];
};

static void tfs_blk_end_io(struct bio *bio)
{
	struct tfs_blk_slot *s = bio->private;
	unsigned cpu = s->owner->cpu;
	__atomic_store_n(&s->state, SLOT_DONE, __ATOMIC_RELEASE);
	if (cpu != blk_cpu())
		blk_wake(cpu);
}

/* Runs done() for every finished slot; returns how many. */
static unsigned tfs_blk_reap(struct tfs_blk *b)
{
	unsigned n = 0;
	for (unsigned i = 0; i < TFS_BLK_SLOTS && b->inflight; i++) {
		struct tfs_blk_slot *s = &b->slots[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_DONE)
			continue;
		struct tfs_bio *tbio = s->tbio;
		tbio->status = s->bio.status;
		s->state = SLOT_FREE;
		b->inflight--;
		n++;
		tbio->done(tbio);
	}
	return n;
}

static void tfs_blk_wait(struct tfs_bdev *tb)
{
	struct tfs_blk *b = tb->private;
	if (!b->inflight)
		return;
	blk_flush_plug(); /* our bios may sit in this CPU's plug */
	while (!tfs_blk_reap(b))
		blk_wait();
}

static struct tfs_blk_slot *tfs_blk_slot(struct tfs_blk *b)
{
	for (;;) {
		for (unsigned i = 0; i < TFS_BLK_SLOTS; i++)
			if (b->slots[i].state == SLOT_FREE)
				return &b->slots[i];
		tfs_blk_wait(&b->tb);
	}
}

static const enum req_op op_map[] = {
	[TFS_BIO_READ] = REQ_OP_READ,
	[TFS_BIO_WRITE] = REQ_OP_WRITE,
	[TFS_BIO_FLUSH] = REQ_OP_FLUSH,
	[TFS_BIO_DISCARD] = REQ_OP_DISCARD,
};

static int tfs_blk_submit(struct tfs_bdev *tb, struct tfs_bio *tbio)
{
	struct tfs_blk *b = tb->private;
	if ((unsigned)tbio->op >= sizeof(op_map) / sizeof(op_map[0]))
		return -EINVAL;
	struct tfs_blk_slot *s = tfs_blk_slot(b);
	uint32_t bytes = tbio->nblocks * TFS_BLOCK_SIZE;
	bool has_data = tbio->op == TFS_BIO_READ || tbio->op == TFS_BIO_WRITE;
	unsigned flags = (tbio->flags & TFS_BIO_FUA) && tbio->op == TFS_BIO_WRITE ? REQ_FUA : 0;
	uint64_t sector = tbio->op == TFS_BIO_FLUSH ? 0 : tbio->blkno * SECTORS_PER_BLOCK;
	s->vec = (struct bio_vec){ tbio->buf, has_data ? virt_to_phys(tbio->buf) : 0, bytes };
	bio_init(&s->bio, b->bdev, op_map[tbio->op], flags, sector, has_data ? &s->vec : NULL, has_data ? 1 : 0);
	if (tbio->op == TFS_BIO_DISCARD)
		s->bio.size = bytes;
	s->bio.end_io = tfs_blk_end_io;
	s->bio.private = s;
	s->tbio = tbio;
	s->state = SLOT_INFLIGHT;
	b->inflight++;
	b->cpu = blk_cpu();
	submit_bio(&s->bio);
	return 0;
}

static void *tfs_blk_buf_alloc(struct tfs_bdev *tb, size_t nblocks)
{
	(void)tb;
	_Static_assert(TFS_BLOCK_SIZE == 4096, "one tfs block per page");
	return dma_buf_alloc(nblocks * TFS_BLOCK_SIZE);
}

static void tfs_blk_buf_free(struct tfs_bdev *tb, void *buf, size_t nblocks)
{
	(void)tb;
	dma_buf_free(buf, nblocks * TFS_BLOCK_SIZE);
}

static const struct tfs_bdev_ops tfs_blk_ops = {
	.submit = tfs_blk_submit,
	.wait = tfs_blk_wait,
	.buf_alloc = tfs_blk_buf_alloc,
	.buf_free = tfs_blk_buf_free,
};

struct tfs_bdev *tfs_blk_open(struct block_device *bdev)
{
	struct tfs_blk *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	uint32_t max_blocks = bdev->q->limits.max_sectors / SECTORS_PER_BLOCK;
	b->bdev = bdev;
	b->cpu = blk_cpu();
	for (unsigned i = 0; i < TFS_BLK_SLOTS; i++)
		b->slots[i].owner = b;
	b->tb = (struct tfs_bdev){
		.ops = &tfs_blk_ops,
		.nr_blocks = bdev->nr_sectors / SECTORS_PER_BLOCK,
		.max_bio_blocks = max_blocks ? max_blocks : 1,
		.volatile_cache = bdev->features & BLK_FEAT_WRITE_CACHE,
		.has_fua = bdev->features & BLK_FEAT_FUA,
		.has_discard = bdev->features & BLK_FEAT_DISCARD,
		.read_only = false,
		.private = b,
	};
	return &b->tb;
}

/* The core has waited for all its bios before it lets go of the device. */
void tfs_blk_close(struct tfs_bdev *tb)
{
	struct tfs_blk *b = tb->private;
	while (b->inflight)
		tfs_blk_wait(tb);
	free(b);
}
