/*
 * PRP construction; see drivers/nvme/prp.h for the contract.
 *
 * The number of entries after PRP1 follows from total_len and PRP1's offset
 * alone, so it is known before the first segment is walked: that decides
 * between PRP2 = page and PRP2 = list, catches -E2BIG up front, and tells the
 * writer, at the last slot of each list page, whether that slot holds data or
 * the pointer to the next list page (§4.1.1.1: a chain pointer only when more
 * entries remain than fit).
 */
#include "drivers/nvme/prp.h"

#include <errno.h>
#include <stddef.h>

#define PRP_MIN_PAGE_SHIFT 12 /* CC.MPS: 2^(12 + MPS), MPS 0..15 */
#define PRP_MAX_PAGE_SHIFT 27
#define PRP_ENTRY_SHIFT    3  /* a PRP entry is 8 bytes */
#define PRP_OFFSET_ALIGN   3u /* PRP1's offset must be dword aligned (bits 1:0 clear) */

/* Where the next entry after PRP1 goes: prp2 itself (one entry) or a slot of
 * the current list page. */
struct prp_cursor {
	uint64_t *slot;   /* next slot to fill */
	uint64_t *last;   /* last slot of the current list page: data or chain pointer */
	const struct nvme_prp_lists *lists;
	unsigned page;    /* index of the current list page */
	uint32_t per_page;/* entries per list page */
	uint64_t left;    /* entries still to place, this one included */
};

static bool prp_page_size_ok(uint32_t page_size)
{
	return (page_size & (page_size - 1)) == 0 && page_size >= (1u << PRP_MIN_PAGE_SHIFT) &&
	       page_size <= (1u << PRP_MAX_PAGE_SHIFT);
}

/* Entries the lists hold: every page but the last gives its last slot to the
 * chain pointer. With no list pages, PRP2 itself holds one. */
static uint64_t prp_capacity(uint32_t page_size, unsigned nr_list_pages)
{
	uint64_t per_page = page_size >> PRP_ENTRY_SHIFT;
	return nr_list_pages ? (uint64_t)nr_list_pages * (per_page - 1) + 1 : 1;
}

static inline void prp_put(struct prp_cursor *c, uint64_t addr)
{
	if (c->slot == c->last && c->left > 1) {
		unsigned next = ++c->page;
		*c->slot = c->lists->phys[next];
		c->slot = c->lists->virt[next];
		c->last = c->slot + c->per_page - 1;
	}
	*c->slot++ = addr;
	c->left--;
}

int nvme_setup_prps(nvme_seg_next_fn *next, void *ctx, uint32_t total_len, uint32_t page_size,
		    const struct nvme_prp_lists *lists, uint64_t *prp1, uint64_t *prp2)
{
	uint64_t phys;
	uint32_t len;

	if (total_len == 0 || !prp_page_size_ok(page_size))
		return -EINVAL;
	if (!next(ctx, &phys, &len) || len == 0 || len > total_len || (phys & PRP_OFFSET_ALIGN))
		return -EINVAL;

	unsigned shift = (unsigned)__builtin_ctz(page_size);
	uint64_t mask = page_size - 1;
	uint32_t first = page_size - (uint32_t)(phys & mask); /* bytes PRP1 can cover */
	*prp1 = phys;
	if (total_len <= first) {
		*prp2 = 0;
		/* a shorter first segment would end inside the page, with more to come */
		return len == total_len ? 0 : -EINVAL;
	}

	uint64_t nr = ((uint64_t)total_len - first + mask) >> shift;
	unsigned nr_lists = lists ? lists->nr : 0;
	if (nr_lists > NVME_MAX_PRP_LIST_PAGES)
		nr_lists = NVME_MAX_PRP_LIST_PAGES;
	if (nr > prp_capacity(page_size, nr_lists))
		return -E2BIG;
	struct prp_cursor c = { .slot = prp2, .last = prp2, .lists = lists, .left = nr };
	if (nr > 1) {
		*prp2 = lists->phys[0];
		c.per_page = page_size >> PRP_ENTRY_SHIFT;
		c.slot = lists->virt[0];
		c.last = c.slot + c.per_page - 1;
	}

	/* PRP1 covers the first page of the first segment; every page after it
	 * is an entry. */
	uint64_t page = (phys & ~mask) + page_size;
	uint64_t end = phys + len;
	uint32_t done = len;
	for (;;) {
		for (; page < end; page += page_size)
			prp_put(&c, page);
		if (done == total_len)
			return 0;
		if (end & mask)
			return -EINVAL; /* a segment with more after it ends inside a page */
		if (!next(ctx, &phys, &len) || len == 0 || len > total_len - done || (phys & mask))
			return -EINVAL;
		page = phys;
		end = phys + len;
		done += len;
	}
}

uint32_t nvme_prp_max_transfer(uint32_t page_size, unsigned nr_list_pages)
{
	if (!prp_page_size_ok(page_size))
		return 0;
	/* Worst case: PRP1 starts at the last dword of its page and covers 4
	 * bytes; the entries then cover whole pages. */
	uint64_t bytes = prp_capacity(page_size, nr_list_pages) << __builtin_ctz(page_size);
	uint64_t cap = UINT32_MAX & ~(uint64_t)(page_size - 1);
	return (uint32_t)(bytes < cap ? bytes : cap);
}
