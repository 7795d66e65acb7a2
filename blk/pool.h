/* The request pool behind static_rqs (blk/pool.c). Internal to the block layer. */
#ifndef BLK_POOL_H
#define BLK_POOL_H

#include <stddef.h>

struct request;

struct blk_pool_chunk {
	void *addr;
	unsigned order;
	struct blk_pool_chunk *next;
};

/* Bytes per slot: struct request + cmd_size, rounded up to a cache line. */
size_t blk_mq_rq_size(unsigned cmd_size);
/* depth slots of rq_size; the chunks are added to *chunks. NULL when out of
 * memory (what this call allocated is released; *chunks is untouched). */
struct request **blk_mq_alloc_rqs(unsigned depth, size_t rq_size, struct blk_pool_chunk **chunks);
void blk_mq_free_chunks(struct blk_pool_chunk **chunks);

#endif
