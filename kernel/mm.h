/*
 * Physical pages for the rest of the kernel: the frame allocator behind a lock.
 * page_alloc returns zeroed, physically contiguous pages (DMA-able), addressed
 * through the direct map. Not for the I/O hot path: allocate at set-up.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stdint.h>

#include "boot/boot_info.h"

void mm_init(const struct boot_info *bi);
/* count pages aligned to align_pages (power of two); physical address or 0. */
uint64_t page_alloc(uint64_t count, uint64_t align_pages);
void page_free(uint64_t phys, uint64_t count);
uint64_t mm_total_bytes(void);
uint64_t mm_free_bytes(void);
/* Bytes the heap (newlib's sbrk) has taken so far. */
uint64_t heap_bytes(void);

#endif
