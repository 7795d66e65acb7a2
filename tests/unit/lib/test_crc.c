/*
 * CRC-32 and CRC-32C: published check values, then the table path against a
 * bit-at-a-time reference written here, and the SSE4.2 instruction path
 * against the table path (when this CPU has SSE4.2; skipped otherwise), on
 * pseudo-random buffers of every length 0..300 at every start offset 0..7,
 * and chained in two pieces split at every point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/crc.h"

#define MAX_LEN 300
#define MAX_SKEW 8 /* start offsets 0..7 cover every alignment of a quadword load */

typedef uint32_t crc_fn(uint32_t crc, const void *buf, size_t len);

static uint8_t data[MAX_LEN + MAX_SKEW];

/* Reference: the textbook reflected CRC, one bit at a time, inverted in and out. */
static uint32_t ref_crc(uint32_t poly, uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ poly : crc >> 1;
	}
	return ~crc;
}

static uint32_t ref_crc32(uint32_t crc, const void *p, size_t n)
{
	return ref_crc(0xEDB88320u, crc, p, n);
}

static uint32_t ref_crc32c(uint32_t crc, const void *p, size_t n)
{
	return ref_crc(0x82F63B78u, crc, p, n);
}

static int fill_random(void **state)
{
	(void)state;
	uint64_t x = 0x9E3779B97F4A7C15ull; /* fixed seed: failures reproduce */
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (uint8_t)(x >> 24);
	}
	return 0;
}

/* fn(seed, data + skew, len) == want(seed, data + skew, len) for all lengths and skews */
static void compare_all(crc_fn *fn, crc_fn *want, uint32_t seed)
{
	for (size_t skew = 0; skew < MAX_SKEW; skew++)
		for (size_t len = 0; len <= MAX_LEN; len++) {
			uint32_t got = fn(seed, data + skew, len), exp = want(seed, data + skew, len);
			if (got != exp)
				fail_msg("len %zu skew %zu seed %#x: got %#010x, want %#010x", len, skew,
					 seed, got, exp);
		}
}

/* Computing in two pieces, split anywhere, gives the one-piece result. */
static void check_chaining(crc_fn *fn)
{
	for (size_t skew = 0; skew < MAX_SKEW; skew += 3) {
		const uint8_t *p = data + skew;
		uint32_t whole = fn(0, p, MAX_LEN);
		for (size_t cut = 0; cut <= MAX_LEN; cut++)
			assert_int_equal(fn(fn(0, p, cut), p + cut, MAX_LEN - cut), whole);
	}
}

static void test_crc32_check_values(void **state)
{
	(void)state;
	assert_int_equal(crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
	assert_int_equal(crc32(0, "", 0), 0);
	assert_int_equal(crc32(0x12345678u, NULL, 0), 0x12345678u); /* empty input keeps the CRC */
}

/* RFC 3720 (iSCSI) appendix B.4 check values, plus the catalogue's "123456789". */
static void check_crc32c_values(crc_fn *fn)
{
	uint8_t b[32];
	assert_int_equal(fn(0, "123456789", 9), 0xE3069283u);
	memset(b, 0, sizeof(b));
	assert_int_equal(fn(0, b, sizeof(b)), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(fn(0, b, sizeof(b)), 0x62A8AB43u);
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	assert_int_equal(fn(0, b, sizeof(b)), 0x46DD794Eu);
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(fn(0, b, sizeof(b)), 0x113FDB5Cu);
	assert_int_equal(fn(0, "", 0), 0);
}

static void test_crc32c_check_values(void **state)
{
	(void)state;
	check_crc32c_values(crc32c);
	check_crc32c_values(crc32c_sw);
}

static void test_crc32c_hw_check_values(void **state)
{
	(void)state;
	if (!crc32c_hw_available())
		skip();
	check_crc32c_values(crc32c_hw);
}

static void test_crc32_tables_match_reference(void **state)
{
	(void)state;
	compare_all(crc32, ref_crc32, 0);
	compare_all(crc32, ref_crc32, 0xDEADBEEFu);
	check_chaining(crc32);
}

static void test_crc32c_tables_match_reference(void **state)
{
	(void)state;
	compare_all(crc32c_sw, ref_crc32c, 0);
	compare_all(crc32c_sw, ref_crc32c, 0xDEADBEEFu);
	check_chaining(crc32c_sw);
}

static void test_crc32c_hw_matches_tables(void **state)
{
	(void)state;
	if (!crc32c_hw_available()) {
		printf("# no SSE4.2 on this CPU: the instruction path is not tested\n");
		skip();
	}
	compare_all(crc32c_hw, crc32c_sw, 0);
	compare_all(crc32c_hw, crc32c_sw, 0xDEADBEEFu);
	compare_all(crc32c, crc32c_sw, 0x01234567u);
	check_chaining(crc32c_hw);
}

/* A larger buffer, so the quadword and slicing loops run long, hw against sw. */
static void test_crc32c_large_buffer(void **state)
{
	(void)state;
	size_t n = 1 << 20;
	uint8_t *big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i <= n; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 9));
	uint32_t sw = crc32c_sw(0, big + 1, n);
	assert_int_equal(sw, ref_crc32c(0, big + 1, n));
	if (crc32c_hw_available())
		assert_int_equal(crc32c_hw(0, big + 1, n), sw);
	assert_int_equal(crc32(0, big + 1, n), ref_crc32(0, big + 1, n));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_check_values),
		cmocka_unit_test(test_crc32c_check_values),
		cmocka_unit_test(test_crc32c_hw_check_values),
		cmocka_unit_test(test_crc32_tables_match_reference),
		cmocka_unit_test(test_crc32c_tables_match_reference),
		cmocka_unit_test(test_crc32c_hw_matches_tables),
		cmocka_unit_test(test_crc32c_large_buffer),
	};
	return cmocka_run_group_tests(tests, fill_random, NULL);
}
