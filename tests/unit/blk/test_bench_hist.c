/* The log-linear latency histogram behind bench's percentiles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blk/bench_hist.h"

static struct bench_hist h, h2;

/* Buckets are ordered, each value lands in the bucket whose range holds it,
 * and a bucket is at most 1/16 of its lower bound wide. */
static void test_buckets(void **state)
{
	(void)state;
	unsigned prev = 0;
	for (uint64_t v = 0; v < (1ull << 40); v = v < 64 ? v + 1 : v + v / 7) {
		unsigned b = bench_hist_bucket(v);
		assert_true(b >= prev);
		assert_true(b < BENCH_HIST_BUCKETS);
		assert_true(bench_hist_bucket_low(b) <= v);
		assert_true(bench_hist_bucket_low(b + 1) > v);
		if (v >= BENCH_HIST_SUB)
			assert_true(bench_hist_bucket_low(b + 1) - bench_hist_bucket_low(b) <= bench_hist_bucket_low(b) / 16 + 1);
		prev = b;
	}
	/* the top power of two's last sub-bucket: the largest index in use */
	assert_int_equal(bench_hist_bucket(UINT64_MAX), (64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB - 1);
}

/* 1..10000 us uniformly: each percentile within 1/16 of the true value. */
static void test_percentiles(void **state)
{
	(void)state;
	bench_hist_init(&h);
	for (uint64_t us = 1; us <= 10000; us++)
		bench_hist_add(&h, us * 1000);
	const double pcts[] = { 1, 5, 10, 50, 90, 99, 99.9, 99.99 };
	for (unsigned i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		double truth = pcts[i] * 100.0 * 1000.0, got = (double)bench_hist_percentile(&h, pcts[i]);
		assert_true(fabs(got - truth) <= truth / 16 + 1000);
	}
	assert_int_equal(bench_hist_percentile(&h, 100), 10000 * 1000);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 10000000);
	assert_true(fabs(bench_hist_mean(&h) - 5000.5 * 1000) < 1);
	assert_true(fabs(bench_hist_stdev(&h) - 2886.75 * 1000) < 1000);
}

static void test_merge_and_empty(void **state)
{
	(void)state;
	bench_hist_init(&h);
	bench_hist_init(&h2);
	assert_int_equal(bench_hist_percentile(&h, 50), 0);
	assert_true(bench_hist_mean(&h) == 0 && bench_hist_stdev(&h) == 0);
	for (int i = 0; i < 100; i++)
		bench_hist_add(&h, 100);
	for (int i = 0; i < 100; i++)
		bench_hist_add(&h2, 1000000);
	bench_hist_merge(&h, &h2);
	assert_int_equal(h.n, 200);
	assert_int_equal(h.min, 100);
	assert_int_equal(h.max, 1000000);
	uint64_t p50 = bench_hist_percentile(&h, 50); /* a bucket midpoint: 100..103 */
	assert_true(p50 >= 100 && p50 < 104);
	assert_true(bench_hist_percentile(&h, 51) >= 1000000 - 1000000 / 16);
	assert_true(fabs(bench_hist_stdev(&h) - 499950) < 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_merge_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
