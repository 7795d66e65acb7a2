/*
 * CPU topology from CPUID, run by each CPU on itself. The APIC id splits into
 * fields: the low smt_bits number the threads of a core, the next bits the
 * cores of a package, the rest the package. Leaf 0xB (x2APIC topology, SDM
 * Vol. 3 §9.9.1) gives the field widths directly; older CPUs give counts in
 * leaves 1 and 4 instead; with neither, every CPU is its own core.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"

#define LEAF_TOPOLOGY      0x0b
#define LEVEL_TYPE_SMT     1
#define LEVEL_TYPE_CORE    2
#define CPUID1_EDX_HTT     (1u << 28)
#define MAX_LEVELS         8

static unsigned order(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

/* Field widths from leaf 0xB; false when the leaf is missing. */
static bool widths_leaf_b(unsigned *smt_bits, unsigned *pkg_bits, uint32_t *x2apic_id)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	if (r[0] < LEAF_TOPOLOGY)
		return false;
	cpuid(LEAF_TOPOLOGY, 0, r);
	if (r[1] == 0)
		return false;
	*smt_bits = 0;
	*pkg_bits = 0;
	*x2apic_id = r[3];
	for (unsigned sub = 0; sub < MAX_LEVELS; sub++) {
		cpuid(LEAF_TOPOLOGY, sub, r);
		unsigned type = (r[2] >> 8) & 0xff, shift = r[0] & 0x1f;
		if (type == 0)
			break;
		if (type == LEVEL_TYPE_SMT)
			*smt_bits = shift;
		*pkg_bits = shift; /* the last level's shift reaches the package */
	}
	return true;
}

/* Field widths from leaves 1 and 4 (logical processors and cores per package). */
static void widths_legacy(unsigned *smt_bits, unsigned *pkg_bits)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	*smt_bits = *pkg_bits = 0;
	if (!(r[3] & CPUID1_EDX_HTT))
		return;
	unsigned logical = (r[1] >> 16) & 0xff, cores = 1;
	cpuid(0, 0, r);
	if (r[0] >= 4) {
		cpuid(4, 0, r);
		cores = ((r[0] >> 26) & 0x3f) + 1;
	}
	*pkg_bits = order(logical);
	*smt_bits = order(logical / cores ? logical / cores : 1);
}

void cpu_topology_detect(struct cpu *c)
{
	unsigned smt_bits, pkg_bits;
	uint32_t id = c->apic_id, x2id;
	if (widths_leaf_b(&smt_bits, &pkg_bits, &x2id))
		id = x2id;
	else
		widths_legacy(&smt_bits, &pkg_bits);
	if (pkg_bits < smt_bits)
		pkg_bits = smt_bits;
	c->thread = id & ((1u << smt_bits) - 1);
	c->core = (id >> smt_bits) & ((1u << (pkg_bits - smt_bits)) - 1);
	c->package = pkg_bits >= 32 ? 0 : id >> pkg_bits;
}
