/* The request pool (blk/pool.c) and the tag set that owns it (blk/tag_set.c):
 * slot layout in physically contiguous chunks, the order fallback under a
 * fragmented page allocator, clean failure; then blk_mq_alloc_tag_set's
 * validation and clamping, static_rqs, and blk_mq_init_queue's hctx ↔ ctx
 * links (map_swqueue). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "blk/pool.h"
#include "tests/unit/blk/stub_env.h"

#define CACHE_LINE 64u

static int setup(void **state)
{
	(void)state;
	stub_env_reset();
	return 0;
}

/* Every slot: inside one chunk the stub handed out, cache-line aligned,
 * zeroed, rq_size apart from its neighbour when they share a chunk, and not
 * overlapping any other slot. */
static void check_slots(struct request **rqs, unsigned depth, size_t rq_size)
{
	for (unsigned i = 0; i < depth; i++) {
		const char *p = (const char *)rqs[i];
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % CACHE_LINE, 0);
		assert_true(stub_pages_contain(p, rq_size, NULL));
		for (size_t b = 0; b < rq_size; b++)
			assert_int_equal(p[b], 0);
		for (unsigned j = 0; j < i; j++) {
			const char *q = (const char *)rqs[j];
			assert_true(p >= q + rq_size || q >= p + rq_size);
		}
		if (i && p != (const char *)rqs[i - 1] + rq_size) /* a new chunk starts here */
			assert_false(stub_pages_contain(rqs[i - 1], 2 * rq_size, NULL));
	}
}

static unsigned count_chunks(const struct blk_pool_chunk *c, unsigned max_order)
{
	unsigned n = 0;
	for (; c; c = c->next, n++)
		assert_true(c->order <= max_order);
	return n;
}

static void test_rq_size_rounding(void **state)
{
	(void)state;
	size_t base = sizeof(struct request);
	assert_int_equal(base % CACHE_LINE, 0);
	assert_int_equal(blk_mq_rq_size(0), base);
	assert_int_equal(blk_mq_rq_size(1), base + 64);
	assert_int_equal(blk_mq_rq_size(64), base + 64);
	assert_int_equal(blk_mq_rq_size(65), base + 128);
	assert_int_equal(blk_mq_rq_size(1000), base + 1024);
}

static void test_slots_layout(void **state)
{
	(void)state;
	struct blk_pool_chunk *chunks = NULL;
	size_t rq_size = blk_mq_rq_size(200);
	struct request **rqs = blk_mq_alloc_rqs(1024, rq_size, &chunks);
	assert_non_null(rqs);
	check_slots(rqs, 1024, rq_size);
	/* big chunks first: 1024 slots fit in a handful of order-4 chunks */
	struct stub_page_stats s = stub_page_stats();
	unsigned per_chunk = (STUB_PAGE_SIZE << 4) / rq_size;
	assert_int_equal(s.order_count[4], 1024 / per_chunk);
	assert_true(s.allocs <= 1024 / per_chunk + 1);
	assert_int_equal(count_chunks(chunks, 4), s.allocs);
	blk_mq_free_chunks(&chunks);
	assert_null(chunks);
	assert_int_equal(stub_page_stats().live, 0);
	free(rqs);
}

/* A small pool takes only the pages it needs. */
static void test_small_pool_one_page(void **state)
{
	(void)state;
	struct blk_pool_chunk *chunks = NULL;
	size_t rq_size = blk_mq_rq_size(0);
	struct request **rqs = blk_mq_alloc_rqs(2, rq_size, &chunks);
	assert_non_null(rqs);
	check_slots(rqs, 2, rq_size);
	struct stub_page_stats s = stub_page_stats();
	assert_int_equal(s.allocs, 1);
	assert_int_equal(s.order_count[0], 1);
	blk_mq_free_chunks(&chunks);
	free(rqs);
}

/* Fragmented memory: orders above 2, then above 0, fail; the pool still
 * yields depth slots, from smaller chunks. */
static void test_order_fallback(void **state)
{
	(void)state;
	size_t rq_size = blk_mq_rq_size(64);
	for (int max = 2; max >= 0; max -= 2) {
		stub_env_reset();
		stub_pages_max_order(max);
		struct blk_pool_chunk *chunks = NULL;
		struct request **rqs = blk_mq_alloc_rqs(256, rq_size, &chunks);
		assert_non_null(rqs);
		check_slots(rqs, 256, rq_size);
		struct stub_page_stats s = stub_page_stats();
		assert_true(s.failures > 0);
		assert_int_equal(count_chunks(chunks, (unsigned)max), s.allocs);
		unsigned per_chunk = (STUB_PAGE_SIZE << max) / rq_size;
		assert_int_equal(s.allocs, (256 + per_chunk - 1) / per_chunk);
		blk_mq_free_chunks(&chunks);
		assert_int_equal(stub_page_stats().live, 0);
		free(rqs);
	}
}

/* No pages at all, or some then none: NULL, everything taken is given back,
 * and the caller's chunk list is untouched. */
static void test_total_failure(void **state)
{
	(void)state;
	struct blk_pool_chunk keep = { (void *)0x1000, 0, NULL }, *chunks = &keep;
	size_t rq_size = blk_mq_rq_size(64);

	stub_pages_fail_after(0);
	assert_null(blk_mq_alloc_rqs(64, rq_size, &chunks));
	assert_ptr_equal(chunks, &keep);
	assert_int_equal(stub_page_stats().allocs, 0);

	for (int ok = 1; ok <= 3; ok++) {
		stub_env_reset();
		stub_pages_max_order(0);
		stub_pages_fail_after(ok);
		unsigned allocs0 = stub_page_stats().allocs, frees0 = stub_page_stats().frees;
		assert_null(blk_mq_alloc_rqs(256, rq_size, &chunks));
		struct stub_page_stats s = stub_page_stats();
		assert_int_equal(s.allocs - allocs0, ok);
		assert_int_equal(s.frees - frees0, ok);
		assert_int_equal(s.live, 0);
		assert_ptr_equal(chunks, &keep);
		assert_null(keep.next);
	}
}

/* A slot bigger than the largest chunk cannot be carved at all. */
static void test_slot_too_big(void **state)
{
	(void)state;
	struct blk_pool_chunk *chunks = NULL;
	assert_null(blk_mq_alloc_rqs(4, (STUB_PAGE_SIZE << 4) + CACHE_LINE, &chunks));
	assert_null(chunks);
	assert_int_equal(stub_page_stats().live, 0);
}

/* ---- the tag set ---- */

static blk_status_t nop_queue_rq(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last)
{
	(void)hctx;
	(void)rq;
	(void)last;
	return BLK_STS_OK;
}

static const struct blk_mq_ops nop_ops = { .queue_rq = nop_queue_rq };

static struct blk_mq_tag_set make_set(unsigned nr_hw_queues, unsigned depth, unsigned reserved)
{
	return (struct blk_mq_tag_set){ .ops = &nop_ops, .nr_hw_queues = nr_hw_queues, .queue_depth = depth,
					.reserved_tags = reserved, .cmd_size = 48 };
}

static void test_set_depth_clamped(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(2, 0, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	assert_true(set.queue_depth >= 1);
	assert_int_equal(set.tags[0]->nr_tags, set.queue_depth);
	blk_mq_free_tag_set(&set);

	set = make_set(2, 5000, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	assert_int_equal(set.queue_depth, BLK_MQ_MAX_QUEUE_DEPTH);
	assert_int_equal(set.tags[1]->nr_tags, BLK_MQ_MAX_QUEUE_DEPTH);
	blk_mq_free_tag_set(&set);
	assert_int_equal(stub_page_stats().live, 0);
}

static void test_set_reserved_must_leave_normal(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(1, 4, 4);
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	set = make_set(1, 4, 6);
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	assert_int_equal(stub_page_stats().live, 0);

	set = make_set(1, 4, 3); /* one normal tag is enough */
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	assert_int_equal(set.queue_depth, 4);
	assert_int_equal(set.tags[0]->nr_reserved_tags, 3);
	blk_mq_free_tag_set(&set);
}

static void test_set_bad_input(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(0, 32, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	static const struct blk_mq_ops no_queue_rq = { .queue_rq = NULL };
	set = make_set(1, 32, 0);
	set.ops = &no_queue_rq;
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	set = make_set(1, 32, 0);
	set.ops = NULL;
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	/* several maps without a map_queues to fill them */
	set = make_set(2, 32, 0);
	set.nr_maps = 2;
	assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	assert_int_equal(stub_page_stats().live, 0);
}

/* Drivers' map_queues that get it wrong. */
static int map_beyond_queues(struct blk_mq_tag_set *set)
{
	set->map[HCTX_TYPE_DEFAULT].nr_queues = set->nr_hw_queues;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		set->map[HCTX_TYPE_DEFAULT].mq_map[cpu] = cpu % (set->nr_hw_queues + 1); /* one too many */
	return 0;
}

static int map_range_beyond(struct blk_mq_tag_set *set)
{
	set->map[HCTX_TYPE_DEFAULT].nr_queues = set->nr_hw_queues;
	set->map[HCTX_TYPE_READ].nr_queues = 2;
	set->map[HCTX_TYPE_READ].queue_offset = set->nr_hw_queues - 1; /* runs past the last queue */
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		set->map[HCTX_TYPE_DEFAULT].mq_map[cpu] = 0;
		set->map[HCTX_TYPE_READ].mq_map[cpu] = set->nr_hw_queues - 1;
	}
	return 0;
}

static int map_fails(struct blk_mq_tag_set *set)
{
	(void)set;
	return -1;
}

static void test_set_bad_driver_map(void **state)
{
	(void)state;
	static const struct blk_mq_ops ops[3] = {
		{ .queue_rq = nop_queue_rq, .map_queues = map_beyond_queues },
		{ .queue_rq = nop_queue_rq, .map_queues = map_range_beyond },
		{ .queue_rq = nop_queue_rq, .map_queues = map_fails },
	};
	for (unsigned i = 0; i < 3; i++) {
		struct blk_mq_tag_set set = make_set(4, 32, 0);
		set.nr_maps = 2;
		set.ops = &ops[i];
		assert_int_equal(blk_mq_alloc_tag_set(&set), -EINVAL);
	}
	assert_int_equal(stub_page_stats().live, 0);
}

static void test_set_static_rqs(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(3, 100, 2);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	assert_int_equal(set.rq_size, blk_mq_rq_size(48));
	for (unsigned q = 0; q < 3; q++) {
		assert_non_null(set.tags[q]);
		assert_int_equal(set.tags[q]->nr_tags, 100);
		assert_int_equal(set.tags[q]->nr_reserved_tags, 2);
		check_slots(set.static_rqs[q], 0, set.rq_size);
		for (unsigned tag = 0; tag < 100; tag++) {
			struct request *rq = set.static_rqs[q][tag];
			assert_true(stub_pages_contain(rq, set.rq_size, NULL));
			assert_int_equal((uintptr_t)rq % CACHE_LINE, 0);
			assert_int_equal(rq->tag, (int)tag);
			assert_int_equal((uintptr_t)blk_mq_rq_to_pdu(rq) % CACHE_LINE, 0);
			for (unsigned other = 0; other < q; other++) /* queues never share a slot */
				for (unsigned t2 = 0; t2 < 100; t2++)
					assert_ptr_not_equal(set.static_rqs[other][t2], rq);
		}
	}
	/* without a map_queues: the generic map over the stub's 8 CPUs */
	assert_int_equal(set.nr_maps, 1);
	assert_int_equal(set.map[HCTX_TYPE_DEFAULT].nr_queues, 3);
	for (unsigned cpu = 0; cpu < 8; cpu++)
		assert_int_equal(set.map[HCTX_TYPE_DEFAULT].mq_map[cpu], cpu % 3);
	blk_mq_free_tag_set(&set);
	assert_int_equal(stub_page_stats().live, 0);
}

/* No pages for the second queue's pool: -ENOMEM and nothing kept. */
static void test_set_out_of_memory(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(2, 64, 0);
	stub_pages_max_order(0);
	stub_pages_fail_after(3);
	assert_int_equal(blk_mq_alloc_tag_set(&set), -ENOMEM);
	assert_int_equal(stub_page_stats().live, 0);
	assert_null(set.tags[0]);
	assert_null(set.static_rqs[0]);
}

/* ---- the queue: hctx ↔ ctx links ---- */

/* Each possible CPU's ctx points, per type, at the hctx its map names; each
 * hctx lists exactly the ctxs of the CPUs mapped to it, once each, at their
 * index_hw, and its cpumask is exactly those CPUs. fallback_index_hw: check
 * index_hw also for the types that have no map of their own and use the
 * default one (test_queue_index_hw_fallback alone asks for that). */
static void check_swqueue_(struct request_queue *q, cpumask_t possible, bool fallback_index_hw)
{
	struct blk_mq_tag_set *set = q->tag_set;
	for (unsigned i = 0; i < q->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *h = q->queue_hw_ctx[i];
		assert_non_null(h);
		assert_int_equal(h->queue_num, i);
		assert_ptr_equal(h->q, q);
		assert_ptr_equal(h->tags, set->tags[i]);
		assert_ptr_equal(h->rqs, set->static_rqs[i]);
		assert_int_equal(h->nr_ctx, cpumask_weight(h->cpumask));
		for (unsigned k = 0; k < h->nr_ctx; k++) {
			assert_true(cpumask_test(h->cpumask, h->ctxs[k]->cpu));
			for (unsigned l = 0; l < k; l++)
				assert_ptr_not_equal(h->ctxs[k], h->ctxs[l]);
		}
	}
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct blk_mq_ctx *ctx = &q->ctxs[cpu];
		assert_int_equal(ctx->cpu, cpu);
		for (unsigned t = 0; t < HCTX_MAX_TYPES; t++) {
			unsigned mt = t < set->nr_maps && set->map[t].nr_queues ? t : HCTX_TYPE_DEFAULT;
			struct blk_mq_hw_ctx *h = ctx->hctxs[t];
			assert_ptr_equal(h, q->queue_hw_ctx[set->map[mt].mq_map[cpu]]);
			if (!cpumask_test(possible, cpu) || (mt != t && !fallback_index_hw))
				continue;
			assert_true(cpumask_test(h->cpumask, cpu));
			assert_in_range(ctx->index_hw[t], 0, h->nr_ctx - 1);
			assert_ptr_equal(h->ctxs[ctx->index_hw[t]], ctx);
		}
	}
	for (unsigned i = 0; i < q->nr_hw_queues; i++) /* an hctx serves only CPUs that map to it */
		for_each_cpu(cpu, q->queue_hw_ctx[i]->cpumask) {
			bool found = false;
			for (unsigned t = 0; t < HCTX_MAX_TYPES; t++)
				found |= q->ctxs[cpu].hctxs[t] == q->queue_hw_ctx[i];
			assert_true(found);
		}
}

static void check_swqueue(struct request_queue *q, cpumask_t possible) { check_swqueue_(q, possible, false); }

static const struct queue_limits lim = {
	.logical_block_size = 512, .physical_block_size = 512, .max_sectors = 256, .max_segments = 32,
	.max_segment_size = 1u << 16, .seg_boundary_mask = 0xffffffffull, .dma_alignment = 3,
};

static void test_queue_generic(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(3, 16, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	assert_int_equal(q->nr_hw_queues, 3);
	assert_int_equal(q->limits.max_sectors, 256);
	check_swqueue(q, cpumask_first_n(8));
	assert_int_equal(q->queue_hw_ctx[0]->cpumask.bits, 0x49); /* CPUs 0, 3, 6 */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(q->queue_hw_ctx[i]->type, HCTX_TYPE_DEFAULT);
	blk_mq_free_tag_set(&set);
}

/* DEFAULT on queues 0-1, READ on 2-3, POLL on 4: three types, the NVMe layout. */
static int map_three_types(struct blk_mq_tag_set *set)
{
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	static const unsigned nr[HCTX_MAX_TYPES] = { 2, 2, 1 }, off[HCTX_MAX_TYPES] = { 0, 2, 4 };
	for (unsigned t = 0; t < HCTX_MAX_TYPES; t++) {
		set->map[t].nr_queues = nr[t];
		set->map[t].queue_offset = off[t];
		blk_mq_map_queues(&set->map[t], &cpus);
	}
	return 0;
}

static void test_queue_three_types(void **state)
{
	(void)state;
	static const struct blk_mq_ops ops = { .queue_rq = nop_queue_rq, .map_queues = map_three_types };
	struct blk_mq_tag_set set = make_set(5, 8, 0);
	set.ops = &ops;
	set.nr_maps = HCTX_MAX_TYPES;
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	check_swqueue(q, cpumask_first_n(8));
	static const enum hctx_type type[5] = { HCTX_TYPE_DEFAULT, HCTX_TYPE_DEFAULT, HCTX_TYPE_READ,
						HCTX_TYPE_READ, HCTX_TYPE_POLL };
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(q->queue_hw_ctx[i]->type, type[i]);
	assert_int_equal(q->queue_hw_ctx[4]->nr_ctx, 8); /* one poll queue serves every CPU */
	assert_ptr_equal(q->ctxs[5].hctxs[HCTX_TYPE_READ], q->queue_hw_ctx[3]);
	blk_mq_free_tag_set(&set);
}

/* Two maps over the same queue (a driver whose reads share the default
 * queues): each CPU appears in that hctx once, not once per type. */
static int map_shared(struct blk_mq_tag_set *set)
{
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	for (unsigned t = 0; t < 2; t++) {
		set->map[t].nr_queues = set->nr_hw_queues;
		set->map[t].queue_offset = 0;
		blk_mq_map_queues(&set->map[t], &cpus);
	}
	return 0;
}

static void test_queue_shared_maps(void **state)
{
	(void)state;
	static const struct blk_mq_ops ops = { .queue_rq = nop_queue_rq, .map_queues = map_shared };
	struct blk_mq_tag_set set = make_set(1, 8, 0);
	set.ops = &ops;
	set.nr_maps = 2;
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	check_swqueue(q, cpumask_first_n(8));
	blk_mq_free_tag_set(&set);
}

/* Possible CPUs only: ctxs of impossible CPUs are not listed on any hctx. */
static void test_queue_possible_only(void **state)
{
	(void)state;
	stub_set_cpus(cpumask_first_n(2), cpumask_first_n(4), NULL);
	struct blk_mq_tag_set set = make_set(2, 8, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	check_swqueue(q, cpumask_first_n(4));
	assert_int_equal(q->queue_hw_ctx[0]->nr_ctx + q->queue_hw_ctx[1]->nr_ctx, 4);
	blk_mq_free_tag_set(&set);
}

/* A type without queues of its own (READ and POLL here) uses the default
 * hctx; its index_hw must then still name the ctx's slot in that hctx. */
static void test_queue_index_hw_fallback(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = make_set(2, 8, 0);
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	check_swqueue_(q, cpumask_first_n(8), true);
	blk_mq_free_tag_set(&set);
}

static int init_hctx_calls;
static int count_init_hctx(struct blk_mq_hw_ctx *hctx, void *driver_data, unsigned index)
{
	assert_ptr_equal(driver_data, &init_hctx_calls);
	assert_int_equal(hctx->queue_num, index);
	hctx->driver_data = (void *)(uintptr_t)(index + 1);
	init_hctx_calls++;
	return 0;
}

static void test_queue_init_hctx(void **state)
{
	(void)state;
	static const struct blk_mq_ops ops = { .queue_rq = nop_queue_rq, .init_hctx = count_init_hctx };
	struct blk_mq_tag_set set = make_set(4, 8, 0);
	set.ops = &ops;
	set.driver_data = &init_hctx_calls;
	init_hctx_calls = 0;
	assert_int_equal(blk_mq_alloc_tag_set(&set), 0);
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	assert_non_null(q);
	assert_int_equal(init_hctx_calls, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal((uintptr_t)q->queue_hw_ctx[i]->driver_data, i + 1);
	blk_mq_free_tag_set(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rq_size_rounding, setup),
		cmocka_unit_test_setup(test_slots_layout, setup),
		cmocka_unit_test_setup(test_small_pool_one_page, setup),
		cmocka_unit_test_setup(test_order_fallback, setup),
		cmocka_unit_test_setup(test_total_failure, setup),
		cmocka_unit_test_setup(test_slot_too_big, setup),
		cmocka_unit_test_setup(test_set_depth_clamped, setup),
		cmocka_unit_test_setup(test_set_reserved_must_leave_normal, setup),
		cmocka_unit_test_setup(test_set_bad_input, setup),
		cmocka_unit_test_setup(test_set_bad_driver_map, setup),
		cmocka_unit_test_setup(test_set_static_rqs, setup),
		cmocka_unit_test_setup(test_set_out_of_memory, setup),
		cmocka_unit_test_setup(test_queue_generic, setup),
		cmocka_unit_test_setup(test_queue_three_types, setup),
		cmocka_unit_test_setup(test_queue_shared_maps, setup),
		cmocka_unit_test_setup(test_queue_possible_only, setup),
		cmocka_unit_test_setup(test_queue_index_hw_fallback, setup),
		cmocka_unit_test_setup(test_queue_init_hctx, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
