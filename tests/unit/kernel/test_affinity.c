/* Managed IRQ affinity spreading: the seed notes' NVMe and virtio-blk
 * layouts, uneven splits, several sets, post vectors, SMT siblings, sparse
 * CPU masks, more vectors than CPUs, and rejected inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/affinity.h"

#define MAXV 80

/* One expected vector: M("0-1") managed, U("0-7") unmanaged. */
struct want {
	const char *mask;
	bool managed;
};
#define M(s) { (s), true }
#define U(s) { (s), false }

static struct irq_affinity_desc masks[MAXV];

/* "v3 0-1 managed": the vector number is in the string so a failure names it. */
static void describe(char *buf, size_t size, unsigned v, const char *mask, bool managed)
{
	snprintf(buf, size, "v%u %s %s", v, mask, managed ? "managed" : "unmanaged");
}

static void check(unsigned nvec, const struct want *want)
{
	for (unsigned v = 0; v < nvec; v++) {
		char mask[128], got[160], exp[160];
		cpumask_format(mask, sizeof(mask), masks[v].mask);
		describe(got, sizeof(got), v, mask, masks[v].is_managed);
		describe(exp, sizeof(exp), v, want[v].mask, want[v].managed);
		assert_string_equal(got, exp);
	}
}

static void spread(unsigned nvec, struct irq_affinity affd, cpumask_t cpus,
		   const cpumask_t *siblings, const struct want *want)
{
	assert_true(nvec <= MAXV);
	memset(masks, 0, sizeof(masks));
	assert_int_equal(irq_create_affinity_masks(nvec, &affd, cpus, siblings, masks), 0);
	check(nvec, want);
}

static cpumask_t cpus_of(const unsigned *list, unsigned n)
{
	cpumask_t m = CPUMASK_NONE;
	for (unsigned i = 0; i < n; i++)
		cpumask_set(&m, list[i]);
	return m;
}

/* Seed note 003: nvme, 8 CPUs, 9 vectors, the admin vector first. */
static void test_nvme_8cpus_9vectors(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"), M("0"), M("1"), M("2"), M("3"),
					 M("4"), M("5"), M("6"), M("7") };
	spread(9, (struct irq_affinity){ .pre_vectors = 1 }, cpumask_first_n(8), NULL, w);
}

/* Seed note 003: virtio-blk, 8 CPUs, 5 vectors, one pre-vector. */
static void test_virtio_blk_8cpus_5vectors(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"), M("0-1"), M("2-3"), M("4-5"), M("6-7") };
	spread(5, (struct irq_affinity){ .pre_vectors = 1 }, cpumask_first_n(8), NULL, w);
}

/* Surplus vectors wrap: vector n+k gets vector k's CPU, never an empty mask. */
static void test_more_vectors_than_cpus(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-3"), M("0"), M("1"), M("2"), M("3"), M("0"),
					 M("1"), M("2"), M("3"), M("0"), M("1") };
	spread(11, (struct irq_affinity){ .pre_vectors = 1 }, cpumask_first_n(4), NULL, w);
}

/* The first n % v vectors take one CPU more than the others. */
static void test_uneven_8_onto_3(void **state)
{
	(void)state;
	static const struct want w[] = { M("0-2"), M("3-5"), M("6-7") };
	spread(3, (struct irq_affinity){ 0 }, cpumask_first_n(8), NULL, w);
}

static void test_uneven_6_onto_4(void **state)
{
	(void)state;
	static const struct want w[] = { M("0-1"), M("2-3"), M("4"), M("5") };
	spread(4, (struct irq_affinity){ 0 }, cpumask_first_n(6), NULL, w);
}

/* NVMe with a READ map: each set covers all CPUs on its own. */
static void test_two_sets(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"),
					 M("0-1"), M("2-3"), M("4-5"), M("6-7"),
					 M("0-1"), M("2-3"), M("4-5"), M("6-7") };
	struct irq_affinity affd = { .pre_vectors = 1, .nr_sets = 2, .set_size = { 4, 4 } };
	spread(9, affd, cpumask_first_n(8), NULL, w);
}

static void test_two_sets_of_different_sizes(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"),
					 M("0-2"), M("3-5"), M("6-7"),
					 M("0-3"), M("4-7") };
	struct irq_affinity affd = { .pre_vectors = 1, .nr_sets = 2, .set_size = { 3, 2 } };
	spread(6, affd, cpumask_first_n(8), NULL, w);
}

static void test_post_vectors(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"), M("0-1"), M("2-3"), M("4-5"), M("6-7"),
					 U("0-7"), U("0-7") };
	struct irq_affinity affd = { .pre_vectors = 1, .post_vectors = 2 };
	spread(7, affd, cpumask_first_n(8), NULL, w);
}

static void test_no_pre_vectors_and_null_affd(void **state)
{
	(void)state;
	static const struct want w[] = { M("0-3"), M("4-7") };
	memset(masks, 0, sizeof(masks));
	assert_int_equal(irq_create_affinity_masks(2, NULL, cpumask_first_n(8), NULL, masks), 0);
	check(2, w);
}

/* 4 cores x 2 threads, CPU i and i+4 on one core (how ACPI often numbers them). */
static cpumask_t far_siblings[MAX_CPUS];
/* 4 cores x 2 threads, CPUs 2k and 2k+1 on one core. */
static cpumask_t adjacent_siblings[MAX_CPUS];

static int setup_siblings(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		far_siblings[i] = cpumask_or(cpumask_of(i % 4), cpumask_of(i % 4 + 4));
		adjacent_siblings[i] = cpumask_or(cpumask_of(i & ~1u), cpumask_of(i | 1u));
	}
	return 0;
}

static void test_smt_far_siblings_share_a_vector(void **state)
{
	(void)state;
	static const struct want w[] = { M("0,4"), M("1,5"), M("2,6"), M("3,7") };
	spread(4, (struct irq_affinity){ 0 }, cpumask_first_n(8), far_siblings, w);
}

/* A vector takes siblings only while it has room: 3 + 3 + 2 over 8. */
static void test_smt_far_siblings_limited_by_room(void **state)
{
	(void)state;
	static const struct want w[] = { M("0-1,4"), M("2-3,6"), M("5,7") };
	spread(3, (struct irq_affinity){ 0 }, cpumask_first_n(8), far_siblings, w);
}

/* One CPU per vector: siblings cannot be kept together and are not. */
static void test_smt_one_cpu_per_vector(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-7"), M("0"), M("1"), M("2"), M("3"),
					 M("4"), M("5"), M("6"), M("7") };
	spread(9, (struct irq_affinity){ .pre_vectors = 1 }, cpumask_first_n(8), far_siblings, w);
}

static void test_smt_adjacent_siblings(void **state)
{
	(void)state;
	static const struct want w4[] = { M("0-1"), M("2-3"), M("4-5"), M("6-7") };
	spread(4, (struct irq_affinity){ 0 }, cpumask_first_n(8), adjacent_siblings, w4);
	static const struct want w3[] = { M("0-2"), M("3-5"), M("6-7") };
	spread(3, (struct irq_affinity){ 0 }, cpumask_first_n(8), adjacent_siblings, w3);
}

/* Siblings outside cpus (CPUs 4 and 5 offline) are not handed out. */
static void test_smt_siblings_outside_cpus_ignored(void **state)
{
	(void)state;
	static const unsigned list[] = { 0, 1, 2, 3, 6, 7 };
	static const struct want w[] = { M("0-1"), M("2,6"), M("3,7") };
	spread(3, (struct irq_affinity){ 0 }, cpus_of(list, 6), far_siblings, w);
}

static void test_non_contiguous_cpus(void **state)
{
	(void)state;
	static const unsigned list[] = { 1, 3, 4, 5, 9, 12 };
	static const struct want w[] = { U("1,3-5,9,12"), M("1,3"), M("4-5"), M("9"), M("12") };
	spread(5, (struct irq_affinity){ .pre_vectors = 1 }, cpus_of(list, 6), NULL, w);
}

static void test_single_cpu(void **state)
{
	(void)state;
	static const struct want w[] = { U("2"), M("2"), M("2"), M("2") };
	spread(4, (struct irq_affinity){ .pre_vectors = 1 }, cpumask_of(2), NULL, w);
}

/* Every one of 64 CPUs, including CPU 63 at the top bit. */
static void test_all_64_cpus(void **state)
{
	(void)state;
	cpumask_t all = cpumask_first_n(64);
	memset(masks, 0, sizeof(masks));
	assert_int_equal(irq_create_affinity_masks(65, &(struct irq_affinity){ .pre_vectors = 1 },
						   all, NULL, masks), 0);
	assert_true(cpumask_equal(masks[0].mask, all));
	for (unsigned v = 1; v < 65; v++)
		assert_true(cpumask_equal(masks[v].mask, cpumask_of(v - 1)));
}

static void expect_rejected(unsigned nvec, const struct irq_affinity *affd, cpumask_t cpus)
{
	struct irq_affinity_desc out[MAXV];
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(irq_create_affinity_masks(nvec, affd, cpus, NULL, out), -1);
	for (size_t i = 0; i < sizeof(out); i++)  /* nothing written on failure */
		assert_int_equal(((unsigned char *)out)[i], 0xa5);
}

static void test_bad_input_rejected(void **state)
{
	(void)state;
	cpumask_t c8 = cpumask_first_n(8);
	expect_rejected(0, &(struct irq_affinity){ 0 }, c8);
	expect_rejected(1, &(struct irq_affinity){ .pre_vectors = 1 }, c8);
	expect_rejected(3, &(struct irq_affinity){ .pre_vectors = 1, .post_vectors = 2 }, c8);
	expect_rejected(3, &(struct irq_affinity){ .pre_vectors = 4 }, c8);
	expect_rejected(3, &(struct irq_affinity){ .pre_vectors = 1, .post_vectors = ~0u }, c8);
	expect_rejected(4, &(struct irq_affinity){ 0 }, CPUMASK_NONE);
	/* sets that do not add up to the 4 spread vectors */
	expect_rejected(5, &(struct irq_affinity){ 1, 0, 2, { 2, 1 } }, c8);
	expect_rejected(5, &(struct irq_affinity){ 1, 0, 2, { 2, 3 } }, c8);
	expect_rejected(5, &(struct irq_affinity){ 1, 0, 2, { 4, 0 } }, c8);
	expect_rejected(5, &(struct irq_affinity){ 1, 0, 2, { ~0u, 5 } }, c8);
	expect_rejected(9, &(struct irq_affinity){ 1, 0, IRQ_AFFINITY_MAX_SETS + 1, { 2, 2, 2, 2 } }, c8);
	assert_int_equal(irq_create_affinity_masks(4, NULL, c8, NULL, NULL), -1);
}

static void test_max_sets(void **state)
{
	(void)state;
	static const struct want w[] = { U("0-3"), M("0-3"), M("0-1"), M("2-3"),
					 M("0-1"), M("2-3"), M("0"), M("1"), M("2"), M("3") };
	struct irq_affinity affd = { 1, 0, IRQ_AFFINITY_MAX_SETS, { 1, 2, 2, 4 } };
	spread(10, affd, cpumask_first_n(4), NULL, w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_8cpus_9vectors),
		cmocka_unit_test(test_virtio_blk_8cpus_5vectors),
		cmocka_unit_test(test_more_vectors_than_cpus),
		cmocka_unit_test(test_uneven_8_onto_3),
		cmocka_unit_test(test_uneven_6_onto_4),
		cmocka_unit_test(test_two_sets),
		cmocka_unit_test(test_two_sets_of_different_sizes),
		cmocka_unit_test(test_max_sets),
		cmocka_unit_test(test_post_vectors),
		cmocka_unit_test(test_no_pre_vectors_and_null_affd),
		cmocka_unit_test_setup(test_smt_far_siblings_share_a_vector, setup_siblings),
		cmocka_unit_test_setup(test_smt_far_siblings_limited_by_room, setup_siblings),
		cmocka_unit_test_setup(test_smt_one_cpu_per_vector, setup_siblings),
		cmocka_unit_test_setup(test_smt_adjacent_siblings, setup_siblings),
		cmocka_unit_test_setup(test_smt_siblings_outside_cpus_ignored, setup_siblings),
		cmocka_unit_test(test_non_contiguous_cpus),
		cmocka_unit_test(test_single_cpu),
		cmocka_unit_test(test_all_64_cpus),
		cmocka_unit_test(test_bad_input_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
