/* The CPU → hardware queue maps (blk/cpumap.c): the generic map in the cases
 * seed note 001 walks through (fewer queues than CPUs, SMT siblings, present
 * vs possible CPUs), queue_offset, every CPU landing on a valid queue; the
 * map built from vector affinity masks with NVMe's admin pre-vector, and its
 * fallback; and which map a request uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_mq.h"

static struct blk_mq_cpus cpus_of(cpumask_t present, cpumask_t possible, const cpumask_t *siblings)
{
	return (struct blk_mq_cpus){ .present = present, .possible = possible, .siblings = siblings };
}

static struct blk_mq_queue_map generic(unsigned nr_queues, unsigned offset, const struct blk_mq_cpus *cpus)
{
	struct blk_mq_queue_map m;
	memset(&m, 0xa5, sizeof(m)); /* stale contents must not leak through */
	m.nr_queues = nr_queues;
	m.queue_offset = offset;
	blk_mq_map_queues(&m, cpus);
	return m;
}

static void assert_all_valid(const struct blk_mq_queue_map *m)
{
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		assert_in_range(m->mq_map[cpu], m->queue_offset, m->queue_offset + m->nr_queues - 1);
	}
}

static void assert_map(const struct blk_mq_queue_map *m, const unsigned *want, unsigned n)
{
	for (unsigned cpu = 0; cpu < n; cpu++) {
		if (m->mq_map[cpu] != want[cpu])
			fail_msg("CPU %u → queue %u, expected %u", cpu, m->mq_map[cpu], want[cpu]);
	}
	assert_all_valid(m);
}

/* 8 CPUs, 4 queues, no SMT: CPUs 0-3 each get their own queue, 4-7 go
 * round-robin over them, so every queue serves exactly two CPUs. */
static void test_fewer_queues_than_cpus(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), NULL);
	struct blk_mq_queue_map m = generic(4, 0, &c);
	static const unsigned want[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
	assert_map(&m, want, 8);
}

/* Siblings i and i+4 (how Linux numbers hyperthreads on one package). With
 * 4 queues, CPUs 4-7 share the queue of 0-3. With 6 queues the present pass
 * hands 0-5 their own queues, and 6, 7 then share with siblings 2, 3, which
 * round-robin (6 → 0, 7 → 1) would not. */
static const cpumask_t siblings_plus4[8] = {
	{ 0x11 }, { 0x22 }, { 0x44 }, { 0x88 }, { 0x11 }, { 0x22 }, { 0x44 }, { 0x88 },
};

static void test_smt_siblings_share(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), siblings_plus4);
	struct blk_mq_queue_map m = generic(4, 0, &c);
	static const unsigned want4[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
	assert_map(&m, want4, 8);

	m = generic(6, 0, &c);
	static const unsigned want6[8] = { 0, 1, 2, 3, 4, 5, 2, 3 };
	assert_map(&m, want6, 8);
}

/* Adjacent siblings (0,1), (2,3), ...: after 0-3 take queues 0-3, CPU 4
 * starts a new round-robin turn and 5 joins its sibling 4; likewise 6, 7. */
static const cpumask_t siblings_pairs[8] = {
	{ 0x03 }, { 0x03 }, { 0x0c }, { 0x0c }, { 0x30 }, { 0x30 }, { 0xc0 }, { 0xc0 },
};

static void test_smt_adjacent_siblings(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), siblings_pairs);
	struct blk_mq_queue_map m = generic(4, 0, &c);
	static const unsigned want[8] = { 0, 1, 2, 3, 0, 0, 1, 1 };
	assert_map(&m, want, 8);
}

/* Present CPUs are served first: with present {1, 3} of possible 0-7 and two
 * queues, 1 and 3 get different queues (a plain walk over possible CPUs would
 * put both on queue 1). The absent CPUs still land on valid queues. */
static void test_present_before_possible(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of((cpumask_t){ 0x0a }, cpumask_first_n(8), NULL);
	struct blk_mq_queue_map m = generic(2, 0, &c);
	assert_int_equal(m.mq_map[1], 0);
	assert_int_equal(m.mq_map[3], 1);
	assert_all_valid(&m);

	/* possible 8, present 4, 4 queues: the present four get all four queues */
	c = cpus_of(cpumask_first_n(4), cpumask_first_n(8), NULL);
	m = generic(4, 0, &c);
	static const unsigned want[4] = { 0, 1, 2, 3 };
	assert_map(&m, want, 4);
}

static void test_more_queues_than_cpus(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(4), cpumask_first_n(4), NULL);
	struct blk_mq_queue_map m = generic(8, 0, &c);
	static const unsigned want[4] = { 0, 1, 2, 3 };
	assert_map(&m, want, 4);
}

/* A map for the second type starts at its queue_offset: queues 2..4. */
static void test_queue_offset(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(6), cpumask_first_n(6), NULL);
	struct blk_mq_queue_map m = generic(3, 2, &c);
	static const unsigned want[6] = { 2, 3, 4, 2, 3, 4 };
	assert_map(&m, want, 6);
	assert_int_equal(m.nr_queues, 3);
	assert_int_equal(m.queue_offset, 2);
}

/* Over many shapes: every CPU 0..63 maps into the map's range; with at least
 * as many queues as present CPUs those CPUs get distinct queues; with fewer,
 * every queue serves some present CPU. */
static void test_every_cpu_valid(void **state)
{
	(void)state;
	static cpumask_t sib[MAX_CPUS];
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		sib[cpu] = (cpumask_t){ 3ull << (cpu & ~1u) };
	for (unsigned npos = 1; npos <= MAX_CPUS; npos += 3) {
		for (unsigned npres = 1; npres <= npos; npres += 5) {
			for (unsigned nq = 1; nq <= 17; nq += 2) {
				for (int smt = 0; smt < 2; smt++) {
					struct blk_mq_cpus c =
						cpus_of(cpumask_first_n(npres), cpumask_first_n(npos), smt ? sib : NULL);
					struct blk_mq_queue_map m = generic(nq, 5, &c);
					assert_all_valid(&m);
					uint64_t used = 0;
					for (unsigned cpu = 0; cpu < npres; cpu++) {
						uint64_t bit = 1ull << (m.mq_map[cpu] - 5);
						if (nq >= npres)
							assert_false(used & bit);
						used |= bit;
					}
					if (nq <= npres)
						assert_int_equal(used, cpumask_first_n(nq).bits);
				}
			}
		}
	}
}

/* An empty map is given one queue rather than dividing by zero. */
static void test_zero_queues(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(4), cpumask_first_n(4), NULL);
	struct blk_mq_queue_map m = generic(0, 3, &c);
	assert_int_equal(m.nr_queues, 1);
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		assert_int_equal(m.mq_map[cpu], 3);
}

/* ---- the map from affinity masks ---- */

/* NVMe's layout on 8 CPUs: vector 0 is the admin queue's (all CPUs), then
 * one vector per I/O queue, as irq_create_affinity_masks spreads them. */
static void nvme_masks(struct irq_affinity_desc *masks, unsigned nr_io, unsigned ncpus)
{
	masks[0] = (struct irq_affinity_desc){ cpumask_first_n(ncpus), false };
	unsigned per = ncpus / nr_io;
	for (unsigned q = 0; q < nr_io; q++)
		masks[q + 1] = (struct irq_affinity_desc){ { (((1ull << per) - 1) << (q * per)) }, true };
}

static void test_hw_map_pre_vector(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), NULL);
	struct irq_affinity_desc masks[9];
	struct blk_mq_queue_map m = { .nr_queues = 4, .queue_offset = 0 };
	nvme_masks(masks, 4, 8);
	blk_mq_map_hw_queues(&m, masks, 5, 1, &c);
	static const unsigned want4[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
	assert_map(&m, want4, 8);

	/* 8 queues, one CPU each (note 003's NVMe example: 9 vectors) */
	m = (struct blk_mq_queue_map){ .nr_queues = 8 };
	nvme_masks(masks, 8, 8);
	blk_mq_map_hw_queues(&m, masks, 9, 1, &c);
	static const unsigned want8[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	assert_map(&m, want8, 8);
}

/* A second map (say READ) after the default one's 4 queues. */
static void test_hw_map_queue_offset(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), NULL);
	struct irq_affinity_desc masks[5];
	nvme_masks(masks, 4, 8);
	struct blk_mq_queue_map m = { .nr_queues = 4, .queue_offset = 4 };
	blk_mq_map_hw_queues(&m, masks, 5, 1, &c);
	static const unsigned want[8] = { 4, 4, 5, 5, 6, 6, 7, 7 };
	assert_map(&m, want, 8);
}

/* A CPU no vector serves (brought up after the spreading) still gets a valid queue. */
static void test_hw_map_uncovered_cpu(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), NULL);
	struct irq_affinity_desc masks[3] = {
		{ cpumask_first_n(8), false }, { { 0x0f }, true }, { { 0x30 }, true }, /* 6, 7 uncovered */
	};
	struct blk_mq_queue_map m = { .nr_queues = 2, .queue_offset = 1 };
	blk_mq_map_hw_queues(&m, masks, 3, 1, &c);
	static const unsigned want[6] = { 1, 1, 1, 1, 2, 2 };
	assert_map(&m, want, 6);
}

static void assert_same_map(const struct blk_mq_queue_map *a, const struct blk_mq_queue_map *b)
{
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		assert_int_equal(a->mq_map[cpu], b->mq_map[cpu]);
}

/* An empty or missing mask: the generic map instead, not a half-built one. */
static void test_hw_map_fallback(void **state)
{
	(void)state;
	struct blk_mq_cpus c = cpus_of(cpumask_first_n(8), cpumask_first_n(8), siblings_pairs);
	struct blk_mq_queue_map want = generic(4, 0, &c);
	struct irq_affinity_desc masks[5];

	nvme_masks(masks, 4, 8);
	masks[3].mask = CPUMASK_NONE;
	struct blk_mq_queue_map m = { .nr_queues = 4 };
	blk_mq_map_hw_queues(&m, masks, 5, 1, &c);
	assert_same_map(&m, &want);

	m = (struct blk_mq_queue_map){ .nr_queues = 4 };
	blk_mq_map_hw_queues(&m, NULL, 0, 1, &c);
	assert_same_map(&m, &want);

	nvme_masks(masks, 4, 8); /* one vector short: queue 3 has no mask */
	m = (struct blk_mq_queue_map){ .nr_queues = 4 };
	blk_mq_map_hw_queues(&m, masks, 4, 1, &c);
	assert_same_map(&m, &want);
}

/* ---- which map a request uses ---- */

static void test_hctx_type(void **state)
{
	(void)state;
	struct blk_mq_tag_set set = { .nr_maps = HCTX_MAX_TYPES };
	set.map[HCTX_TYPE_DEFAULT].nr_queues = 2;
	set.map[HCTX_TYPE_READ].nr_queues = 2;
	set.map[HCTX_TYPE_POLL].nr_queues = 1;
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, REQ_HIPRI), HCTX_TYPE_POLL);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_WRITE, REQ_HIPRI), HCTX_TYPE_POLL);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, 0), HCTX_TYPE_READ);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, REQ_FUA), HCTX_TYPE_READ);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_WRITE, 0), HCTX_TYPE_DEFAULT);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_FLUSH, 0), HCTX_TYPE_DEFAULT);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_DISCARD, 0), HCTX_TYPE_DEFAULT);

	set.map[HCTX_TYPE_POLL].nr_queues = 0; /* no poll queues: HIPRI is an ordinary request */
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, REQ_HIPRI), HCTX_TYPE_READ);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_WRITE, REQ_HIPRI), HCTX_TYPE_DEFAULT);

	set.map[HCTX_TYPE_READ].nr_queues = 0;
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, 0), HCTX_TYPE_DEFAULT);

	/* maps beyond nr_maps do not count, whatever they hold */
	set.map[HCTX_TYPE_READ].nr_queues = 2;
	set.map[HCTX_TYPE_POLL].nr_queues = 2;
	set.nr_maps = 1;
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, REQ_HIPRI), HCTX_TYPE_DEFAULT);
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, 0), HCTX_TYPE_DEFAULT);
	set.nr_maps = 2;
	assert_int_equal(blk_mq_hctx_type(&set, REQ_OP_READ, REQ_HIPRI), HCTX_TYPE_READ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fewer_queues_than_cpus),
		cmocka_unit_test(test_smt_siblings_share),
		cmocka_unit_test(test_smt_adjacent_siblings),
		cmocka_unit_test(test_present_before_possible),
		cmocka_unit_test(test_more_queues_than_cpus),
		cmocka_unit_test(test_queue_offset),
		cmocka_unit_test(test_every_cpu_valid),
		cmocka_unit_test(test_zero_queues),
		cmocka_unit_test(test_hw_map_pre_vector),
		cmocka_unit_test(test_hw_map_queue_offset),
		cmocka_unit_test(test_hw_map_uncovered_cpu),
		cmocka_unit_test(test_hw_map_fallback),
		cmocka_unit_test(test_hctx_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
