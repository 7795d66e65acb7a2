/*
 * Per-CPU vector allocator; the contract is in irq_matrix.h.
 *
 * A vector v is bit v%64 of word v/64. m->range has the allocatable vectors
 * set, so "free" is range & ~used, one word at a time.
 */
#include "kernel/irq_matrix.h"

#include <string.h>

static bool valid_cpu(const struct irq_matrix *m, unsigned cpu)
{
	return cpu < m->nr_cpus;
}

static bool in_range(const struct irq_matrix *m, unsigned vector)
{
	return vector < IRQ_MATRIX_VECTORS && ((m->range[vector / 64] >> (vector % 64)) & 1);
}

static bool is_used(const struct irq_matrix_cpu *c, unsigned vector)
{
	return (c->used[vector / 64] >> (vector % 64)) & 1;
}

static void mark_used(struct irq_matrix_cpu *c, unsigned vector)
{
	c->used[vector / 64] |= 1ull << (vector % 64);
	c->available--;
}

void irq_matrix_init(struct irq_matrix *m, unsigned nr_cpus, unsigned first, unsigned last)
{
	memset(m, 0, sizeof(*m));
	m->nr_cpus = nr_cpus < MAX_CPUS ? nr_cpus : MAX_CPUS;
	m->first = first;
	m->last = last < IRQ_MATRIX_VECTORS ? last : IRQ_MATRIX_VECTORS - 1;

	unsigned count = 0;
	for (unsigned v = m->first; v <= m->last; v++) {
		m->range[v / 64] |= 1ull << (v % 64);
		count++;
	}
	for (unsigned cpu = 0; cpu < m->nr_cpus; cpu++)
		m->cpu[cpu].available = count;
}

/* Lowest free vector on one CPU, or -1. */
static int lowest_free(const struct irq_matrix *m, const struct irq_matrix_cpu *c)
{
	for (unsigned w = 0; w < IRQ_MATRIX_WORDS; w++) {
		uint64_t free = m->range[w] & ~c->used[w];
		if (free)
			return (int)(w * 64 + (unsigned)__builtin_ctzll(free));
	}
	return -1;
}

int irq_matrix_alloc(struct irq_matrix *m, unsigned cpu)
{
	if (!valid_cpu(m, cpu))
		return -1;
	struct irq_matrix_cpu *c = &m->cpu[cpu];
	int vector = lowest_free(m, c);
	if (vector >= 0)
		mark_used(c, (unsigned)vector);
	return vector;
}

int irq_matrix_alloc_on(struct irq_matrix *m, cpumask_t mask, unsigned *cpu_out)
{
	unsigned best = MAX_CPUS, best_avail = 0;

	for_each_cpu(cpu, mask) {
		if (!valid_cpu(m, cpu))
			break;  /* ascending order: every later CPU is invalid too */
		if (m->cpu[cpu].available > best_avail) {
			best = cpu;
			best_avail = m->cpu[cpu].available;
		}
	}
	if (best == MAX_CPUS)
		return -1;
	if (cpu_out)
		*cpu_out = best;
	return irq_matrix_alloc(m, best);
}

int irq_matrix_reserve(struct irq_matrix *m, unsigned cpu, unsigned vector)
{
	if (!valid_cpu(m, cpu) || !in_range(m, vector) || is_used(&m->cpu[cpu], vector))
		return -1;
	mark_used(&m->cpu[cpu], vector);
	return 0;
}

void irq_matrix_free(struct irq_matrix *m, unsigned cpu, unsigned vector)
{
	if (!irq_matrix_allocated(m, cpu, vector))
		return;
	struct irq_matrix_cpu *c = &m->cpu[cpu];
	c->used[vector / 64] &= ~(1ull << (vector % 64));
	c->available++;
}

unsigned irq_matrix_available(const struct irq_matrix *m, unsigned cpu)
{
	return valid_cpu(m, cpu) ? m->cpu[cpu].available : 0;
}

bool irq_matrix_allocated(const struct irq_matrix *m, unsigned cpu, unsigned vector)
{
	return valid_cpu(m, cpu) && in_range(m, vector) && is_used(&m->cpu[cpu], vector);
}
