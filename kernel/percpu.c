/*
 * Per-CPU set-up. The boot CPU's early IST stacks are static because the
 * double-fault handler must have a stack before the kernel's page tables
 * (and guard-paged stacks) exist; APs get guard-paged ones from the start.
 */
#include <reent.h>

#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/vm.h"

struct cpu cpus[MAX_CPUS];
unsigned nr_cpus = 1;

static uint8_t early_ist[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));
static struct _reent bsp_reent;
static int gs_ready;

unsigned this_cpu_id(void)
{
	return gs_ready ? this_cpu()->id : 0;
}

void percpu_init_bsp(void)
{
	struct cpu *c = &cpus[0];
	c->self = c;
	c->id = 0;
	_REENT_INIT_PTR(&bsp_reent);
	c->reent = &bsp_reent;
	for (int i = 0; i < IST_COUNT; i++)
		c->ist_top[i] = (uint64_t)early_ist[i] + IST_STACK_SIZE;
	gdt_load(&c->tables, c->ist_top);
	idt_load();
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	gs_ready = 1;
}

void percpu_init_ap(struct cpu *c)
{
	gdt_load(&c->tables, c->ist_top); /* clears GS base: set it after */
	idt_load();
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

cpumask_t cpus_online_mask(void)
{
	cpumask_t m = CPUMASK_NONE;
	for (unsigned i = 0; i < nr_cpus; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			cpumask_set(&m, i);
	return m;
}

cpumask_t cpu_siblings(unsigned cpu)
{
	cpumask_t m = CPUMASK_NONE;
	for (unsigned i = 0; i < nr_cpus; i++)
		if (cpus[i].package == cpus[cpu].package && cpus[i].core == cpus[cpu].core)
			cpumask_set(&m, i);
	return m;
}

void percpu_alloc_ist_stacks(struct cpu *c)
{
	for (int i = 0; i < IST_COUNT; i++) {
		uint64_t top = vm_alloc_stack(IST_STACK_SIZE);
		if (top)
			c->tables.tss.ist[i] = c->ist_top[i] = top;
	}
}

/* newlib's per-thread state: one struct _reent per CPU (built with __DYNAMIC_REENT__). */
struct _reent *__getreent(void)
{
	return gs_ready ? this_cpu()->reent : &bsp_reent;
}
