/* The kernel's side of blk/blk_env.h. */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"

void *blk_alloc_pages(unsigned order)
{
	uint64_t p = page_alloc(1ull << order, 1);
	return p ? phys_to_virt(p) : NULL;
}

void blk_free_pages(void *p, unsigned order) { page_free(virt_to_phys(p), 1ull << order); }
uint64_t blk_virt_to_phys(const void *p) { return virt_to_phys(p); }
void blk_wait(void) { cpu_idle(); }
void blk_cond_resched(void) { smp_run_calls(); }
void blk_wake(unsigned cpu) { lapic_send_ipi(cpus[cpu].apic_id, VECTOR_CALL); }

void blk_init(void) { smp_tick_register(blk_mq_timeout_tick); }

static cpumask_t siblings[MAX_CPUS];

void blk_cpus(struct blk_mq_cpus *cpus)
{
	for (unsigned c = 0; c < nr_cpus; c++)
		siblings[c] = cpu_siblings(c);
	cpus->present = cpus->possible = cpus_online_mask(); /* no CPU hotplug: possible = present */
	cpus->siblings = siblings;
}
