/*
 * The request pool (seed note 001, blk_mq_alloc_rqs): per hardware queue,
 * depth slots of rq_size bytes (struct request + the driver's cmd_size,
 * cache-line aligned), carved slab-like out of physically contiguous chunks
 * of 2^4 pages, falling back to smaller orders when memory is fragmented.
 * static_rqs[tag] points at the slot for that tag. Allocated once, at set-up;
 * the I/O path only indexes it.
 */
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "blk/pool.h"

#define POOL_PAGE_SIZE 4096u
#define POOL_MAX_ORDER 4
#define CACHE_LINE 64u

size_t blk_mq_rq_size(unsigned cmd_size)
{
	size_t n = sizeof(struct request) + cmd_size;
	return (n + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

static unsigned order_for(size_t bytes)
{
	unsigned order = 0;
	while (order < POOL_MAX_ORDER && ((size_t)POOL_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static int add_chunk(struct blk_pool_chunk **chunks, void *addr, unsigned order)
{
	struct blk_pool_chunk *c = malloc(sizeof(*c));
	if (!c)
		return -1;
	c->addr = addr;
	c->order = order;
	c->next = *chunks;
	*chunks = c;
	return 0;
}

struct request **blk_mq_alloc_rqs(unsigned depth, size_t rq_size, struct blk_pool_chunk **chunks)
{
	struct blk_pool_chunk *mine = NULL;
	struct request **rqs = calloc(depth, sizeof(*rqs));
	if (!rqs || rq_size > ((size_t)POOL_PAGE_SIZE << POOL_MAX_ORDER))
		goto fail;
	unsigned i = 0;
	while (i < depth) {
		/* The largest order worth having for what is left, then smaller ones. */
		unsigned order = order_for((depth - i) * rq_size), min = order_for(rq_size);
		void *p = NULL;
		while (!(p = blk_alloc_pages(order)) && order > min)
			order--;
		if (!p || add_chunk(&mine, p, order) != 0) {
			if (p)
				blk_free_pages(p, order);
			goto fail;
		}
		size_t slots = ((size_t)POOL_PAGE_SIZE << order) / rq_size;
		for (size_t s = 0; s < slots && i < depth; s++, i++) {
			rqs[i] = (struct request *)((char *)p + s * rq_size);
			memset(rqs[i], 0, rq_size);
		}
	}
	while (mine) { /* hand this queue's chunks to the set */
		struct blk_pool_chunk *c = mine;
		mine = c->next;
		c->next = *chunks;
		*chunks = c;
	}
	return rqs;
fail:
	free(rqs);
	blk_mq_free_chunks(&mine);
	return NULL;
}

void blk_mq_free_chunks(struct blk_pool_chunk **chunks)
{
	while (*chunks) {
		struct blk_pool_chunk *c = *chunks;
		*chunks = c->next;
		blk_free_pages(c->addr, c->order);
		free(c);
	}
}
