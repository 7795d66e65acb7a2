/*
 * The kernel's frame allocator instance: placed and initialised from the
 * boot memory map, used under a spinlock.
 */
#include <stdio.h>
#include <string.h>

#include "kernel/frame.h"
#include "kernel/mm.h"
#include "kernel/panic.h"
#include "kernel/shell.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

static struct frame_allocator frames;
static spinlock_t frames_lock = SPINLOCK_INIT;

void mm_init(const struct boot_info *bi)
{
	size_t bytes = frame_bitmap_bytes(bi->regions, bi->nr_regions);
	uint64_t at = frame_bitmap_place(bi->regions, bi->nr_regions, bi->reserved, bi->nr_reserved, bytes);
	if (!at)
		panic("no room for the frame bitmap (%zu bytes)", bytes);
	frame_init(&frames, bi->regions, bi->nr_regions, bi->reserved, bi->nr_reserved,
		   phys_to_virt(at), at);
}

uint64_t page_alloc(uint64_t count, uint64_t align_pages)
{
	uint64_t f = spin_lock_irqsave(&frames_lock);
	uint64_t p = frame_alloc(&frames, count, align_pages);
	spin_unlock_irqrestore(&frames_lock, f);
	if (p)
		memset(phys_to_virt(p), 0, count * FRAME_SIZE);
	return p;
}

void page_free(uint64_t phys, uint64_t count)
{
	uint64_t f = spin_lock_irqsave(&frames_lock);
	frame_free(&frames, phys, count);
	spin_unlock_irqrestore(&frames_lock, f);
}

static uint64_t pages_for(size_t bytes) { return (bytes + FRAME_SIZE - 1) / FRAME_SIZE; }

void *dma_buf_alloc(size_t bytes)
{
	uint64_t p = page_alloc(pages_for(bytes), 1);
	return p ? phys_to_virt(p) : NULL;
}

void dma_buf_free(void *buf, size_t bytes)
{
	if (buf)
		page_free(virt_to_phys(buf), pages_for(bytes));
}

uint64_t mm_total_bytes(void) { return frames.total * FRAME_SIZE; }
uint64_t mm_free_bytes(void) { return frames.free * FRAME_SIZE; }

static int cmd_mem(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("mem");
	uint64_t t = mm_total_bytes(), f = mm_free_bytes();
	printf("total:  %8llu KiB\n", (unsigned long long)(t >> 10));
	printf("used:   %8llu KiB\n", (unsigned long long)((t - f) >> 10));
	printf("free:   %8llu KiB\n", (unsigned long long)(f >> 10));
	printf("heap:   %8llu KiB\n", (unsigned long long)(heap_bytes() >> 10));
	return 0;
}
SHELL_COMMAND(mem, "mem", "", "physical memory and heap usage", cmd_mem);
