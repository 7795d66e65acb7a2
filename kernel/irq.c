/*
 * Interrupt vectors: allocation through the per-CPU matrix, dispatch through
 * each CPU's vector table, counting, and the `irq` command.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/trap.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/irq_matrix.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

static struct irq_matrix matrix;
static struct irq_desc descs[IRQ_MAX];
static spinlock_t irq_lock = SPINLOCK_INIT; /* descs and matrix: set-up paths only */

static struct {
	irq_handler_t fn;
	void *arg;
	const char *name;
} fixed[256];

static void on_spurious(void *arg) { (void)arg; }

static void on_apic_error(void *arg)
{
	(void)arg;
	kprintf("apic: CPU %u error status %#x\n", this_cpu_id(), lapic_read_esr());
}

void irq_init(void)
{
	irq_matrix_init(&matrix, MAX_CPUS, VECTOR_DEVICE_FIRST, VECTOR_DEVICE_LAST);
	irq_set_system(VECTOR_SPURIOUS, on_spurious, NULL, "spurious");
	irq_set_system(VECTOR_ERROR, on_apic_error, NULL, "APIC error");
}

void irq_init_cpu(void)
{
	struct cpu *c = this_cpu();
	memset(c->vector_irq, 0, sizeof(c->vector_irq));
	memset(c->irq_count, 0, sizeof(c->irq_count));
}

void irq_set_system(uint8_t vector, irq_handler_t fn, void *arg, const char *name)
{
	fixed[vector].arg = arg;
	fixed[vector].name = name;
	__atomic_store_n(&fixed[vector].fn, fn ? fn : on_spurious, __ATOMIC_RELEASE);
}

void irq_dispatch(struct trap_frame *f)
{
	unsigned v = f->vector & 255;
	struct cpu *c = this_cpu();
	c->irq_count[v]++;
	c->irq_since_idle = true; /* what it did may be what the interrupted code is about to sleep for */
	struct irq_desc *d = c->vector_irq[v];
	if (d)
		d->fn(d->arg);
	else if (fixed[v].fn)
		fixed[v].fn(fixed[v].arg);
	else
		c->irq_unexpected++;
	if (v != VECTOR_SPURIOUS) /* a spurious interrupt is not in service: no EOI (SDM §10.9) */
		lapic_eoi();
}

/* Installs a vector already taken in the matrix; called with irq_lock held. */
static int install(unsigned cpu, int vector, irq_handler_t fn, void *arg, const char *name)
{
	for (int i = 0; i < IRQ_MAX; i++) {
		struct irq_desc *d = &descs[i];
		if (d->used)
			continue;
		*d = (struct irq_desc){ .fn = fn, .arg = arg, .cpu = cpu, .vector = (uint8_t)vector,
					.affinity = cpumask_of(cpu), .used = true };
		snprintf(d->name, sizeof(d->name), "%s", name);
		cpus[cpu].irq_count[vector] = 0; /* counts belong to this irq, not the vector's last user */
		__atomic_store_n(&cpus[cpu].vector_irq[vector], d, __ATOMIC_RELEASE);
		return i;
	}
	irq_matrix_free(&matrix, cpu, (unsigned)vector);
	return -1;
}

int irq_request(unsigned cpu, irq_handler_t fn, void *arg, const char *name)
{
	if (cpu >= nr_cpus || !fn)
		return -1;
	uint64_t f = spin_lock_irqsave(&irq_lock);
	int v = irq_matrix_alloc(&matrix, cpu);
	int irq = v < 0 ? -1 : install(cpu, v, fn, arg, name);
	spin_unlock_irqrestore(&irq_lock, f);
	if (irq < 0)
		kprintf("irq: no free vector on CPU %u for %s\n", cpu, name);
	return irq;
}

int irq_request_affinity(const struct irq_affinity_desc *aff, irq_handler_t fn, void *arg, const char *name)
{
	cpumask_t online = cpumask_and(aff->mask, cpus_online_mask());
	if (cpumask_empty(online) || !fn)
		return -1;
	uint64_t f = spin_lock_irqsave(&irq_lock);
	unsigned cpu = 0;
	int v = irq_matrix_alloc_on(&matrix, online, &cpu);
	int irq = v < 0 ? -1 : install(cpu, v, fn, arg, name);
	if (irq >= 0) {
		descs[irq].affinity = aff->mask;
		descs[irq].managed = aff->is_managed;
	}
	spin_unlock_irqrestore(&irq_lock, f);
	if (irq < 0)
		kprintf("irq: no free vector for %s\n", name);
	return irq;
}

static void sync_fn(void *arg) { (void)arg; }

/* After the vector is unhooked, a call on its CPU returns only once no
 * handler of it can still be running there (handlers run with interrupts
 * off), so arg may be freed and the descriptor reused. */
void irq_free(int irq)
{
	if (irq < 0 || irq >= IRQ_MAX || !descs[irq].used)
		return;
	struct irq_desc *d = &descs[irq];
	__atomic_store_n(&cpus[d->cpu].vector_irq[d->vector], NULL, __ATOMIC_RELEASE);
	smp_call(d->cpu, sync_fn, NULL);
	uint64_t f = spin_lock_irqsave(&irq_lock);
	irq_matrix_free(&matrix, d->cpu, d->vector);
	d->used = false;
	spin_unlock_irqrestore(&irq_lock, f);
}

int irq_spread_vectors(unsigned nvec, const struct irq_affinity *affd, struct irq_affinity_desc *masks)
{
	cpumask_t siblings[MAX_CPUS];
	for (unsigned c = 0; c < nr_cpus; c++)
		siblings[c] = cpu_siblings(c);
	return irq_create_affinity_masks(nvec, affd, cpus_online_mask(), siblings, masks);
}

const struct irq_desc *irq_get(int irq)
{
	return irq >= 0 && irq < IRQ_MAX && descs[irq].used ? &descs[irq] : NULL;
}

uint32_t irq_dest_apic_id(int irq) { return irq_get(irq) ? cpus[descs[irq].cpu].apic_id : LAPIC_ID_NONE; }
uint8_t irq_vector(int irq) { return irq_get(irq) ? descs[irq].vector : 0; }
int irq_cpu(int irq) { return irq_get(irq) ? (int)descs[irq].cpu : -1; }

uint64_t irq_count(int irq)
{
	const struct irq_desc *d = irq_get(irq);
	return d ? __atomic_load_n(&cpus[d->cpu].irq_count[d->vector], __ATOMIC_RELAXED) : 0;
}

uint64_t irq_count_cpu(unsigned cpu)
{
	uint64_t n = 0;
	for (unsigned v = TRAP_FIRST_IRQ; v < 256; v++)
		n += cpus[cpu].irq_count[v];
	return n;
}

/* ---- irq: a /proc/interrupts-like table ---- */

static void print_counts(unsigned vector, bool only_cpu, unsigned cpu)
{
	for (unsigned c = 0; c < nr_cpus; c++) {
		if (only_cpu && c != cpu)
			printf(" %10s", "-");
		else
			printf(" %10llu", (unsigned long long)cpus[c].irq_count[vector]);
	}
}

static int print_table(void)
{
	printf("%-5s %-4s", "IRQ", "VEC");
	for (unsigned c = 0; c < nr_cpus; c++)
		printf(" %9s%u", "CPU", c);
	printf("  NAME            AFFINITY\n");
	for (int i = 0; i < IRQ_MAX; i++) {
		const struct irq_desc *d = irq_get(i);
		if (!d)
			continue;
		char mask[64];
		printf("%-5d 0x%02x", i, d->vector);
		print_counts(d->vector, true, d->cpu);
		printf("  %-15s %s%s\n", d->name, cpumask_format(mask, sizeof(mask), d->affinity),
		       d->managed ? " managed" : "");
	}
	for (unsigned v = TRAP_FIRST_IRQ; v < 256; v++) {
		if (!fixed[v].name)
			continue;
		printf("%-5s 0x%02x", "-", v);
		print_counts(v, false, 0);
		printf("  %s\n", fixed[v].name);
	}
	return 0;
}
/* ---- irq test: the allocation and dispatch path, end to end ---- */

#define TEST_WAIT_MS 1000

struct probe {
	unsigned ran_on;
	unsigned hits;
};

static void probe_handler(void *arg)
{
	struct probe *p = arg;
	p->ran_on = this_cpu_id();
	__atomic_fetch_add(&p->hits, 1, __ATOMIC_RELEASE);
}

/* Fires one vector with a fixed IPI to its APIC id, as an MSI would; true if
 * its handler ran once, on the CPU that owns the vector. */
static bool fire(int irq, struct probe *p)
{
	const struct irq_desc *d = irq_get(irq);
	lapic_send_ipi(irq_dest_apic_id(irq), irq_vector(irq));
	uint64_t end = rdtsc() + tsc_hz() / 1000 * TEST_WAIT_MS;
	while (!__atomic_load_n(&p->hits, __ATOMIC_ACQUIRE) && rdtsc() < end)
		cpu_relax();
	return p->hits == 1 && p->ran_on == d->cpu && cpumask_test(d->affinity, d->cpu);
}

/* As an NVMe driver would: 1 admin pre-vector + one managed vector per CPU,
 * each requested on its spread mask, then each fired and checked. */
static int irq_selftest(void)
{
	unsigned nvec = nr_cpus + 1, delivered = 0;
	struct irq_affinity affd = { .pre_vectors = 1 };
	struct irq_affinity_desc masks[MAX_CPUS + 1];
	struct probe probes[MAX_CPUS + 1] = { 0 };
	int irqs[MAX_CPUS + 1];
	if (irq_spread_vectors(nvec, &affd, masks) != 0)
		return 1;
	for (unsigned i = 0; i < nvec; i++) {
		char name[IRQ_NAME_LEN];
		snprintf(name, sizeof(name), "irqtest-q%u", i);
		irqs[i] = irq_request_affinity(&masks[i], probe_handler, &probes[i], name);
	}
	for (unsigned i = 0; i < nvec; i++)
		delivered += irqs[i] >= 0 && fire(irqs[i], &probes[i]);
	print_table();
	for (unsigned i = 0; i < nvec; i++)
		irq_free(irqs[i]);
	printf("irq test: %u of %u vectors delivered to their CPU\n", delivered, nvec);
	return delivered != nvec;
}

static int cmd_irq(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "test") == 0)
		return irq_selftest();
	if (argc > 1)
		return shell_usage("irq");
	return print_table();
}
SHELL_COMMAND(irq, "irq", "[test]", "interrupt counts per CPU and vector, like /proc/interrupts; test: fire spread vectors", cmd_irq);
