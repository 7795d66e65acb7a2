/*
 * The I/O path: submit_bio → split to the limits → merge into the plug or
 * take a tag → ops->queue_rq; blk_mq_complete_request → statistics → the
 * bio's pieces → end_io. No allocation and no lock: tags are lock-free, the
 * plug and the statistics are per CPU, hand-overs between CPUs are lock-free
 * lists.
 *
 * A bio that finds no free tag is not lost and nobody spins: it is pushed on
 * the hctx's wait list with its progress, and the next completion on that
 * hctx resubmits it.
 */
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"

#define MAX_QUEUES 32

/* Each CPU's plug, on a cache line of its own: its CPU writes it at every
 * start and finish, and reads it on every submission. */
static struct {
	struct blk_plug *plug;
} __attribute__((aligned(64))) cpu_plug[MAX_CPUS];
static struct request_queue *queues[MAX_QUEUES]; /* for the timeout scan */
static unsigned nr_queues;

const char *blk_op_name(enum req_op op)
{
	static const char *const names[REQ_OP_COUNT] = { "read", "write", "flush", "discard", "write-zeroes" };
	return op < REQ_OP_COUNT ? names[op] : "?";
}

/* ---- bio pieces ---- */

void bio_end_io_none(struct bio *bio) { (void)bio; }

_Static_assert(REQ_OP_READ == 0 && REQ_OP_WRITE == 1 && REQ_HIPRI == 2, "ctx->rw_hctx[op | (flags & REQ_HIPRI)]");

static inline void bio_piece_done(struct bio *bio, blk_status_t status)
{
	if (status) {
		blk_status_t ok = BLK_STS_OK;
		__atomic_compare_exchange_n(&bio->status, &ok, status, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	/* remaining == 1: no other piece is left to race with, so no atomic is needed */
	if (__atomic_load_n(&bio->remaining, __ATOMIC_ACQUIRE) == 1 ||
	    __atomic_sub_fetch(&bio->remaining, 1, __ATOMIC_ACQ_REL) == 0)
		bio->end_io(bio);
}

static bool has_data(enum req_op op) { return op == REQ_OP_READ || op == REQ_OP_WRITE; }

/* Bytes from offset that one request may carry: within max_sectors, and
 * within max_segments once each vec is cut at the segment boundary and the
 * maximum segment size; a multiple of the logical block size. */
static uint32_t piece_len(const struct bio *bio, uint32_t offset, const struct queue_limits *l, unsigned *segs)
{
	uint32_t left = bio->size - offset, max = l->max_sectors << SECTOR_SHIFT, len = 0;
	if (!has_data(bio->op)) {
		uint64_t dmax = l->max_discard_sectors ? (uint64_t)l->max_discard_sectors << SECTOR_SHIFT : UINT32_MAX;
		*segs = 0;
		len = left < dmax ? left : (uint32_t)dmax;
		return len & ~(l->logical_block_size - 1);
	}
	unsigned v = 0, n = 0;
	uint32_t skip = offset;
	while (v < bio->nr_vecs && skip >= bio->vecs[v].len)
		skip -= bio->vecs[v++].len;
	for (; v < bio->nr_vecs && len < left && len < max; v++, skip = 0) {
		uint64_t phys = bio->vecs[v].phys + skip;
		uint32_t vlen = bio->vecs[v].len - skip;
		while (vlen && len < max) {
			uint64_t to_boundary = (phys | l->seg_boundary_mask) - phys + 1;
			uint32_t seg = vlen < to_boundary ? vlen : (uint32_t)to_boundary;
			if (seg > l->max_segment_size)
				seg = l->max_segment_size;
			if (n == l->max_segments)
				goto out;
			if (seg > max - len)
				seg = max - len;
			n++;
			len += seg;
			phys += seg;
			vlen -= seg;
		}
	}
out:
	*segs = n;
	if (len > left)
		len = left;
	return len & ~(l->logical_block_size - 1); /* a power of two: limits_ok checked it */
}

/* ---- requests ---- */

/* The request of a tag just taken, for bio, on hctx (its ctx's, for the
 * submitting CPU: a request needs no more of the ctx). */
static inline struct request *rq_init(struct request_queue *q, struct blk_mq_hw_ctx *hctx, unsigned tag,
				      const struct bio *bio)
{
	struct request *rq = hctx->rqs[tag];
	rq->q = q;
	rq->mq_hctx = hctx;
	rq->op = bio->op;
	rq->cmd_flags = bio->flags;
	return rq;
}

static struct request *get_request(struct request_queue *q, struct bio *bio, unsigned cpu)
{
	struct blk_mq_ctx *ctx = &q->ctxs[cpu];
	struct blk_mq_hw_ctx *hctx = ctx->hctxs[blk_mq_hctx_type(q->tag_set, bio->op, bio->flags)];
	int tag = blk_mq_get_tag(hctx->tags, cpu, false);
	if (tag == BLK_MQ_NO_TAG)
		return NULL;
	struct request *rq = rq_init(q, hctx, (unsigned)tag, bio);
	rq->nr_slices = 0;
	rq->__data_len = 0;
	rq->nr_phys_segments = 0;
	rq->start_time_ns = bio->submit_ns;
	rq->next = NULL;
	return rq;
}

/* The physical address of byte offset of bio's data. */
static uint64_t bio_phys_at(const struct bio *bio, uint32_t offset)
{
	unsigned v = 0;
	while (offset >= bio->vecs[v].len)
		offset -= bio->vecs[v++].len;
	return bio->vecs[v].phys + offset;
}

static void rq_add_slice(struct request *rq, struct bio *bio, uint32_t offset, uint32_t len, unsigned segs)
{
	rq->slices[rq->nr_slices++] = (struct blk_slice){ bio, offset, len };
	rq->__data_len += len;
	rq->nr_phys_segments += segs;
	if (rq->nr_phys_segments == 1 && segs == 1) /* this slice is the request's one segment */
		rq->seg_phys = bio_phys_at(bio, offset);
	__atomic_add_fetch(&bio->remaining, 1, __ATOMIC_RELAXED);
}

/* A piece that continues the plug's last request, same kind, within limits. */
static bool plug_merge(struct blk_plug *plug, struct bio *bio, uint64_t sector, uint32_t offset, uint32_t len,
		       unsigned segs)
{
	struct request *rq = plug->tail;
	const struct queue_limits *l = &bio->bdev->q->limits;
	if (!rq || rq->q != bio->bdev->q || rq->op != bio->op || rq->cmd_flags != bio->flags || !has_data(bio->op) ||
	    rq->nr_slices == BLK_RQ_MAX_SLICES || rq->__sector + (rq->__data_len >> SECTOR_SHIFT) != sector ||
	    rq->__data_len + len > l->max_sectors << SECTOR_SHIFT || rq->nr_phys_segments + segs > l->max_segments)
		return false;
	rq_add_slice(rq, bio, offset, len, segs);
	plug->tail_end = sector + (len >> SECTOR_SHIFT);
	rq->mq_hctx->stat[blk_cpu()].merges++;
	return true;
}

static inline void plug_add(struct blk_plug *plug, struct request *rq)
{
	rq->next = NULL;
	if (plug->tail)
		plug->tail->next = rq;
	else
		plug->list = rq;
	plug->tail = rq;
	plug->tail_end = rq->__sector + (rq->__data_len >> SECTOR_SHIFT);
	plug->count++;
}

/* The submission time of a bio: with a plug, the one its first request took
 * (as Linux's plug caches its time), so a batch reads the clock once. A
 * request's latency then counts from its batch's start; the plug is held
 * only while its owner submits, so that is at most the batch's building. */
static inline uint64_t plug_time(struct blk_plug *plug)
{
	if (plug->count == 0)
		plug->cur_ns = blk_now_ns();
	return plug->cur_ns;
}

static inline uint64_t submit_time(struct blk_plug *plug) { return plug ? plug_time(plug) : blk_now_ns(); }

/* For the fast path: a plugged bio at sector that the general path must
 * take, to merge it with the plug's last request (sector follows it), or
 * because this is an interrupt, which must not touch the task's plug. */
static bool plug_slow(const struct blk_plug *plug, uint64_t sector)
{
	return plug->tail_end == sector || blk_in_irq();
}

/* queue_rq refused the request: the batch ends here (ring for what it
 * accepted) and the request fails with the driver's status, or with
 * BLK_STS_RESOURCE (the driver cannot take it now, e.g. while its queue is
 * quiesced for a reset) goes back on the requeue list, kicked again at once
 * unless the queue is quiesced: then its unquiesce does it (pushed before
 * the test, so one of the two sees it). */
static void queue_rq_failed(struct request *rq, bool last, blk_status_t st)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	struct request_queue *q = hctx->q;
	if (last && q->mq_ops->commit_rqs)
		q->mq_ops->commit_rqs(hctx);
	if (st == BLK_STS_RESOURCE) {
		blk_mq_requeue_request(rq);
		if (!blk_queue_quiesced(q))
			blk_mq_kick_requeue_list(q);
		return;
	}
	blk_mq_complete_request(rq, st);
}

/* Hands one request to the driver; now is the dispatch time (its timer
 * starts). The fast path in submit_bio does the same inline. */
static inline __attribute__((always_inline)) void dispatch_on(struct request *rq, bool last, uint64_t now)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	struct request_queue *q = hctx->q;
	if (blk_queue_quiesced(q)) {
		llist_push(&q->requeue_list, &rq->llnode);
		if (last && q->mq_ops->commit_rqs)
			q->mq_ops->commit_rqs(hctx); /* the batch ends here, early */
		return;
	}
	rq->io_start_time_ns = now;
	__atomic_store_n(&rq->state, RQ_IN_FLIGHT, __ATOMIC_RELEASE);
	blk_status_t st = q->mq_ops->queue_rq(hctx, rq, last);
	if (st != BLK_STS_OK)
		queue_rq_failed(rq, last, st);
}

static void dispatch(struct request *rq, bool last) { dispatch_on(rq, last, blk_now_ns()); }

/* A run of plugged requests for one hctx, to a driver with queue_rqs,
 * which starts and takes what it can at once; what it leaves of this hctx's
 * goes one by one. Returns the first request of the next run. */
static struct request *dispatch_run(struct blk_mq_hw_ctx *hctx, struct request *rq, uint64_t now)
{
	struct request *left = hctx->q->mq_ops->queue_rqs(hctx, rq, now);
	while (left && left->mq_hctx == hctx) {
		struct request *after = left->next;
		dispatch_on(left, !after || after->mq_hctx != hctx, now);
		left = after;
	}
	return left;
}

/* Sends a plugged list: one batch per run of requests for the same hctx,
 * through queue_rqs when the driver has it, else `last` on the final one so
 * the driver rings its doorbell once. One clock read for the batch: its
 * dispatch time. */
static void dispatch_list(struct request *rq)
{
	if (!rq)
		return;
	uint64_t now = blk_now_ns();
	while (rq) {
		struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
		if (hctx->q->mq_ops->queue_rqs && !blk_queue_quiesced(hctx->q)) {
			rq = dispatch_run(hctx, rq, now);
			continue;
		}
		struct request *next = rq->next;
		dispatch_on(rq, !next || next->mq_hctx != hctx, now);
		rq = next;
	}
}

static void bio_wait_for_tag(struct bio *bio, struct blk_mq_hw_ctx *hctx, uint32_t offset);

/* Submits bio's pieces from offset on; returns when all are queued, or when
 * the bio had to wait for a tag (it is then on a wait list). */
static void submit_pieces(struct bio *bio, uint32_t offset)
{
	struct request_queue *q = bio->bdev->q;
	unsigned cpu = blk_cpu();
	struct blk_plug *plug = blk_in_irq() ? NULL : cpu_plug[cpu].plug;
	do {
		unsigned segs;
		uint32_t len = bio->size ? piece_len(bio, offset, &q->limits, &segs) : (segs = 0);
		uint64_t sector = bio->bdev->start_sector + bio->sector + (offset >> SECTOR_SHIFT);
		if (bio->size && len == 0) { /* a vec layout the device cannot carry */
			bio_piece_done(bio, BLK_STS_INVAL);
			return;
		}
		if (plug && plug_merge(plug, bio, sector, offset, len, segs)) {
			offset += len;
			continue;
		}
		struct request *rq = get_request(q, bio, cpu);
		if (!rq && plug && plug->list) { /* our own plug may hold the tags: send it */
			blk_finish_plug(plug);
			blk_start_plug(plug);
			rq = get_request(q, bio, cpu);
		}
		if (!rq) {
			bio_wait_for_tag(bio, q->ctxs[cpu].hctxs[blk_mq_hctx_type(q->tag_set, bio->op, bio->flags)], offset);
			return;
		}
		rq->__sector = sector;
		rq_add_slice(rq, bio, offset, len, segs);
		offset += len;
		if (!plug)
			dispatch(rq, true);
		else
			plug_add(plug, rq);
	} while (offset < bio->size);
	bio_piece_done(bio, BLK_STS_OK); /* drop the submitter's reference */
}

/* The bio keeps its submitter's reference while it waits. */
static void bio_wait_for_tag(struct bio *bio, struct blk_mq_hw_ctx *hctx, uint32_t offset)
{
	bio->wait_offset = offset;
	llist_push(&hctx->wait_list, &bio->wait);
	/* A tag freed between our failed get and the push saw an empty list and
	 * will not run it: look again. Each pass needs a tag freed concurrently,
	 * so this recursion is as deep as the races it loses, not a loop. */
	unsigned cpu = blk_cpu();
	int tag = blk_mq_get_tag(hctx->tags, cpu, false);
	if (tag != BLK_MQ_NO_TAG) {
		blk_mq_put_tag(hctx->tags, cpu, (unsigned)tag);
		blk_mq_run_wait_list(hctx);
	}
}

void blk_mq_run_wait_list(struct blk_mq_hw_ctx *hctx)
{
	for (struct llist_node *n = llist_take_all(&hctx->wait_list); n;) {
		struct llist_node *next = n->next;
		struct bio *bio = container_of(n, struct bio, wait);
		submit_pieces(bio, bio->wait_offset);
		n = next;
	}
}

static blk_status_t bio_check(const struct bio *bio)
{
	const struct block_device *b = bio->bdev;
	const struct queue_limits *l = &b->q->limits;
	uint32_t lbs_sectors = l->logical_block_size >> SECTOR_SHIFT; /* powers of two: limits_ok */
	if (bio->op >= REQ_OP_COUNT)
		return BLK_STS_INVAL;
	if ((bio->op == REQ_OP_DISCARD && !(b->features & BLK_FEAT_DISCARD)) ||
	    (bio->op == REQ_OP_WRITE_ZEROES && !(b->features & BLK_FEAT_WRITE_ZEROES)) ||
	    ((bio->flags & REQ_HIPRI) && !(b->features & BLK_FEAT_POLL)))
		return BLK_STS_NOTSUPP;
	if ((bio->sector & (lbs_sectors - 1)) | (bio->size & (l->logical_block_size - 1)) ||
	    bio->sector > b->nr_sectors || (bio->size >> SECTOR_SHIFT) > b->nr_sectors - bio->sector)
		return BLK_STS_INVAL;
	if (has_data(bio->op) && bio->size == 0)
		return BLK_STS_INVAL;
	for (unsigned v = 0; has_data(bio->op) && v < bio->nr_vecs; v++)
		if ((bio->vecs[v].phys | bio->vecs[v].len) & l->dma_alignment)
			return BLK_STS_INVAL;
	return BLK_STS_OK;
}

/* Everything but the fast path: checks, flush and FUA without a write
 * cache, splitting, the plug, waiting for a tag, a frozen queue. */
static void submit_bio_slow(struct bio *bio, uint64_t now)
{
	struct request_queue *q = bio->bdev->q;
	bio->submit_ns = now;
	if (blk_queue_frozen(q)) {
		llist_push(&q->frozen_bios, &bio->wait); /* submitted again by unfreeze */
		return;
	}
	bio->status = bio_check(bio);
	if (bio->status) {
		bio->bdev->whole->stats[blk_cpu()].errors++;
		bio_piece_done(bio, bio->status);
		return;
	}
	if (bio->op == REQ_OP_FLUSH && !(bio->bdev->features & BLK_FEAT_WRITE_CACHE)) {
		bio_piece_done(bio, BLK_STS_OK); /* nothing volatile to flush */
		return;
	}
	if (!(bio->bdev->features & BLK_FEAT_WRITE_CACHE))
		bio->flags &= ~(unsigned)(REQ_FUA | REQ_PREFLUSH); /* every write is durable already */
	submit_pieces(bio, 0);
}

/*
 * A read or write of one vec that needs no split, with flags the device
 * takes as they are: bio_check's tests, folded. Unsigned wrap-around does
 * some of the work: size - 1 catches size 0, and op > WRITE every other op.
 * fast.max_bytes is at most the device size, so nr_sectors - size's sectors
 * cannot wrap; the DMA alignment is below the block size (limits_ok), so a
 * size that is a multiple of blocks satisfies it. *phys_out: the vec's
 * address, for the request's seg_phys (read here once).
 */
static inline bool bio_is_fast(const struct bio *bio, const struct block_device *b, uint64_t *phys_out)
{
	if (bio->nr_vecs != 1) /* first: a bio without data may have no vecs at all */
		return false;
	const struct bio_vec *v = bio->vecs;
	uint32_t size = bio->size;
	uint64_t sector = bio->sector, phys = v->phys;
	*phys_out = phys;
	return !(bio_op_flags(bio) & b->fast.op_flags_slow) && /* a read or write, no slow flag */
	       size - 1 < b->fast.max_bytes && v->len == size &&
	       !(((sector << SECTOR_SHIFT | size) & b->fast.block_mask) | (phys & b->fast.dma_mask)) &&
	       sector <= b->nr_sectors - (size >> SECTOR_SHIFT) && !((phys ^ (phys + size - 1)) & b->fast.boundary);
}

/* The request of a fast path's tag, filled in for bio (which bio_is_fast passed). */
static inline struct request *rq_fill_fast(struct request_queue *q, struct blk_mq_hw_ctx *hctx, unsigned tag,
					   struct bio *bio, uint64_t phys, const struct block_device *b, uint64_t now)
{
	struct request *rq = rq_init(q, hctx, tag, bio);
	rq->__sector = b->start_sector + bio->sector;
	rq->__data_len = bio->size;
	rq->nr_phys_segments = 1;
	rq->nr_slices = 1;
	rq->slices[0] = (struct blk_slice){ bio, 0, bio->size }; /* the bio's one reference is the request's */
	rq->seg_phys = phys; /* bio's one vec */
	rq->start_time_ns = now;
	return rq;
}

/*
 * The path of almost every I/O, for a bio that bio_is_fast passed on a queue
 * that is not stopped: a tag from this CPU's hint word, the request filled
 * in place, then handed to the driver at once (plug NULL: submit_bio's own
 * copy, where the plug's branches fold away), or added to the plug, to go
 * with its batch. No tag at hand: the general way.
 */
static inline __attribute__((always_inline)) void submit_bio_fast(struct bio *bio, uint64_t phys,
								   struct block_device *b, struct request_queue *q,
								   unsigned cpu, struct blk_plug *plug)
{
	struct blk_mq_ctx *ctx = &q->ctxs[cpu];
	struct blk_mq_hw_ctx *hctx = ctx->rw_hctx[bio->op | (bio->flags & REQ_HIPRI)];
	unsigned tag;
	if (__builtin_expect(!blk_mq_get_tag_fast(hctx->tags, cpu, &tag), 0)) {
		submit_bio_slow(bio, submit_time(plug)); /* searches every word, or waits for a tag */
		return;
	}
	struct request *rq = rq_fill_fast(q, hctx, tag, bio, phys, b, submit_time(plug));
	if (plug) {
		plug_add(plug, rq);
		return;
	}
	/* dispatched now too: io_start_time_ns is older (blk_rq_dispatch_ns) */
	__atomic_store_n(&rq->state, RQ_IN_FLIGHT, __ATOMIC_RELEASE);
	blk_status_t st = q->mq_ops->queue_rq(hctx, rq, true);
	if (__builtin_expect(st != BLK_STS_OK, 0))
		queue_rq_failed(rq, true, st);
}

/* A fast bio under this CPU's plug: as cheap as one without, and the clock
 * is read once per batch (plug_time). The general path takes it when it may
 * merge with the plug's last request, or in an interrupt, which must not
 * touch the task's plug. */
static inline __attribute__((always_inline)) void submit_bio_plugged(struct bio *bio, uint64_t phys,
								      struct block_device *b, unsigned cpu,
								      struct blk_plug *plug)
{
	if (__builtin_expect(plug_slow(plug, b->start_sector + bio->sector), 0)) {
		submit_bio_slow(bio, blk_in_irq() ? blk_now_ns() : plug_time(plug));
		return;
	}
	submit_bio_fast(bio, phys, b, b->q, cpu, plug);
}

/* Anything submit_bio's fast paths do not take. */
__attribute__((noinline)) static void submit_bio_general(struct bio *bio, struct blk_plug *plug)
{
	submit_bio_slow(bio, plug && !blk_in_irq() ? plug_time(plug) : blk_now_ns());
}

/*
 * Checks that fold into a few compares (bio_is_fast) and a stopped queue
 * send the unusual bio the general way; the rest takes submit_bio_fast,
 * with or without a plug.
 */
void submit_bio(struct bio *bio)
{
	struct block_device *b = bio->bdev;
	struct request_queue *q = b->q;
	unsigned cpu = blk_cpu();
	bio->remaining = 1;
	bio->status = BLK_STS_OK;
	struct blk_plug *plug = cpu_plug[cpu].plug;
	uint64_t phys; /* of its one vec */
	if (__builtin_expect(!bio_is_fast(bio, b, &phys), 0)) {
		submit_bio_general(bio, plug);
		return;
	}
	uint32_t stopped = __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE);
	if (__builtin_expect(((uintptr_t)plug | stopped) != 0, 0)) { /* one test for the usual case */
		if (stopped)
			submit_bio_general(bio, plug); /* a frozen or quiesced queue */
		else
			submit_bio_plugged(bio, phys, b, cpu, plug);
		return;
	}
	submit_bio_fast(bio, phys, b, q, cpu, NULL);
}

void blk_flush_plug(void)
{
	struct blk_plug *plug = cpu_plug[blk_cpu()].plug;
	if (plug && plug->list) {
		struct request *list = plug->list;
		plug->list = plug->tail = NULL;
		plug->tail_end = BLK_PLUG_NO_END;
		plug->count = 0;
		dispatch_list(list);
	}
}

void blk_start_plug(struct blk_plug *plug)
{
	plug->list = plug->tail = NULL;
	plug->tail_end = BLK_PLUG_NO_END;
	plug->count = 0;
	cpu_plug[blk_cpu()].plug = plug;
}

void blk_finish_plug(struct blk_plug *plug)
{
	cpu_plug[blk_cpu()].plug = NULL;
	struct request *list = plug->list;
	plug->list = plug->tail = NULL;
	plug->tail_end = BLK_PLUG_NO_END;
	plug->count = 0;
	dispatch_list(list);
}

/* ---- completion ---- */

/* The rest of a completion that failed or carries pieces of several bios:
 * the bios are copied out first, since the request is reused once its tag
 * is free. */
void blk_mq_end_request_slow(struct request *rq, blk_status_t status, unsigned cpu)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned n = rq->nr_slices;
	struct bio *bios[BLK_RQ_MAX_SLICES];
	if (status) {
		hctx->stat[cpu].errors++;
		if (rq->q->disk)
			rq->q->disk->stats[cpu].errors++;
	}
	for (unsigned i = 0; i < n; i++)
		bios[i] = rq->slices[i].bio;
	blk_mq_put_tag_at(hctx->tags, cpu, (unsigned)rq->tag, &rq->tag_loc);
	if (!llist_empty(&hctx->wait_list))
		blk_mq_run_wait_list(hctx);
	for (unsigned i = 0; i < n; i++)
		bio_piece_done(bios[i], status);
}

void bio_end_piece(struct bio *bio, blk_status_t status) { bio_piece_done(bio, status); }

/* The compare-exchange from IN_FLIGHT failed: TIMED_OUT → COMPLETE, retried
 * while the timeout handler moves rq between the two (BLK_EH_RESET_TIMER),
 * or false once rq is neither (completed already, or not dispatched). */
bool blk_mq_mark_complete_slow(struct request *rq)
{
	int state = __atomic_load_n(&rq->state, __ATOMIC_RELAXED);
	while (state == RQ_IN_FLIGHT || state == RQ_TIMED_OUT)
		if (__atomic_compare_exchange_n(&rq->state, &state, RQ_COMPLETE, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* A late or duplicate completion (rq not in flight) is ignored. Without a
 * stamp, the clock is read after the state change, so a duplicate reads
 * nothing. */
void blk_mq_complete_request(struct request *rq, blk_status_t status)
{
	if (blk_mq_mark_complete(rq))
		__blk_mq_end_request(rq, status, blk_now_ns(), false);
}

void blk_mq_complete_request_at(struct request *rq, blk_status_t status, uint64_t now)
{
	if (blk_mq_mark_complete(rq))
		blk_mq_end_request_at(rq, status, now);
}

/* ---- requeue, quiesce, freeze, timeouts ---- */

void blk_mq_requeue_request(struct request *rq)
{
	int in_flight = RQ_IN_FLIGHT, timed_out = RQ_TIMED_OUT;
	if (!__atomic_compare_exchange_n(&rq->state, &in_flight, RQ_IDLE, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) &&
	    !__atomic_compare_exchange_n(&rq->state, &timed_out, RQ_IDLE, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	__atomic_add_fetch(&rq->q->requeues, 1, __ATOMIC_RELAXED);
	llist_push(&rq->q->requeue_list, &rq->llnode);
}

void blk_mq_kick_requeue_list(struct request_queue *q)
{
	if (blk_queue_quiesced(q))
		return;
	for (struct llist_node *n = llist_take_all(&q->requeue_list); n;) {
		struct llist_node *next = n->next;
		struct request *rq = container_of(n, struct request, llnode);
		dispatch(rq, !next || container_of(next, struct request, llnode)->mq_hctx != rq->mq_hctx);
		n = next;
	}
}

void blk_mq_quiesce_queue(struct request_queue *q) { __atomic_add_fetch(&q->stopped, BLK_QUIESCE_ONE, __ATOMIC_ACQ_REL); }

void blk_mq_unquiesce_queue(struct request_queue *q)
{
	if ((__atomic_sub_fetch(&q->stopped, BLK_QUIESCE_ONE, __ATOMIC_ACQ_REL) & (BLK_FREEZE_ONE - 1)) == 0)
		blk_mq_kick_requeue_list(q);
}

unsigned blk_mq_in_flight(const struct request_queue *q)
{
	unsigned n = 0;
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		n += blk_mq_tags_in_use(q->queue_hw_ctx[i]->tags);
	return n;
}

void blk_mq_freeze_queue(struct request_queue *q)
{
	__atomic_add_fetch(&q->stopped, BLK_FREEZE_ONE, __ATOMIC_ACQ_REL);
	while (blk_mq_in_flight(q))
		blk_wait(); /* completions (or their timeouts, on the tick) drain it */
}

void blk_mq_unfreeze_queue(struct request_queue *q)
{
	if (__atomic_sub_fetch(&q->stopped, BLK_FREEZE_ONE, __ATOMIC_ACQ_REL) >= BLK_FREEZE_ONE)
		return;
	for (struct llist_node *n = llist_take_all(&q->frozen_bios); n;) {
		struct llist_node *next = n->next;
		submit_bio(container_of(n, struct bio, wait));
		n = next;
	}
}

void blk_mq_register_queue(struct request_queue *q)
{
	if (nr_queues < MAX_QUEUES)
		__atomic_store_n(&queues[nr_queues++], q, __ATOMIC_RELEASE);
}

static void timeout_check_hctx(struct blk_mq_hw_ctx *hctx, uint64_t now)
{
	const struct blk_mq_ops *ops = hctx->q->mq_ops;
	for (unsigned tag = 0; tag < hctx->tags->nr_tags; tag++) {
		struct request *rq = hctx->rqs[tag];
		int in_flight = RQ_IN_FLIGHT;
		if (!blk_mq_tag_busy(hctx->tags, tag) || rq->mq_hctx != hctx ||
		    __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) != RQ_IN_FLIGHT ||
		    now < blk_rq_dispatch_ns(rq) + hctx->q->timeout_ns ||
		    !__atomic_compare_exchange_n(&rq->state, &in_flight, RQ_TIMED_OUT, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_add_fetch(&hctx->q->timeouts, 1, __ATOMIC_RELAXED);
		enum blk_eh_timer_return r = ops->timeout ? ops->timeout(rq) : BLK_EH_DONE;
		int timed_out = RQ_TIMED_OUT;
		if (r == BLK_EH_RESET_TIMER) {
			rq->io_start_time_ns = now; /* the timer starts again */
			__atomic_compare_exchange_n(&rq->state, &timed_out, RQ_IN_FLIGHT, false, __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED);
		} else if (!ops->timeout) {
			blk_mq_complete_request(rq, BLK_STS_TIMEOUT);
		}
	}
}

void blk_mq_timeout_tick(void)
{
	unsigned cpu = blk_cpu();
	uint64_t now = blk_now_ns();
	for (unsigned i = 0; i < __atomic_load_n(&nr_queues, __ATOMIC_ACQUIRE); i++) {
		struct request_queue *q = __atomic_load_n(&queues[i], __ATOMIC_ACQUIRE);
		for (unsigned h = 0; q && h < q->nr_hw_queues; h++) {
			struct blk_mq_hw_ctx *hctx = q->queue_hw_ctx[h];
			unsigned home = cpumask_empty(hctx->cpumask) ? 0 : cpumask_first(hctx->cpumask);
			if (home == cpu)
				timeout_check_hctx(hctx, now);
		}
	}
}

/* Not counted on the I/O path: what completed, plus what is in the
 * driver's hands now (a snapshot while I/O runs). */
uint64_t blk_mq_hctx_dispatched(const struct blk_mq_hw_ctx *hctx)
{
	uint64_t n = blk_mq_hctx_completed(hctx);
	for (unsigned tag = 0; tag < hctx->tags->nr_tags; tag++) {
		const struct request *rq = hctx->rqs[tag];
		int state = __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE);
		n += blk_mq_tag_busy(hctx->tags, tag) && rq->mq_hctx == hctx &&
		     (state == RQ_IN_FLIGHT || state == RQ_TIMED_OUT);
	}
	return n;
}

void blk_mq_hctx_stats(const struct blk_mq_hw_ctx *hctx, struct blk_stats *sum)
{
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		const struct blk_stats *s = &hctx->stat[c];
		for (unsigned op = 0; op < REQ_OP_COUNT; op++) {
			sum->ios[op] += s->ios[op];
			sum->bytes[op] += s->bytes[op];
		}
		sum->merges += s->merges;
		sum->errors += s->errors;
		for (unsigned k = 0; k < BLK_LAT_BUCKETS; k++)
			sum->lat_hist[k] += s->lat_hist[k];
	}
}

uint64_t blk_mq_hctx_completed(const struct blk_mq_hw_ctx *hctx)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		for (unsigned op = 0; op < REQ_OP_COUNT; op++)
			n += hctx->stat[c].ios[op];
	return n;
}

void blk_disk_stats(const struct block_device *b, struct blk_stats *sum)
{
	const struct block_device *w = b->whole;
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < w->q->nr_hw_queues; i++)
		blk_mq_hctx_stats(w->q->queue_hw_ctx[i], sum);
	sum->errors = 0; /* the device's count has the hctxs' and the refusals */
	for (unsigned c = 0; c < MAX_CPUS; c++)
		sum->errors += w->stats[c].errors;
}

/* A CPU that polls never reaches its idle loop, where work queued for it
 * runs (a controller's reset or Abort, say, which its timeout handler
 * defers to the boot CPU): each poll lets that work run. */
int blk_mq_poll(struct blk_mq_hw_ctx *hctx)
{
	const struct blk_mq_ops *ops = hctx->q->mq_ops;
	int n = ops->poll ? ops->poll(hctx) : 0;
	blk_cond_resched();
	return n;
}

/* ---- walking a request's memory ---- */

void blk_rq_seg_iter_init(struct blk_seg_iter *it, const struct request *rq)
{
	it->rq = rq;
	it->slice = 0;
	it->vec = 0;
	it->vec_off = 0;
	it->left_in_slice = 0;
}

bool blk_rq_seg_next(struct blk_seg_iter *it, void **virt, uint64_t *phys, uint32_t *len)
{
	const struct request *rq = it->rq;
	while (it->left_in_slice == 0) {
		if (it->slice == rq->nr_slices)
			return false;
		const struct blk_slice *s = &rq->slices[it->slice++];
		it->left_in_slice = s->len;
		it->vec = 0;
		it->vec_off = s->offset;
		while (it->vec < s->bio->nr_vecs && it->vec_off >= s->bio->vecs[it->vec].len)
			it->vec_off -= s->bio->vecs[it->vec++].len;
		it->cur_bio = s->bio;
	}
	const struct bio_vec *v = &it->cur_bio->vecs[it->vec];
	uint32_t n = v->len - it->vec_off;
	if (n > it->left_in_slice)
		n = it->left_in_slice;
	*virt = (char *)v->virt + it->vec_off;
	*phys = v->phys + it->vec_off;
	*len = n;
	it->left_in_slice -= n;
	it->vec_off += n;
	if (it->vec_off == v->len) {
		it->vec++;
		it->vec_off = 0;
	}
	return true;
}
