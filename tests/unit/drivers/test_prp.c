/*
 * PRP construction (drivers/nvme/prp.c): every alignment and length edge of
 * PRP1/PRP2, list pages full and chained, multi-segment requests, layouts PRPs
 * cannot describe, too-long requests, 4 KiB and 64 KiB memory pages.
 *
 * Each result is checked by reading the PRPs back the way a controller does
 * (§4.1.1: PRP1 up to its page end, then PRP2 as a page or a list whose last
 * slot chains only when more entries remain) into (address, length) runs and
 * comparing them with the segments given. Data addresses are made up and
 * never touched; list pages are real memory with phys == virt.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/nvme/prp.h"

#define KiB 1024u
#define PG4 (4 * KiB)
#define PG64 (64 * KiB)
#define BASE 0x100000000ull /* made-up data addresses above 4 GiB */
#define POISON 0xdeadbeefdeadbeefull
#define MAX_SEGS 64
#define MAX_RUNS 64

struct seg {
	uint64_t phys;
	uint32_t len;
};

struct seg_iter {
	const struct seg *s;
	unsigned n, i;
	unsigned calls; /* how many times next was called */
};

static bool seg_next(void *ctx, uint64_t *phys, uint32_t *len)
{
	struct seg_iter *it = ctx;
	it->calls++;
	if (it->i == it->n)
		return false;
	*phys = it->s[it->i].phys;
	*len = it->s[it->i].len;
	it->i++;
	return true;
}

struct run {
	uint64_t addr;
	uint64_t len;
};

struct runs {
	struct run r[MAX_RUNS];
	unsigned n;
};

static void runs_add(struct runs *rs, uint64_t addr, uint64_t len)
{
	if (rs->n && rs->r[rs->n - 1].addr + rs->r[rs->n - 1].len == addr) {
		rs->r[rs->n - 1].len += len;
		return;
	}
	assert_true(rs->n < MAX_RUNS);
	rs->r[rs->n++] = (struct run){ addr, len };
}

/* ---- the controller's reading of PRP1/PRP2 ---- */

struct walk {
	struct runs runs;
	unsigned list_pages; /* list pages the controller visited */
	unsigned entries;    /* data entries after PRP1 */
};

static void walk_prps(uint32_t ps, uint64_t prp1, uint64_t prp2, uint64_t total, struct walk *w)
{
	uint64_t mask = ps - 1;
	memset(w, 0, sizeof(*w));
	assert_int_equal(prp1 & 3, 0);
	uint64_t first = ps - (prp1 & mask);
	if (first > total)
		first = total;
	runs_add(&w->runs, prp1, first);
	uint64_t left = total - first;
	if (left == 0) {
		assert_int_equal(prp2, 0); /* our contract; the spec leaves it unused */
		return;
	}
	if (left <= ps) {
		assert_int_equal(prp2 & mask, 0);
		runs_add(&w->runs, prp2, left);
		w->entries = 1;
		return;
	}
	uint64_t per_page = ps / 8, nr = (left + ps - 1) / ps;
	const uint64_t *list = (const uint64_t *)(uintptr_t)prp2;
	assert_int_equal(prp2 & mask, 0);
	w->list_pages = 1;
	for (uint64_t i = 0; nr; ) {
		if (i == per_page - 1 && nr > 1) {
			assert_int_equal(list[i] & mask, 0);
			list = (const uint64_t *)(uintptr_t)list[i];
			w->list_pages++;
			i = 0;
			continue;
		}
		uint64_t e = list[i++];
		assert_int_equal(e & mask, 0); /* list entries have no offset */
		uint64_t l = left < ps ? left : ps;
		runs_add(&w->runs, e, l);
		left -= l;
		nr--;
		w->entries++;
	}
}

/* ---- fixture: list pages ---- */

static struct nvme_prp_lists lists;
static uint32_t lists_ps;

static void lists_alloc(uint32_t ps, unsigned nr)
{
	for (unsigned i = 0; i < NVME_MAX_PRP_LIST_PAGES; i++) {
		free(lists.virt[i]);
		lists.virt[i] = NULL;
		lists.phys[i] = 0;
	}
	for (unsigned i = 0; i < nr; i++) {
		lists.virt[i] = aligned_alloc(ps, ps);
		assert_non_null(lists.virt[i]);
		for (unsigned j = 0; j < ps / 8; j++)
			lists.virt[i][j] = POISON;
		lists.phys[i] = (uintptr_t)lists.virt[i];
	}
	lists.nr = nr;
	lists_ps = ps;
}

/* All list pages of page size ps, unless a test chose fewer for this size. */
static void lists_need(uint32_t ps)
{
	if (lists_ps != ps || lists.nr == 0)
		lists_alloc(ps, NVME_MAX_PRP_LIST_PAGES);
}

static int teardown(void **state)
{
	(void)state;
	lists_alloc(PG4, 0);
	return 0;
}

/* Runs nvme_setup_prps over segs and returns its result; on success checks
 * the read-back runs against the segments. */
static int check(uint32_t ps, const struct seg *segs, unsigned n, uint32_t total, struct walk *w)
{
	lists_need(ps);
	struct seg_iter it = { segs, n, 0, 0 };
	uint64_t prp1 = POISON, prp2 = POISON;
	int rc = nvme_setup_prps(seg_next, &it, total, ps, &lists, &prp1, &prp2);
	if (rc)
		return rc;
	struct walk local;
	if (!w)
		w = &local;
	walk_prps(ps, prp1, prp2, total, w);
	struct runs want = { .n = 0 };
	for (unsigned i = 0; i < n; i++)
		runs_add(&want, segs[i].phys, segs[i].len);
	assert_int_equal(w->runs.n, want.n);
	for (unsigned i = 0; i < want.n; i++) {
		assert_int_equal(w->runs.r[i].addr, want.r[i].addr);
		assert_int_equal(w->runs.r[i].len, want.r[i].len);
	}
	assert_int_equal(it.i, n); /* every segment was used */
	return 0;
}

/* One contiguous segment. */
static int check1(uint32_t ps, uint64_t phys, uint32_t len, struct walk *w)
{
	struct seg s = { phys, len };
	return check(ps, &s, 1, len, w);
}

static uint64_t prp2_of(uint32_t ps, uint64_t phys, uint32_t len)
{
	struct seg s = { phys, len };
	struct seg_iter it = { &s, 1, 0, 0 };
	uint64_t prp1, prp2;
	lists_need(ps);
	assert_int_equal(nvme_setup_prps(seg_next, &it, len, ps, &lists, &prp1, &prp2), 0);
	assert_int_equal(prp1, phys);
	return prp2;
}

/* ---- one page or less: PRP2 = 0 ---- */

static void test_within_first_page(void **state)
{
	(void)state;
	static const uint32_t offs[] = { 0, 4, 512, 4092 };
	for (unsigned i = 0; i < 4; i++) {
		uint64_t p = BASE + offs[i];
		uint32_t to_end = PG4 - offs[i];
		assert_int_equal(prp2_of(PG4, p, 4), 0);      /* dword granularity */
		assert_int_equal(prp2_of(PG4, p, 1), 0);      /* even one byte */
		assert_int_equal(prp2_of(PG4, p, to_end), 0); /* exactly to the page end */
		if (to_end >= 512)
			assert_int_equal(prp2_of(PG4, p, 512), 0);
		assert_int_equal(check1(PG4, p, to_end, NULL), 0);
	}
}

/* ---- one byte (or block) into the second page: PRP2 = that page ---- */

static void test_into_second_page(void **state)
{
	(void)state;
	assert_int_equal(prp2_of(PG4, BASE, PG4 + 1), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE, PG4 + 4), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 4, PG4 - 4 + 4), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 4092, 8), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 4092, 512), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 3584, 1024), BASE + PG4);
	struct walk w;
	assert_int_equal(check1(PG4, BASE + 4092, 512, &w), 0);
	assert_int_equal(w.entries, 1);
	assert_int_equal(w.list_pages, 0);
}

/* ---- exactly two pages: still PRP2 = page; a dword more needs a list ---- */

static void test_exactly_two_pages(void **state)
{
	(void)state;
	assert_int_equal(prp2_of(PG4, BASE, 2 * PG4), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 4, 2 * PG4 - 4), BASE + PG4);
	assert_int_equal(prp2_of(PG4, BASE + 4092, PG4 + 4), BASE + PG4);
	/* the same lengths shifted by a dword spill into a third page */
	assert_int_equal(prp2_of(PG4, BASE + 4, 2 * PG4), lists.phys[0]);
	assert_int_equal(prp2_of(PG4, BASE + 4092, PG4 + 8), lists.phys[0]);
	assert_int_equal(prp2_of(PG4, BASE, 2 * PG4 + 4), lists.phys[0]);
}

static void test_two_pages_plus_one_entry(void **state)
{
	(void)state;
	struct walk w;
	assert_int_equal(check1(PG4, BASE, 3 * PG4, &w), 0);
	assert_int_equal(w.list_pages, 1);
	assert_int_equal(w.entries, 2);
	assert_int_equal(lists.virt[0][0], BASE + PG4);
	assert_int_equal(lists.virt[0][1], BASE + 2 * PG4);
	assert_int_equal(lists.virt[0][2], POISON); /* nothing written past the entries */

	assert_int_equal(check1(PG4, BASE + 4092, 2 * PG4 + 512, &w), 0);
	assert_int_equal(w.entries, 3); /* 4 bytes, 4 KiB, 4 KiB, 508 bytes */
	assert_int_equal(check1(PG4, BASE + 512, 2 * PG4 + 512, &w), 0);
	assert_int_equal(w.entries, 2);
}

/* ---- a full list page, then one entry more (chain) ---- */

static void full_list_then_chain(uint32_t ps)
{
	uint32_t per = ps / 8;
	struct walk w;
	/* PRP1's page plus exactly one list page of entries */
	assert_int_equal(check1(ps, BASE, ps + per * ps, &w), 0);
	assert_int_equal(w.list_pages, 1);
	assert_int_equal(w.entries, per);
	assert_int_equal(lists.virt[0][per - 1], BASE + (uint64_t)per * ps); /* data, not a chain */
	assert_int_equal(lists.virt[1][0], POISON);

	/* the same from offset 4 needs one entry more */
	lists_alloc(ps, NVME_MAX_PRP_LIST_PAGES);
	assert_int_equal(check1(ps, BASE + 4, ps + per * ps, &w), 0);
	assert_int_equal(w.list_pages, 2);
	assert_int_equal(w.entries, per + 1);
	assert_int_equal(lists.virt[0][per - 1], lists.phys[1]); /* chain */
	assert_int_equal(lists.virt[1][0], BASE + (uint64_t)per * ps);
	assert_int_equal(lists.virt[1][1], BASE + (uint64_t)(per + 1) * ps);
	assert_int_equal(lists.virt[1][2], POISON);

	/* offset 0, one block more than a full list page */
	assert_int_equal(check1(ps, BASE, ps + per * ps + 512, &w), 0);
	assert_int_equal(w.list_pages, 2);
	assert_int_equal(w.entries, per + 1);
}

static void test_full_list_page_and_chain_4k(void **state)
{
	(void)state;
	full_list_then_chain(PG4);
}

static void test_full_list_page_and_chain_64k(void **state)
{
	(void)state;
	full_list_then_chain(PG64);
}

/* Every list page in use: each chains to the next, the last is full. */
static void test_all_list_pages(void **state)
{
	(void)state;
	uint32_t per = PG4 / 8;
	uint32_t cap = NVME_MAX_PRP_LIST_PAGES * (per - 1) + 1;
	struct walk w;
	assert_int_equal(check1(PG4, BASE, PG4 + cap * PG4, &w), 0);
	assert_int_equal(w.list_pages, NVME_MAX_PRP_LIST_PAGES);
	assert_int_equal(w.entries, cap);
	for (unsigned i = 0; i + 1 < NVME_MAX_PRP_LIST_PAGES; i++)
		assert_int_equal(lists.virt[i][per - 1], lists.phys[i + 1]);
	/* one more entry's worth does not fit */
	assert_int_equal(check1(PG4, BASE, PG4 + cap * PG4 + 4, NULL), -E2BIG);
	assert_int_equal(check1(PG4, BASE + 4, PG4 + cap * PG4, NULL), -E2BIG);
}

/* ---- several segments ---- */

static void test_multi_segment(void **state)
{
	(void)state;
	/* a misaligned head, whole pages elsewhere, a partial tail */
	const struct seg a[] = {
		{ BASE + 0x200, PG4 - 0x200 },
		{ BASE + 0x10 * PG4, 3 * PG4 },
		{ BASE + 0x40 * PG4, PG4 },
		{ BASE + 0x7 * PG4, 1024 },
	};
	struct walk w;
	assert_int_equal(check(PG4, a, 4, PG4 - 0x200 + 4 * PG4 + 1024, &w), 0);
	assert_int_equal(w.entries, 5);
	assert_int_equal(w.runs.n, 4);

	/* two segments, two entries in all: PRP2 is the second segment */
	const struct seg b[] = { { BASE + 3072, 1024 }, { BASE + 0x20 * PG4, 2048 } };
	struct seg_iter it = { b, 2, 0, 0 };
	uint64_t prp1, prp2;
	assert_int_equal(nvme_setup_prps(seg_next, &it, 3072, PG4, &lists, &prp1, &prp2), 0);
	assert_int_equal(prp1, BASE + 3072);
	assert_int_equal(prp2, BASE + 0x20 * PG4);

	/* physically contiguous segments describe one run */
	const struct seg c[] = { { BASE, PG4 }, { BASE + PG4, PG4 }, { BASE + 2 * PG4, PG4 } };
	assert_int_equal(check(PG4, c, 3, 3 * PG4, &w), 0);
	assert_int_equal(w.runs.n, 1);

	/* many one-page segments in reverse order, through a chained list */
	struct seg d[MAX_SEGS];
	for (unsigned i = 0; i < MAX_SEGS; i++)
		d[i] = (struct seg){ BASE + (uint64_t)(MAX_SEGS - i) * 2 * PG4, PG4 };
	assert_int_equal(check(PG4, d, MAX_SEGS, MAX_SEGS * PG4, &w), 0);
	assert_int_equal(w.entries, MAX_SEGS - 1);
}

/* The iterator is not called again once total_len is covered. */
static void test_segments_read_until_covered(void **state)
{
	(void)state;
	const struct seg a[] = { { BASE, PG4 }, { BASE + 8 * PG4, PG4 }, { BASE + 16 * PG4, PG4 } };
	struct seg_iter it = { a, 3, 0, 0 };
	uint64_t prp1, prp2;
	lists_alloc(PG4, 1);
	assert_int_equal(nvme_setup_prps(seg_next, &it, 2 * PG4, PG4, &lists, &prp1, &prp2), 0);
	assert_int_equal(it.calls, 2);
	assert_int_equal(prp2, BASE + 8 * PG4);
}

/* ---- layouts PRPs cannot describe ---- */

static void test_invalid_layouts(void **state)
{
	(void)state;
	/* gap in the middle: a segment ends inside a page and more follow */
	const struct seg gap[] = { { BASE, PG4 }, { BASE + 4 * PG4, 2048 }, { BASE + 8 * PG4, PG4 } };
	assert_int_equal(check(PG4, gap, 3, 2 * PG4 + 2048, NULL), -EINVAL);
	/* a later segment starting inside a page */
	const struct seg late[] = { { BASE, PG4 }, { BASE + 4 * PG4 + 512, 512 } };
	assert_int_equal(check(PG4, late, 2, PG4 + 512, NULL), -EINVAL);
	/* the first segment ends inside its page, within PRP1's reach */
	const struct seg head[] = { { BASE, 512 }, { BASE + PG4, 512 } };
	assert_int_equal(check(PG4, head, 2, 1024, NULL), -EINVAL);
	/* first segment not dword aligned */
	assert_int_equal(check1(PG4, BASE + 2, 512, NULL), -EINVAL);
	assert_int_equal(check1(PG4, BASE + 4093, 4, NULL), -EINVAL);
	/* lengths that do not add up: too few bytes, one segment too long */
	const struct seg shortv[] = { { BASE, PG4 }, { BASE + 4 * PG4, PG4 } };
	assert_int_equal(check(PG4, shortv, 2, 3 * PG4, NULL), -EINVAL);
	assert_int_equal(check(PG4, shortv, 2, PG4 + 512, NULL), -EINVAL);
	assert_int_equal(check(PG4, shortv, 1, PG4 / 2, NULL), -EINVAL);
	/* a zero-length segment, no segment, no bytes */
	const struct seg zero[] = { { BASE, PG4 }, { BASE + 4 * PG4, 0 }, { BASE + 8 * PG4, PG4 } };
	assert_int_equal(check(PG4, zero, 3, 2 * PG4, NULL), -EINVAL);
	assert_int_equal(check(PG4, zero, 0, PG4, NULL), -EINVAL);
	assert_int_equal(check(PG4, shortv, 2, 0, NULL), -EINVAL);
}

/* The list-free shortcut agrees with nvme_setup_prps wherever it answers,
 * and answers exactly when no list page is needed: every dword-aligned
 * offset class and length around one and two pages, both page sizes. */
static void test_prp_simple(void **state)
{
	(void)state;
	static const uint32_t sizes[] = { PG4, 65536 };
	for (unsigned z = 0; z < 2; z++) {
		uint32_t ps = sizes[z];
		lists_need(ps);
		for (uint64_t off = 0; off < ps; off += off < 64 ? 4 : ps / 8 - 4) {
			for (uint32_t len = 512; len <= 3 * ps; len += len < 2 * ps + 1024 ? 512 : ps) {
				uint64_t phys = 0x100000000ull + 16 * (uint64_t)ps + off;
				struct seg s = { phys, len };
				struct seg_iter it = { &s, 1, 0, 0 };
				uint64_t p1, p2, q1 = 1, q2 = 1;
				assert_int_equal(nvme_setup_prps(seg_next, &it, len, ps, &lists, &p1, &p2), 0);
				bool listless = off + len <= 2ull * ps;
				assert_int_equal(nvme_prp_simple(phys, len, ps, &q1, &q2), listless);
				if (listless) {
					assert_int_equal(q1, p1);
					assert_int_equal(q2, p2);
				}
			}
		}
	}
}

static void test_bad_page_size(void **state)
{
	(void)state;
	struct seg s = { BASE, 512 };
	struct seg_iter it = { &s, 1, 0, 0 };
	uint64_t prp1, prp2;
	assert_int_equal(nvme_setup_prps(seg_next, &it, 512, 2048, &lists, &prp1, &prp2), -EINVAL);
	assert_int_equal(nvme_setup_prps(seg_next, &it, 512, 6000, &lists, &prp1, &prp2), -EINVAL);
	assert_int_equal(nvme_setup_prps(seg_next, &it, 512, 1u << 28, &lists, &prp1, &prp2), -EINVAL);
	assert_int_equal(nvme_prp_max_transfer(2048, 1), 0);
}

/* ---- too long ---- */

static void test_too_long(void **state)
{
	(void)state;
	uint64_t prp1, prp2;
	struct seg s = { BASE, 3 * PG4 };
	struct seg_iter it = { &s, 1, 0, 0 };
	/* no list pages: two pages at most */
	assert_int_equal(nvme_setup_prps(seg_next, &it, 3 * PG4, PG4, NULL, &prp1, &prp2), -E2BIG);
	it.i = 0;
	s.len = 2 * PG4;
	assert_int_equal(nvme_setup_prps(seg_next, &it, 2 * PG4, PG4, NULL, &prp1, &prp2), 0);
	/* one list page: 512 entries, no chaining possible */
	lists_alloc(PG4, 1);
	assert_int_equal(check1(PG4, BASE, PG4 + 512 * PG4, NULL), 0);
	lists_alloc(PG4, 1);
	it = (struct seg_iter){ &s, 1, 0, 0 };
	s.len = PG4 + 512 * PG4 + 512;
	assert_int_equal(nvme_setup_prps(seg_next, &it, s.len, PG4, &lists, &prp1, &prp2), -E2BIG);
	assert_int_equal(lists.virt[0][0], POISON); /* refused before writing */
	/* 64 KiB pages */
	assert_int_equal(check1(PG64, BASE, UINT32_MAX & ~(PG64 - 1), NULL), -E2BIG);
}

static void test_max_transfer(void **state)
{
	(void)state;
	assert_int_equal(nvme_prp_max_transfer(PG4, 0), PG4);
	assert_int_equal(nvme_prp_max_transfer(PG4, 1), 512 * PG4);
	assert_int_equal(nvme_prp_max_transfer(PG4, 4), (4 * 511 + 1) * PG4);
	assert_int_equal(nvme_prp_max_transfer(PG64, 4), (4 * 8191 + 1) * PG64);
	assert_int_equal(nvme_prp_max_transfer(1u << 27, 4), UINT32_MAX & ~((1u << 27) - 1));

	/* what it promises holds at the worst offset, and it is the most that does */
	static const uint32_t pss[] = { PG4, PG64 };
	for (unsigned i = 0; i < 2; i++) {
		uint32_t ps = pss[i], max = nvme_prp_max_transfer(ps, NVME_MAX_PRP_LIST_PAGES);
		assert_int_equal(check1(ps, BASE + ps - 4, max, NULL), 0);
		assert_int_equal(check1(ps, BASE + ps - 512, max, NULL), 0);
		assert_int_equal(check1(ps, BASE, max, NULL), 0);
		assert_int_equal(check1(ps, BASE + 4, max + ps + 4, NULL), -E2BIG);
	}
}

/* ---- random valid layouts, both page sizes and 16 KiB ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static void test_random_layouts(void **state)
{
	(void)state;
	static const uint32_t pss[] = { PG4, 16 * KiB, PG64 };
	for (unsigned round = 0; round < 3000; round++) {
		uint32_t ps = pss[rnd(3)];
		struct seg s[8];
		unsigned n = 1 + rnd(8);
		uint64_t total = 0;
		for (unsigned i = 0; i < n; i++) {
			/* distinct made-up page frames, in random order */
			uint64_t frame = BASE + ((uint64_t)(i * 977 + rnd(900)) * 64) * ps;
			uint32_t off = i == 0 ? rnd(ps / 4) * 4 : 0;
			uint32_t pages = rnd(40);
			uint32_t max = pages * ps + (ps - off);
			/* every segment but the last reaches its page end; the last
			 * ends anywhere, dword granular */
			uint32_t len = i == n - 1 ? 4 * (1 + rnd(max / 4)) : max;
			s[i] = (struct seg){ frame + off, len };
			total += len;
		}
		int rc = check(ps, s, n, (uint32_t)total, NULL);
		uint32_t per = ps / 8;
		if (rc == -E2BIG) {
			/* only when the entry count really exceeds the lists */
			uint64_t first = ps - (s[0].phys & (ps - 1));
			uint64_t nr = (total - first + ps - 1) / ps;
			assert_true(nr > NVME_MAX_PRP_LIST_PAGES * (per - 1) + 1);
		} else {
			assert_int_equal(rc, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_within_first_page, teardown),
		cmocka_unit_test_teardown(test_into_second_page, teardown),
		cmocka_unit_test_teardown(test_exactly_two_pages, teardown),
		cmocka_unit_test_teardown(test_two_pages_plus_one_entry, teardown),
		cmocka_unit_test_teardown(test_full_list_page_and_chain_4k, teardown),
		cmocka_unit_test_teardown(test_full_list_page_and_chain_64k, teardown),
		cmocka_unit_test_teardown(test_all_list_pages, teardown),
		cmocka_unit_test_teardown(test_multi_segment, teardown),
		cmocka_unit_test_teardown(test_segments_read_until_covered, teardown),
		cmocka_unit_test_teardown(test_invalid_layouts, teardown),
		cmocka_unit_test_teardown(test_prp_simple, teardown),
		cmocka_unit_test_teardown(test_bad_page_size, teardown),
		cmocka_unit_test_teardown(test_too_long, teardown),
		cmocka_unit_test_teardown(test_max_transfer, teardown),
		cmocka_unit_test_teardown(test_random_layouts, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
