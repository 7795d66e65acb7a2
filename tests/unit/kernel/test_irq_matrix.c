/* The per-CPU vector matrix: allocation order, CPUs independent of each
 * other, exhaustion and release, least-loaded placement, reservations,
 * invalid arguments and double free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/irq_matrix.h"

/* The kernel's device range (arch/x86_64/apic.h): 0xc0 vectors per CPU. */
#define FIRST 0x30
#define LAST 0xef
#define PER_CPU (LAST - FIRST + 1)

static struct irq_matrix m;

static void test_init_counts(void **state)
{
	(void)state;
	irq_matrix_init(&m, 4, FIRST, LAST);
	for (unsigned cpu = 0; cpu < 4; cpu++)
		assert_int_equal(irq_matrix_available(&m, cpu), PER_CPU);
	assert_int_equal(irq_matrix_available(&m, 4), 0);
	assert_false(irq_matrix_allocated(&m, 0, FIRST));
}

static void test_alloc_lowest_first(void **state)
{
	(void)state;
	irq_matrix_init(&m, 2, FIRST, LAST);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x30);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x31);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x32);
	assert_true(irq_matrix_allocated(&m, 0, 0x31));
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 3);
	/* a hole is filled before going higher */
	irq_matrix_free(&m, 0, 0x31);
	assert_false(irq_matrix_allocated(&m, 0, 0x31));
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x31);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x33);
}

/* Crossing the 64-bit word boundaries of the bitmap (0x40, 0x80, 0xc0). */
static void test_alloc_crosses_words(void **state)
{
	(void)state;
	irq_matrix_init(&m, 1, FIRST, LAST);
	for (int v = FIRST; v <= LAST; v++)
		assert_int_equal(irq_matrix_alloc(&m, 0), v);
	irq_matrix_free(&m, 0, 0xc0);
	irq_matrix_free(&m, 0, 0x80);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x80);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0xc0);
}

static void test_cpus_are_independent(void **state)
{
	(void)state;
	irq_matrix_init(&m, 3, FIRST, LAST);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x30);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x31);
	assert_int_equal(irq_matrix_alloc(&m, 1), 0x30);
	assert_false(irq_matrix_allocated(&m, 2, 0x30));
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 2);
	assert_int_equal(irq_matrix_available(&m, 1), PER_CPU - 1);
	assert_int_equal(irq_matrix_available(&m, 2), PER_CPU);
	irq_matrix_free(&m, 1, 0x30);
	assert_true(irq_matrix_allocated(&m, 0, 0x30));
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 2);
}

static void test_exhaustion_and_release(void **state)
{
	(void)state;
	irq_matrix_init(&m, 2, 0x30, 0x33);
	for (int v = 0x30; v <= 0x33; v++)
		assert_int_equal(irq_matrix_alloc(&m, 1), v);
	assert_int_equal(irq_matrix_available(&m, 1), 0);
	assert_int_equal(irq_matrix_alloc(&m, 1), -1);
	assert_int_equal(irq_matrix_alloc(&m, 1), -1);
	assert_int_equal(irq_matrix_available(&m, 1), 0);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x30); /* the other CPU is untouched */
	irq_matrix_free(&m, 1, 0x32);
	assert_int_equal(irq_matrix_available(&m, 1), 1);
	assert_int_equal(irq_matrix_alloc(&m, 1), 0x32);
	assert_int_equal(irq_matrix_alloc(&m, 1), -1);
}

static void test_alloc_on_least_loaded(void **state)
{
	(void)state;
	unsigned cpu = 99;
	irq_matrix_init(&m, 4, FIRST, LAST);
	irq_matrix_alloc(&m, 0);
	irq_matrix_alloc(&m, 0);
	irq_matrix_alloc(&m, 1);
	cpumask_t mask = cpumask_first_n(3); /* CPUs 0-2; 2 is idle */
	assert_int_equal(irq_matrix_alloc_on(&m, mask, &cpu), 0x30);
	assert_int_equal(cpu, 2);
	/* now 1 and 2 have one each: the tie goes to the lower CPU */
	assert_int_equal(irq_matrix_alloc_on(&m, mask, &cpu), 0x31);
	assert_int_equal(cpu, 1);
	assert_int_equal(irq_matrix_alloc_on(&m, mask, &cpu), 0x31);
	assert_int_equal(cpu, 2);
	/* all equal (two each): the lowest CPU */
	assert_int_equal(irq_matrix_alloc_on(&m, mask, &cpu), 0x32);
	assert_int_equal(cpu, 0);
	/* only CPUs of the mask are considered; NULL cpu_out is allowed */
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_of(1), NULL), 0x32);
	assert_true(irq_matrix_allocated(&m, 1, 0x32));
	assert_int_equal(irq_matrix_available(&m, 3), PER_CPU);
}

static void test_alloc_on_full_or_empty_mask(void **state)
{
	(void)state;
	unsigned cpu = 99;
	irq_matrix_init(&m, 2, 0x30, 0x30);
	assert_int_equal(irq_matrix_alloc_on(&m, CPUMASK_NONE, &cpu), -1);
	assert_int_equal(cpu, 99);
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_first_n(2), &cpu), 0x30);
	assert_int_equal(cpu, 0);
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_first_n(2), &cpu), 0x30);
	assert_int_equal(cpu, 1);
	cpu = 99;
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_first_n(2), &cpu), -1);
	assert_int_equal(cpu, 99);
	/* CPUs past nr_cpus do not exist */
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_of(5), &cpu), -1);
	assert_int_equal(cpu, 99);
}

static void test_reserve(void **state)
{
	(void)state;
	irq_matrix_init(&m, 2, FIRST, LAST);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x30), 0);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x32), 0);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x32), -1); /* already taken */
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 2);
	/* allocation steps around reserved vectors */
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x31);
	assert_int_equal(irq_matrix_alloc(&m, 0), 0x33);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x33), -1);
	/* the range bounds are inclusive */
	assert_int_equal(irq_matrix_reserve(&m, 1, LAST), 0);
	assert_int_equal(irq_matrix_reserve(&m, 1, FIRST - 1), -1);
	assert_int_equal(irq_matrix_reserve(&m, 1, LAST + 1), -1);
	assert_int_equal(irq_matrix_available(&m, 1), PER_CPU - 1);
	irq_matrix_free(&m, 0, 0x32);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x32), 0);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	irq_matrix_init(&m, 2, FIRST, LAST);
	assert_int_equal(irq_matrix_alloc(&m, 2), -1);
	assert_int_equal(irq_matrix_alloc(&m, MAX_CPUS), -1);
	assert_int_equal(irq_matrix_alloc(&m, ~0u), -1);
	assert_int_equal(irq_matrix_reserve(&m, 2, 0x40), -1);
	assert_int_equal(irq_matrix_reserve(&m, 0, 256), -1);
	assert_int_equal(irq_matrix_reserve(&m, 0, ~0u), -1);
	assert_int_equal(irq_matrix_reserve(&m, 0, 0x02), -1);  /* an exception vector */
	assert_int_equal(irq_matrix_reserve(&m, 0, 0xff), -1);  /* spurious */
	assert_false(irq_matrix_allocated(&m, 0, ~0u));
	assert_false(irq_matrix_allocated(&m, ~0u, 0x30));
	assert_int_equal(irq_matrix_available(&m, ~0u), 0);
	irq_matrix_free(&m, ~0u, 0x30);
	irq_matrix_free(&m, 0, ~0u);
	irq_matrix_free(&m, 0, 0x10);
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU);
	assert_int_equal(irq_matrix_available(&m, 1), PER_CPU);
}

static void test_double_free_ignored(void **state)
{
	(void)state;
	irq_matrix_init(&m, 1, FIRST, LAST);
	int v = irq_matrix_alloc(&m, 0);
	irq_matrix_alloc(&m, 0);
	irq_matrix_free(&m, 0, (unsigned)v);
	irq_matrix_free(&m, 0, (unsigned)v);
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 1);
	irq_matrix_free(&m, 0, 0x50); /* never allocated */
	assert_int_equal(irq_matrix_available(&m, 0), PER_CPU - 1);
	assert_true(irq_matrix_allocated(&m, 0, 0x31));
}

static void test_init_clamps_and_resets(void **state)
{
	(void)state;
	irq_matrix_init(&m, 1, FIRST, LAST);
	irq_matrix_alloc(&m, 0);
	/* re-init forgets earlier allocations */
	irq_matrix_init(&m, MAX_CPUS + 10, 0xf0, 1000);
	assert_false(irq_matrix_allocated(&m, 0, FIRST));
	assert_int_equal(irq_matrix_available(&m, MAX_CPUS - 1), 16);
	assert_int_equal(irq_matrix_available(&m, MAX_CPUS), 0);
	assert_int_equal(irq_matrix_reserve(&m, MAX_CPUS - 1, 0xff), 0);
	/* first > last: nothing to hand out */
	irq_matrix_init(&m, 2, 0x40, 0x3f);
	assert_int_equal(irq_matrix_available(&m, 0), 0);
	assert_int_equal(irq_matrix_alloc(&m, 0), -1);
	assert_int_equal(irq_matrix_alloc_on(&m, cpumask_first_n(2), NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_counts),
		cmocka_unit_test(test_alloc_lowest_first),
		cmocka_unit_test(test_alloc_crosses_words),
		cmocka_unit_test(test_cpus_are_independent),
		cmocka_unit_test(test_exhaustion_and_release),
		cmocka_unit_test(test_alloc_on_least_loaded),
		cmocka_unit_test(test_alloc_on_full_or_empty_mask),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_double_free_ignored),
		cmocka_unit_test(test_init_clamps_and_resets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
