/*
 * Kernel virtual memory. Layout:
 *   0xffff800000000000  direct map of RAM (WB) and firmware-reserved ranges (UC)
 *   0xffffc00000000000  MMIO window: mmio_map() hands out uncached or WC mappings
 *   0xffffd00000000000  heap (newlib's sbrk), grown on demand
 *   0xffffe00000000000  stacks, each with an unmapped guard page below it
 *   0xffffffff80000000  the kernel image: text R-X, rodata R--, data/bss RW-
 * Nothing maps address 0 or user space: a NULL dereference faults.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"

#define PHYS_OFFSET BOOT_PHYS_OFFSET
#define VM_MMIO_BASE  0xffffc00000000000ull
#define VM_HEAP_BASE  0xffffd00000000000ull
#define VM_STACK_BASE 0xffffe00000000000ull
#define VM_WINDOW_SIZE (1ull << 39) /* one PML4 slot each */

enum vm_cache {
	VM_UC, /* device registers */
	VM_WC, /* framebuffers */
};

static inline void *phys_to_virt(uint64_t p) { return (void *)(p + PHYS_OFFSET); }
/* For direct-map and kernel-image addresses. */
uint64_t virt_to_phys(const void *v);

/* Builds the kernel's page tables from the boot memory map and switches to them. */
void vm_init(const struct boot_info *bi);
/* Maps [phys, phys+size) in the MMIO window; returns the virtual address of
 * phys (not page-aligned when phys is not), or NULL when out of space. */
void *mmio_map(uint64_t phys, uint64_t size, enum vm_cache cache);
/* A fresh stack of 'bytes' (rounded to pages) with a guard page below; returns
 * the top (16-byte aligned), or 0 when out of memory. */
uint64_t vm_alloc_stack(size_t bytes);
/* Maps fresh zeroed pages so the heap covers [VM_HEAP_BASE, VM_HEAP_BASE+bytes). */
int vm_heap_grow(uint64_t bytes);
bool vm_is_mapped(uint64_t va);
/* Per-CPU paging features (NX, PAT with WC, WP, global pages): every CPU. */
void vm_cpu_init(void);
uint64_t vm_kernel_cr3(void);
/* Page tables below 4 GiB mapping the AP trampoline page 1:1 and the kernel's
 * upper half; 0 when none can be had. Freed once every AP is up. */
uint64_t vm_trampoline_tables(uint64_t tramp_phys);
void vm_trampoline_tables_free(uint64_t tables_phys);

#endif
