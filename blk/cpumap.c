/*
 * CPU → hardware queue maps (seed notes 000 and 001). Pure: the CPUs and
 * their siblings come in as masks, so the host tests run it as is.
 */
#include "blk/blk_mq.h"

#define UNMAPPED (~0u)

static unsigned queue_index(const struct blk_mq_queue_map *qmap, unsigned q)
{
	return qmap->queue_offset + q % qmap->nr_queues;
}

static unsigned first_sibling(const struct blk_mq_cpus *cpus, unsigned cpu)
{
	if (!cpus->siblings)
		return cpu;
	unsigned first = cpumask_first(cpumask_and(cpus->siblings[cpu], cpus->possible));
	return first < MAX_CPUS ? first : cpu;
}

void blk_mq_map_queues(struct blk_mq_queue_map *qmap, const struct blk_mq_cpus *cpus)
{
	unsigned q = 0;
	if (qmap->nr_queues == 0)
		qmap->nr_queues = 1;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		qmap->mq_map[cpu] = UNMAPPED;
	cpumask_t present = cpumask_and(cpus->present, cpus->possible);
	for_each_cpu(cpu, present) {
		if (q >= qmap->nr_queues)
			break;
		qmap->mq_map[cpu] = queue_index(qmap, q++);
	}
	for_each_cpu(cpu, cpus->possible) {
		if (qmap->mq_map[cpu] != UNMAPPED)
			continue;
		unsigned first = first_sibling(cpus, cpu);
		if (q < qmap->nr_queues || first == cpu || qmap->mq_map[first] == UNMAPPED)
			qmap->mq_map[cpu] = queue_index(qmap, q++);
		else
			qmap->mq_map[cpu] = qmap->mq_map[first];
	}
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) /* never used, but never out of range */
		if (qmap->mq_map[cpu] == UNMAPPED)
			qmap->mq_map[cpu] = qmap->queue_offset;
}

void blk_mq_map_hw_queues(struct blk_mq_queue_map *qmap, const struct irq_affinity_desc *masks, unsigned nr_masks,
			  unsigned offset, const struct blk_mq_cpus *cpus)
{
	if (qmap->nr_queues == 0 || !masks || offset + qmap->nr_queues > nr_masks)
		goto fallback;
	for (unsigned q = 0; q < qmap->nr_queues; q++)
		if (cpumask_empty(masks[q + offset].mask))
			goto fallback;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		qmap->mq_map[cpu] = UNMAPPED;
	for (unsigned q = 0; q < qmap->nr_queues; q++)
		for_each_cpu(cpu, masks[q + offset].mask)
			qmap->mq_map[cpu] = qmap->queue_offset + q;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) /* CPUs no vector serves: the first queue */
		if (qmap->mq_map[cpu] == UNMAPPED)
			qmap->mq_map[cpu] = qmap->queue_offset;
	return;
fallback:
	blk_mq_map_queues(qmap, cpus);
}
