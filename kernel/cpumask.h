/*
 * CPU masks: one bit per CPU number (dense ids 0..MAX_CPUS-1, not APIC ids).
 * MAX_CPUS is 64, so a mask is one word and every operation is a single
 * instruction or a loop over set bits. Pure: host tests include it too.
 */
#ifndef KERNEL_CPUMASK_H
#define KERNEL_CPUMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_CPUS 64

typedef struct {
	uint64_t bits;
} cpumask_t;

#define CPUMASK_NONE ((cpumask_t){ 0 })

static inline cpumask_t cpumask_of(unsigned cpu)
{
	return (cpumask_t){ 1ull << cpu };
}

/* CPUs 0..n-1. */
static inline cpumask_t cpumask_first_n(unsigned n)
{
	return (cpumask_t){ n >= 64 ? ~0ull : (1ull << n) - 1 };
}

static inline void cpumask_set(cpumask_t *m, unsigned cpu) { m->bits |= 1ull << cpu; }
static inline void cpumask_clear(cpumask_t *m, unsigned cpu) { m->bits &= ~(1ull << cpu); }
static inline bool cpumask_test(cpumask_t m, unsigned cpu) { return cpu < MAX_CPUS && (m.bits >> cpu) & 1; }
static inline bool cpumask_empty(cpumask_t m) { return m.bits == 0; }
static inline unsigned cpumask_weight(cpumask_t m) { return (unsigned)__builtin_popcountll(m.bits); }
static inline bool cpumask_equal(cpumask_t a, cpumask_t b) { return a.bits == b.bits; }
static inline cpumask_t cpumask_and(cpumask_t a, cpumask_t b) { return (cpumask_t){ a.bits & b.bits }; }
static inline cpumask_t cpumask_or(cpumask_t a, cpumask_t b) { return (cpumask_t){ a.bits | b.bits }; }
static inline cpumask_t cpumask_andnot(cpumask_t a, cpumask_t b) { return (cpumask_t){ a.bits & ~b.bits }; }

/* Lowest CPU in the mask, or MAX_CPUS when empty. */
static inline unsigned cpumask_first(cpumask_t m)
{
	return m.bits ? (unsigned)__builtin_ctzll(m.bits) : MAX_CPUS;
}

/* Lowest CPU above `cpu`, or MAX_CPUS. */
static inline unsigned cpumask_next(unsigned cpu, cpumask_t m)
{
	if (cpu + 1 >= MAX_CPUS)
		return MAX_CPUS;
	return cpumask_first((cpumask_t){ m.bits & (~0ull << (cpu + 1)) });
}

#define for_each_cpu(cpu, mask) \
	for (unsigned cpu = cpumask_first(mask); cpu < MAX_CPUS; cpu = cpumask_next(cpu, mask))

/* Formats as a Linux-style list ("0-3,6"; "" when empty) into buf; returns buf. */
static inline char *cpumask_format(char *buf, size_t size, cpumask_t m)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (unsigned cpu = cpumask_first(m); cpu < MAX_CPUS;) {
		unsigned last = cpu;
		while (last + 1 < MAX_CPUS && cpumask_test(m, last + 1))
			last++;
		char part[16];
		int n = last == cpu ? snprintf(part, sizeof(part), "%s%u", len ? "," : "", cpu)
				    : snprintf(part, sizeof(part), "%s%u-%u", len ? "," : "", cpu, last);
		if (len + (size_t)n + 1 > size)
			break;
		memcpy(buf + len, part, (size_t)n + 1);
		len += (size_t)n;
		cpu = cpumask_next(last, m);
	}
	return buf;
}

#endif
