/* The microbenchmarks' inline blk_cpu and blk_now_ns, standing in for the
 * kernel's (blk/env_kernel.h: a gs-relative load, rdtsc and a multiply). The
 * bench (or tests/unit/blk/stub_env.c, built with BLK_MICROBENCH) defines
 * the variables: a CPU number and a clock that moves a step per read. */
#ifndef TOOLS_MICROBENCH_ENV_INLINE_H
#define TOOLS_MICROBENCH_ENV_INLINE_H

#include <stdint.h>

extern unsigned microbench_cpu;
extern uint64_t microbench_clock_ns, microbench_clock_step;

static inline unsigned blk_cpu(void) { return microbench_cpu; }

static inline uint64_t blk_now_ns(void)
{
	uint64_t t = microbench_clock_ns;
	microbench_clock_ns += microbench_clock_step;
	return t;
}

#endif
