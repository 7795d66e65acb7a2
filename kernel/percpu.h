/*
 * Per-CPU data. Each CPU's GS base points at its struct cpu, whose first
 * field points at itself, so this_cpu() is one %gs-relative load and needs
 * no lock. Only the BSP exists until SMP bring-up.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/gdt.h"
#include "kernel/cpumask.h"

struct _reent;
struct smp_work;
struct irq_desc;

struct cpu {
	struct cpu *self;      /* must stay first: this_cpu() reads %gs:0 */
	unsigned id;           /* dense 0..nr_cpus-1, the boot CPU is 0 */
	uint32_t apic_id;
	struct _reent *reent;  /* newlib per-thread state (errno, stdio) */
	struct cpu_tables tables;
	uint64_t ist_top[IST_COUNT];
	uint64_t stack_top;

	/* Topology from CPUID (kernel/topology.c): SMT siblings share package and core. */
	unsigned package, core, thread;
	bool online;
	uint64_t bringup_ns;   /* INIT IPI to online, for APs */
	uint64_t online_tsc;

	struct smp_work *work; /* lock-free stack of queued calls, pushed by any CPU */
	uint64_t idle_tsc;     /* TSC cycles spent halted, up to the last wake-up */
	uint64_t idle_since;   /* TSC when the current halt began; 0 when running */
	bool irq_since_idle;   /* an interrupt ran since cpu_idle last looked: do not halt */

	struct irq_desc *vector_irq[256]; /* this CPU's vector → device interrupt */
	uint64_t irq_count[256];
	uint64_t irq_unexpected;
} __attribute__((aligned(64)));

extern struct cpu cpus[MAX_CPUS];
extern unsigned nr_cpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

unsigned this_cpu_id(void);

/* This CPU's number in one gs-relative load, for code that runs only after
 * percpu_init_bsp (the block layer's I/O path); this_cpu_id works earlier. */
static inline unsigned this_cpu_id_fast(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(offsetof(struct cpu, id)));
	return id;
}
/* Sets up GDT/TSS/IDT and GS for the boot CPU on early static IST stacks. */
void percpu_init_bsp(void);
/* Replaces the early IST stacks with guard-paged ones once paging is ours. */
void percpu_alloc_ist_stacks(struct cpu *c);
/* Stops every other CPU with an NMI (panic path). */
void smp_stop_others(void);
/* The CPUs that are online, and the SMT siblings of one (itself included). */
cpumask_t cpus_online_mask(void);
cpumask_t cpu_siblings(unsigned cpu);
/* Fills c->package/core/thread from CPUID; run on the CPU itself. */
void cpu_topology_detect(struct cpu *c);
/* Sets this CPU's GDT/TSS/IDT and GS base; for APs. */
void percpu_init_ap(struct cpu *c);

#endif
