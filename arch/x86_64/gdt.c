/*
 * Descriptor tables. Long mode ignores base and limit for code and data, so
 * the GDT holds one 64-bit code and one data descriptor plus the TSS, whose
 * IST entries give the double-fault, NMI and machine-check handlers stacks of
 * their own (a kernel stack overflow must still be reported).
 */
#include <stddef.h>

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"

/* Descriptor bits, SDM Vol. 3 §3.4.5. */
#define SEG_PRESENT  (1ull << 47)
#define SEG_CODEDATA (1ull << 44) /* S: code or data, not system */
#define SEG_EXEC     (1ull << 43)
#define SEG_RW       (1ull << 41)
#define SEG_LONG     (1ull << 53)
#define TSS_AVAIL64  (9ull << 40)

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct gdt_ptr) == 10, "pseudo-descriptor is 10 bytes");

void gdt_load(struct cpu_tables *t, const uint64_t ist_top[IST_COUNT])
{
	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
	t->gdt[0] = 0;
	t->gdt[1] = SEG_PRESENT | SEG_CODEDATA | SEG_EXEC | SEG_RW | SEG_LONG;
	t->gdt[2] = SEG_PRESENT | SEG_CODEDATA | SEG_RW;
	t->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | TSS_AVAIL64 | SEG_PRESENT |
		    (((base >> 24) & 0xff) << 56);
	t->gdt[4] = base >> 32;
	for (int i = 0; i < IST_COUNT; i++)
		t->tss.ist[i] = ist_top[i];
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */

	struct gdt_ptr p = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"mov %2, %%eax\n\t"
		"mov %%eax, %%ds\n\t"
		"mov %%eax, %%es\n\t"
		"mov %%eax, %%ss\n\t"
		"xor %%eax, %%eax\n\t"
		"mov %%eax, %%fs\n\t"
		"mov %%eax, %%gs\n\t" /* clears GS base too: per-CPU code sets it after */
		"mov %3, %%ax\n\t"
		"ltr %%ax"
		:
		: "m"(p), "i"(GDT_KCODE), "i"(GDT_KDATA), "i"(GDT_TSS)
		: "rax", "memory");
}

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate (IF cleared) */

static struct idt_gate idt[256] __attribute__((aligned(16)));
static int idt_built;

static void idt_build(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t a = isr_stub_table[v];
		uint8_t ist = v == TRAP_DF ? IST_DOUBLE_FAULT : v == TRAP_NMI ? IST_NMI :
			      v == TRAP_MC ? IST_MACHINE_CHECK : 0;
		idt[v] = (struct idt_gate){
			.offset_lo = a & 0xffff, .selector = GDT_KCODE, .ist = ist,
			.type_attr = GATE_INTERRUPT, .offset_mid = (a >> 16) & 0xffff,
			.offset_hi = a >> 32,
		};
	}
	idt_built = 1;
}

void idt_load(void)
{
	if (!idt_built)
		idt_build();
	struct gdt_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(p));
}
