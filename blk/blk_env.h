/*
 * What the block layer needs from the kernel, gathered here so the host unit
 * tests and the microbenchmark can supply their own (tests/unit/blk/stub_env.c):
 * pages for the request pool, the CPU we run on, the CPUs there are, time,
 * and a way to sleep until something completes.
 */
#ifndef BLK_BLK_ENV_H
#define BLK_BLK_ENV_H

#include <stdbool.h>
#include <stdint.h>

struct blk_mq_cpus;

void *blk_alloc_pages(unsigned order);      /* 2^order zeroed contiguous pages, or NULL */
void blk_free_pages(void *p, unsigned order);
uint64_t blk_virt_to_phys(const void *p);
void blk_cpus(struct blk_mq_cpus *cpus);    /* present/possible masks and SMT siblings */
/* blk_cpu() < MAX_CPUS: it indexes per-CPU arrays unchecked. */
/*
 * blk_cpu (this CPU's number), blk_now_ns (a monotonic clock) and
 * blk_in_irq (interrupts off: do not touch the plug, do not sleep) are on
 * every I/O, so the kernel defines them inline (blk/env_kernel.h), and so
 * does the microbenchmark, which models the kernel; host tests link
 * functions.
 */
#if !__STDC_HOSTED__
#include "blk/env_kernel.h"
#elif defined(BLK_MICROBENCH)
#include "tools/microbench/env_inline.h"
#else
unsigned blk_cpu(void);
uint64_t blk_now_ns(void);
bool blk_in_irq(void);
#endif
void blk_wait(void);                        /* sleep until an interrupt */
void blk_wake(unsigned cpu);                /* interrupt that CPU out of blk_wait */
void blk_cond_resched(void);                /* a polling loop lets this CPU's queued work run */

#endif
