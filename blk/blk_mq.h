/*
 * blk-mq for drivers: tag sets, hardware queues (hctx), per-CPU software
 * queues (ctx), requests and the driver's ops. Names follow Linux's blk-mq.
 *
 * A driver fills a struct blk_mq_tag_set (queue counts, depth, cmd_size, ops)
 * and calls blk_mq_alloc_tag_set, which builds the CPU → queue maps and, per
 * hardware queue, the tags and the request pool (static_rqs). It then creates
 * a request_queue and a block_device on it. The block layer calls
 * ops->queue_rq(hctx, rq, last) on the submitting CPU; the driver completes
 * each request with blk_mq_complete_request(rq) (from its interrupt handler,
 * on the hctx's CPU, or from ops->poll).
 */
#ifndef BLK_BLK_MQ_H
#define BLK_BLK_MQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk/blk_env.h"
#include "blk/blkdev.h"
#include "blk/tag.h"
#include "kernel/affinity.h"
#include "kernel/cpumask.h"

enum hctx_type {
	HCTX_TYPE_DEFAULT,
	HCTX_TYPE_READ,
	HCTX_TYPE_POLL,
	HCTX_MAX_TYPES,
};

#define BLK_MQ_MAX_HW_QUEUES 64
#define BLK_MQ_MAX_QUEUE_DEPTH 1024
#define BLK_RQ_MAX_SLICES 8        /* bios merged into one request */

struct blk_mq_queue_map {
	unsigned mq_map[MAX_CPUS];    /* CPU → hardware queue index (queue_offset included) */
	unsigned nr_queues;
	unsigned queue_offset;
};

struct blk_mq_hw_ctx;
struct blk_mq_tag_set;

enum blk_eh_timer_return {
	BLK_EH_DONE,       /* the driver completed (or will complete) the request */
	BLK_EH_RESET_TIMER,
};

struct blk_mq_ops {
	/* rq is in flight; last: the batch's final request (ring the doorbell).
	 * BLK_STS_OK: the driver has it. BLK_STS_RESOURCE: it cannot take it
	 * now, only while a quiesce of its queue is under way (e.g. a reset
	 * that began after blk-mq's quiesce test): rq waits on the requeue list
	 * for the unquiesce. Any other status fails rq. */
	blk_status_t (*queue_rq)(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last);
	/* Optional: a plugged list, linked by rq->next (NULL after the last),
	 * whose first request is for hctx; later ones may be for other hctxs.
	 * The driver takes a prefix of the requests for hctx at once (one lock,
	 * one doorbell), starting each it takes (blk_mq_start_request(rq, now),
	 * before its doorbell: from then on it is the driver's, and may
	 * complete at any moment), and returns the first request it did not
	 * take, or NULL. blk-mq sends those of hctx through queue_rq one by
	 * one, and goes on with the next hctx's. now: the dispatch time. */
	struct request *(*queue_rqs)(struct blk_mq_hw_ctx *hctx, struct request *list, uint64_t now);
	void (*commit_rqs)(struct blk_mq_hw_ctx *hctx);
	int (*map_queues)(struct blk_mq_tag_set *set);
	int (*poll)(struct blk_mq_hw_ctx *hctx);            /* completions reaped */
	enum blk_eh_timer_return (*timeout)(struct request *rq);
	int (*init_hctx)(struct blk_mq_hw_ctx *hctx, void *driver_data, unsigned index);
};

/* One piece of a bio carried by a request: bytes [offset, offset+len) of bio's data. */
struct blk_slice {
	struct bio *bio;
	uint32_t offset;
	uint32_t len;
};

/* IN_FLIGHT → COMPLETE when the driver completes it; IN_FLIGHT → TIMED_OUT
 * while ops->timeout runs, then COMPLETE (the driver completed it) or back
 * to IN_FLIGHT (BLK_EH_RESET_TIMER). A completion for a request that is not
 * in flight (already completed) is ignored. */
enum rq_state { RQ_IDLE, RQ_IN_FLIGHT, RQ_TIMED_OUT, RQ_COMPLETE };

struct request {
	struct request_queue *q;
	struct blk_mq_hw_ctx *mq_hctx;
	enum req_op op;
	unsigned cmd_flags;
	int tag;                       /* fixed: the slot's index in static_rqs */
	int state;
	struct blk_mq_tag_loc tag_loc; /* fixed: where the tag's bit lives */
	uint64_t __sector;             /* on the whole device */
	uint32_t __data_len;
	unsigned nr_phys_segments;
	unsigned nr_slices;
	struct blk_slice slices[BLK_RQ_MAX_SLICES];
	uint64_t start_time_ns;        /* queued: the bio's submission; latency is measured from here */
	uint64_t io_start_time_ns;     /* dispatched, when later than queued: see blk_rq_dispatch_ns */
	uint64_t seg_phys;             /* with nr_phys_segments == 1: where that segment starts */
	struct request *next;          /* plug list */
	struct llist_node llnode;      /* completion hand-over (drivers), requeue */
	/* cmd_size bytes of driver data follow, cache-line aligned: blk_mq_rq_to_pdu */
} __attribute__((aligned(64)));

static inline void *blk_mq_rq_to_pdu(struct request *rq) { return rq + 1; }
/* For a driver's queue_rqs: rq goes in flight, dispatched at now (its
 * timeout runs from there). */
static inline void blk_mq_start_request(struct request *rq, uint64_t now)
{
	rq->io_start_time_ns = now;
	__atomic_store_n(&rq->state, RQ_IN_FLIGHT, __ATOMIC_RELEASE);
}
/* In the driver's hands: dispatched and not completed (nor requeued). */
static inline bool blk_mq_request_started(const struct request *rq)
{
	int state = __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE);
	return state == RQ_IN_FLIGHT || state == RQ_TIMED_OUT;
}
static inline struct request *blk_mq_rq_from_pdu(void *pdu) { return (struct request *)pdu - 1; }
static inline uint64_t blk_rq_pos(const struct request *rq) { return rq->__sector; }
/* When the request went to the driver; its timeout runs from here. A request
 * dispatched as it is queued (submit_bio's fast path) leaves io_start_time_ns
 * from the slot's earlier use, which is older than its queue time. */
static inline uint64_t blk_rq_dispatch_ns(const struct request *rq)
{
	return rq->io_start_time_ns > rq->start_time_ns ? rq->io_start_time_ns : rq->start_time_ns;
}
static inline uint32_t blk_rq_bytes(const struct request *rq) { return rq->__data_len; }

/* Walks a request's memory as (virt, phys, len) pieces no larger than a bio_vec. */
struct blk_seg_iter {
	const struct request *rq;
	const struct bio *cur_bio;
	unsigned slice, vec;
	uint32_t vec_off, left_in_slice;
};
void blk_rq_seg_iter_init(struct blk_seg_iter *it, const struct request *rq);
bool blk_rq_seg_next(struct blk_seg_iter *it, void **virt, uint64_t *phys, uint32_t *len);

struct blk_mq_tag_set {
	const struct blk_mq_ops *ops;
	struct blk_mq_queue_map map[HCTX_MAX_TYPES];
	unsigned nr_maps;
	unsigned nr_hw_queues;
	unsigned queue_depth;          /* per hardware queue, reserved tags included */
	unsigned reserved_tags;
	unsigned cmd_size;
	int numa_node;                 /* kept for the future: one node today */
	void *driver_data;
	/* Filled by blk_mq_alloc_tag_set: */
	struct blk_mq_tags *tags[BLK_MQ_MAX_HW_QUEUES];
	struct request **static_rqs[BLK_MQ_MAX_HW_QUEUES];
	size_t rq_size;
	struct blk_pool_chunk *chunks; /* the pages the pool was carved from */
};

/* A per-CPU software queue: which hctx serves this CPU for each type. */
struct blk_mq_ctx {
	unsigned cpu;
	struct request_queue *q;
	struct blk_mq_hw_ctx *hctxs[HCTX_MAX_TYPES];
	unsigned index_hw[HCTX_MAX_TYPES];  /* this ctx's position in hctx->ctxs */
	/* blk_mq_hctx_type resolved for the fast path: [op | (flags & REQ_HIPRI)], reads and writes */
	struct blk_mq_hw_ctx *rw_hctx[4];
} __attribute__((aligned(64)));

struct blk_mq_hw_ctx {
	struct request_queue *q;
	unsigned queue_num;
	enum hctx_type type;
	cpumask_t cpumask;              /* the CPUs mapped here */
	struct blk_mq_ctx *ctxs[MAX_CPUS];
	unsigned nr_ctx;
	struct blk_mq_tags *tags;
	struct request **rqs;          /* static_rqs of this queue, indexed by tag */
	void *driver_data;
	int irq;                        /* -1: none (poll queue or inline completion) */
	struct llist_node *done_list;  /* for drivers: requests to complete on this hctx's CPU */
	struct llist_node *wait_list;  /* bios waiting for a tag */
	struct blk_stats stat[MAX_CPUS]; /* per CPU: written without atomics */
} __attribute__((aligned(64)));

struct request_queue {
	struct blk_mq_tag_set *tag_set;
	const struct blk_mq_ops *mq_ops;  /* tag_set->ops */
	void *queuedata;                  /* the driver's, e.g. its namespace */
	struct blk_mq_hw_ctx *queue_hw_ctx[BLK_MQ_MAX_HW_QUEUES];
	unsigned nr_hw_queues;
	struct blk_mq_ctx ctxs[MAX_CPUS];
	struct queue_limits limits;
	struct block_device *disk;
	uint64_t timeout_ns;            /* per request, from dispatch; BLK_DEFAULT_TIMEOUT_NS */
	/* How many quiesce (low 16 bits: dispatch holds requests on
	 * requeue_list) and freeze (high 16 bits: submit_bio holds bios on
	 * frozen_bios) are in force: one word, which the fast path tests once. */
	uint32_t stopped;
	struct llist_node *requeue_list;
	struct llist_node *frozen_bios;
	uint64_t timeouts, requeues;
};

#define BLK_DEFAULT_TIMEOUT_NS (30ull * 1000000000ull)
#define BLK_QUIESCE_ONE 1u
#define BLK_FREEZE_ONE (1u << 16)
static inline bool blk_queue_quiesced(const struct request_queue *q)
{
	return __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE) & (BLK_FREEZE_ONE - 1);
}
static inline bool blk_queue_frozen(const struct request_queue *q)
{
	return __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE) >= BLK_FREEZE_ONE;
}

/* Validates and clamps the set, builds the maps (ops->map_queues, else the
 * generic map), the tags and the request pool. 0 or -errno. */
int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set);
void blk_mq_free_tag_set(struct blk_mq_tag_set *set);

/* The CPUs a map is built for: present CPUs get queues first, the rest of
 * possible afterwards; siblings[cpu] = SMT siblings (NULL: no SMT). */
struct blk_mq_cpus {
	cpumask_t present, possible;
	const cpumask_t *siblings;
};

/* The generic CPU → queue map (note 001): present CPUs each get their own
 * queue while queues remain; after that a CPU shares its first SMT
 * sibling's queue, and CPUs without one go round-robin. Every possible CPU
 * (and every other CPU, on queue_offset) maps to a valid queue. */
void blk_mq_map_queues(struct blk_mq_queue_map *qmap, const struct blk_mq_cpus *cpus);
/* The map from vector affinity masks, like blk_mq_pci_map_queues: queue i
 * serves the CPUs of masks[i + offset]. Falls back to the generic map when a
 * mask is missing or empty. */
void blk_mq_map_hw_queues(struct blk_mq_queue_map *qmap, const struct irq_affinity_desc *masks, unsigned nr_masks,
			  unsigned offset, const struct blk_mq_cpus *cpus);
/* The map a request uses: HIPRI → POLL, a read → READ when it has queues, else DEFAULT. */
static inline enum hctx_type blk_mq_hctx_type(const struct blk_mq_tag_set *set, enum req_op op, unsigned flags)
{
	if ((flags & REQ_HIPRI) && set->nr_maps > HCTX_TYPE_POLL && set->map[HCTX_TYPE_POLL].nr_queues)
		return HCTX_TYPE_POLL;
	if (op == REQ_OP_READ && set->nr_maps > HCTX_TYPE_READ && set->map[HCTX_TYPE_READ].nr_queues)
		return HCTX_TYPE_READ;
	return HCTX_TYPE_DEFAULT;
}

struct request_queue *blk_mq_init_queue(struct blk_mq_tag_set *set, const struct queue_limits *lim);
/* Derives b->fast from its queue's limits, features and size (done for
 * every device blk_add_disk registers, partitions included). */
void blk_bdev_init_fast(struct block_device *b);
/* Registers a whole device on q (and its GPT partitions). */
struct block_device *blk_add_disk(struct request_queue *q, const char *name, uint64_t nr_sectors,
				  unsigned features, void *driver_data);

/* Driver → block layer. */
void blk_mq_complete_request(struct request *rq, blk_status_t status);
/* The same, at a time the driver read once for all it reaps in one pass
 * (blk_now_ns()): the end of the latency statistics' interval, so a pass
 * costs one clock read, not one per request. */
void blk_mq_complete_request_at(struct request *rq, blk_status_t status, uint64_t now);

/*
 * The two halves of blk_mq_complete_request_at, inline, for a driver's reap
 * loop (the functions above are both in one):
 *
 * blk_mq_mark_complete takes rq out of the driver's hands: IN_FLIGHT or
 * TIMED_OUT → COMPLETE. False when rq was not there (never dispatched,
 * completed already, requeued): the completion is not rq's, and nothing
 * changed. One locked compare-exchange in the usual case.
 *
 * Once it returned true, blk_mq_end_request_at(rq, status, now) ends rq on
 * this CPU: statistics (now is the completion time, as for
 * blk_mq_complete_request_at), the tag back, the bios waiting for one, then
 * the bio's end_io. rq may be reused as soon as this returns.
 */
bool blk_mq_mark_complete_slow(struct request *rq);
static inline __attribute__((always_inline)) bool blk_mq_mark_complete(struct request *rq)
{
	int in_flight = RQ_IN_FLIGHT;
	return __builtin_expect(__atomic_compare_exchange_n(&rq->state, &in_flight, RQ_COMPLETE, false,
							    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED), 1) ||
	       blk_mq_mark_complete_slow(rq);
}

/* Out of line, the rare halves: a failed request or one with several bios;
 * a bio with pieces still in flight. */
void blk_mq_end_request_slow(struct request *rq, blk_status_t status, unsigned cpu);
void bio_end_piece(struct bio *bio, blk_status_t status);
/* Resubmits the bios that waited for a tag of this hctx (completions call it). */
void blk_mq_run_wait_list(struct blk_mq_hw_ctx *hctx);

/* A completed request's statistics, on this CPU's line of its hctx.
 * stamped: now may be earlier than the request's start (see below);
 * otherwise now is a clock read after it. */
static inline __attribute__((always_inline)) void blk_mq_stat_done(struct blk_mq_hw_ctx *hctx, unsigned cpu,
								     const struct request *rq, uint64_t now,
								     bool stamped)
{
	struct blk_stats *st = &hctx->stat[cpu];
	enum req_op op = rq->op;
	st->ios[op]++;
	st->bytes[op] += rq->__data_len;
	/* a pass stamped once may reap a request submitted after its stamp (by
	 * an earlier end_io of the same pass): count it as 0 ns, not as 2^63 */
	uint64_t start = rq->start_time_ns, end = stamped && now < start ? start : now;
	st->lat_hist[63 - (unsigned)__builtin_clzll((end - start) | 1)]++; /* log2 buckets */
}

/* The end of a bio whose last request piece completed OK: usually its only one. */
static inline __attribute__((always_inline)) void bio_end_last_piece(struct bio *bio)
{
	if (__builtin_expect(__atomic_load_n(&bio->remaining, __ATOMIC_ACQUIRE) == 1, 1))
		bio->end_io(bio);
	else
		bio_end_piece(bio, BLK_STS_OK);
}

static inline __attribute__((always_inline)) void __blk_mq_end_request(struct request *rq, blk_status_t status,
									 uint64_t now, bool stamped)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned cpu = blk_cpu();
	blk_mq_stat_done(hctx, cpu, rq, now, stamped);
	if (__builtin_expect(status | (rq->nr_slices - 1), 0)) {
		blk_mq_end_request_slow(rq, status, cpu);
		return;
	}
	struct bio *bio = rq->slices[0].bio;
	blk_mq_put_tag_at(hctx->tags, cpu, (unsigned)rq->tag, &rq->tag_loc); /* rq may be reused from here on */
	if (__builtin_expect(!llist_empty(&hctx->wait_list), 0))
		blk_mq_run_wait_list(hctx); /* the bios that waited for a tag go first */
	bio_end_last_piece(bio);
}

static inline __attribute__((always_inline)) void blk_mq_end_request_at(struct request *rq, blk_status_t status,
									  uint64_t now)
{
	__blk_mq_end_request(rq, status, now, true);
}

/*
 * A reap pass's completions as one batch, for a driver's reap loop (which
 * completes on one CPU): blk_mq_end_request_batch ends rq as
 * blk_mq_end_request_at does (statistics, the tag back, then the bio's
 * end_io), except that rq's tag is held in b when it is in the same tag word
 * as the tags b holds (or b holds none), and blk_mq_comp_batch_flush, at the
 * end of the pass, frees what b holds at once (one locked OR into this CPU's
 * kept tags, see blk_mq_put_tags_word) and then runs the bios that waited
 * for a tag. A driver ends its pass's first request with
 * blk_mq_end_request_at (its tag goes to the CPU's one cached slot, and a
 * pass of one pays nothing for the batch) and the others with b.
 *
 * Until the flush such a request is not in flight (the timeout scan and
 * duplicate CQEs leave it alone) but counts in blk_mq_in_flight. An end_io
 * that submits finds no tag of b's: it takes another or waits on wait_list,
 * which the flush runs; so the flush must come on every path out of a pass
 * that ended a request with b, on the same CPU. b is empty (word NULL)
 * between passes.
 */
struct blk_mq_comp_batch {
	uint64_t *word;              /* the tag word of the tags held, or NULL: none */
	uint64_t mask;               /* their bits in *word */
	struct blk_mq_hw_ctx *hctx;  /* theirs */
};
static inline __attribute__((always_inline)) void blk_mq_comp_batch_flush(struct blk_mq_comp_batch *b)
{
	if (__builtin_expect(b->word != NULL, 1)) {
		struct blk_mq_hw_ctx *hctx = b->hctx;
		blk_mq_put_tags_word(hctx->tags, blk_cpu(), b->word, b->mask);
		b->word = NULL;
		/* after a locked RMW: a bio that pushed itself and then found
		 * no tag is seen here */
		if (__builtin_expect(!llist_empty(&hctx->wait_list), 0))
			blk_mq_run_wait_list(hctx);
	}
}

static inline __attribute__((always_inline)) void blk_mq_end_request_batch(struct request *rq, uint64_t now,
									     struct blk_mq_comp_batch *b)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned cpu = blk_cpu();
	blk_mq_stat_done(hctx, cpu, rq, now, true);
	if (__builtin_expect(rq->nr_slices != 1, 0)) {
		blk_mq_end_request_slow(rq, BLK_STS_OK, cpu); /* frees its tag itself */
		return;
	}
	struct bio *bio = rq->slices[0].bio;
	if (__builtin_expect(rq->tag_loc.word == b->word, 1)) {
		b->mask |= rq->tag_loc.mask;
	} else if (!b->word) {
		b->word = rq->tag_loc.word;
		b->mask = rq->tag_loc.mask;
		b->hctx = hctx;
	} else { /* another word's: freed now */
		blk_mq_put_tag_at(hctx->tags, cpu, (unsigned)rq->tag, &rq->tag_loc);
		if (__builtin_expect(!llist_empty(&hctx->wait_list), 0))
			blk_mq_run_wait_list(hctx);
	}
	bio_end_last_piece(bio);
}

/* Hands an in-flight request back: it is dispatched again by
 * blk_mq_kick_requeue_list (after a reset, say). */
void blk_mq_requeue_request(struct request *rq);
void blk_mq_kick_requeue_list(struct request_queue *q);
/* Quiesce: nothing reaches ops->queue_rq until unquiesce (requests wait on
 * the requeue list). Freeze: new bios wait, and freeze returns once every
 * request in flight has completed. For a driver reset:
 * quiesce → requeue the in-flight requests → reset → unquiesce. */
void blk_mq_quiesce_queue(struct request_queue *q);
void blk_mq_unquiesce_queue(struct request_queue *q);
void blk_mq_freeze_queue(struct request_queue *q);
void blk_mq_unfreeze_queue(struct request_queue *q);
unsigned blk_mq_in_flight(const struct request_queue *q);
/* blk_mq_init_queue registers each queue for the timeout scan. */
void blk_mq_register_queue(struct request_queue *q);
/* Checks the deadlines of the hctxs whose first CPU is this one (every CPU's tick). */
void blk_mq_timeout_tick(void);

/* Requests completed by this hctx, summed over the CPUs; dispatched adds
 * the ones in flight now (a requeued request counts once). */
void blk_mq_hctx_stats(const struct blk_mq_hw_ctx *hctx, struct blk_stats *sum); /* adds to sum */
uint64_t blk_mq_hctx_dispatched(const struct blk_mq_hw_ctx *hctx);
uint64_t blk_mq_hctx_completed(const struct blk_mq_hw_ctx *hctx);

int blk_mq_poll(struct blk_mq_hw_ctx *hctx);

#endif
