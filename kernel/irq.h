/*
 * Device interrupts. Each CPU has its own IDT vector space (kernel/irq_matrix.h),
 * so vector 0x30 on CPU 0 and vector 0x30 on CPU 1 are different interrupts:
 * a per-CPU table maps a vector to its irq_desc, as Linux's vector_irq does.
 * An MSI/MSI-X message names an APIC id and a vector: irq_request picks both.
 *
 * Counts are per CPU and per vector, written only by the CPU taking the
 * interrupt. Handlers run with interrupts off; the EOI follows the handler.
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/affinity.h"
#include "kernel/cpumask.h"

#define IRQ_MAX 256
#define IRQ_NAME_LEN 16

typedef void (*irq_handler_t)(void *arg);

struct irq_desc {
	irq_handler_t fn;
	void *arg;
	char name[IRQ_NAME_LEN];
	unsigned cpu;          /* where the vector lives (the effective affinity) */
	uint8_t vector;
	cpumask_t affinity;    /* the requested mask */
	bool managed;          /* spread by irq_create_affinity_masks: never moved */
	bool used;
};

/* Boot CPU, after the local APIC: vector matrix and the fixed system vectors. */
void irq_init(void);
/* Any CPU, once its per-CPU data is live: vector tables, counters. */
void irq_init_cpu(void);

/* A vector on `cpu` for fn(arg); returns the irq number (>= 0) or -1. */
int irq_request(unsigned cpu, irq_handler_t fn, void *arg, const char *name);
/* A vector on the least-loaded CPU of aff->mask, keeping mask and managed flag. */
int irq_request_affinity(const struct irq_affinity_desc *aff, irq_handler_t fn, void *arg, const char *name);
void irq_free(int irq);
/* irq_create_affinity_masks over the online CPUs with their SMT siblings. */
int irq_spread_vectors(unsigned nvec, const struct irq_affinity *affd, struct irq_affinity_desc *masks);
const struct irq_desc *irq_get(int irq);
/* APIC id and vector to put in an MSI message for this irq. */
uint32_t irq_dest_apic_id(int irq);
uint8_t irq_vector(int irq);
/* The CPU whose vector it is: an irq never moves, and its message names
 * that CPU's APIC alone, so its handler runs there and nowhere else. -1 for
 * an irq not in use. */
int irq_cpu(int irq);

/* Interrupts taken by this CPU on the fixed vectors, and on all vectors. */
uint64_t irq_count_cpu(unsigned cpu);
/* Deliveries of irq since it was requested (its vector's count on its CPU,
 * as the `irq` command shows it); 0 for an irq not in use. Drivers show
 * their interrupts from here rather than counting them again. */
uint64_t irq_count(int irq);
/* Registers fn (may be NULL: the interrupt only wakes the CPU) for a fixed
 * vector that means the same on every CPU: timer, call IPI, legacy pins. */
void irq_set_system(uint8_t vector, irq_handler_t fn, void *arg, const char *name);

/* Called by the trap code for every vector >= 32. */
struct trap_frame;
void irq_dispatch(struct trap_frame *f);

#endif
