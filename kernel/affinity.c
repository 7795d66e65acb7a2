/*
 * Managed IRQ affinity spreading; the contract is in affinity.h.
 *
 * Inputs are checked in full before anything is written, then the pre
 * vectors, each set, and the post vectors are filled in that order.
 */
#include "kernel/affinity.h"

/* Moves up to 'room' CPUs from *left into the result: lowest free CPU first,
 * then as many of its free SMT siblings as still fit. */
static cpumask_t take_cpus(cpumask_t *left, const cpumask_t *siblings, unsigned room)
{
	cpumask_t got = CPUMASK_NONE;

	while (room && !cpumask_empty(*left)) {
		unsigned cpu = cpumask_first(*left);
		cpumask_clear(left, cpu);
		cpumask_set(&got, cpu);
		room--;
		if (!siblings)
			continue;
		cpumask_t sibs = cpumask_and(siblings[cpu], *left);
		for_each_cpu(s, sibs) {
			if (!room)
				break;
			cpumask_clear(left, s);
			cpumask_set(&got, s);
			room--;
		}
	}
	return got;
}

/* One set of nvec vectors over all of cpus. The first min(nvec, ncpus)
 * vectors share the CPUs out; any beyond ncpus repeat them cyclically. */
static void spread_set(unsigned nvec, cpumask_t cpus, const cpumask_t *siblings,
		       struct irq_affinity_desc *out)
{
	unsigned ncpus = cpumask_weight(cpus);
	unsigned ngrp = nvec < ncpus ? nvec : ncpus;
	cpumask_t left = cpus;

	for (unsigned v = 0; v < ngrp; v++) {
		unsigned room = ncpus / ngrp + (v < ncpus % ngrp ? 1 : 0);
		out[v].mask = take_cpus(&left, siblings, room);
		out[v].is_managed = true;
	}
	for (unsigned v = ngrp; v < nvec; v++)
		out[v] = out[v - ngrp];
}

static void fill_unmanaged(unsigned n, cpumask_t cpus, struct irq_affinity_desc *out)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (struct irq_affinity_desc){ .mask = cpus, .is_managed = false };
}

/* Resolves the set layout into sizes[]; returns the number of sets, or 0
 * when the layout does not describe exactly 'spread' vectors. */
static unsigned resolve_sets(const struct irq_affinity *affd, unsigned spread,
			     unsigned sizes[IRQ_AFFINITY_MAX_SETS])
{
	if (affd->nr_sets == 0) {
		sizes[0] = spread;
		return 1;
	}
	if (affd->nr_sets > IRQ_AFFINITY_MAX_SETS)
		return 0;
	unsigned sum = 0;
	for (unsigned i = 0; i < affd->nr_sets; i++) {
		if (affd->set_size[i] == 0 || affd->set_size[i] > spread)
			return 0;
		sizes[i] = affd->set_size[i];
		sum += sizes[i];  /* each <= spread, at most 4 of them: no overflow */
	}
	return sum == spread ? affd->nr_sets : 0;
}

int irq_create_affinity_masks(unsigned nvec, const struct irq_affinity *affd, cpumask_t cpus,
			      const cpumask_t *siblings, struct irq_affinity_desc *masks)
{
	static const struct irq_affinity all_spread;
	unsigned sizes[IRQ_AFFINITY_MAX_SETS];

	if (!affd)
		affd = &all_spread;
	if (!masks || nvec == 0 || cpumask_empty(cpus))
		return -1;
	if (affd->pre_vectors >= nvec || affd->post_vectors >= nvec - affd->pre_vectors)
		return -1;
	unsigned spread = nvec - affd->pre_vectors - affd->post_vectors;
	unsigned nr_sets = resolve_sets(affd, spread, sizes);
	if (nr_sets == 0)
		return -1;

	struct irq_affinity_desc *out = masks;
	fill_unmanaged(affd->pre_vectors, cpus, out);
	out += affd->pre_vectors;
	for (unsigned i = 0; i < nr_sets; i++) {
		spread_set(sizes[i], cpus, siblings, out);
		out += sizes[i];
	}
	fill_unmanaged(affd->post_vectors, cpus, out);
	return 0;
}
