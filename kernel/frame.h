/*
 * Physical frame allocator: one bit per 4 KiB frame (1 = in use) covering
 * physical memory up to the end of the highest usable region.
 *
 * Pure logic, no locking (kernel/mm.c wraps it with a lock), so the host tests
 * drive it with made-up memory maps. Allocations are runs of contiguous frames
 * at a requested power-of-two alignment: DMA queues, PRP lists and the blk-mq
 * request pool need physically contiguous memory.
 */
#ifndef KERNEL_FRAME_H
#define KERNEL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"

#define FRAME_SIZE 4096ull
/* Frames below 1 MiB are never handed out: real-mode structures, the AP
 * trampoline and firmware leftovers live there. */
#define FRAME_LOW_LIMIT (1ull << 20)

struct frame_allocator {
	uint64_t *bitmap;
	uint64_t nr_frames;   /* frames covered by the bitmap */
	uint64_t total;       /* usable frames (RAM minus nothing) */
	uint64_t free;
	uint64_t hint;        /* next-fit: where the last search ended */
};

/* Bytes of bitmap needed for this map. */
size_t frame_bitmap_bytes(const struct boot_mem_region *r, unsigned n);
/* Physical address of a spot for the bitmap: the first usable, unreserved,
 * page-aligned run of 'bytes' above FRAME_LOW_LIMIT; 0 if none. */
uint64_t frame_bitmap_place(const struct boot_mem_region *r, unsigned n,
			    const struct boot_reserved *rsv, unsigned nrsv, size_t bytes);
/* bitmap: writable storage for frame_bitmap_bytes() bytes, located at
 * physical bitmap_phys (those frames are marked in use). */
void frame_init(struct frame_allocator *fa, const struct boot_mem_region *r, unsigned n,
		const struct boot_reserved *rsv, unsigned nrsv, uint64_t *bitmap,
		uint64_t bitmap_phys);
/* count frames, aligned to align_frames (a power of two); returns the
 * physical address, or 0 when no such run is free. */
uint64_t frame_alloc(struct frame_allocator *fa, uint64_t count, uint64_t align_frames);
void frame_free(struct frame_allocator *fa, uint64_t phys, uint64_t count);
/* Marks [phys, phys+bytes) in use (already-used frames are left alone). */
void frame_reserve(struct frame_allocator *fa, uint64_t phys, uint64_t bytes);

#endif
