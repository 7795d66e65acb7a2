/*
 * GDT, TSS and IDT: the descriptor tables each CPU loads (Intel SDM Vol. 3
 * §3.4.5, §7.7, §6.14). One copy per CPU, embedded in struct cpu_tables, so
 * each core has its own TSS and IST stacks.
 */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <stdint.h>

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_TSS   0x18

/* IST slots (1-based in the IDT gate, 0 = no stack switch). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3
#define IST_COUNT        3
#define IST_STACK_SIZE   8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes (SDM Fig. 7-11)");

struct cpu_tables {
	uint64_t gdt[5]; /* null, kernel code, kernel data, TSS (two slots) */
	struct tss tss;
} __attribute__((aligned(16)));

/* Fills and loads this CPU's GDT and TSS; ist[i] are stack tops for IST i+1. */
void gdt_load(struct cpu_tables *t, const uint64_t ist_top[IST_COUNT]);
/* Builds the shared IDT (once) and loads it on this CPU. */
void idt_load(void);

#endif
