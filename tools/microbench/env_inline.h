/* The microbenchmarks' inline blk_cpu, blk_now_ns and blk_in_irq, standing in
 * for the kernel's (blk/env_kernel.h: a gs-relative load, rdtsc and a
 * multiply, pushf and a test). The bench (or tests/unit/blk/stub_env.c, built
 * with BLK_MICROBENCH) defines the variables: a CPU number, a clock that
 * moves a step per read, and whether this is an interrupt. */
#ifndef TOOLS_MICROBENCH_ENV_INLINE_H
#define TOOLS_MICROBENCH_ENV_INLINE_H

#include <stdbool.h>
#include <stdint.h>

extern unsigned microbench_cpu;
extern uint64_t microbench_clock_ns, microbench_clock_step;
extern bool microbench_in_irq;

static inline unsigned blk_cpu(void) { return microbench_cpu; }
static inline bool blk_in_irq(void) { return microbench_in_irq; }

static inline uint64_t blk_now_ns(void)
{
	uint64_t t = microbench_clock_ns;
	microbench_clock_ns += microbench_clock_step;
	return t;
}

#endif
