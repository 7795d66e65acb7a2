/*
 * nullb, like Linux's null_blk: a blk-mq driver without hardware, to test
 * and measure the block layer alone. It uses the queue layout the NVMe driver
 * will: one managed interrupt vector per default queue, spread over the CPUs
 * with the affinity code (plus an unused pre-vector where NVMe's admin queue
 * would be), the CPU → queue map built from those masks, and optional poll
 * queues. Completion is inline in queue_rq (irqmode=0) or from the queue's
 * interrupt on the CPU that owns it (irqmode=1, the default), raised as an
 * IPI the way the device's MSI-X message would be.
 *
 * nullb0 discards data (reads leave the buffer alone); nullb1 keeps it in RAM.
 * Command line: nullb.size_mb, nullb.mem_mb (0: no nullb1), nullb.bs (512 or
 * 4096), nullb.submit_queues, nullb.poll_queues, nullb.hw_queue_depth,
 * nullb.irqmode, nullb.timeout_ms, and for fault tests nullb.drop_every=N:
 * every Nth request is dropped, never completed, so it times out; the
 * timeout handler requeues it, as a driver recovering from a reset would.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/apic.h"
#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "blk/nullb.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/vm.h"

#define NULLB_DEVICES 2
#define PAGE_BYTES 4096u

struct nullb;

struct nullb_queue {
	struct nullb *nb;
	struct blk_mq_hw_ctx *hctx;
	int irq;                    /* -1: poll queue, or irqmode 0 */
};

struct nullb {
	char name[BDEV_NAME_LEN];
	uint8_t *data;              /* NULL: data is discarded */
	uint64_t bytes;
	unsigned irqmode, nr_default, nr_poll, drop_every, queued;
	struct blk_mq_tag_set set;
	struct irq_affinity_desc masks[BLK_MQ_MAX_HW_QUEUES + 1];
	struct nullb_queue queues[BLK_MQ_MAX_HW_QUEUES];
	struct request_queue *q;
	struct block_device *disk;
};

static struct nullb devs[NULLB_DEVICES];

static void copy_data(struct nullb *nb, struct request *rq)
{
	uint64_t pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	if (rq->op == REQ_OP_DISCARD || rq->op == REQ_OP_WRITE_ZEROES) {
		memset(nb->data + pos, 0, blk_rq_bytes(rq)); /* reads after discard return zeroes, as NVMe DLFEAT may */
		return;
	}
	struct blk_seg_iter it;
	void *virt;
	uint64_t phys;
	uint32_t len;
	blk_rq_seg_iter_init(&it, rq);
	while (blk_rq_seg_next(&it, &virt, &phys, &len)) {
		if (rq->op == REQ_OP_READ)
			memcpy(virt, nb->data + pos, len);
		else if (rq->op == REQ_OP_WRITE)
			memcpy(nb->data + pos, virt, len);
		pos += len;
	}
}

/* One clock read for all the requests the pass completes, as a device
 * driver's interrupt takes one for all the entries it reaps. */
static void complete_list(struct blk_mq_hw_ctx *hctx, int *n)
{
	struct llist_node *l = llist_take_all(&hctx->done_list);
	uint64_t now = l ? blk_now_ns() : 0;
	while (l) {
		struct llist_node *next = l->next;
		blk_mq_complete_request_at(container_of(l, struct request, llnode), BLK_STS_OK, now);
		(*n)++;
		l = next;
	}
}

static void nullb_irq(void *arg)
{
	struct nullb_queue *nq = arg;
	int n = 0;
	complete_list(nq->hctx, &n);
}

static int nullb_poll(struct blk_mq_hw_ctx *hctx)
{
	int n = 0;
	complete_list(hctx, &n);
	return n;
}

static blk_status_t nullb_queue_rq(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last)
{
	struct nullb_queue *nq = hctx->driver_data;
	(void)last; /* no doorbell to ring */
	struct nullb *nb = nq->nb;
	if (nb->drop_every && __atomic_add_fetch(&nb->queued, 1, __ATOMIC_RELAXED) % nb->drop_every == 0)
		return BLK_STS_OK; /* lost: only the timeout will find it */
	if (nb->data)
		copy_data(nb, rq);
	if (hctx->type != HCTX_TYPE_POLL && nq->irq < 0) {
		/* completed inside queue_rq: with no data to copy, nothing has
		 * happened since its dispatch, which is its completion time too
		 * (a clock read saved per I/O; under TCG a costly one) */
		if (nb->data)
			blk_mq_complete_request(rq, BLK_STS_OK);
		else
			blk_mq_complete_request_at(rq, BLK_STS_OK, blk_rq_dispatch_ns(rq));
		return BLK_STS_OK;
	}
	if (llist_push(&hctx->done_list, &rq->llnode) && nq->irq >= 0) /* the "device" raises its MSI */
		lapic_send_ipi(irq_dest_apic_id(nq->irq), irq_vector(nq->irq));
	return BLK_STS_OK;
}

static int nullb_init_hctx(struct blk_mq_hw_ctx *hctx, void *driver_data, unsigned index)
{
	struct nullb *nb = driver_data;
	struct nullb_queue *nq = &nb->queues[index];
	nq->nb = nb;
	nq->hctx = hctx;
	nq->irq = -1;
	hctx->driver_data = nq;
	if (nb->irqmode == 1 && index < nb->nr_default) {
		char name[IRQ_NAME_LEN];
		snprintf(name, sizeof(name), "%sq%u", nb->name, index + 1);
		nq->irq = irq_request_affinity(&nb->masks[index + 1], nullb_irq, nq, name);
		if (nq->irq < 0)
			return -1;
		hctx->irq = nq->irq;
	}
	return 0;
}

static int nullb_map_queues(struct blk_mq_tag_set *set)
{
	struct nullb *nb = set->driver_data;
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	struct blk_mq_queue_map *def = &set->map[HCTX_TYPE_DEFAULT], *poll = &set->map[HCTX_TYPE_POLL];
	def->nr_queues = nb->nr_default;
	def->queue_offset = 0;
	blk_mq_map_hw_queues(def, nb->masks, nb->nr_default + 1, 1, &cpus);
	set->map[HCTX_TYPE_READ].nr_queues = 0;
	poll->nr_queues = nb->nr_poll;
	poll->queue_offset = nb->nr_default;
	if (nb->nr_poll)
		blk_mq_map_queues(poll, &cpus);
	return 0;
}

static enum blk_eh_timer_return nullb_timeout(struct request *rq)
{
	kprintf("%s: request tag %d (%s, sector %llu) timed out; requeued\n", rq->q->disk->name, rq->tag,
		blk_op_name(rq->op), (unsigned long long)blk_rq_pos(rq));
	blk_mq_requeue_request(rq);
	blk_mq_kick_requeue_list(rq->q);
	return BLK_EH_DONE;
}

static const struct blk_mq_ops nullb_ops = {
	.queue_rq = nullb_queue_rq,
	.timeout = nullb_timeout,
	.map_queues = nullb_map_queues,
	.poll = nullb_poll,
	.init_hctx = nullb_init_hctx,
};

static int nullb_create(struct nullb *nb, unsigned index, uint64_t mb, bool memory_backed)
{
	snprintf(nb->name, sizeof(nb->name), "nullb%u", index);
	long bs = cmdline_get_range("nullb.bs", 512, 512, 4096);
	if (bs != 512 && bs != 4096)
		bs = 512;
	nb->bytes = mb << 20;
	nb->irqmode = (unsigned)cmdline_get_range("nullb.irqmode", 1, 0, 1);
	nb->nr_default = (unsigned)cmdline_get_range("nullb.submit_queues", nr_cpus, 1, BLK_MQ_MAX_HW_QUEUES / 2);
	nb->nr_poll = (unsigned)cmdline_get_range("nullb.poll_queues", 0, 0, BLK_MQ_MAX_HW_QUEUES / 2);
	if (memory_backed) {
		uint64_t p = page_alloc(nb->bytes / PAGE_BYTES, 1);
		if (!p) {
			kprintf("nullb: no memory for %s (%llu MiB)\n", nb->name, (unsigned long long)mb);
			return -1;
		}
		nb->data = phys_to_virt(p);
	}
	struct irq_affinity affd = { .pre_vectors = 1 };
	if (irq_spread_vectors(nb->nr_default + 1, &affd, nb->masks) != 0)
		return -1;
	nb->set = (struct blk_mq_tag_set){
		.ops = &nullb_ops, .nr_hw_queues = nb->nr_default + nb->nr_poll,
		.nr_maps = nb->nr_poll ? HCTX_MAX_TYPES : 1,
		.queue_depth = (unsigned)cmdline_get_range("nullb.hw_queue_depth", 64, 1, BLK_MQ_MAX_QUEUE_DEPTH),
		.driver_data = nb,
	};
	int err = blk_mq_alloc_tag_set(&nb->set);
	if (err) {
		kprintf("nullb: %s: tag set: error %d\n", nb->name, err);
		return -1;
	}
	struct queue_limits lim = {
		.logical_block_size = (uint32_t)bs, .physical_block_size = (uint32_t)bs,
		.max_sectors = 1024, .max_segments = 128, .max_segment_size = 1u << 20,
		.seg_boundary_mask = 0xffffffffull, .dma_alignment = 3, .max_discard_sectors = 1u << 16,
	};
	nb->q = blk_mq_init_queue(&nb->set, &lim);
	if (!nb->q)
		return -1;
	nb->q->timeout_ns = (uint64_t)cmdline_get_range("nullb.timeout_ms", 30000, 10, 3600000) * 1000000;
	nb->drop_every = (unsigned)cmdline_get_range("nullb.drop_every", 0, 0, 1 << 30);
	unsigned features = BLK_FEAT_DISCARD | BLK_FEAT_WRITE_ZEROES | (nb->nr_poll ? BLK_FEAT_POLL : 0);
	nb->disk = blk_add_disk(nb->q, nb->name, nb->bytes >> SECTOR_SHIFT, features, nb);
	if (!nb->disk)
		return -1;
	kprintf("%s: %llu MiB, %ld-byte blocks, %s, %u/0/%u default/read/poll queues, depth %u, %s completion\n",
		nb->name, (unsigned long long)mb, bs, nb->data ? "RAM-backed" : "data discarded", nb->nr_default,
		nb->nr_poll, nb->set.queue_depth, nb->irqmode ? "interrupt" : "inline");
	return 0;
}

void nullb_init(void)
{
	long size = cmdline_get_range("nullb.size_mb", 1024, 1, 1l << 20), mem = cmdline_get_range("nullb.mem_mb", 16, 0, 4096);
	nullb_create(&devs[0], 0, (uint64_t)size, false);
	if (mem)
		nullb_create(&devs[1], 1, (uint64_t)mem, true);
}
