/* The microbenchmark's inline blk_cpu and blk_now_ns, standing in for the
 * kernel's (blk/env_kernel.h: a gs-relative load, rdtsc and a multiply):
 * one CPU, and a clock that moves 100 ns per read. */
#ifndef TOOLS_MICROBENCH_ENV_INLINE_H
#define TOOLS_MICROBENCH_ENV_INLINE_H

#include <stdint.h>

extern uint64_t microbench_clock_ns;

static inline unsigned blk_cpu(void) { return 0; }
static inline uint64_t blk_now_ns(void) { return microbench_clock_ns += 100; }

#endif
