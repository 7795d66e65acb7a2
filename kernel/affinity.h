/*
 * Managed IRQ affinity: spread a device's MSI-X vectors over the CPUs, with
 * the meaning of Linux's irq_create_affinity_masks() / group_cpus_evenly().
 *
 * A driver asks for nvec vectors laid out as
 *   [pre_vectors][set 0][set 1]...[post_vectors]
 * The pre and post vectors (the NVMe admin queue's vector, say) get every CPU
 * and are unmanaged: the kernel may move them. Each set is spread on its own
 * over all the CPUs: with n CPUs and v vectors, every vector gets n/v CPUs
 * and the first n%v vectors one more, handed out in ascending CPU order. When
 * a vector takes a CPU it also takes that CPU's still-free SMT siblings while
 * it has room, so hyperthreads of one core share a vector. Spread vectors are
 * managed: their mask is fixed and the queue behind each one serves exactly
 * those CPUs (blk/cpumap.c builds the CPU -> queue map from it).
 *
 * Differences from Linux, on purpose:
 *  - One NUMA node: CPUs are not first grouped per node.
 *  - More vectors than CPUs: Linux leaves the surplus vectors of a set with
 *    an empty mask. Here they wrap around: vector n+k of a set gets the same
 *    mask as vector k, so no vector is ever without a CPU to fire on.
 *  - Bad input returns -1 (Linux returns NULL): nvec 0, pre+post >= nvec,
 *    more than IRQ_AFFINITY_MAX_SETS sets, a set of size 0, sets not adding
 *    up to nvec - pre - post, or no CPUs.
 *
 * Pure: no allocation, no locking, no output; the host tests run it as is.
 */
#ifndef KERNEL_AFFINITY_H
#define KERNEL_AFFINITY_H

#include <stdbool.h>

#include "kernel/cpumask.h"

#define IRQ_AFFINITY_MAX_SETS 4

struct irq_affinity {
	unsigned pre_vectors;   /* at the start, not spread: mask = all CPUs, unmanaged */
	unsigned post_vectors;  /* at the end, likewise */
	unsigned nr_sets;       /* 0: one set of all the vectors between pre and post */
	unsigned set_size[IRQ_AFFINITY_MAX_SETS]; /* used when nr_sets > 0; each >= 1 */
};

struct irq_affinity_desc {
	cpumask_t mask;         /* never empty after a successful call */
	bool is_managed;        /* true for spread vectors, false for pre/post */
};

/*
 * cpus: the CPUs to spread over (not empty).
 * siblings: siblings[cpu] is that CPU's SMT sibling mask (itself included or
 *   not, either works), indexed by CPU number for every CPU in cpus; NULL
 *   when there is no SMT. Siblings outside cpus are ignored.
 * affd: the layout; NULL means no pre/post vectors and a single set.
 * Fills masks[0..nvec-1]. Returns 0, or -1 on bad input (masks untouched).
 */
int irq_create_affinity_masks(unsigned nvec, const struct irq_affinity *affd, cpumask_t cpus,
			      const cpumask_t *siblings, struct irq_affinity_desc *masks);

#endif
