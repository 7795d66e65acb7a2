/*
 * Per-CPU data. Each CPU's GS base points at its struct cpu, whose first
 * field points at itself, so this_cpu() is one %gs-relative load and needs
 * no lock. Only the BSP exists until SMP bring-up.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdint.h>

#include "arch/x86_64/gdt.h"

#define MAX_CPUS 64

struct _reent;

struct cpu {
	struct cpu *self;      /* must stay first: this_cpu() reads %gs:0 */
	unsigned id;           /* dense 0..nr_cpus-1 */
	uint32_t apic_id;
	struct _reent *reent;  /* newlib per-thread state (errno, stdio) */
	struct cpu_tables tables;
	uint64_t ist_top[IST_COUNT];
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned nr_cpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

unsigned this_cpu_id(void);
/* Sets up GDT/TSS/IDT and GS for the boot CPU on early static IST stacks. */
void percpu_init_bsp(void);
/* Replaces the early IST stacks with guard-paged ones once paging is ours. */
void percpu_alloc_ist_stacks(struct cpu *c);
/* Stops every other CPU (panic path). No-op while only the BSP runs. */
void smp_stop_others(void);

#endif
