/*
 * Controls for the host blk_env (stub_env.c), which stands in for the kernel
 * services blk/blk_env.h names: pages from aligned_alloc with a switch that
 * makes large orders (or every allocation after a count) fail, a settable
 * current CPU and CPU topology, a fake clock, and a blk_wait that runs a
 * test-provided "make progress" callback and fails the test when nothing can
 * progress. stub_env_reset() restores the defaults: CPU 0, CPUs 0-7 present
 * and possible without SMT, time 0, every order allowed, no wait callback,
 * not in an interrupt.
 */
#ifndef TESTS_UNIT_BLK_STUB_ENV_H
#define TESTS_UNIT_BLK_STUB_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpumask.h"

#define STUB_PAGE_SIZE 4096u
#define STUB_ALL_ORDERS (-1)

void stub_env_reset(void);

/* Pages: blk_alloc_pages(order) fails when order > max (STUB_ALL_ORDERS: no
 * limit), and every call after `ok` more successes (negative: never). */
void stub_pages_max_order(int max);
void stub_pages_fail_after(int ok);
struct stub_page_stats {
	unsigned allocs, frees, failures; /* successful allocs, frees, refused allocs */
	unsigned live;                    /* allocs - frees */
	unsigned order_count[16];         /* successful allocs by order */
};
struct stub_page_stats stub_page_stats(void);
/* Whether [p, p+len) lies inside one live allocation; its order in *order. */
bool stub_pages_contain(const void *p, uint64_t len, unsigned *order);

/* CPUs. siblings is kept by reference (NULL: no SMT). */
void stub_set_cpu(unsigned cpu);
void stub_set_cpus(cpumask_t present, cpumask_t possible, const cpumask_t *siblings);
void stub_set_in_irq(bool in_irq);
unsigned stub_wakes(void);        /* blk_wake calls so far */
unsigned stub_resched(void);      /* blk_cond_resched calls so far */

/* Time: blk_now_ns returns the clock, then adds the step (default 0). */
void stub_set_time(uint64_t ns, uint64_t step);

/* blk_wait runs fn(arg); fn returns false when it could not make progress,
 * and then (or with no fn at all) the test fails instead of hanging. */
void stub_set_wait(bool (*fn)(void *arg), void *arg);

#endif
