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
unsigned blk_cpu(void);                     /* this CPU's number */
void blk_cpus(struct blk_mq_cpus *cpus);    /* present/possible masks and SMT siblings */
uint64_t blk_now_ns(void);
bool blk_in_irq(void);                      /* interrupts off: do not touch the plug, do not sleep */
void blk_wait(void);                        /* sleep until an interrupt */
void blk_wake(unsigned cpu);                /* interrupt that CPU out of blk_wait */

#endif
