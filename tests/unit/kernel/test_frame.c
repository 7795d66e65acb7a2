/* The frame allocator over made-up memory maps: fragmentation, reserved
 * ranges, alignment, exhaustion, free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/frame.h"

#define MiB (1ull << 20)
#define R(b, sz, t) { (b), (sz) / FRAME_SIZE, (t), 0 }

static uint64_t bitmap[4096];

static void init(struct frame_allocator *fa, const struct boot_mem_region *r, unsigned n,
		 const struct boot_reserved *rsv, unsigned nrsv)
{
	size_t bytes = frame_bitmap_bytes(r, n);
	assert_true(bytes <= sizeof(bitmap));
	uint64_t at = frame_bitmap_place(r, n, rsv, nrsv, bytes);
	assert_int_not_equal(at, 0);
	frame_init(fa, r, n, rsv, nrsv, bitmap, at);
}

/* 0-640K usable, hole, 1M-8M usable, 8M-9M reserved, 9M-16M usable */
static const struct boot_mem_region fragmented[] = {
	R(0, 640 * 1024, BOOT_MEM_USABLE),
	R(1 * MiB, 7 * MiB, BOOT_MEM_USABLE),
	R(8 * MiB, 1 * MiB, BOOT_MEM_RESERVED),
	R(9 * MiB, 7 * MiB, BOOT_MEM_USABLE),
};

static void test_counts(void **state)
{
	(void)state;
	struct frame_allocator fa;
	init(&fa, fragmented, 4, NULL, 0);
	assert_int_equal(fa.total, (640 * 1024 + 14 * MiB) / FRAME_SIZE);
	/* below 1 MiB is never free; the bitmap (1 page here) is in use */
	assert_int_equal(fa.free, 14 * MiB / FRAME_SIZE - 1);
}

static void test_never_returns_holes_or_reserved(void **state)
{
	(void)state;
	struct frame_allocator fa;
	struct boot_reserved rsv[] = { { 2 * MiB, 1 * MiB, BOOT_RSV_KERNEL, 0 } };
	init(&fa, fragmented, 4, rsv, 1);
	uint64_t p;
	while ((p = frame_alloc(&fa, 1, 1)) != 0) {
		assert_true(p >= 1 * MiB);
		assert_false(p >= 8 * MiB && p < 9 * MiB);
		assert_false(p >= 2 * MiB && p < 3 * MiB);
		assert_true(p < 16 * MiB);
	}
	assert_int_equal(fa.free, 0);
}

static void test_contiguous_across_hole_is_refused(void **state)
{
	(void)state;
	struct frame_allocator fa;
	init(&fa, fragmented, 4, NULL, 0);
	/* 7 MiB runs exist on both sides of the hole, 8 MiB does not */
	assert_int_equal(frame_alloc(&fa, 8 * MiB / FRAME_SIZE, 1), 0);
	uint64_t p = frame_alloc(&fa, 7 * MiB / FRAME_SIZE, 1);
	assert_int_equal(p, 9 * MiB);
}

static void test_alignment(void **state)
{
	(void)state;
	struct frame_allocator fa;
	init(&fa, fragmented, 4, NULL, 0);
	frame_alloc(&fa, 1, 1); /* misalign the hint */
	for (int i = 0; i < 5; i++) {
		uint64_t p = frame_alloc(&fa, 16, 16);
		assert_int_not_equal(p, 0);
		assert_int_equal(p % (16 * FRAME_SIZE), 0);
	}
	uint64_t p = frame_alloc(&fa, 1, 512); /* 2 MiB aligned */
	assert_int_equal(p % (2 * MiB), 0);
	assert_int_equal(frame_alloc(&fa, 1, 3), 0); /* not a power of two */
	assert_int_equal(frame_alloc(&fa, 0, 1), 0);
}

static void test_exhaustion_and_free(void **state)
{
	(void)state;
	static const struct boot_mem_region small[] = { R(1 * MiB, 64 * FRAME_SIZE, BOOT_MEM_USABLE) };
	struct frame_allocator fa;
	init(&fa, small, 1, NULL, 0);
	uint64_t before = fa.free;
	uint64_t a = frame_alloc(&fa, before, 1);
	assert_int_not_equal(a, 0);
	assert_int_equal(fa.free, 0);
	assert_int_equal(frame_alloc(&fa, 1, 1), 0);
	frame_free(&fa, a + 4 * FRAME_SIZE, 8);
	assert_int_equal(fa.free, 8);
	assert_int_equal(frame_alloc(&fa, 9, 1), 0);
	assert_int_equal(frame_alloc(&fa, 8, 1), a + 4 * FRAME_SIZE);
	frame_free(&fa, a, before);
	assert_int_equal(fa.free, before);
	frame_free(&fa, a, before); /* double free does not inflate the count */
	assert_int_equal(fa.free, before);
}

static void test_bitmap_placed_past_reserved(void **state)
{
	(void)state;
	static const struct boot_mem_region r[] = { R(1 * MiB, 4 * MiB, BOOT_MEM_USABLE) };
	struct boot_reserved rsv[] = { { 1 * MiB, 8192, BOOT_RSV_KERNEL, 0 },
				       { 1 * MiB + 8192, 4096, BOOT_RSV_BOOT_INFO, 0 } };
	uint64_t at = frame_bitmap_place(r, 1, rsv, 2, 100);
	assert_int_equal(at, 1 * MiB + 12288);
	assert_int_equal(frame_bitmap_place(r, 1, rsv, 2, 8 * MiB), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_never_returns_holes_or_reserved),
		cmocka_unit_test(test_contiguous_across_hole_is_refused),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_exhaustion_and_free),
		cmocka_unit_test(test_bitmap_placed_past_reserved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
