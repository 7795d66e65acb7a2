/*
 * Block devices: the registry, disks and their GPT partitions, and the
 * synchronous helpers on top of submit_bio.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "blk/gpt.h"
#include "kernel/console.h"

#define MAX_BDEVS 256 /* 8 controllers of 16 namespaces, partitions beside */
#define MAX_PARTS 16
#define CACHE_LINE 64
#define PAGE_BYTES 4096u

static struct block_device *bdevs[MAX_BDEVS];
static unsigned nr_bdevs;

struct block_device *blkdev_at(unsigned i) { return i < nr_bdevs ? bdevs[i] : NULL; }
unsigned blkdev_count(void) { return nr_bdevs; }

struct block_device *blkdev_get(const char *name)
{
	for (unsigned i = 0; i < nr_bdevs; i++)
		if (strcmp(bdevs[i]->name, name) == 0)
			return bdevs[i];
	return NULL;
}

static struct block_device *new_bdev(const char *name)
{
	if (nr_bdevs == MAX_BDEVS) {
		kprintf("blk: too many block devices; %s not added\n", name);
		return NULL;
	}
	struct block_device *b = memalign(CACHE_LINE, sizeof(*b));
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	bdevs[nr_bdevs++] = b;
	return b;
}

/* ---- synchronous I/O ---- */

struct bio_waiter {
	volatile int done;
	unsigned cpu;
};

static void wake_waiter(struct bio *bio)
{
	struct bio_waiter *w = bio->private;
	unsigned cpu = w->cpu;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE); /* w may be gone after this */
	if (cpu != blk_cpu())
		blk_wake(cpu);
}

blk_status_t submit_bio_wait(struct bio *bio)
{
	struct bio_waiter w = { 0, blk_cpu() };
	bio->end_io = wake_waiter;
	bio->private = &w;
	submit_bio(bio);
	blk_flush_plug(); /* the bio may sit in our own plug */
	struct request_queue *q = bio->bdev->q;
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		if (bio->flags & REQ_HIPRI)
			blk_mq_poll(q->ctxs[blk_cpu()].hctxs[HCTX_TYPE_POLL]);
		else
			blk_wait();
	}
	return bio->status;
}

blk_status_t blkdev_rw(struct block_device *bdev, enum req_op op, unsigned flags, uint64_t sector, void *buf,
		       uint32_t bytes)
{
	struct bio_vec v = { buf, buf ? blk_virt_to_phys(buf) : 0, bytes };
	struct bio bio;
	bio_init(&bio, bdev, op, flags, sector, buf ? &v : NULL, buf ? 1 : 0);
	if (!buf)
		bio.size = bytes; /* discard, write zeroes */
	return submit_bio_wait(&bio);
}

/* ---- disks and partitions ---- */

struct gpt_ctx {
	struct block_device *disk;
	uint32_t lbs;
};

/* gpt_parse reads into heap memory: bounce through DMA-able pages. */
static int gpt_read(void *arg, uint64_t lba, uint32_t count, void *buf)
{
	struct gpt_ctx *c = arg;
	uint64_t bytes = (uint64_t)count * c->lbs;
	unsigned order = 0;
	while ((PAGE_BYTES << order) < bytes)
		order++;
	void *bounce = blk_alloc_pages(order);
	if (!bounce)
		return -1;
	blk_status_t st = blkdev_rw(c->disk, REQ_OP_READ, 0, lba * (c->lbs >> SECTOR_SHIFT), bounce, (uint32_t)bytes);
	if (st == BLK_STS_OK)
		memcpy(buf, bounce, bytes);
	blk_free_pages(bounce, order);
	return st == BLK_STS_OK ? 0 : -1;
}

#define MBR_SIGNATURE_OFF 510

/* Whether LBA 0 has an MBR signature or LBA 1 a GPT header signature: a
 * blank disk (nullb, a new drive) is then not reported as a broken GPT. */
static bool gpt_worth_parsing(struct gpt_ctx *c)
{
	uint8_t *two = malloc(2 * c->lbs);
	bool yes = two && gpt_read(c, 0, 2, two) == 0 &&
		   ((two[MBR_SIGNATURE_OFF] == 0x55 && two[MBR_SIGNATURE_OFF + 1] == 0xaa) ||
		    memcmp(two + c->lbs, "EFI PART", 8) == 0);
	free(two);
	return yes;
}

void blk_bdev_init_fast(struct block_device *b)
{
	const struct queue_limits *l = &b->q->limits;
	uint64_t max = (uint64_t)l->max_sectors << SECTOR_SHIFT;
	if (max > l->max_segment_size)
		max = l->max_segment_size;
	if (max > b->nr_sectors << SECTOR_SHIFT)
		max = b->nr_sectors << SECTOR_SHIFT; /* so the range check cannot wrap */
	b->fast.max_bytes = (uint32_t)max;
	b->fast.block_mask = l->logical_block_size - 1;
	b->fast.dma_mask = l->dma_alignment;
	unsigned flags_slow = ~((b->features & BLK_FEAT_POLL ? REQ_HIPRI : 0) |
				(b->features & BLK_FEAT_WRITE_CACHE ? REQ_FUA | REQ_PREFLUSH : 0));
	/* op above REQ_OP_WRITE (any bit but bit 0) or a slow flag: see bio_op_flags */
	b->fast.op_flags_slow = (uint64_t)flags_slow << 32 | (uint32_t)~REQ_OP_WRITE;
	b->fast.boundary = ~l->seg_boundary_mask;
}

static void add_partitions(struct block_device *disk)
{
	struct gpt_part parts[MAX_PARTS];
	struct gpt_result res;
	struct gpt_ctx c = { disk, disk->q->limits.logical_block_size };
	if (disk->nr_sectors / (c.lbs >> SECTOR_SHIFT) < 2 || !gpt_worth_parsing(&c))
		return;
	int n = gpt_parse(gpt_read, &c, c.lbs, disk->nr_sectors / (c.lbs >> SECTOR_SHIFT), parts, MAX_PARTS, &res);
	if (n < 0) {
		if (res.mbr != GPT_MBR_NONE) /* a protective MBR promised a GPT */
			kprintf("blk: %s: no valid GPT (primary: %s; backup: %s)\n", disk->name,
				res.primary_why ? res.primary_why : "-", res.backup_why ? res.backup_why : "-");
		return;
	}
	if (res.used_backup)
		kprintf("blk: %s: primary GPT bad (%s), using the backup\n", disk->name, res.primary_why);
	for (int i = 0; i < n; i++) {
		char name[BDEV_NAME_LEN + 8];
		size_t len = strlen(disk->name);
		bool digit = len && disk->name[len - 1] >= '0' && disk->name[len - 1] <= '9';
		snprintf(name, sizeof(name), "%s%s%u", disk->name, digit ? "p" : "", parts[i].index);
		struct block_device *p = new_bdev(name);
		if (!p)
			return;
		uint64_t spb = c.lbs >> SECTOR_SHIFT;
		p->start_sector = parts[i].first_lba * spb;
		p->nr_sectors = (parts[i].last_lba - parts[i].first_lba + 1) * spb;
		p->whole = disk;
		p->partno = parts[i].index;
		p->features = disk->features;
		p->q = disk->q;
		p->driver_data = disk->driver_data;
		blk_bdev_init_fast(p);
	}
	kprintf("blk: %s: GPT with %d partition%s\n", disk->name, n, n == 1 ? "" : "s");
}

struct block_device *blk_add_disk(struct request_queue *q, const char *name, uint64_t nr_sectors,
				  unsigned features, void *driver_data)
{
	struct block_device *b = new_bdev(name);
	if (!b)
		return NULL;
	b->nr_sectors = nr_sectors;
	b->whole = b;
	b->features = features;
	b->q = q;
	b->driver_data = driver_data;
	blk_bdev_init_fast(b);
	q->disk = b;
	add_partitions(b);
	return b;
}
