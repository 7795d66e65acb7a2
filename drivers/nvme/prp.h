/*
 * PRP construction (NVMe base spec 2.0 §4.1.1 "Physical Region Page Entry and
 * List", §4.1.1.1): turns the memory segments of one request into PRP1, PRP2
 * and, when the transfer spans more than two memory pages, the PRP list pages
 * that PRP2 points to.
 *
 * Interface: the caller owns, per request, up to NVME_MAX_PRP_LIST_PAGES list
 * pages of one controller memory page each (struct nvme_prp_lists), and hands
 * nvme_setup_prps() an iterator over the request's segments. The result:
 *   - the data ends within PRP1's page:        PRP2 = 0
 *   - the data ends within the following page: PRP2 = that page's address
 *   - otherwise:                               PRP2 = lists->phys[0], a list of
 *     page addresses; when a list page cannot hold all the remaining entries,
 *     its last entry points to the next list page (lists->phys[1], ...).
 *
 * Layouts PRPs can describe: the first segment may start at any dword-aligned
 * address; every later segment starts on a memory page boundary; every
 * segment but the last ends on one. The segments are read until they cover
 * total_len bytes (none is read after that).
 *
 * Pure: no allocation, no locks; one shift and one compare per page.
 */
#ifndef DRIVERS_NVME_PRP_H
#define DRIVERS_NVME_PRP_H

#include <stdbool.h>
#include <stdint.h>

/* Next memory segment of the request: its bus address and length in bytes.
 * Returns false when there is none. */
typedef bool nvme_seg_next_fn(void *ctx, uint64_t *phys, uint32_t *len);

#define NVME_MAX_PRP_LIST_PAGES 4

/* Pre-allocated per request: nr list pages, one controller page each,
 * page-aligned, with their CPU (virt) and bus (phys) addresses. */
struct nvme_prp_lists {
	uint64_t *virt[NVME_MAX_PRP_LIST_PAGES];
	uint64_t phys[NVME_MAX_PRP_LIST_PAGES];
	unsigned nr;
};

/* Fills *prp1, *prp2 (and the list pages) for a transfer of total_len bytes.
 * page_size is the controller's memory page size (CC.MPS: 4096 .. 2^27, a
 * power of two). Returns 0; -EINVAL for a zero length, a bad page size, or
 * segments PRPs cannot describe (layout above; lengths that do not add up to
 * total_len); -E2BIG when the list pages do not suffice. On error *prp1,
 * *prp2 and the lists hold garbage. */
int nvme_setup_prps(nvme_seg_next_fn *next, void *ctx, uint32_t total_len, uint32_t page_size,
		    const struct nvme_prp_lists *lists, uint64_t *prp1, uint64_t *prp2);

/* The common case without an iterator or a list: one contiguous segment
 * (phys, len > 0) within two memory pages. Fills *prp1 and *prp2 as
 * nvme_setup_prps would and returns true; false when it needs a list. */
static inline bool nvme_prp_simple(uint64_t phys, uint32_t len, uint32_t page_size, uint64_t *prp1,
				   uint64_t *prp2)
{
	uint32_t first = page_size - (uint32_t)(phys & (page_size - 1)); /* bytes left in PRP1's page */
	*prp1 = phys;
	*prp2 = len <= first ? 0 : phys + first;
	return len <= first || len - first <= page_size;
}

/* The largest transfer in bytes that nr_list_pages list pages describe
 * whatever the first segment's offset in its page (a multiple of page_size,
 * capped below 4 GiB), e.g. for the block layer's max_sectors. */
uint32_t nvme_prp_max_transfer(uint32_t page_size, unsigned nr_list_pages);

#endif
