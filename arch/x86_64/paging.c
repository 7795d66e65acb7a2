/*
 * The kernel's own 4-level page tables (Intel SDM Vol. 3 §4.5). Built once
 * from the boot memory map by vm_init, then extended by the window
 * allocators (MMIO, heap, stacks) under one lock. Layout in kernel/vm.h.
 */
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "kernel/mm.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE 4096ull
#define LARGE (2ull << 20)

/* PAT entries (SDM §11.12.2): index = PCD<<1 | PWT for 4 KiB pages. We make
 * index 1 write-combining; index 3 stays UC; index 0 stays WB. */
#define PAT_VALUE 0x0007040600070106ull
#define PTE_CACHE_WC PTE_PWT
#define PTE_CACHE_UC (PTE_PCD | PTE_PWT)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[];

static uint64_t *pml4;
static uint64_t kernel_phys, kernel_virt;
static spinlock_t vm_lock = SPINLOCK_INIT;
static uint64_t mmio_next = VM_MMIO_BASE, stack_next = VM_STACK_BASE, heap_mapped;

static uint64_t *table(uint64_t entry) { return phys_to_virt(entry & PTE_ADDR); }

/* The entry for va at 'level' (1 = PT ... 4 = PML4), creating tables on the
 * way when create is set; NULL when missing or when a large page is in the way. */
static uint64_t *walk(uint64_t va, int level, int create)
{
	uint64_t *t = pml4;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t p = page_alloc(1, 1);
			if (!p)
				return NULL;
			*e = p | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		t = table(*e);
	}
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

static void map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = walk(va, 1, 1);
	if (!e)
		panic("vm: cannot map %llx", (unsigned long long)va);
	*e = pa | flags | PTE_P;
}

/* Direct-maps [base, end), 2 MiB pages where alignment allows. */
static void map_direct(uint64_t base, uint64_t end, uint64_t flags)
{
	for (uint64_t pa = base; pa < end;) {
		uint64_t *e;
		if (pa % LARGE == 0 && end - pa >= LARGE && (e = walk(PHYS_OFFSET + pa, 2, 1)) && !(*e & PTE_P)) {
			*e = pa | flags | PTE_P | PTE_PS;
			pa += LARGE;
			continue;
		}
		e = walk(PHYS_OFFSET + pa, 1, 1); /* NULL: inside a large page already */
		if (e && !(*e & PTE_P))
			*e = pa | flags | PTE_P;
		pa += PAGE;
	}
}

static void map_kernel_range(char *start, char *end, uint64_t flags)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE)
		map_page(va, kernel_phys + (va - kernel_virt), flags | PTE_G);
}

void vm_cpu_init(void)
{
	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 20)))
		panic("CPU lacks NX (no-execute) support");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	wrmsr(MSR_PAT, PAT_VALUE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr4(read_cr4() | CR4_PGE);
}

void vm_init(const struct boot_info *bi)
{
	kernel_phys = bi->kernel_phys;
	kernel_virt = bi->kernel_virt;
	vm_cpu_init();
	uint64_t p = page_alloc(1, 1);
	if (!p)
		panic("vm: no memory for the PML4");
	pml4 = phys_to_virt(p);
	for (unsigned i = 0; i < bi->nr_regions; i++) {
		const struct boot_mem_region *r = &bi->regions[i];
		uint64_t end = r->base + r->pages * PAGE;
		if (r->type == BOOT_MEM_USABLE || r->type == BOOT_MEM_ACPI_RECLAIM || r->type == BOOT_MEM_ACPI_NVS)
			map_direct(r->base, end, PTE_W | PTE_NX | PTE_G);
		else if (r->type == BOOT_MEM_RESERVED)
			map_direct(r->base, end, PTE_W | PTE_NX | PTE_G | PTE_CACHE_UC);
	}
	map_kernel_range(__text_start, __text_end, 0);
	map_kernel_range(__rodata_start, __rodata_end, PTE_NX);
	map_kernel_range(__data_start, __kernel_end, PTE_W | PTE_NX);
	write_cr3(virt_to_phys(pml4));
}

uint64_t virt_to_phys(const void *v)
{
	uint64_t a = (uint64_t)v;
	if (a >= kernel_virt && kernel_virt)
		return kernel_phys + (a - kernel_virt);
	return a - PHYS_OFFSET;
}

bool vm_is_mapped(uint64_t va)
{
	uint64_t *t = pml4;
	if (!t) /* before vm_init (an early panic): nothing can be vouched for */
		return false;
	for (int l = 4; l >= 1; l--) {
		uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(e & PTE_P))
			return false;
		if (l == 1 || (e & PTE_PS))
			return true;
		t = table(e);
	}
	return false;
}

void *mmio_map(uint64_t phys, uint64_t size, enum vm_cache cache)
{
	uint64_t first = phys & ~(PAGE - 1), len = (phys + size + PAGE - 1) / PAGE * PAGE - first;
	uint64_t f = spin_lock_irqsave(&vm_lock);
	uint64_t va = mmio_next;
	if (size == 0 || va + len > VM_MMIO_BASE + VM_WINDOW_SIZE) {
		spin_unlock_irqrestore(&vm_lock, f);
		return NULL;
	}
	mmio_next += len + PAGE; /* an unmapped page between mappings catches overruns */
	for (uint64_t off = 0; off < len; off += PAGE)
		map_page(va + off, first + off, PTE_W | PTE_NX | (cache == VM_WC ? PTE_CACHE_WC : PTE_CACHE_UC));
	spin_unlock_irqrestore(&vm_lock, f);
	return (void *)(va + (phys - first));
}

uint64_t vm_alloc_stack(size_t bytes)
{
	uint64_t pages = (bytes + PAGE - 1) / PAGE;
	uint64_t pa = page_alloc(pages, 1);
	if (!pa)
		return 0;
	uint64_t f = spin_lock_irqsave(&vm_lock);
	uint64_t va = stack_next + PAGE; /* stack_next itself stays unmapped: the guard */
	stack_next = va + pages * PAGE;
	for (uint64_t i = 0; i < pages; i++)
		map_page(va + i * PAGE, pa + i * PAGE, PTE_W | PTE_NX);
	spin_unlock_irqrestore(&vm_lock, f);
	return va + pages * PAGE;
}

int vm_heap_grow(uint64_t bytes)
{
	uint64_t f = spin_lock_irqsave(&vm_lock);
	int err = 0;
	while (heap_mapped < bytes && !err) {
		uint64_t pa = page_alloc(1, 1);
		if (!pa || heap_mapped + PAGE > VM_WINDOW_SIZE)
			err = -1;
		else
			map_page(VM_HEAP_BASE + heap_mapped, pa, PTE_W | PTE_NX);
		if (!err)
			heap_mapped += PAGE;
	}
	spin_unlock_irqrestore(&vm_lock, f);
	return err;
}

uint64_t vm_kernel_cr3(void) { return virt_to_phys(pml4); }

/* Low tables for AP start-up: CR3 is loaded in 32-bit mode, so every table
 * must lie below 4 GiB. The page holding the trampoline is identity-mapped
 * (2 MiB page, executable); PML4 entries 256-511 are the kernel's own. */
uint64_t vm_trampoline_tables(uint64_t tramp_phys)
{
	uint64_t p = page_alloc(3, 1);
	if (!p || p + 3 * PAGE > (1ull << 32)) {
		if (p)
			page_free(p, 3);
		return 0;
	}
	uint64_t *l4 = phys_to_virt(p), *l3 = phys_to_virt(p + PAGE), *l2 = phys_to_virt(p + 2 * PAGE);
	uint64_t low = tramp_phys & ~(LARGE - 1);
	l2[(low >> 21) & 511] = low | PTE_P | PTE_W | PTE_PS;
	l3[(low >> 30) & 511] = (p + 2 * PAGE) | PTE_P | PTE_W;
	l4[(low >> 39) & 511] = (p + PAGE) | PTE_P | PTE_W;
	for (int i = 256; i < 512; i++)
		l4[i] = pml4[i];
	return p;
}

void vm_trampoline_tables_free(uint64_t p)
{
	if (p)
		page_free(p, 3);
}
