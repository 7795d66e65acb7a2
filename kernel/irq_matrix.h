/*
 * Per-CPU interrupt vector allocator, after Linux's irq matrix
 * (kernel/irq/matrix.c): every CPU has its own IDT, so vector 0x41 on CPU 0
 * and vector 0x41 on CPU 3 are different interrupts. An MSI-X entry names
 * one (APIC id, vector) pair; the vector for it is taken here on a CPU of the
 * IRQ's affinity mask (kernel/affinity.h).
 *
 * Each CPU owns a bitmap of the vectors in [first, last]. The kernel passes
 * VECTOR_DEVICE_FIRST..VECTOR_DEVICE_LAST (0x30..0xef, arch/x86_64/apic.h):
 * exceptions and legacy I/O APIC pins below, system vectors above (timer,
 * IPIs, error, spurious) stay out of the matrix.
 *
 * A plain data structure with static storage and no locking: callers
 * serialize (the kernel holds one spinlock around every call).
 */
#ifndef KERNEL_IRQ_MATRIX_H
#define KERNEL_IRQ_MATRIX_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpumask.h"

#define IRQ_MATRIX_VECTORS 256  /* IDT entries per CPU */
#define IRQ_MATRIX_WORDS (IRQ_MATRIX_VECTORS / 64)

struct irq_matrix_cpu {
	uint64_t used[IRQ_MATRIX_WORDS]; /* bit v: vector v allocated; only range bits ever set */
	unsigned available;              /* free vectors in range = range bits - used bits */
};

struct irq_matrix {
	unsigned nr_cpus;                  /* CPUs 0..nr_cpus-1 are valid, <= MAX_CPUS */
	unsigned first, last;              /* allocatable vectors, inclusive */
	uint64_t range[IRQ_MATRIX_WORDS];  /* bit v set iff first <= v <= last */
	struct irq_matrix_cpu cpu[MAX_CPUS];
};

/* nr_cpus is clamped to MAX_CPUS and last to IRQ_MATRIX_VECTORS - 1;
 * first > last gives an empty range (every allocation fails). */
void irq_matrix_init(struct irq_matrix *m, unsigned nr_cpus, unsigned first, unsigned last);
/* Lowest free vector on that CPU, or -1 when it has none or cpu is invalid. */
int irq_matrix_alloc(struct irq_matrix *m, unsigned cpu);
/* Lowest free vector on the valid CPU of mask with the most free vectors
 * (ties go to the lowest CPU), stored into *cpu_out when cpu_out is not
 * NULL; -1 when no CPU of mask has a free vector. */
int irq_matrix_alloc_on(struct irq_matrix *m, cpumask_t mask, unsigned *cpu_out);
/* Takes that exact vector: 0, or -1 if already allocated, out of range or
 * cpu invalid. */
int irq_matrix_reserve(struct irq_matrix *m, unsigned cpu, unsigned vector);
/* Releases a vector. Freeing a vector that is not allocated (double free,
 * out of range, invalid cpu) is ignored and leaves the counts alone. */
void irq_matrix_free(struct irq_matrix *m, unsigned cpu, unsigned vector);
/* Free vectors on that CPU; 0 for an invalid cpu. */
unsigned irq_matrix_available(const struct irq_matrix *m, unsigned cpu);
bool irq_matrix_allocated(const struct irq_matrix *m, unsigned cpu, unsigned vector);

#endif
