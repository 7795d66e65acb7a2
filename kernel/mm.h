/*
 * Physical pages for the rest of the kernel: the frame allocator behind a lock.
 * page_alloc returns zeroed, physically contiguous pages (DMA-able), addressed
 * through the direct map. Not for the I/O hot path: allocate at set-up.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"

void mm_init(const struct boot_info *bi);
/* count pages aligned to align_pages (power of two); physical address or 0. */
uint64_t page_alloc(uint64_t count, uint64_t align_pages);
void page_free(uint64_t phys, uint64_t count);
/* A DMA buffer: bytes rounded up to whole pages by page_alloc, returned at
 * its direct-map address (virt_to_phys gives the bus address); NULL when
 * memory is short. dma_buf_free takes the same byte count back. */
void *dma_buf_alloc(size_t bytes);
void dma_buf_free(void *buf, size_t bytes);
uint64_t mm_total_bytes(void);
uint64_t mm_free_bytes(void);
/* Bytes the heap (newlib's sbrk) has taken so far. */
uint64_t heap_bytes(void);

#endif
