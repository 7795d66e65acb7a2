/*
 * Tag sets and request queues: blk_mq_alloc_tag_set (seed note 001/002:
 * validate, build the maps, then tags and the request pool per hardware
 * queue) and blk_mq_init_queue (hctx and ctx, and blk_mq_map_swqueue's
 * linking of each ctx to its hctx per type).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "blk/pool.h"

#define CACHE_LINE 64

static unsigned clamp(unsigned v, unsigned lo, unsigned hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Every CPU of every map must land on a queue of that map's range. */
static int check_maps(const struct blk_mq_tag_set *set)
{
	for (unsigned t = 0; t < set->nr_maps; t++) {
		const struct blk_mq_queue_map *m = &set->map[t];
		if (t == HCTX_TYPE_DEFAULT && m->nr_queues == 0)
			return -EINVAL;
		if (m->nr_queues && m->queue_offset + m->nr_queues > set->nr_hw_queues)
			return -EINVAL;
		for (unsigned cpu = 0; m->nr_queues && cpu < MAX_CPUS; cpu++)
			if (m->mq_map[cpu] < m->queue_offset || m->mq_map[cpu] >= m->queue_offset + m->nr_queues)
				return -EINVAL;
	}
	return 0;
}

static int build_maps(struct blk_mq_tag_set *set)
{
	if (set->ops->map_queues)
		return set->ops->map_queues(set) ? -EINVAL : check_maps(set);
	if (set->nr_maps > 1)
		return -EINVAL; /* several maps need the driver to say which queues are which */
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	set->map[HCTX_TYPE_DEFAULT].nr_queues = set->nr_hw_queues;
	set->map[HCTX_TYPE_DEFAULT].queue_offset = 0;
	blk_mq_map_queues(&set->map[HCTX_TYPE_DEFAULT], &cpus);
	return check_maps(set);
}

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	if (!set->ops || !set->ops->queue_rq || set->nr_hw_queues == 0)
		return -EINVAL;
	set->nr_hw_queues = clamp(set->nr_hw_queues, 1, BLK_MQ_MAX_HW_QUEUES);
	set->nr_maps = clamp(set->nr_maps, 1, HCTX_MAX_TYPES);
	set->queue_depth = clamp(set->queue_depth, 1, BLK_MQ_MAX_QUEUE_DEPTH);
	if (set->reserved_tags >= set->queue_depth) /* a queue must carry normal I/O */
		return -EINVAL;
	int err = build_maps(set);
	if (err)
		return err;
	set->rq_size = blk_mq_rq_size(set->cmd_size);
	for (unsigned i = 0; i < set->nr_hw_queues; i++) {
		set->tags[i] = memalign(CACHE_LINE, sizeof(struct blk_mq_tags));
		if (!set->tags[i] || blk_mq_tags_init(set->tags[i], set->queue_depth, set->reserved_tags) != 0)
			goto nomem;
		set->static_rqs[i] = blk_mq_alloc_rqs(set->queue_depth, set->rq_size, &set->chunks);
		if (!set->static_rqs[i])
			goto nomem;
		for (unsigned tag = 0; tag < set->queue_depth; tag++) {
			set->static_rqs[i][tag]->tag = (int)tag;
			blk_mq_tag_locate(set->tags[i], tag, &set->static_rqs[i][tag]->tag_loc);
		}
	}
	return 0;
nomem:
	blk_mq_free_tag_set(set);
	return -ENOMEM;
}

void blk_mq_free_tag_set(struct blk_mq_tag_set *set)
{
	for (unsigned i = 0; i < BLK_MQ_MAX_HW_QUEUES; i++) {
		free(set->tags[i]);
		free(set->static_rqs[i]);
		set->tags[i] = NULL;
		set->static_rqs[i] = NULL;
	}
	blk_mq_free_chunks(&set->chunks);
}

/* Which type a hardware queue serves: the map whose range holds it. */
static enum hctx_type queue_type(const struct blk_mq_tag_set *set, unsigned q)
{
	for (unsigned t = 0; t < set->nr_maps; t++) {
		const struct blk_mq_queue_map *m = &set->map[t];
		if (m->nr_queues && q >= m->queue_offset && q < m->queue_offset + m->nr_queues)
			return (enum hctx_type)t;
	}
	return HCTX_TYPE_DEFAULT;
}

/* blk_mq_map_swqueue: each ctx learns its hctx per type; each hctx its CPUs
 * and ctxs (index_hw is the ctx's slot in hctx->ctxs). */
static void map_swqueue(struct request_queue *q, cpumask_t cpus)
{
	struct blk_mq_tag_set *set = q->tag_set;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct blk_mq_ctx *ctx = &q->ctxs[cpu];
		ctx->cpu = cpu;
		ctx->q = q;
		for (unsigned t = 0; t < HCTX_MAX_TYPES; t++) {
			const struct blk_mq_queue_map *m = &set->map[t < set->nr_maps && set->map[t].nr_queues ? t : 0];
			struct blk_mq_hw_ctx *hctx = q->queue_hw_ctx[m->mq_map[cpu]];
			ctx->hctxs[t] = hctx;
			if (!cpumask_test(cpus, cpu))
				continue;
			if (cpumask_test(hctx->cpumask, cpu)) { /* another type already put this ctx here */
				ctx->index_hw[t] = ctx->index_hw[t ? t - 1 : 0];
				for (unsigned k = 0; k < hctx->nr_ctx; k++)
					if (hctx->ctxs[k] == ctx)
						ctx->index_hw[t] = k;
				continue;
			}
			ctx->index_hw[t] = hctx->nr_ctx;
			hctx->ctxs[hctx->nr_ctx++] = ctx;
			cpumask_set(&hctx->cpumask, cpu);
		}
		for (unsigned i = 0; i < 4; i++)
			ctx->rw_hctx[i] = ctx->hctxs[blk_mq_hctx_type(set, i & 1 ? REQ_OP_WRITE : REQ_OP_READ,
								      i & 2 ? REQ_HIPRI : 0)];
	}
}

/* Limits a driver got wrong would divide by zero or cut every byte apart. */
static bool limits_ok(const struct queue_limits *l)
{
	uint32_t lbs = l->logical_block_size;
	return lbs >= SECTOR_SIZE && (lbs & (lbs - 1)) == 0 && l->physical_block_size >= lbs &&
	       l->dma_alignment < lbs && (l->dma_alignment & (l->dma_alignment + 1)) == 0 &&
	       l->max_sectors >= lbs >> SECTOR_SHIFT && l->max_sectors <= UINT32_MAX >> SECTOR_SHIFT && l->max_segments >= 1 && l->max_segment_size >= lbs &&
	       l->seg_boundary_mask >= 4095;
}

struct request_queue *blk_mq_init_queue(struct blk_mq_tag_set *set, const struct queue_limits *lim)
{
	if (!limits_ok(lim))
		return NULL;
	struct request_queue *q = memalign(CACHE_LINE, sizeof(*q));
	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->tag_set = set;
	q->mq_ops = set->ops;
	q->limits = *lim;
	q->timeout_ns = BLK_DEFAULT_TIMEOUT_NS;
	q->nr_hw_queues = set->nr_hw_queues;
	for (unsigned i = 0; i < set->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *h = memalign(CACHE_LINE, sizeof(*h));
		if (!h)
			goto fail;
		memset(h, 0, sizeof(*h));
		h->q = q;
		h->queue_num = i;
		h->type = queue_type(set, i);
		h->tags = set->tags[i];
		h->rqs = set->static_rqs[i];
		h->irq = -1;
		q->queue_hw_ctx[i] = h;
	}
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	map_swqueue(q, cpus.possible);
	for (unsigned i = 0; i < set->nr_hw_queues; i++)
		if (set->ops->init_hctx && set->ops->init_hctx(q->queue_hw_ctx[i], set->driver_data, i) != 0)
			goto fail;
	blk_mq_register_queue(q);
	return q;
fail:
	for (unsigned i = 0; i < set->nr_hw_queues; i++)
		free(q->queue_hw_ctx[i]);
	free(q);
	return NULL;
}
